"""
The whole-model cycle model: its linear fits are exact where it extrapolates (streamed and replayed weights), the accelerator's trace is the
job list it prices, and the projections move with the parameters they depend on.
"""
import numpy as np

from tellme_pymtl import llm
from tellme_pymtl.config import get_config
from tellme_pymtl.model import ModelConfig, random_model
from tellme_pymtl.llm import step_jobs
from tellme_pymtl.perf import CycleModel
from tellme_pymtl.cli.levels import MODELS
from tellme_pymtl.cli.run import UNITS

SMALL = ModelConfig(vocab=40, hidden=96, intermediate=192, layers=2, heads=2, kv_heads=1, head_dim=48, max_pos=64)


def cm(cfg):
  return CycleModel(cfg, {u: MODELS[u]["cl"] for u in UNITS})


def test_decode_cost_is_linear_in_context():
  m = cm(get_config("paper"))
  a, b = m.decode_fit(2, 1, 48)
  # a third context length, simulated: on the line the two measured points define
  from tellme_pymtl import msgs as mg
  rng = np.random.default_rng(37)
  q = rng.standard_normal((1, 2, 48)).astype(np.float16)
  k = rng.standard_normal((37, 1, 48)).astype(np.float16)
  msg = mg.decode_job_msgs(m.cfg, q, k, k, max_ctx=37, fifo_depth=m.fifo)
  sim = m._sim("DecodeAttention", msg, ("cmd", "q"), ("out",), msg["image"], m.fifo, 48)
  assert abs(sim - (a + b * 37)) <= 1


def test_replayed_weight_jobs_linear_in_tokens():
  """A row tile that fits in half the weight buffer is streamed once and replayed per token: the price
  c(1) + (n - 1) * (c(2) - c(1)) equals a direct CL simulation at 5 tokens, which reads DDR once."""
  m = cm(get_config("paper"))
  from tellme_pymtl import msgs as mg, numerics as nx, packing
  from tellme_pymtl.ddr import DDRModel
  from tellme_pymtl.harness import TestHarness, simulate
  out, inn = packing.row_tiles(m.cfg, 1536, 4096)[0][1], 4096
  assert packing.fits_half(m.cfg, m._beats(out, inn))
  rng = np.random.default_rng(0)
  msg = mg.wpath_job_msgs(m.cfg, nx.random_ternary(rng, (out, inn)), nx.random_acts(rng, (5, inn)))
  ddr = DDRModel(m.cfg, msg["image"])
  th = TestHarness(MODELS["WeightPath"]["cl"](m.cfg), {k: msg[k] for k in ("cmd", "act")}, {"out": msg["out"]},
                   mems={"mem": ddr})
  sim = simulate(th, max_cycles=10 ** 7)["cycles"] - th.srcs["cmd"].fires[0]
  assert abs(m.linear(5, out, inn) - sim) <= 2
  assert ddr.words_sent == m._beats(out, inn) * m.cfg.words_per_beat
  assert m.linear(5, out, inn) < 2 * m.linear(1, out, inn)        # four more tokens cost less than one streaming


def test_trace_is_the_priced_job_list():
  am = llm.AccelModel(random_model(SMALL, 0), get_config("paper"))
  tr = []
  am.step([1, 2, 3], tr)
  assert tr == step_jobs(SMALL, am.cfg, 3, 3)
  tr = []
  am.step([4], tr)
  assert tr == step_jobs(SMALL, am.cfg, 1, 4)
  kinds = [j[0] for j in tr]
  assert kinds.count("linear") == 7 * SMALL.layers and kinds.count("decode") == SMALL.layers


def test_weight_streaming_follows_ddr_bandwidth():
  """A decode-shaped projection is DDR bound: halving the bandwidth about doubles its cycles; doubling it is
  capped by the three 256-bit ports (96 bytes a cycle)."""
  cfg = get_config("paper")
  base = cm(cfg).linear1(768, 1536)
  slope = cm(cfg).stream_line()[1]                                    # cycles per weight beat streamed
  assert 1.9 < cm(get_config("paper", ddr_gbps=8.55)).stream_line()[1] / slope < 2.05
  assert 1.7 < cm(get_config("paper", ddr_gbps=8.55)).linear1(768, 1536) / base < 2.05
  fast = cm(get_config("paper", ddr_gbps=34.2)).linear1(768, 1536)
  port_bound = (768 // cfg.Q) * -(-1536 // cfg.block_in) * cfg.words_per_beat     # one 768-bit word a cycle
  assert fast < base and abs(fast - port_bound) / port_bound < 0.1


def test_long_weight_jobs_priced_from_the_calibration():
  """A long weight-path job is priced from the calibration matrix; direct CL simulations of other shapes and
  token counts land within 1% of the price."""
  m = cm(get_config("paper"))
  from tellme_pymtl import msgs as mg, numerics as nx, packing
  for (out, inn, n) in [(2048, 1536, 1), (2432, 1536, 2)]:              # too big to replay: streamed per token
    rng = np.random.default_rng(0)
    msg = mg.wpath_job_msgs(m.cfg, nx.random_ternary(rng, (out, inn)), nx.random_acts(rng, (n, inn)))
    sim = m._sim("WeightPath", msg, ("cmd", "act"), ("out",), msg["image"])
    assert not packing.fits_half(m.cfg, m._beats(out, inn))
    assert abs(m.linear(n, out, inn) - sim) / sim < 0.01


def test_cache_key_follows_the_model_sources(tmp_path, monkeypatch):
  """A cached count is keyed by the CL models' sources: editing a model's folder gives another key (a stale count
  from an older model can not be read back)."""
  import importlib.util
  import sys
  from tellme_pymtl.perf import _sources_digest
  src = tmp_path / "UnitCL.py"
  src.write_text("class UnitCL:\n  pass\n")
  spec = importlib.util.spec_from_file_location("UnitCL", src)
  mod = importlib.util.module_from_spec(spec)
  monkeypatch.setitem(sys.modules, "UnitCL", mod)
  spec.loader.exec_module(mod)
  d1 = _sources_digest({"Unit": mod.UnitCL})
  assert _sources_digest({"Unit": mod.UnitCL}) == d1
  src.write_text("class UnitCL:\n  LATENCY = 2\n")
  assert _sources_digest({"Unit": mod.UnitCL}) != d1
