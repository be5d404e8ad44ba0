"""Dequantizer at FL, CL, RTL (and Verilator): accumulators and scales in, fp16(fp32(acc) * wscale/s_x) out."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.DequantizerCL import DequantizerCL
from fl_models.DequantizerFL import DequantizerFL
from rtl_models.DequantizerRTL import DequantizerRTL
from tellme_pymtl import msgs as mg
from tellme_pymtl.config import ConfigError, TeLLMeConfig, get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": DequantizerFL, "cl": DequantizerCL, "rtl": DequantizerRTL, "verilog": DequantizerRTL}


def run_deq(level, cfg, ACC, ws, sx, cmdline_opts=None, max_delay=0, seed=0):
  m = mg.deq_job_msgs(cfg, ACC, ws, sx)
  th = TestHarness(MODELS[level](cfg), {"cmd": m["cmd"], "scale": m["scale"], "acc": m["acc"]}, {"y": m["y"]},
                   max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


def _job(seed, ntok, n, acc_bits):
  rng = np.random.default_rng(seed)
  lim = 1 << (acc_bits - 1)
  ACC = rng.integers(-lim, lim, (ntok, n))
  ACC[0, 0] = -lim
  return ACC, np.float32(rng.uniform(0.01, 2)), rng.uniform(0.5, 500, ntok).astype(np.float32)


CASES = {
  "small": ("small", *_job(1, 2, 5, 16)),
  "small_one": ("small", *_job(2, 1, 1, 16)),
  "paper": ("paper", *_job(3, 1, 40, 24)),
  "overflow": ("small", np.array([[32767, -32768, 5, 0]]), np.float32(100.0), np.float32([1e-3])),  # to inf
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("case", list(CASES))
def test_dequantizer_case(case, level, cmdline_opts):
  need_level(level, cmdline_opts)
  name, ACC, ws, sx = CASES[case]
  run_deq(level, get_config(name), ACC, ws, sx, cmdline_opts, max_delay=2, seed=3)


@st.composite
def deq_job(draw):
  Q = draw(st.sampled_from([1, 2, 4]))
  cfg = TeLLMeConfig(T=2, Q=Q, acc_bits=draw(st.sampled_from([14, 18, 24])), max_in_dim=60, max_out_dim=40,
                     deq_lanes=draw(st.sampled_from([0, 1, 2] if Q > 1 else [0, 1])), name="hyp")
  ntok, n = draw(st.integers(1, 3)), draw(st.integers(1, 40))
  ACC, ws, sx = _job(draw(st.integers(0, 10 ** 6)), ntok, n, cfg.acc_bits)
  return cfg, ACC, ws, sx, draw(st.integers(0, 3)), draw(st.integers(0, 99))


@pytest.mark.parametrize("level", ["fl", "cl", "rtl"])
@settings(max_examples=15)
@given(job=deq_job())
def test_dequantizer_property(level, job, cmdline_opts):
  cfg, ACC, ws, sx, d, seed = job
  run_deq(level, cfg, ACC, ws, sx, cmdline_opts, max_delay=d, seed=seed)


@settings(max_examples=15)
@given(job=deq_job())
def test_dequantizer_cl_cycles_equal_rtl(job, cmdline_opts):
  cfg, ACC, ws, sx, d, seed = job
  assert run_deq("cl", cfg, ACC, ws, sx, cmdline_opts, d, seed) == run_deq("rtl", cfg, ACC, ws, sx, cmdline_opts, d, seed)


@pytest.mark.parametrize("lanes", [2, 4, 16])
def test_lanes_at_paper_width(lanes, cmdline_opts):
  """Q = 16 through 2, 4 or 16 FP lanes (cfg.deq_lanes): exact at CL and RTL (and Verilator at 2), CL cycles =
  RTL cycles, and a long token takes Q / lanes cycles a beat."""
  cfg = get_config("paper", deq_lanes=lanes)
  ACC, ws, sx = _job(lanes, 2, 64, cfg.acc_bits)
  levels = ("cl", "rtl") + (("verilog",) if lanes == 2 and cmdline_opts.get("test_verilog", "") != "" else ())
  cyc = [run_deq(lv, cfg, ACC, ws, sx, cmdline_opts) for lv in levels]
  assert len(set(cyc)) == 1
  ACC2, ws2, sx2 = _job(lanes, 2, 192, cfg.acc_bits)
  more = run_deq("cl", cfg, ACC2, ws2, sx2) - cyc[0]
  assert more == 2 * (192 - 64) // 16 * (16 // lanes)


def test_deq_lanes_validated():
  for bad in (3, 5, 6, -2, 2.0, True):
    with pytest.raises(ConfigError, match="deq_lanes"):
      get_config("paper", deq_lanes=bad)
  assert get_config("paper").deq_L == 16 and get_config("paper", deq_lanes=4).deq_L == 4
