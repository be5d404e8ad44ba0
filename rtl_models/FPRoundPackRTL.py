"""
FPRoundPackRTL: normalize, round to nearest even and pack a floating-point result (combinational).

  sign            result sign
  exp   (EW)      two's complement biased exponent the result has if sig's MSB is its leading one
  sig   (SW)      unsigned significand (need not be normalized; 0 means a zero result)
  sticky          OR of any nonzero bits below sig's LSB
  out   (1+E+M)   IEEE 754 binary: ±0, subnormal, normal, or ±inf on overflow

Shared by every FP operation (add, multiply, conversions), so all of them round the same way: leading-zero
count and left shift, right shift with sticky into the subnormal range, round half to even on
(guard, rest | sticky), and the carry of the rounding increment into the exponent field (which also turns the
largest subnormal into the smallest normal and the largest finite into infinity).
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name


class FPRoundPackRTL(Component):

  def construct(s, E, M, SW, EW):
    ET = EW - 1                 # the exponent's sign bit
    W = 1 + E + M
    SWI = max(SW, M + 2)
    LZW = SWI.bit_length()
    EMAX = (1 << E) - 1
    assert EW > LZW and EW > E + 1
    BI, BE = mk_bits(SWI), mk_bits(EW)

    s.sign = InPort()
    s.exp = InPort(BE)
    s.sig = InPort(mk_bits(SW))
    s.sticky = InPort()
    s.out = OutPort(mk_bits(W))

    s.sigp = Wire(BI)
    if SWI > SW:
      s.sigp[SWI - SW:SWI] //= s.sig
      s.sigp[0:SWI - SW] //= 0
    else:
      s.sigp //= s.sig
    s.lz = Wire(mk_bits(LZW))
    s.norm = Wire(BI)
    s.en = Wire(BE)
    s.sh = Wire(BE)
    s.shw = Wire(BI)           # sh at the significand's width (only used while sh < SWI)
    s.den = Wire(BI)
    s.st = Wire()
    s.efield = Wire(mk_bits(E))
    s.rnd = Wire()
    s.mag = Wire(mk_bits(E + M))

    ONE = BI(1)
    SWI_E = BE(SWI)
    EMAX_E = BE(EMAX)
    GUARD = SWI - 2 - M        # bit index of the guard bit after normalization
    EM = E + M
    ZERO_EM = mk_bits(EM)(0)
    INF_EM = mk_bits(EM)(EMAX << M)

    @update
    def up_lzc():
      s.lz @= 0
      for i in range(SWI):
        if s.sigp[i]:
          s.lz @= SWI - 1 - i

    if EW <= SWI:
      @update
      def up_shw_zext():
        s.shw @= zext(s.sh, SWI)
    else:
      @update
      def up_shw_trunc():
        s.shw @= s.sh[0:SWI]

    # en and sh in their own block: up_norm reads shw, which is made from sh (one block for both would be a
    # combinational cycle between blocks to Verilator)
    @update
    def up_en():
      s.en @= s.exp - zext(s.lz, EW)
      s.sh @= 1 - s.en

    @update
    def up_norm():
      s.norm @= s.sigp << zext(s.lz, SWI)
      # subnormal range: shift right by 1 - en, collecting the shifted-out bits in st
      if s.en[ET] | (s.en == 0):
        s.efield @= 0
        if s.sh >= SWI_E:
          s.den @= 0
          s.st @= s.norm != 0
        else:
          s.den @= s.norm >> s.shw
          s.st @= (s.norm & ((ONE << s.shw) - 1)) != 0
      else:
        s.efield @= s.en[0:E]
        s.den @= s.norm
        s.st @= 0

    if GUARD > 0:
      @update
      def up_round():
        s.rnd @= s.den[GUARD] & ((s.den[0:GUARD] != 0) | s.st | s.sticky | s.den[GUARD + 1])
    else:
      @update
      def up_round_nobits():
        s.rnd @= s.den[GUARD] & (s.st | s.sticky | s.den[GUARD + 1])

    @update
    def up_pack():
      s.mag @= concat(s.efield, s.den[GUARD + 1:SWI - 1]) + zext(s.rnd, EM)
      if s.sigp == 0:
        s.out @= concat(s.sign, ZERO_EM)
      elif ~s.en[ET] & (s.en >= EMAX_E):
        s.out @= concat(s.sign, INF_EM)
      else:
        s.out @= concat(s.sign, s.mag)

    set_module_name(s, "FPRoundPackRTL", E=E, M=M, s=SW, e=EW)

  def line_trace(s):
    return f"{s.out}"
