"""
Translation of RTL components to Verilog, and the Verilator lint flow.

`translate_verilog(comp, out_dir)` writes one self-contained file (the top and all of its submodules) named
after the top's explicit module name, for Verilator (lint, simulation) and Vivado. `lint(path)` runs
`verilator --lint-only -Wall` with the project's waiver file (translate/lint_waivers.vlt, each waiver with its
reason) and returns the warnings that remain.
"""
import os
import shutil
import subprocess

from pymtl3.passes.backends.verilog import VerilogTranslationPass

WAIVERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lint_waivers.vlt")


class ToolError(RuntimeError):
  """An external tool (Verilator, yosys) is missing or failed."""


def run_translation(comp, out_dir, tpass):
  """Elaborate `comp` and apply a pymtl3 translation pass (VerilogTranslationPass, or YosysTranslationPass for
  synthesis) in out_dir, where pymtl3 writes its files; returns (path of the Verilog, top module name)."""
  os.makedirs(out_dir, exist_ok=True)
  cwd = os.getcwd()
  os.chdir(out_dir)
  try:
    comp.elaborate()
    comp.set_metadata(tpass.enable, True)
    comp.apply(tpass())
    return (os.path.join(out_dir, comp.get_metadata(tpass.translated_filename)),
            comp.get_metadata(tpass.translated_top_module))
  finally:
    os.chdir(cwd)


def translate_verilog(comp, out_dir):
  """Elaborate and translate `comp` in out_dir; returns (path of <module>.v, module)."""
  src, name = run_translation(comp, out_dir, VerilogTranslationPass)
  dst = os.path.join(out_dir, f"{name}.v")
  if os.path.abspath(src) != os.path.abspath(dst):
    shutil.move(src, dst)
  return dst, name


def lint(path, top=None, waivers=WAIVERS):
  """verilator --lint-only -Wall; returns the list of warning/error lines (empty when clean)."""
  exe = shutil.which("verilator")
  if exe is None:
    raise ToolError("verilator is not installed (apt-get install -y verilator)")
  cmd = [exe, "--lint-only", "-Wall", "-Wno-fatal"]
  if waivers and os.path.exists(waivers):
    cmd.append(waivers)
  cmd.append(path)
  if top:
    cmd += ["--top-module", top]
  r = subprocess.run(cmd, capture_output=True, text=True)
  lines = [l for l in (r.stdout + r.stderr).splitlines() if l.startswith("%Warning") or l.startswith("%Error")]
  return lines
