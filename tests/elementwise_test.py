"""Element-wise unit at FL, CL, RTL (and Verilator), every mode, under stalls; CL cycles equal RTL cycles."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.ElementwiseCL import ElementwiseCL
from fl_models.ElementwiseFL import ElementwiseFL
from rtl_models.ElementwiseRTL import ElementwiseRTL
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.config import ConfigError, TeLLMeConfig, get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": ElementwiseFL, "cl": ElementwiseCL, "rtl": ElementwiseRTL, "verilog": ElementwiseRTL}
MODES = ["none", "rope", "add", "mult_silu", "relu2"]


def run_ew(level, cfg, mode, A, B, cmdline_opts=None, max_delay=0, seed=0):
  m = mg.ew_job_msgs(cfg, mode, A, B)
  srcs = {"cmd": m["cmd"], "a": m["a"], "b": m["b"]}
  th = TestHarness(MODELS[level](cfg), srcs, {"y": m["y"]}, max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


def _ab(seed, ntok, n, scale=3.0):
  rng = np.random.default_rng(seed)
  A = np.clip(rng.standard_normal((ntok, n)) * scale, -65504, 65504).astype(np.float16)
  B = np.clip(rng.standard_normal((ntok, n)) * scale, -65504, 65504).astype(np.float16)
  return A, B


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
def test_elementwise_mode(mode, level, cmdline_opts):
  need_level(level, cmdline_opts)
  A, B = _ab(MODES.index(mode), 2, 6)
  A[0, :4] = np.float16([np.inf, -np.inf, np.nan, -0.0])
  run_ew(level, get_config("small"), mode, A, B, cmdline_opts, max_delay=2, seed=2)


def test_mode_semantics():
  """The golden element-wise function against float64 formulas (fp16 results within rounding)."""
  A, B = _ab(9, 1, 8, 2.0)
  a, b = A[0].astype(np.float64), B[0].astype(np.float64)
  tol = lambda y, r: np.abs(y.astype(np.float64) - r) <= np.abs(r) * 2 ** -10 + 2 ** -24
  assert (fused.elementwise("none", A[0], B[0]) == A[0]).all()
  assert tol(fused.elementwise("add", A[0], B[0]), a + b).all()
  assert tol(fused.elementwise("relu2", A[0], B[0]), np.maximum(a, 0) ** 2 * b).all()
  assert tol(fused.elementwise("mult_silu", A[0], B[0]), a / (1 + np.exp(-a)) * b).all()
  c, s_ = b[0::2], b[1::2]
  rope = np.empty(8)
  rope[0::2] = a[0::2] * c - a[1::2] * s_
  rope[1::2] = a[1::2] * c + a[0::2] * s_
  assert tol(fused.elementwise("rope", A[0], B[0]), rope).all()


@st.composite
def ew_job(draw):
  Q = draw(st.sampled_from([2, 4]))
  cfg = TeLLMeConfig(T=2, Q=Q, acc_bits=18, max_in_dim=60, max_out_dim=16, ew_lanes=draw(st.sampled_from([0, 2])),
                     name="hyp")
  mode = draw(st.sampled_from(MODES))
  n = draw(st.integers(1, 12)) * 2
  A, B = _ab(draw(st.integers(0, 10 ** 6)), draw(st.integers(1, 2)), n, draw(st.sampled_from([0.1, 3.0, 300.0])))
  return cfg, mode, A, B, draw(st.integers(0, 3)), draw(st.integers(0, 99))


@pytest.mark.parametrize("level", ["fl", "cl", "rtl"])
@settings(max_examples=8)
@given(job=ew_job())
def test_elementwise_property(level, job, cmdline_opts):
  cfg, mode, A, B, d, seed = job
  run_ew(level, cfg, mode, A, B, cmdline_opts, d, seed)


@settings(max_examples=8)
@given(job=ew_job())
def test_elementwise_cl_cycles_equal_rtl(job, cmdline_opts):
  cfg, mode, A, B, d, seed = job
  assert run_ew("cl", cfg, mode, A, B, cmdline_opts, d, seed) == run_ew("rtl", cfg, mode, A, B, cmdline_opts, d, seed)


def test_rope_needs_pairs():
  A, B = _ab(0, 1, 5)
  with pytest.raises(mg.MsgError, match="rope"):
    mg.ew_job_msgs(get_config("small"), "rope", A, B)


@pytest.mark.parametrize("lanes", [2, 4, 16])
def test_lanes_at_paper_width(lanes, cmdline_opts):
  """Q = 16 through 2, 4 or 16 FP lanes: exact at CL and RTL, CL cycles = RTL cycles, and a long job takes
  Q / lanes cycles a beat."""
  cfg = get_config("paper", ew_lanes=lanes)
  A, B = _ab(lanes, 2, 64)
  levels = ("cl", "rtl") + (("verilog",) if lanes == 2 and cmdline_opts.get("test_verilog", "") != "" else ())
  cyc = [run_ew(lv, cfg, "rope", A, B, cmdline_opts, 0, 0) for lv in levels]
  assert len(set(cyc)) == 1
  A2, B2 = _ab(lanes, 2, 192)
  more = run_ew("cl", cfg, "rope", A2, B2) - cyc[0]
  assert more == 2 * (192 - 64) // 16 * (16 // lanes)


def test_ew_lanes_validated():
  for bad in (3, 5, 10, -2, 2.0):
    with pytest.raises(ConfigError, match="ew_lanes"):
      get_config("paper", ew_lanes=bad)
  assert get_config("paper").ew_L == 2 and get_config("paper", ew_lanes=0).ew_L == 16
  assert TeLLMeConfig(Q=3).ew_L == 3
