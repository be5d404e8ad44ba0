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


def translate_verilog(comp, out_dir):
  """Elaborate and translate `comp` in out_dir; returns the path of <module>.v."""
  os.makedirs(out_dir, exist_ok=True)
  cwd = os.getcwd()
  os.chdir(out_dir)
  try:
    comp.elaborate()
    comp.set_metadata(VerilogTranslationPass.enable, True)
    comp.apply(VerilogTranslationPass())
    name = comp.get_metadata(VerilogTranslationPass.translated_top_module)
    src = comp.get_metadata(VerilogTranslationPass.translated_filename)
    dst = f"{name}.v"
    if os.path.abspath(src) != os.path.abspath(dst):
      shutil.move(src, dst)
    return os.path.join(out_dir, dst), name
  finally:
    os.chdir(cwd)


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
