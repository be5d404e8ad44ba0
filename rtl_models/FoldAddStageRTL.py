"""
FoldAddStageRTL: `nops` consecutive additions of a serial sum on one FP32 adder, one a cycle; a stage of
LaneCombineRTL.

  in_val, in_take   an item is offered by the stage before (its running sum in_t and the values still to be
                    added, in_l, in order; in_l[0] is added first) / this stage takes it this cycle
  in_t, in_l[nin]
  out_val, out_take this stage's item is done (all nops additions) / the stage after takes it this cycle
  out_t, out_l[nin - nops]   the running sum and the values left for the stages after

Timing: the stage takes an item when it is empty or its item leaves this cycle; the taking cycle adds
in_t + in_l[0] into the sum register, the next nops - 1 cycles add the held values one by one
(t <- t + l[c]), so an item is done nops cycles after it was taken and a new one can be taken every nops
cycles. The order and rounding of the additions are those of the serial sum ((l0 + l1) + l2) + ...
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl.verilog_names import set_module_name
from .FPAddRTL import FPAddRTL


class FoldAddStageRTL(Component):

  def construct(s, nin, nops):
    assert 1 <= nops <= nin
    B32 = mk_bits(32)
    CW = max(1, nops.bit_length())
    NL = nin - 1                     # values held after the first addition
    NOUT = nin - nops
    CN = mk_bits(CW)(nops)

    s.in_val = InPort()
    s.in_take = OutPort()
    s.in_t = InPort(B32)
    s.in_l = [InPort(B32) for _ in range(nin)]
    s.out_val = OutPort()
    s.out_take = InPort()
    s.out_t = OutPort(B32)
    s.out_l = [OutPort(B32) for _ in range(NOUT)]

    s.v = Wire()
    s.c = Wire(mk_bits(CW))          # additions done on the held item
    s.t = Wire(B32)
    s.lreg = [Wire(B32) for _ in range(NL)]
    s.first = Wire()                 # the adder works on the item being taken
    s.step = Wire()                  # the adder works on the held item
    s.mv = Wire()                    # the held item leaves
    s.lsel = Wire(B32)

    s.add = FPAddRTL(8, 23)
    s.add.sub //= 0
    s.out_t //= s.t
    for j in range(NOUT):
      s.out_l[j] //= s.lreg[nops - 1 + j]

    if nops > 1:
      @update
      def up_fold_lsel():
        s.lsel @= s.lreg[0]
        for j in range(1, nops - 1):
          if s.c == j + 1:
            s.lsel @= s.lreg[j]
    else:
      s.lsel //= 0

    @update
    def up_fold_take():              # never from in_val: a producer may look at in_take to decide in_val
      s.out_val @= s.v & (s.c == CN)
      s.mv @= s.v & (s.c == CN) & s.out_take
      s.in_take @= ~s.v | s.mv

    @update
    def up_fold_ops():
      s.first @= s.in_val & s.in_take
      s.step @= s.v & (s.c < CN)
      if s.first:
        s.add.a @= s.in_t
        s.add.b @= s.in_l[0]
      else:
        s.add.a @= s.t
        s.add.b @= s.lsel

    @update_ff
    def up_fold_regs():
      if s.reset:
        s.v <<= 0
        s.c <<= 0
      elif s.first:
        s.v <<= 1
        s.c <<= 1
        s.t <<= s.add.out
        for j in range(NL):
          s.lreg[j] <<= s.in_l[j + 1]
      elif s.step:
        s.c <<= s.c + 1
        s.t <<= s.add.out
      elif s.mv:
        s.v <<= 0

    set_module_name(s, "FoldAddStageRTL", n=nin, k=nops)

  def line_trace(s):
    return f"{int(s.c)}" if s.v else "."
