"""
`tellme translate`: every RTL top (translate.tops.TOPS) to Verilog in one directory, one self-contained file per
top (the top and all its submodules) with a stable name (<top>.v, the top's module name) and a filelist
(files.f), each file linted with `verilator --lint-only -Wall` and the documented waivers
(translate/lint_waivers.vlt). A report (translate.json) lists the files, modules, lines and remaining warnings.
"""
import json
import os
import shutil
import time

from .tops import TOPS
from .verilog import lint, translate_verilog


def translate_all(cfg, out_dir, names=None, do_lint=True, progress=None):
  progress = progress or (lambda text: None)
  out_dir = os.path.abspath(out_dir)
  os.makedirs(out_dir, exist_ok=True)
  work = os.path.join(out_dir, "_work")
  report = {"config": cfg.name, "digest": cfg.digest(), "tops": {}}
  for name in names or TOPS:
    t = time.time()
    progress(f"translating {name}")
    path, module = translate_verilog(TOPS[name](cfg), work)
    dst = os.path.join(out_dir, f"{name}.v")
    shutil.move(path, dst)
    entry = {"file": os.path.basename(dst), "module": module,
             "lines": sum(1 for _ in open(dst)), "translate_s": round(time.time() - t, 2)}
    if do_lint:
      progress(f"linting {name}")
      entry["lint"] = lint(dst, module)
    report["tops"][name] = entry
  shutil.rmtree(work, ignore_errors=True)
  with open(os.path.join(out_dir, "files.f"), "w") as f:
    for e in report["tops"].values():
      f.write(e["file"] + "\n")
  with open(os.path.join(out_dir, "translate.json"), "w") as f:
    json.dump(report, f, indent=1)
  return report
