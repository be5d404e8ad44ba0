"""
DecodeAttnCtrlRTL: the controller of decode attention (DecodeAttentionRTL with its datapath, AttentionRTL
sharing one with prefill): one query position over a KV cache in DDR, two passes per head.

Ports (tellme_pymtl.msgs.attn_ports)
  cmd       RecvIfcRTL(AttnCmd)        n (context length), heads, kv_heads, hdim, max_ctx, kbase, vbase, wpv
  q         VecRecvIfcRTL(Bits16, Q)   ceil(d/Q) beats per head, head by head
  mem_req   SendIfcRTL(MemReq)         K / V vector reads (wpv words each, tellme_pymtl.attention.kv_address)
  mem_resp  RecvIfcRTL(Bits(word_bits))
  out       VecSendIfcRTL(Bits16, Q)   ceil(d/Q) beats per head
  dp_*      to AttnDatapathRTL (rtl_models.attn_dp, less OMITS["decode"]): q . k on its DOT lanes, o + fp16(p * v)
            (binary16 o) as fp16(o * 1.0) + fp16(p * v) on its UPD lanes, fp16(o * r) on the same multipliers,
            its combine, exp, recip
  hold      InPort    no new command (the shared datapath is busy with prefill);  busy  OutPort  not IDLE

Per head (golden: tellme_pymtl.attention.decode):
  QLOAD  the query's beats into the query memory (LUT-RAM; o has one too, P2's first key reading +0)
  P1     K vectors stream in (requests run ahead within max_outstanding * burst_len words); per key, ceil(d/Q)
         cycles of Q-lane multiply-accumulate, then the lane combine and scale (LaneCombineRTL: its Q - 1
         additions on adders of cfg.comb_fold each, a score every comb_fold cycles at most; a key's last MAC
         beat waits while it cannot take the sums) give s_j,
         written to the score FIFO; m' = max(m, s_j) at once, exp(m - m') and exp(s_j - m') in the exp
         pipeline, and l = l * a + p as they come out (the running max is never waiting on exp)
  P2     V vectors stream in; scores leave the FIFO through exp(s_j - m); o += fp16(p * v) (the UPD lanes'
         fp16(o * 1.0) + fp16(p * v), o binary16), ceil(d/Q) cycles a key
  FIN    r = recip(l) in its pipeline; out = fp16(o * r) on the UPD lanes' o multipliers, ceil(d/Q) beats
The kv head of head h is h * Hkv // H, kept incrementally. Contexts beyond the FIFO depth are the host's
error (tellme_pymtl.attention.decode raises AttentionError).
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .SyncRAMRTL import SyncRAMRTL
from .attn_dp import OMITS, dp_ports
from .vec_elems import wire_elems

IDLE, QLOAD, P1, P1END, P2, FINR, FINO = range(7)


class DecodeAttnCtrlRTL(Component):

  def construct(s, cfg, fifo_depth=1024, max_hdim=128):
    Q, WB, DB = cfg.Q, cfg.word_bits, cfg.dim_bits
    MAXB = -(-max_hdim // Q)                         # beats per head vector, at most
    MAXW = -(-(16 * max_hdim) // WB)                 # words per head vector, at most
    FD = fifo_depth
    FAW = max(1, (FD - 1).bit_length())
    BW_ = max(1, (MAXB - 1).bit_length())
    VW = max(1, (MAXW - 1).bit_length())
    WIN = cfg.max_outstanding * cfg.burst_len
    FW = max(9, WIN.bit_length() + 1)
    B16, B32 = mk_bits(16), mk_bits(32)
    BD = mk_bits(DB)
    attn_ports(s, cfg)
    dp_ports(s, Q, "ctrl", omit=OMITS["decode"])
    s.hold = InPort()
    s.busy = OutPort()

    # job and head state
    s.phase = Wire(mk_bits(3))
    s.n = Wire(BD)
    s.H = Wire(mk_bits(8))
    s.Hkv = Wire(mk_bits(8))
    s.d = Wire(mk_bits(8))
    s.wpv = Wire(mk_bits(8))
    s.nb = Wire(mk_bits(8))                          # beats per vector
    s.stride = Wire(B32)                             # words per kv head region: max_ctx * wpv
    s.kbase = Wire(B32)
    s.vbase = Wire(B32)
    s.scale = Wire(B32)
    s.h = Wire(mk_bits(8))
    s.kvh = Wire(mk_bits(8))
    s.hacc = Wire(mk_bits(16))                       # h * Hkv
    s.hnxt = Wire(mk_bits(16))                       # (kvh + 1) * H
    s.qbeat = Wire(mk_bits(8))
    # request side
    s.raddr = Wire(B32)
    s.rkeys = Wire(BD)                               # vectors requested
    s.inflight = Wire(mk_bits(FW))
    s.req_fire = Wire()
    s.resp_fire = Wire()
    # vector assembly and MAC
    s.vwords = [Wire(mk_bits(WB)) for _ in range(MAXW)]
    WIW = max(9, MAXW.bit_length())
    s.wi = Wire(mk_bits(WIW))
    s.wpv_w = Wire(mk_bits(WIW))
    s.vval = Wire()                                  # a whole vector is in vwords
    s.mb = Wire(mk_bits(8))                          # MAC beat
    s.keys = Wire(BD)                                # keys whose MAC is done
    NBE = 1 << BW_                                   # beat memories: a power of two of entries
    s.qram = [Wire(mk_bits(16 * Q)) for _ in range(NBE)]     # the query's beats (LUT-RAM)
    s.qrow = Wire(mk_bits(16 * Q))
    s.qin = Wire(mk_bits(16 * Q))
    s.ps = [Wire(B32) for _ in range(Q)]
    s.oram = [Wire(mk_bits(16 * Q)) for _ in range(NBE)]     # o, binary16 (LUT-RAM)
    s.oaddr = Wire(mk_bits(BW_))
    s.orow = Wire(mk_bits(16 * Q))
    s.onew = Wire(mk_bits(16 * Q))
    s.m = Wire(B32)
    s.l = Wire(B32)
    s.sdone = Wire(BD)                               # scores written to the FIFO (pass 1)
    s.ldone = Wire(BD)                               # l updates done (pass 1)
    s.fr = Wire(BD)                                  # FIFO reads issued (pass 2)
    s.fr_v = Wire()                                  # FIFO read data valid
    s.p = Wire(B32)
    s.p_val = Wire()
    s.ob = Wire(mk_bits(8))                          # output beat
    s.r = Wire(B32)

    # the vector's elements, wired from the word registers: elem[b][l] = element b*Q + l
    s.elem = [[Wire(B16) for _ in range(Q)] for _ in range(MAXB)]
    wire_elems(s.vwords, s.elem, WB, max_hdim, Q)

    # the score FIFO
    s.fifo = SyncRAMRTL(32, FD)
    s.fifo.wdata //= s.dp_comb_out
    s.fifo.waddr //= lambda: s.sdone[0:FAW]
    s.fifo.raddr //= lambda: s.fr[0:FAW]

    # the datapath: q . k on DOT (pass 1); o + fp16(p * v) on UPD with a = 1.0 (pass 2); fp16(o * r) (FIN)
    s.qsel = [Wire(B16) for _ in range(Q)]
    s.ksel = [Wire(B16) for _ in range(Q)]           # k (pass 1) or v (pass 2): the vector in
    s.osel = [Wire(B16) for _ in range(Q)]
    for ln in range(Q):
      s.dp_dot_a[ln] //= s.qsel[ln]
      s.dp_dot_b[ln] //= s.ksel[ln]
      s.dp_dot_s[ln] //= s.ps[ln]
      s.dp_upd_v[ln] //= s.ksel[ln]
      s.dp_upd_o[ln] //= s.osel[ln]
      s.qin[16 * ln:16 * ln + 16] //= s.q.msg[ln]
      s.onew[16 * ln:16 * ln + 16] //= s.dp_upd_out[ln]
      s.out.msg[ln] //= s.dp_fin[ln]
    s.dp_upd_p //= s.p
    s.dp_scale //= s.scale
    s.dp_mx_a //= s.m
    s.dp_lm_a //= s.l
    s.dp_recp_in //= s.l
    s.dp_exp_s //= s.fifo.rdata

    s.mac = Wire()
    s.last_mac = Wire()
    s.me = Wire(mk_bits(8))                          # first element of the MAC beat
    s.rq_sent = Wire()                               # l is in the reciprocal pipeline

    NEG_INF = B32(0xFF800000)
    ONE = B32(0x3F800000)
    WINF = mk_bits(FW)(WIN)

    @update
    def up_lanes():
      s.qrow @= s.qram[s.mb[0:BW_]]
      if s.phase == FINO:
        s.oaddr @= s.ob[0:BW_]
      else:
        s.oaddr @= s.mb[0:BW_]
      s.orow @= s.oram[s.oaddr]
      for ln in range(Q):
        s.qsel[ln] @= s.qrow[16 * ln:16 * ln + 16]
        if (s.me + ln) < s.d:                        # elements past d: stale words, masked to +0
          s.ksel[ln] @= s.elem[s.mb[0:BW_]][ln]
        else:
          s.ksel[ln] @= 0
        if (s.phase == P2) & (s.keys == 0):       # the first key: o starts from +0
          s.osel[ln] @= 0
        else:
          s.osel[ln] @= s.orow[16 * ln:16 * ln + 16]
      if s.phase == FINO:
        s.dp_upd_a @= s.r
      else:
        s.dp_upd_a @= ONE

    @update
    def up_ctrl():
      s.cmd.rdy @= (s.phase == IDLE) & ~s.hold
      s.busy @= s.phase != IDLE
      s.q.rdy @= s.phase == QLOAD
      # requests: K vectors in P1, V vectors in P2, within the outstanding window
      s.mem_req.val @= ((s.phase == P1) | (s.phase == P2)) & (s.rkeys != s.n) & \
        ((s.inflight + zext(s.wpv, FW)) <= WINF)
      s.mem_req.msg.addr @= s.raddr
      s.mem_req.msg.len @= s.wpv
      s.req_fire @= s.mem_req.val & s.mem_req.rdy
      s.mem_resp.rdy @= ((s.phase == P1) | (s.phase == P2)) & ~s.vval
      s.resp_fire @= s.mem_resp.val & s.mem_resp.rdy
      # MAC: a whole vector, and in pass 2 its p
      s.last_mac @= s.mb + 1 == s.nb
      s.mac @= s.vval & (((s.phase == P1) & (~s.last_mac | s.dp_comb_rdy)) | ((s.phase == P2) & s.p_val))
      s.dp_comb_val @= s.mac & s.last_mac & (s.phase == P1)
      # exp: pass 1 takes the combine output (m - m', s - m'); pass 2 takes FIFO scores (s_j - m)
      s.dp_exp_fifo @= s.phase != P1
      if s.phase == P1:
        s.dp_exp_val @= s.dp_comb_oval
      else:
        s.dp_exp_val @= s.fr_v
      s.dp_exp_rdy @= (s.phase == P1) | ~s.p_val
      s.fifo.wen @= (s.phase == P1) & s.dp_comb_oval
      s.fifo.ren @= (s.phase == P2) & (s.fr != s.n) & ~s.fr_v & s.dp_exp_irdy
      s.dp_recp_val @= (s.phase == FINR) & ~s.rq_sent
      s.dp_recp_rdy @= s.phase == FINR
      s.out.val @= s.phase == FINO

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
        s.inflight <<= 0
        s.vval <<= 0
        s.fr_v <<= 0
        s.p_val <<= 0
      elif s.phase == IDLE:
        if s.cmd.val & s.cmd.rdy:
          s.n <<= s.cmd.msg.n
          s.H <<= s.cmd.msg.heads
          s.Hkv <<= s.cmd.msg.kv_heads
          s.d <<= s.cmd.msg.hdim
          s.wpv <<= s.cmd.msg.wpv
          s.wpv_w <<= zext(s.cmd.msg.wpv, WIW)
          s.nb <<= s.cmd.msg.nbeats
          s.scale <<= s.cmd.msg.scale
          s.stride <<= zext(s.cmd.msg.max_ctx, 32) * zext(s.cmd.msg.wpv, 32)
          s.kbase <<= s.cmd.msg.kbase
          s.vbase <<= s.cmd.msg.vbase
          s.h <<= 0
          s.kvh <<= 0
          s.hacc <<= 0
          s.hnxt <<= zext(s.cmd.msg.heads, 16)
          s.qbeat <<= 0
          s.phase <<= QLOAD
      elif s.phase == QLOAD:
        if s.q.val:
          s.qram[s.qbeat[0:BW_]] <<= s.qin
          s.qbeat <<= s.qbeat + 1
          if s.qbeat + 1 == s.nb:
            s.phase <<= P1
            s.raddr <<= s.kbase + zext(s.kvh, 32) * s.stride
            s.rkeys <<= 0
            s.keys <<= 0
            s.sdone <<= 0
            s.ldone <<= 0
            s.mb <<= 0
            s.me <<= 0
            s.wi <<= 0
            s.rq_sent <<= 0
            s.m <<= NEG_INF
            s.l <<= 0
            for ln in range(Q):
              s.ps[ln] <<= 0
      else:
        # requests and responses (P1 and P2)
        if s.req_fire:
          s.raddr <<= s.raddr + zext(s.wpv, 32)
          s.rkeys <<= s.rkeys + 1
        if s.req_fire & s.resp_fire:
          s.inflight <<= s.inflight + zext(s.wpv, FW) - 1
        elif s.req_fire:
          s.inflight <<= s.inflight + zext(s.wpv, FW)
        elif s.resp_fire:
          s.inflight <<= s.inflight - 1
        if s.resp_fire:
          s.vwords[s.wi[0:VW]] <<= s.mem_resp.msg
          if s.wi + 1 == s.wpv_w:
            s.wi <<= 0
            s.vval <<= 1
          else:
            s.wi <<= s.wi + 1
        if s.mac:
          if s.phase == P1:
            for ln in range(Q):
              s.ps[ln] <<= s.dp_dot_out[ln]
          else:
            s.oram[s.mb[0:BW_]] <<= s.onew
          if s.last_mac:
            s.mb <<= 0
            s.me <<= 0
            s.vval <<= 0
            s.keys <<= s.keys + 1
            if s.phase == P1:
              for ln in range(Q):
                s.ps[ln] <<= 0
            else:
              s.p_val <<= 0
          else:
            s.mb <<= s.mb + 1
            s.me <<= s.me + Q

        if s.phase == P1:
          if s.dp_comb_oval:
            s.m <<= s.dp_mx_out
            s.sdone <<= s.sdone + 1
          if s.dp_exp_oval:
            s.l <<= s.dp_la_out
            s.ldone <<= s.ldone + 1
            if s.ldone + 1 == s.n:
              s.phase <<= P2
              s.raddr <<= s.vbase + zext(s.kvh, 32) * s.stride
              s.rkeys <<= 0
              s.keys <<= 0
              s.fr <<= 0
              s.mb <<= 0
              s.me <<= 0
        elif s.phase == P2:
          if s.fifo.ren:
            s.fr <<= s.fr + 1
            s.fr_v <<= 1
          elif s.fr_v & s.dp_exp_irdy:
            s.fr_v <<= 0
          if s.dp_exp_oval & ~s.p_val:
            s.p <<= s.dp_exp_a
            s.p_val <<= 1
          if s.mac & s.last_mac & (s.keys + 1 == s.n):
            s.phase <<= FINR
        elif s.phase == FINR:
          if s.dp_recp_val & s.dp_recp_irdy:
            s.rq_sent <<= 1
          if s.dp_recp_oval:
            s.rq_sent <<= 0
            s.r <<= s.dp_recp_out
            s.ob <<= 0
            s.phase <<= FINO
        elif s.phase == FINO:
          if s.out.rdy:
            s.ob <<= s.ob + 1
            if s.ob + 1 == s.nb:
              s.h <<= s.h + 1
              if s.h + 1 == s.H:
                s.phase <<= IDLE
              else:
                s.qbeat <<= 0
                s.phase <<= QLOAD
                s.hacc <<= s.hacc + zext(s.Hkv, 16)
                if s.hacc + zext(s.Hkv, 16) >= s.hnxt:
                  s.kvh <<= s.kvh + 1
                  s.hnxt <<= s.hnxt + zext(s.H, 16)

    set_module_name(s, "DecodeAttnCtrlRTL", Q=Q, w=WB, f=FD, d=max_hdim)

  def line_trace(s):
    return f"{'IQ12E RO'[int(s.phase)]}h{int(s.h)} k{int(s.keys):03}"
