"""
FPMulRTL: IEEE 754 multiplication, round to nearest even, combinational.

  a, b (1+E+M)  ->  out = a * b

Full IEEE: subnormal operands and results, signed zeros, ±inf, 0 * inf and NaN operands give the canonical
quiet NaN. The (M+1) x (M+1) significand product goes to FPRoundPackRTL, which normalizes it (subnormal
operands leave leading zeros), shifts it into the subnormal range when needed and rounds.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL


class FPMulRTL(Component):

  def construct(s, E, M):
    W = 1 + E + M
    SB = W - 1                  # the sign bit (a named constant: its index then has the right width)
    EMAX = (1 << E) - 1
    BIAS = (1 << (E - 1)) - 1
    PW = 2 * M + 2
    EW = E + 3
    BW = mk_bits(W)

    s.a = InPort(BW)
    s.b = InPort(BW)
    s.out = OutPort(BW)

    s.ma = Wire(mk_bits(PW))
    s.mb = Wire(mk_bits(PW))
    s.ea = Wire(mk_bits(EW))
    s.eb = Wire(mk_bits(EW))
    s.a_nan = Wire()
    s.b_nan = Wire()
    s.a_inf = Wire()
    s.b_inf = Wire()
    s.a_zero = Wire()
    s.b_zero = Wire()
    s.rp = FPRoundPackRTL(E, M, PW, EW)

    CNAN = BW((EMAX << M) | (1 << (M - 1)))
    INF = BW(EMAX << M)
    ZMAG = mk_bits(W - 1)(0)
    BIAS_M1 = mk_bits(EW)(BIAS - 1)

    @update
    def up_unpack():
      s.ma @= zext(concat(s.a[M:W - 1] != 0, s.a[0:M]), PW)
      s.mb @= zext(concat(s.b[M:W - 1] != 0, s.b[0:M]), PW)
      if s.a[M:W - 1] == 0:
        s.ea @= 1
      else:
        s.ea @= zext(s.a[M:W - 1], EW)
      if s.b[M:W - 1] == 0:
        s.eb @= 1
      else:
        s.eb @= zext(s.b[M:W - 1], EW)
      s.a_nan @= (s.a[M:W - 1] == EMAX) & (s.a[0:M] != 0)
      s.b_nan @= (s.b[M:W - 1] == EMAX) & (s.b[0:M] != 0)
      s.a_inf @= (s.a[M:W - 1] == EMAX) & (s.a[0:M] == 0)
      s.b_inf @= (s.b[M:W - 1] == EMAX) & (s.b[0:M] == 0)
      s.a_zero @= s.a[0:W - 1] == 0
      s.b_zero @= s.b[0:W - 1] == 0

    @update
    def up_product():
      s.rp.sign @= s.a[SB] ^ s.b[SB]
      s.rp.exp @= s.ea + s.eb - BIAS_M1
      s.rp.sig @= s.ma * s.mb
      s.rp.sticky @= 0

    @update
    def up_out():
      if s.a_nan | s.b_nan | (s.a_inf & s.b_zero) | (s.b_inf & s.a_zero):
        s.out @= CNAN
      elif s.a_inf | s.b_inf:
        s.out @= INF | concat(s.a[SB] ^ s.b[SB], ZMAG)
      else:
        s.out @= s.rp.out

    set_module_name(s, "FPMulRTL", E=E, M=M)

  def line_trace(s):
    return f"{s.a}*{s.b}={s.out}"
