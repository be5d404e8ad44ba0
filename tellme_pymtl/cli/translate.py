"""`tellme translate`: every RTL top to Verilog with a filelist, each file linted (translate/flow.py)."""
import json
import os
import sys

from . import UsageError, build_path, config_from, hw_dir, pick_names


def run_translate(args):
  from translate.flow import translate_all
  from translate.tops import TOPS
  from translate.verilog import ToolError
  cfg = config_from(args)
  names = pick_names(args.only, list(TOPS), "top")
  out = os.path.abspath(args.out) if args.out else build_path("verilog", hw_dir(cfg))
  prog = None if args.json else (lambda text: print(f"  {text}", file=sys.stderr, flush=True))
  try:
    rep = translate_all(cfg, out, names, do_lint=not args.no_lint, progress=prog)
  except ToolError as e:
    raise UsageError(str(e)) from None
  if args.json:
    print(json.dumps(rep))
  else:
    for name, e in rep["tops"].items():
      lint = "" if args.no_lint else (f"  lint: {len(e['lint'])} warnings" if e["lint"] else "  lint: clean")
      print(f"{e['file']:24s} {e['module']:48s} {e['lines']:7d} lines{lint}")
    print(f"filelist {os.path.join(out, 'files.f')}")
  dirty = [n for n, e in rep["tops"].items() if e.get("lint")]
  return 1 if dirty else 0
