"""
DequantizerRTL: TLMM accumulators -> FP16, with the activation and weight scales.

Ports
  cmd    RecvIfcRTL(DeqCmd)                n, ntokens, wscale (binary32: max(mean|W|, 1e-5))
  scale  RecvIfcRTL(Bits32)                the token's activation scale s_x (from the quantizer)
  acc    VecRecvIfcRTL(Bits(acc_bits), Q)  ceil(n/Q) TLMM output beats per token
  y      VecSendIfcRTL(Bits16, Q)          fp16(fp32(acc) * c) per element, c = wscale / s_x

Per token: the scale is taken, c is divided out on FPDivRTL (26 cycles, correctly rounded), then one beat
per cycle goes through Q lanes of int->fp32, multiply, fp32->fp16 into the output register (latency 1).
Golden: tellme_pymtl.fused.dequantize.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import deq_ports
from tellme_pymtl.verilog_names import set_module_name
from .FPConvRTL import FPConvRTL
from .FPDivRTL import FPDivRTL
from .FPMulRTL import FPMulRTL
from .IntToFPRTL import IntToFPRTL
from .VecOutRegRTL import VecOutRegRTL

IDLE, WAITS, DIV, STREAM = range(4)


class DequantizerRTL(Component):

  def construct(s, cfg):
    Q, CB, DB = cfg.Q, cfg.acc_bits, cfg.dim_bits
    KB = DB + 1
    B16, B32, BK = mk_bits(16), mk_bits(32), mk_bits(KB)

    deq_ports(s, cfg)

    s.phase = Wire(mk_bits(2))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.wscale = Wire(B32)
    s.c = Wire(B32)
    s.e = Wire(BK)                  # first element of the next beat
    s.yout = VecOutRegRTL(B16, Q)
    s.y //= s.yout.out
    s.take = Wire()

    s.div = FPDivRTL()
    s.div.a //= s.wscale
    s.div.b //= s.scale.msg
    s.div.start //= lambda: s.scale.val & (s.phase == WAITS)
    s.i2f = [IntToFPRTL(CB, 8, 23) for _ in range(Q)]
    s.mul = [FPMulRTL(8, 23) for _ in range(Q)]
    s.cv = [FPConvRTL(8, 23, 5, 10) for _ in range(Q)]
    for q in range(Q):
      s.i2f[q].in_ //= s.acc.msg[q]
      s.mul[q].a //= s.i2f[q].out
      s.mul[q].b //= s.c
      s.cv[q].in_ //= s.mul[q].out
      s.yout.in_[q] //= s.cv[q].out
    s.yout.load //= s.take

    QB = BK(Q)

    @update
    def up_ctrl():
      s.cmd.rdy @= s.phase == IDLE
      s.scale.rdy @= s.phase == WAITS
      s.take @= (s.phase == STREAM) & s.acc.val & s.yout.free
      s.acc.rdy @= (s.phase == STREAM) & s.yout.free

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
      else:
        if s.phase == IDLE:
          if s.cmd.val:
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
            s.c <<= s.div.out
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

    set_module_name(s, "DequantizerRTL", Q=Q, c=CB, w=DB)

  def line_trace(s):
    return f"{'IWDS'[int(s.phase)]}{s.yout.line_trace()}"
