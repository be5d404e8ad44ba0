"""`tellme demo`: a random ternary matrix times random int8 activations through the TLMM engine at each level."""
import json

import numpy as np

from cl_models.TLMMEngineCL import tlmm_schedule
from .. import msgs as mg
from .. import numerics as nx
from ..harness import TestHarness, simulate
from . import UsageError, config_from
from .levels import MODELS, build_dir, parse_levels


def run_demo(args):
  cfg = config_from(args)
  levels = parse_levels(args.levels)
  in_dim = args.in_dim if args.in_dim is not None else min(3 * cfg.block_in, cfg.max_in_dim)
  out_dim = args.out_dim if args.out_dim is not None else min(30 * cfg.Q, cfg.max_out_dim)
  if args.tokens < 1 or args.max_delay < 0:
    raise UsageError("--tokens must be >= 1 and --max-delay >= 0")
  rng = np.random.default_rng(args.seed)
  W = nx.random_ternary(rng, (out_dim, in_dim))
  X = nx.random_acts(rng, (args.tokens, in_dim), cfg.act_bits)
  m = mg.tlmm_job_msgs(cfg, W, X)                 # validates the job against the configuration
  ref = nx.ternary_matmul(W, X)
  sched = tlmm_schedule(cfg, in_dim, out_dim, args.tokens)
  macs = out_dim * in_dim * args.tokens

  rows = []
  for level in levels:
    th = TestHarness(MODELS["TLMMEngine"][level](cfg), {k: m[k] for k in ("cmd", "act", "wgt")},
                     {"out": m["out"]}, max_delay=args.max_delay, seed=args.seed)
    with build_dir("demo"):
      r = simulate(th, verilog=(level == "verilog"))
    got = mg.unpack_outputs(cfg, th.snks["out"].received, args.tokens, out_dim)
    cycles = r["cycles"] - th.srcs["cmd"].fires[0]
    rows.append({"level": level, "exact": bool((got == ref).all()), "cycles": cycles,
                 "sim_cycles_per_s": round(r["ticks"] / r["sim_s"], 1) if r["sim_s"] > 0 else None})

  report = {
    "config": cfg.name, "T": cfg.T, "Q": cfg.Q, "in_dim": in_dim, "out_dim": out_dim, "tokens": args.tokens,
    "ternary_macs": macs, "cl_schedule_cycles": sched["cycles"],
    "table_build_cycles_per_block": cfg.n_entries, "build_cycles_exposed": sched["build_exposed"],
    "levels": rows,
  }
  if args.json:
    print(json.dumps(report))
  else:
    print(f"TLMM demo: W[{out_dim}x{in_dim}] ternary . x[{args.tokens}x{in_dim}] int8, config {cfg.name} "
          f"(T={cfg.T} tables, Q={cfg.Q} lanes, {cfg.macs_per_cycle} MACs/cycle peak)")
    print(f"  CL schedule: {sched['cycles']} cycles, table build {cfg.n_entries} cycles/block, "
          f"{sched['build_exposed']} build cycles exposed")
    for r in rows:
      ok = "== W.x exactly" if r["exact"] else "WRONG"
      if r["level"] == "fl":
        print(f"  {'fl':8s} result {ok}   (untimed specification)")
        continue
      cyc = r["cycles"]
      print(f"  {r['level']:8s} result {ok}   {cyc:7d} cycles from command to last output "
            f"({cyc / cfg.clock_mhz:.2f} us at {cfg.clock_mhz:g} MHz, {macs / cyc:.1f} MACs/cycle)")
  return 0 if all(r["exact"] for r in rows) else 1
