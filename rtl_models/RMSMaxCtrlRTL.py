"""
RMSMaxCtrlRTL: RMSNorm of an FP16 vector per token, with the absmax the next quantizer needs: everything but the
Q square-add lanes of the sum of squares, which it drives through its dot ports, and the normalization's first
multiply x * r on L lanes, through its xr ports. RMSMaxRTL gives it lanes of its own (the unit as tested alone);
in the accelerator top they are the attention datapath's DOT lanes and UPD multipliers, which compute the same
dot_s + dot_a * dot_b and fp32(x) * r (AttentionRTL with aux: RMS-MAX and attention never run at once).

Ports
  cmd   RecvIfcRTL(RmsCmd)         n, ntokens, inv_n = binary32(1/n), eps (binary32)
  x     VecRecvIfcRTL(Bits16, Q)   ceil(n/Q) beats per token (elements past n count as 0)
  g     VecRecvIfcRTL(Bits16, Q)   the norm weight, ceil(n/Q) beats per token (streamed from memory)
  y     VecSendIfcRTL(Bits16, Q)   y = fp16((x * r) * g), r = rsqrt(sum(x^2) * inv_n + eps)
  amax  SendIfcRTL(Bits16)         max |y| of the token, after its last y beat
  dot_a[Q]    OutPort(Bits16)      x (masked): the lanes square it (FPMulWideRTL, exact in binary32) ...
  dot_s[Q]    OutPort(Bits32)      ... and add it to the lane sums (FPAddRTL)
  dot_out[Q]  InPort(Bits32)       dot_s + dot_a * dot_a, combinationally
  xr_x[L]     OutPort(Bits16)      x (masked), L = cfg.rms_L lanes ...
  xr_r        OutPort(Bits32)      ... r ...
  xr_out[L]   InPort(Bits32)       ... fp32(x) * r (binary32), combinationally
  hold  InPort                     no new command (the lanes are busy with another unit's job)
  busy  OutPort                    not IDLE

Per token: LOAD (x into the vector buffer, Q binary32 lane sums of squares, one beat per cycle), COMB (the Q
lane sums added lane 0 first, Q-1 cycles), MEAN (sum * inv_n + eps into the rsqrt program: FPProgSeqRTL, its
steps on one multiplier and one adder), RSQ (its latency), NORM (a g beat against the buffered x through
L = cfg.rms_L lanes as Q/L chunks, one a cycle, into the output register (ChunkOutRegRTL), the running absmax
taken along lane by lane, g taken with the last chunk), AOUT. Golden: tellme_pymtl.fused.rms_max.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl import fp_prog as P
from tellme_pymtl.msgs import rms_ports
from tellme_pymtl.verilog_names import set_module_name
from .ChunkOutRegRTL import ChunkOutRegRTL
from .FPAddRTL import FPAddRTL
from .FPConvRTL import FPConvRTL
from .MagMaxRTL import MagMaxRTL
from .FPMulRTL import FPMulRTL
from .FPProgSeqRTL import FPProgSeqRTL

IDLE, LOAD, COMB, MEAN, RSQ, NORM, AOUT = range(7)


class RMSMaxCtrlRTL(Component):

  def construct(s, cfg):
    Q, DB = cfg.Q, cfg.dim_bits
    L = cfg.rms_L                  # the normalization's lanes
    NC = Q // L
    KB = DB + 1
    DEPTH = cfg.vec_depth
    AW = max(1, (DEPTH - 1).bit_length())
    JW = max(1, (Q - 1).bit_length())   # lane index 0 .. Q-1
    B16, B32, BK = mk_bits(16), mk_bits(32), mk_bits(KB)

    rms_ports(s, cfg)
    s.dot_a = [OutPort(B16) for _ in range(Q)]
    s.dot_s = [OutPort(B32) for _ in range(Q)]
    s.dot_out = [InPort(B32) for _ in range(Q)]
    s.xr_x = [OutPort(B16) for _ in range(L)]
    s.xr_r = OutPort(B32)
    s.xr_out = [InPort(B32) for _ in range(L)]
    s.hold = InPort()
    s.busy = OutPort()

    s.phase = Wire(mk_bits(3))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.inv_n = Wire(B32)
    s.eps = Wire(B32)
    s.le = Wire(BK)
    s.lw = Wire(mk_bits(AW))
    s.j = Wire(mk_bits(JW))
    s.ps = [Wire(B32) for _ in range(Q)]
    s.tot = Wire(B32)
    s.r = Wire(B32)
    s.amax_r = Wire(B16)
    s.yout = ChunkOutRegRTL(B16, Q, L)
    s.y //= s.yout.out
    s.ne = Wire(BK)                # the first element of the NORM chunk
    s.x_fire = Wire()
    s.step = Wire()
    s.last = Wire()

    s.vbuf = [Wire(mk_bits(16 * Q)) for _ in range(DEPTH)]
    s.xcat = Wire(mk_bits(16 * Q))
    s.word = Wire(mk_bits(16 * Q))
    for q in range(Q):
      s.xcat[16 * q:16 * (q + 1)] //= s.x.msg[q]

    # LOAD: masked x squared (exact in binary32), added to the lane sum, on the dot lanes
    s.xm = [Wire(B16) for _ in range(Q)]
    for q in range(Q):
      s.dot_a[q] //= s.xm[q]
      s.dot_s[q] //= s.ps[q]
    # COMB and MEAN: one adder for the lane sums, then sum * inv_n + eps
    s.psj = Wire(B32)
    s.comb = FPAddRTL(8, 23)
    s.comb.a //= s.tot
    s.comb.b //= s.psj
    s.comb.sub //= 0
    s.mmul = FPMulRTL(8, 23)
    s.mmul.a //= s.tot
    s.mmul.b //= s.inv_n
    s.madd = FPAddRTL(8, 23)
    s.madd.a //= s.mmul.out
    s.madd.b //= s.eps
    s.madd.sub //= 0
    s.rsq = FPProgSeqRTL(P.PROGRAMS["rsqrt"])      # one a token: one operation a cycle, the same latency
    s.rsq.in_.msg[0] //= s.madd.out
    # NORM: y = fp16((x * r) * g), |y| into the absmax chain (elements past n masked)
    s.nx = [Wire(B16) for _ in range(L)]
    s.gsel = [Wire(B16) for _ in range(L)]
    s.wsel = [Wire(B16) for _ in range(L)]
    s.wchunk = [[Wire(B16) for _ in range(L)] for _ in range(NC)]
    s.gchunk = [[Wire(B16) for _ in range(L)] for _ in range(NC)]
    for k in range(NC):
      for j in range(L):
        s.wchunk[k][j] //= s.word[16 * (k * L + j):16 * (k * L + j) + 16]
        s.gchunk[k][j] //= s.g.msg[k * L + j]
    s.wg = [FPConvRTL(5, 10, 8, 23) for _ in range(L)]
    s.m2 = [FPMulRTL(8, 23) for _ in range(L)]
    s.nar = [FPConvRTL(8, 23, 5, 10) for _ in range(L)]
    s.absy = [Wire(B16) for _ in range(L)]
    s.maxc = MagMaxRTL(L)
    s.maxc.acc //= s.amax_r
    s.xr_r //= s.r
    for q in range(L):
      s.xr_x[q] //= s.nx[q]
      s.wg[q].in_ //= s.gsel[q]
      s.m2[q].a //= s.xr_out[q]
      s.m2[q].b //= s.wg[q].out
      s.nar[q].in_ //= s.m2[q].out
      s.maxc.in_[q] //= s.absy[q]
      s.yout.in_[q] //= s.nar[q].out
    s.yout.go //= s.step
    s.amax.msg //= s.amax_r

    if Q == 1:
      s.psj //= s.ps[0]
    else:
      @update
      def up_psj():
        s.psj @= s.ps[s.j]

    QB = BK(Q)
    LB = BK(L)
    ABS = B16(0x7FFF)
    QM1 = Q - 1

    @update
    def up_ctrl():
      s.cmd.rdy @= (s.phase == IDLE) & ~s.hold
      s.busy @= s.phase != IDLE
      s.x.rdy @= s.phase == LOAD
      s.x_fire @= s.x.val & (s.phase == LOAD)
      s.last @= (s.le + QB) >= s.n
      s.rsq.in_.val @= s.phase == MEAN
      s.rsq.out.rdy @= s.phase == RSQ
      s.step @= (s.phase == NORM) & s.g.val & s.yout.ready
      s.g.rdy @= (s.phase == NORM) & s.yout.ready & s.yout.last
      s.amax.val @= s.phase == AOUT
      s.word @= s.vbuf[s.lw]

    if NC == 1:
      for e in range(L):
        s.wsel[e] //= s.wchunk[0][e]
        s.gsel[e] //= s.gchunk[0][e]
    else:
      @update
      def up_chunk():
        for e in range(L):
          s.wsel[e] @= s.wchunk[0][e]
          s.gsel[e] @= s.gchunk[0][e]
        for k in range(NC):
          if s.yout.c == k:
            for e in range(L):
              s.wsel[e] @= s.wchunk[k][e]
              s.gsel[e] @= s.gchunk[k][e]

    @update
    def up_lanes():
      for q in range(Q):
        if (s.le + q) < s.n:
          s.xm[q] @= s.x.msg[q]
        else:
          s.xm[q] @= 0
      for e in range(L):
        if (s.ne + e) < s.n:
          s.nx[e] @= s.wsel[e]
          s.absy[e] @= s.nar[e].out & ABS
        else:
          s.nx[e] @= 0
          s.absy[e] @= 0

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
      else:
        if s.phase == IDLE:
          if s.cmd.val & ~s.hold:
            s.n <<= zext(s.cmd.msg.n, KB)
            s.ntok <<= s.cmd.msg.ntokens
            s.inv_n <<= s.cmd.msg.inv_n
            s.eps <<= s.cmd.msg.eps
            s.tok <<= 0
            s.le <<= 0
            s.lw <<= 0
            for q in range(Q):
              s.ps[q] <<= 0
            s.phase <<= LOAD
        elif s.phase == LOAD:
          if s.x_fire:
            s.vbuf[s.lw] <<= s.xcat
            for q in range(Q):
              s.ps[q] <<= s.dot_out[q]
            if s.last:
              s.tot <<= s.dot_out[0]
              s.j <<= 1
              s.le <<= 0
              s.lw <<= 0
              if QM1 == 0:
                s.phase <<= MEAN
              else:
                s.phase <<= COMB
            else:
              s.le <<= s.le + QB
              s.lw <<= s.lw + 1
        elif s.phase == COMB:
          s.tot <<= s.comb.out
          if s.j == QM1:
            s.phase <<= MEAN
          else:
            s.j <<= s.j + 1
        elif s.phase == MEAN:
          if s.rsq.in_.rdy:
            s.phase <<= RSQ
        elif s.phase == RSQ:
          if s.rsq.out.val:
            s.r <<= s.rsq.out.msg[0]
            s.amax_r <<= 0
            s.ne <<= 0
            s.phase <<= NORM
        elif s.phase == NORM:
          if s.step:
            s.amax_r <<= s.maxc.out
            s.ne <<= s.ne + LB
            if s.yout.last:
              if s.last:
                s.phase <<= AOUT
              else:
                s.le <<= s.le + QB
                s.lw <<= s.lw + 1
        elif s.phase == AOUT:
          if s.amax.rdy:
            if s.tok + 1 == s.ntok:
              s.phase <<= IDLE
            else:
              s.tok <<= s.tok + 1
              s.le <<= 0
              s.lw <<= 0
              for q in range(Q):
                s.ps[q] <<= 0
              s.phase <<= LOAD

    set_module_name(s, "RMSMaxCtrlRTL", Q=Q, d=DEPTH, w=DB, L=L)

  def line_trace(s):
    return f"{'ILCMRNA'[int(s.phase)]}{s.yout.line_trace()}"
