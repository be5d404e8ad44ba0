"""
FPDivRTL: binary32 division a / b, correctly rounded (nearest even), sequential: one quotient bit per cycle.

  start, a, b  ->  busy for NQ = 27 cycles, then done (one cycle) with out valid until the next start

Restoring division of the significands (normalized to [1, 2): subnormal operands are not supported and are
treated as normal numbers with a hidden 1) gives 26 quotient bits and a remainder; FPRoundPackRTL normalizes,
rounds with the remainder as sticky bit, and handles results out of range. Specials: NaN operand, 0/0 and
inf/inf give the canonical NaN; x/0 gives ±inf; x/inf gives ±0; 0/x gives ±0.
"""
from pymtl3 import Bits1, Component, InPort, OutPort, Wire, concat, mk_bits, update, update_ff, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL


class FPDivRTL(Component):

  def construct(s):
    E, M, W = 8, 23, 32
    BIAS = 127
    NQ = M + 3                     # quotient bits: 1 integer + 25 fraction (24 significant + guard)
    EW = E + 3
    B32, BR = mk_bits(W), mk_bits(M + 3)

    s.start = InPort()
    s.a = InPort(B32)
    s.b = InPort(B32)
    s.done = OutPort()
    s.busy = OutPort()
    s.out = OutPort(B32)

    s.cnt = Wire(mk_bits(5))
    s.rem = Wire(BR)               # partial remainder (< 2 * divisor)
    s.dvs = Wire(BR)
    s.q = Wire(mk_bits(NQ))
    s.sign = Wire()
    s.exp = Wire(mk_bits(EW))
    s.special = Wire()
    s.spec_val = Wire(B32)
    s.rp = FPRoundPackRTL(E, M, NQ, EW)

    CNAN = B32(0x7FC00000)
    INF = mk_bits(31)(0x7F800000)
    ZERO = mk_bits(31)(0)
    BIAS_E = mk_bits(EW)(BIAS)
    NQ_C = mk_bits(5)(NQ)
    RW = M + 3

    @update
    def up_round():
      s.rp.sign @= s.sign
      s.rp.exp @= s.exp
      s.rp.sig @= s.q
      s.rp.sticky @= s.rem != 0
      s.busy @= s.cnt != 0
      if s.special:
        s.out @= s.spec_val
      else:
        s.out @= s.rp.out

    @update_ff
    def up_div():
      if s.reset:
        s.cnt <<= 0
        s.done <<= 0
      elif s.start:
        s.cnt <<= NQ_C
        s.done <<= 0
        s.sign <<= s.a[31] ^ s.b[31]
        # the quotient's MSB (bit NQ-1) has weight 2^(ea - eb), i.e. biased exponent ea - eb + bias
        s.exp <<= zext(s.a[23:31], EW) - zext(s.b[23:31], EW) + BIAS_E
        s.rem <<= zext(concat(Bits1(1), s.a[0:23]), RW)
        s.dvs <<= zext(concat(Bits1(1), s.b[0:23]), RW)
        s.q <<= 0
        if ((s.a[23:31] == 255) & (s.a[0:23] != 0)) | ((s.b[23:31] == 255) & (s.b[0:23] != 0)) | \
           ((s.a[0:31] == 0) & (s.b[0:31] == 0)) | ((s.a[23:31] == 255) & (s.b[23:31] == 255)):
          s.special <<= 1
          s.spec_val <<= CNAN
        elif (s.a[23:31] == 255) | (s.b[0:31] == 0):
          s.special <<= 1
          s.spec_val <<= concat(s.a[31] ^ s.b[31], INF)
        elif (s.b[23:31] == 255) | (s.a[0:31] == 0):
          s.special <<= 1
          s.spec_val <<= concat(s.a[31] ^ s.b[31], ZERO)
        else:
          s.special <<= 0
      elif s.cnt != 0:
        s.cnt <<= s.cnt - 1
        s.done <<= s.cnt == 1
        if s.rem >= s.dvs:
          s.q <<= concat(s.q[0:NQ - 1], Bits1(1))
          s.rem <<= (s.rem - s.dvs) << 1
        else:
          s.q <<= concat(s.q[0:NQ - 1], Bits1(0))
          s.rem <<= s.rem << 1
      else:
        s.done <<= 0

    set_module_name(s, "FPDivRTL", f=32)

  def line_trace(s):
    return f"div{int(s.cnt):02}"
