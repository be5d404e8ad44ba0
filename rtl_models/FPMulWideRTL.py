"""
FPMulWideRTL: the exact product of two narrow IEEE 754 numbers in a wider format, combinational.

  a, b (1+Ei+Mi)  ->  out (1+Eo+Mo) = widen(a) * widen(b)

The same bits as widening both operands (FPConvRTL) and multiplying them (FPMulRTL), for formats where that
product is always exact and normal in the wide format: 2 (Mi + 1) significand bits fit in Mo + 1, and the
smallest (subnormal x subnormal) and largest products are inside the wide format's normal range (checked at
construction). binary16 x binary16 -> binary32 is such a pair: the attention dot products and the sum of squares
multiply that way. Then there is nothing to round and no subnormal or overflow case: an (Mi+1) x (Mi+1)
multiply, a leading-zero count (only subnormal operands leave leading zeros) and a left shift. Special operands
as FPMulRTL: NaN or 0 * inf -> the wide canonical quiet NaN, inf -> signed inf, a zero operand -> signed zero.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name


class FPMulWideRTL(Component):

  def construct(s, Ei, Mi, Eo, Mo):
    Wi, Wo = 1 + Ei + Mi, 1 + Eo + Mo
    SB = Wi - 1                 # the operands' sign bit
    EMAXI, EMAXO = (1 << Ei) - 1, (1 << Eo) - 1
    BIASI, BIASO = (1 << (Ei - 1)) - 1, (1 << (Eo - 1)) - 1
    PW = 2 * (Mi + 1)           # the exact significand product
    FW = PW - 1                 # its bits below the leading one
    LZW = PW.bit_length()
    # the product of significands read with its MSB as the leading one has the biased wide exponent ea + eb + OFS
    OFS = PW - 1 - 2 * (BIASI + Mi) + BIASO
    assert PW <= Mo + 1, "the product must fit the wide significand"
    assert 2 + OFS - (PW - 1) >= 1, "the smallest product must be normal in the wide format"
    assert 2 * (EMAXI - 1) + OFS < EMAXO, "the largest product must be finite in the wide format"
    EW = Eo                     # the result exponent is in [1, EMAXO): modulo 2^Eo arithmetic is exact
    BO = mk_bits(Wo)

    s.a = InPort(mk_bits(Wi))
    s.b = InPort(mk_bits(Wi))
    s.out = OutPort(BO)

    s.ma = Wire(mk_bits(PW))
    s.mb = Wire(mk_bits(PW))
    s.ea = Wire(mk_bits(EW))
    s.eb = Wire(mk_bits(EW))
    s.p = Wire(mk_bits(PW))
    s.lz = Wire(mk_bits(LZW))
    s.plo = Wire(mk_bits(PW - 1))
    s.pn = Wire(mk_bits(PW - 1))  # the fraction: the product shifted to its leading one, that one dropped
    s.eo = Wire(mk_bits(EW))
    s.plo //= s.p[0:PW - 1]
    s.frac = Wire(mk_bits(Mo))  # the wide fraction: pn at its top, zeros below
    s.frac[Mo - FW:Mo] //= s.pn
    if Mo > FW:
      s.frac[0:Mo - FW] //= 0

    CNAN = BO((EMAXO << Mo) | (1 << (Mo - 1)))
    INF = mk_bits(Wo - 1)(EMAXO << Mo)
    ZMAG = mk_bits(Wo - 1)(0)
    OFS_E = mk_bits(EW)(OFS)

    @update
    def up_unpack():
      s.ma @= zext(concat(s.a[Mi:Wi - 1] != 0, s.a[0:Mi]), PW)
      s.mb @= zext(concat(s.b[Mi:Wi - 1] != 0, s.b[0:Mi]), PW)
      if s.a[Mi:Wi - 1] == 0:
        s.ea @= 1
      else:
        s.ea @= zext(s.a[Mi:Wi - 1], EW)
      if s.b[Mi:Wi - 1] == 0:
        s.eb @= 1
      else:
        s.eb @= zext(s.b[Mi:Wi - 1], EW)

    @update
    def up_product():
      s.p @= s.ma * s.mb

    @update
    def up_lzc():
      s.lz @= 0
      for i in range(PW):
        if s.p[i]:
          s.lz @= PW - 1 - i

    @update
    def up_norm():
      s.pn @= s.plo << zext(s.lz, FW)
      s.eo @= s.ea + s.eb + OFS_E - zext(s.lz, EW)

    @update
    def up_out():
      if (s.a[Mi:Wi - 1] == EMAXI) | (s.b[Mi:Wi - 1] == EMAXI):
        if ((s.a[Mi:Wi - 1] == EMAXI) & (s.a[0:Mi] != 0)) | ((s.b[Mi:Wi - 1] == EMAXI) & (s.b[0:Mi] != 0)) | \
           (s.a[0:SB] == 0) | (s.b[0:SB] == 0):
          s.out @= CNAN
        else:
          s.out @= concat(s.a[SB] ^ s.b[SB], INF)
      elif (s.a[0:SB] == 0) | (s.b[0:SB] == 0):
        s.out @= concat(s.a[SB] ^ s.b[SB], ZMAG)
      else:
        s.out @= concat(s.a[SB] ^ s.b[SB], s.eo, s.frac)

    set_module_name(s, "FPMulWideRTL", Ei=Ei, Mi=Mi, Eo=Eo, Mo=Mo)

  def line_trace(s):
    return f"{s.a}*{s.b}={s.out}"
