"""
The accelerator top (rtl_models.AccelTopRTL, tellme_pymtl.top): its pieces against their specifications, and the
whole top against FL (the same greedy tokens) and the CL cycle model (within 2%).

- DDRMemRTL and tellme_pymtl.ddr.DDRModel in lockstep under random traffic: the same ready, valid and data
  every cycle (so the unit-by-unit CL counts, measured on DDRModel, hold inside the top).
- DmaAddrRTL's address walk equals tellme_pymtl.top.walk for random descriptors under random stalls.
- RMS-MAX and dequantizer jobs through the top in Python simulation, on the attention datapath's lanes: the
  words read back are the golden functions', and attention is never busy together with either.
- The functional top (AccelTopFL) runs the host's programs: FL's tokens on random micro models and on the
  built-in model at the paper configuration.
- The CL top (AccelTopCL) on a random micro model: FL's tokens, each step within 2% of CycleModel.
- A random micro model through the top under Verilator: FL's tokens; the step cycles within 2% of CycleModel,
  and exactly the CL top's (every step and the model load).
"""
import functools
import random

import numpy as np
import pytest
from pymtl3.passes import DefaultPassGroup

from cl_models.AccelTopCL import AccelTopCL
from fl_models.AccelTopFL import AccelTopFL
from rtl_models.AccelTopRTL import AccelTopRTL
from rtl_models.DDRMemRTL import DDRMemRTL
from rtl_models.DmaAddrRTL import DmaAddrRTL
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.cli.levels import MODELS, build_dir
from tellme_pymtl.cli.run import BUILTIN, UNITS
from tellme_pymtl.config import ConfigError, get_config
from tellme_pymtl.ddr import DDRModel
from tellme_pymtl.llm import AccelModel
from tellme_pymtl.model import ModelConfig, load_checkpoint, random_model
from tellme_pymtl.perf import CycleModel
from tellme_pymtl.top import (B, TopHarness, TopISA, TopProgram, TopRunner, contig, f16_words, mk_desc, walk,
                              words_f16)

from .conftest import need_level

CFG = get_config("small", port_bits=64)
MICRO = ModelConfig(vocab=40, hidden=48, intermediate=64, layers=1, heads=2, kv_heads=1, head_dim=12, max_pos=32)


def _sim(m):
  m.elaborate()
  m.apply(DefaultPassGroup())
  m.sim_reset()
  return m


@pytest.mark.parametrize("gbps", [0.25, 0.375, 2.0])
def test_ddr_rtl_matches_ddr_model(gbps):
  cfg = CFG.replace(ddr_gbps=gbps)
  rng = random.Random(int(gbps * 1000))
  image = [rng.getrandbits(cfg.word_bits) for _ in range(64)]
  py = _sim(DDRModel(cfg, image))
  rtl = _sim(DDRMemRTL(cfg, 64))
  for a, w in enumerate(image):
    rtl.mem[a] <<= w                 # the next value: it takes effect at the first clock edge
  seen = 0
  for cyc in range(3000):
    n = rng.randint(1, cfg.burst_len)
    addr = rng.randint(0, 64 - n)
    for m in (py, rtl):
      m.req.val @= rng.random() < 0.3 if m is py else py.req.val
      m.req.msg.addr @= addr
      m.req.msg.len @= n
      m.resp.rdy @= (rng.random() < 0.8) if m is py else py.resp.rdy
      m.wreq.val @= (rng.random() < 0.01) if m is py else py.wreq.val
      m.wreq.msg.addr @= 63
      m.wreq.msg.data @= 5
    rtl.hw.val @= 0
    py.sim_eval_combinational()
    rtl.sim_eval_combinational()
    assert int(rtl.req.rdy) == int(py.req.rdy), f"req.rdy differs at cycle {cyc}"
    assert int(rtl.resp.val) == int(py.resp.val), f"resp.val differs at cycle {cyc}"
    if py.resp.val:
      assert int(rtl.resp.msg) == int(py.resp.msg), f"data differs at cycle {cyc}"
      seen += int(py.resp.rdy)
    py.sim_tick()
    rtl.sim_tick()
  assert seen > 30


def test_dma_walk_matches_spec():
  rng = random.Random(3)
  m = _sim(DmaAddrRTL(2))
  D = mk_desc()
  descs = [(rng.randrange(10), rng.randrange(100), rng.randint(1, 4), rng.randint(1, 3), rng.randrange(9),
            rng.randint(1, 3), rng.randrange(20)) for _ in range(12)]
  want = [(d[0], a) for d in descs for a in walk(d)]
  got, pending = [], list(descs)
  for _ in range(2000):
    m.desc.val @= bool(pending)
    if pending:
      m.desc.msg @= D(*pending[0])
    adv = rng.random() < 0.7
    m.adv @= adv & int(m.active)
    m.sim_eval_combinational()
    if m.active and adv:
      got.append((int(m.bank), int(m.addr)))
    if pending and m.desc.rdy:
      pending.pop(0)
    m.sim_tick()
  assert got == want
  assert m.idle


def test_rms_and_deq_jobs_through_top_python_sim():
  """RMS-MAX (its sum of squares on the attention datapath's DOT lanes) and the dequantizer (its multiply and
  narrowing on the FIN path) through the top in Python simulation, after a decode attention job: the host writes
  the inputs, issues the three jobs without waiting in between (RMS-MAX's command arrives while decode is busy
  and must wait; RMS-MAX and the dequantizer, both on the UPD multipliers, exclude each other) and reads the
  results back; every word is the golden function's, and the probe never sees attention busy together with
  either, nor those two together."""
  rng = np.random.default_rng(0)
  x = rng.standard_normal(8).astype(np.float16)
  g = rng.standard_normal(8).astype(np.float16)
  acc = rng.integers(-(1 << (CFG.acc_bits - 1)), 1 << (CFG.acc_bits - 1), (2, 6))
  s_x = np.array([3.5, 0.02], dtype=np.float32)
  w_scale = np.float32(0.71)
  isa = TopISA(CFG)
  th = TopHarness(AccelTopRTL(CFG, bank_depth=16, ddr_depth=16, npe=2, fifo_depth=16, max_hdim=16), isa)
  th.elaborate()
  th.apply(DefaultPassGroup())
  th.sim_reset()
  b = len(f16_words(CFG, x))
  prog = [isa.wbank(B["X"], i, w) for i, w in enumerate(f16_words(CFG, x))]
  prog += [isa.wbank(B["P"], i, w) for i, w in enumerate(f16_words(CFG, g))]
  m = mg.deq_job_msgs(CFG, acc, w_scale, s_x)
  aw = CFG.acc_bits
  acc_words = [sum((int(v) & ((1 << aw) - 1)) << (aw * i) for i, v in enumerate(beat)) for beat in m["acc"]]
  prog += [isa.wbank(B["ACC"], i, w) for i, w in enumerate(acc_words)]
  prog += [isa.wbank(B["S"], i, int(v)) for i, v in enumerate(m["scale"])]
  ob = len(acc_words)
  qd = rng.standard_normal((1, 1, 4)).astype(np.float16)
  kd, vd = rng.standard_normal((2, 3, 1, 4)).astype(np.float16)
  md = mg.decode_job_msgs(CFG, qd, kd, vd, max_ctx=5, fifo_depth=16)
  pack = lambda beat: sum(int(v) << (16 * i) for i, v in enumerate(beat))
  prog += [isa.wddr(a, int(w)) for a, w in enumerate(md["image"])]
  prog += [isa.wbank(B["QB"], i, pack(beat)) for i, beat in enumerate(md["q"])]
  nq, nd = len(md["q"]), len(md["out"])
  prog.append(isa.run("dec", md["cmd"][0], [
    (("dec", "q"), contig("QB", 0, nq)), (("dec", "out"), contig("A2", 0, nd))], wait=False))
  prog.append(isa.run("rms", mg.rms_cmd(CFG, 8, 1, 1e-5), [
    (("rms", "x"), contig("X", 0, b)), (("rms", "g"), contig("P", 0, b)), (("rms", "y"), contig("A0", 4, b)),
    (("rms", "amax"), contig("Z", 0, 1))], wait=False))
  prog.append(isa.run("deq", mg.deq_cmd(CFG, 6, 2, w_scale), [
    (("deq", "scale"), contig("S", 0, 2)), (("deq", "acc"), contig("ACC", 0, ob)),
    (("deq", "y"), contig("A1", 0, ob))]))
  prog.append(isa.run(None, None, [(("host", "out"), contig("A0", 4, b))]))
  prog.append(isa.run(None, None, [(("host", "out"), contig("A1", 0, ob))]))
  prog.append(isa.run(None, None, [(("host", "out"), contig("A2", 0, nd))]))
  th.src.pending += isa.words(prog)
  top, together, waited = th.dut, [], 0
  for cycle in range(3000):
    th.sim_tick()
    if int(top.attn.busy) & (int(top.rms.busy) | int(top.deq.busy)) or int(top.rms.busy) & int(top.deq.busy):
      together.append(cycle)
    waited += int(top.attn.busy) & int(top.seq.instr.val) & ~int(top.seq.instr.rdy) & 1   # the RMS-MAX RUN waits
    if len(th.snk.words) == b + ob + nd:
      break
  assert not together, f"attention and another user of its lanes busy at cycles {together[:3]}"
  assert waited, "the RMS-MAX command never met a busy attention unit: the test lost its point"
  y = words_f16(CFG, th.snk.words[:b], 8)
  want = fused.rms_max(x, g, CFG.Q, fused.inv_dim(8), np.float32(1e-5))[0]
  assert y.view(np.uint16).tolist() == np.asarray(want, dtype=np.float16).view(np.uint16).tolist()
  per_tok = ob // 2
  got = [words_f16(CFG, th.snk.words[b + t * per_tok:b + (t + 1) * per_tok], 6) for t in range(2)]
  want = fused.dequantize(acc, w_scale, s_x)
  assert np.array(got).view(np.uint16).tolist() == np.asarray(want, dtype=np.float16).view(np.uint16).tolist()
  assert th.snk.words[b + ob:] == [pack(beat) for beat in md["out"]]


@pytest.mark.parametrize("seed", [1, 2])
def test_fl_top_runs_the_program(seed):
  """The functional top (the instruction set's specification) runs the host's programs for a random micro model:
  the accelerator forward's tokens (tellme_pymtl.llm at FL)."""
  m = random_model(MICRO, seed)
  prompt = [3, 1, 4, 1, 5]
  fl = AccelModel(m, CFG, npe=2, max_ctx=9).generate(prompt, 4)
  r = TopRunner(AccelTopFL, m, CFG, max_prompt=5, max_ctx=9, npe=2)
  assert r.generate(prompt, 4)[0] == fl


def test_fl_top_builtin_model():
  """The built-in model at the paper's configuration through the functional top: the same text as FL."""
  m = load_checkpoint(BUILTIN)
  prompt = list(b"Beautiful is better than")
  cfg = get_config("paper")
  fl = AccelModel(m, cfg, max_ctx=len(prompt) + 6).generate(prompt, 6)
  r = TopRunner(AccelTopFL, m, cfg, max_prompt=len(prompt), max_ctx=len(prompt) + 6)
  assert r.generate(prompt, 6)[0] == fl


def test_top_rejects_unaligned_heads():
  m = random_model(ModelConfig(vocab=16, hidden=24, intermediate=16, layers=1, heads=4, kv_heads=1, head_dim=6,
                               max_pos=8), 0)
  cfg = CFG.replace(Q=4)
  with pytest.raises(ConfigError, match="head_dim=6 must be a multiple of Q=4"):
    TopProgram(AccelModel(m, cfg, npe=2), 4, npe=2)


MICRO_PROMPT, MICRO_NEW = [1, 2, 3, 4, 5], 3


@functools.lru_cache(maxsize=None)
def micro_run(level):
  """A random micro model (5-token prompt: three prefill passes of N_pe = 2 rows, the last one short; two decode
  steps): FL's tokens and the per-step jobs (traces), or the CL top's tokens, step cycles and load cycles."""
  m = random_model(MICRO, 1)
  if level == "fl":
    am = AccelModel(m, CFG, npe=2, max_ctx=len(MICRO_PROMPT) + MICRO_NEW)
    traces = []
    return am.generate(MICRO_PROMPT, MICRO_NEW, traces=traces), traces
  r = TopRunner(AccelTopCL, m, CFG, max_prompt=len(MICRO_PROMPT), max_ctx=len(MICRO_PROMPT) + MICRO_NEW, npe=2)
  toks, cycles = r.generate(MICRO_PROMPT, MICRO_NEW)
  return toks, cycles, r.load_cycles


def within_cycle_model(cycles, traces):
  cm = CycleModel(CFG, {u: MODELS[u]["cl"] for u in UNITS}, npe=2)
  est = [cm.cycles(t)[0] for t in traces]
  assert len(cycles) == len(est) == MICRO_NEW
  for got, want in zip(cycles, est):
    assert abs(got - want) / want < 0.02, (cycles, est)


def test_micro_model_on_top_cl():
  """The CL top (the units' CL models, the top's pieces with their RTL's timing) runs the host's program: FL's
  tokens, each step's cycles within 2% of the CL cycle model's (the units one after another)."""
  fl, traces = micro_run("fl")
  toks, cycles, load = micro_run("cl")
  assert toks == fl and load > 0
  within_cycle_model(cycles, traces)


def test_micro_model_on_top_verilator(cmdline_opts):
  """FL's tokens from the composed RTL top under Verilator; each step's measured cycles within 2% of the CL cycle
  model's count for the same step, and equal to the CL top's, cycle for cycle (so is the model load). Built
  where `tellme run --level top` and `tellme bench e2e` build the same top."""
  need_level("verilog", cmdline_opts)
  m = random_model(MICRO, 1)
  fl, traces = micro_run("fl")
  with build_dir("top"):
    r = TopRunner(AccelTopRTL, m, CFG, max_prompt=len(MICRO_PROMPT), max_ctx=len(MICRO_PROMPT) + MICRO_NEW, npe=2,
                  verilog=True, cmdline_opts=cmdline_opts)
    try:
      toks, cycles = r.generate(MICRO_PROMPT, MICRO_NEW)
    finally:
      r.close()
  assert toks == fl
  within_cycle_model(cycles, traces)
  _, cl_cycles, cl_load = micro_run("cl")
  assert (cycles, r.load_cycles) == (cl_cycles, cl_load)


def test_tellme_run_level_top(tmp_path, capsys, cmdline_opts):
  """`tellme run --level top` on a checkpoint: FL's tokens (it refuses to report otherwise), the measured cycles
  and the per-unit split that adds up to them."""
  need_level("verilog", cmdline_opts)
  import json
  from tellme_pymtl.cli import main
  from tellme_pymtl.model import save_checkpoint
  m = random_model(MICRO, 1)
  save_checkpoint(m, str(tmp_path / "micro"))
  assert main(["run", "--model", str(tmp_path / "micro"), "--level", "top", "--config", "small", "--set",
               "port_bits=64", "--npe", "2", "--prompt-ids", "1,2,3,4,5", "--max-new-tokens", "3", "--json"]) == 0
  res = json.loads(capsys.readouterr().out)
  assert res["level"] == "top" and res["tokens"] == AccelModel(m, CFG, npe=2).generate([1, 2, 3, 4, 5], 3)
  c = res["cycles"]
  assert c["total"] == sum(res["breakdown_cycles"].values())
  assert c["prefill"] > max(c["decode_per_token"]) > 0 and res["top"]["cycles_per_s"] > 0


def test_tellme_run_level_top_cl(tmp_path, capsys):
  """`tellme run --level top-cl`: the CL top without Verilator: FL's tokens, its cycles in the report."""
  import json
  from tellme_pymtl.cli import main
  from tellme_pymtl.model import save_checkpoint
  m = random_model(MICRO, 2)
  save_checkpoint(m, str(tmp_path / "micro"))
  assert main(["run", "--model", str(tmp_path / "micro"), "--level", "top-cl", "--config", "small", "--set",
               "port_bits=64", "--npe", "2", "--prompt-ids", "7", "--max-new-tokens", "2", "--json"]) == 0
  res = json.loads(capsys.readouterr().out)
  assert res["level"] == "top-cl" and res["tokens"] == AccelModel(m, CFG, npe=2).generate([7], 2)
  c = res["cycles"]
  assert "CL top" in c["source"] and c["total"] == sum(res["breakdown_cycles"].values())
  assert c["prefill"] > 0 and len(c["decode_per_token"]) == 1 and c["decode_per_token"][0] > 0

