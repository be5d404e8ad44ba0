"""`tellme synth`: yosys resource estimates per accelerator unit and in total (translate/synth.py), side by side
with the paper's implementation and the KV260's budget."""
import json
import os
import sys

from . import UsageError, build_path, config_from, hw_dir, pick_names

COLS = ("LUT", "LUTRAM", "FF", "CARRY", "DSP", "BRAM", "URAM")


def _fmt(v):
  if v is None:
    return "-"
  return f"{v:,.1f}" if isinstance(v, float) and v != int(v) else f"{int(v):,}"


def table(rep):
  """The report as text lines: one row per unit, the total, the paper's figures and the KV260's budget."""
  rows = [("unit",) + COLS]
  for name, u in rep["units"].items():
    rows.append((name,) + tuple(_fmt(u[k]) for k in COLS))
  rows.append(("total (this RTL)",) + tuple(_fmt(rep["total"][k]) for k in COLS))
  rows.append(("paper (Vivado)",) + tuple(_fmt(rep["paper"].get(k)) for k in COLS))
  rows.append(("KV260 budget",) + tuple(_fmt(rep["kv260"].get(k)) for k in COLS))
  rows.append(("total / budget",) + tuple(f"{rep['total'][k] / rep['kv260'][k]:.0%}" for k in COLS))
  w = [max(len(r[i]) for r in rows) for i in range(len(COLS) + 1)]
  return [r[0].ljust(w[0]) + "".join(x.rjust(w[i + 1] + 2) for i, x in enumerate(r[1:])) for r in rows]


def report_file(names, units, flat=False, abc9=False):
  """The report's file name: the whole design's (synth.json, which tellme perf reads; synth_flat.json with
  --flat, synth_abc9.json with --abc9) only when every unit is in it (names None: all of them), else
  synth_only.json (synth_flat_only.json, ...)."""
  whole = names is None or set(names) == set(units)
  return "synth" + ("_flat" if flat else "") + ("_abc9" if abc9 else "") + ("" if whole else "_only") + ".json"


def run_synth(args):
  from translate.synth import synth_all
  from translate.tops import UNITS
  from translate.verilog import ToolError
  cfg = config_from(args)
  names = pick_names(args.only, list(UNITS), "unit")
  out = os.path.abspath(args.out) if args.out else build_path("synth", hw_dir(cfg))
  prog = lambda text: print(f"  {text}", file=sys.stderr, flush=True)
  try:
    rep = synth_all(cfg, out, names, jobs=args.jobs, progress=prog, mode="flat" if args.flat else "fp",
                    abc9=args.abc9)
  except ToolError as e:
    raise UsageError(str(e)) from None
  with open(os.path.join(out, report_file(names, list(UNITS), args.flat, args.abc9)), "w") as f:
    json.dump(rep, f, indent=1)
  if args.json:
    print(json.dumps(rep))
    return 0
  print(f"yosys {rep['flow']}, configuration {hw_dir(cfg)}, kept as hierarchy: {rep['keep_hierarchy']}")
  print("LUT includes LUTRAM, BRAM in 36 Kb blocks, CARRY in CARRY8")
  for line in table(rep):
    print(line)
  return 0
