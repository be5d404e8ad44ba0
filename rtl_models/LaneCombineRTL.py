"""
LaneCombineRTL: the attention units' lane combine and scale, tellme_pymtl.fp_prog.combine_scale_program(Q)
(the Q lane sums added in lane order, times the scale), with its Q - 1 additions folded onto
ceil((Q - 1) / fold) FP32 adders (FoldAddStageRTL, `fold` consecutive additions each) and one multiplier.

  in_  VecRecvIfcRTL(Bits32, Q + 1)   the Q lane sums and the scale (binary32)
  out  VecSendIfcRTL(Bits32, 1)       the scaled sum, bit for bit the program's result

Timing: an item taken in cycle t is out in cycle t + Q (the program's length, as FPProgRTL's) when nothing
stalls; the unit takes an item at most every `fold` cycles (in_.rdy is low while the first stage works).
The stages hand items on as soon as the next is free (an output stall holds only the stages behind it).
fold = 1 is the fully pipelined combine: one adder per addition, an item every cycle.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name
from .FPMulRTL import FPMulRTL
from .FoldAddStageRTL import FoldAddStageRTL


class LaneCombineRTL(Component):

  def construct(s, lanes, fold=1):
    assert lanes >= 1 and fold >= 1
    B32 = mk_bits(32)
    ops = P.combine_stages(lanes, fold)
    S = len(ops)
    s.in_ = VecRecvIfcRTL(B32, lanes + 1)
    s.out = VecSendIfcRTL(B32, 1)

    s.vm = Wire()                    # the product register holds an item
    s.y = Wire(B32)
    s.take_m = Wire()
    s.mv_m = Wire()                  # an item enters the product register
    s.mul = FPMulRTL(8, 23)
    s.out.msg[0] //= s.y
    s.out.val //= s.vm

    nins = [lanes - sum(ops[:k]) for k in range(S)]   # values still to add, plus the scale, at each stage
    stages = [FoldAddStageRTL(nins[k], ops[k]) for k in range(S)]   # one attribute each (their ports differ)
    for k in range(S):
      setattr(s, f"st{k}", stages[k])
    s.nst = S
    for k in range(S):
      st = stages[k]
      if k == 0:
        st.in_val //= s.in_.val
        st.in_t //= s.in_.msg[0]
        for j in range(nins[k]):
          st.in_l[j] //= s.in_.msg[1 + j]
      else:
        prev = stages[k - 1]
        st.in_val //= prev.out_val
        prev.out_take //= st.in_take
        st.in_t //= prev.out_t
        for j in range(nins[k]):
          st.in_l[j] //= prev.out_l[j]

    if S:
      s.last_val = Wire()
      s.mul.a //= stages[-1].out_t
      s.mul.b //= stages[-1].out_l[0]
      s.last_val //= stages[-1].out_val
      stages[-1].out_take //= s.take_m
      s.in_.rdy //= stages[0].in_take

      @update
      def up_comb_ctrl():
        s.take_m @= ~s.vm | s.out.rdy
        s.mv_m @= s.last_val & s.take_m
    else:                            # one lane: the product only
      s.mul.a //= s.in_.msg[0]
      s.mul.b //= s.in_.msg[1]

      s.in_.rdy //= s.take_m

      @update
      def up_comb_take1():
        s.take_m @= ~s.vm | s.out.rdy

      @update
      def up_comb_ctrl1():
        s.mv_m @= s.in_.val & s.take_m

    @update_ff
    def up_comb_regs():
      if s.reset:
        s.vm <<= 0
      elif s.mv_m:
        s.vm <<= 1
        s.y <<= s.mul.out
      elif s.out.rdy:
        s.vm <<= 0

    set_module_name(s, "LaneCombineRTL", Q=lanes, f=fold)

  def line_trace(s):
    return "".join(getattr(s, f"st{k}").line_trace() for k in range(s.nst)) + ("*" if s.vm else ".")
