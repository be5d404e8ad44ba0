"""
FPProgRTL: an FP program (tellme_pymtl/fp_prog.py: exp, reciprocal, rsqrt, SiLU) as a fully pipelined unit.

  in_  VecRecvIfcRTL(Bits32, n*nin)   per beat and lane l, the program's nin binary32 inputs at l*nin + i
  kin  [n*nkin] (KB bits)             the program's integer inputs, taken with the same handshake
  out  VecSendIfcRTL(Bits32, n)       the n results, len(program) cycles later
  side_in, side_out (side_bits)     with side_bits > 0: bits taken with the inputs and given out with their
                                    results (carried down the pipeline beside them)

n FPProgLaneRTL lanes (one FPOpStageRTL per operation each) under one valid pipeline: the whole pipeline
advances when its last stage is empty or its result is taken (a stall holds every stage), so it accepts one
beat per cycle. Latency: len(program) cycles.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name
from .FPProgLaneRTL import FPProgLaneRTL


class FPProgRTL(Component):

  def construct(s, prog, n=1, side_bits=0):
    S = len(prog.ops)
    SL = S - 1                      # the last stage (a named constant: its index then has the right width)
    B32 = mk_bits(32)
    nin, nkin = prog.nin, prog.nkin
    s.in_ = VecRecvIfcRTL(B32, n * nin)
    s.kin = [InPort(mk_bits(P.KB)) for _ in range(n * nkin)]
    s.out = VecSendIfcRTL(B32, n)
    s.lanes = [FPProgLaneRTL(prog) for _ in range(n)]
    s.v = [Wire() for _ in range(S)]
    s.adv = Wire()

    for l in range(n):
      for i in range(nin):
        s.lanes[l].in_[i] //= s.in_.msg[l * nin + i]
      for j in range(max(nkin, 1)):
        s.lanes[l].kin[j] //= s.kin[l * nkin + j] if j < nkin else 0
      s.lanes[l].en //= s.adv
      s.out.msg[l] //= s.lanes[l].out

    @update
    def up_ctrl():
      s.adv @= ~s.v[SL] | s.out.rdy
      s.in_.rdy @= s.adv
      s.out.val @= s.v[SL]

    @update_ff
    def up_valid():
      if s.reset:
        for k in range(S):
          s.v[k] <<= 0
      elif s.adv:
        s.v[0] <<= s.in_.val
        for k in range(1, S):
          s.v[k] <<= s.v[k - 1]

    if side_bits:
      s.side_in = InPort(mk_bits(side_bits))
      s.side_out = OutPort(mk_bits(side_bits))
      s.side = [Wire(mk_bits(side_bits)) for _ in range(S)]
      s.side_out //= s.side[SL]

      @update_ff
      def up_side():
        if s.adv:
          s.side[0] <<= s.side_in
          for k in range(1, S):
            s.side[k] <<= s.side[k - 1]

    s.latency = S
    set_module_name(s, "FPProgRTL", f=prog.name, n=n, **({"s": side_bits} if side_bits else {}))

  def line_trace(s):
    return "".join("v" if x else "." for x in s.v)
