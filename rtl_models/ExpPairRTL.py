"""
ExpPairRTL: the online softmax's pair of exponentials, a = exp(m - m') and p = exp(s - m'), on one exp
pipeline lane.

  in_  VecRecvIfcRTL(Bits32, 2)   d0, d1 (binary32)
  out  VecSendIfcRTL(Bits32, 2)   exp(d0), exp(d1) as tellme_pymtl.fp_prog's exp program computes them,
                                  len(exp program) cycles later; one pair per cycle

With m' = max(m, s), m' is m or s (or NaN), so one of d0 = m - m', d1 = s - m' is always ±0, ±inf or NaN
(x - x is +0 for finite x, NaN for an infinite one): an input whose exponential is a constant (1, 0, +inf or
the canonical NaN, each read from the exp program itself at construction). That one is looked up, the other
goes down the FPProgRTL lane, and which is which (and the constant) travel beside it as side bits. So a unit
needs one exp lane where it had two. The contract: out[0] = exp(d0) always (a lone exponential goes in as d0);
out[1] = exp(d1) whenever d0 or d1 is ±0, ±inf or NaN. Same handshake as FPProgRTL(exp, 2).
"""
import numpy as np
from pymtl3 import Component, Wire, concat, mk_bits, update

from tellme_pymtl import fp_prog as P
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name
from .FPProgRTL import FPProgRTL


def special_exps():
  """exp of +0, -inf, +inf and NaN (codes 0..3) from the exp program, as binary32 bit patterns; -0 and every
  NaN give the same as +0 and the canonical NaN (tests/fp_prog_test.py checks)."""
  x = np.array([0.0, -np.inf, np.inf, np.nan], dtype=np.float32)
  return [int(v) for v in np.asarray(P.run(P.PROGRAMS["exp"], x), dtype=np.float32).view(np.uint32)]


class ExpPairRTL(Component):

  def construct(s):
    B32 = mk_bits(32)
    s.in_ = VecRecvIfcRTL(B32, 2)
    s.out = VecSendIfcRTL(B32, 2)
    s.expp = FPProgRTL(P.PROGRAMS["exp"], 1, side_bits=3)     # side: [0:2] the constant's code, [2] the lane is d0
    s.sp0 = Wire()
    s.code = [Wire(mk_bits(2)) for _ in range(2)]
    s.konst = Wire(B32)

    E0, E1, E2, E3 = (B32(v) for v in special_exps())
    EXPF = mk_bits(8)(0xFF)
    D0_LANE, D1_LANE = mk_bits(1)(1), mk_bits(1)(0)

    s.expp.in_.val //= s.in_.val
    s.in_.rdy //= s.expp.in_.rdy
    s.out.val //= s.expp.out.val
    s.expp.out.rdy //= s.out.rdy

    @update
    def up_classify():
      for i in range(2):
        if s.in_.msg[i][23:31] != EXPF:
          s.code[i] @= 0                           # zero (the only finite case used)
        elif s.in_.msg[i][0:23] != 0:
          s.code[i] @= 3                           # NaN
        elif s.in_.msg[i][31]:
          s.code[i] @= 1                           # -inf
        else:
          s.code[i] @= 2                           # +inf
      s.sp0 @= (s.in_.msg[0][23:31] == EXPF) | (s.in_.msg[0][0:31] == 0)
      if s.sp0:                                    # d0 is a constant: d1 goes down the lane
        s.expp.in_.msg[0] @= s.in_.msg[1]
        s.expp.side_in @= concat(D1_LANE, s.code[0])
      else:
        s.expp.in_.msg[0] @= s.in_.msg[0]
        s.expp.side_in @= concat(D0_LANE, s.code[1])

    @update
    def up_out():
      if s.expp.side_out[0:2] == 0:
        s.konst @= E0
      elif s.expp.side_out[0:2] == 1:
        s.konst @= E1
      elif s.expp.side_out[0:2] == 2:
        s.konst @= E2
      else:
        s.konst @= E3
      if s.expp.side_out[2]:
        s.out.msg[0] @= s.expp.out.msg[0]
        s.out.msg[1] @= s.konst
      else:
        s.out.msg[0] @= s.konst
        s.out.msg[1] @= s.expp.out.msg[0]

    set_module_name(s, "ExpPairRTL")

  def line_trace(s):
    return s.expp.line_trace()
