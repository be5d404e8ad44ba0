"""
FPProgLaneRTL: one lane of an FP program (tellme_pymtl/fp_prog.py): one FPOpStageRTL per operation, chained.

  in_[nin] (32 bits), kin[nkin] (KB bits)   the program's inputs, entering the first stage
  en                                       advance every stage register (the pipeline's shared enable)
  out (32 bits)                            the result register, len(program) enabled cycles later

A lane is its own module so that a many-lane unit (ElementwiseRTL: 16 lanes of a 49-operation program) is one
lane definition instantiated n times, in Verilog as in synthesis (translate/synth.py keeps it a hierarchy
boundary). Only the result leaves, so registers the rest of the program never reads are dead logic a synthesis
tool removes. The valid bits and the stall control are FPProgRTL's, shared by the lanes.
"""
from pymtl3 import Component, InPort, OutPort, mk_bits

from tellme_pymtl import fp_prog as P
from tellme_pymtl.verilog_names import set_module_name
from .FPOpStageRTL import FPOpStageRTL


class FPProgLaneRTL(Component):

  def construct(s, prog):
    S = len(prog.ops)
    B32, BK = mk_bits(32), mk_bits(P.KB)
    nin, nkin = prog.nin, prog.nkin
    s.in_ = [InPort(B32) for _ in range(nin)]
    s.kin = [InPort(BK) for _ in range(max(nkin, 1))]
    s.en = InPort()
    s.out = OutPort(B32)
    # one attribute per operation (each its own module: pymtl3's yosys translation gives a list of
    # sub-components the first element's module)
    for k, op in enumerate(prog.ops):
      setattr(s, f"op{k}", FPOpStageRTL(op, prog.nr, prog.nk))
    st = [getattr(s, f"op{k}") for k in range(S)]
    for i in range(prog.nr):
      st[0].rin[i] //= s.in_[i] if i < nin else 0
    for j in range(max(prog.nk, 1)):
      st[0].kin[j] //= s.kin[j] if j < nkin else 0
    for k in range(1, S):
      for i in range(prog.nr):
        st[k].rin[i] //= st[k - 1].rout[i]
      for j in range(max(prog.nk, 1)):
        st[k].kin[j] //= st[k - 1].kout[j]
    for k in range(S):
      st[k].en //= s.en
    s.out //= st[S - 1].rout[prog.result]
    s.nstages = S
    set_module_name(s, "FPProgLaneRTL", f=prog.name)

  def line_trace(s):
    return f"{s.out}"
