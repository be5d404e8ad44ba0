"""
`tellme bench tlmm [--json]`: measured figures of the TLMM engine.

- macs_per_cycle: the RTL (Python simulation) at the paper's T=28, Q=16 on a job with 32 output blocks per
  input block (more than the 27-cycle table build): ternary MACs per cycle between the first and the last
  weight beat, counted from the beats the engine actually took.
- rtl_python_cycles_per_s / rtl_verilator_cycles_per_s: the same job simulated as Python RTL and as Verilog
  through Verilator import (simulation loop only; elaboration, translation and compilation excluded).
`tellme bench fp [--json]`: see bench_fp.

- fl_gmacs: the FL engine's kernel (golden table-lookup TLMM) on a full-size BitNet 0.73B FFN up-projection
  (4096 x 1536, one token); fl_blas_gmacs: the exact integer product through float32 BLAS, same shape.
"""
import json
import shutil
import time

import numpy as np

from cl_models.TLMMEngineCL import tlmm_schedule
from .. import msgs as mg
from .. import numerics as nx
from ..config import get_config
from ..harness import TestHarness, simulate
from . import UsageError
from .levels import MODELS, build_dir


def _timed(fn, min_s=0.5):
  n, t0 = 0, time.perf_counter()
  while True:
    fn()
    n += 1
    dt = time.perf_counter() - t0
    if dt >= min_s:
      return dt / n


def bench_tlmm(quick=False):
  cfg = get_config("paper")
  nbo, nbi, ntok = (28, 1, 2) if quick else (32, 2, 2)
  rng = np.random.default_rng(0)
  W = nx.random_ternary(rng, (nbo * cfg.Q, nbi * cfg.block_in))
  X = nx.random_acts(rng, (ntok, nbi * cfg.block_in))
  m = mg.tlmm_job_msgs(cfg, W, X)
  res = {"config": cfg.name, "T": cfg.T, "Q": cfg.Q, "peak_macs_per_cycle": cfg.macs_per_cycle,
         "table_build_cycles_per_block": cfg.n_entries,
         "workload": {"out_dim": W.shape[0], "in_dim": W.shape[1], "tokens": ntok}}
  levels = ["cl", "rtl"] + (["verilog"] if shutil.which("verilator") else [])
  for level in levels:
    th = TestHarness(MODELS["TLMMEngine"][level](cfg), {k: m[k] for k in ("cmd", "act", "wgt")},
                     {"out": m["out"]})
    with build_dir("bench"):
      r = simulate(th, verilog=(level == "verilog"))
    fires = th.srcs["wgt"].fires
    cycles = r["cycles"] - th.srcs["cmd"].fires[0]
    if level == "cl":
      res["cl_cycles_per_s"] = round(r["ticks"] / r["sim_s"], 1)
    elif level == "rtl":
      res["macs_per_cycle"] = round(len(fires) * cfg.macs_per_cycle / (fires[-1] - fires[0] + 1), 2)
      res["job_cycles"] = cycles
      res["job_macs_per_cycle"] = round(W.size * ntok / cycles, 2)
      res["cl_schedule_cycles"] = tlmm_schedule(cfg, W.shape[1], W.shape[0], ntok)["cycles"]
      res["rtl_python_cycles_per_s"] = round(r["ticks"] / r["sim_s"], 1)
    else:
      res["verilator_job_cycles"] = cycles
      res["rtl_verilator_cycles_per_s"] = round(r["ticks"] / r["sim_s"], 1)
  if "rtl_verilator_cycles_per_s" not in res:
    res["rtl_verilator_cycles_per_s"] = None
    res["note"] = "verilator not installed: no Verilator figure"

  # FL throughput on a full-size layer
  out_dim, in_dim = (1024, 1536) if quick else (4096, 1536)
  Wf = nx.random_ternary(rng, (out_dim, in_dim))
  Xf = nx.random_acts(rng, (1, in_dim))
  idx = nx.weight_indices(Wf, cfg)
  t = _timed(lambda: nx.tlmm_lookup(idx, Xf, cfg))
  res["fl_gmacs"] = round(out_dim * in_dim / t / 1e9, 3)
  t = _timed(lambda: nx.ternary_matmul(Wf, Xf))
  res["fl_blas_gmacs"] = round(out_dim * in_dim / t / 1e9, 3)
  res["fl_shape"] = [out_dim, in_dim]
  return res


def run_bench(args):
  if args.what == "all":
    from .report import bench_all
    return bench_all(args)
  if args.plot:
    raise UsageError("--plot goes with `tellme bench all`")
  res = {"tlmm": bench_tlmm, "fp": bench_fp, "weights": bench_weights,
         "attention": bench_attention, "e2e": bench_e2e}[args.what](quick=args.quick)
  if args.json:
    print(json.dumps(res))
  else:
    for k, v in res.items():
      print(f"{k:32s} {v}")
  return 0


def bench_fp(quick=False):
  """`tellme bench fp`: accuracy of the non-linear functions and RMSNorm against float64, and each fused unit's
  throughput in elements per cycle, simulated with the CL models (cycle-equal to the RTL, by test) at the paper
  configuration on BitNet 0.73B shapes."""
  from .. import fp_prog, fused
  from .levels import MODELS
  rng = np.random.default_rng(7)
  res = {"config": "paper"}
  for name in ("exp", "recip", "rsqrt", "silu"):
    res[f"{name}_max_rel_err"] = fp_prog.max_rel_error(name, fp_prog.accuracy_samples(name, rng))
    res[f"{name}_domain"] = list(fp_prog.ACCURACY[name]["domain"])
    res[f"{name}_latency_cycles"] = len(fp_prog.PROGRAMS[name])
  res["rmsnorm_max_rel_err"] = fused.rmsnorm_max_rel_error(rng, 1536, 16, trials=5 if quick else 20)
  res["elementwise_latency_cycles"] = len(fp_prog.EW_PROGRAM)

  cfg = get_config("paper")
  n, ntok = (256, 2) if quick else (1536, 4)
  X = np.clip(rng.standard_normal((ntok, n)) * 2, -65504, 65504).astype(np.float16)
  g = (1 + 0.1 * rng.standard_normal(n)).astype(np.float16)
  units = {
    "quantizer": ("Quantizer", mg.quant_job_msgs(cfg, X), ("cmd", "x"), ("scale", "act")),
    "rmsmax": ("RMSMax", mg.rms_job_msgs(cfg, X, g), ("cmd", "x", "g"), ("y", "amax")),
    "dequantizer": ("Dequantizer", mg.deq_job_msgs(cfg, rng.integers(-5000, 5000, (ntok, n)), np.float32(0.7),
                                                   rng.uniform(1, 100, ntok).astype(np.float32)),
                    ("cmd", "scale", "acc"), ("y",)),
    "elementwise": ("Elementwise", mg.ew_job_msgs(cfg, "mult_silu", X, X), ("cmd", "a", "b"), ("y",)),
  }
  for key, (comp, m, srcs, snks) in units.items():
    th = TestHarness(MODELS[comp]["cl"](cfg), {k: m[k] for k in srcs}, {k: m[k] for k in snks})
    with build_dir("bench"):
      r = simulate(th)
    res[f"{key}_elems_per_cycle"] = round(n * ntok / (r["cycles"] - th.srcs["cmd"].fires[0]), 3)
  res["workload"] = {"n": n, "tokens": ntok, "lanes_Q": cfg.Q, "quantizer_lanes": cfg.q_lanes}
  return res


def _run_wpath(level, cfg, out_dim, in_dim, ntok=1, seed=0):
  """One weight-path job on the DDR model; returns the DDR model, job cycles and the engine's compute cycles."""
  from ..ddr import DDRModel
  rng = np.random.default_rng(seed)
  W, X = nx.random_ternary(rng, (out_dim, in_dim)), nx.random_acts(rng, (ntok, in_dim))
  m = mg.wpath_job_msgs(cfg, W, X)
  ddr = DDRModel(cfg, m["image"])
  th = TestHarness(MODELS["WeightPath"][level](cfg), {"cmd": m["cmd"], "act": m["act"]}, {"out": m["out"]},
                   mems={"mem": ddr})
  fires = []

  def probe(h, cyc):
    w = h.dut.tlmm.wgt
    if w.val and w.rdy:
      fires.append(cyc)
  with build_dir("bench"):
    r = simulate(th, on_cycle=probe, max_cycles=10 ** 7)
  return ddr, r["cycles"] - th.srcs["cmd"].fires[0], fires, r


def bench_weights(quick=False):
  """`tellme bench weights`: the weight path (DDR model -> streamer -> ping-pong buffer -> TLMM) at the paper's
  configuration (250 MHz, 17.1 GB/s, 3 x 256-bit ports, bursts of 16, 16 outstanding, 60-cycle latency).

  ddr_utilization: achieved / modeled peak bandwidth over a long stream (CL, and the RTL in Python simulation).
  overlap: in a decode-shaped job (one token through a 1536 x 1536 projection), the fraction of the shorter of
  loading (first to last DDR word) and computing (cycles the engine takes a weight beat) that runs in parallel
  with the other: 1.0 = fully overlapped; the reference design, which loads a layer and then computes, is 0."""
  cfg = get_config("paper")
  res = {"config": "paper", "ddr_gbps": cfg.ddr_gbps, "clock_mhz": cfg.clock_mhz,
         "peak_bytes_per_cycle": round(cfg.ddr_bytes_per_cycle, 3), "words_per_beat": cfg.words_per_beat,
         "bits_per_weight": round(cfg.words_per_beat * cfg.word_bits / (cfg.Q * cfg.T * cfg.G), 4),
         "uram_blocks": cfg.uram_blocks}
  shape = (256, 1536) if quick else (512, 1536)
  for level in ("cl", "rtl"):
    if level == "rtl" and quick:
      shape = (64, 504)
    ddr, cycles, fires, r = _run_wpath(level, cfg, *shape)
    res[f"ddr_utilization_{level}"] = round(ddr.utilization(), 4)
    res[f"job_cycles_{level}"] = cycles
    res[f"sim_cycles_per_s_{level}"] = round(r["ticks"] / r["sim_s"], 1)
  res["ddr_utilization"] = min(res["ddr_utilization_cl"], res["ddr_utilization_rtl"])
  res["utilization_workload"] = list(shape)

  dshape = (256, 1536) if quick else (1536, 1536)
  ddr, cycles, fires, _ = _run_wpath("cl", cfg, *dshape)
  lo, hi = ddr.first_cycle, ddr.last_cycle
  t_load, t_comp = hi - lo + 1, len(fires)
  both = sum(1 for c in fires if lo <= c <= hi)
  res["overlap"] = round(both / min(t_load, t_comp), 4)
  res["decode_workload"] = {"out_dim": dshape[0], "in_dim": dshape[1], "tokens": 1, "job_cycles": cycles,
                            "load_cycles": t_load, "compute_cycles": t_comp, "overlapped_cycles": both,
                            "load_then_compute_cycles": t_load + t_comp,
                            "ddr_bound_cycles": round(len(fires) * cfg.words_per_beat * cfg.word_bits / 8
                                                      / cfg.ddr_bytes_per_cycle)}
  return res


def bench_attention(quick=False):
  """`tellme bench attention`: attention cycles for one BitNet 0.73B layer (16 heads, 16 KV heads, head dim 96)
  at context lengths 64 .. 1024, simulated with the CL models (cycle-equal to the RTL, by test) on the paper's
  DDR model. Decode: cycles per generated token, all heads. Prefill (N_pe = 8): cycles per prompt row (the whole
  prompt's attention / its length) for all heads; heads run one after another and the same way, so the long
  prompts are simulated for one head and multiplied by 16 (the 64-token prompt is simulated with all 16 heads
  too, and `prefill_head_scaling_error` says how far apart the two are)."""
  from ..ddr import DDRModel
  cfg = get_config("paper")
  H, d, npe = (2, 96, 8) if quick else (16, 96, 8)
  res = {"config": "paper", "heads": H, "kv_heads": H, "head_dim": d, "n_pe": npe,
         "decode_cycles_per_token": {}, "decode_cycles_per_key_per_head": {},
         "prefill_cycles_per_row": {}, "prefill_cycles_per_row_key_head": {}}
  rng = np.random.default_rng(0)

  def run(model, m, srcs):
    th = TestHarness(model, {x: m[x] for x in srcs}, {"out": m["out"]}, mems={"mem": DDRModel(cfg, m["image"])})
    with build_dir("bench"):
      r = simulate(th, max_cycles=10 ** 9)
    return r["cycles"] - th.srcs["cmd"].fires[0]

  def qkv(n, heads):
    return tuple(rng.standard_normal(shape).astype(np.float16) for shape in ((n, heads, d),) * 3)

  lengths = (64, 128) if quick else (64, 128, 512, 1024)
  for n in lengths:
    q, k, v = qkv(n, H)
    m = mg.decode_job_msgs(cfg, q[-1:], k, v, max_ctx=1024, fifo_depth=1024)
    cyc = run(MODELS["DecodeAttention"]["cl"](cfg, 1024, d), m, ("cmd", "q"))
    res["decode_cycles_per_token"][str(n)] = cyc
    res["decode_cycles_per_key_per_head"][str(n)] = round(cyc / (n * H), 2)
  for n in lengths:
    q, k, v = qkv(n, 1)
    m = mg.prefill_job_msgs(cfg, q, k, v, max_ctx=1024, npe=npe)
    cyc = run(MODELS["PrefillAttention"]["cl"](cfg, npe, d), m, ("cmd", "q"))
    res["prefill_cycles_per_row"][str(n)] = round(cyc * H / n, 1)
    res["prefill_cycles_per_row_key_head"][str(n)] = round(cyc / (n * (n + 1) / 2), 2)
    if n == 64:
      q, k, v = qkv(n, H)
      m = mg.prefill_job_msgs(cfg, q, k, v, max_ctx=1024, npe=npe)
      full = run(MODELS["PrefillAttention"]["cl"](cfg, npe, d), m, ("cmd", "q"))
      res["prefill_head_scaling_error"] = round(abs(cyc * H - full) / full, 5)
  return res


def bench_e2e(quick=False):
  """`tellme bench e2e`: the functional model's speed on full-size shapes (BitNet 0.73B with random ternary
  weights, greedy decode on this machine) and the built-in tiny model end to end."""
  import time
  from .. import llm
  from ..model import BITNET_073B, ModelConfig, load_checkpoint, random_model
  from .run import BUILTIN
  cfg = get_config("paper")
  res = {"config": "paper"}
  mc = BITNET_073B if not quick else ModelConfig(vocab=512, hidden=384, intermediate=1024, layers=2, heads=4,
                                                  kv_heads=4, head_dim=96)
  t = time.time()
  am = llm.AccelModel(random_model(mc, 0), cfg, max_ctx=64)
  res["fl_load_s"] = round(time.time() - t, 2)
  am.step(list(range(1, 17)))                         # a 16-token prompt
  n = 4 if quick else 8
  t = time.time()
  for i in range(n):
    am.step([i + 3])
  res["fl_full_size_tok_s" if not quick else "fl_small_tok_s"] = round(n / (time.time() - t), 2)
  res["fl_shapes"] = {"layers": mc.layers, "hidden": mc.hidden, "intermediate": mc.intermediate,
                      "context": 16 + n}
  tiny = llm.AccelModel(load_checkpoint(BUILTIN), cfg, max_ctx=64)
  t = time.time()
  toks = tiny.generate(list(b"Beautiful is better than"), 16)
  res["fl_tiny_tok_s"] = round(16 / (time.time() - t), 1)
  res["tiny_tokens"] = toks
  res.update(bench_top(quick))
  return res


def bench_top(quick=False):
  """The composed RTL top (rtl_models.AccelTopRTL) under Verilator on a random micro model: simulated cycles per
  second of wall time (the simulation loop alone), its tokens against FL's and its step cycles against the CL
  cycle model's."""
  from .. import llm
  from ..model import ModelConfig, random_model
  from ..perf import CycleModel
  from ..top import TopRunner
  from .levels import MODELS, build_dir
  from .run import UNITS
  from rtl_models.AccelTopRTL import AccelTopRTL
  if shutil.which("verilator") is None:
    return {"verilator_top_cycles_per_s": None, "note": "Verilator is not installed: no top figure"}
  cfg = get_config("small", port_bits=64)
  mc = ModelConfig(vocab=40, hidden=48, intermediate=64, layers=1, heads=2, kv_heads=1, head_dim=12, max_pos=32)
  m = random_model(mc, 1)
  prompt, n = [1, 2, 3, 4, 5], (3 if quick else 8)
  am = llm.AccelModel(m, cfg, npe=2, max_ctx=len(prompt) + n)
  traces = []
  fl = am.generate(prompt, n, traces=traces)
  with build_dir("top"):
    t = time.time()
    r = TopRunner(AccelTopRTL, m, cfg, max_prompt=len(prompt), max_ctx=len(prompt) + n, npe=2, verilog=True)
    build_s = time.time() - t
    try:
      ticks0, sim0 = r.ticks, r.sim_s
      toks, cycles = r.generate(prompt, n)
      rate = (r.ticks - ticks0) / (r.sim_s - sim0)
    finally:
      r.close()
  cm = CycleModel(cfg, {u: MODELS[u]["cl"] for u in UNITS}, npe=2)
  est = [cm.cycles(tr)[0] for tr in traces]
  res = {"verilator_top_cycles_per_s": round(rate), "top_model": "random micro (1 layer, hidden 48), config small",
         "top_tokens": toks, "top_tokens_equal_fl": toks == fl, "top_step_cycles": cycles,
         "cl_model_step_cycles": est,
         "top_vs_cl_max_rel_error": round(max(abs(a - b) / b for a, b in zip(cycles, est)), 5),
         "top_build_s": round(build_s, 1)}
  if not quick:                      # the CL top on the same run (Python: about a minute)
    r = TopRunner(MODELS["AccelTop"]["cl"], m, cfg, max_prompt=len(prompt), max_ctx=len(prompt) + n, npe=2)
    ticks0, sim0 = r.ticks, r.sim_s
    cl_toks, cl_cycles = r.generate(prompt, n)
    res.update({"cl_top_cycles_per_s": round((r.ticks - ticks0) / (r.sim_s - sim0)),
                "cl_top_tokens_equal_fl": cl_toks == fl, "cl_top_step_cycles_equal_rtl": cl_cycles == cycles})
  return res
