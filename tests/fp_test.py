"""
The RTL floating-point library equals numpy (tellme_pymtl.fp, with its NaN policy) bit for bit: random
operands and every special class (±0, subnormals, ±inf, NaNs, overflow, exact rounding ties), in the Python
simulation and, with --test-verilog, through Verilator.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pymtl3 import DefaultPassGroup
from pymtl3.passes.backends.verilog import VerilogPlaceholderPass, VerilogTranslationImportPass

from rtl_models.FPLibRTL import FPLibRTL
from tellme_pymtl import fp

from .conftest import need_level

SPECIAL16 = [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00,
             0x7E00, 0xFE00, 0x7C01, 0x7D55, 0x3C00, 0xBC00, 0x3C01, 0x3BFF, 0x0200, 0x1400, 0x5BFF, 0x7800]
SPECIAL32 = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x80800000,
             0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x3F800000,
             0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x00400000, 0x4B000000, 0x43000000, 0x42FE0000, 0x7F000000]


def pattern(nbits, specials):
  """Bit patterns: uniform, special classes, and values with few exponent bits apart (cancellation, ties)."""
  return st.one_of(st.integers(0, (1 << nbits) - 1), st.sampled_from(specials),
                   st.integers(0, (1 << nbits) - 1).map(lambda v: v & ~((1 << (nbits - 8)) - 1)))


def tie_pairs(E, M):
  """(a, b) whose exact sum or product lies exactly halfway between two representable values."""
  W = 1 + E + M
  def mk(draw):
    e = draw(st.integers(M + 2, (1 << E) - 3))
    fa = draw(st.integers(0, (1 << M) - 1))
    sa = draw(st.integers(0, 1))
    a = (sa << (W - 1)) | (e << M) | fa
    # b = half an ulp of a (same or opposite sign), possibly plus a sticky-free extra
    sb = draw(st.integers(0, 1))
    b = (sb << (W - 1)) | ((e - M - 1) << M)
    return a, b
  return st.composite(lambda draw: mk(draw))()


def underflow_pairs(E, M):
  """(a, b) whose product lies around the subnormal range (exponent sum within M + 3 of the bottom: the round-pack's
  right shift, its left shift by exp - 1, and subnormal x normal products that come out normal)."""
  W, BIAS = 1 + E + M, (1 << (E - 1)) - 1
  def mk(draw):
    ea = draw(st.integers(0, (1 << E) - 2))
    lo, hi = max(0, BIAS - M - 3 - ea), min((1 << E) - 2, BIAS + 3 - ea)
    eb = draw(st.integers(lo, max(lo, hi)))
    a = (draw(st.integers(0, 1)) << (W - 1)) | (ea << M) | draw(st.integers(0, (1 << M) - 1))
    b = (draw(st.integers(0, 1)) << (W - 1)) | (eb << M) | draw(st.integers(0, (1 << M) - 1))
    return a, b
  return st.composite(lambda draw: mk(draw))()


class FPLib:
  """The RTL library simulated once per session (Python) or imported once (Verilator)."""
  _cache = {}

  @classmethod
  def get(cls, verilog):
    if verilog not in cls._cache:
      m = FPLibRTL()
      m.elaborate()
      if verilog:
        m.set_metadata(VerilogTranslationImportPass.enable, True)
        m.apply(VerilogPlaceholderPass())
        m = VerilogTranslationImportPass()(m)
      m.apply(DefaultPassGroup(linetrace=False))
      m.sim_reset()
      cls._cache[verilog] = m
    return cls._cache[verilog]


def evaluate(m, **inputs):
  """Apply each vector of inputs, return the outputs as lists of ints."""
  n = len(next(iter(inputs.values())))
  outs = {k: [] for k in ("add16", "mul16", "max16", "f16to32", "mul16to32", "add32", "mul32", "max32", "f32to16",
                          "f32toi8", "i24tof32")}
  for i in range(n):
    for k, v in inputs.items():
      port = getattr(m, k)
      port @= int(v[i])
    m.sim_eval_combinational()
    for k in outs:
      outs[k].append(int(getattr(m, k)))
  return {k: np.array(v, dtype=np.uint64) for k, v in outs.items()}


def check16(m, a, b, sub):
  fa, fb = fp.from_bits(np.array(a, dtype=np.uint16), fp.F16), fp.from_bits(np.array(b, dtype=np.uint16), fp.F16)
  o = evaluate(m, a16=a, b16=b, sub16=sub)
  want_add = np.where(np.array(sub, dtype=bool), fp.to_bits(fp.sub(fa, fb), fp.F16), fp.to_bits(fp.add(fa, fb), fp.F16))
  for name, want in (("add16", want_add), ("mul16", fp.to_bits(fp.mul(fa, fb), fp.F16)),
                     ("max16", fp.to_bits(fp.maximum(fa, fb), fp.F16)),
                     ("f16to32", fp.to_bits(fp.f16_to_f32(fa), fp.F32)),
                     ("mul16to32", fp.to_bits(fp.mul(fp.f16_to_f32(fa), fp.f16_to_f32(fb)), fp.F32))):
    bad = np.nonzero(o[name] != want.astype(np.uint64))[0]
    assert not bad.size, f"{name}({a[bad[0]]:#06x}, {b[bad[0]]:#06x}, sub={sub[bad[0]]}) = " \
                         f"{int(o[name][bad[0]]):#x}, numpy {int(want[bad[0]]):#x}"


def check32(m, a, b, sub, ints):
  fa, fb = fp.from_bits(np.array(a, dtype=np.uint32), fp.F32), fp.from_bits(np.array(b, dtype=np.uint32), fp.F32)
  o = evaluate(m, a32=a, b32=b, sub32=sub, i24=[v & 0xFFFFFF for v in ints])
  want_add = np.where(np.array(sub, dtype=bool), fp.to_bits(fp.sub(fa, fb), fp.F32), fp.to_bits(fp.add(fa, fb), fp.F32))
  for name, want in (("add32", want_add), ("mul32", fp.to_bits(fp.mul(fa, fb), fp.F32)),
                     ("max32", fp.to_bits(fp.maximum(fa, fb), fp.F32)),
                     ("f32to16", fp.to_bits(fp.f32_to_f16(fa), fp.F16)),
                     ("f32toi8", fp.f32_to_int(fa, 8) & 0xFF),
                     ("i24tof32", fp.to_bits(fp.int_to_f32(ints), fp.F32))):
    bad = np.nonzero(o[name] != np.asarray(want).astype(np.uint64))[0]
    assert not bad.size, f"{name}({a[bad[0]]:#010x}, {b[bad[0]]:#010x}, sub={sub[bad[0]]}, i={ints[bad[0]]}) = " \
                         f"{int(o[name][bad[0]]):#x}, numpy {int(np.asarray(want)[bad[0]]):#x}"


def _levels():
  return ["rtl", "verilog"]


@pytest.mark.parametrize("level", _levels())
def test_fp16_specials_all_pairs(level, cmdline_opts):
  need_level(level, cmdline_opts)
  m = FPLib.get(level == "verilog")
  pairs = [(a, b) for a in SPECIAL16 for b in SPECIAL16]
  check16(m, [p[0] for p in pairs], [p[1] for p in pairs], [i & 1 for i in range(len(pairs))])


@pytest.mark.parametrize("level", _levels())
def test_fp32_specials_all_pairs(level, cmdline_opts):
  need_level(level, cmdline_opts)
  m = FPLib.get(level == "verilog")
  pairs = [(a, b) for a in SPECIAL32 for b in SPECIAL32]
  ints = [(i * 2654435761) % (1 << 24) - (1 << 23) for i in range(len(pairs))]
  check32(m, [p[0] for p in pairs], [p[1] for p in pairs], [i & 1 for i in range(len(pairs))], ints)


@pytest.mark.parametrize("level", _levels())
def test_fp16_widen_exhaustive(level, cmdline_opts):
  """Every binary16 value widens exactly (and max/add/mul of it with a fixed partner match numpy): all 65536
  under Verilator, every 5th in the Python simulation."""
  need_level(level, cmdline_opts)
  m = FPLib.get(level == "verilog")
  a = list(range(0, 1 << 16, 5 if level == "rtl" else 1))
  check16(m, a, [0x3C00] * len(a), [0] * len(a))


def _property(level, E, M, specials):
  W = 1 + E + M

  @settings(max_examples=60)
  @given(st.lists(st.tuples(pattern(W, specials), pattern(W, specials), st.integers(0, 1)), min_size=1, max_size=40),
         st.lists(tie_pairs(E, M), min_size=1, max_size=10),
         st.lists(underflow_pairs(E, M), min_size=1, max_size=20),
         st.lists(st.integers(-(1 << 23), (1 << 23) - 1), min_size=50, max_size=50))
  def prop(vecs, ties, tiny, ints):
    m = FPLib.get(level == "verilog")
    a = [v[0] for v in vecs] + [t[0] for t in ties] + [t[1] for t in ties] + [u[0] for u in tiny]
    b = [v[1] for v in vecs] + [t[1] for t in ties] + [t[0] for t in ties] + [u[1] for u in tiny]
    sub = [v[2] for v in vecs] + [0] * len(ties) + [1] * len(ties) + [1] * len(tiny)
    if W == 16:
      check16(m, a, b, sub)
    else:
      check32(m, a, b, sub, (ints * (len(a) // len(ints) + 1))[:len(a)])
  return prop


@pytest.mark.parametrize("level", _levels())
@pytest.mark.parametrize("fmt", ["fp16", "fp32"])
def test_fp_random_and_ties(fmt, level, cmdline_opts):
  need_level(level, cmdline_opts)
  if fmt == "fp16":
    _property(level, 5, 10, SPECIAL16)()
  else:
    _property(level, 8, 23, SPECIAL32)()


def test_rounding_tie_examples():
  """Ties go to even in the golden functions themselves (a check of the reference, not of the RTL)."""
  one = np.float16(1.0)
  assert fp.to_bits(fp.add(one, np.float16(2.0 ** -11)), fp.F16) == 0x3C00             # 1 + half ulp -> 1
  assert fp.to_bits(fp.add(np.float16(1 + 2.0 ** -10), np.float16(2.0 ** -11)), fp.F16) == 0x3C02
  assert list(fp.f32_to_int(np.float32([0.5, 1.5, 2.5, -0.5, -2.5, 127.5, -128.5, 300, np.nan]))) == \
    [0, 2, 2, 0, -2, 127, -128, 127, 0]


def test_magnitude_max_is_the_fp16_maximum_chain():
  """MagMaxRTL (the quantizer's and RMS-MAX's absmax) equals the chain of binary16 maxima (tellme_pymtl.fp.maximum)
  it replaced, on every magnitude class: zeros, subnormals, normals, infinity and NaNs with any payload."""
  from rtl_models.MagMaxRTL import MagMaxRTL
  m = MagMaxRTL(4)
  m.elaborate()
  m.apply(DefaultPassGroup(linetrace=False))
  m.sim_reset()
  rng = np.random.default_rng(5)
  mags = np.concatenate([np.arange(0, 0x8000, 7), [0, 1, 0x3FF, 0x400, 0x7BFF, 0x7C00, 0x7C01, 0x7E00, 0x7FFF]])
  seen_nan = 0
  for _ in range(3000):
    acc = int(rng.choice([0, 0x7E00] + list(rng.choice(mags, 3))))
    xs = [int(v) for v in rng.choice(mags, 4)]
    want = np.uint16(acc).view(np.float16)
    for x in xs:
      want = fp.maximum(want, np.uint16(x).view(np.float16))
    m.acc @= acc
    for i, x in enumerate(xs):
      m.in_[i] @= x
    m.sim_eval_combinational()
    assert int(m.out) == int(fp.to_bits(want, fp.F16)), (hex(acc), [hex(x) for x in xs])
    seen_nan += int(m.out) == 0x7E00
  assert seen_nan > 100
