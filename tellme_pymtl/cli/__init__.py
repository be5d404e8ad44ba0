"""
The `tellme` command line. It is the one part of tellme_pymtl that reaches across the levels (with translate/).

  tellme demo   [--config NAME] [--in-dim N] [--out-dim N] [--tokens N] [--levels fl,cl,rtl,verilog] [--seed N]
  tellme bench [all|tlmm|fp|weights|attention|e2e] [--json] [--plot DIR]
  tellme run    [--model DIR] [--prompt TEXT | --prompt-ids 1,2,3] [--max-new-tokens N] [--level fl|cl|rtl|verilog|top|top-cl]
                [--config NAME] [--set FIELD=VALUE,..] [--json]
  tellme perf   [--config NAME] [--set FIELD=VALUE,..] [--json]
  tellme translate [--config NAME] [--set FIELD=VALUE,..] [--out DIR] [--no-lint] [--json]
  tellme synth  [--config NAME] [--set FIELD=VALUE,..] [--out DIR] [--only UNITS] [--jobs N] [--flat] [--abc9] [--json]

--set overrides fields of the named configuration (tellme_pymtl.config.TeLLMeConfig: lanes, widths, clock_mhz,
ddr_gbps, ...), each validated. Translation and synthesis of a configuration whose hardware differs from the named
one's go to their own directory, <name>-<digest> (the clock and the DDR settings do not change the hardware).

Bad input (an impossible configuration, a dimension out of range, a missing tool) ends with one line on stderr
naming the problem and exit status 2.
"""
import argparse
import sys

from ..config import ConfigError


class UsageError(Exception):
  """A command-line error with a one-line message."""


def build_path(*parts):
  """A path under $TELLME_BUILD (default ./build), absolute."""
  import os
  return os.path.abspath(os.path.join(os.environ.get("TELLME_BUILD", "build"), *parts))


def parse_overrides(text):
  """--set a=1,b=2.5 -> {a: 1, b: 2.5} (the configuration validates the values)."""
  out = {}
  for item in (text or "").split(","):
    if not item.strip():
      continue
    k, eq, v = item.partition("=")
    if not eq:
      raise UsageError(f"--set wants FIELD=VALUE pairs, got {item!r}")
    try:
      out[k.strip()] = int(v) if v.strip().lstrip("-").isdigit() else float(v)
    except ValueError:
      raise UsageError(f"--set {k.strip()}: {v!r} is not a number") from None
  return out


def config_args(p, default, what="configuration"):
  p.add_argument("--config", default=default, help=f"named {what} (paper, small, tight)")
  p.add_argument("--set", default=None, metavar="FIELD=VALUE,..",
                 help="override configuration fields, e.g. ew_lanes=4,ddr_gbps=19.2 (each validated)")


def config_from(args, **extra):
  """The configuration that --config and --set name (extra: more overrides, applied first)."""
  import dataclasses
  from ..config import TeLLMeConfig, get_config
  over = parse_overrides(getattr(args, "set", None))
  known = {f.name for f in dataclasses.fields(TeLLMeConfig)} - {"name"}
  bad = sorted(set(over) - known)
  if bad:
    raise UsageError(f"--set: unknown configuration field {bad[0]!r} (fields: {', '.join(sorted(known))})")
  return get_config(args.config, **{**extra, **over})


def hw_dir(cfg):
  """The build sub-directory of cfg's hardware: its name, or <name>-<digest> when overrides changed the hardware
  (the clock and the DDR settings do not)."""
  from ..config import CONFIGS
  base = CONFIGS.get(cfg.name)
  return cfg.name if base is not None and base.digest() == cfg.digest() else f"{cfg.name}-{cfg.digest()}"


def pick_names(text, known, what):
  """An --only comma list checked against `known` (None when not given: all of them)."""
  if not text:
    return None
  names = [x.strip() for x in text.split(",") if x.strip()]
  bad = [x for x in names if x not in known]
  if bad:
    raise UsageError(f"unknown {what} {bad[0]} ({what}s: {', '.join(known)})")
  return names


def _parser():
  p = argparse.ArgumentParser(prog="tellme", description="Multi-level (FL/CL/RTL) model of the TeLLMe accelerator")
  sub = p.add_subparsers(dest="cmd", required=True)

  d = sub.add_parser("demo", help="run one random ternary matmul through the TLMM engine at each level")
  config_args(d, "small")
  d.add_argument("--in-dim", type=int, default=None, help="input dimension (default: 3 input blocks)")
  d.add_argument("--out-dim", type=int, default=None, help="output dimension (default: 30 output blocks)")
  d.add_argument("--tokens", type=int, default=2)
  d.add_argument("--levels", default="fl,cl,rtl", help="comma list of fl, cl, rtl, verilog")
  d.add_argument("--max-delay", type=int, default=0, help="random source/sink stall cycles (0: none)")
  d.add_argument("--seed", type=int, default=0)
  d.add_argument("--json", action="store_true")

  b = sub.add_parser("bench", help="measured benchmarks, printed (JSON with --json)")
  b.add_argument("what", nargs="?", default="all", choices=["all", "tlmm", "fp", "weights", "attention", "e2e"],
                 help="one component bench, or all of them in one report (default)")
  b.add_argument("--plot", default=None, metavar="DIR", help="(all) write the PNG plots into DIR")
  b.add_argument("--json", action="store_true")
  b.add_argument("--quick", action="store_true", help="smaller workloads (for tests)")

  r = sub.add_parser("run", help="generate text with a BitNet model through the accelerator, with its timing")
  r.add_argument("--model", default=None, help="checkpoint directory (default: the built-in tiny model)")
  g = r.add_mutually_exclusive_group()
  g.add_argument("--prompt", default=None)
  g.add_argument("--prompt-ids", default=None, help="comma-separated token ids")
  r.add_argument("--max-new-tokens", type=int, default=32)
  r.add_argument("--level", default="fl", choices=["fl", "cl", "rtl", "verilog", "top", "top-cl"],
                 help="fl, cl, rtl, verilog: unit by unit; top: the composed RTL top under Verilator; top-cl: "
                      "the CL top (Python, the RTL top's cycles)")
  config_args(r, "paper", "accelerator configuration")
  r.add_argument("--npe", type=int, default=8, help="prefill rows per pass (N_pe, the paper's 8)")
  r.add_argument("--json", action="store_true")
  r.add_argument("--progress", action="store_true", help="show the progress bar even when not a terminal")

  t = sub.add_parser("translate", help="every RTL top to Verilog (one self-contained file each), linted")
  config_args(t, "paper")
  t.add_argument("--out", default=None, help="output directory (default: build/verilog/<config>)")
  t.add_argument("--only", default=None, help="comma list of tops (default: all)")
  t.add_argument("--no-lint", action="store_true")
  t.add_argument("--json", action="store_true")

  y = sub.add_parser("synth", help="yosys resource estimates (synth_xilinx, UltraScale+) per unit and in total")
  config_args(y, "paper")
  y.add_argument("--out", default=None, help="work and cache directory (default: build/synth/<config>)")
  y.add_argument("--only", default=None, help="comma list of units (default: all)")
  y.add_argument("--jobs", type=int, default=2, help="yosys processes at a time")
  y.add_argument("--flat", action="store_true",
                 help="flatten the FP units too (1-11%% fewer LUTs so far, three times the time)")
  y.add_argument("--abc9", action="store_true",
                 help="map LUTs with yosys's ABC9 instead of ABC (the mappers' spread; tellme perf reads ABC's)")
  y.add_argument("--json", action="store_true")

  f = sub.add_parser("perf", help="project full-size BitNet models on the paper's board from the CL models")
  config_args(f, "paper")
  f.add_argument("--json", action="store_true")
  return p


def main(argv=None):
  args = _parser().parse_args(argv)
  try:
    if args.cmd == "demo":
      from .demo import run_demo
      return run_demo(args)
    if args.cmd == "bench":
      from .bench import run_bench
      return run_bench(args)
    if args.cmd == "run":
      from .run import run_model
      return run_model(args)
    if args.cmd == "translate":
      from .translate import run_translate
      return run_translate(args)
    if args.cmd == "synth":
      from .synth import run_synth
      return run_synth(args)
    if args.cmd == "perf":
      from .perf import run_perf
      return run_perf(args)
  except (UsageError, ConfigError, ValueError) as e:
    print(f"tellme: error: {e}", file=sys.stderr)
    return 2
  except KeyboardInterrupt:
    print("tellme: interrupted", file=sys.stderr)
    return 130
  return 0


if __name__ == "__main__":
  sys.exit(main())
