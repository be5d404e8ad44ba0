"""
Non-linear functions as fixed programs of binary32 operations: exp, reciprocal, rsqrt, SiLU.

A program is a list of operations over a few float32 registers R[] and small integer registers K[] (KB-bit
two's complement). The FL evaluates a program with numpy (`run`, vectorized over elements); the RTL
(rtl_models/FPProgRTL.py) builds one pipeline stage per operation from the same list. Since every operation is
defined bit-exactly here (IEEE operations from tellme_pymtl.fp, bit manipulations on the float32 encoding),
FL and RTL agree bit for bit by construction.

Operations (d: destination, a/b: register numbers or ("c", float) constants)
  ("mul", d, a, b)  ("add", d, a, b)  ("sub", d, a, b)  ("max", d, a, b)  ("min", d, a, b)   IEEE binary32
  ("rndi", k, a)     K[k] = clamp(rint(R[a]), KB-bit range), NaN -> 0
  ("i2f", d, k)      R[d] = float32(K[k])
  ("mant", d, a)     R[d] = R[a]'s fraction with exponent field 127 and sign 0 (in [1, 2) for normals)
  ("expo", k, a)     K[k] = R[a]'s exponent field - 127
  ("odd", d, k)      if K[k] is odd: R[d] exponent field + 1 (x2) and K[k] -= 1       (rsqrt's range fold)
  ("tab", d, a, T)   R[d] = table T[index], index = (exponent field bit 0 if T.ebit) . top T.fbits of fraction
  ("ktab", d, k, T)  R[d] = T.bits[i], i = (K[k] + T.off) mod 2^KB; 0 when i >= len(T.bits)   (KTable)
  ("scl", d, a, k, mode)  R[d] = R[a] * 2^s, s = K[k] (mode "pos"), -K[k] ("neg"), -(K[k] >> 1) ("neghalf"),
                     correctly rounded (subnormal results, overflow to inf); NaN/inf/0 pass
  ("sgn", d, a, b)   R[d] = |R[a]| with R[b]'s sign
  ("sel", d, k, regs)  R[d] = R[regs[K[k]]] (regs[0] when K[k] is out of range)
  ("fix", d, a, rules)  the first rule whose class R[a] is in gives R[d] a constant; classes: nan, pinf, ninf,
                     zero, sub (subnormal), neg (negative, not NaN)

Accuracy against float64 (max relative error, measured by `tellme bench fp` and bounded by tests/fp_prog_test.py):
see ACCURACY below and the domains it gives.
"""
import hashlib
import math

import numpy as np

from . import fp

KB = 10                                # bits of the integer registers
KMIN, KMAX = -(1 << (KB - 1)), (1 << (KB - 1)) - 1
F32_NAN = fp.CNAN32
F32_PINF, F32_NINF = 0x7F800000, 0xFF800000
F32_PZERO, F32_NZERO = 0x00000000, 0x80000000


LN2_HI = 0.693359375                   # 0x3F318000: 9 significant bits
LN2_LO = math.log(2.0) - LN2_HI


def f32bits(x):
  return int(np.array(x, dtype=np.float32).view(np.uint32))


class Table:
  """A seed table indexed by (optionally) the exponent's low bit and the top fraction bits."""

  def __init__(s, name, ebit, fbits, fn):
    s.name, s.ebit, s.fbits = name, ebit, fbits
    n = 1 << (fbits + ebit)
    vals = []
    for i in range(n):
      f = i & ((1 << fbits) - 1)
      e = (i >> fbits) if ebit else 0
      # exponent field bit 0: 1 for values in [1, 2) (field 127), 0 for [2, 4) (field 128)
      scale = 1.0 if (not ebit or e == 1) else 2.0
      mid = scale * (1.0 + (f + 0.5) / (1 << fbits))
      vals.append(f32bits(fn(mid)))
    s.bits = np.array(vals, dtype=np.uint32)

  def __repr__(s):
    # stable across processes (it names the RTL stage that holds the table, and Verilog is cached by its text)
    return f"Table({s.name}, e{s.ebit}, f{s.fbits}, {hashlib.sha1(s.bits.tobytes()).hexdigest()[:8]})"

  def index(s, rbits):
    rbits = np.asarray(rbits, dtype=np.uint32)
    idx = (rbits >> np.uint32(23 - s.fbits)) & np.uint32((1 << s.fbits) - 1)
    if s.ebit:
      idx = idx | (((rbits >> np.uint32(23)) & np.uint32(1)) << np.uint32(s.fbits))
    return idx


class KTable:
  """A table of binary32 constants indexed by an integer register plus an offset (the "ktab" operation)."""

  def __init__(s, name, off, vals):
    s.name, s.off = name, off
    s.bits = np.array([f32bits(v) for v in vals], dtype=np.uint32)

  def __repr__(s):
    return f"KTable({s.name}, {s.off}, {hashlib.sha1(s.bits.tobytes()).hexdigest()[:8]})"

  def index(s, k):
    return (np.asarray(k, dtype=np.int64) + s.off) & ((1 << KB) - 1)

  def lookup(s, k):
    i = s.index(k)
    return np.where(i < len(s.bits), s.bits[np.minimum(i, len(s.bits) - 1)], np.uint32(0)).astype(np.uint32)


def _sigmoid(x):
  if x >= 0:
    return 1.0 / (1.0 + math.exp(-x))
  e = math.exp(x)
  return e / (1.0 + e)


def _cheb_cubic(f, i, h):
  """Monomial coefficients c0..c3 (in u) of the cubic interpolating f((i + u) / h) at the 4 Chebyshev nodes of
  u in [-1/2, 1/2] (pure Python floats: the same constants on every machine)."""
  n = 4
  us = [0.5 * math.cos((2 * j + 1) * math.pi / (2 * n)) for j in range(n)]
  c = [0.0] * n
  for j in range(n):
    p, den = [1.0], 1.0
    for m in range(n):
      if m != j:
        p = [0.0] + p                               # p *= (u - us[m])
        for q in range(len(p) - 1):
          p[q] -= us[m] * p[q + 1]
        den *= us[j] - us[m]
    y = f((i + us[j]) / h)
    for q in range(n):
      c[q] += y * p[q] / den
  return c


# SiLU's sigmoid: cubic pieces of width 1/SIG_H over [SIG_LO, SIG_HI], one per integer i = rint(8x).
SIG_H, SIG_LO, SIG_HI = 8, -32.0, 17.0


def _cubic_tables(name, f, h, i0, i1):
  """The coefficient tables c0..c3 of the cubic pieces of f((i + u) / h), i = i0 .. i1, read at K = i."""
  cs = [_cheb_cubic(f, i, h) for i in range(i0, i1 + 1)]
  return [KTable(f"{name}_c{q}", -i0, [c[q] for c in cs]) for q in range(4)]


SIG_TABLES = _cubic_tables("sig", _sigmoid, SIG_H, int(SIG_LO * SIG_H), int(SIG_HI * SIG_H))

# exp's reduced argument: cubic pieces of width 1/EXP_H over |f| <= 0.35 (j = rint(32f) in [-12, 12]).
EXP_H, EXP_J = 32, 12
EXP_TABLES = _cubic_tables("exp", math.exp, EXP_H, -EXP_J, EXP_J)
RECIP_TABLE = Table("recip", 0, 6, lambda m: 1.0 / m)
RSQRT_TABLE = Table("rsqrt", 1, 5, lambda m: 1.0 / math.sqrt(m))


class Program:
  """An operation list with its register counts; R[0 .. nin-1] and K[0 .. nkin-1] are the inputs, `result` is
  the register holding the output."""

  def __init__(s, name, ops, nr, nk, result, nin=1, nkin=0):
    s.name, s.ops, s.nr, s.nk, s.result, s.nin, s.nkin = name, ops, nr, nk, result, nin, nkin

  def __len__(s):
    return len(s.ops)

  def __repr__(s):
    return f"Program({s.name}, {hashlib.sha1(repr(s.ops).encode()).hexdigest()[:8]})"


class _Builder:
  def __init__(s, nin=1, nkin=0):
    s.ops, s.nr, s.nk = [], nin, nkin   # the inputs occupy the first registers

  def r(s):
    s.nr += 1
    return s.nr - 1

  def k(s):
    s.nk += 1
    return s.nk - 1

  def op(s, *o):
    s.ops.append(o)
    return o[1]


def _c(v):
  return ("c", float(np.float32(v)))


def _exp_into(b, x):
  """Emit exp(R[x]); returns the result register. x is clamped to [-110, 110] (exp underflows to 0 and
  overflows to inf beyond), k = rint(x*log2(e)), f = x - k*ln2_hi - k*ln2_lo (Cody-Waite: ln2_hi has 9
  significant bits, so k*ln2_hi is exact for |k| <= 159), |f| <= 0.35; exp(f) by table: j = rint(32f),
  u = 32f - j in [-1/2, 1/2] (both exact), a cubic in u per j (EXP_TABLES: exp((j + u)/32), Chebyshev
  interpolated), then scaled by 2^k. 7 multiplies and 6 additions (a degree-7 polynomial over the whole of
  |f| <= 0.35 took 10 and 9, for the same accuracy)."""
  c = b.op("max", b.r(), x, _c(-110.0))
  b.op("min", c, c, _c(110.0))
  t = b.op("mul", b.r(), c, _c(1.4426950408889634))
  k = b.op("rndi", b.k(), t)
  fk = b.op("i2f", t, k)
  f = b.r()
  b.op("mul", f, fk, _c(LN2_HI))
  b.op("sub", f, c, f)
  b.op("mul", fk, fk, _c(LN2_LO))
  b.op("sub", f, f, fk)
  b.op("mul", f, f, _c(float(EXP_H)))              # exact: a power of two
  j = b.op("rndi", b.k(), f)
  u = b.op("i2f", fk, j)
  b.op("sub", u, f, u)                              # exact (|32f - j| <= 1/2)
  return _cubic_into(b, c, u, j, EXP_TABLES, k)


def _cubic_into(b, p, u, j, tables, k=None):
  """p = ((c3 u + c2) u + c1) u + c0, the coefficients looked up by K[j] (KTables); times 2^K[k] when k is
  given. p is a free register; returns it."""
  b.op("ktab", p, j, tables[3])
  c = b.r()
  for q in (2, 1, 0):
    b.op("mul", p, p, u)
    b.op("ktab", c, j, tables[q])
    b.op("add", p, p, c)
  if k is not None:
    b.op("scl", p, p, k, "pos")
  return p


def _recip_into(b, x):
  """Emit 1/R[x]: 64-entry seed on the fraction, two Newton steps r = r*(2 - m*r), scaled by 2^-e."""
  m = b.op("mant", b.r(), x)
  e = b.op("expo", b.k(), x)
  r = b.op("tab", b.r(), m, RECIP_TABLE)
  q = b.r()
  for _ in range(2):
    b.op("mul", q, m, r)
    b.op("sub", q, _c(2.0), q)
    b.op("mul", r, r, q)
  b.op("scl", r, r, e, "neg")
  b.op("sgn", r, r, x)
  b.op("fix", r, x, (("nan", F32_NAN), ("zero", "inf_signed"), ("sub", "inf_signed"), ("pinf", F32_PZERO),
                     ("ninf", F32_NZERO)))
  return r


def exp_program():
  b = _Builder()
  y = _exp_into(b, 0)
  return Program("exp", b.ops, b.nr, b.nk, y)


def recip_program():
  b = _Builder()
  r = _recip_into(b, 0)
  return Program("recip", b.ops, b.nr, b.nk, r)


def rsqrt_program():
  """1/sqrt(x): fold the exponent to even (m in [1, 4)), 64-entry seed, two Newton steps
  r = r*(1.5 - (m/2)*r*r), scaled by 2^(-e/2)."""
  b = _Builder()
  m = b.op("mant", b.r(), 0)
  e = b.op("expo", b.k(), 0)
  b.op("odd", m, e)
  r = b.op("tab", b.r(), m, RSQRT_TABLE)
  h = b.op("mul", b.r(), m, _c(0.5))
  q = b.r()
  for _ in range(2):
    b.op("mul", q, r, r)
    b.op("mul", q, h, q)
    b.op("sub", q, _c(1.5), q)
    b.op("mul", r, r, q)
  b.op("scl", r, r, e, "neghalf")
  b.op("fix", r, 0, (("nan", F32_NAN), ("zero", "inf_signed"), ("neg", F32_NAN), ("sub", F32_PINF),
                     ("pinf", F32_PZERO)))
  return Program("rsqrt", b.ops, b.nr, b.nk, r)


def _silu_into(b, x):
  """Emit silu(R[x]) = lo * sigmoid(c), lo = max(R[x], -32), c = min(lo, 17): the sigmoid by table, a cubic
  piece per 1/8 (i = rint(8c), u = 8c - i in [-1/2, 1/2], Chebyshev-interpolated coefficients, Horner in
  binary32). The paper's SiLU is a 64-entry table; this one is as accurate as the exp + reciprocal program it
  replaces (ACCURACY) with 6 multiplies and 4 additions instead of 17 and 12. Beyond the table: sigmoid(17) is 1
  within 4e-8; below -32, silu(-32) = -4e-13 stands for every smaller input (the true value is closer to 0)."""
  lo, c, k, u = _silu_reduce(b, x)
  p = _cubic_into(b, c, u, k, SIG_TABLES)           # c is free again
  return _silu_finish(b, x, lo, p)


def _silu_reduce(b, x):
  """SiLU's first part: lo = max(R[x], -32), c = min(lo, 17), K[k] = rint(8c), u = 8c - K[k]; returns (lo, c, k, u)
  (c holds 8c)."""
  lo = b.op("max", b.r(), x, _c(SIG_LO))
  c = b.op("min", b.r(), lo, _c(SIG_HI))
  b.op("mul", c, c, _c(float(SIG_H)))              # exact: a power of two, no overflow after the clamp
  k = b.op("rndi", b.k(), c)
  u = b.op("i2f", b.r(), k)
  b.op("sub", u, c, u)                              # exact (|8c - i| <= 1/2)
  return lo, c, k, u


def _silu_finish(b, x, lo, p):
  """SiLU's last part: lo times the sigmoid in R[p], NaN and -inf inputs fixed; returns the result register (p)."""
  y = b.op("mul", p, lo, p)
  b.op("fix", y, x, (("nan", F32_NAN), ("ninf", F32_NZERO)))
  return y


def silu_program():
  b = _Builder()
  y = _silu_into(b, 0)
  return Program("silu", b.ops, b.nr, b.nk, y)


EW_MODES = {"none": 0, "rope": 1, "add": 2, "mult_silu": 3, "relu2": 4}


def elementwise_program():
  """The element-wise unit's per-element computation, every mode at once, selected by K[0] (EW_MODES).
  Inputs: R0 = a, R1 = a's RoPE partner, R2 = cos, R3 = +-sin (signed so that y = R0*R2 + R1*R3), R4 = b.
    none: a;  rope: a*cos + partner*(+-sin);  add: a + b;  mult_silu: silu(a) * b;  relu2: max(a, 0)^2 * b
  RoPE's two products and its (and ADD's) sum run on the SiLU cubic's first two multiplies and second addition,
  their operands picked by the mode ("sel"; the cubic's registers are free outside mult_silu), as
  partner*sin + a*cos (IEEE addition commutes bit for bit); mult_silu and relu2 share the multiply by b."""
  b = _Builder(nin=5, nkin=1)
  m = EW_MODES
  rope, add = m["rope"], m["add"]
  relu = b.op("max", b.r(), 0, _c(0.0))
  b.op("mul", relu, relu, relu)
  # silu(a) as _silu_into, with RoPE and ADD threaded through its cubic's multiplies and an addition
  lo, c, k, u = _silu_reduce(b, 0)
  p, t = c, b.r()
  ac, s = b.r(), b.r()                              # RoPE's a*cos; RoPE's and ADD's sum
  b.op("ktab", p, k, SIG_TABLES[3])
  b.op("sel", p, 0, _by_mode({rope: 0}, p))
  b.op("sel", u, 0, _by_mode({rope: 2}, u))
  b.op("mul", p, p, u)                              # c3*u, or a*cos
  b.op("sel", ac, 0, _by_mode({rope: p}, ac))
  b.op("ktab", t, k, SIG_TABLES[2])
  b.op("add", p, p, t)
  b.op("sel", p, 0, _by_mode({rope: 1}, p))
  b.op("sel", u, 0, _by_mode({rope: 3}, u))
  b.op("mul", p, p, u)                              # (..)*u, or partner*sin
  b.op("sel", p, 0, _by_mode({add: 0}, p))
  b.op("ktab", t, k, SIG_TABLES[1])
  b.op("sel", t, 0, _by_mode({rope: ac, add: 4}, t))
  b.op("add", p, p, t)                              # + c1, or partner*sin + a*cos, or a + b
  b.op("sel", s, 0, _by_mode({rope: p, add: p}, s))
  b.op("mul", p, p, u)
  b.op("ktab", t, k, SIG_TABLES[0])
  b.op("add", p, p, t)
  y = _silu_finish(b, 0, lo, p)
  # mult_silu and relu2 share the multiply by b
  b.op("sel", y, 0, _by_mode({m["relu2"]: relu}, y))
  b.op("mul", y, y, 4)
  out = b.op("sel", b.r(), 0, _by_mode({rope: s, add: s, m["mult_silu"]: y, m["relu2"]: y}, 0))
  return Program("elementwise", b.ops, b.nr, b.nk, out, nin=5, nkin=1)


def _by_mode(picks, other):
  """A "sel" register list over the EW_MODES: picks[mode] for the modes named, `other` for the rest (and for an
  out-of-range mode, which reads entry 0)."""
  return tuple(picks.get(i, other) for i in range(max(EW_MODES.values()) + 1))


def combine_scale_program(lanes):
  """The dot product's end: the lanes' partial sums added in lane order, times the scale (input lanes)."""
  b = _Builder(nin=lanes + 1)
  t = b.r()
  if lanes == 1:
    b.op("mul", t, 0, lanes)
  else:
    b.op("add", t, 0, 1)
    for l in range(2, lanes):
      b.op("add", t, t, l)
    b.op("mul", t, t, lanes)
  return Program(f"combine{lanes}", b.ops, b.nr, b.nk, t, nin=lanes + 1)


def combine_stages(lanes, fold):
  """The combine program's lanes - 1 additions folded onto adders of `fold` consecutive additions each (the
  last adder the rest): the additions per adder (rtl_models/LaneCombineRTL.py; its timing in the CL models)."""
  n = lanes - 1
  return [min(fold, n - k) for k in range(0, n, fold)]


PROGRAMS = {"exp": exp_program(), "recip": recip_program(), "rsqrt": rsqrt_program(), "silu": silu_program()}
EW_PROGRAM = elementwise_program()

# Accuracy against float64 (max relative error) on the stated domains, for results that are normal binary32
# numbers; tests/fp_prog_test.py checks these bounds on dense and random samples.
ACCURACY = {
  "exp":   {"bound": 2.0e-7, "domain": (-87.0, 88.0)},
  "recip": {"bound": 2.5e-7, "domain": (1.2e-38, 8.0e37)},      # and the negatives
  "rsqrt": {"bound": 2.5e-7, "domain": (1.2e-38, 3.0e38)},
  "silu":  {"bound": 4.0e-7, "domain": (-32.0, 80.0)},
}


# The FL interpreter --------------------------------------------------------------------------------------------

def _classes(bits):
  ex = (bits >> np.uint32(23)) & np.uint32(0xFF)
  fr = bits & np.uint32(0x7FFFFF)
  sg = (bits >> np.uint32(31)).astype(bool)
  return {
    "nan": (ex == 0xFF) & (fr != 0),
    "pinf": (ex == 0xFF) & (fr == 0) & ~sg,
    "ninf": (ex == 0xFF) & (fr == 0) & sg,
    "zero": (ex == 0) & (fr == 0),
    "sub": (ex == 0) & (fr != 0),
    "neg": sg & ~((ex == 0xFF) & (fr != 0)),
  }


def _operand(R, a, n):
  if isinstance(a, tuple):
    return np.full(n, np.float32(a[1]), dtype=np.float32)
  return R[a]


def _bits(x):
  return np.asarray(x, dtype=np.float32).view(np.uint32)


def _float(b):
  return np.asarray(b, dtype=np.uint32).view(np.float32)


def reads_writes(op):
  """(R read, K read, R written, K written) of one operation (sets of register indices; the RTL's program units
  take which registers an operation writes from here too)."""
  kind, d = op[0], op[1]
  regs = lambda *a: {x for x in a if not isinstance(x, tuple)}
  if kind in ("mul", "add", "sub", "max", "min"):
    return regs(op[2], op[3]), set(), {d}, set()
  table = {"rndi": lambda: (regs(op[2]), set(), set(), {d}), "i2f": lambda: (set(), {op[2]}, {d}, set()),
           "mant": lambda: (regs(op[2]), set(), {d}, set()), "expo": lambda: (regs(op[2]), set(), set(), {d}),
           "odd": lambda: ({d}, {op[2]}, {d}, {op[2]}), "tab": lambda: (regs(op[2]), set(), {d}, set()),
           "ktab": lambda: (set(), {op[2]}, {d}, set()),
           "scl": lambda: (regs(op[2]), {op[3]}, {d}, set()),
           "sgn": lambda: (regs(op[2], op[3]), set(), {d}, set()),
           "sel": lambda: (set(op[3]), {op[2]}, {d}, set()), "fix": lambda: (regs(op[2], d), set(), {d}, set())}
  return table[kind]()


_LIVE = {}


def live_ops(prog, kconst):
  """The operations a result depends on when the integer inputs are the constants kconst (a "sel" on an
  unwritten input register then reads one branch only). Evaluating just these gives the same result."""
  key = (id(prog), kconst)
  if key in _LIVE:
    return _LIVE[key]
  kwritten = set()
  pick = {}
  for i, op in enumerate(prog.ops):
    if op[0] == "sel" and op[2] < prog.nkin and op[2] not in kwritten:
      pick[i] = op[3][kconst[op[2]]] if 0 <= kconst[op[2]] < len(op[3]) else op[3][0]
    kwritten |= reads_writes(op)[3]
  liveR, liveK, keep = {prog.result}, set(), []
  for i in range(len(prog.ops) - 1, -1, -1):
    op = prog.ops[i]
    rr, kr, rw, kw = reads_writes(op)
    if not (rw & liveR or kw & liveK):
      continue
    keep.append(i)
    if i in pick:
      rr, kr = {pick[i]}, set()
    liveR = (liveR - rw) | rr
    liveK = (liveK - kw) | kr
  _LIVE[key] = (sorted(keep), pick)
  return _LIVE[key]


def run(prog, *xs, k=()):
  """Evaluate a program on float32 arrays (its nin inputs) and integer arrays k (its nkin inputs), vectorized
  over elements (FL). Returns float32 (NaNs canonical). With scalar integer inputs only the operations the
  result depends on run (tellme_pymtl.fp_prog.live_ops)."""
  xs = [np.asarray(x, dtype=np.float32).ravel() for x in xs]
  ops, pick = list(enumerate(prog.ops)), {}
  if k and all(np.ndim(v) == 0 for v in k):
    keep, pick = live_ops(prog, tuple(int(v) for v in k))
    ops = [(i, prog.ops[i]) for i in keep]
  assert len(xs) == prog.nin and len(k) == prog.nkin
  n = xs[0].size
  R = [np.zeros(n, dtype=np.float32) for _ in range(prog.nr)]
  K = [np.zeros(n, dtype=np.int64) for _ in range(max(prog.nk, 1))]
  for i, x in enumerate(xs):
    R[i] = x.copy()            # the raw encodings, as the hardware's input registers hold them
  for j, v in enumerate(k):
    K[j] = np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy()
  for i, op in ops:
    kind, d = op[0], op[1]
    if i in pick:
      R[d] = R[pick[i]].copy()
    elif kind in ("mul", "add", "sub", "max", "min"):
      a, b = _operand(R, op[2], n), _operand(R, op[3], n)
      fn = {"mul": fp.mul, "add": fp.add, "sub": fp.sub, "max": fp.maximum, "min": fp.minimum}[kind]
      R[d] = np.asarray(fn(a, b), dtype=np.float32)
    elif kind == "rndi":
      K[d] = fp.f32_to_int(R[op[2]], KB)
    elif kind == "i2f":
      R[d] = fp.int_to_f32(K[op[2]])
    elif kind == "mant":
      R[d] = _float((_bits(R[op[2]]) & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000))
    elif kind == "expo":
      K[d] = ((_bits(R[op[2]]) >> np.uint32(23)) & np.uint32(0xFF)).astype(np.int64) - 127
    elif kind == "odd":
      k = op[2]
      odd = (K[k] & 1).astype(bool)
      R[d] = np.where(odd, _float(_bits(R[d]) + np.uint32(1 << 23)), R[d])
      K[k] = np.where(odd, K[k] - 1, K[k])
    elif kind == "tab":
      tab = op[3]
      R[d] = _float(tab.bits[tab.index(_bits(R[op[2]]))])
    elif kind == "ktab":
      R[d] = _float(op[3].lookup(K[op[2]]))
    elif kind == "scl":
      k, mode = K[op[3]], op[4]
      sh = {"pos": k, "neg": -k, "neghalf": -(k >> 1)}[mode]
      with np.errstate(all="ignore"):
        R[d] = fp.canon((R[op[2]].astype(np.float64) * np.exp2(sh.astype(np.float64))).astype(np.float32))
    elif kind == "sgn":
      R[d] = _float((_bits(R[op[2]]) & np.uint32(0x7FFFFFFF)) | (_bits(R[op[3]]) & np.uint32(0x80000000)))
    elif kind == "sel":
      regs, sel = op[3], K[op[2]]
      out = R[regs[0]].copy()
      for i, r in enumerate(regs):
        out = np.where(sel == i, R[r], out)
      R[d] = out
    elif kind == "fix":
      src = _bits(R[op[2]])
      cls = _classes(src)
      out = _bits(R[d]).copy()
      done = np.zeros(n, dtype=bool)
      for name, val in op[3]:
        hit = cls[name] & ~done
        if val == "inf_signed":
          v = np.where(src >> np.uint32(31), np.uint32(F32_NINF), np.uint32(F32_PINF))
        else:
          v = np.uint32(val)
        out = np.where(hit, v, out)
        done |= hit
      R[d] = _float(out)
    else:
      raise ValueError(f"unknown FP program operation {kind}")
    # keep every register wrapped to its KB-bit range, as the hardware's registers are
    for j in range(len(K)):
      K[j] = ((K[j] - KMIN) % (1 << KB)) + KMIN
  return fp.canon(R[prog.result]).astype(np.float32)


def evaluate(name, x):
  return run(PROGRAMS[name], x)


def reference(name, x):
  """float64 reference of each function."""
  x = np.asarray(x, dtype=np.float64)
  with np.errstate(all="ignore"):
    if name == "exp":
      return np.exp(x)
    if name == "recip":
      return 1.0 / x
    if name == "rsqrt":
      return 1.0 / np.sqrt(x)
    if name == "silu":
      return x / (1.0 + np.exp(-x))
  raise ValueError(name)


def max_rel_error(name, x):
  """Max |f(x) - ref(x)| / |ref(x)| over the points whose reference is a normal binary32 number."""
  x = np.asarray(x, dtype=np.float32)
  got = evaluate(name, x).astype(np.float64)
  ref = reference(name, x.astype(np.float64))
  ok = np.isfinite(ref) & (np.abs(ref) >= 1.1754943508222875e-38) & (np.abs(ref) <= 3.4028234663852886e38)
  return float(np.max(np.abs(got[ok] - ref[ok]) / np.abs(ref[ok]))) if ok.any() else 0.0


def accuracy_samples(name, rng):
  """The points the accuracy of `name` is measured on: dense and random over ACCURACY's domain (log-uniform
  magnitudes, both signs for the reciprocal), plus a dense sweep of the reduced range."""
  lo, hi = ACCURACY[name]["domain"]
  if name in ("recip", "rsqrt"):
    mag = np.exp(rng.uniform(np.log(lo), np.log(hi), 200000))
    x = mag if name == "rsqrt" else mag * np.where(rng.random(mag.size) < 0.5, -1, 1)
    x = np.concatenate([x, np.linspace(1, 4, 50001)])
  else:
    x = np.concatenate([np.linspace(lo, hi, 100001), rng.uniform(lo, hi, 100000), rng.uniform(-2, 2, 50000)])
  return x.astype(np.float32)
