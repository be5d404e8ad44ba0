"""
Quantizer at FL, CL, RTL (and Verilator): FP16 vectors in, the BitNet scale and the int8 TLMM activation
blocks out, equal to the BitNet reference formula exactly; CL cycles equal RTL cycles.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.QuantizerCL import QuantizerCL, quant_cycles
from fl_models.QuantizerFL import QuantizerFL
from rtl_models.QuantizerRTL import QuantizerRTL
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.config import TeLLMeConfig, get_config
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

MODELS = {"fl": QuantizerFL, "cl": QuantizerCL, "rtl": QuantizerRTL, "verilog": QuantizerRTL}


def run_quant(level, cfg, X16, cmdline_opts=None, max_delay=0, seed=0):
  m = mg.quant_job_msgs(cfg, X16)
  th = TestHarness(MODELS[level](cfg), {"cmd": m["cmd"], "x": m["x"]}, {"scale": m["scale"], "act": m["act"]},
                   max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts), th


def bitnet_reference(x16):
  """The BitNet / HF formula, written out independently in float32 for the check."""
  x = np.asarray(x16, dtype=np.float32)
  s = np.float32(127.0) / np.maximum(np.abs(x).max(), np.float32(1e-5))
  return np.clip(np.rint(x * s), -128, 127).astype(np.int64), np.float32(s)


def _vec(seed, n, scale=1.0, kind="normal"):
  rng = np.random.default_rng(seed)
  if kind == "zero":
    return np.zeros(n, dtype=np.float16)
  if kind == "ties":      # values that land exactly on .5 after scaling by 127/absmax = 1
    v = (rng.integers(-254, 255, n) / 2).astype(np.float16)
    v[0] = np.float16(127.0)
    return v
  return np.clip(rng.standard_normal(n) * scale, -65504, 65504).astype(np.float16)


CASES = {
  "one_beat": ("small", [_vec(1, 2)]),
  "pad_block": ("small", [_vec(2, 13), _vec(3, 13, 40.0)]),
  "zeros": ("small", [_vec(0, 8, kind="zero")]),
  "ties": ("small", [_vec(4, 30, kind="ties")]),
  "tiny": ("small", [_vec(5, 11, 1e-6)]),                # absmax below the 1e-5 floor
  "huge": ("small", [_vec(6, 9, 6e4)]),
  "paper": ("paper", [_vec(7, 100, 3.0)]),
}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("case", list(CASES))
def test_quantizer_case(case, level, cmdline_opts):
  need_level(level, cmdline_opts)
  name, rows = CASES[case]
  run_quant(level, get_config(name), np.stack(rows), cmdline_opts, max_delay=2, seed=1)


@given(st.lists(st.floats(-65504, 65504, width=16), min_size=1, max_size=60), st.floats(1e-3, 1e3))
def test_golden_equals_bitnet_formula(vals, mul):
  x = np.clip(np.array(vals, dtype=np.float32) * np.float32(mul), -65504, 65504).astype(np.float16)
  q, s = fused.quantize(x)
  q_ref, s_ref = bitnet_reference(x)
  assert s == s_ref and (q == q_ref).all()


def test_all_zero_vector_matches_bitnet():
  x = np.zeros(37, dtype=np.float16)
  q, s = fused.quantize(x)
  q_ref, s_ref = bitnet_reference(x)
  assert s == s_ref == np.float32(127.0) / np.float32(1e-5) and (q == 0).all() and (q == q_ref).all()


@st.composite
def quant_job(draw):
  cfg = TeLLMeConfig(T=draw(st.sampled_from([1, 2, 4])), Q=draw(st.sampled_from([1, 2, 4])), acc_bits=18,
                     max_in_dim=120, max_out_dim=16, name="hyp")
  n = draw(st.integers(1, 40))
  ntok = draw(st.integers(1, 2))
  kind = draw(st.sampled_from(["normal", "normal", "zero", "ties"]))
  scale = draw(st.sampled_from([1e-6, 1e-2, 1.0, 100.0, 3e4]))
  X = np.stack([_vec(draw(st.integers(0, 10 ** 6)), n, scale, kind) for _ in range(ntok)])
  return cfg, X, draw(st.integers(0, 3)), draw(st.integers(0, 99))


@pytest.mark.parametrize("level", ["fl", "cl", "rtl"])
@settings(max_examples=15)
@given(job=quant_job())
def test_quantizer_property(level, job, cmdline_opts):
  cfg, X, delay, seed = job
  run_quant(level, cfg, X, cmdline_opts, max_delay=delay, seed=seed)


@settings(max_examples=15)
@given(job=quant_job())
def test_quantizer_cl_cycles_equal_rtl(job, cmdline_opts):
  cfg, X, delay, seed = job
  c_cl, th = run_quant("cl", cfg, X, cmdline_opts, max_delay=delay, seed=seed)
  c_rtl, _ = run_quant("rtl", cfg, X, cmdline_opts, max_delay=delay, seed=seed)
  assert c_cl == c_rtl
  if delay == 0 and X.shape[0] == 1:
    assert c_cl - th.srcs["x"].fires[0] + 1 == quant_cycles(cfg, X.shape[1])


def test_quantizer_cl_equals_verilog(cmdline_opts):
  need_level("verilog", cmdline_opts)
  name, rows = CASES["pad_block"]
  c_cl, _ = run_quant("cl", get_config(name), np.stack(rows), cmdline_opts, max_delay=3, seed=5)
  c_v, _ = run_quant("verilog", get_config(name), np.stack(rows), cmdline_opts, max_delay=3, seed=5)
  assert c_cl == c_v
