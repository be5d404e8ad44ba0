"""
The `tellme` command line. It is the one part of tellme_pymtl that reaches across the levels (with translate/).

  tellme demo   [--config NAME] [--in-dim N] [--out-dim N] [--tokens N] [--levels fl,cl,rtl,verilog] [--seed N]
  tellme bench tlmm|fp|weights|attention [--json]

Bad input (an impossible configuration, a dimension out of range, a missing tool) ends with one line on stderr
naming the problem and exit status 2.
"""
import argparse
import sys

from ..config import ConfigError


class UsageError(Exception):
  """A command-line error with a one-line message."""


def _parser():
  p = argparse.ArgumentParser(prog="tellme", description="Multi-level (FL/CL/RTL) model of the TeLLMe accelerator")
  sub = p.add_subparsers(dest="cmd", required=True)

  d = sub.add_parser("demo", help="run one random ternary matmul through the TLMM engine at each level")
  d.add_argument("--config", default="small", help="named configuration (small, paper, tight)")
  d.add_argument("--in-dim", type=int, default=None, help="input dimension (default: 3 input blocks)")
  d.add_argument("--out-dim", type=int, default=None, help="output dimension (default: 30 output blocks)")
  d.add_argument("--tokens", type=int, default=2)
  d.add_argument("--levels", default="fl,cl,rtl", help="comma list of fl, cl, rtl, verilog")
  d.add_argument("--max-delay", type=int, default=0, help="random source/sink stall cycles (0: none)")
  d.add_argument("--seed", type=int, default=0)
  d.add_argument("--json", action="store_true")

  b = sub.add_parser("bench", help="measured benchmarks, printed (JSON with --json)")
  b.add_argument("what", choices=["tlmm", "fp", "weights", "attention"])
  b.add_argument("--json", action="store_true")
  b.add_argument("--quick", action="store_true", help="smaller workloads (for tests)")
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
  except (UsageError, ConfigError, ValueError) as e:
    print(f"tellme: error: {e}", file=sys.stderr)
    return 2
  except KeyboardInterrupt:
    print("tellme: interrupted", file=sys.stderr)
    return 130
  return 0


if __name__ == "__main__":
  sys.exit(main())
