"""
`tellme synth`: yosys synthesis estimates (`synth_xilinx -family xcup -uram`, UltraScale+ like the KV260's
XCK26) of every accelerator unit (translate.tops.UNITS) at a configuration, and their total.

Each unit is translated with pymtl3's YosysTranslationPass (flattened ports, which yosys 0.23 reads; the
Verilator flow's unpacked-array ports it cannot), synthesized in its own yosys process (two at a time), and its
`stat` parsed into the resources Vivado reports:

  LUT     CLB LUTs: logic LUTs (LUT1..LUT6) plus the LUTs used as memory (LUT-RAM and shift registers)
  LUTRAM  of those, LUTs used as memory (RAM32M16 = RAM64M8 = 8 LUTs, RAM32M = RAM64M = 4, RAMxX1D = 2 .. 8,
          SRL16E / SRLC32E = 1)
  FF      FDRE, FDSE, FDCE, FDPE
  CARRY   CARRY8 (yosys 0.23 writes 4-bit CARRY4 cells, counted as half a CARRY8 each)
  DSP     DSP48E2
  BRAM    36 Kb block RAMs (RAMB36E2 = 1, RAMB18E2 = 0.5), as the paper counts them
  URAM    URAM288

Hierarchy: see KEEP (mode "fp", the default, keeps the FP units and lanes as boundaries; "flat" flattens them).
Results are cached in <out>/cache.json by a hash of the Verilog and the yosys script, so a second run costs only
the translation. Every yosys log is kept (<out>/<unit>.log). The whole design is the sum of the units (each
unit appears once in the accelerator).
"""
import concurrent.futures as cf
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

from tellme_pymtl.config import KV260_RESOURCES, PAPER_RESOURCES

from .tops import TOPS, UNITS
from .verilog import ToolError, run_translation

# synth_xilinx in two parts around its `coarse` step, which is run here without `share` (resource sharing of
# mutually exclusive arithmetic): on these FP datapaths `share` took 56% of the time to save 4% of the LUTs.
_SX = "synth_xilinx -family xcup -uram -flatten -top {top}"


def _sx(abc9):
  """synth_xilinx's command line, with ABC9 as the LUT mapper when abc9."""
  return _SX.replace(" -top", " -abc9 -top") if abc9 else _SX


# Hierarchy kept (the rest flattened): yosys synthesizes a kept module's definition once, flattened inside, and
# `stat` counts it per instance. Default ("fp"): the FP program lanes and the FP arithmetic units, so the 16
# lanes of a unit cost one synthesis; at the paper configuration the whole design then takes minutes, and the
# LUTs come out 1-12% above full flattening (the whole design: 200,661 against 178,882 before the FP programs
# by table, 150,076 against 148,857 after; constants and unused outputs do not cross the kept boundaries).
# "flat": only the FP program lanes kept (a lane's 49 stages, as they were, flattened into 16 copies took yosys
# over 20 minutes); about 7 minutes for the paper configuration on 2 cores.
KEEP = {"fp": ("FPProgLaneRTL* FPAddRTL* FPMulRTL* FPMulWideRTL* FPConvRTL* FPMaxRTL* FPDivRTL* IntToFPRTL* "
               "FPToIntRTL* FPRoundPackRTL* FoldAddStageRTL*"),
        "flat": "FPProgLaneRTL*"}


# After alumacc, `maccmap -unmap` turns its multi-operand $macc cells (alumacc folds every chain of additions,
# an adder tree or an a + b - c exponent, into one) back into two-operand additions, which synth_xilinx maps to
# carry chains as Vivado does; left as $macc, yosys builds them as full-adder compressors in LUTs (the TLMM
# lane's 28-input adder tree: 1,516 LUTs instead of 335, the whole engine 30,993 instead of 14,287).
def script(mode="fp", abc9=False):
  """The yosys script; abc9: map LUTs with ABC9 (synth_xilinx -abc9) instead of ABC, for the spread between
  yosys's two mappers (ABC9 drops the LUT1 inverters ABC leaves before carry chains, which Vivado absorbs)."""
  if mode not in KEEP:
    raise ToolError(f"unknown synthesis mode {mode} (modes: {', '.join(KEEP)})")
  sx = _sx(abc9)
  return ("read_verilog -sv {file}; hierarchy -top {top}; setattr -mod -set keep_hierarchy 1 " + KEEP[mode]
          + "; " + sx + " -run :coarse; "
          "techmap -map +/cmp2lut.v -map +/cmp2lcu.v -D LUT_WIDTH=6; alumacc; maccmap -unmap; opt; memory -nomap; "
          "opt_clean; "
          + sx + " -run map_memory:; tee -o {stat} stat")


SCRIPT_VERSION = 4

LUTRAM_LUTS = {"RAM32M16": 8, "RAM64M8": 8, "RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2,
               "RAM128X1D": 4, "RAM256X1D": 8, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
               "RAM512X1S": 8, "SRL16E": 1, "SRLC32E": 1}
FFS = ("FDRE", "FDSE", "FDCE", "FDPE")
BRAMS = {"RAMB36E2": 1.0, "RAMB18E2": 0.5, "RAMB36E1": 1.0, "RAMB18E1": 0.5}
RESOURCES = ("LUT", "LUTRAM", "FF", "CARRY", "DSP", "BRAM", "URAM")



# yosys seconds per unit at the paper configuration on this 2-core machine, --flat (the order of the work only;
# the default flow's order is the same)
EST_SECONDS = {"Attention": 600, "PrefillAttention": 540, "DecodeAttention": 535, "RMSMax": 440, "RMSMaxCtrl": 400,
               "Elementwise": 211, "Dequantizer": 113, "DequantizerCtrl": 60, "TLMMEngine": 62, "Quantizer": 42}


def parse_stat(text):
  """The cell counts of a yosys `stat` report's last section (the design hierarchy's totals when the design
  kept sub-modules, else its one module) -> {resource: count} plus the raw cells."""
  text = text.split("=== design hierarchy ===")[-1]
  text = text[text.find("Number of cells"):] if "Number of cells" in text else text
  cells = {}
  for m in re.finditer(r"^\s+(\$?[A-Za-z_][\w$]*)\s+(\d+)\s*$", text, re.M):
    cells[m.group(1)] = int(m.group(2))
  return resources(cells)


def resources(cells):
  """{cell type: count} -> the resources (RESOURCES) plus the raw cells."""
  r = {k: 0 for k in RESOURCES}
  for name, n in cells.items():
    if re.fullmatch(r"LUT[1-6]", name):
      r["LUT"] += n
    elif name in LUTRAM_LUTS:
      r["LUTRAM"] += n * LUTRAM_LUTS[name]
    elif name in FFS:
      r["FF"] += n
    elif name == "CARRY8":
      r["CARRY"] += n
    elif name == "CARRY4":                 # yosys 0.23 maps carry chains in 4-bit cells; a CARRY8 holds two
      r["CARRY"] += n / 2
    elif name.startswith("DSP48"):
      r["DSP"] += n
    elif name in BRAMS:
      r["BRAM"] += n * BRAMS[name]
    elif name == "URAM288" or name.startswith("URAM288"):
      r["URAM"] += n
  r["LUT"] += r["LUTRAM"]
  r["cells"] = cells
  return r


def yosys_exe():
  exe = shutil.which("yosys")
  if exe is None:
    raise ToolError("yosys is not installed (apt-get install -y yosys)")
  return exe


_LOOP_INIT = re.compile(r"(for\s*\(\s*\w+\s*=\s*)\d+'d(\d+)\s*;")


def fix_for_yosys(text):
  """Work around a yosys 0.23 front-end bug: a for loop whose variable starts from a sized constant
  (`for ( i = 1'd0; ...`, as pymtl3 writes every loop) unrolls to nothing, silently dropping the loop's
  assignments. The same loop from an unsized constant (`i = 0`) is read correctly."""
  return _LOOP_INIT.sub(r"\1\2;", text)


def translate_yosys(comp, out_dir):
  """Elaborate `comp` and write its yosys-flavoured Verilog into out_dir; returns (path, top module)."""
  from pymtl3.passes.backends.yosys import YosysTranslationPass
  path, top = run_translation(comp, out_dir, YosysTranslationPass)
  with open(path) as f:
    text = f.read()
  with open(path, "w") as f:
    f.write(fix_for_yosys(text))
  return path, top


def _digest(path, mode, abc9=False):
  h = hashlib.sha1()
  h.update(f"{SCRIPT_VERSION}:{script(mode, abc9)}".encode())
  with open(path, "rb") as f:
    h.update(f.read())
  return h.hexdigest()


# yosys 0.23 maps some LUT-RAM shapes (512 deep, dual port) to a primitive its own map file rejects; such a unit
# is synthesized again without LUT-RAM (its memories then go to block RAM), and the result says so.
LUTRAM_BUG = "invalid OPTION_ABITS/WIDTH combination"


def run_yosys(path, top, log, mode="fp", timeout=3600, abc9=False):
  """Synthesize one file; returns the parsed resources. Raises ToolError with the log's last error line."""
  stat = log + ".stat"
  t = time.time()
  note = None
  sc = script(mode, abc9)
  for s in (sc, sc.replace(" -flatten", " -flatten -nolutram")):
    if os.path.exists(stat):
      os.remove(stat)
    r = subprocess.run([yosys_exe(), "-q", "-l", log, "-p", s.format(file=path, top=top, stat=stat)],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode == 0 and os.path.exists(stat):
      break
    err = [l for l in (r.stdout + r.stderr).splitlines() if "ERROR" in l] or ["yosys failed"]
    if LUTRAM_BUG not in err[-1] or note:
      raise ToolError(f"yosys on {os.path.basename(path)}: {err[-1].strip()}")
    note = "synthesized with -nolutram (yosys 0.23 LUT-RAM mapping bug)"
  with open(stat) as f:
    res = parse_stat(f.read())
  res["seconds"] = round(time.time() - t, 1)
  res["note"] = note
  return res


def _synth_one(args):
  path, top, log, mode, abc9 = args
  return run_yosys(path, top, log, mode, abc9=abc9)


def synth_all(cfg, out_dir, names=None, jobs=2, progress=None, mode="fp", abc9=False):
  """Synthesize the units (default translate.tops.UNITS) of cfg; returns the report
  {config, units: {name: resources}, total: resources, paper, kv260}."""
  progress = progress or (lambda text: None)
  script(mode)
  names = list(names or UNITS)
  for n in names:
    if n not in TOPS:
      raise ToolError(f"no RTL top named {n} (known: {', '.join(TOPS)})")
  yosys_exe()
  out_dir = os.path.abspath(out_dir)
  work = os.path.join(out_dir, "work")
  os.makedirs(work, exist_ok=True)
  cache_path = os.path.join(out_dir, "cache.json")
  cache = {}
  if os.path.exists(cache_path):
    try:
      with open(cache_path) as f:
        cache = json.load(f)
    except ValueError:
      cache = {}
  todo, units, keys = [], {}, {}
  for n in names:
    progress(f"translating {n}")
    path, top = translate_yosys(TOPS[n](cfg), os.path.join(work, n))
    keys[n] = _digest(path, mode, abc9)
    if keys[n] in cache:
      c = cache[keys[n]]
      units[n] = dict(c, **resources(c["cells"]), cached=True)      # categories as this version counts them
    else:
      todo.append((n, path, top))
  done = len(names) - len(todo)
  todo.sort(key=lambda x: -EST_SECONDS.get(x[0], 0))   # longest first: the two processes finish together
  if todo:
    progress(f"synthesizing {len(todo)} unit(s) with yosys, {jobs} at a time ({done} cached)")
    with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
      futs = {ex.submit(_synth_one, (p, t, os.path.join(out_dir, f"{n}{'_abc9' if abc9 else ''}.log"), mode, abc9)):
              (n, t) for n, p, t in todo}
      for f in cf.as_completed(futs):
        n, top = futs[f]
        res = f.result()
        res["module"] = top
        units[n] = dict(res, cached=False)
        cache[keys[n]] = res
        with open(cache_path, "w") as fh:
          json.dump(cache, fh, indent=1)
        done += 1
        progress(f"[{done}/{len(names)}] {n}: {res['LUT']} LUT, {res['FF']} FF, {res['DSP']} DSP, "
                 f"{res['BRAM']} BRAM, {res['URAM']} URAM ({res['seconds']} s)")
  units = {n: units[n] for n in names}
  total = {k: sum(u[k] for u in units.values()) for k in RESOURCES}
  return {"config": cfg.name, "digest": cfg.digest(), "mode": mode, "keep_hierarchy": KEEP[mode],
          "mapper": "abc9" if abc9 else "abc",
          "flow": _sx(abc9).format(top="<unit>") + " (coarse step without share, $macc unmapped)",
          "units": units, "total": total, "paper": PAPER_RESOURCES, "kv260": KV260_RESOURCES}
