"""
ElementwiseRTL: the fused chain's element-wise unit, modes NONE, ROPE, ADD, MULT_SILU and RELU2.

Ports
  cmd  RecvIfcRTL(EwCmd)          n, ntokens, mode (tellme_pymtl.fp_prog.EW_MODES)
  a    VecRecvIfcRTL(Bits16, Q)   the stream being transformed (e.g. the dequantized matmul output)
  b    VecRecvIfcRTL(Bits16, Q)   the second operand: residual (ADD), up projection (MULT_SILU, RELU2),
                                  interleaved (cos, sin) pairs (ROPE); not taken in mode NONE
  y    VecSendIfcRTL(Bits16, Q)

Each lane widens its operands to binary32, runs the element-wise FP program (tellme_pymtl.fp_prog.
elementwise_program: every mode computed, the command's mode selected; SiLU through exp and reciprocal) in a
fully pipelined FPProgRTL, and narrows the result to binary16. RoPE pairs adjacent elements (lanes 2i, 2i+1),
so Q is even for it. One beat per cycle; latency len(program) cycles. Golden: tellme_pymtl.fused.elementwise.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl import fp_prog as P
from tellme_pymtl.msgs import ew_ports
from tellme_pymtl.verilog_names import set_module_name
from .FPConvRTL import FPConvRTL
from .FPProgRTL import FPProgRTL


class ElementwiseRTL(Component):

  def construct(s, cfg):
    Q, DB = cfg.Q, cfg.dim_bits
    KB = DB + 1
    B32, BK = mk_bits(32), mk_bits(KB)
    prog = P.EW_PROGRAM

    ew_ports(s, cfg)

    s.active = Wire()
    s.mode = Wire(mk_bits(3))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.e = Wire(BK)
    s.uses_b = Wire()
    s.go = Wire()

    s.wa = [FPConvRTL(5, 10, 8, 23) for _ in range(Q)]
    s.wb = [FPConvRTL(5, 10, 8, 23) for _ in range(Q)]
    s.wbodd = [Wire(B32) for _ in range(max(1, Q // 2))]    # b of each pair's odd lane (its sin)
    s.nsin = [Wire(B32) for _ in range(max(1, Q // 2))]     # -sin of each pair (the even lane's operand)
    s.mode_k = Wire(mk_bits(P.KB))
    s.prog = FPProgRTL(prog, Q)
    s.narrow = [FPConvRTL(8, 23, 5, 10) for _ in range(Q)]
    SIGN = B32(0x80000000)
    for l in range(Q):
      p = l ^ 1
      s.wa[l].in_ //= s.a.msg[l]
      s.wb[l].in_ //= s.b.msg[l]
      if l % 2 == 1:
        s.wbodd[l // 2] //= s.wb[l].out
      base = l * prog.nin
      s.prog.in_.msg[base + 0] //= s.wa[l].out
      s.prog.in_.msg[base + 4] //= s.wb[l].out
      if p < Q:
        s.prog.in_.msg[base + 1] //= s.wa[p].out
        if l % 2 == 0:
          s.prog.in_.msg[base + 2] //= s.wb[l].out
          s.prog.in_.msg[base + 3] //= s.nsin[l // 2]
        else:
          s.prog.in_.msg[base + 2] //= s.wb[p].out
          s.prog.in_.msg[base + 3] //= s.wb[l].out
      else:
        s.prog.in_.msg[base + 1] //= 0
        s.prog.in_.msg[base + 2] //= 0
        s.prog.in_.msg[base + 3] //= 0
      s.prog.kin[l] //= s.mode_k
      s.narrow[l].in_ //= s.prog.out.msg[l]
      s.y.msg[l] //= s.narrow[l].out
    s.y.val //= s.prog.out.val
    s.prog.out.rdy //= s.y.rdy

    QB = BK(Q)
    KBP = P.KB
    NP = Q // 2

    @update
    def up_sin():
      s.mode_k @= zext(s.mode, KBP)
      for i in range(NP):
        s.nsin[i] @= s.wbodd[i] ^ SIGN

    @update
    def up_join():
      s.uses_b @= s.mode != 0
      s.cmd.rdy @= ~s.active
      s.prog.in_.val @= s.active & s.a.val & (s.b.val | ~s.uses_b)
      s.a.rdy @= s.active & s.prog.in_.rdy & (s.b.val | ~s.uses_b)
      s.b.rdy @= s.active & s.uses_b & s.prog.in_.rdy & s.a.val
      s.go @= s.active & s.a.val & (s.b.val | ~s.uses_b) & s.prog.in_.rdy

    @update_ff
    def up_job():
      if s.reset:
        s.active <<= 0
      elif ~s.active:
        if s.cmd.val:
          s.active <<= 1
          s.mode <<= s.cmd.msg.mode
          s.n <<= zext(s.cmd.msg.n, KB)
          s.ntok <<= s.cmd.msg.ntokens
          s.tok <<= 0
          s.e <<= 0
      elif s.go:
        if (s.e + QB) >= s.n:
          s.e <<= 0
          if s.tok + 1 == s.ntok:
            s.active <<= 0
          else:
            s.tok <<= s.tok + 1
        else:
          s.e <<= s.e + QB

    set_module_name(s, "ElementwiseRTL", Q=Q, w=DB)

  def line_trace(s):
    return f"{'*' if s.active else ' '}{s.prog.line_trace()}"
