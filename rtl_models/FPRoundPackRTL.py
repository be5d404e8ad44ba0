"""
FPRoundPackRTL: normalize, round to nearest even and pack a floating-point result (combinational).

  sign            result sign
  exp   (EW)      two's complement biased exponent the result has if sig's MSB is its leading one
  sig   (SW)      unsigned significand (need not be normalized; 0 means a zero result)
  sticky          OR of any nonzero bits below sig's LSB
  out   (1+E+M)   IEEE 754 binary: ±0, subnormal, normal, or ±inf on overflow

Shared by the FP operations whose result may need normalizing (add, divide, widening and integer conversions,
the FP programs' scaling), so all of them round the same way: round half to even on (guard, rest | sticky), and
the carry of the rounding increment into the exponent field (which also turns the largest subnormal into the
smallest normal and the largest finite into infinity). A multiplication and a narrowing conversion round the
same way on a shorter path (FPRoundNormRTL): their significand is normalized already.

One left shift does the normalization: by the leading-zero count lz when the result is normal (exp - lz >= 1),
else by exp - 1, which leaves the significand where the subnormal format wants it (no bit leaves the top, none is
lost at the bottom). Only an exponent below 1 needs a right shift (bits lost into the sticky bit: any of them
nonzero when the trailing-zero count is below the shift); `underflow=False` says the caller never gives one (an
adder's exponent is its larger operand's, a widening conversion's is in range) and leaves that shifter out.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name


class FPRoundPackRTL(Component):

  def construct(s, E, M, SW, EW, underflow=True):
    ET = EW - 1                 # the exponent's sign bit
    W = 1 + E + M
    SWI = max(SW, M + 2)
    LZW = SWI.bit_length()
    EMAX = (1 << E) - 1
    assert EW > LZW and EW > E + 1
    BI, BE, BL = mk_bits(SWI), mk_bits(EW), mk_bits(LZW)

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
    s.lz = Wire(BL)
    s.en = Wire(BE)            # exp - lz: the exponent of the normalized result
    s.em1 = Wire(BL)           # exp - 1 (its low bits): the left shift into the subnormal range
    s.k = Wire(BL)             # the left shift
    s.norm = Wire(BI)
    s.den = Wire(BI)
    s.st = Wire()
    s.efield = Wire(mk_bits(E))
    s.rnd = Wire()
    s.mag = Wire(mk_bits(E + M))

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

    @update
    def up_shift_amount():
      s.en @= s.exp - zext(s.lz, EW)
      s.em1 @= s.exp[0:LZW] - 1
      if s.en[ET] | (s.en == 0):
        s.k @= s.em1               # subnormal: exp - 1 < lz < 2^LZW (when exp < 1, unused)
      else:
        s.k @= s.lz

    @update
    def up_norm():
      s.norm @= s.sigp << zext(s.k, SWI)

    if underflow:
      SWI_E = BE(SWI)
      s.r = Wire(BE)           # 1 - exp: the right shift when exp < 1
      s.rw = Wire(BI)
      s.tz = Wire(mk_bits(SWI.bit_length()))

      @update
      def up_tzc():
        s.tz @= 0
        for i in range(SWI):
          if s.sigp[SWI - 1 - i]:
            s.tz @= SWI - 1 - i

      if EW <= SWI:
        @update
        def up_rw_zext():
          s.rw @= zext(s.r, SWI)
      else:
        @update
        def up_rw_trunc():
          s.rw @= s.r[0:SWI]

      @update
      def up_r():
        s.r @= 1 - s.exp

      @update
      def up_den():
        if s.exp[ET] | (s.exp == 0):
          s.efield @= 0
          if s.r >= SWI_E:
            s.den @= 0
          else:
            s.den @= s.sigp >> s.rw
          s.st @= (s.sigp != 0) & (zext(s.tz, EW) < s.r)
        elif s.en[ET] | (s.en == 0):
          s.efield @= 0
          s.den @= s.norm
          s.st @= 0
        else:
          s.efield @= s.en[0:E]
          s.den @= s.norm
          s.st @= 0
    else:
      @update
      def up_den_normal():
        s.den @= s.norm
        s.st @= 0
        if s.en[ET] | (s.en == 0):
          s.efield @= 0
        else:
          s.efield @= s.en[0:E]

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

    # without the underflow path it is another module: "_nn" in its name
    set_module_name(s, "FPRoundPackRTL", E=E, M=M, s=SW, e=EW, **({} if underflow else {"n": "n"}))

  def line_trace(s):
    return f"{s.out}"
