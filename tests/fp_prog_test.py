"""
Non-linear functions (exp, reciprocal, rsqrt, SiLU) as FP programs: the RTL pipeline (FPProgRTL), driven by the
shared harness with random stalls, equals the FL interpreter (tellme_pymtl.fp_prog.run) bit for bit, on random
and special inputs; and each function meets its stated accuracy against float64.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pymtl3 import Component, mk_bits

from rtl_models.FPProgRTL import FPProgRTL
from rtl_models.FPProgSeqRTL import FPProgSeqRTL
from tellme_pymtl import fp_prog as P
from tellme_pymtl.harness import TestHarness, run_harness
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL

from .conftest import need_level

SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000,
           0xFF800000, 0x7FC00000, 0xFFC00001, 0x3F800000, 0xBF800000, 0x42B00000, 0xC2DC0000, 0x42C80000,
           0xC2C80000, 0x3F000000, 0x40800000, 0x3E800000]


def run_prog(name, bits, n, level, cmdline_opts, max_delay=0, seed=0, seq=False):
  prog = P.PROGRAMS[name]
  bits = list(bits) + [0x3F800000] * ((-len(bits)) % n)
  x = np.array(bits, dtype=np.uint32).view(np.float32)
  want = P.run(prog, x).view(np.uint32)
  B32 = mk_bits(32)
  ins = [[B32(int(v)) for v in bits[i:i + n]] for i in range(0, len(bits), n)]
  outs = [[B32(int(v)) for v in want[i:i + n]] for i in range(0, len(bits), n)]
  th = TestHarness(FPProgSeqRTL(prog) if seq else FPProgRTL(prog, n), {"in_": ins}, {"out": outs},
                   max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


@pytest.mark.parametrize("level", ["rtl", "verilog"])
@pytest.mark.parametrize("name", sorted(P.PROGRAMS))
def test_specials_and_latency(name, level, cmdline_opts):
  need_level(level, cmdline_opts)
  cycles = run_prog(name, SPECIAL, 2, level, cmdline_opts)
  beats = len(SPECIAL) // 2
  # one beat per cycle once the pipeline is full: latency = program length
  assert cycles == len(P.PROGRAMS[name]) + beats + 1


class _SeqMode(Component):
  """FPProgSeqRTL with its integer input (the element-wise mode) tied to a constant."""

  def construct(s, prog, mode):
    s.in_ = VecRecvIfcRTL(mk_bits(32), prog.nin)
    s.out = VecSendIfcRTL(mk_bits(32), 1)
    s.u = FPProgSeqRTL(prog)
    s.in_ //= s.u.in_
    s.out //= s.u.out
    s.u.kin[0] //= mode

  def line_trace(s):
    return s.u.line_trace()


@pytest.mark.parametrize("level", ["rtl", "verilog"])
@pytest.mark.parametrize("name", sorted(P.PROGRAMS) + ["elementwise"])
def test_sequential_specials_and_latency(name, level, cmdline_opts):
  """FPProgSeqRTL (one operation a cycle, shared multiplier and adder) gives the FL interpreter's results with
  FPProgRTL's latency: each result len(program) cycles after its input, the next input taken as it leaves."""
  need_level(level, cmdline_opts)
  if name == "elementwise":                  # five inputs and the mode (kin): each mode on special operands
    if level == "verilog":
      pytest.skip("the element-wise program's sequential run is checked in Python simulation")
    prog = P.EW_PROGRAM
    rng = np.random.default_rng(3)
    B32 = mk_bits(32)
    for m in range(6):
      # canonical NaNs only: the interpreter canonicalizes its result and mode none passes a through (the unit's
      # inputs are fp16 conversions, whose NaNs are canonical)
      a = [np.array(rng.choice([v for v in SPECIAL if v != 0xFFC00001], 8), dtype=np.uint32) for _ in range(5)]
      want = P.run(prog, *[x.view(np.float32) for x in a], k=(np.full(8, m),)).view(np.uint32)
      th = TestHarness(_SeqMode(prog, m), {"in_": [[B32(int(x[i])) for x in a] for i in range(8)]},
                       {"out": [[B32(int(w))] for w in want]})
      assert run_harness(th) == 8 * len(prog) + 2
    return
  cycles = run_prog(name, SPECIAL, 1, level, cmdline_opts, seq=True)
  assert cycles == len(SPECIAL) * len(P.PROGRAMS[name]) + 2


@pytest.mark.parametrize("seq", [False, True], ids=["pipeline", "sequential"])
@pytest.mark.parametrize("name", sorted(P.PROGRAMS))
@settings(max_examples=8)
@given(data=st.data())
def test_random_with_stalls(name, seq, data, cmdline_opts):
  """FPProgRTL (1 to 3 lanes) and FPProgSeqRTL against the interpreter, random operands, random stalls."""
  vals = data.draw(st.lists(st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from(SPECIAL),
                                      st.floats(-120, 120, width=32).map(lambda f: P.f32bits(f))),
                            min_size=1, max_size=8 if seq else 12))
  run_prog(name, vals, 1 if seq else data.draw(st.integers(1, 3)), "rtl", cmdline_opts,
           max_delay=data.draw(st.integers(0, 3)), seed=data.draw(st.integers(0, 99)), seq=seq)


@settings(max_examples=4)
@given(data=st.data())
def test_random_verilog(data, cmdline_opts):
  need_level("verilog", cmdline_opts)
  for name in sorted(P.PROGRAMS):
    vals = data.draw(st.lists(st.integers(0, 0xFFFFFFFF), min_size=2, max_size=20))
    run_prog(name, vals, 2, "verilog", cmdline_opts, max_delay=2, seed=1)


@pytest.mark.parametrize("name", sorted(P.PROGRAMS))
def test_accuracy_against_float64(name):
  err = P.max_rel_error(name, P.accuracy_samples(name, np.random.default_rng(7)))
  assert err <= P.ACCURACY[name]["bound"], f"{name}: max relative error {err:.3g}"
  assert err > 0          # the measurement is real: float32 results are not exact


def test_special_values():
  f = lambda name, v: P.evaluate(name, np.float32(v))
  assert f("exp", [0.0])[0] == 1.0 and f("exp", [-np.inf])[0] == 0.0 and np.isposinf(f("exp", [np.inf])[0])
  assert np.isposinf(f("exp", [89.0])[0]) and f("exp", [-103.0])[0] > 0 and f("exp", [-200.0])[0] == 0
  assert np.isneginf(f("recip", [-0.0])[0]) and f("recip", [4.0])[0] == 0.25 and f("recip", [-np.inf])[0] == 0
  assert np.isnan(f("rsqrt", [-1.0])[0]) and np.isneginf(f("rsqrt", [-0.0])[0]) and abs(f("rsqrt", [4.0])[0] - 0.5) <= 2 ** -23
  assert f("silu", [0.0])[0] == 0 and f("silu", [-np.inf])[0] == 0 and np.isposinf(f("silu", [np.inf])[0])
  assert all(np.isnan(f(n, [np.nan])[0]) for n in P.PROGRAMS)
  assert f("exp", [0.0])[0] == 1.0 and f("exp", [-0.0])[0] == 1.0 and np.isposinf(f("exp", [88.73])[0])


def test_silu_below_the_table():
  """Below -32 every input gives silu(-32) = -4e-13: within 4.1e-13 of the true value (closer to 0), never a
  value that grows with |x|."""
  x = np.concatenate([-np.logspace(np.log10(32), 38, 2000), np.linspace(-80, -32, 2001)]).astype(np.float32)
  y = P.evaluate("silu", x).astype(np.float64)
  ref = P.reference("silu", x.astype(np.float64))
  assert np.all(np.abs(y - ref) <= 4.1e-13) and np.all(y <= 0)


def test_ktab_out_of_range_and_wrap():
  """The ktab operation at every K value, FL against RTL: (K + off) mod 2^KB indexes the table, 0 past its end."""
  tab = P.KTable("t", 5, [float(i) + 0.5 for i in range(7)])
  b = P._Builder()
  k = b.op("rndi", b.k(), 0)
  y = b.op("ktab", b.r(), k, tab)
  prog = P.Program("ktab_test", b.ops, b.nr, b.nk, y)
  x = np.arange(P.KMIN - 2, P.KMAX + 3, dtype=np.float32)
  want = P.run(prog, x)
  idx = (x.astype(np.int64).clip(P.KMIN, P.KMAX) + 5) % (1 << P.KB)
  assert np.array_equal(want, np.where(idx < 7, idx + 0.5, 0.0).astype(np.float32))
  B32 = mk_bits(32)
  bits = want.view(np.uint32)
  ins = [[B32(int(v))] for v in x.view(np.uint32)]
  th = TestHarness(FPProgRTL(prog, 1), {"in_": ins}, {"out": [[B32(int(v))] for v in bits]})
  run_harness(th, verilog=False, cmdline_opts=None)


# ExpPairRTL: the online softmax's (a, p) on one exp lane -------------------------------------------------------

def run_exp_pair(pairs, level, cmdline_opts, max_delay=0, seed=0):
  """(m, s) bit patterns -> ExpPairRTL fed (m - m', s - m'), m' = max(m, s) as the golden softmax takes it,
  checked against the exp program on both; returns the cycles."""
  from rtl_models.ExpPairRTL import ExpPairRTL
  from tellme_pymtl import fp
  m, s = (np.array([p[i] for p in pairs], dtype=np.uint32).view(np.float32) for i in (0, 1))
  mx = np.asarray(fp.maximum(m, s), dtype=np.float32)
  d = [np.asarray(fp.sub(m, mx), dtype=np.float32), np.asarray(fp.sub(s, mx), dtype=np.float32)]
  want = [P.run(P.PROGRAMS["exp"], x).view(np.uint32) for x in d]
  B32 = mk_bits(32)
  ins = [[B32(int(d[0].view(np.uint32)[i])), B32(int(d[1].view(np.uint32)[i]))] for i in range(len(pairs))]
  outs = [[B32(int(want[0][i])), B32(int(want[1][i]))] for i in range(len(pairs))]
  th = TestHarness(ExpPairRTL(), {"in_": ins}, {"out": outs}, max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


@pytest.mark.parametrize("level", ["rtl", "verilog"])
def test_exp_pair_specials(level, cmdline_opts):
  """Every pair of special scores (zeros, infinities, NaNs, extremes) and a few ordinary ones, in both orders:
  exp of both differences equal the exp program's, at the 2-lane program's latency."""
  need_level(level, cmdline_opts)
  pairs = [(a, b) for a in SPECIAL for b in SPECIAL]
  cycles = run_exp_pair(pairs, level, cmdline_opts)
  assert cycles == len(P.PROGRAMS["exp"]) + len(pairs) + 1


@settings(max_examples=10)
@given(data=st.data())
def test_exp_pair_random_with_stalls(data, cmdline_opts):
  score = st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from(SPECIAL),
                    st.floats(-100, 100, width=32).map(lambda f: P.f32bits(f)))
  pairs = data.draw(st.lists(st.tuples(score, score), min_size=1, max_size=16))
  pairs += [(a, a) for a, _ in pairs[:3]]                     # equal scores: both differences zero
  run_exp_pair(pairs, "rtl", cmdline_opts, max_delay=data.draw(st.integers(0, 3)), seed=data.draw(st.integers(0, 99)))


def test_exp_pair_constants():
  """The constants ExpPairRTL looks up are the exp program's on every member of their class."""
  from rtl_models.ExpPairRTL import special_exps
  E = special_exps()
  classes = {0: [0x00000000, 0x80000000], 1: [0xFF800000], 2: [0x7F800000],
             3: [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFFFFFFF, 0x7FBFFFFF]}
  for code, members in classes.items():
    got = P.run(P.PROGRAMS["exp"], np.array(members, dtype=np.uint32).view(np.float32)).view(np.uint32)
    assert list(got) == [E[code]] * len(members)


# LaneCombineRTL: the attention units' lane combine and scale on folded adders ----------------------------------

def run_combine(lanes, fold, rows, level, cmdline_opts, max_delay=0, seed=0):
  """rows: per item the lanes' sums and the scale (binary32 bit patterns) -> LaneCombineRTL against the combine
  program (tellme_pymtl.fp_prog.run), through the shared harness."""
  from rtl_models.LaneCombineRTL import LaneCombineRTL
  prog = P.combine_scale_program(lanes)
  cols = np.array(rows, dtype=np.uint32).reshape(len(rows), lanes + 1).view(np.float32)
  want = P.run(prog, *[cols[:, i] for i in range(lanes + 1)]).view(np.uint32)
  B32 = mk_bits(32)
  ins = [[B32(int(v)) for v in r] for r in rows]
  outs = [[B32(int(w))] for w in want]
  th = TestHarness(LaneCombineRTL(lanes, fold), {"in_": ins}, {"out": outs}, max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


def combine_rows(rng, lanes, n):
  vals = rng.standard_normal((n, lanes + 1)).astype(np.float32).view(np.uint32)
  special = np.array(SPECIAL, dtype=np.uint32)
  pick = rng.random((n, lanes + 1)) < 0.2
  vals[pick] = special[rng.integers(0, len(special), pick.sum())]
  return vals.tolist()


@pytest.mark.parametrize("level", ["rtl", "verilog"])
@pytest.mark.parametrize("lanes,fold", [(16, 5), (16, 1), (4, 2), (1, 3)])
def test_lane_combine_rate_and_values(lanes, fold, level, cmdline_opts, tmp_path):
  """Bit for bit the combine program; back to back, an item every min(fold, Q-1) cycles, each out Q cycles
  after it went in."""
  need_level(level, cmdline_opts)
  n = 7
  cycles = run_combine(lanes, fold, combine_rows(np.random.default_rng(lanes + fold), lanes, n), level,
                       cmdline_opts)
  rate = P.combine_stages(lanes, fold)[0] if lanes > 1 else 1
  assert cycles == lanes + (n - 1) * rate + 2
  if level == "verilog":                             # and its Verilog lints clean at every shape
    from rtl_models.LaneCombineRTL import LaneCombineRTL
    from translate.verilog import lint, translate_verilog
    path, top = translate_verilog(LaneCombineRTL(lanes, fold), str(tmp_path))
    assert lint(path, top) == []


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 8), st.integers(0, 3), st.integers(0, 99))
def test_lane_combine_random_with_stalls(lanes, fold, n, delay, seed):
  run_combine(lanes, fold, combine_rows(np.random.default_rng(seed), lanes, n), "rtl", None, delay, seed)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1,
                                                      max_size=60))
def test_lane_combine_cl_timing_equals_rtl(lanes, fold, pattern):
  """The CL models' FoldPipe gives LaneCombineRTL's in_.rdy and out.val every cycle, whatever the input
  valid and output ready are (the attention CL models time their lane combine with it)."""
  from pymtl3 import DefaultPassGroup
  from cl_models.DecodeAttentionCL import FoldPipe
  from rtl_models.LaneCombineRTL import LaneCombineRTL
  dut = LaneCombineRTL(lanes, fold)
  dut.elaborate()
  dut.apply(DefaultPassGroup())
  dut.sim_reset()
  pipe = FoldPipe(P.combine_stages(lanes, fold))
  for in_val, out_rdy in pattern:
    dut.in_.val @= in_val
    dut.out.rdy @= out_rdy
    dut.sim_eval_combinational()
    assert (bool(dut.in_.rdy), bool(dut.out.val)) == (pipe.in_rdy(out_rdy), pipe.out_val())
    pipe.tick(in_val, out_rdy)
    dut.sim_tick()
