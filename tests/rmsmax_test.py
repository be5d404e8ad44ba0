"""RMS-MAX at FL, CL, RTL (and Verilator): y = fp16((x * rsqrt(mean(x^2) + eps)) * g) and max |y|; CL = RTL."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.RMSMaxCL import RMSMaxCL
from fl_models.RMSMaxFL import RMSMaxFL
from rtl_models.RMSMaxRTL import RMSMaxRTL
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.config import ConfigError, TeLLMeConfig, get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": RMSMaxFL, "cl": RMSMaxCL, "rtl": RMSMaxRTL, "verilog": RMSMaxRTL}


def run_rms(level, cfg, X, g, cmdline_opts=None, max_delay=0, seed=0):
  m = mg.rms_job_msgs(cfg, X, g)
  th = TestHarness(MODELS[level](cfg), {"cmd": m["cmd"], "x": m["x"], "g": m["g"]},
                   {"y": m["y"], "amax": m["amax"]}, max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


def _xg(seed, ntok, n, scale=2.0):
  rng = np.random.default_rng(seed)
  X = np.clip(rng.standard_normal((ntok, n)) * scale, -65504, 65504).astype(np.float16)
  g = (1 + 0.2 * rng.standard_normal(n)).astype(np.float16)
  return X, g


CASES = {
  "two_tokens": ("small", *_xg(1, 2, 7)),
  "one": ("small", *_xg(2, 1, 1)),
  "zeros": ("small", np.zeros((1, 6), dtype=np.float16), np.ones(6, dtype=np.float16)),
  "large": ("small", *_xg(3, 1, 9, 3e4)),
  "paper": ("paper", *_xg(4, 1, 40)),
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("case", list(CASES))
def test_rmsmax_case(case, level, cmdline_opts):
  need_level(level, cmdline_opts)
  name, X, g = CASES[case]
  run_rms(level, get_config(name), X, g, cmdline_opts, max_delay=2, seed=4)


def test_rmsnorm_accuracy():
  """Against float64 RMSNorm: within the binary16 output rounding and a few binary32 ulps."""
  err = fused.rmsnorm_max_rel_error(np.random.default_rng(0), 1536, 16, trials=20)
  assert 0 < err <= fused.RMSNORM_BOUND


@st.composite
def rms_job(draw):
  Q = draw(st.sampled_from([1, 2, 4]))
  cfg = TeLLMeConfig(T=2, Q=Q, acc_bits=18, max_in_dim=60, max_out_dim=16,
                     rms_lanes=draw(st.sampled_from([0, 1, 2] if Q > 1 else [0, 1])), name="hyp")
  X, g = _xg(draw(st.integers(0, 10 ** 6)), draw(st.integers(1, 2)), draw(st.integers(1, 30)),
             draw(st.sampled_from([1e-3, 1.0, 100.0])))
  return cfg, X, g, draw(st.integers(0, 3)), draw(st.integers(0, 99))


@pytest.mark.parametrize("level", ["fl", "cl", "rtl"])
@settings(max_examples=10)
@given(job=rms_job())
def test_rmsmax_property(level, job, cmdline_opts):
  cfg, X, g, d, seed = job
  run_rms(level, cfg, X, g, cmdline_opts, d, seed)


@settings(max_examples=10)
@given(job=rms_job())
def test_rmsmax_cl_cycles_equal_rtl(job, cmdline_opts):
  cfg, X, g, d, seed = job
  assert run_rms("cl", cfg, X, g, cmdline_opts, d, seed) == run_rms("rtl", cfg, X, g, cmdline_opts, d, seed)


@pytest.mark.parametrize("lanes", [4, 8, 16])
def test_lanes_at_paper_width(lanes, cmdline_opts):
  """Q = 16 normalized through 4, 8 or 16 lanes (cfg.rms_lanes): exact at CL and RTL (and Verilator at 8), CL
  cycles = RTL cycles, and a longer vector's NORM takes Q / lanes cycles a beat more than its LOAD's one."""
  cfg = get_config("paper", rms_lanes=lanes)
  X, g = _xg(lanes, 1, 64)
  levels = ("cl", "rtl") + (("verilog",) if lanes == 8 and cmdline_opts.get("test_verilog", "") != "" else ())
  cyc = [run_rms(lv, cfg, X, g, cmdline_opts) for lv in levels]
  assert len(set(cyc)) == 1
  X2, g2 = _xg(lanes, 1, 192)
  more = run_rms("cl", cfg, X2, g2) - cyc[0]
  assert more == (192 - 64) // 16 * (1 + 16 // lanes)


def test_rms_lanes_validated():
  for bad in (3, 5, 6, -2, 2.0, True):
    with pytest.raises(ConfigError, match="rms_lanes"):
      get_config("paper", rms_lanes=bad)
  assert get_config("paper").rms_L == 8 and get_config("paper", rms_lanes=0).rms_L == 16
