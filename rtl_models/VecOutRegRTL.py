"""
VecOutRegRTL: a one-entry output register for a vector stream.

  load, in_[n]   capture in_ (the caller loads only when `free`)
  free           the register can take a vector this cycle: empty, or its vector leaves this cycle
  out            VecSendIfcRTL(Type, n): the held vector
"""
from pymtl3 import Component, InPort, OutPort, Wire, update, update_ff

from tellme_pymtl.ifcs import VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name


class VecOutRegRTL(Component):

  def construct(s, Type, n):
    s.load = InPort()
    s.in_ = [InPort(Type) for _ in range(n)]
    s.free = OutPort()
    s.out = VecSendIfcRTL(Type, n)
    s.val = Wire()
    s.regs = [Wire(Type) for _ in range(n)]
    for i in range(n):
      s.out.msg[i] //= s.regs[i]

    @update
    def up_free():
      s.out.val @= s.val
      s.free @= ~s.val | s.out.rdy

    @update_ff
    def up_reg():
      if s.reset:
        s.val <<= 0
      elif s.load:
        s.val <<= 1
        for i in range(n):
          s.regs[i] <<= s.in_[i]
      elif s.out.rdy:
        s.val <<= 0

    set_module_name(s, "VecOutRegRTL", b=Type.nbits, n=n)

  def line_trace(s):
    return "Y" if s.val else " "
