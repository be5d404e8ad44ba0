"""
TLMMFuseFL: the TLMM-FUSE chain (quantize -> TLMM -> dequantize -> element-wise) composed of the FL units,
with the structure of tellme_pymtl.fuse.build_fuse (ports and wiring are described there).
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_fuse, fuse_line_trace
from .DequantizerFL import DequantizerFL
from .ElementwiseFL import ElementwiseFL
from .QuantizerFL import QuantizerFL
from .TLMMEngineFL import TLMMEngineFL


class TLMMFuseFL(Component):

  def construct(s, cfg):
    build_fuse(s, cfg, QuantizerFL, TLMMEngineFL, DequantizerFL, ElementwiseFL)

  def line_trace(s):
    return fuse_line_trace(s)
