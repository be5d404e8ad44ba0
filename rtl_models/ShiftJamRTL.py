"""
ShiftJamRTL: a logarithmic right shifter that also gives the OR of the bits shifted out (combinational).

  in_    (W)     the value
  amt    (S)     the right shift, S <= 5 (shifts of W and more give 0)
  out    (W)     in_ >> amt
  sticky         OR of the bits of in_ below bit amt (the bits the shift drops)

Stage k shifts by 2^k when amt's bit k is set and ORs the 2^k bits it drops into the sticky bit: a few LUTs per
stage for the sticky bit, where a mask (1 << amt) - 1 ANDed with in_ and OR-reduced costs a decoder and an
AND-OR tree as wide as in_. The rounding steps of the FP units (FPRoundNormRTL) and the adder's alignment
(FPAddRTL) go through it. One update block over five fixed stages (an amount narrower than 5 bits leaves the top
stages off): as fast to simulate as the shift it replaced, where a sub-component per stage made every FP unit a
third slower in Python.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name


class ShiftJamRTL(Component):

  def construct(s, W, S):
    assert 1 <= S <= 5
    BW = mk_bits(W)
    s.in_ = InPort(BW)
    s.amt = InPort(mk_bits(S))
    s.out = OutPort(BW)
    s.sticky = OutPort()

    s.a5 = Wire(mk_bits(5))
    if S == 5:
      s.a5 //= s.amt
    else:
      s.a5 //= lambda: zext(s.amt, 5)
    s.v = [Wire(BW) for _ in range(4)]      # after stages 0 .. 3
    s.st = [Wire() for _ in range(4)]
    # the bits each stage drops: the low min(2^k, W) bits
    M0, M1, M2, M3, M4 = (BW((1 << min(1 << k, W)) - 1) for k in range(5))
    D0, D1, D2, D3, D4 = (min(1 << k, W) for k in range(5))
    Z = BW(0)

    @update
    def up_jam():
      if s.a5[0]:
        s.v[0] @= s.in_ >> D0
        s.st[0] @= (s.in_ & M0) != Z
      else:
        s.v[0] @= s.in_
        s.st[0] @= 0
      if s.a5[1]:
        s.v[1] @= s.v[0] >> D1
        s.st[1] @= s.st[0] | ((s.v[0] & M1) != Z)
      else:
        s.v[1] @= s.v[0]
        s.st[1] @= s.st[0]
      if s.a5[2]:
        s.v[2] @= s.v[1] >> D2
        s.st[2] @= s.st[1] | ((s.v[1] & M2) != Z)
      else:
        s.v[2] @= s.v[1]
        s.st[2] @= s.st[1]
      if s.a5[3]:
        s.v[3] @= s.v[2] >> D3
        s.st[3] @= s.st[2] | ((s.v[2] & M3) != Z)
      else:
        s.v[3] @= s.v[2]
        s.st[3] @= s.st[2]
      if s.a5[4]:
        s.out @= s.v[3] >> D4
        s.sticky @= s.st[3] | ((s.v[3] & M4) != Z)
      else:
        s.out @= s.v[3]
        s.sticky @= s.st[3]

    set_module_name(s, "ShiftJamRTL", W=W, S=S)

  def line_trace(s):
    return f"{s.in_}>>{s.amt}={s.out}"
