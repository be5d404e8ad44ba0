"""
ElementwiseRTL: the fused chain's element-wise unit, modes NONE, ROPE, ADD, MULT_SILU and RELU2.

Ports
  cmd  RecvIfcRTL(EwCmd)          n, ntokens, mode (tellme_pymtl.fp_prog.EW_MODES)
  a    VecRecvIfcRTL(Bits16, Q)   the stream being transformed (e.g. the dequantized matmul output)
  b    VecRecvIfcRTL(Bits16, Q)   the second operand: residual (ADD), up projection (MULT_SILU, RELU2),
                                  interleaved (cos, sin) pairs (ROPE); not taken in mode NONE
  y    VecSendIfcRTL(Bits16, Q)

The unit has L = cfg.ew_L FP lanes (cfg.ew_lanes; L divides Q): a Q-element beat goes through them as Q/L
chunks of L consecutive elements, one chunk per cycle, chosen from the held input beat (a and b are taken with
the last chunk). Each lane widens its operands to binary32, runs the element-wise FP program (tellme_pymtl.
fp_prog.elementwise_program: every mode computed, the command's mode selected; SiLU as x times a sigmoid by
table, cubic pieces) in a fully pipelined FPProgRTL, and narrows the result to binary16 into the output beat
register, which is sent once its Q/L chunks are in. RoPE pairs adjacent elements (lanes 2i, 2i+1), so L is even
for it. One beat per Q/L cycles; latency len(program) + Q/L cycles. Fewer lanes, less logic: the program is 28
binary32 operations per lane (49 when SiLU went through exp and a Newton reciprocal).
Golden: tellme_pymtl.fused.elementwise.
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
    L = cfg.ew_L
    NC = Q // L
    CB = max(1, (NC - 1).bit_length())
    KB = DB + 1
    B16, B32, BK = mk_bits(16), mk_bits(32), mk_bits(KB)
    prog = P.EW_PROGRAM

    ew_ports(s, cfg)

    s.active = Wire()
    s.mode = Wire(mk_bits(3))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.e = Wire(BK)
    s.uses_b = Wire()
    s.go = Wire()            # a chunk enters the FP lanes
    s.last = Wire()          # ... the beat's last: a and b are taken
    s.c = Wire(mk_bits(CB))  # the chunk of the input beat going in
    s.oc = Wire(mk_bits(CB))  # the chunk of the output beat coming out
    s.yval = Wire()
    s.yr = [[Wire(B16) for _ in range(L)] for _ in range(NC)]     # the output beat, chunk by chunk
    s.achunk = [[Wire(B16) for _ in range(L)] for _ in range(NC)]  # the input beats' chunks
    s.bchunk = [[Wire(B16) for _ in range(L)] for _ in range(NC)]
    s.asel = [Wire(B16) for _ in range(L)]
    s.bsel = [Wire(B16) for _ in range(L)]
    for k in range(NC):
      for j in range(L):
        s.achunk[k][j] //= s.a.msg[k * L + j]
        s.bchunk[k][j] //= s.b.msg[k * L + j]
        s.y.msg[k * L + j] //= s.yr[k][j]

    s.wa = [FPConvRTL(5, 10, 8, 23) for _ in range(L)]
    s.wb = [FPConvRTL(5, 10, 8, 23) for _ in range(L)]
    s.wbodd = [Wire(B32) for _ in range(max(1, L // 2))]    # b of each pair's odd lane (its sin)
    s.nsin = [Wire(B32) for _ in range(max(1, L // 2))]     # -sin of each pair (the even lane's operand)
    s.mode_k = Wire(mk_bits(P.KB))
    s.prog = FPProgRTL(prog, L)
    s.narrow = [FPConvRTL(8, 23, 5, 10) for _ in range(L)]
    SIGN = B32(0x80000000)
    for l in range(L):
      p = l ^ 1
      s.wa[l].in_ //= s.asel[l]
      s.wb[l].in_ //= s.bsel[l]
      if l % 2 == 1:
        s.wbodd[l // 2] //= s.wb[l].out
      base = l * prog.nin
      s.prog.in_.msg[base + 0] //= s.wa[l].out
      s.prog.in_.msg[base + 4] //= s.wb[l].out
      if p < L:
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
    s.y.val //= s.yval

    QB = BK(Q)
    KBP = P.KB
    NP = L // 2
    LASTC = mk_bits(CB)(NC - 1)

    if NC == 1:
      for j in range(L):
        s.asel[j] //= s.achunk[0][j]
        s.bsel[j] //= s.bchunk[0][j]
    else:
      @update
      def up_sel():
        for j in range(L):
          s.asel[j] @= s.achunk[0][j]
          s.bsel[j] @= s.bchunk[0][j]
        for k in range(NC):
          if s.c == k:
            for j in range(L):
              s.asel[j] @= s.achunk[k][j]
              s.bsel[j] @= s.bchunk[k][j]

    @update
    def up_sin():
      s.mode_k @= zext(s.mode, KBP)
      for i in range(NP):
        s.nsin[i] @= s.wbodd[i] ^ SIGN

    @update
    def up_join():
      s.uses_b @= s.mode != 0
      s.last @= s.c == LASTC
      s.cmd.rdy @= ~s.active
      s.prog.in_.val @= s.active & s.a.val & (s.b.val | ~s.uses_b)
      s.a.rdy @= s.active & s.prog.in_.rdy & (s.b.val | ~s.uses_b) & s.last
      s.b.rdy @= s.active & s.uses_b & s.prog.in_.rdy & s.a.val & s.last
      s.go @= s.active & s.a.val & (s.b.val | ~s.uses_b) & s.prog.in_.rdy
      s.prog.out.rdy @= ~s.yval | s.y.rdy

    @update_ff
    def up_out():
      if s.reset:
        s.yval <<= 0
        s.oc <<= 0
      else:
        if s.prog.out.val & s.prog.out.rdy:
          for k in range(NC):
            if s.oc == k:
              for j in range(L):
                s.yr[k][j] <<= s.narrow[j].out
          if s.oc == LASTC:
            s.oc <<= 0
            s.yval <<= 1
          else:
            s.oc <<= s.oc + 1
            if s.y.rdy:
              s.yval <<= 0
        elif s.y.rdy:
          s.yval <<= 0

    @update_ff
    def up_job():
      if s.reset:
        s.active <<= 0
        s.c <<= 0
      elif ~s.active:
        if s.cmd.val:
          s.active <<= 1
          s.mode <<= s.cmd.msg.mode
          s.n <<= zext(s.cmd.msg.n, KB)
          s.ntok <<= s.cmd.msg.ntokens
          s.tok <<= 0
          s.e <<= 0
          s.c <<= 0
      elif s.go & ~s.last:
        s.c <<= s.c + 1
      elif s.go:
        s.c <<= 0
        if (s.e + QB) >= s.n:
          s.e <<= 0
          if s.tok + 1 == s.ntok:
            s.active <<= 0
          else:
            s.tok <<= s.tok + 1
        else:
          s.e <<= s.e + QB

    set_module_name(s, "ElementwiseRTL", Q=Q, l=L, w=DB)

  def line_trace(s):
    return f"{'*' if s.active else ' '}{s.c}{s.prog.line_trace()}{'Y' if s.yval else ' '}"
