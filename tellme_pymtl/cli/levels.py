"""Which model implements each component at each level (the command line's view across the levels)."""
import contextlib
import os
import shutil

from cl_models.AccelTopCL import AccelTopCL
from cl_models.AttentionCL import AttentionCL
from cl_models.DecodeAttentionCL import DecodeAttentionCL
from cl_models.KVWriterCL import KVWriterCL
from cl_models.PrefillAttentionCL import PrefillAttentionCL
from cl_models.DequantizerCL import DequantizerCL
from cl_models.ElementwiseCL import ElementwiseCL
from cl_models.QuantizerCL import QuantizerCL
from cl_models.RMSMaxCL import RMSMaxCL
from cl_models.TLMMEngineCL import TLMMEngineCL
from cl_models.TLMMFuseCL import TLMMFuseCL
from cl_models.WeightBufferCL import WeightBufferCL
from cl_models.WeightPathCL import WeightPathCL
from cl_models.WeightStreamerCL import WeightStreamerCL
from fl_models.AccelTopFL import AccelTopFL
from fl_models.AttentionFL import AttentionFL
from fl_models.DecodeAttentionFL import DecodeAttentionFL
from fl_models.KVWriterFL import KVWriterFL
from fl_models.PrefillAttentionFL import PrefillAttentionFL
from fl_models.DequantizerFL import DequantizerFL
from fl_models.ElementwiseFL import ElementwiseFL
from fl_models.QuantizerFL import QuantizerFL
from fl_models.RMSMaxFL import RMSMaxFL
from fl_models.TLMMEngineFL import TLMMEngineFL
from fl_models.TLMMFuseFL import TLMMFuseFL
from fl_models.WeightBufferFL import WeightBufferFL
from fl_models.WeightPathFL import WeightPathFL
from fl_models.WeightStreamerFL import WeightStreamerFL
from rtl_models.AccelTopRTL import AccelTopRTL
from rtl_models.AttentionRTL import AttentionRTL
from rtl_models.DecodeAttentionRTL import DecodeAttentionRTL
from rtl_models.KVWriterRTL import KVWriterRTL
from rtl_models.PrefillAttentionRTL import PrefillAttentionRTL
from rtl_models.DequantizerRTL import DequantizerRTL
from rtl_models.ElementwiseRTL import ElementwiseRTL
from rtl_models.QuantizerRTL import QuantizerRTL
from rtl_models.RMSMaxRTL import RMSMaxRTL
from rtl_models.TLMMEngineRTL import TLMMEngineRTL
from rtl_models.TLMMFuseRTL import TLMMFuseRTL
from rtl_models.WeightBufferRTL import WeightBufferRTL
from rtl_models.WeightPathRTL import WeightPathRTL
from rtl_models.WeightStreamerRTL import WeightStreamerRTL

LEVELS = ("fl", "cl", "rtl", "verilog")

MODELS = {
  "TLMMEngine": {"fl": TLMMEngineFL, "cl": TLMMEngineCL, "rtl": TLMMEngineRTL, "verilog": TLMMEngineRTL},
  "Quantizer": {"fl": QuantizerFL, "cl": QuantizerCL, "rtl": QuantizerRTL, "verilog": QuantizerRTL},
  "Dequantizer": {"fl": DequantizerFL, "cl": DequantizerCL, "rtl": DequantizerRTL, "verilog": DequantizerRTL},
  "RMSMax": {"fl": RMSMaxFL, "cl": RMSMaxCL, "rtl": RMSMaxRTL, "verilog": RMSMaxRTL},
  "Elementwise": {"fl": ElementwiseFL, "cl": ElementwiseCL, "rtl": ElementwiseRTL, "verilog": ElementwiseRTL},
  "TLMMFuse": {"fl": TLMMFuseFL, "cl": TLMMFuseCL, "rtl": TLMMFuseRTL, "verilog": TLMMFuseRTL},
  "WeightStreamer": {"fl": WeightStreamerFL, "cl": WeightStreamerCL, "rtl": WeightStreamerRTL,
                     "verilog": WeightStreamerRTL},
  "WeightBuffer": {"fl": WeightBufferFL, "cl": WeightBufferCL, "rtl": WeightBufferRTL, "verilog": WeightBufferRTL},
  "WeightPath": {"fl": WeightPathFL, "cl": WeightPathCL, "rtl": WeightPathRTL, "verilog": WeightPathRTL},
  "DecodeAttention": {"fl": DecodeAttentionFL, "cl": DecodeAttentionCL, "rtl": DecodeAttentionRTL,
                      "verilog": DecodeAttentionRTL},
  "KVWriter": {"fl": KVWriterFL, "cl": KVWriterCL, "rtl": KVWriterRTL, "verilog": KVWriterRTL},
  "PrefillAttention": {"fl": PrefillAttentionFL, "cl": PrefillAttentionCL, "rtl": PrefillAttentionRTL,
                       "verilog": PrefillAttentionRTL},
  "Attention": {"fl": AttentionFL, "cl": AttentionCL, "rtl": AttentionRTL, "verilog": AttentionRTL},
  "AccelTop": {"fl": AccelTopFL, "cl": AccelTopCL, "rtl": AccelTopRTL, "verilog": AccelTopRTL},
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
