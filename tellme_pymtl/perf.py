"""
Cycle counts of whole models from the units' CL models.

The accelerator's forward (tellme_pymtl.llm) is a sequence of unit jobs (its trace; llm.step_jobs gives it
for any shape without computing). CycleModel runs
each distinct job shape once through the unit's CL model (cycle-equal to its RTL, by test) on the configured
DDR model and caches the count (in memory and in a JSON file keyed by the configuration's digest and a hash of
the CL models' and the shared package's sources), then adds
the jobs up, one after another: the units of a layer wait for each other in this model (no overlap between
jobs), which over-counts slightly the fused chains that stream into each other.

  linear (weight path + TLMM)       WeightPathCL: tokens through a row tile of W streamed from DDR (once, and
                                    replayed from the weight buffer per token when it fits in half of it)
  rms, quant, deq, ew               RMSMaxCL, QuantizerCL, DequantizerCL, ElementwiseCL
  kvw                               KVWriterCL (the K or the V vectors of the tokens)
A job is simulated at its own token count when that is short (CycleModel.EXACT_CYCLES); a long one costs
c(1) + (n - 1) * (c(2) - c(1)), long jobs being bandwidth bound with every token repeating the schedule.
  sequencer                         SEQ_CYCLES_PER_JOB per job (the top's issue and end-of-job cycles)
  decode                            DecodeAttentionCL at two context lengths; the cost is linear in the context
                                    (a + b * ctx, exact at the measured points: each key costs the same)
  prefill                           PrefillAttentionCL on one head (heads run one after another, the same way)
Analytic, and labeled so where reported: the LM head (an FP16 GEMV streamed at the DDR rate, see lm_head_cycles).

The unit CL models are passed in (the CLI's registry), so this module never imports a level.
"""
import fcntl
import hashlib
import inspect
import json
import os

import numpy as np

from . import msgs as mg
from . import numerics as nx
from . import packing
from .ddr import DDRModel
from .harness import TestHarness, simulate


UNIT_OF = {"linear": "weights", "rms": "rms-max", "quant": "quantizer", "deq": "dequantizer", "ew": "element-wise",
           "kvw": "kv-writer", "prefill": "attention", "decode": "attention"}


def _sources_digest(models):
  """A hash of the code a measured count depends on: the CL models' modules (and everything else in their
  folders) and the shared package, so a cached count never outlives a change to the models that made it."""
  dirs = {os.path.dirname(os.path.abspath(inspect.getsourcefile(c))) for c in models.values()}
  dirs.add(os.path.dirname(os.path.abspath(__file__)))
  h = hashlib.sha1()
  for d in sorted(dirs):
    for name in sorted(os.listdir(d)):
      if name.endswith(".py"):
        with open(os.path.join(d, name), "rb") as f:
          h.update(name.encode() + b"\0" + f.read())
  return h.hexdigest()[:16]


class CycleModel:

  def __init__(s, cfg, models, cache=None, progress=None, npe=8, fifo_depth=1024):
    """models: {"WeightPath", "RMSMax", "Quantizer", "KVWriter", "DecodeAttention", "PrefillAttention"} -> CL
    class. cache: a JSON file for the measured counts (None: memory only). progress(text): called before
    each new simulation."""
    s.cfg, s.models, s.npe, s.fifo = cfg, models, npe, fifo_depth
    s.path, s.progress = cache, progress or (lambda text: None)
    key = f"{cfg.digest()} {cfg.clock_mhz} {cfg.ddr_gbps} {cfg.ddr_latency} {npe} {_sources_digest(models)}"
    s.key = hashlib.sha1(key.encode()).hexdigest()[:16]
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
      os.makedirs(os.path.dirname(os.path.abspath(s.path)), exist_ok=True)
      with open(s.path + ".lock", "w") as lock:       # several processes (bench sweeps) share the file
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = {}
        if os.path.exists(s.path):
          with open(s.path) as f:
            data = json.load(f)
        data[s.key] = dict(data.get(s.key, {}), **s.memo)
        tmp = f"{s.path}.{os.getpid()}"
        with open(tmp, "w") as f:
          json.dump(data, f)
        os.replace(tmp, s.path)
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

  EXACT_CYCLES = 4000       # jobs estimated below this many cycles are simulated at their own token count

  def _cost(s, key, run, n):
    """A job of n tokens: simulated exactly (cached per n) when it is short; otherwise c(1) + (n - 1) * (c(2) -
    c(1)): every token of a long job repeats the same schedule (tests/perf_test.py checks a replayed
    weight-path job at 5 tokens against it)."""
    c1 = s._measured(f"{key} n1", lambda: run(1))
    if n == 1 or c1 * n <= s.EXACT_CYCLES:
      return s._measured(f"{key} n{n}", lambda: run(n))
    c2 = s._measured(f"{key} n2", lambda: run(2))
    return c1 + (n - 1) * (c2 - c1)

  CAL_SHAPES = ((1536, 1536), (768, 1536))   # two stream-bound one-token jobs: the streaming line

  def _beats(s, out, inn):
    return -(-out // s.cfg.Q) * -(-inn // s.cfg.block_in)

  def _wpath_run(s, n, out, inn):
    """WeightPathCL on a random W [out, in] and n tokens: its cycles."""
    rng = np.random.default_rng(0)
    W, X = nx.random_ternary(rng, (out, inn)), nx.random_acts(rng, (n, inn))
    m = mg.wpath_job_msgs(s.cfg, W, X)
    return s._sim("WeightPath", m, ("cmd", "act"), ("out",), m["image"])

  def _wpath(s, n, out, inn):
    return s._measured(f"linear {out}x{inn} n{n}", lambda: s._wpath_run(n, out, inn))

  def stream_line(s):
    """(fixed cycles, cycles per weight beat) of a weight-path job streaming its matrix from DDR, from the CL
    weight path on the two CAL_SHAPES at one token (a streamed job is DDR bound: linear in its beats)."""
    (o1, i1), (o2, i2) = s.CAL_SHAPES
    c1, c2 = s._wpath(1, o1, i1), s._wpath(1, o2, i2)
    per_beat = (c1 - c2) / (s._beats(o1, i1) - s._beats(o2, i2))
    return c1 - per_beat * s._beats(o1, i1), per_beat

  def linear(s, n, out, inn):
    """Weight-path cycles of n tokens through W [out, in] (one row tile: tellme_pymtl.packing.row_tiles).
    A matrix that fits in half the weight buffer is streamed once and replayed per token: _cost on the CL
    weight path of this shape (every replayed token repeats the engine's schedule). Otherwise the matrix is
    streamed per token: simulated exactly when short (its DDR words at one word a cycle within EXACT_CYCLES),
    else DDR bound, the streaming line (stream_line) at beats x n. tests/perf_test.py checks both against
    direct CL simulations."""
    beats = s._beats(out, inn)
    if n > 1 and packing.fits_half(s.cfg, beats):
      return s._cost(f"linear {out}x{inn}", lambda k: s._wpath_run(k, out, inn), n)
    if beats * n * s.cfg.words_per_beat <= s.EXACT_CYCLES:
      return s._wpath(n, out, inn)
    fixed, per_beat = s.stream_line()
    return int(round(fixed + per_beat * beats * n))

  def linear1(s, out, inn):
    return s.linear(1, out, inn)

  def rms(s, n, dim):
    def run(k):
      X = np.random.default_rng(0).standard_normal((k, dim)).astype(np.float16)
      m = mg.rms_job_msgs(s.cfg, X, np.ones(dim, dtype=np.float16))
      return s._sim("RMSMax", m, ("cmd", "x", "g"), ("y", "amax"))
    return s._cost(f"rms {dim}", run, n)

  def quant(s, n, dim):
    def run(k):
      X = np.random.default_rng(0).standard_normal((k, dim)).astype(np.float16)
      m = mg.quant_job_msgs(s.cfg, X)
      return s._sim("Quantizer", m, ("cmd", "x"), ("scale", "act"))
    return s._cost(f"quant {dim}", run, n)

  def deq(s, n, dim):
    def run(k):
      rng = np.random.default_rng(0)
      m = mg.deq_job_msgs(s.cfg, rng.integers(-5000, 5000, (k, dim)), np.float32(0.7),
                          np.full(k, 9.0, dtype=np.float32))
      return s._sim("Dequantizer", m, ("cmd", "scale", "acc"), ("y",))
    return s._cost(f"deq {dim}", run, n)

  def ew(s, mode, n, dim):
    def run(k):
      X = np.random.default_rng(0).standard_normal((k, dim)).astype(np.float16)
      m = mg.ew_job_msgs(s.cfg, mode, X, X)
      srcs = ("cmd", "a") if mode == "none" else ("cmd", "a", "b")
      return s._sim("Elementwise", m, srcs, ("y",))
    return s._cost(f"ew {mode} {dim}", run, n)

  def kvw(s, n, Hkv, d):
    def run(k):
      from . import attention as A
      x = np.random.default_rng(0).standard_normal((k, Hkv, d)).astype(np.float16)
      z = np.zeros((0, Hkv, d), np.float16)
      image, kbase, _ = A.kv_image(s.cfg, z, z, k)
      m = mg.kvw_job_msgs(s.cfg, x, kbase, 0, k)
      return s._sim("KVWriter", m, ("cmd", "x"), ("ack",), image, max(d, 16))
    return s._cost(f"kvw {Hkv}x{d}", run, n)

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
      return s.linear(*j[1:])
    if kind == "rms":
      return s.rms(*j[1:])
    if kind == "quant":
      return s.quant(*j[1:])
    if kind == "deq":
      return s.deq(*j[1:])
    if kind == "ew":
      return s.ew(*j[1:])
    if kind == "kvw":
      return s.kvw(*j[1:])
    if kind == "decode":
      a, b = s.decode_fit(*j[2:])
      return int(round(a + b * j[1]))
    if kind == "prefill":
      return j[2] * s.prefill1(j[1], j[4])
    raise ValueError(f"unknown job {j}")

  # The accelerator top's sequencer (rtl_models.AccelTopRTL) starts a job's streams the cycle after issuing its
  # command and sees the job end the cycle after its last word: two cycles per job beside the unit's own count
  # (tests/top_test.py compares this model with the top's measured cycles).
  SEQ_CYCLES_PER_JOB = 2

  def cycles(s, jobs):
    """Total cycles and a breakdown per unit (and the sequencer's issue cycles)."""
    by = {}
    for j in jobs:
      u = UNIT_OF[j[0]]
      by[u] = by.get(u, 0) + s.job(j)
    by["sequencer"] = s.SEQ_CYCLES_PER_JOB * len(jobs)
    return sum(by.values()), by

  # analytic parts ------------------------------------------------------------------------------------------------

  def lm_head_cycles(s, c):
    """The LM head on the accelerator as an FP16 GEMV streamed from DDR at the modeled bandwidth (analytic)."""
    return int(np.ceil(c.vocab * c.hidden * 2 / s.cfg.ddr_bytes_per_cycle))

  def weight_bytes(s, jobs):
    """DDR bytes of the packed ternary weights the linear jobs of a (one-token) step stream."""
    cfg = s.cfg
    beats = sum(-(-j[2] // cfg.Q) * -(-j[3] // cfg.block_in) for j in jobs if j[0] == "linear")
    return beats * cfg.words_per_beat * cfg.word_bits / 8
