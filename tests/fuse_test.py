"""
The TLMM-FUSE chain (quantize -> TLMM -> dequantize -> element-wise) at FL, CL, RTL (and Verilator) against
tellme_pymtl.fused.fuse_reference, every mode, under stalls; CL cycles equal RTL cycles.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.TLMMFuseCL import TLMMFuseCL
from fl_models.TLMMFuseFL import TLMMFuseFL
from rtl_models.TLMMFuseRTL import TLMMFuseRTL
from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx
from tellme_pymtl.config import get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": TLMMFuseFL, "cl": TLMMFuseCL, "rtl": TLMMFuseRTL, "verilog": TLMMFuseRTL}
MODES = ["none", "rope", "add", "mult_silu", "relu2"]


def run_fuse(level, cfg, W, ws, X, mode, B, cmdline_opts=None, max_delay=0, seed=0):
  m = mg.fuse_job_msgs(cfg, W, ws, X, mode, B)
  th = TestHarness(MODELS[level](cfg), {k: m[k] for k in ("cmd", "x", "wgt", "b")}, {"y": m["y"]},
                   max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


def _job(seed, out_dim, in_dim, ntok):
  rng = np.random.default_rng(seed)
  W = nx.random_ternary(rng, (out_dim, in_dim))
  X = (rng.standard_normal((ntok, in_dim)) * 2).astype(np.float16)
  B = (rng.standard_normal((ntok, out_dim))).astype(np.float16)
  return W, np.float32(rng.uniform(0.3, 1.0)), X, B


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("mode", MODES)
def test_fuse_mode(mode, level, cmdline_opts):
  need_level(level, cmdline_opts)
  W, ws, X, B = _job(MODES.index(mode), 6, 13, 2)
  run_fuse(level, get_config("small"), W, ws, X, mode, B, cmdline_opts, max_delay=2, seed=1)


@settings(max_examples=6)
@given(data=st.data())
def test_fuse_cl_cycles_equal_rtl(data, cmdline_opts):
  mode = data.draw(st.sampled_from(MODES))
  W, ws, X, B = _job(data.draw(st.integers(0, 10 ** 6)), 2 * data.draw(st.integers(1, 6)),
                     data.draw(st.integers(1, 20)), data.draw(st.integers(1, 2)))
  d, seed = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 99))
  cfg = get_config("small")
  c_cl = run_fuse("cl", cfg, W, ws, X, mode, B, cmdline_opts, d, seed)
  c_rtl = run_fuse("rtl", cfg, W, ws, X, mode, B, cmdline_opts, d, seed)
  assert c_cl == c_rtl


@settings(max_examples=6)
@given(data=st.data())
def test_fuse_property_fl(data, cmdline_opts):
  mode = data.draw(st.sampled_from(MODES))
  W, ws, X, B = _job(data.draw(st.integers(0, 10 ** 6)), 2 * data.draw(st.integers(1, 20)),
                     data.draw(st.integers(1, 60)), data.draw(st.integers(1, 3)))
  run_fuse("fl", get_config("small"), W, ws, X, mode, B, cmdline_opts, data.draw(st.integers(0, 3)), 5)


def test_fuse_cl_cycles_equal_verilog(cmdline_opts):
  need_level("verilog", cmdline_opts)
  W, ws, X, B = _job(11, 8, 20, 2)
  cfg = get_config("small")
  c_cl = run_fuse("cl", cfg, W, ws, X, "mult_silu", B, cmdline_opts, 2, 7)
  assert c_cl == run_fuse("verilog", cfg, W, ws, X, "mult_silu", B, cmdline_opts, 2, 7)


@pytest.mark.parametrize("lanes", [2, 4])
def test_chain_rate_with_fewer_lanes(lanes, cmdline_opts):
  """With the dequantizer and the element-wise unit on L of Q lanes, the chain streams a beat every Q/L cycles
  (the dequantizer stages its chunks while the element-wise unit still reads the beat before: no 2Q/L - 1), at
  CL and RTL alike."""
  cfg = get_config("small", Q=4, ew_lanes=lanes, deq_lanes=lanes, max_out_dim=128)
  cyc = {}
  for out in (64, 128):
    W, ws, X, B = _job(3, out, 6, 1)
    cyc[out] = run_fuse("cl", cfg, W, ws, X, "add", B)
    assert run_fuse("rtl", cfg, W, ws, X, "add", B, cmdline_opts) == cyc[out]
  assert cyc[128] - cyc[64] == (128 - 64) // cfg.Q * (cfg.Q // lanes)
