"""
FPMaxRTL: maximum (or minimum, is_min=True) of two IEEE 754 values with numpy.maximum's semantics, combinational.

  a, b -> out = the larger; a NaN operand gives the canonical NaN; -0 < +0 (IEEE 754-2019 maximum,
  tellme_pymtl.fp.maximum).
"""
from pymtl3 import Bits1, Component, InPort, OutPort, Wire, concat, mk_bits, update

from tellme_pymtl.verilog_names import set_module_name


class FPMaxRTL(Component):

  def construct(s, E, M, is_min=False):
    W = 1 + E + M
    SB = W - 1                  # the sign bit (a named constant: its index then has the right width)
    EMAX = (1 << E) - 1
    BW = mk_bits(W)
    CNAN = BW((EMAX << M) | (1 << (M - 1)))

    s.a = InPort(BW)
    s.b = InPort(BW)
    s.out = OutPort(BW)
    s.ka = Wire(BW)       # order-preserving keys: larger float <=> larger unsigned key
    s.kb = Wire(BW)
    s.ge = Wire()
    IS_MIN = mk_bits(1)(1 if is_min else 0)   # minimum: the other operand (equal keys are equal values)

    @update
    def up_max():
      if s.a[SB]:
        s.ka @= ~s.a
      else:
        s.ka @= concat(Bits1(1), s.a[0:W - 1])
      if s.b[SB]:
        s.kb @= ~s.b
      else:
        s.kb @= concat(Bits1(1), s.b[0:W - 1])
      s.ge @= s.ka >= s.kb
      if ((s.a[M:W - 1] == EMAX) & (s.a[0:M] != 0)) | ((s.b[M:W - 1] == EMAX) & (s.b[0:M] != 0)):
        s.out @= CNAN
      elif s.ge ^ IS_MIN:
        s.out @= s.a
      else:
        s.out @= s.b

    set_module_name(s, "FPMinRTL" if is_min else "FPMaxRTL", E=E, M=M)

  def line_trace(s):
    return f"max({s.a},{s.b})={s.out}"
