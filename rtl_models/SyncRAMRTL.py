"""
SyncRAMRTL: one write port, one registered read port with read enable.

  wen, waddr, wdata  -> mem[waddr] <= wdata at the clock edge
  ren, raddr         -> rdata <= mem[raddr] at the clock edge when ren (rdata holds otherwise)

Written the way FPGA tools infer block RAM (and UltraRAM): a registered, enabled read. A read and a write of
the same address in one cycle returns the old word (read-first).
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update_ff

from tellme_pymtl.verilog_names import set_module_name


def ram_ports(s, nbits, depth):
  """The write port, the read address and data, and the array of a RAM component (shared by the RAMs)."""
  AW = max(1, (depth - 1).bit_length())
  s.wen = InPort()
  s.waddr = InPort(mk_bits(AW))
  s.wdata = InPort(mk_bits(nbits))
  s.raddr = InPort(mk_bits(AW))
  s.rdata = OutPort(mk_bits(nbits))
  s.mem = [Wire(mk_bits(nbits)) for _ in range(depth)]


class SyncRAMRTL(Component):

  def construct(s, nbits, depth):
    ram_ports(s, nbits, depth)
    s.ren = InPort()

    @update_ff
    def up_ram():
      if s.ren:
        s.rdata <<= s.mem[s.raddr]
      if s.wen:
        s.mem[s.waddr] <<= s.wdata

    set_module_name(s, "SyncRAMRTL", b=nbits, d=depth)

  def line_trace(s):
    return f"{'W' if s.wen else ' '}{'R' if s.ren else ' '}"
