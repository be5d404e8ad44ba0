"""
KVWriterRTL: writes the K (or V) projection's output stream into the KV cache in DDR.

Ports (tellme_pymtl.msgs.kvw_ports)
  cmd       RecvIfcRTL(KvwCmd)                base, pos, npos, kv_heads, hdim, max_ctx, wpv, nbeats
  x         VecRecvIfcRTL(Bits16, Q)          head vectors, position-major then KV head, nbeats beats each
  mem_wreq  SendIfcRTL(MemWrite)              one DDR word per cycle
  ack       SendIfcRTL(Bits1)                 once per job, after its last word is written

Per head vector: COLLECT its beats into element registers; WRITE its wpv words (the elements wired into words
as tellme_pymtl.attention.vec_words lays them out, zero past hdim) at kv_address(base, hdim, max_ctx, h, p).
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import kvw_ports
from tellme_pymtl.verilog_names import set_module_name

IDLE, COLLECT, WRITE, ACK = range(4)


class KVWriterRTL(Component):

  def construct(s, cfg, max_hdim=128):
    Q, WB, DB = cfg.Q, cfg.word_bits, cfg.dim_bits
    MAXB = -(-max_hdim // Q)
    MAXW = -(-(16 * max_hdim) // WB)
    BW_ = max(1, (MAXB - 1).bit_length())
    VW = max(1, (MAXW - 1).bit_length())
    B32, BD = mk_bits(32), mk_bits(DB)
    kvw_ports(s, cfg)

    s.phase = Wire(mk_bits(2))
    s.base = Wire(B32)
    s.p = Wire(BD)
    s.pend = Wire(BD)                                # pos + npos
    s.h = Wire(mk_bits(8))
    s.Hkv = Wire(mk_bits(8))
    s.d = Wire(mk_bits(8))
    s.max_ctx = Wire(BD)
    s.wpv = Wire(mk_bits(8))
    s.nb = Wire(mk_bits(8))
    s.b = Wire(mk_bits(8))                           # beat being collected
    s.w = Wire(mk_bits(8))                           # word being written
    s.addr = Wire(B32)                               # the vector's first word
    s.elems = [[Wire(mk_bits(16)) for _ in range(Q)] for _ in range(MAXB)]
    s.masked = [[Wire(mk_bits(16)) for _ in range(Q)] for _ in range(MAXB)]
    s.words = [Wire(mk_bits(WB)) for _ in range(MAXW)]

    # word w, bit j holds element (w*WB + j) // 16 (zero past the vector's hdim elements)
    for w in range(MAXW):
      j = 0
      while j < WB:
        e, off = divmod(w * WB + j, 16)
        n = min(16 - off, WB - j)
        if e < MAXB * Q:
          s.words[w][j:j + n] //= s.masked[e // Q][e % Q][off:off + n]
        else:
          s.words[w][j:j + n] //= 0
        j += n

    @update
    def up_mask():
      for bb in range(MAXB):
        for l in range(Q):
          if (bb * Q + l) < s.d:
            s.masked[bb][l] @= s.elems[bb][l]
          else:
            s.masked[bb][l] @= 0

    @update
    def up_ctrl():
      s.cmd.rdy @= s.phase == IDLE
      s.x.rdy @= s.phase == COLLECT
      s.mem_wreq.val @= s.phase == WRITE
      s.mem_wreq.msg.addr @= s.addr + zext(s.w, 32)
      s.mem_wreq.msg.data @= s.words[s.w[0:VW]]
      s.ack.val @= s.phase == ACK
      s.ack.msg @= 1

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
      elif s.phase == IDLE:
        if s.cmd.val:
          s.base <<= s.cmd.msg.base
          s.p <<= s.cmd.msg.pos
          s.pend <<= s.cmd.msg.pos + s.cmd.msg.npos
          s.h <<= 0
          s.Hkv <<= s.cmd.msg.kv_heads
          s.d <<= s.cmd.msg.hdim
          s.max_ctx <<= s.cmd.msg.max_ctx
          s.wpv <<= s.cmd.msg.wpv
          s.nb <<= s.cmd.msg.nbeats
          s.b <<= 0
          s.phase <<= COLLECT
      elif s.phase == COLLECT:
        if s.x.val:
          for l in range(Q):
            s.elems[s.b[0:BW_]][l] <<= s.x.msg[l]
          if s.b + 1 == s.nb:
            s.b <<= 0
            s.w <<= 0
            s.addr <<= s.base + (zext(s.h, 32) * zext(s.max_ctx, 32) + zext(s.p, 32)) * zext(s.wpv, 32)
            s.phase <<= WRITE
          else:
            s.b <<= s.b + 1
      elif s.phase == WRITE:
        if s.mem_wreq.rdy:
          if s.w + 1 == s.wpv:
            if s.h + 1 == s.Hkv:
              s.h <<= 0
              s.p <<= s.p + 1
              if s.p + 1 == s.pend:
                s.phase <<= ACK
              else:
                s.phase <<= COLLECT
            else:
              s.h <<= s.h + 1
              s.phase <<= COLLECT
          else:
            s.w <<= s.w + 1
      elif s.phase == ACK:
        if s.ack.rdy:
          s.phase <<= IDLE

    set_module_name(s, "KVWriterRTL", Q=Q, w=WB, d=max_hdim)

  def line_trace(s):
    return f"{'ICWA'[int(s.phase)]}p{int(s.p)}h{int(s.h)}"
