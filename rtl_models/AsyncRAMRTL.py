"""
AsyncRAMRTL: one synchronous write port, one asynchronous (combinational) read port.

  wen, waddr, wdata  -> mem[waddr] <= wdata at the clock edge
  raddr -> rdata     =  mem[raddr] in the same cycle

Written the way FPGA tools infer distributed (LUT) RAM: a one-dimensional array written in one clocked block at
one address and read combinationally. A buffer kept as a plain register array (or a two-dimensional one) is
synthesized into flip-flops instead; units hold their vector buffers in these.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl.verilog_names import set_module_name


class AsyncRAMRTL(Component):

  def construct(s, nbits, depth):
    AW = max(1, (depth - 1).bit_length())
    s.wen = InPort()
    s.waddr = InPort(mk_bits(AW))
    s.wdata = InPort(mk_bits(nbits))
    s.raddr = InPort(mk_bits(AW))
    s.rdata = OutPort(mk_bits(nbits))

    s.mem = [Wire(mk_bits(nbits)) for _ in range(depth)]

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
