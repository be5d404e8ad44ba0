"""
Attention: the golden prefill and decode (tellme_pymtl.attention) against float64 attention, their invariants
(padding, GQA, overflow-safe softmax), the KV cache layout, and the prefill, decode and KV-writer units at
every level through the shared harness (each sink checks every output beat against the golden function).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.AttentionCL import AttentionCL
from cl_models.DecodeAttentionCL import DecodeAttentionCL
from fl_models.AttentionFL import AttentionFL
from fl_models.DecodeAttentionFL import DecodeAttentionFL
from rtl_models.AttentionRTL import AttentionRTL
from rtl_models.DecodeAttentionRTL import DecodeAttentionRTL
from cl_models.PrefillAttentionCL import PrefillAttentionCL
from fl_models.PrefillAttentionFL import PrefillAttentionFL
from rtl_models.PrefillAttentionRTL import PrefillAttentionRTL
from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.config import get_config
from tellme_pymtl.ddr import DDRModel
from tellme_pymtl.harness import TestHarness, run_harness, simulate

PREFILL = {"fl": PrefillAttentionFL, "cl": PrefillAttentionCL, "rtl": PrefillAttentionRTL, "verilog": PrefillAttentionRTL}
SHARED_ATTN = {"fl": AttentionFL, "cl": AttentionCL, "rtl": AttentionRTL, "verilog": AttentionRTL}
DECODE = {"fl": DecodeAttentionFL, "cl": DecodeAttentionCL, "rtl": DecodeAttentionRTL,
          "verilog": DecodeAttentionRTL}
ATTN_SMALL = get_config("small", port_bits=64)     # 192-bit words: a head vector of <= 48 fits a burst


def qkv(seed, n, H, Hkv, d, scale=1.0):
  rng = np.random.default_rng(seed)
  q = np.clip(rng.standard_normal((n, H, d)) * scale, -65504, 65504).astype(np.float16)
  k = np.clip(rng.standard_normal((n, Hkv, d)) * scale, -65504, 65504).astype(np.float16)
  v = rng.standard_normal((n, Hkv, d)).astype(np.float16)
  return q, k, v


@st.composite
def attn_shape(draw, max_n=24):
  Hkv = draw(st.integers(1, 3))
  H = Hkv * draw(st.integers(1, 3))
  d = draw(st.sampled_from([4, 8, 16, 24, 96]))
  n = draw(st.integers(1, max_n))
  scale = draw(st.sampled_from([0.1, 1.0, 8.0, 300.0]))    # 300: q.k far beyond binary16's range
  return n, H, Hkv, d, scale, draw(st.integers(0, 10 ** 6))


@settings(max_examples=25)
@given(attn_shape())
def test_prefill_accuracy_and_padding(shape):
  n, H, Hkv, d, scale, seed = shape
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  out = A.prefill(q, k, v, 4)
  assert np.isfinite(out.astype(np.float32)).all()
  assert A.max_error(out, A.reference(q, k, v), v) <= A.ATTN_ABS_BOUND
  # a longer prompt (padding to a multiple of N_pe) never changes the rows already there
  q2, k2, v2 = qkv(seed + 1, n + 3, H, Hkv, d, scale)
  q2[:n], k2[:n], v2[:n] = q, k, v
  assert np.array_equal(A.prefill(q2, k2, v2, 4)[:n].view(np.uint16), out.view(np.uint16))


@settings(max_examples=25)
@given(attn_shape(max_n=40))
def test_decode_accuracy(shape):
  n, H, Hkv, d, scale, seed = shape
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  out = A.decode(q[-1:], k, v, 4)
  assert np.isfinite(out.astype(np.float32)).all()
  assert A.max_error(out, A.reference(q[-1:], k, v, causal=False), v) <= A.ATTN_ABS_BOUND


def test_gqa_equals_repeated_kv():
  q, k, v = qkv(3, 7, 6, 2, 8)
  rep = lambda x: np.repeat(x, 3, axis=1)
  assert np.array_equal(A.prefill(q, k, v, 4).view(np.uint16), A.prefill(q, rep(k), rep(v), 4).view(np.uint16))


def test_decode_fifo_limit():
  q, k, v = qkv(4, 9, 2, 1, 8)
  with pytest.raises(A.AttentionError, match="FIFO of 8"):
    A.decode(q[-1:], k, v, 4, fifo_depth=8)


def test_kv_layout_round_trip():
  cfg = get_config("paper")
  q, k, v = qkv(5, 5, 4, 2, 96)
  image, kb, vb = A.kv_image(cfg, k, v, max_ctx=8)
  wpv = A.words_per_vec(cfg, 96)
  assert wpv == 2 and vb == kb + 2 * 8 * wpv
  for p in range(5):
    for h in range(2):
      a = A.kv_address(cfg, kb, 96, 8, h, p)
      assert np.array_equal(A.words_vec(cfg, image[a:a + wpv], 96).view(np.uint16), k[p, h].view(np.uint16))


def run_prefill(level, cfg, q, k, v, max_delay=0, seed=0, cmdline_opts=None, npe=4, max_hdim=96):
  m = mg.prefill_job_msgs(cfg, q, k, v, max_ctx=k.shape[0] + 3, npe=npe)
  dut = PREFILL[level](cfg, npe) if level == "fl" else PREFILL[level](cfg, npe, max_hdim)
  th = TestHarness(dut, {"cmd": m["cmd"], "q": m["q"]}, {"out": m["out"]},
                   max_delay=max_delay, seed=seed, mems={"mem": DDRModel(cfg, m["image"])})
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts, max_cycles=2_000_000)


def run_decode(level, cfg, q, k, v, max_delay=0, seed=0, cmdline_opts=None, fifo=64, max_hdim=96):
  m = mg.decode_job_msgs(cfg, q, k, v, max_ctx=k.shape[0] + 2, fifo_depth=fifo)
  dut = DECODE[level](cfg, fifo) if level == "fl" else DECODE[level](cfg, fifo, max_hdim)
  if level == "cl":
    dut = DecodeAttentionCL(cfg, fifo, max_hdim)
  th = TestHarness(dut, {"cmd": m["cmd"], "q": m["q"]}, {"out": m["out"]},
                   max_delay=max_delay, seed=seed, mems={"mem": DDRModel(cfg, m["image"])})
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts, max_cycles=2_000_000)


@pytest.mark.parametrize("cfgname,n,H,Hkv,d", [("small", 5, 2, 1, 8), ("paper", 9, 4, 2, 96)])
def test_attention_fl(cfgname, n, H, Hkv, d):
  cfg = ATTN_SMALL if cfgname == "small" else get_config(cfgname)
  q, k, v = qkv(n, n, H, Hkv, d, 2.0)
  run_prefill("fl", cfg, q, k, v, 2, 1)
  run_decode("fl", cfg, q[-1:], k, v, 2, 1)


def test_prefill_order():
  order = A.prefill_order(11, 3, 4)
  assert sorted(order) == [(i, h) for i in range(11) for h in range(3)]
  assert order[:8] == [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (3, 1)]
  assert order[-3:] == [(8, 2), (9, 2), (10, 2)]          # the last pass holds the 3 rows left


def test_prefill_rows_is_prefill():
  q, k, v = qkv(6, 11, 4, 2, 8)
  full = A.prefill(q, k, v, 4)
  for h in range(4):
    for i0 in (0, 4, 8):
      r = min(4, 11 - i0)
      got = A.prefill_rows(q[i0:i0 + r, h], k[:, h // 2], v[:, h // 2], i0, 4)
      assert np.array_equal(got.view(np.uint16), full[i0:i0 + r, h].view(np.uint16))


@pytest.mark.parametrize("level", ["cl", "rtl", "verilog"])
@pytest.mark.parametrize("cfgname,n,H,Hkv,d,npe,delay", [("small", 5, 2, 1, 8, 2, 0), ("small", 7, 4, 2, 5, 3, 3),
                                                         ("paper", 9, 2, 1, 96, 8, 2)])
def test_prefill_rtl(cfgname, n, H, Hkv, d, npe, delay, level, cmdline_opts):
  from .conftest import need_level
  need_level(level, cmdline_opts)
  if cfgname == "paper" and level == "rtl":
    pytest.skip("the paper-size prefill unit runs through Verilator (Python simulation of it takes minutes)")
  cfg = ATTN_SMALL if cfgname == "small" else get_config(cfgname)
  q, k, v = qkv(n + d, n, H, Hkv, d, 300.0 if d == 5 else 3.0)
  run_prefill(level, cfg, q, k, v, delay, 2, cmdline_opts, npe=npe, max_hdim=max(d, 16))


def special_qkv(seed, n, H, Hkv, d):
  """q, k, v with some elements +-inf, NaN, -0 and +-65504: scores that are +-inf or NaN, running maxima that
  become infinite, products that overflow. The datapath's UPD lanes take one product because a or p is 1.0
  whenever the result is not NaN (AttnDatapathRTL); these are the cases where that argument needs care."""
  q, k, v = qkv(seed, n, H, Hkv, d, 2.0)
  rng = np.random.default_rng(seed + 1)
  specials = np.array([np.inf, -np.inf, np.nan, -0.0, 65504, -65504], dtype=np.float16)
  for x, p in ((q, 0.08), (k, 0.08), (v, 0.08)):
    mask = rng.random(x.shape) < p
    x[mask] = rng.choice(specials, size=int(mask.sum()))
  return q, k, v


@pytest.mark.parametrize("level", ["cl", "rtl", "verilog"])
@pytest.mark.parametrize("seed", [0, 1])
def test_attention_special_values(seed, level, cmdline_opts):
  from .conftest import need_level
  need_level(level, cmdline_opts)
  q, k, v = special_qkv(seed, 9, 2, 1, 8)
  ref = A.prefill(q, k, v, ATTN_SMALL.Q)
  vals = ref.astype(np.float32)
  assert np.isnan(vals).any() and np.isfinite(vals).any()       # both kinds of rows are exercised
  run_prefill(level, ATTN_SMALL, q, k, v, 2, seed, cmdline_opts, npe=4, max_hdim=16)
  run_decode(level, ATTN_SMALL, q[-1:], k, v, 2, seed, cmdline_opts, max_hdim=16)


@st.composite
def prefill_case(draw, max_n):
  n, H, Hkv, d, scale, seed = draw(attn_shape(max_n=max_n))
  return n, H, Hkv, min(d, 24), scale, seed, draw(st.integers(1, 4)), draw(st.integers(0, 3))


@settings(max_examples=30)
@given(prefill_case(24))
def test_prefill_cl_property(case):
  """CL against the golden prefill (the sink checks every beat): shapes, GQA, lengths not multiples of npe."""
  n, H, Hkv, d, scale, seed, npe, delay = case
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  run_prefill("cl", ATTN_SMALL, q, k, v, delay, seed % 97, None, npe=npe, max_hdim=24)


def fold_cfg():
  """The small attention config at 2 or 4 lanes, the lane combine folded or not (cfg.comb_fold)."""
  return st.builds(lambda Q, f: get_config("small", port_bits=64, Q=Q, comb_fold=f), st.sampled_from([2, 4]),
                   st.sampled_from([1, 2, 3]))


@settings(max_examples=3, deadline=None)
@given(prefill_case(6), fold_cfg())
def test_prefill_cl_cycles_equal_rtl(case, cfg):
  """RTL against the golden prefill, and CL cycles == RTL cycles."""
  n, H, Hkv, d, scale, seed, npe, delay = case
  H = min(H, 2 * Hkv)
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  c_cl = run_prefill("cl", cfg, q, k, v, delay, seed % 97, None, npe=npe, max_hdim=24)
  c_rtl = run_prefill("rtl", cfg, q, k, v, delay, seed % 97, None, npe=npe, max_hdim=24)
  assert c_cl == c_rtl


def test_prefill_cl_equals_verilog_paper(cmdline_opts):
  from .conftest import need_level
  need_level("verilog", cmdline_opts)
  cfg = get_config("paper")
  q, k, v = qkv(10, 11, 2, 1, 96, 3.0)
  c_cl = run_prefill("cl", cfg, q, k, v, 2, 4, cmdline_opts, npe=8, max_hdim=96)
  assert c_cl == run_prefill("verilog", cfg, q, k, v, 2, 4, cmdline_opts, npe=8, max_hdim=96)


@pytest.mark.parametrize("level", ["cl", "rtl", "verilog"])
@pytest.mark.parametrize("cfgname,n,H,Hkv,d,delay", [("small", 5, 2, 1, 8, 0), ("small", 7, 4, 2, 12, 3),
                                                     ("paper", 6, 2, 1, 96, 2)])
def test_decode_rtl(cfgname, n, H, Hkv, d, delay, level, cmdline_opts):
  from .conftest import need_level
  need_level(level, cmdline_opts)
  cfg = ATTN_SMALL if cfgname == "small" else get_config(cfgname)
  q, k, v = qkv(n + d, n, H, Hkv, d, 3.0)
  run_decode(level, cfg, q[-1:], k, v, delay, 2, cmdline_opts, max_hdim=max(d, 16))


@settings(max_examples=2)     # the CL = RTL property below runs 4 more decode jobs at RTL, at 2 and 4 lanes
@given(attn_shape(max_n=12), st.integers(0, 3))
def test_decode_rtl_property(shape, delay):
  n, H, Hkv, d, scale, seed = shape
  if d > 24:
    d = 24
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  run_decode("rtl", ATTN_SMALL, q[-1:], k, v, delay, seed % 97, None, max_hdim=24)


@settings(max_examples=4)
@given(attn_shape(max_n=10), st.integers(0, 3), fold_cfg())
def test_decode_cl_cycles_equal_rtl(shape, delay, cfg):
  n, H, Hkv, d, scale, seed = shape
  d = min(d, 24)
  q, k, v = qkv(seed, n, H, Hkv, d, scale)
  c_cl = run_decode("cl", cfg, q[-1:], k, v, delay, seed % 97, None, max_hdim=24)
  c_rtl = run_decode("rtl", cfg, q[-1:], k, v, delay, seed % 97, None, max_hdim=24)
  assert c_cl == c_rtl


@pytest.mark.parametrize("fold,d,level", [(3, 4, "rtl"), (2, 8, "rtl"), (3, 12, "rtl"), (3, 4, "verilog")])
def test_folded_combine(fold, d, level, cmdline_opts):
  """Q = 4 lanes, the lane combine's 3 additions folded onto adders of `fold` (cfg.comb_fold): a score every
  `fold` cycles at most, so a head of ceil(d/Q) < fold beats can stall the MAC and one of more beats cannot.
  Prefill and decode exact (the sinks check every beat), CL cycles = RTL cycles, and the cycles against the
  unfolded combine's: equal when ceil(d/Q) >= fold; else never fewer, and more in prefill (a key's rows are
  back to back there; decode here waits on the slow small-config DDR between keys anyway)."""
  from .conftest import need_level
  need_level(level, cmdline_opts)
  cfg = get_config("small", port_bits=64, Q=4, comb_fold=fold)
  flat = get_config("small", port_bits=64, Q=4)
  q, k, v = qkv(d, 7, 2, 1, d, 3.0)
  slower = -(-d // 4) < fold
  for run, qq in ((run_prefill, q), (run_decode, q[-1:])):
    c = run(level, cfg, qq, k, v, 0, 1, cmdline_opts, max_hdim=16)
    assert c == run("cl", cfg, qq, k, v, 0, 1, None, max_hdim=16)
    c1 = run("cl", flat, qq, k, v, 0, 1, None, max_hdim=16)
    assert c >= c1 and (c > c1 if slower and run is run_prefill else c == c1 or slower), (run.__name__, c, c1)


def test_decode_cl_equals_verilog_paper(cmdline_opts):
  from .conftest import need_level
  need_level("verilog", cmdline_opts)
  cfg = get_config("paper")
  q, k, v = qkv(8, 6, 2, 1, 96, 3.0)
  c_cl = run_decode("cl", cfg, q[-1:], k, v, 2, 2, cmdline_opts, max_hdim=96)
  assert c_cl == run_decode("verilog", cfg, q[-1:], k, v, 2, 2, cmdline_opts, max_hdim=96)


# The KV writer: the projections' K/V stream into the cache layout --------------------------------------------------

from cl_models.KVWriterCL import KVWriterCL  # noqa: E402
from fl_models.KVWriterFL import KVWriterFL  # noqa: E402
from rtl_models.KVWriterRTL import KVWriterRTL  # noqa: E402

KVW = {"fl": KVWriterFL, "cl": KVWriterCL, "rtl": KVWriterRTL, "verilog": KVWriterRTL}


def run_kvw(level, cfg, x, pos, max_ctx, cmdline_opts=None, max_delay=0, seed=0, max_hdim=96):
  """Write x at positions pos.. into an empty cache; return (cycles, image, the expected image)."""
  npos, Hkv, d = x.shape
  empty, kbase, _ = A.kv_image(cfg, np.zeros((0, Hkv, d), np.float16), np.zeros((0, Hkv, d), np.float16), max_ctx)
  full = np.zeros((pos + npos, Hkv, d), dtype=np.float16)
  full[pos:] = x
  want, _, _ = A.kv_image(cfg, full, full, max_ctx)
  m = mg.kvw_job_msgs(cfg, x, kbase, pos, max_ctx)
  ddr = DDRModel(cfg, empty)
  th = TestHarness(KVW[level](cfg, max_hdim), {"cmd": m["cmd"], "x": m["x"]}, {"ack": m["ack"]},
                   max_delay=max_delay, seed=seed, mems={"mem": ddr})
  cycles = run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)
  wpv = A.words_per_vec(cfg, d)
  region = Hkv * max_ctx * wpv                       # the K region: the writer wrote only there
  return cycles, ddr.image[:region], want[:region]


@pytest.mark.parametrize("level", ["fl", "cl", "rtl", "verilog"])
@pytest.mark.parametrize("cfgname,npos,Hkv,d,pos", [("small", 3, 2, 12, 1), ("paper", 2, 2, 96, 5)])
def test_kv_writer(cfgname, npos, Hkv, d, pos, level, cmdline_opts):
  from .conftest import need_level
  need_level(level, cmdline_opts)
  cfg = ATTN_SMALL if cfgname == "small" else get_config(cfgname)
  x = np.random.default_rng(npos + d).standard_normal((npos, Hkv, d)).astype(np.float16)
  _, image, want = run_kvw(level, cfg, x, pos, 8, cmdline_opts, 2, 3)
  assert image == want


@settings(max_examples=6)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from([4, 5, 7, 8, 12, 24]), st.integers(0, 3),
       st.integers(0, 3), st.integers(0, 99))
def test_kv_writer_cl_cycles_equal_rtl(npos, Hkv, d, pos, delay, seed):
  x = np.random.default_rng(seed).standard_normal((npos, Hkv, d)).astype(np.float16)
  c_cl, img_cl, want = run_kvw("cl", ATTN_SMALL, x, pos, 8, None, delay, seed, 24)
  c_rtl, img_rtl, _ = run_kvw("rtl", ATTN_SMALL, x, pos, 8, None, delay, seed, 24)
  assert c_cl == c_rtl and img_cl == img_rtl == want


def test_comb_fold_validated():
  from tellme_pymtl.config import ConfigError
  for bad in (0, -1, 2.5, True, "5"):
    with pytest.raises(ConfigError, match="comb_fold"):
      get_config("paper", comb_fold=bad)
  assert get_config("paper").comb_fold == 5 and get_config("small").comb_fold == 1


def run_shared(level, cfg, jobs, max_delay=0, seed=0, cmdline_opts=None, npe=4, fifo=64, max_hdim=96):
  """Attention (prefill and decode on one datapath: AttentionFL / CL / RTL) with prefill jobs on its pre_* ports
  and decode jobs on its dec_* ports, all offered at once; jobs: [("pre" | "dec", q, k, v)] (a side's jobs run
  in order). Every output beat is checked against the golden one; at CL and RTL a probe checks on every cycle
  that the two units are never busy together. Returns each job's cycles from its command's handshake to its last
  output beat, in the order of jobs."""
  src = {"pre_cmd": [], "pre_q": [], "dec_cmd": [], "dec_q": []}
  snk = {"pre_out": [], "dec_out": []}
  images = {"pre": [], "dec": []}
  ends = []                                          # (side, index of the job's last output beat)
  for side, q, k, v in jobs:
    if side == "pre":
      m = mg.prefill_job_msgs(cfg, q, k, v, max_ctx=k.shape[0] + 3, npe=npe, image=images[side])
    else:
      m = mg.decode_job_msgs(cfg, q, k, v, max_ctx=k.shape[0] + 2, fifo_depth=fifo, image=images[side])
    src[side + "_cmd"] += m["cmd"]
    src[side + "_q"] += m["q"]
    snk[side + "_out"] += m["out"]
    images[side] = m["image"]
    ends.append((side, len(snk[side + "_out"]) - 1))
  dut = SHARED_ATTN[level](cfg, npe, fifo, max_hdim)
  th = TestHarness(dut, src, snk, max_delay=max_delay, seed=seed,
                   mems={f"{side}_mem": DDRModel(cfg, images[side]) for side in ("pre", "dec")})
  both = []

  def probe(th, cycle):
    if level == "rtl":
      busy = int(th.dut.pre.busy), int(th.dut.dec.busy)
    elif level == "cl":
      busy = int(th.dut.pre_busy), int(th.dut.dec_busy)
    else:
      return
    if all(busy):
      both.append(cycle)
  simulate(th, level == "verilog", cmdline_opts, 2_000_000, on_cycle=probe)
  assert not both, f"prefill and decode both busy on the shared datapath at cycles {both[:3]}"
  nth = {"pre": 0, "dec": 0}
  spans = []
  for side, last in ends:
    spans.append(th.snks[side + "_out"].arrivals[last] - th.srcs[side + "_cmd"].fires[nth[side]])
    nth[side] += 1
  return spans


_SH = dict(port_bits=64, Q=4, comb_fold=2)
# the DDR model at a word a cycle: no bandwidth credit carried from one job to the next, so that a job's cycles
# do not depend on what ran before it (at a lower rate, a job after an idle spell starts with a banked word)
SHARED = get_config("small", **_SH, ddr_gbps=get_config("small", **_SH).word_bits / 8 * 250.0 / 1e3)


@st.composite
def shared_job(draw):
  Hkv = draw(st.integers(1, 2))
  return (draw(st.sampled_from(["pre", "dec"])), draw(st.integers(1, 5)), Hkv * draw(st.integers(1, 2)), Hkv,
          draw(st.sampled_from([4, 8, 12])), draw(st.sampled_from([0.1, 1.0, 300.0])), draw(st.integers(0, 999)))


@settings(max_examples=2, deadline=None)
@given(st.lists(shared_job(), min_size=2, max_size=3), st.integers(0, 3))
def test_shared_attention_jobs(jobs, delay):
  """Attention: prefill and decode jobs offered on both sides at once run one at a time on the one datapath
  (the probe), every output beat the golden one (the sinks check them) at FL, CL and RTL, and AttentionCL
  takes AttentionRTL's cycles for every job, source and sink stalls included."""
  cases = []
  for side, n, H, Hkv, d, scale, seed in jobs:
    q, k, v = qkv(seed, n, H, Hkv, d, scale)
    cases.append((side, q if side == "pre" else q[-1:], k, v))
  run_shared("fl", SHARED, cases, delay, 3, max_hdim=12)
  assert run_shared("cl", SHARED, cases, delay, 3, max_hdim=12) == run_shared("rtl", SHARED, cases, delay, 3,
                                                                              max_hdim=12)


@pytest.mark.parametrize("level", ["fl", "cl", "rtl", "verilog"])
def test_shared_attention_levels(level, cmdline_opts):
  """The shared attention unit at every level: two prefill and two decode jobs offered at once, with stalls."""
  from .conftest import need_level
  need_level(level, cmdline_opts)
  q, k, v = qkv(5, 5, 2, 1, 8, 1.0)
  run_shared(level, SHARED, [("pre", q, k, v), ("dec", q[-1:], k, v), ("pre", q[:3], k[:3], v[:3]),
                             ("dec", q[-2:-1], k[:4], v[:4])], 2, 4, cmdline_opts, max_hdim=8)


def test_shared_attention_fl_max_hdim():
  q, k, v = qkv(5, 2, 1, 1, 12, 1.0)
  with pytest.raises(A.AttentionError, match="head dim 12 exceeds the unit's max_hdim 8"):
    run_shared("fl", SHARED, [("dec", q[-1:], k, v)], max_hdim=8)


def test_shared_attention_cycles():
  """Sharing the datapath never slows a job: alone, each takes its unit's CL cycles (the turn can hold its
  command a cycle); with jobs offered on both sides at once they run one after the other, each in its cycles,
  and AttentionCL's spans are the RTL's."""
  q, k, v = qkv(11, 4, 1, 1, 8, 3.0)
  (s_pre,) = run_shared("rtl", SHARED, [("pre", q, k, v)], max_hdim=8)
  (s_dec,) = run_shared("rtl", SHARED, [("dec", q[-1:], k, v)], max_hdim=8)
  cl_pre = run_prefill("cl", SHARED, q, k, v, 0, 0, None, max_hdim=8)
  cl_dec = run_decode("cl", SHARED, q[-1:], k, v, 0, 0, None, max_hdim=8)
  spans = run_shared("rtl", SHARED, [("pre", q, k, v), ("dec", q[-1:], k, v)] * 2, max_hdim=8)
  assert spans == [s_pre, s_dec] * 2
  assert run_shared("cl", SHARED, [("pre", q, k, v), ("dec", q[-1:], k, v)] * 2, max_hdim=8) == spans
  # alone, each job takes its unit's CL cycles: the CL counts from reset, the span from the command's handshake,
  # which comes the same few cycles after reset on both sides
  assert s_pre - cl_pre == s_dec - cl_dec and -3 <= s_pre - cl_pre <= 0, (s_pre, cl_pre, s_dec, cl_dec)
