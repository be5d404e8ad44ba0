"""
DequantizerCtrlRTL: TLMM accumulators -> FP16, with the activation and weight scales: everything but the L
multiply-and-narrow lanes fp16(a * c), which it drives through its mul ports. DequantizerRTL gives it lanes of
its own (the unit as tested alone); in the accelerator top they are the attention datapath's UPD multipliers, which
compute the same fp16(upd_w * upd_a) (AttentionRTL with aux: the dequantizer, RMS-MAX and attention never run at
once).

Ports
  cmd    RecvIfcRTL(DeqCmd)                n, ntokens, wscale (binary32: max(mean|W|, 1e-5))
  scale  RecvIfcRTL(Bits32)                the token's activation scale s_x (from the quantizer)
  acc    VecRecvIfcRTL(Bits(acc_bits), Q)  ceil(n/Q) TLMM output beats per token
  y      VecSendIfcRTL(Bits16, Q)          fp16(fp32(acc) * c) per element, c = wscale / s_x
  mul_a[L]  OutPort(Bits32)                fp32(acc) of the chunk's elements ...
  mul_b     OutPort(Bits32)                ... times c (FPMulRTL) ...
  mul_y[L]  InPort(Bits16)                 ... to binary16 (FPConvRTL), combinationally
  hold   InPort                            no new command (the lanes are busy with another unit's job)
  busy   OutPort                           not IDLE

Per token: the scale is taken, c is divided out on FPDivRTL (26 cycles, correctly rounded), then each beat
goes through L = cfg.deq_L lanes (cfg.deq_lanes) of int->fp32, multiply, fp32->fp16 as Q/L chunks of L
consecutive elements, one a cycle, into a ChunkOutRegRTL (the first Q/L - 1 staged while the output register
may still hold the beat before, which a chunked consumer such as the element-wise unit reads chunk by chunk;
the last, with the staged ones, into the register once it is free); the accumulator beat is taken with the last
chunk. One beat per Q/L cycles (per cycle at L = Q), latency 1.
Golden: tellme_pymtl.fused.dequantize.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import deq_ports
from tellme_pymtl.verilog_names import set_module_name
from .FPDivRTL import FPDivRTL
from .ChunkOutRegRTL import ChunkOutRegRTL
from .IntToFPRTL import IntToFPRTL

IDLE, WAITS, DIV, STREAM = range(4)


class DequantizerCtrlRTL(Component):

  def construct(s, cfg):
    Q, CB, DB = cfg.Q, cfg.acc_bits, cfg.dim_bits
    L = cfg.deq_L
    NC = Q // L
    KB = DB + 1
    B16, B32, BK, BA = mk_bits(16), mk_bits(32), mk_bits(KB), mk_bits(CB)

    deq_ports(s, cfg)
    s.mul_a = [OutPort(B32) for _ in range(L)]
    s.mul_b = OutPort(B32)
    s.mul_y = [InPort(B16) for _ in range(L)]
    s.hold = InPort()
    s.busy = OutPort()

    s.phase = Wire(mk_bits(2))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.wscale = Wire(B32)
    s.cf = Wire(B32)                # the factor c = wscale / s_x
    s.e = Wire(BK)                  # first element of the next beat
    s.go = Wire()                   # a chunk goes through the lanes
    s.take = Wire()                 # ... the beat's last: the accumulator beat is taken
    s.yout = ChunkOutRegRTL(B16, Q, L)
    s.y //= s.yout.out
    s.yout.go //= s.go
    s.achunk = [[Wire(BA) for _ in range(L)] for _ in range(NC)]
    s.asel = [Wire(BA) for _ in range(L)]
    for k in range(NC):
      for j in range(L):
        s.achunk[k][j] //= s.acc.msg[k * L + j]

    s.div = FPDivRTL()
    s.div.a //= s.wscale
    s.div.b //= s.scale.msg
    s.div.start //= lambda: s.scale.val & (s.phase == WAITS)
    s.i2f = [IntToFPRTL(CB, 8, 23) for _ in range(L)]
    s.mul_b //= s.cf
    for j in range(L):
      s.i2f[j].in_ //= s.asel[j]
      s.mul_a[j] //= s.i2f[j].out
      s.yout.in_[j] //= s.mul_y[j]

    QB = BK(Q)

    if NC == 1:
      for j in range(L):
        s.asel[j] //= s.achunk[0][j]
    else:
      @update
      def up_sel():
        for j in range(L):
          s.asel[j] @= s.achunk[0][j]
        for k in range(NC):
          if s.yout.c == k:
            for j in range(L):
              s.asel[j] @= s.achunk[k][j]

    @update
    def up_ctrl():
      s.cmd.rdy @= (s.phase == IDLE) & ~s.hold
      s.busy @= s.phase != IDLE
      s.scale.rdy @= s.phase == WAITS
      s.go @= (s.phase == STREAM) & s.acc.val & s.yout.ready
      s.take @= s.go & s.yout.last
      s.acc.rdy @= (s.phase == STREAM) & s.yout.ready & s.yout.last

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
      else:
        if s.phase == IDLE:
          if s.cmd.val & ~s.hold:
            s.n <<= zext(s.cmd.msg.n, KB)
            s.ntok <<= s.cmd.msg.ntokens
            s.wscale <<= s.cmd.msg.wscale
            s.tok <<= 0
            s.phase <<= WAITS
        elif s.phase == WAITS:
          if s.scale.val:
            s.phase <<= DIV
        elif s.phase == DIV:
          if s.div.done:
            s.cf <<= s.div.out
            s.e <<= 0
            s.phase <<= STREAM
        elif s.phase == STREAM:
          if s.take:
            s.e <<= s.e + QB
            if (s.e + QB) >= s.n:
              if s.tok + 1 == s.ntok:
                s.phase <<= IDLE
              else:
                s.tok <<= s.tok + 1
                s.phase <<= WAITS

    set_module_name(s, "DequantizerCtrlRTL", Q=Q, c=CB, w=DB, L=L)

  def line_trace(s):
    return f"{'IWDS'[int(s.phase)]}{s.yout.line_trace()}"
