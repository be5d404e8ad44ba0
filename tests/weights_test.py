"""
The weight path: packing round trip, the DDR model's bandwidth and latency, the weight streamer and buffer at
FL, CL, RTL (and Verilator), and W.x with the weights coming from DDR through streamer and buffer.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cl_models.WeightStreamerCL import WeightStreamerCL
from fl_models.WeightStreamerFL import WeightStreamerFL
from rtl_models.WeightStreamerRTL import WeightStreamerRTL
from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx
from tellme_pymtl import packing
from tellme_pymtl.config import TeLLMeConfig, get_config
from tellme_pymtl.ddr import DDRError, DDRModel
from tellme_pymtl.harness import TestHarness, run_harness

from .conftest import LEVELS, need_level

STREAMERS = {"fl": WeightStreamerFL, "cl": WeightStreamerCL, "rtl": WeightStreamerRTL, "verilog": WeightStreamerRTL}


@settings(max_examples=30)
@given(st.integers(1, 40), st.integers(1, 200), st.integers(0, 2 ** 31), st.sampled_from(["small", "paper"]))
def test_pack_round_trip(out_dim, in_dim, seed, name):
  cfg = get_config(name)
  rng = np.random.default_rng(seed)
  Ws = [nx.random_ternary(rng, (out_dim, in_dim)), nx.random_ternary(rng, (3, 7))]
  image, bases, shapes = packing.pack(cfg, Ws)
  assert len(image) == sum((cfg.pad_out(w.shape[0]) // cfg.Q) * (cfg.pad_in(w.shape[1]) // cfg.block_in)
                           for w in Ws) * cfg.words_per_beat
  assert all(0 <= w < (1 << cfg.word_bits) for w in image)
  for W, b, sh in zip(Ws, bases, shapes):
    assert (packing.unpack(cfg, image, b, sh) == W).all()


def run_stream(level, cfg, W, passes, cmdline_opts=None, max_delay=0, seed=0, lead=(3, 5)):
  rng = np.random.default_rng(seed)
  image, bases, _ = packing.pack(cfg, [nx.random_ternary(rng, lead), W])
  nbeats = (cfg.pad_out(W.shape[0]) // cfg.Q) * (cfg.pad_in(W.shape[1]) // cfg.block_in)
  ddr = DDRModel(cfg, image)
  th = TestHarness(STREAMERS[level](cfg), {"cmd": [mg.mk_stream_cmd()(bases[1], nbeats, passes)]},
                   {"out": mg.wgt_beats_of(cfg, W, passes)}, max_delay=max_delay, seed=seed, mems={"mem": ddr})
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts), ddr


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name,shape,passes,delay", [("small", (20, 30), 2, 3), ("small", (2, 1), 1, 0),
                                                     ("paper", (40, 100), 1, 2)])
def test_streamer(name, shape, passes, delay, level, cmdline_opts):
  need_level(level, cmdline_opts)
  rng = np.random.default_rng(1)
  run_stream(level, get_config(name), nx.random_ternary(rng, shape), passes, cmdline_opts, delay, 4)


@settings(max_examples=10)
@given(data=st.data())
def test_streamer_cl_cycles_equal_rtl(data, cmdline_opts):
  out_dim, in_dim = data.draw(st.integers(1, 30)), data.draw(st.integers(1, 60))
  passes, delay, seed = data.draw(st.integers(1, 3)), data.draw(st.integers(0, 3)), data.draw(st.integers(0, 99))
  cfg = get_config("small")
  W = nx.random_ternary(np.random.default_rng(seed), (out_dim, in_dim))
  assert run_stream("cl", cfg, W, passes, cmdline_opts, delay, seed)[0] == \
    run_stream("rtl", cfg, W, passes, cmdline_opts, delay, seed)[0]


def test_ddr_bandwidth_and_latency(cmdline_opts):
  """A long stream runs at the modeled bandwidth; the first word comes no sooner than the latency."""
  cfg = get_config("small")
  W = nx.random_ternary(np.random.default_rng(2), (64, 240))
  _, ddr = run_stream("cl", cfg, W, 1, cmdline_opts)
  assert 0.95 <= ddr.utilization() <= 1.01
  assert ddr.first_cycle >= cfg.ddr_latency
  slow = cfg.replace(ddr_gbps=0.125)
  _, ddr2 = run_stream("cl", slow, W, 1, cmdline_opts)
  assert 0.95 <= ddr2.utilization() <= 1.01
  assert ddr2.last_cycle > 1.8 * ddr.last_cycle


def test_ddr_rejects_bad_requests():
  cfg = get_config("small")
  ddr = DDRModel(cfg, [0] * 10)
  ddr.elaborate()
  with pytest.raises(DDRError, match="outside"):
    ddr.accept(8, 4)
  with pytest.raises(DDRError, match="bursts"):
    ddr.accept(0, cfg.burst_len + 1)
