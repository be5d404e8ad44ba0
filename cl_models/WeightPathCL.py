"""
WeightPathCL: W.x with the weights streamed from DDR (weight streamer -> ping-pong weight buffer -> TLMM
engine), composed of the CL models with the structure of tellme_pymtl.fuse.build_wpath.
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_wpath, wpath_line_trace
from .TLMMEngineCL import TLMMEngineCL
from .WeightBufferCL import WeightBufferCL
from .WeightStreamerCL import WeightStreamerCL


class WeightPathCL(Component):

  def construct(s, cfg):
    build_wpath(s, cfg, WeightStreamerCL, WeightBufferCL, TLMMEngineCL)

  def line_trace(s):
    return wpath_line_trace(s)
