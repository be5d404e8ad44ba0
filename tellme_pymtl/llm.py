"""
The accelerator's forward pass of a BitNet model, composed of the golden numerics of its units and nothing
else (tellme_pymtl.fused, tellme_pymtl.attention, exact integer TLMM). FL runs it directly; CL and RTL
reproduce it unit by unit. Every value between units is FP16, as on the chip.

Host side (as in the paper): the embedding row of each token goes in as FP16, the final normalized hidden
state comes back as FP16 and the LM head (float32) and argmax run on the host.

Per layer, for the tokens of one step (a prompt in prefill, one token in decode):
  y  = RMS-MAX(x, in_norm)                      -> quantize -> TLMM q, k, v -> dequantize
  (each TLMM is one weight-path job per row tile of its matrix, tellme_pymtl.packing.row_tiles: a tile is
  streamed once per step and, in a prefill, replayed from the weight buffer for every token)
  q, k = element-wise ROPE (consecutive pairs: the q/k rows are permuted per head on load so that LLaMA's
         pairs (i, i + d/2) become (2i, 2i+1); q.k is unchanged by the common permutation); v: NONE
  K, V -> the KV cache (KVWriter); attention: prefill (reversed, N_pe rows) or decode (two passes)
  a  = RMS-MAX(attention out, attn_sub_norm)    -> quantize -> TLMM o -> dequantize -> ADD residual -> x
  y  = RMS-MAX(x, post_norm)                    -> quantize -> TLMM up -> dequantize (NONE)
                                                -> TLMM gate -> dequantize -> MULT_SILU / RELU2 with up
  f  = RMS-MAX(.., ffn_sub_norm)                -> quantize -> TLMM down -> dequantize -> ADD residual -> x
  final: RMS-MAX(x, norm) -> host
The units are an object (GoldenUnits here: the golden functions, the FL level); tellme_pymtl.unitrun runs the
same calls through the units' CL or RTL models, and ShapeUnits only records the jobs. Every call is recorded
in a trace of (kind, shape) jobs that the cycle model (tellme_pymtl.perf) prices.
"""
import numpy as np

from . import attention as A
from . import fp
from . import fused
from . import numerics as nx
from . import packing
from .config import ConfigError
from .model import ModelError

F16, F32 = np.float16, np.float32
BLAS_EXACT = 2 ** 24                  # float32 holds every integer below this exactly


def rope_perm(d):
  """Row order within a head that turns pairs (i, i + d/2) into (2i, 2i + 1)."""
  p = np.empty(d, dtype=np.int64)
  p[0::2] = np.arange(d // 2)
  p[1::2] = np.arange(d // 2) + d // 2
  return p


def rope_table(pos, d, heads, theta):
  """The ROPE operand b for positions pos: per head, (cos f_i, sin f_i) at elements (2i, 2i+1), FP16."""
  from .reference import rope_cos_sin
  c, s = rope_cos_sin(pos, d, theta)
  b = np.empty((len(pos), d), dtype=np.float64)
  b[:, 0::2], b[:, 1::2] = c, s
  return np.tile(b, (1, heads)).astype(F16)


class GoldenUnits:
  """The accelerator's units as their golden functions (FL). Each call records its job in s.trace."""

  def __init__(s, cfg, npe=8, fifo_depth=1024):
    s.cfg, s.npe, s.fifo_depth = cfg, npe, fifo_depth
    s.trace = []

  def rms(s, x, g, eps):
    s.trace.append(("rms", x.shape[0], x.shape[1]))
    return fused.rms_max(x, g, s.cfg.Q, fused.inv_dim(x.shape[1]), F32(eps))[0]

  def quantize(s, x):
    s.trace.append(("quant", x.shape[0], x.shape[1]))
    return fused.quantize(x, s.cfg.act_bits)

  def tlmm(s, q, W, Wf):
    """acc = W . q per token (the weight path, one job per row tile: packing.row_tiles), wrapped to the
    accumulator width; Wf: W as float32 for BLAS."""
    s.trace_linear(q.shape[0], W)
    if 128 * q.shape[1] < BLAS_EXACT:
      acc = (q.astype(F32) @ Wf.T).astype(np.int64)
    else:
      acc = q @ W.T.astype(np.int64)
    return nx.wrap_signed(acc, s.cfg.acc_bits)

  def trace_linear(s, n, W):
    s.trace.extend(("linear", n, rows, W.shape[1]) for _, rows in packing.row_tiles(s.cfg, *W.shape))

  def dequantize(s, acc, w_scale, sx):
    s.trace.append(("deq", acc.shape[0], acc.shape[1]))
    return fused.dequantize(acc, w_scale, sx)

  def elementwise(s, mode, a, b):
    s.trace.append(("ew", mode, a.shape[0], a.shape[1]))
    return fused.elementwise(mode, a, b)

  def kv_write(s, x, pos, max_ctx):
    """x [n, Hkv, d] into the cache at positions pos .. (one region: K or V)."""
    s.trace.append(("kvw",) + x.shape)

  def prefill(s, q, k, v, max_ctx):
    s.trace.append(("prefill", q.shape[0], q.shape[1], k.shape[1], q.shape[2]))
    return A.prefill(q, k, v, s.cfg.Q)

  def decode(s, q, k, v, max_ctx):
    s.trace.append(("decode", k.shape[0], q.shape[1], k.shape[1], q.shape[2]))
    return A.decode(q, k, v, s.cfg.Q, s.fifo_depth)


class ShapeUnits(GoldenUnits):
  """Records the jobs and returns zeros of the right shapes: the trace of a full-size model in no time."""

  def rms(s, x, g, eps):
    s.trace.append(("rms",) + x.shape)
    return np.zeros(x.shape, dtype=F16)

  def quantize(s, x):
    s.trace.append(("quant",) + x.shape)
    return np.zeros(x.shape, dtype=np.int64), np.ones(x.shape[0], dtype=F32)

  def tlmm(s, q, W, Wf):
    s.trace_linear(q.shape[0], W)
    return np.zeros((q.shape[0], W.shape[0]), dtype=np.int64)

  def dequantize(s, acc, w_scale, sx):
    s.trace.append(("deq",) + acc.shape)
    return np.zeros(acc.shape, dtype=F16)

  def elementwise(s, mode, a, b):
    s.trace.append(("ew", mode) + a.shape)
    return np.zeros(a.shape, dtype=F16)

  def prefill(s, q, k, v, max_ctx):
    s.trace.append(("prefill", q.shape[0], q.shape[1], k.shape[1], q.shape[2]))
    return np.zeros(q.shape, dtype=F16)

  def decode(s, q, k, v, max_ctx):
    s.trace.append(("decode", k.shape[0], q.shape[1], k.shape[1], q.shape[2]))
    return np.zeros(q.shape, dtype=F16)


def check_fits(c, cfg):
  """The model's shapes against the accelerator configuration (ConfigError naming the limit)."""
  for name, n in (("hidden", c.hidden), ("q_dim", c.q_dim), ("intermediate", c.intermediate)):
    if n > cfg.max_in_dim:
      raise ConfigError(f"the model's {name} of {n} exceeds the accelerator's max_in_dim={cfg.max_in_dim}")
  if max(c.q_dim, c.intermediate, c.hidden) > cfg.max_out_dim:
    raise ConfigError(f"the model's widest output ({max(c.q_dim, c.intermediate, c.hidden)}) exceeds "
                      f"max_out_dim={cfg.max_out_dim}")
  if A.words_per_vec(cfg, c.head_dim) > cfg.burst_len:
    raise ConfigError(f"a head vector of {c.head_dim} FP16 needs more DDR words than a burst of {cfg.burst_len}")


class AccelModel:
  """A model laid out for the accelerator (config `cfg`), with its KV cache, run on `units` (default: the
  golden functions)."""

  def __init__(s, model, cfg, max_ctx=None, npe=8, fifo_depth=1024, units=None):
    c = model.cfg
    s.m, s.cfg, s.c = model, cfg, c
    s.npe, s.fifo_depth = npe, fifo_depth
    s.units = units or GoldenUnits(cfg, npe, fifo_depth)
    s.max_ctx = min(max_ctx or c.max_pos, c.max_pos)
    check_fits(c, cfg)
    perm = np.concatenate([h * c.head_dim + rope_perm(c.head_dim) for h in range(c.heads)])
    kperm = np.concatenate([h * c.head_dim + rope_perm(c.head_dim) for h in range(c.kv_heads)])
    shape_only = isinstance(s.units, ShapeUnits)

    def lin(L, rows=None):
      W = L.W if rows is None or shape_only else L.W[rows]
      Wf = None if shape_only else (W.astype(F32) if rows is not None else L.Wf)
      return (W, Wf, L.w_scale)
    s.layers = []
    for L in model.layers:
      s.layers.append({
        "q": lin(L.q, perm), "k": lin(L.k, kperm), "v": lin(L.v), "o": lin(L.o), "gate": lin(L.gate),
        "up": lin(L.up), "down": lin(L.down),
        "in_norm": L.in_norm.astype(F16), "attn_norm": L.attn_norm.astype(F16),
        "post_norm": L.post_norm.astype(F16), "ffn_norm": L.ffn_norm.astype(F16)})
    s.norm = model.norm.astype(F16)
    s.embed16 = None if shape_only else model.embed.astype(F16)
    s.head = None if shape_only else model.lm_head.astype(F32)
    s.reset()

  def reset(s):
    c = s.c
    s.pos = 0
    s.K = [np.zeros((s.max_ctx, c.kv_heads, c.head_dim), dtype=F16) for _ in s.layers]
    s.V = [np.zeros((s.max_ctx, c.kv_heads, c.head_dim), dtype=F16) for _ in s.layers]

  def linear(s, q, sx, lin, mode, b):
    """TLMM-FUSE: the quantized tokens q [n, in] through W [out, in], dequantized, element-wise `mode`."""
    W, Wf, w_scale = lin
    u = s.units
    y = u.dequantize(u.tlmm(q, W, Wf), w_scale, sx)
    return y if mode == "none" else u.elementwise(mode, y, b)

  def layer(s, i, x, pos):
    c, P, u = s.c, s.layers[i], s.units
    n = x.shape[0]
    H, Hkv, d = c.heads, c.kv_heads, c.head_dim
    qx, sx = u.quantize(u.rms(x, P["in_norm"], c.eps))
    rb = rope_table(pos, d, H, c.rope_theta)
    q = s.linear(qx, sx, P["q"], "rope", rb)
    k = s.linear(qx, sx, P["k"], "rope", rb[:, :Hkv * d])
    v = s.linear(qx, sx, P["v"], "none", None)
    s.K[i][pos] = k.reshape(n, Hkv, d)
    s.V[i][pos] = v.reshape(n, Hkv, d)
    u.kv_write(s.K[i][pos], int(pos[0]), s.max_ctx)
    u.kv_write(s.V[i][pos], int(pos[0]), s.max_ctx)
    ctx = int(pos[-1]) + 1
    if n > 1:
      if int(pos[0]) != 0:
        raise ValueError("prefill starts at position 0")
      att = u.prefill(q.reshape(n, H, d), s.K[i][:n], s.V[i][:n], s.max_ctx)
    else:
      att = u.decode(q.reshape(1, H, d), s.K[i][:ctx], s.V[i][:ctx], s.max_ctx)
    qa, sa = u.quantize(u.rms(att.reshape(n, H * d), P["attn_norm"], c.eps))
    x = s.linear(qa, sa, P["o"], "add", x)
    qh, sh = u.quantize(u.rms(x, P["post_norm"], c.eps))
    up = s.linear(qh, sh, P["up"], "none", None)
    f = s.linear(qh, sh, P["gate"], "mult_silu" if c.act == "silu" else "relu2", up)
    qf, sf = u.quantize(u.rms(f, P["ffn_norm"], c.eps))
    return s.linear(qf, sf, P["down"], "add", x)

  def step(s, ids, trace=None):
    """Run tokens ids (the prompt, or one token) at positions pos .. pos+n-1. Returns the final normalized
    hidden state of the last position (FP16 [hidden]); the cache and position advance. The step's unit jobs
    are appended to `trace`."""
    ids = np.asarray(ids, dtype=np.int64).ravel()
    n = ids.size
    if n == 0:
      raise ValueError("no tokens to run")
    if s.pos + n > s.max_ctx:
      raise ValueError(f"context of {s.pos + n} tokens exceeds max_ctx={s.max_ctx}")
    if n > 1 and s.pos:
      raise ValueError("a prompt runs from position 0 (prefill); later tokens one at a time (decode)")
    if ids.min() < 0 or ids.max() >= s.c.vocab:
      raise ModelError(f"token id {int(ids.max() if ids.max() >= s.c.vocab else ids.min())} is outside the "
                       f"vocabulary of {s.c.vocab}")
    pos = np.arange(s.pos, s.pos + n)
    s.units.trace = []
    x = s.embed16[ids] if s.embed16 is not None else np.zeros((n, s.c.hidden), dtype=F16)
    for i in range(len(s.layers)):
      x = s.layer(i, x, pos)
    y = s.units.rms(x[-1:], s.norm, s.c.eps)[0]
    s.pos += n
    if trace is not None:
      trace.extend(s.units.trace)
    return y

  def logits(s, y16):
    """The host's LM head: float32 logits of the FP16 hidden state."""
    return np.asarray(fp.f16_to_f32(y16), dtype=F32) @ s.head.T

  def generate(s, prompt, n_new, on_token=None, traces=None):
    """Greedy: prefill the prompt, then decode n_new - 1 more tokens. Returns the generated ids."""
    s.reset()
    out = []
    tr = []
    y = s.step(prompt, tr)
    if traces is not None:
      traces.append(tr)
    for t in range(n_new):
      tok = int(np.argmax(s.logits(y)))
      out.append(tok)
      if on_token:
        on_token(t, tok)
      if t + 1 < n_new:
        tr = []
        y = s.step([tok], tr)
        if traces is not None:
          traces.append(tr)
    return out


def shape_model(c):
  """A BitNetModel of the given shapes whose matrices are zero-memory placeholders (for ShapeUnits)."""
  from .model import BitNetModel, Layer, LINEARS, NORMS, Linear
  proto = BitNetModel(c, None, [], None, None)
  sh = proto.shapes()
  z = lambda shape, dt: np.broadcast_to(np.zeros((), dtype=dt), shape)
  layers = [Layer(**{k: Linear(z(sh[k], np.int8), np.float32(1)) for k in LINEARS},
                  **{k: np.ones(sh[k], dtype=np.float32) for k in NORMS}) for _ in range(c.layers)]
  return BitNetModel(c, z((c.vocab, c.hidden), np.float32), layers, np.ones(c.hidden, np.float32),
                     z((c.vocab, c.hidden), np.float32))


def step_jobs(c, cfg, n, ctx):
  """The unit jobs of one step of n tokens ending at context ctx (n > 1: a prefill from position 0)."""
  am = AccelModel(shape_model(c), cfg, max_ctx=max(ctx, n), units=ShapeUnits(cfg))
  am.pos = ctx - n
  tr = []
  am.step(np.zeros(n, dtype=np.int64), tr)
  return tr
