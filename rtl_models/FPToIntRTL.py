"""
FPToIntRTL: IEEE 754 binary -> signed N-bit integer, round half to even, saturating, combinational.

  out = clamp(rint(in_), -2^(N-1), 2^(N-1) - 1); NaN -> 0.
(numpy: np.clip(np.rint(x), lo, hi), with NaN mapped to 0 by policy.)
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, trunc, update, zext

from tellme_pymtl.verilog_names import set_module_name


class FPToIntRTL(Component):

  def construct(s, E, M, N):
    W = 1 + E + M
    SB = W - 1                  # the sign bit (a named constant: its index then has the right width)
    EMAX = (1 << E) - 1
    BIAS = (1 << (E - 1)) - 1
    assert M >= N - 1, "the significand must hold every in-range integer"
    SGW = M + 1
    EW = E + 1
    BN = mk_bits(N)
    BS = mk_bits(SGW)

    s.in_ = InPort(mk_bits(W))
    s.out = OutPort(BN)

    s.e = Wire(mk_bits(EW))
    s.sig = Wire(BS)
    s.sh = Wire(mk_bits(EW))
    s.ip = Wire(mk_bits(N))         # the integer part's low N bits (larger values saturate on the exponent)
    s.g = Wire()
    s.rest = Wire()
    s.rnd = Wire()
    s.mag = Wire(mk_bits(N + 1))

    N1 = N + 1
    ONE = BS(1)
    SAT_E = mk_bits(EW)(BIAS + N - 1)
    HALF_E = mk_bits(EW)(BIAS - 1)
    SHB = mk_bits(EW)(BIAS + M)
    MAXP = mk_bits(N + 1)((1 << (N - 1)) - 1)
    POS_MAX = BN((1 << (N - 1)) - 1)
    NEG_MIN = BN(1 << (N - 1))

    @update
    def up_f2i():
      if s.in_[M:W - 1] == 0:
        s.e @= 1
      else:
        s.e @= zext(s.in_[M:W - 1], EW)
      s.sig @= concat(s.in_[M:W - 1] != 0, s.in_[0:M])
      s.sh @= SHB - s.e
      # |x| in [0.5, 2^(N-1)): shift out the fraction, round half to even on guard and sticky
      s.ip @= trunc(s.sig >> zext(s.sh, SGW), N)
      s.g @= ((s.sig >> zext(s.sh - 1, SGW)) & ONE) != 0
      s.rest @= (s.sig & ((ONE << zext(s.sh - 1, SGW)) - 1)) != 0
      s.rnd @= s.g & (s.rest | s.ip[0])
      s.mag @= zext(s.ip, N1) + zext(s.rnd, N1)
      if (s.in_[M:W - 1] == EMAX) & (s.in_[0:M] != 0):
        s.out @= 0
      elif s.e >= SAT_E:
        if s.in_[SB]:
          s.out @= NEG_MIN
        else:
          s.out @= POS_MAX
      elif s.e < HALF_E:
        s.out @= 0
      elif s.in_[SB]:
        s.out @= 0 - s.mag[0:N]
      elif s.mag > MAXP:
        s.out @= POS_MAX
      else:
        s.out @= s.mag[0:N]

    set_module_name(s, "FPToIntRTL", E=E, M=M, N=N)

  def line_trace(s):
    return f"{s.in_}->{s.out}"
