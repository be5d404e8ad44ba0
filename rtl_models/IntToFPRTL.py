"""
IntToFPRTL: signed N-bit integer -> IEEE 754 binary (round to nearest even), combinational.
Exact whenever the magnitude fits the significand (N <= M+1, or small values).
"""
from pymtl3 import Component, InPort, OutPort, mk_bits, update

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL


class IntToFPRTL(Component):

  def construct(s, N, E, M):
    BIAS = (1 << (E - 1)) - 1
    EW = max(E + 2, (BIAS + N).bit_length() + 2)
    NT = N - 1                  # the sign bit
    s.in_ = InPort(mk_bits(N))
    s.out = OutPort(mk_bits(1 + E + M))
    s.rp = FPRoundPackRTL(E, M, N, EW, underflow=False)   # exp = BIAS + N - 1
    EXP = mk_bits(EW)(BIAS + N - 1)

    @update
    def up_i2f():
      s.rp.sign @= s.in_[NT]
      if s.in_[NT]:
        s.rp.sig @= 0 - s.in_
      else:
        s.rp.sig @= s.in_
      s.rp.exp @= EXP
      s.rp.sticky @= 0

    s.out //= s.rp.out
    set_module_name(s, "IntToFPRTL", N=N, E=E, M=M)

  def line_trace(s):
    return f"{s.in_}->{s.out}"
