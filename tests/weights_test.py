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
from tellme_pymtl.config import get_config
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
  span = ddr.last_cycle - ddr.first_cycle
  assert 0.95 <= ddr.utilization() <= 1.0 + 1.0 / span
  assert ddr.first_cycle >= cfg.ddr_latency
  slow = cfg.replace(ddr_gbps=0.125)
  _, ddr2 = run_stream("cl", slow, W, 1, cmdline_opts)
  assert 0.95 <= ddr2.utilization() <= 1.0 + 1.0 / (ddr2.last_cycle - ddr2.first_cycle)
  assert ddr2.last_cycle > 1.8 * ddr.last_cycle


def test_ddr_rejects_bad_requests():
  cfg = get_config("small")
  ddr = DDRModel(cfg, [0] * 10)
  ddr.elaborate()
  with pytest.raises(DDRError, match="outside"):
    ddr.accept(8, 4)
  with pytest.raises(DDRError, match="bursts"):
    ddr.accept(0, cfg.burst_len + 1)


# The weight buffer and the whole weight path ---------------------------------------------------------------------

from cl_models.WeightBufferCL import WeightBufferCL  # noqa: E402
from cl_models.WeightPathCL import WeightPathCL  # noqa: E402
from fl_models.WeightBufferFL import WeightBufferFL  # noqa: E402
from fl_models.WeightPathFL import WeightPathFL  # noqa: E402
from rtl_models.WeightBufferRTL import WeightBufferRTL  # noqa: E402
from rtl_models.WeightPathRTL import WeightPathRTL  # noqa: E402

BUFFERS = {"fl": WeightBufferFL, "cl": WeightBufferCL, "rtl": WeightBufferRTL, "verilog": WeightBufferRTL}
PATHS = {"fl": WeightPathFL, "cl": WeightPathCL, "rtl": WeightPathRTL, "verilog": WeightPathRTL}
DEEP = get_config("small", uram_depth=4, wbuf_half_beats=6)     # 3 depth blocks per lane: exercises the mux


def buffer_streams(cfg, W, passes):
  """(command, beats in, beats out) of a buffer job: a pass that fits in one half comes in once (reuse)."""
  nbeats = mg.wpath_beats(cfg, *W.shape)
  once = packing.fits_half(cfg, nbeats)
  return (mg.mk_stream_cmd()(0, nbeats, passes), mg.wgt_beats_of(cfg, W, 1 if once else passes),
          mg.wgt_beats_of(cfg, W, passes))


def run_buffer(level, cfg, W, passes, cmdline_opts=None, max_delay=0, seed=0):
  cmd, bin_, bout = buffer_streams(cfg, W, passes)
  th = TestHarness(BUFFERS[level](cfg), {"cmd": [cmd], "in_": bin_}, {"out": bout}, max_delay=max_delay, seed=seed)
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("cfgname,shape", [("small", (21, 40)), ("deep", (21, 40)), ("small", (6, 30)),
                                           ("deep", (2, 30))])
def test_buffer(cfgname, shape, level, cmdline_opts):
  """Beats out in order, each pass of the job; the last two shapes fit in one half (written once, replayed)."""
  need_level(level, cmdline_opts)
  cfg = DEEP if cfgname == "deep" else get_config("small")
  W = nx.random_ternary(np.random.default_rng(3), shape)
  assert packing.fits_half(cfg, mg.wpath_beats(cfg, *shape)) == (shape[0] < 21)
  run_buffer(level, cfg, W, 3, cmdline_opts, 3, 2)


@settings(max_examples=10)
@given(data=st.data())
def test_buffer_cl_cycles_equal_rtl(data, cmdline_opts):
  cfg = data.draw(st.sampled_from([get_config("small"), DEEP]))
  W = nx.random_ternary(np.random.default_rng(data.draw(st.integers(0, 99))),
                        (data.draw(st.integers(1, 30)), data.draw(st.integers(1, 50))))
  passes, d, seed = data.draw(st.integers(1, 3)), data.draw(st.integers(0, 3)), data.draw(st.integers(0, 99))
  assert run_buffer("cl", cfg, W, passes, cmdline_opts, d, seed) == run_buffer("rtl", cfg, W, passes, cmdline_opts, d, seed)


def run_path(level, cfg, W, X, cmdline_opts=None, max_delay=0, seed=0):
  rng = np.random.default_rng(seed)
  m = mg.wpath_job_msgs(cfg, W, X, lead=[nx.random_ternary(rng, (5, 9))])
  ddr = DDRModel(cfg, m["image"])
  th = TestHarness(PATHS[level](cfg), {"cmd": m["cmd"], "act": m["act"]}, {"out": m["out"]},
                   max_delay=max_delay, seed=seed, mems={"mem": ddr})
  return run_harness(th, verilog=(level == "verilog"), cmdline_opts=cmdline_opts), th, ddr


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("cfgname,shape,ntok,delay", [("small", (30, 40), 2, 3), ("deep", (9, 13), 1, 0),
                                                      ("paper", (40, 100), 1, 1), ("small", (10, 40), 3, 2),
                                                      ("deep", (2, 13), 4, 1)])
def test_weight_path(cfgname, shape, ntok, delay, level, cmdline_opts):
  """W.x is exact with every index coming from DDR through the streamer and the buffer. The last two jobs fit
  in half the buffer: DDR is read once for all the tokens (weight reuse), else once per token."""
  need_level(level, cmdline_opts)
  cfg = DEEP if cfgname == "deep" else get_config(cfgname)
  rng = np.random.default_rng(6)
  W, X = nx.random_ternary(rng, shape), nx.random_acts(rng, (ntok, shape[1]))
  _, th, ddr = run_path(level, cfg, W, X, cmdline_opts, delay, 1)
  nbeats = mg.wpath_beats(cfg, *shape)
  reuse = packing.fits_half(cfg, nbeats)
  assert reuse or ntok < 3
  assert ddr.words_sent == nbeats * cfg.words_per_beat * (1 if reuse else ntok)


@settings(max_examples=8)
@given(data=st.data())
def test_weight_path_cl_cycles_equal_rtl(data, cmdline_opts):
  cfg = data.draw(st.sampled_from([get_config("small"), DEEP]))
  rng = np.random.default_rng(data.draw(st.integers(0, 999)))
  shape = (data.draw(st.integers(1, 30)), data.draw(st.integers(1, 40)))
  W, X = nx.random_ternary(rng, shape), nx.random_acts(rng, (data.draw(st.integers(1, 3)), shape[1]))
  d, seed = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 99))
  assert run_path("cl", cfg, W, X, cmdline_opts, d, seed)[0] == run_path("rtl", cfg, W, X, cmdline_opts, d, seed)[0]


@pytest.mark.parametrize("cfg", [get_config("small"), DEEP, get_config("small", T=4, wbuf_half_beats=20)])
def test_uram_blocks_equal_capacity_formula(cfg):
  """The buffer instantiates exactly cfg.uram_blocks URAM blocks: Q x ceil(T*5/uram_bits) x
  ceil(2H/uram_depth)."""
  m = WeightBufferRTL(cfg)
  m.elaborate()
  n = sum(1 for c in m.get_all_object_filter(lambda o: type(o).__name__ == "URAMRTL"))
  assert n == m.nblocks == cfg.uram_blocks
  assert cfg.uram_blocks == cfg.Q * -(-(cfg.T * cfg.idx_bits) // cfg.uram_bits) * -(-(2 * cfg.wbuf_half_beats) // cfg.uram_depth)


def test_paper_uram_count():
  """At the paper's shape: 16 lanes x 2 cascaded 72-bit URAMs (140-bit index vectors) x 1 deep = 32."""
  cfg = get_config("paper")
  assert (cfg.uram_width_blocks, cfg.uram_blocks) == (2, 32)
  assert cfg.replace(wbuf_half_beats=2048).uram_blocks == 32 and cfg.replace(wbuf_half_beats=4096).uram_blocks == 64


@pytest.mark.parametrize("cfg", [get_config("small"), DEEP])
@settings(max_examples=6)
@given(data=st.data())
def test_buffer_never_reads_before_write(cfg, data):
  """Probe the RTL buffer every cycle: beat i is written where packing.buffer_location says, never over a beat
  not yet read, and every read takes a written, unread address."""
  from tellme_pymtl.harness import simulate
  W = nx.random_ternary(np.random.default_rng(data.draw(st.integers(0, 99))),
                        (data.draw(st.integers(1, 30)), data.draw(st.integers(1, 50))))
  passes = data.draw(st.integers(1, 3))
  cmd, bin_, bout = buffer_streams(cfg, W, passes)
  th = TestHarness(WeightBufferRTL(cfg), {"cmd": [cmd], "in_": bin_}, {"out": bout},
                   max_delay=data.draw(st.integers(0, 4)), seed=data.draw(st.integers(0, 99)))
  state = {"held": set(), "w": 0, "r": 0}
  H = cfg.wbuf_half_beats
  reads = {}                           # address -> times read; a replayed job's beats are read `passes` times
  nread = passes if len(bin_) < len(bout) else 1

  def probe(h, cyc):
    b = h.dut
    if b.ren:                          # reads and writes of this cycle (signals before the clock edge)
      a = int(b.ra)
      assert a in state["held"], f"read of address {a} before it was written"
      reads[a] = reads.get(a, 0) + 1
      if reads[a] == nread:
        state["held"].discard(a)
        reads[a] = 0
      state["r"] += 1
    if b.wen:
      a = int(b.wa)
      half, addr, _, blk, row = packing.buffer_location(cfg, state["w"])
      assert a == half * H + addr and int(b.wblk) == blk and int(b.wrow) == row
      assert a not in state["held"], f"write over unread address {a}"
      state["held"].add(a)
      state["w"] += 1

  simulate(th, pre_cycle=probe)
  assert state["w"] == len(bin_) and state["r"] == len(bout) and not state["held"]


@settings(max_examples=60)
@given(st.integers(1, 4096), st.integers(1, 4116), st.sampled_from([16, 64, 256, 2048]))
def test_row_tiles_cover_the_matrix(out_dim, in_dim, half):
  """Row tiles are consecutive groups of Q rows covering every row once; each fits in one half of the weight
  buffer whenever one input column of beats does, and there are no more tiles than that needs."""
  cfg = get_config("paper", wbuf_half_beats=half)
  tiles = packing.row_tiles(cfg, out_dim, in_dim)
  assert tiles[0][0] == 0 and sum(r for _, r in tiles) == out_dim
  assert all(a + ra == b for (a, ra), (b, _) in zip(tiles, tiles[1:]))
  assert all(r0 % cfg.Q == 0 and r > 0 for r0, r in tiles)
  nbi = cfg.pad_in(in_dim) // cfg.block_in
  if nbi <= half:
    assert all(packing.fits_half(cfg, mg.wpath_beats(cfg, r, in_dim)) for _, r in tiles)
    per = half // nbi                                  # row groups a tile can hold
    assert len(tiles) == -(-(cfg.pad_out(out_dim) // cfg.Q) // per)
  else:
    assert tiles == [(0, out_dim)]
