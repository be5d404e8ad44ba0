"""
WeightStreamerRTL: reads a packed weight matrix from DDR in bursts and reassembles the weight beats.

Ports (tellme_pymtl.msgs.wstream_ports)
  cmd       RecvIfcRTL(WStreamCmd)          base word, nbeats per pass, passes (the matrix once per token)
  mem_req   SendIfcRTL(MemReq)              bursts of up to burst_len words
  mem_resp  RecvIfcRTL(Bits(word_bits))     the words, in order
  out       VecSendIfcRTL(Bits(T*I), Q)     one weight beat per words_per_beat words

Requests: the next burst (never crossing the end of a pass) is sent while the words in flight plus the burst
stay within max_outstanding * burst_len, so the memory's latency is covered without waiting. Responses:
words_per_beat words are collected (the beat, wider than one word, is wired across the word registers) and
the completed beat waits in the output register; a word is taken whenever it does not complete a beat or the
output register is free. Layout: tellme_pymtl.packing.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import wstream_ports
from tellme_pymtl.verilog_names import set_module_name


class WeightStreamerRTL(Component):

  def construct(s, cfg):
    Q, TI, WB, WPB, B = cfg.Q, cfg.T * cfg.idx_bits, cfg.word_bits, cfg.words_per_beat, cfg.burst_len
    MAXW = cfg.max_outstanding * B
    FW = max(9, MAXW.bit_length() + 1)     # holds MAXW + a burst length (8 bits)
    CW = max(1, (WPB - 1).bit_length())
    B32, BF = mk_bits(32), mk_bits(FW)
    wstream_ports(s, cfg)

    s.busy = Wire()
    s.base = Wire(B32)
    s.pass_words = Wire(B32)     # words of one pass
    s.passes = Wire(mk_bits(16))
    s.rq_off = Wire(B32)         # next word to request within the pass
    s.rq_pass = Wire(mk_bits(16))
    s.rq_len = Wire(mk_bits(8))
    s.rq_rem = Wire(B32)         # words of the pass not yet requested
    s.inflight = Wire(BF)
    s.rx_words = Wire(B32)       # words received in this job
    s.total_words = Wire(B32)
    s.wc = Wire(mk_bits(CW))     # word within the beat being assembled
    NWR = max(2, WPB - 1)
    s.words = [Wire(mk_bits(WB)) for _ in range(NWR)]   # the beat's first WPB-1 words (at least 2 registers)
    s.wview = [Wire(mk_bits(WB)) for _ in range(WPB)]               # ... and the word arriving now
    s.ob_val = Wire()
    s.req_fire = Wire()
    s.resp_fire = Wire()
    s.completes = Wire()
    for w in range(WPB - 1):
      s.wview[w] //= s.words[w]
    s.wview[WPB - 1] //= s.mem_resp.msg

    # beat lane q, bit b lives in word (q*TI+b) // WB: wire every lane from its word pieces
    s.lanes = [Wire(mk_bits(TI)) for _ in range(Q)]
    s.ob = [Wire(mk_bits(TI)) for _ in range(Q)]                    # the output register
    for q in range(Q):
      lo, hi = q * TI, (q + 1) * TI
      b = lo
      while b < hi:
        w, off = divmod(b, WB)
        n = min(hi - b, WB - off)
        s.lanes[q][b - lo:b - lo + n] //= s.wview[w][off:off + n]
        b += n
      s.out.msg[q] //= s.ob[q]

    # the word register written by a word that does not complete its beat (index exactly as wide as needed)
    SELW = max(1, (NWR - 1).bit_length())
    s.wsel = Wire(mk_bits(SELW))
    if SELW <= CW:
      s.wsel //= s.wc[0:SELW]
    else:
      s.wsel[0:CW] //= s.wc
      s.wsel[CW:SELW] //= 0

    BL = B32(B)
    MAXW_F = BF(MAXW)
    WPB_C = WPB - 1

    @update
    def up_req():
      s.cmd.rdy @= ~s.busy
      # the burst: burst_len words, or what is left of the pass
      s.rq_rem @= s.pass_words - s.rq_off
      if s.rq_rem < BL:
        s.rq_len @= s.rq_rem[0:8]
      else:
        s.rq_len @= B
      s.mem_req.val @= s.busy & (s.rq_pass != s.passes) & \
        ((s.inflight + zext(s.rq_len, FW)) <= MAXW_F)
      s.mem_req.msg.addr @= s.base + s.rq_off
      s.mem_req.msg.len @= s.rq_len
      s.req_fire @= s.mem_req.val & s.mem_req.rdy
      s.completes @= s.wc == WPB_C
      s.mem_resp.rdy @= s.busy & (~s.completes | ~s.ob_val | s.out.rdy)
      s.resp_fire @= s.mem_resp.val & s.mem_resp.rdy
      s.out.val @= s.ob_val

    @update_ff
    def up_seq():
      if s.reset:
        s.busy <<= 0
        s.ob_val <<= 0
        s.inflight <<= 0
      elif ~s.busy:
        if s.cmd.val:
          s.busy <<= 1
          s.base <<= s.cmd.msg.base
          s.pass_words <<= s.cmd.msg.nbeats * WPB
          s.total_words <<= s.cmd.msg.nbeats * WPB * zext(s.cmd.msg.passes, 32)
          s.passes <<= s.cmd.msg.passes
          s.rq_off <<= 0
          s.rq_pass <<= 0
          s.rx_words <<= 0
          s.wc <<= 0
        if s.out.rdy:
          s.ob_val <<= 0
      else:
        if s.req_fire:
          if (s.rq_off + zext(s.rq_len, 32)) == s.pass_words:
            s.rq_off <<= 0
            s.rq_pass <<= s.rq_pass + 1
          else:
            s.rq_off <<= s.rq_off + zext(s.rq_len, 32)
        if s.req_fire & s.resp_fire:
          s.inflight <<= s.inflight + zext(s.rq_len, FW) - 1
        elif s.req_fire:
          s.inflight <<= s.inflight + zext(s.rq_len, FW)
        elif s.resp_fire:
          s.inflight <<= s.inflight - 1
        if s.resp_fire:
          s.rx_words <<= s.rx_words + 1
          if s.completes:
            s.wc <<= 0
            s.ob_val <<= 1
            for q in range(Q):
              s.ob[q] <<= s.lanes[q]
            if s.rx_words + 1 == s.total_words:
              s.busy <<= 0
          else:
            s.words[s.wsel] <<= s.mem_resp.msg
            s.wc <<= s.wc + 1
            if s.out.rdy:
              s.ob_val <<= 0
        elif s.out.rdy:
          s.ob_val <<= 0

    set_module_name(s, "WeightStreamerRTL", Q=Q, t=TI, w=WB, b=B, o=cfg.max_outstanding)

  def line_trace(s):
    return f"{'*' if s.busy else ' '}f{int(s.inflight):03}{'B' if s.ob_val else ' '}"
