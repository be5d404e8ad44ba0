"""
FPMulRTL: IEEE 754 multiplication, round to nearest even, combinational.

  a, b (1+E+M)  ->  out = a * b

Full IEEE: subnormal operands and results, signed zeros, ±inf, 0 * inf and NaN operands give the canonical
quiet NaN.

Narrow datapath (area: the 2M+2-bit product is never shifted). A subnormal operand is normalized before the
multiplier (its significand shifted left by its leading-zero count, the count taken off the exponent; the shift
is a product with 2^lz, so it goes to the DSP blocks, which the design has to spare, instead of a LUT barrel
shifter: ~150 LUTs less per binary32 multiplier for two more DSP48E2); only one
operand can need it, since the product of two subnormals is below half the smallest subnormal (checked in
construct) and rounds to zero. The product of two normalized significands lies in [2^2M, 2^(2M+2)): its top
M+2 bits (significand and guard, picked by the product's top bit) and the OR of the rest (sticky) are all the
rounding needs. FPRoundNormRTL rounds them (half to even), shifting them right into the subnormal range when the
result is below the normal range.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundNormRTL import FPRoundNormRTL


class FPMulRTL(Component):

  def construct(s, E, M):
    W = 1 + E + M
    SB = W - 1                  # the sign bit (a named constant: its index then has the right width)
    EMAX = (1 << E) - 1
    BIAS = (1 << (E - 1)) - 1
    assert BIAS > M + 2, "two subnormals' product must round to zero"
    SG = M + 1                  # significand bits (hidden bit included)
    PW = 2 * SG                 # the product
    RW = M + 2                  # significand + guard
    EW = E + 3                  # signed biased exponent of the result, before any shift
    LW = SG.bit_length()
    BW, BE, BS, BR, BL = mk_bits(W), mk_bits(EW), mk_bits(SG), mk_bits(RW), mk_bits(LW)

    s.a = InPort(BW)
    s.b = InPort(BW)
    s.out = OutPort(BW)

    s.a_sub = Wire()            # a is subnormal (nonzero, exponent field 0)
    s.n = Wire(BS)              # the operand normalized here (a when subnormal, else b)
    s.o = Wire(BS)              # the other one
    s.lz = Wire(BL)
    s.nn = Wire(BS)
    s.sh = Wire(BS)
    s.ea = Wire(BE)             # effective biased exponents (subnormals: 1)
    s.eb = Wire(BE)
    s.p = Wire(mk_bits(PW))
    s.top = Wire()
    s.r = Wire(BR)              # the product's M+2 leading bits
    s.pst = Wire()              # the OR of the bits below them
    s.e = Wire(BE)              # biased exponent of r's leading bit
    s.rn = FPRoundNormRTL(E, M, EW)
    s.zero = Wire()             # a zero result (a zero operand, or two subnormals)

    CNAN = BW((EMAX << M) | (1 << (M - 1)))
    INF = BW(EMAX << M)
    ZMAG = mk_bits(W - 1)(0)
    EBIAS = BE(BIAS)
    HID = BS(1 << M)
    ONE_S = BS(1)

    @update
    def up_unpack():
      s.a_sub @= (s.a[M:W - 1] == 0) & (s.a[0:M] != 0)
      s.zero @= (s.a[0:W - 1] == 0) | (s.b[0:W - 1] == 0) | \
                (s.a_sub & (s.b[M:W - 1] == 0))
      if s.a[M:W - 1] == 0:
        s.ea @= 1
      else:
        s.ea @= zext(s.a[M:W - 1], EW)
      if s.b[M:W - 1] == 0:
        s.eb @= 1
      else:
        s.eb @= zext(s.b[M:W - 1], EW)
      if s.a_sub:
        s.n @= zext(s.a[0:M], SG)
        s.o @= concat(s.b[M:W - 1] != 0, s.b[0:M])
      else:
        s.n @= concat(s.b[M:W - 1] != 0, s.b[0:M])
        s.o @= HID | zext(s.a[0:M], SG)

    @update
    def up_lzc():
      s.lz @= 0
      for i in range(SG):
        if s.n[i]:
          s.lz @= SG - 1 - i

    @update
    def up_product():
      s.sh @= ONE_S << zext(s.lz, SG)
      s.nn @= s.n * s.sh           # n << lz on the DSPs: the shift as a product with 2^lz
      s.p @= zext(s.nn, PW) * zext(s.o, PW)
      s.top @= s.p[PW - 1]
      if s.top:
        s.r @= s.p[PW - RW:PW]
        s.pst @= s.p[0:PW - RW] != 0
      else:
        s.r @= s.p[PW - RW - 1:PW - 1]
        s.pst @= s.p[0:PW - RW - 1] != 0
      s.e @= s.ea + s.eb - zext(s.lz, EW) - EBIAS + zext(s.top, EW)
      s.rn.e @= s.e
      s.rn.r @= s.r
      s.rn.sticky @= s.pst

    @update
    def up_out():
      if (s.a[M:W - 1] == EMAX) & (s.a[0:M] != 0) | (s.b[M:W - 1] == EMAX) & (s.b[0:M] != 0) | \
         (s.a[M:W - 1] == EMAX) & (s.b[0:W - 1] == 0) | (s.b[M:W - 1] == EMAX) & (s.a[0:W - 1] == 0):
        s.out @= CNAN
      elif (s.a[M:W - 1] == EMAX) | (s.b[M:W - 1] == EMAX) | (~s.zero & s.rn.ovf):
        s.out @= INF | concat(s.a[SB] ^ s.b[SB], ZMAG)
      elif s.zero:
        s.out @= concat(s.a[SB] ^ s.b[SB], ZMAG)
      else:
        s.out @= concat(s.a[SB] ^ s.b[SB], s.rn.mag)

    set_module_name(s, "FPMulRTL", E=E, M=M)

  def line_trace(s):
    return f"{s.a}*{s.b}={s.out}"
