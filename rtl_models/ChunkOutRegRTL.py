"""
ChunkOutRegRTL: a one-entry output register for a vector stream of n elements, filled in n/L chunks of L.

  in_[L]   a chunk (elements c*L .. c*L + L - 1 of the vector being built)
  go       the caller gives a chunk this cycle (only when `ready`)
  c        which chunk is due next
  last     it is the vector's last chunk
  ready    a chunk can be given: one before the last always (it is staged), the last when the register is
           free (empty, or its vector leaves this cycle)
  out      VecSendIfcRTL(Type, n): the held vector

The first n/L - 1 chunks of a vector are staged while the register may still hold the vector before (a consumer
reading it chunk by chunk does not stall the producer); the last moves the staged chunks and itself into the
register. At L = n it is a plain output register: ready = free, every go loads a vector.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl.ifcs import VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name


class ChunkOutRegRTL(Component):

  def construct(s, Type, n, L):
    assert n % L == 0
    NC = n // L
    CW = max(1, (NC - 1).bit_length())
    s.in_ = [InPort(Type) for _ in range(L)]
    s.go = InPort()
    s.c = OutPort(mk_bits(CW))
    s.last = OutPort()
    s.ready = OutPort()
    s.out = VecSendIfcRTL(Type, n)
    s.val = Wire()
    s.free = Wire()
    s.regs = [[Wire(Type) for _ in range(L)] for _ in range(NC)]
    for k in range(NC):
      for j in range(L):
        s.out.msg[k * L + j] //= s.regs[k][j]
    s.out.val //= s.val

    @update
    def up_free():
      s.free @= ~s.val | s.out.rdy

    if NC == 1:
      s.c //= 0
      s.last //= 1
      s.ready //= s.free

      @update_ff
      def up_reg_whole():
        if s.reset:
          s.val <<= 0
        elif s.go:
          s.val <<= 1
          for j in range(L):
            s.regs[0][j] <<= s.in_[j]
        elif s.out.rdy:
          s.val <<= 0
    else:
      LASTC = mk_bits(CW)(NC - 1)
      NL = NC - 1                   # the last chunk (a named constant, as an index)
      s.stg = [[Wire(Type) for _ in range(L)] for _ in range(NC - 1)]

      @update
      def up_ready():
        s.last @= s.c == LASTC
        s.ready @= s.free | (s.c != LASTC)

      @update_ff
      def up_reg_chunks():
        if s.reset:
          s.val <<= 0
          s.c <<= 0
        elif s.go:
          if s.c == LASTC:
            for k in range(NC - 1):
              for j in range(L):
                s.regs[k][j] <<= s.stg[k][j]
            for j in range(L):
              s.regs[NL][j] <<= s.in_[j]
            s.c <<= 0
            s.val <<= 1
          else:
            for k in range(NC - 1):
              if s.c == k:
                for j in range(L):
                  s.stg[k][j] <<= s.in_[j]
            s.c <<= s.c + 1
            if s.out.rdy:
              s.val <<= 0
        elif s.out.rdy:
          s.val <<= 0

    set_module_name(s, "ChunkOutRegRTL", b=Type.nbits, n=n, L=L)

  def line_trace(s):
    return "Y" if s.val else " "
