"""
ShiftJamRTL: a logarithmic right shifter that also gives the OR of the bits shifted out (combinational).

  in_    (W)     the value
  amt    (S)     the right shift (shifts of W and more give 0: the caller's count stays below 2^S)
  out    (W)     in_ >> amt
  sticky         OR of the bits of in_ below bit amt (the bits the shift drops)

S stages, stage k shifting by 2^k when amt's bit k is set and OR-ing the 2^k bits it drops into the sticky bit:
a few LUTs per stage for the sticky bit, where a mask (1 << amt) - 1 ANDed with in_ and OR-reduced costs a decoder
and an AND-OR tree as wide as in_. The rounding steps of the FP units (FPRoundNormRTL) denormalize through it.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update

from tellme_pymtl.verilog_names import set_module_name


class ShiftJamStageRTL(Component):
  """One stage: shift right by D = 2^k when en, OR-ing the D dropped bits into the sticky bit."""

  def construct(s, W, D):
    BW = mk_bits(W)
    s.in_ = InPort(BW)
    s.sin = InPort()
    s.en = InPort()
    s.out = OutPort(BW)
    s.sout = OutPort()
    s.sh = Wire(BW)
    s.drop = Wire()
    if D >= W:
      s.sh //= 0
      s.drop //= lambda: s.in_ != 0
    else:
      s.sh[0:W - D] //= s.in_[D:W]
      s.sh[W - D:W] //= 0
      s.drop //= lambda: s.in_[0:D] != 0

    @update
    def up_stage():
      if s.en:
        s.out @= s.sh
        s.sout @= s.sin | s.drop
      else:
        s.out @= s.in_
        s.sout @= s.sin

    set_module_name(s, "ShiftJamStageRTL", W=W, D=D)

  def line_trace(s):
    return f"{s.out}"


class ShiftJamRTL(Component):

  def construct(s, W, S):
    BW = mk_bits(W)
    s.in_ = InPort(BW)
    s.amt = InPort(mk_bits(S))
    s.out = OutPort(BW)
    s.sticky = OutPort()
    # one attribute per stage, not a list: the stages are different modules (pymtl3's yosys translation
    # instantiates a list's elements as its first element's module; tests/synth_test.py)
    st = []
    for k in range(S):
      setattr(s, f"st{k}", ShiftJamStageRTL(W, 1 << k))
      st.append(getattr(s, f"st{k}"))
      st[k].en //= s.amt[k]
      if k == 0:
        st[k].in_ //= s.in_
        st[k].sin //= 0
      else:
        st[k].in_ //= st[k - 1].out
        st[k].sin //= st[k - 1].sout
    s.out //= st[S - 1].out
    s.sticky //= st[S - 1].sout
    set_module_name(s, "ShiftJamRTL", W=W, S=S)

  def line_trace(s):
    return f"{s.in_}>>{s.amt}={s.out}"
