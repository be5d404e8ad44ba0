"""Which model implements each component at each level (the command line's view across the levels)."""
import contextlib
import os
import shutil

from cl_models.TLMMEngineCL import TLMMEngineCL
from fl_models.TLMMEngineFL import TLMMEngineFL
from rtl_models.TLMMEngineRTL import TLMMEngineRTL

LEVELS = ("fl", "cl", "rtl", "verilog")

MODELS = {
  "TLMMEngine": {"fl": TLMMEngineFL, "cl": TLMMEngineCL, "rtl": TLMMEngineRTL, "verilog": TLMMEngineRTL},
}


def parse_levels(text):
  from . import UsageError
  levels = [x.strip() for x in text.split(",") if x.strip()]
  bad = [x for x in levels if x not in LEVELS]
  if bad or not levels:
    raise UsageError(f"unknown level {', '.join(bad) or '(none)'}; choose from {', '.join(LEVELS)}")
  if "verilog" in levels and shutil.which("verilator") is None:
    raise UsageError("level verilog needs Verilator: apt-get install -y verilator")
  return levels


@contextlib.contextmanager
def build_dir(sub):
  """Run translation and simulation inside $TELLME_BUILD/<sub> (default ./build/<sub>)."""
  path = os.path.join(os.environ.get("TELLME_BUILD", "build"), sub)
  os.makedirs(path, exist_ok=True)
  cwd = os.getcwd()
  os.chdir(path)
  try:
    yield path
  finally:
    os.chdir(cwd)
