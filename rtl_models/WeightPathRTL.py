"""
WeightPathRTL: W.x with the weights streamed from DDR (weight streamer -> ping-pong weight buffer -> TLMM
engine), composed of the RTL models with the structure of tellme_pymtl.fuse.build_wpath.
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_wpath, wpath_line_trace
from tellme_pymtl.verilog_names import set_module_name
from .TLMMEngineRTL import TLMMEngineRTL
from .WeightBufferRTL import WeightBufferRTL
from .WeightStreamerRTL import WeightStreamerRTL


class WeightPathRTL(Component):

  def construct(s, cfg):
    build_wpath(s, cfg, WeightStreamerRTL, WeightBufferRTL, TLMMEngineRTL)
    set_module_name(s, "WeightPathRTL", T=cfg.T, Q=cfg.Q, k=cfg.digest())

  def line_trace(s):
    return wpath_line_trace(s)
