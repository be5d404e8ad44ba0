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
  """max |x| of a float16 vector (exact in float16; NaN if any element is NaN)."""
  a = np.abs(np.asarray(x16, dtype=F16))
  m = F16(0)
  for v in a:                      # the running maximum the hardware keeps (order is irrelevant for max)
    m = fp.maximum(m, v)
  return F16(m)


def quant_scale(absmax):
  """The BitNet activation scale: 127 / max(absmax, 1e-5) in float32 (correctly rounded division)."""
  with np.errstate(all="ignore"):
    return fp.canon(QMAX / fp.maximum(F32(absmax), ABSMAX_FLOOR)).astype(F32)


def quantize(x16, act_bits=8):
  """BitNet b1.58 per-token absmax quantization of one float16 vector:
  s = 127 / max(max|x|, 1e-5); q = clamp(rint(x * s), -128, 127), all in float32.
  Returns (q int64 [n], s float32)."""
  x16 = np.asarray(x16, dtype=F16)
  s = quant_scale(absmax16(x16))
  return fp.f32_to_int(fp.mul(x16.astype(F32), s), act_bits), F32(s)


def deq_factor(w_scale, s_x):
  """Per token: c = w_scale / s_x in float32 (w_scale = max(mean|W|, 1e-5), the inverse weight scale)."""
  with np.errstate(all="ignore"):
    return fp.canon(F32(w_scale) / F32(s_x)).astype(F32)


def dequantize(acc, w_scale, s_x):
  """Integer accumulators of one token -> float16: fp16(fp32(acc) * (w_scale / s_x))."""
  c = deq_factor(w_scale, s_x)
  return fp.f32_to_f16(fp.mul(fp.int_to_f32(acc), c))
