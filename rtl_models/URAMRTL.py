"""
URAMRTL: one UltraRAM-like block: `nbits` x `depth` (72 x 4096 on the device), one write port and one
registered read port with enable (how UltraRAM reads; yosys maps it with synth_xilinx -uram). The weight
buffer cascades blocks side by side for width and stacks them for depth.
"""
from pymtl3 import Component, InPort, OutPort, mk_bits

from tellme_pymtl.verilog_names import set_module_name
from .SyncRAMRTL import SyncRAMRTL


class URAMRTL(Component):

  def construct(s, nbits, depth):
    AW = max(1, (depth - 1).bit_length())
    s.wen = InPort()
    s.waddr = InPort(mk_bits(AW))
    s.wdata = InPort(mk_bits(nbits))
    s.ren = InPort()
    s.raddr = InPort(mk_bits(AW))
    s.rdata = OutPort(mk_bits(nbits))
    s.ram = SyncRAMRTL(nbits, depth)
    s.ram.wen //= s.wen
    s.ram.waddr //= s.waddr
    s.ram.wdata //= s.wdata
    s.ram.ren //= s.ren
    s.ram.raddr //= s.raddr
    s.rdata //= s.ram.rdata
    set_module_name(s, "URAMRTL", b=nbits, d=depth)

  def line_trace(s):
    return s.ram.line_trace()
