"""
TLMM engine: one set of cases run against TLMMEngineFL, TLMMEngineCL, TLMMEngineRTL and (with --test-verilog)
the RTL translated to Verilog and imported through Verilator. The sink checks every output block against the
golden integer product W.x (tellme_pymtl.msgs.tlmm_job_msgs); cycle counts are compared between CL and RTL
and with the CL's closed schedule.
"""
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.TLMMEngineCL import TLMMEngineCL, tlmm_cycles, tlmm_schedule
from fl_models.TLMMEngineFL import TLMMEngineFL
from rtl_models.TLMMEngineRTL import TLMMEngineRTL
from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx
from tellme_pymtl.config import TeLLMeConfig, get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": TLMMEngineFL, "cl": TLMMEngineCL, "rtl": TLMMEngineRTL, "verilog": TLMMEngineRTL}


def run_tlmm(level, cfg, W, X, cmdline_opts=None, max_delay=0, seed=0):
  """Run one job through the harness; returns (cycles of the last output, the harness)."""
  m = mg.tlmm_job_msgs(cfg, W, X)
  th = TestHarness(MODELS[level](cfg), {k: m[k] for k in ("cmd", "act", "wgt")}, {"out": m["out"]},
                   max_delay=max_delay, seed=seed)
  cycles = run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)
  got = mg.unpack_outputs(cfg, th.snks["out"].received, X.shape[0], W.shape[0])
  assert (got == nx.ternary_matmul(W, X)).all()      # the sink checked the beats; this checks the unpacking too
  return cycles, th


def _rand(seed, out_dim, in_dim, ntok, p_zero=1 / 3):
  rng = np.random.default_rng(seed)
  return nx.random_ternary(rng, (out_dim, in_dim), p_zero), nx.random_acts(rng, (ntok, in_dim))


def _const(out_dim, in_dim, ntok, w, x):
  return np.full((out_dim, in_dim), w, dtype=np.int8), np.full((ntok, in_dim), x, dtype=np.int64)


# name: (config, W, X, max_delay)
CASES = {
  "one_block":       ("small", *_rand(1, 2, 6, 1), 0),
  "pad_in_and_out":  ("small", *_rand(2, 5, 13, 2), 0),
  "one_row_one_act": ("small", *_rand(3, 1, 1, 1), 0),
  "many_out_blocks": ("small", *_rand(4, 64, 6, 1), 0),     # 32 output blocks > 27: build hidden
  "multi_token":     ("small", *_rand(5, 3, 30, 3), 2),
  "stalls":          ("small", *_rand(6, 60, 40, 2), 4),
  "sparse":          ("small", *_rand(7, 9, 50, 2, p_zero=0.9), 3),
  # extremes at the largest input dim the 14-bit accumulator is sized for (tight: max_in_dim=60)
  "min_x_plus_w":    ("tight", *_const(4, 60, 1, 1, -128), 1),   # -7680
  "min_x_minus_w":   ("tight", *_const(4, 60, 1, -1, -128), 1),  # +7680
  "max_x_plus_w":    ("tight", *_const(4, 60, 2, 1, 127), 0),
  "max_x_minus_w":   ("tight", *_const(3, 60, 1, -1, 127), 0),
  "zero_x":          ("tight", *_const(4, 60, 1, 1, 0), 2),
  "zero_w":          ("tight", *_const(4, 60, 1, 0, -128), 0),
  # the paper's engine: 28 tables x 16 lanes
  "paper_pad":       ("paper", *_rand(8, 20, 100, 1), 2),
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("case", list(CASES))
def test_tlmm_case(case, level, cmdline_opts):
  need_level(level, cmdline_opts)
  name, W, X, delay = CASES[case]
  run_tlmm(level, get_config(name), W, X, cmdline_opts, max_delay=delay, seed=zlib.crc32(case.encode()) & 0xff)


# Hypothesis: random engine shapes, matrices, activations and stalls ------------------------------------------

@st.composite
def engine_cfg(draw):
  return TeLLMeConfig(T=draw(st.integers(1, 4)), Q=draw(st.integers(1, 4)), acc_bits=18, max_in_dim=500,
                      max_out_dim=48, name="hyp")


@st.composite
def job(draw, cfg):
  out_dim = draw(st.integers(1, cfg.max_out_dim if cfg.max_out_dim < 20 else 20))
  in_dim = draw(st.integers(1, 3 * cfg.block_in + 2))
  ntok = draw(st.integers(1, 3))
  kind = draw(st.sampled_from(["random", "random", "extreme", "sparse"]))
  seed = draw(st.integers(0, 2 ** 32 - 1))
  rng = np.random.default_rng(seed)
  if kind == "extreme":
    W = np.full((out_dim, in_dim), draw(st.sampled_from([-1, 1])), dtype=np.int8)
    X = np.full((ntok, in_dim), draw(st.sampled_from([-128, 127, 0])), dtype=np.int64)
  else:
    W = nx.random_ternary(rng, (out_dim, in_dim), 0.9 if kind == "sparse" else 1 / 3)
    X = nx.random_acts(rng, (ntok, in_dim))
  return W, X, draw(st.integers(0, 4)), draw(st.integers(0, 1000))


@pytest.mark.parametrize("level", ["fl", "cl", "rtl"])
@given(data=st.data())
def test_tlmm_property(level, data, cmdline_opts):
  cfg = data.draw(engine_cfg())
  W, X, delay, seed = data.draw(job(cfg))
  run_tlmm(level, cfg, W, X, cmdline_opts, max_delay=delay, seed=seed)


@settings(max_examples=12)
@given(data=st.data())
def test_tlmm_property_verilog(data, cmdline_opts):
  need_level("verilog", cmdline_opts)
  cfg = get_config("small")                           # one design: Verilator compiles it once
  W, X, delay, seed = data.draw(job(cfg))
  run_tlmm("verilog", cfg, W, X, cmdline_opts, max_delay=delay, seed=seed)


# Cycles: CL predicts RTL exactly; the closed schedule predicts both without stalls ------------------------------

@given(data=st.data())
def test_cl_cycles_equal_rtl(data, cmdline_opts):
  cfg = data.draw(engine_cfg())
  W, X, delay, seed = data.draw(job(cfg))
  c_cl, th = run_tlmm("cl", cfg, W, X, cmdline_opts, max_delay=delay, seed=seed)
  c_rtl, _ = run_tlmm("rtl", cfg, W, X, cmdline_opts, max_delay=delay, seed=seed)
  assert c_cl == c_rtl
  if delay == 0:
    cmd_fire = th.srcs["cmd"].fires[0]
    assert c_cl == cmd_fire + tlmm_cycles(cfg, W.shape[1], W.shape[0], X.shape[0])


@pytest.mark.parametrize("case", ["stalls", "min_x_minus_w", "paper_pad"])
def test_cl_cycles_equal_verilog(case, cmdline_opts):
  need_level("verilog", cmdline_opts)
  name, W, X, delay = CASES[case]
  c_cl, _ = run_tlmm("cl", get_config(name), W, X, cmdline_opts, max_delay=delay, seed=3)
  c_v, _ = run_tlmm("verilog", get_config(name), W, X, cmdline_opts, max_delay=delay, seed=3)
  assert c_cl == c_v


@pytest.mark.parametrize("level", ["cl", "rtl"])
def test_steady_state_no_bubble(level, cmdline_opts):
  """With >= 27 output blocks per input block, weight beats are taken every cycle after the first table build:
  the builds of later blocks are hidden, and the output blocks of one input block never leave a bubble."""
  cfg = get_config("small")
  nbo, nbi, ntok = 30, 3, 2
  W, X = _rand(11, nbo * cfg.Q, nbi * cfg.block_in, ntok)
  _, th = run_tlmm(level, cfg, W, X, cmdline_opts)
  fires = th.srcs["wgt"].fires
  assert len(fires) == nbo * nbi * ntok
  assert fires[-1] - fires[0] == len(fires) - 1
  sched = tlmm_schedule(cfg, W.shape[1], W.shape[0], ntok)
  assert sched["build_exposed"] == cfg.n_entries           # only the first build is exposed
  # fewer output blocks than build cycles: the build (27 cycles per block) bounds the rate, beats of one
  # input block are still back to back
  W2, X2 = _rand(12, 4 * cfg.Q, 3 * cfg.block_in, 1)
  _, th2 = run_tlmm(level, cfg, W2, X2, cmdline_opts)
  f2 = th2.srcs["wgt"].fires
  for k in range(3):
    blk = f2[4 * k:4 * k + 4]
    assert blk[-1] - blk[0] == 3
    if k:
      assert blk[0] - f2[4 * k - 4] == cfg.n_entries         # one build per block
  assert tlmm_schedule(cfg, W2.shape[1], W2.shape[0], 1)["build_exposed"] == 3 * cfg.n_entries - 2 * 4


def test_job_limits_rejected():
  cfg = get_config("small")
  W, X = _rand(0, cfg.max_out_dim + 1, 6, 1)
  with pytest.raises(mg.MsgError, match="out_dim"):
    mg.tlmm_job_msgs(cfg, W, X)
  W, X = _rand(0, 4, cfg.max_in_dim + 1, 1)
  with pytest.raises(mg.MsgError, match="in_dim"):
    mg.tlmm_job_msgs(cfg, W, X)


def test_back_to_back_jobs(cmdline_opts):
  """Two commands in one stream: the second job starts after the first ends, at every Python level."""
  cfg = get_config("small")
  W1, X1 = _rand(21, 7, 20, 2)
  W2, X2 = _rand(22, 3, 9, 1)
  m1, m2 = mg.tlmm_job_msgs(cfg, W1, X1), mg.tlmm_job_msgs(cfg, W2, X2)
  srcs = {k: m1[k] + m2[k] for k in ("cmd", "act", "wgt")}
  for level in ("fl", "cl", "rtl"):
    th = TestHarness(MODELS[level](cfg), srcs, {"out": m1["out"] + m2["out"]}, max_delay=2, seed=4)
    run_harness(th, cmdline_opts=cmdline_opts)
