"""
TLMMFuseCL: the TLMM-FUSE chain (quantize -> TLMM -> dequantize -> element-wise) composed of the CL units,
with the structure of tellme_pymtl.fuse.build_fuse (ports and wiring are described there).
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_fuse, fuse_line_trace
from .DequantizerCL import DequantizerCL
from .ElementwiseCL import ElementwiseCL
from .QuantizerCL import QuantizerCL
from .TLMMEngineCL import TLMMEngineCL


class TLMMFuseCL(Component):

  def construct(s, cfg):
    build_fuse(s, cfg, QuantizerCL, TLMMEngineCL, DequantizerCL, ElementwiseCL)

  def line_trace(s):
    return fuse_line_trace(s)
