"""
FPAddRTL: IEEE 754 addition (subtraction with sub=1), round to nearest even, combinational.

  a, b (1+E+M)  ->  out = a + b  (a - b when sub)

Full IEEE: subnormal operands and results, ±0 (x + -x = +0), ±inf, and NaN results as the canonical quiet
NaN (sign 0, exponent all ones, fraction MSB set). The smaller operand is aligned with guard, round and
sticky bits; FPRoundPackRTL normalizes and rounds.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL
from .ShiftJamRTL import ShiftJamRTL


class FPAddRTL(Component):

  def construct(s, E, M):
    W = 1 + E + M
    SB = W - 1                  # the sign bit (a named constant: its index then has the right width)
    EMAX = (1 << E) - 1
    XW = M + 4                  # hidden + fraction + guard, round, sticky
    SW = M + 5                  # one carry bit
    EW = E + 2
    BW, BX = mk_bits(W), mk_bits(XW)

    s.a = InPort(BW)
    s.b = InPort(BW)
    s.sub = InPort()
    s.out = OutPort(BW)

    s.bb = Wire(BW)             # b with the sign flipped for subtraction
    s.swap = Wire()
    s.x = Wire(BW)
    s.y = Wire(BW)
    s.ex = Wire(mk_bits(E))
    s.ey = Wire(mk_bits(E))
    s.d = Wire(mk_bits(E))
    s.X = Wire(BX)
    s.Y = Wire(BX)
    s.Ys = Wire(BX)
    s.S = Wire(mk_bits(SW))
    s.nan = Wire()
    s.rp = FPRoundPackRTL(E, M, SW, EW, underflow=False)   # exp = ex + 1 >= 2

    CNAN = BW(((1 << E) - 1) << M | (1 << (M - 1)))
    XW_E = mk_bits(E)(XW) if XW < (1 << E) else None
    DW = min(E, XW.bit_length())    # the shift's bits that matter below XW
    G3 = mk_bits(3)(0)

    @update
    def up_align():
      s.bb @= concat(s.b[SB] ^ s.sub, s.b[0:W - 1])
      s.swap @= s.bb[0:W - 1] > s.a[0:W - 1]
      if s.swap:
        s.x @= s.bb
        s.y @= s.a
      else:
        s.x @= s.a
        s.y @= s.bb
      # effective exponents: subnormals count as exponent 1 without the hidden bit
      if s.x[M:W - 1] == 0:
        s.ex @= 1
      else:
        s.ex @= s.x[M:W - 1]
      if s.y[M:W - 1] == 0:
        s.ey @= 1
      else:
        s.ey @= s.y[M:W - 1]
      s.X @= concat(s.x[M:W - 1] != 0, s.x[0:M], G3)
      s.Y @= concat(s.y[M:W - 1] != 0, s.y[0:M], G3)
      s.d @= s.ex - s.ey

    # Y >> d with the dropped bits OR-ed into its LSB (the sticky bit)
    s.sj = ShiftJamRTL(XW, DW)
    s.sj.in_ //= s.Y
    s.sj.amt //= s.d[0:DW]
    if XW_E is None:
      @update
      def up_shift_any():
        s.Ys @= s.sj.out | zext(s.sj.sticky, XW)
    else:
      @update
      def up_shift():
        if s.d >= XW_E:
          s.Ys @= zext(s.Y != 0, XW)
        else:
          s.Ys @= s.sj.out | zext(s.sj.sticky, XW)

    @update
    def up_sum():
      if s.x[SB] == s.y[SB]:
        s.S @= zext(s.X, SW) + zext(s.Ys, SW)
      else:
        s.S @= zext(s.X, SW) - zext(s.Ys, SW)
      # an exact zero from opposite signs is +0 (round to nearest)
      s.rp.sign @= s.x[SB] & ~((s.S == 0) & (s.x[SB] != s.y[SB]))
      s.rp.exp @= zext(s.ex, EW) + 1
      s.rp.sig @= s.S
      s.rp.sticky @= 0

    @update
    def up_out():
      s.nan @= ((s.a[M:W - 1] == EMAX) & (s.a[0:M] != 0)) | ((s.bb[M:W - 1] == EMAX) & (s.bb[0:M] != 0)) | \
               ((s.a[M:W - 1] == EMAX) & (s.bb[M:W - 1] == EMAX) & (s.a[SB] != s.bb[SB]))
      if s.nan:
        s.out @= CNAN
      elif s.x[M:W - 1] == EMAX:
        s.out @= s.x
      else:
        s.out @= s.rp.out

    set_module_name(s, "FPAddRTL", E=E, M=M)

  def line_trace(s):
    return f"{s.a}{'-' if s.sub else '+'}{s.b}={s.out}"
