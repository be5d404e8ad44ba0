"""
DmaAddrRTL: the address generator of one scratchpad stream of the accelerator top (a source feeding a unit's
input port, or a sink taking a unit's output port).

  desc    RecvIfcRTL(TopDesc)   bank, base, len, r1, s1, r2, s2 (tellme_pymtl.top.mk_desc), queued (bypass)
  adv     InPort                the stream moved one word this cycle
  active  OutPort               a descriptor is loaded: the stream has a word to move
  bank    OutPort(Bits4)        the bank and word address of that word
  addr    OutPort(Bits(AW))
  idle    OutPort               nothing loaded and nothing queued (registered state only)

A descriptor walks addr = base + k*s2 + j*s1 + i for k < r2, j < r1, i < len (i fastest): a contiguous run
(r1 = r2 = 1), a vector repeated per token (s1 = 0), or the prefill unit's pass order (rows of a pass at stride
s1, heads at stride s2). A descriptor is loaded the cycle after the previous one ends (or the cycle it arrives,
through the bypass queue, when the generator is idle).
"""
from pymtl3 import Component, OutPort, InPort, Wire, mk_bits, update, update_ff
from pymtl3.stdlib.stream import BypassQueueRTL

from tellme_pymtl.ifcs import RecvIfcRTL
from tellme_pymtl.top import mk_desc, ADDR_BITS
from tellme_pymtl.verilog_names import set_module_name


class DmaAddrRTL(Component):

  def construct(s, qdepth=2):
    Desc = mk_desc()
    BA = mk_bits(ADDR_BITS)
    s.desc = RecvIfcRTL(Desc)
    s.adv = InPort()
    s.active = OutPort()
    s.bank = OutPort(mk_bits(4))
    s.addr = OutPort(BA)
    s.idle = OutPort()

    s.q = BypassQueueRTL(Desc, qdepth)
    s.desc //= s.q.recv

    s.len = Wire(mk_bits(16))
    s.r1 = Wire(mk_bits(16))
    s.s1 = Wire(BA)
    s.r2 = Wire(mk_bits(8))
    s.s2 = Wire(BA)
    s.i = Wire(mk_bits(16))
    s.j = Wire(mk_bits(16))
    s.k = Wire(mk_bits(8))
    s.row = Wire(BA)
    s.blk = Wire(BA)

    @update
    def up_out():
      s.addr @= s.row + s.i
      s.q.send.rdy @= ~s.active
      s.idle @= ~s.active & (s.q.count == 0)

    @update_ff
    def up_walk():
      if s.reset:
        s.active <<= 0
      elif ~s.active:
        if s.q.send.val:
          s.active <<= 1
          s.bank <<= s.q.send.msg.bank
          s.len <<= s.q.send.msg.len
          s.r1 <<= s.q.send.msg.r1
          s.s1 <<= s.q.send.msg.s1
          s.r2 <<= s.q.send.msg.r2
          s.s2 <<= s.q.send.msg.s2
          s.i <<= 0
          s.j <<= 0
          s.k <<= 0
          s.row <<= s.q.send.msg.base
          s.blk <<= s.q.send.msg.base
      elif s.adv:
        if s.i + 1 < s.len:
          s.i <<= s.i + 1
        else:
          s.i <<= 0
          if s.j + 1 < s.r1:
            s.j <<= s.j + 1
            s.row <<= s.row + s.s1
          else:
            s.j <<= 0
            if s.k + 1 < s.r2:
              s.k <<= s.k + 1
              s.blk <<= s.blk + s.s2
              s.row <<= s.blk + s.s2
            else:
              s.active <<= 0

    set_module_name(s, "DmaAddrRTL", q=qdepth)

  def line_trace(s):
    return f"{int(s.bank)}:{int(s.addr):04x}" if s.active else "      "
