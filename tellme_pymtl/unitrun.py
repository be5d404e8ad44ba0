"""
ModelUnits: the accelerator's forward (tellme_pymtl.llm.AccelModel) with every unit call run through that unit's
CL or RTL model (Python simulation, or Verilator with verilog=True) in the shared harness, on the real data.

Each call builds the unit's job messages (tellme_pymtl.msgs), whose expected outputs are the golden functions';
the harness's sinks check every output beat of the model against them, so a run that completes has every
intermediate vector of every layer equal, bit for bit, at this level, and the tokens are the FL's. The KV writer
writes into a DDR model that is then compared word for word with the cache layout; attention reads the cache
from a DDR model. The cycles of every job are summed per unit (the units one after another, as the cycle model
(tellme_pymtl.perf) counts them).

The unit models are passed in ({component: {level: class}}), so this module imports no level.
"""
import numpy as np

from . import attention as A
from . import msgs as mg
from . import packing
from .ddr import DDRModel
from .harness import TestHarness, simulate
from .llm import GoldenUnits
from .perf import UNIT_OF


class UnitMismatch(AssertionError):
  pass


class ModelUnits(GoldenUnits):

  def __init__(s, cfg, models, level, npe=8, fifo_depth=1024, max_hdim=None, cmdline_opts=None):
    super().__init__(cfg, npe, fifo_depth)
    if level not in ("cl", "rtl", "verilog"):
      raise ValueError(f"ModelUnits runs cl, rtl or verilog models, not {level}")
    s.models, s.level, s.opts = models, level, cmdline_opts or {}
    s.max_hdim = max_hdim
    s.cycles = {}
    s.jobs = 0

  def _run(s, kind, comp, m, srcs, snks, image=None, args=(), ddr=None):
    if ddr is None and image is not None:
      ddr = DDRModel(s.cfg, image)
    th = TestHarness(s.models[comp][s.level](s.cfg, *args), {k: m[k] for k in srcs}, {k: m[k] for k in snks},
                     mems={"mem": ddr} if ddr is not None else None)
    r = simulate(th, verilog=(s.level == "verilog"), cmdline_opts=s.opts, max_cycles=10 ** 8)
    u = UNIT_OF[kind]
    s.cycles[u] = s.cycles.get(u, 0) + r["cycles"] - th.srcs["cmd"].fires[0]
    s.jobs += 1
    return ddr

  def _hd(s, d):
    return s.max_hdim or max(d, 16)

  def rms(s, x, g, eps):
    m = mg.rms_job_msgs(s.cfg, x, g, eps)
    s._run("rms", "RMSMax", m, ("cmd", "x", "g"), ("y", "amax"))
    return super().rms(x, g, eps)

  def quantize(s, x):
    m = mg.quant_job_msgs(s.cfg, x)
    s._run("quant", "Quantizer", m, ("cmd", "x"), ("scale", "act"))
    return super().quantize(x)

  def tlmm(s, q, W, Wf):
    for r0, rows in packing.row_tiles(s.cfg, *W.shape):
      m = mg.wpath_job_msgs(s.cfg, W[r0:r0 + rows], q)
      s._run("linear", "WeightPath", m, ("cmd", "act"), ("out",), m["image"])
    return super().tlmm(q, W, Wf)

  def dequantize(s, acc, w_scale, sx):
    m = mg.deq_job_msgs(s.cfg, acc, w_scale, sx)
    s._run("deq", "Dequantizer", m, ("cmd", "scale", "acc"), ("y",))
    return super().dequantize(acc, w_scale, sx)

  def elementwise(s, mode, a, b):
    m = mg.ew_job_msgs(s.cfg, mode, a, a if b is None else b)
    srcs = ("cmd", "a") if mode == "none" else ("cmd", "a", "b")
    s._run("ew", "Elementwise", m, srcs, ("y",))
    return super().elementwise(mode, a, b)

  def kv_write(s, x, pos, max_ctx):
    n, Hkv, d = x.shape
    z = np.zeros((0, Hkv, d), dtype=np.float16)
    empty, base, _ = A.kv_image(s.cfg, z, z, max_ctx)
    m = mg.kvw_job_msgs(s.cfg, x, base, pos, max_ctx)
    ddr = s._run("kvw", "KVWriter", m, ("cmd", "x"), ("ack",), empty, (s._hd(d),))
    full = np.zeros((pos + n, Hkv, d), dtype=np.float16)
    full[pos:] = x
    want, _, _ = A.kv_image(s.cfg, full, full, max_ctx)
    region = Hkv * max_ctx * A.words_per_vec(s.cfg, d)
    if list(ddr.image[:region]) != list(want[:region]):
      raise UnitMismatch(f"KVWriter ({s.level}) wrote a cache that differs from the layout")
    super().kv_write(x, pos, max_ctx)

  def prefill(s, q, k, v, max_ctx):
    m = mg.prefill_job_msgs(s.cfg, q, k, v, max_ctx=max_ctx, npe=s.npe)
    s._run("prefill", "PrefillAttention", m, ("cmd", "q"), ("out",), m["image"], (s.npe, s._hd(q.shape[2])))
    return super().prefill(q, k, v, max_ctx)

  def decode(s, q, k, v, max_ctx):
    m = mg.decode_job_msgs(s.cfg, q, k, v, max_ctx=max_ctx, fifo_depth=s.fifo_depth)
    s._run("decode", "DecodeAttention", m, ("cmd", "q"), ("out",), m["image"],
           (s.fifo_depth, s._hd(q.shape[2])))
    return super().decode(q, k, v, max_ctx)
