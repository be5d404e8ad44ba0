"""
Golden floating-point numerics: IEEE 754 binary16 / binary32 operations as numpy does them, with the
project's policy for the cases numpy leaves open. The RTL FP library (rtl_models/FP*RTL.py) equals these bit
for bit; every FL model calls them.

Policy
- Round to nearest, ties to even, for every operation and conversion.
- Subnormals are kept (no flush), in inputs and results, as numpy does.
- Infinities as IEEE: overflow rounds to ±inf; inf - inf, 0 * inf give NaN.
- NaN: every NaN result is the canonical quiet NaN, sign 0, exponent all ones, fraction MSB set
  (0x7E00 / 0x7FC00000). numpy's NaN payloads and signs depend on the CPU (x86 makes -NaN), so the golden
  functions canonicalize.
- maximum: IEEE 754-2019 maximum: a NaN operand gives NaN, and -0 < +0. This is numpy.maximum except for the sign
  of the zero that max(+0, -0) returns, which numpy itself resolves differently per dtype (float16 returns the
  first operand, float32 and float64 the second).
- float -> int8: clamp(rint(x), -128, 127), NaN -> 0.

numpy's float16 arithmetic rounds a float32 result to float16; since 24 >= 2*11 + 2, that double rounding is
exact for +, -, *, so it equals correctly rounded binary16 arithmetic.
"""
import numpy as np

F16 = (5, 10)
F32 = (8, 23)
CNAN16 = 0x7E00
CNAN32 = 0x7FC00000


def dtype_of(fmt):
  return np.float16 if fmt == F16 else np.float32


def _udtype(fmt):
  return np.uint16 if fmt == F16 else np.uint32


def canon(x):
  """Replace every NaN by the canonical quiet NaN (in place of a copy)."""
  x = np.array(x)
  if x.dtype == np.float16:
    bits = x.view(np.uint16)
    return np.where(np.isnan(x), np.uint16(CNAN16), bits).view(np.float16)
  bits = x.astype(np.float32).view(np.uint32)
  return np.where(np.isnan(x), np.uint32(CNAN32), bits).view(np.float32)


def to_bits(x, fmt):
  return np.asarray(canon(np.asarray(x, dtype=dtype_of(fmt)))).view(_udtype(fmt))


def from_bits(b, fmt):
  return np.asarray(b, dtype=_udtype(fmt)).view(dtype_of(fmt))


def _op(fn, *args):
  with np.errstate(all="ignore"):
    r = np.asarray(fn(*args))
  if r.dtype == np.float32 or r.dtype == np.float16:
    if not np.isnan(r).any():                 # the common case: nothing to canonicalize
      return r
  return canon(r)


def add(a, b):
  return _op(np.add, a, b)


def sub(a, b):
  return _op(np.subtract, a, b)


def mul(a, b):
  return _op(np.multiply, a, b)


def maximum(a, b):
  r = _op(np.maximum, a, b)
  both_zero = (np.asarray(a) == 0) & (np.asarray(b) == 0)
  plus = ~(np.signbit(a) & np.signbit(b))
  return np.where(both_zero & plus, np.zeros_like(r), r)


def minimum(a, b):
  """IEEE 754-2019 minimum: NaN propagates, -0 < +0."""
  r = _op(np.minimum, a, b)
  both_zero = (np.asarray(a) == 0) & (np.asarray(b) == 0)
  minus = np.signbit(a) | np.signbit(b)
  return np.where(both_zero & minus, -np.zeros_like(r), np.where(both_zero, np.zeros_like(r), r))


def f16_to_f32(x):
  return _op(lambda v: np.asarray(v, dtype=np.float16).astype(np.float32), x)


def f32_to_f16(x):
  return _op(lambda v: np.asarray(v, dtype=np.float32).astype(np.float16), x)


def int_to_f32(v):
  """Signed integers to float32 (rounded to nearest even beyond 2^24)."""
  return np.asarray(v, dtype=np.int64).astype(np.float32)


def f32_to_int(x, nbits=8):
  """clamp(rint(x), -2^(n-1), 2^(n-1)-1), NaN -> 0."""
  x = np.asarray(x, dtype=np.float32)
  lo, hi = -(1 << (nbits - 1)), (1 << (nbits - 1)) - 1
  with np.errstate(all="ignore"):
    r = np.clip(np.rint(np.where(np.isnan(x), 0, x)), lo, hi)
  return r.astype(np.int64)
