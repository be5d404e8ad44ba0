"""
Cycle counts of whole models from the units' CL models.

The accelerator's forward (tellme_pymtl.llm) is a sequence of unit jobs (llm.layer_jobs). CycleModel runs
each distinct job shape once through the unit's CL model (cycle-equal to its RTL, by test) on the configured
DDR model and caches the count (in memory and in a JSON file keyed by the configuration's digest), then adds
the jobs up, one after another: the units of a layer wait for each other in this model (no overlap between
jobs), which over-counts slightly the fused chains that stream into each other.

  linear (TLMM-FUSE + weight path)  WeightPathCL, one token through W [out, in] streamed from DDR; the weight path
                                    streams the matrix again for every token, so n tokens cost n times that
  rms, quant                        RMSMaxCL, QuantizerCL, one token
  kvw                               KVWriterCL, one token's K and V
  decode                            DecodeAttentionCL at two context lengths; the cost is linear in the context
                                    (a + b * ctx, exact at the measured points: each key costs the same)
  prefill                           PrefillAttentionCL on one head (heads run one after another, the same way)
Analytic, and labeled so where reported: the LM head (an FP16 GEMV streamed at the DDR rate, see lm_head_cycles)
and the weight-reuse prefill alternative (weights streamed once per layer, the engine compute-bound).

The unit CL models are passed in (the CLI's registry), so this module never imports a level.
"""
import hashlib
import json
import os

import numpy as np

from . import msgs as mg
from . import numerics as nx
from .ddr import DDRModel
from .harness import TestHarness, simulate


def layer_jobs(c, n, ctx):
  """The unit jobs of one layer for n tokens ending at context length ctx (n > 1: prefill from 0)."""
  H, Hkv, d = c.heads, c.kv_heads, c.head_dim
  jobs = [("rms", n, c.hidden), ("quant", n, c.hidden),
          ("linear", "q", n, c.q_dim, c.hidden), ("linear", "k", n, c.kv_dim, c.hidden),
          ("linear", "v", n, c.kv_dim, c.hidden), ("kvw", n, Hkv, d)]
  jobs.append(("prefill", n, H, Hkv, d) if n > 1 else ("decode", ctx, H, Hkv, d))
  jobs += [("rms", n, c.q_dim), ("quant", n, c.q_dim), ("linear", "o", n, c.hidden, c.q_dim),
           ("rms", n, c.hidden), ("quant", n, c.hidden),
           ("linear", "up", n, c.intermediate, c.hidden), ("linear", "gate", n, c.intermediate, c.hidden),
           ("rms", n, c.intermediate), ("quant", n, c.intermediate),
           ("linear", "down", n, c.hidden, c.intermediate)]
  return jobs


def step_jobs(c, n, ctx):
  """All jobs of one step (every layer, then the final norm)."""
  return [j for _ in range(c.layers) for j in layer_jobs(c, n, ctx)] + [("rms", 1, c.hidden)]


UNIT_OF = {"linear": "weights", "rms": "rms-max", "quant": "quantizer", "kvw": "kv-writer", "prefill": "attention",
           "decode": "attention"}


class CycleModel:

  def __init__(s, cfg, models, cache=None, progress=None, npe=8, fifo_depth=1024):
    """models: {"WeightPath", "RMSMax", "Quantizer", "KVWriter", "DecodeAttention", "PrefillAttention"} -> CL
    class. cache: a JSON file for the measured counts (None: memory only). progress(text): called before
    each new simulation."""
    s.cfg, s.models, s.npe, s.fifo = cfg, models, npe, fifo_depth
    s.path, s.progress = cache, progress or (lambda text: None)
    s.key = hashlib.sha1(f"{cfg.digest()} {cfg.clock_mhz} {cfg.ddr_gbps} {cfg.ddr_latency} {npe} v1".encode()).hexdigest()[:16]
    s.memo = {}
    if cache and os.path.exists(cache):
      try:
        with open(cache) as f:
          s.memo = json.load(f).get(s.key, {})
      except (OSError, ValueError):
        s.memo = {}

  def _save(s):
    if not s.path:
      return
    try:
      data = {}
      if os.path.exists(s.path):
        with open(s.path) as f:
          data = json.load(f)
      data[s.key] = s.memo
      os.makedirs(os.path.dirname(os.path.abspath(s.path)), exist_ok=True)
      with open(s.path, "w") as f:
        json.dump(data, f)
    except (OSError, ValueError):
      pass

  def _measured(s, key, fn):
    if key not in s.memo:
      s.progress(f"simulating {key} (CL)")
      s.memo[key] = int(fn())
      s._save()
    return s.memo[key]

  def _sim(s, comp, m, srcs, snks, image=None, *args):
    mems = {"mem": DDRModel(s.cfg, image)} if image is not None else None
    th = TestHarness(s.models[comp](s.cfg, *args), {k: m[k] for k in srcs}, {k: m[k] for k in snks},
                     mems=mems)
    r = simulate(th, max_cycles=10 ** 9)
    return r["cycles"] - th.srcs["cmd"].fires[0]

  # per-unit costs ------------------------------------------------------------------------------------------------

  def linear1(s, out, inn):
    def run():
      rng = np.random.default_rng(0)
      W, X = nx.random_ternary(rng, (out, inn)), nx.random_acts(rng, (1, inn))
      m = mg.wpath_job_msgs(s.cfg, W, X)
      return s._sim("WeightPath", m, ("cmd", "act"), ("out",), m["image"])
    return s._measured(f"linear {out}x{inn}", run)

  def rms1(s, dim):
    def run():
      rng = np.random.default_rng(0)
      X = rng.standard_normal((1, dim)).astype(np.float16)
      m = mg.rms_job_msgs(s.cfg, X, np.ones(dim, dtype=np.float16))
      return s._sim("RMSMax", m, ("cmd", "x", "g"), ("y", "amax"))
    return s._measured(f"rms {dim}", run)

  def quant1(s, dim):
    def run():
      X = np.random.default_rng(0).standard_normal((1, dim)).astype(np.float16)
      m = mg.quant_job_msgs(s.cfg, X)
      return s._sim("Quantizer", m, ("cmd", "x"), ("scale", "act"))
    return s._measured(f"quant {dim}", run)

  def kvw1(s, Hkv, d):
    def run():
      from . import attention as A
      x = np.random.default_rng(0).standard_normal((1, Hkv, d)).astype(np.float16)
      z = np.zeros((0, Hkv, d), np.float16)
      image, kbase, _ = A.kv_image(s.cfg, z, z, 4)
      m = mg.kvw_job_msgs(s.cfg, x, kbase, 0, 4)
      return 2 * s._sim("KVWriter", m, ("cmd", "x"), ("ack",), image, max(d, 16))   # K, then V
    return s._measured(f"kvw {Hkv}x{d}", run)

  def decode_fit(s, H, Hkv, d):
    """(a, b): decode attention costs a + b * ctx cycles."""
    def at(ctx):
      def run():
        rng = np.random.default_rng(ctx)
        q = rng.standard_normal((1, H, d)).astype(np.float16)
        k = rng.standard_normal((ctx, Hkv, d)).astype(np.float16)
        m = mg.decode_job_msgs(s.cfg, q, k, k, max_ctx=ctx, fifo_depth=s.fifo)
        return s._sim("DecodeAttention", m, ("cmd", "q"), ("out",), m["image"], s.fifo, max(d, 16))
      return s._measured(f"decode {H}x{Hkv}x{d} ctx{ctx}", run)
    c1, c2 = at(16), at(48)
    b = (c2 - c1) / 32
    return c1 - 16 * b, b

  def prefill1(s, n, d):
    def run():
      rng = np.random.default_rng(n)
      q = rng.standard_normal((n, 1, d)).astype(np.float16)
      m = mg.prefill_job_msgs(s.cfg, q, q, q, max_ctx=n, npe=s.npe)
      return s._sim("PrefillAttention", m, ("cmd", "q"), ("out",), m["image"], s.npe, max(d, 16))
    return s._measured(f"prefill {n}x{d}", run)

  def job(s, j):
    kind = j[0]
    if kind == "linear":
      _, _, n, out, inn = j
      return n * s.linear1(out, inn)
    if kind == "rms":
      return j[1] * s.rms1(j[2])
    if kind == "quant":
      return j[1] * s.quant1(j[2])
    if kind == "kvw":
      return j[1] * s.kvw1(j[2], j[3])
    if kind == "decode":
      a, b = s.decode_fit(*j[2:])
      return int(round(a + b * j[1]))
    if kind == "prefill":
      return j[2] * s.prefill1(j[1], j[4])
    raise ValueError(f"unknown job {j}")

  def cycles(s, jobs):
    """Total cycles and a breakdown per unit."""
    by = {}
    for j in jobs:
      u = UNIT_OF[j[0]]
      by[u] = by.get(u, 0) + s.job(j)
    return sum(by.values()), by

  # analytic parts ------------------------------------------------------------------------------------------------

  def lm_head_cycles(s, c):
    """The LM head on the accelerator as an FP16 GEMV streamed from DDR at the modeled bandwidth (analytic)."""
    return int(np.ceil(c.vocab * c.hidden * 2 / s.cfg.ddr_bytes_per_cycle))

  def weight_bytes(s, c):
    """DDR bytes of one pass over the layers' packed ternary weights."""
    cfg = s.cfg
    beats = 0
    for (_, _, _, out, inn) in [j for j in layer_jobs(c, 1, 1) if j[0] == "linear"]:
      beats += -(-out // cfg.Q) * -(-inn // cfg.block_in)
    return c.layers * beats * cfg.words_per_beat * cfg.word_bits / 8

  def tlmm_fit(s, out, inn):
    """(a, b): the TLMM engine alone computes n tokens of W [out, in] in a + b * n cycles (TLMMEngineCL at
    one and two tokens; each token repeats the same schedule)."""
    def at(n):
      def run():
        rng = np.random.default_rng(0)
        W, X = nx.random_ternary(rng, (out, inn)), nx.random_acts(rng, (n, inn))
        m = mg.tlmm_job_msgs(s.cfg, W, X)
        return s._sim("TLMMEngine", m, ("cmd", "act", "wgt"), ("out",))
      return s._measured(f"tlmm {out}x{inn} n{n}", run)
    c1, c2 = at(1), at(2)
    return c1 - (c2 - c1), c2 - c1

  def reuse_prefill_linear(s, c, n):
    """Prefill's linear layers with each matrix streamed once and applied to all n tokens (the analytic
    weight-reuse alternative): per matrix max(one token's weight-path job, the engine's n-token compute)."""
    tot = 0
    for (_, _, _, out, inn) in [j for j in layer_jobs(c, 1, 1) if j[0] == "linear"]:
      a, b = s.tlmm_fit(out, inn)
      tot += max(a + b * n, s.linear1(out, inn))
    return c.layers * tot
