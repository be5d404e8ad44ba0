"""
AsyncRAMRTL: one synchronous write port, one asynchronous (combinational) read port.

  wen, waddr, wdata  -> mem[waddr] <= wdata at the clock edge
  raddr -> rdata     =  mem[raddr] in the same cycle

Written the way FPGA tools infer distributed (LUT) RAM: a one-dimensional array written in one clocked block at
one address and read combinationally. A buffer kept as a plain register array (or a two-dimensional one) is
synthesized into flip-flops instead; units hold their vector buffers in these.
"""
from pymtl3 import Component, update, update_ff

from tellme_pymtl.verilog_names import set_module_name
from .SyncRAMRTL import ram_ports


class AsyncRAMRTL(Component):

  def construct(s, nbits, depth):
    ram_ports(s, nbits, depth)

    @update_ff
    def up_write():
      if s.wen:
        s.mem[s.waddr] <<= s.wdata

    @update
    def up_read():
      s.rdata @= s.mem[s.raddr]

    set_module_name(s, "AsyncRAMRTL", b=nbits, d=depth)

  def line_trace(s):
    return "W" if s.wen else " "
