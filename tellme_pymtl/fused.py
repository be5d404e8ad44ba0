"""
Golden numerics of the fused streaming units (quantize, dequantize, RMS-MAX, element-wise), in the exact
operation order of the hardware, built from tellme_pymtl.fp (IEEE binary16/32 as numpy) and
tellme_pymtl.fp_prog (the non-linear functions). Every level calls these; nothing re-derives them.

Vectors travel as FP16 beats of Q elements; a vector of n elements is carried in ceil(n/Q) beats, the
elements past n being +0.
"""
import numpy as np

from . import fp

F32 = np.float32
F16 = np.float16
ABSMAX_FLOOR = F32(1e-5)
QMAX = F32(127.0)


def absmax16(x16):
  """max |x| over the last axis of float16 vectors (exact in float16; NaN if any element is NaN; the order the
  hardware's running maximum takes does not matter for max)."""
  return np.max(np.abs(np.asarray(x16, dtype=F16)), axis=-1)


def quant_scale(absmax):
  """The BitNet activation scale: 127 / max(absmax, 1e-5) in float32 (correctly rounded division)."""
  with np.errstate(all="ignore"):
    return fp.canon(QMAX / fp.maximum(np.asarray(absmax, dtype=F32), ABSMAX_FLOOR)).astype(F32)


def quantize(x16, act_bits=8):
  """BitNet b1.58 per-token absmax quantization of float16 vectors (the last axis; any leading axes are tokens):
  s = 127 / max(max|x|, 1e-5); q = clamp(rint(x * s), -128, 127), all in float32.
  Returns (q int64 [..., n], s float32 [...])."""
  x16 = np.asarray(x16, dtype=F16)
  s = quant_scale(absmax16(x16))
  return fp.f32_to_int(fp.mul(x16.astype(F32), s[..., None]), act_bits), s


def deq_factor(w_scale, s_x):
  """Per token: c = w_scale / s_x in float32 (w_scale = max(mean|W|, 1e-5), the inverse weight scale)."""
  with np.errstate(all="ignore"):
    return fp.canon(F32(w_scale) / F32(s_x)).astype(F32)


def dequantize(acc, w_scale, s_x):
  """Integer accumulators (the last axis; leading axes are tokens, one s_x each) -> float16:
  fp16(fp32(acc) * (w_scale / s_x))."""
  c = deq_factor(w_scale, s_x)
  return fp.f32_to_f16(fp.mul(fp.int_to_f32(acc), np.asarray(c, dtype=F32)[..., None]))


# Element-wise unit --------------------------------------------------------------------------------------------

def _flip_sign(x32):
  return (np.asarray(x32, dtype=F32).view(np.uint32) ^ np.uint32(0x80000000)).view(F32)


def ew_inputs(a16, b16):
  """The element-wise program's inputs for one beat (or any vectors, the last axis, whose pairs are adjacent):
  a, a's RoPE partner (element i^1), cos, +-sin and b, all binary32. For the pair (x0, x1) with (b0, b1) =
  (cos, sin): y0 = x0*cos + x1*(-sin), y1 = x1*cos + x0*sin."""
  a = np.asarray(fp.f16_to_f32(a16), dtype=F32)
  b = np.asarray(fp.f16_to_f32(b16), dtype=F32)
  n = a.shape[-1]
  idx = np.arange(n)
  partner = idx ^ 1
  has = partner < n
  pi = np.minimum(partner, n - 1)
  ap = np.where(has, a[..., pi], F32(0))
  bp = np.where(has, b[..., pi], F32(0))
  even = (idx & 1) == 0
  cos = np.where(even, b, bp).astype(F32)
  sin = np.where(even, _flip_sign(bp), b).astype(F32)
  return a, ap.astype(F32), cos, sin, b


def elementwise(mode, a16, b16):
  """y = fp16(op(a, b)) for mode in fp_prog.EW_MODES (none, rope, add, mult_silu, relu2)."""
  from . import fp_prog
  m = fp_prog.EW_MODES[mode] if isinstance(mode, str) else int(mode)
  ins = ew_inputs(a16, b16)
  y32 = fp_prog.run(fp_prog.EW_PROGRAM, *ins, k=(m,))
  return fp.f32_to_f16(y32).reshape(ins[0].shape)


# RMS-MAX ------------------------------------------------------------------------------------------------------

def inv_dim(n):
  """1/n rounded to binary32: the command constant of RMS-MAX."""
  return F32(1.0 / n)


def rms_max(x16, g16, Q, inv_n, eps):
  """RMSNorm with the absmax for the next quantizer, in the hardware's order. x16: float16 vectors of n
  elements (the last axis; leading axes are tokens), g16: the float16 weight [n]. Q lane partial sums of x^2 in
  binary32 (lane q takes elements q, q+Q, ...), combined lane 0 first; r = rsqrt(sum * inv_n + eps);
  y = fp16((x * r) * g); amax = max |y| (binary16).
  Returns (y float16 [..., n], amax float16 [...], r float32 [...])."""
  from . import fp_prog
  x16 = np.asarray(x16, dtype=F16)
  lead, n = x16.shape[:-1], x16.shape[-1]
  nb = -(-n // Q)
  x = np.zeros(lead + (nb * Q,), dtype=F32)
  x[..., :n] = fp.f16_to_f32(x16)
  g = np.zeros(nb * Q, dtype=F32)
  g[:n] = fp.f16_to_f32(np.asarray(g16, dtype=F16))
  sq = np.asarray(fp.mul(x, x), dtype=F32).reshape(lead + (nb, Q))
  ps = np.zeros(lead + (Q,), dtype=F32)
  with np.errstate(all="ignore"):
    for j in range(nb):                          # lane sums in beat order (a NaN stays NaN; canonical below)
      np.add(ps, sq[..., j, :], out=ps)
  ps = fp.canon(ps).astype(F32)
  tot = ps[..., 0]
  for q in range(1, Q):
    tot = np.asarray(fp.add(tot, ps[..., q]), dtype=F32)
  v = np.asarray(fp.add(fp.mul(tot, F32(inv_n)), F32(eps)), dtype=F32)
  r = fp_prog.evaluate("rsqrt", v.reshape(-1)).reshape(v.shape).astype(F32)
  y = fp.f32_to_f16(fp.mul(fp.mul(x, r[..., None]), g))[..., :n]
  return y, absmax16(y), r


RMSNORM_BOUND = 1.0e-3        # binary16 output rounding (2^-11 = 4.9e-4) plus the binary32 steps before it


def rmsnorm_max_rel_error(rng, n, Q, trials=10, eps=1e-5):
  """Max relative error of rms_max's y against float64 RMSNorm of the same binary16 inputs, over elements
  whose exact result is a normal binary16 number."""
  worst = 0.0
  for _ in range(trials):
    x = (rng.standard_normal(n) * rng.choice([0.01, 1.0, 50.0])).astype(F16)
    g = (1 + 0.3 * rng.standard_normal(n)).astype(F16)
    y, _, _ = rms_max(x, g, Q, inv_dim(n), F32(eps))
    xd, gd = x.astype(np.float64), g.astype(np.float64)
    ref = xd / np.sqrt(np.mean(xd * xd) + eps) * gd
    ok = np.abs(ref) >= 6.103515625e-05
    worst = max(worst, float(np.max(np.abs(y[ok].astype(np.float64) - ref[ok]) / np.abs(ref[ok]))))
  return worst


# The TLMM-FUSE chain ------------------------------------------------------------------------------------------

def fuse_reference(cfg, W, w_scale, X16, mode, B16=None):
  """quantize -> W . q (accumulator width) -> dequantize -> element-wise, per token, on Q-padded vectors.
  W [out, in] ternary, X16 [ntokens, in] float16, B16 [ntokens, out] float16 (mode none: unused).
  Returns float16 [ntokens, pad_out(out)] (the padded tail as the hardware computes it)."""
  from . import numerics as nx
  X16 = np.asarray(X16, dtype=F16)
  out_dim = W.shape[0]
  npad = -(-out_dim // cfg.Q) * cfg.Q
  Y = np.zeros((X16.shape[0], npad), dtype=F16)
  for t in range(X16.shape[0]):
    q, s_x = quantize(X16[t], cfg.act_bits)
    acc = np.zeros(npad, dtype=np.int64)
    acc[:out_dim] = nx.wrap_signed(nx.ternary_matmul(W, q[None, :])[0], cfg.acc_bits)
    y = dequantize(acc, w_scale, s_x)
    b = np.zeros(npad, dtype=F16)
    if B16 is not None and mode != "none":
      b[:out_dim] = np.asarray(B16[t], dtype=F16)
    Y[t] = elementwise(mode, y, b)
  return Y
