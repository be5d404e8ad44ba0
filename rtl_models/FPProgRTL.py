"""
FPProgRTL: an FP program (tellme_pymtl/fp_prog.py: exp, reciprocal, rsqrt, SiLU) as a fully pipelined unit.

  in_  VecRecvIfcRTL(Bits32, n*nin)   per beat and lane l, the program's nin binary32 inputs at l*nin + i
  kin  [n*nkin] (KB bits)             the program's integer inputs, taken with the same handshake
  out  VecSendIfcRTL(Bits32, n)       the n results, len(program) cycles later

One FPOpStageRTL per operation and lane, held per operation (s.op<k>: that operation's stage in every lane),
so that every list of sub-components is homogeneous (pymtl3's yosys translation gives a list one module type,
the first element's); the whole pipeline advances when its last stage is empty or its
result is taken (a stall holds every stage), so it accepts one beat per cycle. Latency: len(program) cycles.
"""
from pymtl3 import Component, InPort, Wire, mk_bits, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name
from .FPOpStageRTL import FPOpStageRTL


class FPProgRTL(Component):

  def construct(s, prog, n=1):
    S = len(prog.ops)
    SL = S - 1                      # the last stage (a named constant: its index then has the right width)
    B32 = mk_bits(32)
    nin, nkin = prog.nin, prog.nkin
    s.in_ = VecRecvIfcRTL(B32, n * nin)
    s.kin = [InPort(mk_bits(P.KB)) for _ in range(n * nkin)]
    s.out = VecSendIfcRTL(B32, n)
    for k, op in enumerate(prog.ops):
      setattr(s, f"op{k}", [FPOpStageRTL(op, prog.nr, prog.nk) for _ in range(n)])
    stage = [getattr(s, f"op{k}") for k in range(S)]
    s.v = [Wire() for _ in range(S)]
    s.adv = Wire()

    for l in range(n):
      st = [stage[k][l] for k in range(S)]
      for i in range(prog.nr):
        st[0].rin[i] //= s.in_.msg[l * nin + i] if i < nin else 0
      for j in range(max(prog.nk, 1)):
        st[0].kin[j] //= s.kin[l * nkin + j] if j < nkin else 0
      for k in range(1, S):
        for i in range(prog.nr):
          st[k].rin[i] //= st[k - 1].rout[i]
        for j in range(max(prog.nk, 1)):
          st[k].kin[j] //= st[k - 1].kout[j]
      for k in range(S):
        st[k].en //= s.adv
      s.out.msg[l] //= st[S - 1].rout[prog.result]

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

    s.latency = S
    set_module_name(s, "FPProgRTL", f=prog.name, n=n)

  def line_trace(s):
    return "".join("v" if x else "." for x in s.v)
