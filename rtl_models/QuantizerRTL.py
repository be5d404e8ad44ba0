"""
QuantizerRTL: FP16 vector per token -> int8 TLMM activation blocks, with the BitNet per-token absmax scale.

Ports
  cmd    RecvIfcRTL(VecCmd)               n (vector length), ntokens
  x      VecRecvIfcRTL(Bits16, Q)         ceil(n/Q) beats per token; elements past n are ignored
  scale  SendIfcRTL(Bits32)               s = 127 / max(absmax, 1e-5) (binary32), once per token
  act    VecSendIfcRTL(Bits(G*A), T)      ceil(n / G*T) TLMM activation beats per token (zero padded)

Per token (tellme_pymtl.fused.quantize is the golden function):
  LOAD   one x beat per cycle into the vector buffer (Q/Lq LUT-RAMs, one per sub-word of a beat), running absmax of |x| (binary16 maximum)
  DIV    s = 127 / max(binary32(absmax), 1e-5) on FPDivRTL (26 cycles), correctly rounded like float32
  SCALE  s leaves on `scale`
  QUANT  Lq = gcd(Q, G*T) elements per cycle: q = clamp(rint(binary32(x) * s), -128, 127) into the block
         register; a full block leaves on `act` while the next one fills (no bubble unless act stalls)
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import quant_ports
from tellme_pymtl.verilog_names import set_module_name
from .AsyncRAMRTL import AsyncRAMRTL
from .FPConvRTL import FPConvRTL
from .FPDivRTL import FPDivRTL
from .FPMaxRTL import FPMaxRTL
from .MagMaxRTL import MagMaxRTL
from .FPMulRTL import FPMulRTL
from .FPToIntRTL import FPToIntRTL

IDLE, LOAD, DIV, SCALE, QUANT, DRAIN = range(6)


class QuantizerRTL(Component):

  def construct(s, cfg):
    G, T, Q, AB, DB = cfg.G, cfg.T, cfg.Q, cfg.act_bits, cfg.dim_bits
    L = cfg.q_lanes
    KS = cfg.block_in
    NSUB = Q // L                   # sub-words of a buffered beat
    NCH = KS // L                   # chunks of a block
    DEPTH = cfg.vec_depth
    AW = max(1, (DEPTH - 1).bit_length())
    SW = max(1, (NSUB - 1).bit_length())
    CW = max(1, (NCH - 1).bit_length())
    KB = DB + 1
    B16, B32, BK = mk_bits(16), mk_bits(32), mk_bits(KB)

    quant_ports(s, cfg)

    # control state
    s.phase = Wire(mk_bits(3))
    s.n = Wire(BK)
    s.ntok = Wire(mk_bits(DB))
    s.tok = Wire(mk_bits(DB))
    s.le = Wire(BK)                 # LOAD: first element of the next beat
    s.lw = Wire(mk_bits(AW))        # LOAD: next buffer word
    s.qw = Wire(mk_bits(AW))        # QUANT: buffer word
    s.qs = Wire(mk_bits(SW))        # QUANT: sub-word
    s.qe = Wire(BK)                 # QUANT: first element of the chunk
    s.qb = Wire(BK)                 # QUANT: first element of the block
    s.pos = Wire(mk_bits(CW))       # QUANT: chunk within the block
    s.blk_val = Wire()
    s.amax = Wire(B16)
    s.sreg = Wire(B32)

    s.x_fire = Wire()
    s.last_beat = Wire()
    s.step = Wire()
    s.last_chunk = Wire()
    s.last_block = Wire()

    # datapath: buffer, absmax chain, divider, Lq quantize lanes, block register
    s.vbuf = [AsyncRAMRTL(16 * L, DEPTH) for _ in range(NSUB)]   # sub-word k of every buffered beat
    s.absx = [Wire(B16) for _ in range(Q)]
    s.maxc = MagMaxRTL(Q)
    s.amax_w = FPConvRTL(5, 10, 8, 23)
    s.floor = FPMaxRTL(8, 23)
    s.div = FPDivRTL()
    s.subw = Wire(mk_bits(16 * L))
    s.cv = [FPConvRTL(5, 10, 8, 23) for _ in range(L)]
    s.mul = [FPMulRTL(8, 23) for _ in range(L)]
    s.f2i = [FPToIntRTL(8, 23, AB) for _ in range(L)]
    s.qv = [Wire(mk_bits(AB)) for _ in range(L)]
    s.chunk = [Wire(mk_bits(AB * L)) for _ in range(NCH)]

    s.xcat = [Wire(mk_bits(16 * L)) for _ in range(NSUB)]      # the x beat as buffer sub-words
    for k in range(NSUB):
      for j in range(L):
        s.xcat[k][16 * j:16 * (j + 1)] //= s.x.msg[k * L + j]
      s.vbuf[k].wdata //= s.xcat[k]
      s.vbuf[k].waddr //= s.lw
      s.vbuf[k].wen //= s.x_fire
      s.vbuf[k].raddr //= s.qw
    s.qcat = Wire(mk_bits(AB * L))                              # the Lq quantized values of a chunk
    for j in range(L):
      s.qcat[AB * j:AB * (j + 1)] //= s.qv[j]
    s.maxc.acc //= s.amax
    for q in range(Q):
      s.maxc.in_[q] //= s.absx[q]
    s.amax_w.in_ //= s.maxc.out
    s.floor.a //= s.amax_w.out
    s.floor.b //= B32(0x3727C5AC)           # binary32(1e-5)
    s.div.a //= B32(0x42FE0000)             # 127.0
    s.div.b //= s.floor.out
    s.div.start //= lambda: s.x_fire & s.last_beat

    for j in range(L):
      s.cv[j].in_ //= s.subw[16 * j:16 * (j + 1)]
      s.mul[j].a //= s.cv[j].out
      s.mul[j].b //= s.sreg
      s.f2i[j].in_ //= s.mul[j].out
    # element i of the block is lane i % L of chunk i // L; table t takes elements t*G .. t*G+G-1
    for i in range(KS):
      t, g = divmod(i, G)
      c, j = divmod(i, L)
      s.act.msg[t][g * AB:(g + 1) * AB] //= s.chunk[c][j * AB:(j + 1) * AB]
    s.scale.msg //= s.sreg

    QB, KSK = BK(Q), BK(KS)
    LK = BK(L)

    @update
    def up_ctrl():
      s.cmd.rdy @= s.phase == IDLE
      s.x.rdy @= s.phase == LOAD
      s.x_fire @= s.x.val & (s.phase == LOAD)
      s.last_beat @= (s.le + QB) >= s.n
      s.scale.val @= s.phase == SCALE
      s.act.val @= s.blk_val
      s.step @= (s.phase == QUANT) & (~s.blk_val | s.act.rdy)
      s.last_chunk @= s.pos == NCH - 1
      s.last_block @= (s.qb + KSK) >= s.n

    @update
    def up_quant():
      s.subw @= s.vbuf[0].rdata
      for k in range(1, NSUB):
        if s.qs == k:
          s.subw @= s.vbuf[k].rdata
      for j in range(L):
        if (s.qe + j) < s.n:
          s.qv[j] @= s.f2i[j].out
        else:
          s.qv[j] @= 0

    # |x| for the absmax chain; elements past n count as zero
    ABS = B16(0x7FFF)

    @update
    def up_abs():
      for q in range(Q):
        if (s.le + q) < s.n:
          s.absx[q] @= s.x.msg[q] & ABS
        else:
          s.absx[q] @= 0

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
        s.blk_val <<= 0
      elif s.phase == IDLE:
        if s.cmd.val:
          s.n <<= zext(s.cmd.msg.n, KB)
          s.ntok <<= s.cmd.msg.ntokens
          s.tok <<= 0
          s.le <<= 0
          s.lw <<= 0
          s.amax <<= 0
          s.phase <<= LOAD
      elif s.phase == LOAD:
        if s.x_fire:
          s.amax <<= s.maxc.out
          s.le <<= s.le + QB
          s.lw <<= s.lw + 1
          if s.last_beat:
            s.phase <<= DIV
      elif s.phase == DIV:
        if s.div.done:
          s.sreg <<= s.div.out
          s.phase <<= SCALE
      elif s.phase == SCALE:
        if s.scale.rdy:
          s.phase <<= QUANT
          s.qw <<= 0
          s.qs <<= 0
          s.qe <<= 0
          s.qb <<= 0
          s.pos <<= 0
      elif s.phase == QUANT:
        if s.step:
          s.chunk[s.pos] <<= s.qcat
          s.qe <<= s.qe + LK
          if s.qs == NSUB - 1:
            s.qs <<= 0
            s.qw <<= s.qw + 1
          else:
            s.qs <<= s.qs + 1
          if s.last_chunk:
            s.pos <<= 0
            s.blk_val <<= 1
            s.qb <<= s.qb + KSK
            if s.last_block:
              s.phase <<= DRAIN
          else:
            s.pos <<= s.pos + 1
            s.blk_val <<= 0
      elif s.phase == DRAIN:
        if s.act.rdy:
          s.blk_val <<= 0
          if s.tok + 1 == s.ntok:
            s.phase <<= IDLE
          else:
            s.tok <<= s.tok + 1
            s.le <<= 0
            s.lw <<= 0
            s.amax <<= 0
            s.phase <<= LOAD

    set_module_name(s, "QuantizerRTL", G=G, T=T, Q=Q, a=AB, d=DEPTH, w=DB)

  def line_trace(s):
    ph = "ILDSQR"[int(s.phase)]
    return f"{ph}{int(s.pos):02}{'B' if s.blk_val else ' '}"
