"""
URAMRTL: one UltraRAM-like block: `nbits` x `depth` (72 x 4096 on the device), one write port and one
registered read port with enable (how UltraRAM reads; yosys maps it with synth_xilinx -uram). It is
SyncRAMRTL under its own module name, so the weight buffer's blocks can be counted and mapped as UltraRAM.
The weight buffer cascades blocks side by side for width and stacks them for depth.
"""
from tellme_pymtl.verilog_names import set_module_name
from .SyncRAMRTL import SyncRAMRTL


class URAMRTL(SyncRAMRTL):

  def construct(s, nbits, depth):
    super().construct(nbits, depth)
    set_module_name(s, "URAMRTL", b=nbits, d=depth)
