"""
TLMMFuseRTL: the TLMM-FUSE chain (quantize -> TLMM -> dequantize -> element-wise) composed of the RTL units,
with the structure of tellme_pymtl.fuse.build_fuse (ports and wiring are described there).
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_fuse, fuse_line_trace
from tellme_pymtl.verilog_names import set_module_name
from .DequantizerRTL import DequantizerRTL
from .ElementwiseRTL import ElementwiseRTL
from .QuantizerRTL import QuantizerRTL
from .TLMMEngineRTL import TLMMEngineRTL


class TLMMFuseRTL(Component):

  def construct(s, cfg):
    build_fuse(s, cfg, QuantizerRTL, TLMMEngineRTL, DequantizerRTL, ElementwiseRTL)
    set_module_name(s, "TLMMFuseRTL", T=cfg.T, Q=cfg.Q, k=cfg.digest())

  def line_trace(s):
    return fuse_line_trace(s)
