"""
FPRoundNormRTL: round a normalized significand to an IEEE 754 magnitude, round to nearest even (combinational).

  e      (EW)    two's complement biased exponent of r's leading bit
  r      (M+2)   the significand with its leading bit set (hidden bit, M fraction bits, guard bit)
  sticky         OR of any nonzero bits below r
  mag    (E+M)   the rounded exponent field and fraction: normal, subnormal (e < 1: r shifted right by 1 - e,
                 the bits lost into the sticky bit), or the infinity pattern when the rounding carries into it
  ovf            e >= 2^E - 1: the result overflows whatever the rounding (the caller gives ±inf)

The short rounding path of the operations whose result needs no normalizing left shift: a multiplication of
normalized significands (FPMulRTL) and a narrowing conversion (FPConvRTL). FPRoundPackRTL is the general one.
The rounding carry into the exponent field turns the largest subnormal into the smallest normal and the largest
finite into infinity.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .ShiftJamRTL import ShiftJamRTL


class FPRoundNormRTL(Component):

  def construct(s, E, M, EW):
    RW = M + 2
    ET = EW - 1
    SHW = RW.bit_length()          # the right shift's bits (shifts of RW and more are handled apart)
    EMAX = (1 << E) - 1
    assert EW > E + 1
    BE, BR = mk_bits(EW), mk_bits(RW)

    s.e = InPort(BE)
    s.r = InPort(BR)
    s.sticky = InPort()
    s.mag = OutPort(mk_bits(E + M))
    s.ovf = OutPort()

    s.rs = Wire(BE)                # 1 - e: the right shift into the subnormal range when e < 1
    s.d = Wire(BR)                 # r in its final position
    s.dst = Wire()                 # the OR of the bits the right shift lost
    s.efield = Wire(mk_bits(E))
    s.rnd = Wire()

    s.sj = ShiftJamRTL(RW, SHW)    # r >> (1 - e) and the OR of what it drops (shifts below RW)
    s.sj.in_ //= s.r
    s.sj.amt //= s.rs[0:SHW]

    EMAXE = BE(EMAX)
    RWE = BE(RW)
    ONE_E = BE(1)
    EM = E + M

    s.rs //= lambda: ONE_E - s.e   # its own block: the shifter reads it, up_denorm reads the shifter

    @update
    def up_denorm():
      s.ovf @= ~s.e[ET] & (s.e >= EMAXE)
      if s.e[ET] | (s.e == 0):
        if s.rs >= RWE:
          s.d @= 0
          s.dst @= s.r != 0
        else:
          s.d @= s.sj.out
          s.dst @= s.sj.sticky
      else:
        s.d @= s.r
        s.dst @= 0

    @update
    def up_round():
      # d's leading bit is set exactly when the result is normal (r's is; a right shift clears it)
      if s.d[RW - 1]:
        s.efield @= s.e[0:E]
      else:
        s.efield @= 0
      s.rnd @= s.d[0] & (s.sticky | s.dst | s.d[1])
      s.mag @= concat(s.efield, s.d[1:RW - 1]) + zext(s.rnd, EM)

    set_module_name(s, "FPRoundNormRTL", E=E, M=M, e=EW)

  def line_trace(s):
    return f"{s.mag}"
