"""
WeightPathFL: W.x with the weights streamed from DDR (weight streamer -> ping-pong weight buffer -> TLMM
engine), composed of the FL models with the structure of tellme_pymtl.fuse.build_wpath.
"""
from pymtl3 import Component

from tellme_pymtl.fuse import build_wpath, wpath_line_trace
from .TLMMEngineFL import TLMMEngineFL
from .WeightBufferFL import WeightBufferFL
from .WeightStreamerFL import WeightStreamerFL


class WeightPathFL(Component):

  def construct(s, cfg):
    build_wpath(s, cfg, WeightStreamerFL, WeightBufferFL, TLMMEngineFL)

  def line_trace(s):
    return wpath_line_trace(s)
