"""
PrefillAttnCtrlRTL: the controller of causal prefill attention (PrefillAttentionRTL with its datapath,
AttentionRTL sharing one with decode), npe query rows of one head per pass, keys streamed top-down
from the KV cache in DDR (the "reversed-reordered" order of tellme_pymtl.attention.prefill).

Ports (tellme_pymtl.msgs.attn_ports)
  cmd       RecvIfcRTL(AttnCmd)        n (prompt length), heads, kv_heads, hdim, max_ctx, kbase, vbase, wpv
  q         VecRecvIfcRTL(Bits16, Q)   query vectors in tellme_pymtl.attention.prefill_order, ceil(d/Q) beats each
  mem_req   SendIfcRTL(MemReq)         K and V vector reads (wpv words each: tellme_pymtl.attention.kv_address)
  mem_resp  RecvIfcRTL(Bits(word_bits))
  out       VecSendIfcRTL(Bits16, Q)   the output vectors, same order as q
  dp_*      to AttnDatapathRTL (rtl_models.attn_dp, less OMITS["prefill"]): the arithmetic named below
  hold      InPort    no new command (the shared datapath is busy with decode);  busy  OutPort  not IDLE

Per pass (positions i0 .. i0+nr-1, nr <= npe) and head:
  QLOAD  the pass's nr query vectors into the query memory (LUT-RAM, npe x ceil(d/Q) beats)
  KEYS   K_j, V_j for j = i0+nr-1 down to 0 stream in (requests run ahead within the outstanding window). Four
         stages, each with a RowKeyCounterRTL walking the same (key, row) pairs (row r sees key j only when
         j <= i0 + r; masked pairs are never computed and key j is dropped once its rows are done):
         DOT  ceil(d/Q) cycles per row of Q-lane q.k multiply-accumulate; the last beat enters the lane combine
              and scale (LaneCombineRTL: Q - 1 additions on adders of cfg.comb_fold each, so a row's last beat
              waits while it is busy: a row every max(ceil(d/Q), min(comb_fold, Q - 1)) cycles)
         MAX  as scores leave it: m' = max(m_r, s), m_r <- m', and m_r - m', s - m' into the exp pipeline
         EXP  as (a, p) leave it: l_r <- l_r * a + p; a and p kept per row
         UPD  once V_j is here, row by row as their (a, p) come out: o_r <- fp16(o_r * a) + fp16(p * v) (binary16
              o), ceil(d/Q) cycles per row (output memory, LUT-RAM). DOT starts a key once UPD has begun the one before, so
              the MAC of one key overlaps the update of the previous; the pipelines never stall. A key
              then takes about max(rows * ceil(d/Q), ceil(d/Q) + combine + exp latency) cycles.
  FINR   recip(l_r) for the pass's rows through the reciprocal pipeline
  FINO   out = fp16(o_r * recip(l_r)) on UPD's multipliers, ceil(d/Q) beats per row
The KV head of head h is h * Hkv // H, kept incrementally.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .RowKeyCounterRTL import RowKeyCounterRTL
from .attn_dp import OMITS, dp_ports
from .vec_elems import wire_elems

IDLE, QLOAD, KEYS, FINR, FINO = range(5)


class PrefillAttnCtrlRTL(Component):

  def construct(s, cfg, npe=8, max_hdim=128):
    Q, WB, DB = cfg.Q, cfg.word_bits, cfg.dim_bits
    MAXB = -(-max_hdim // Q)                         # beats per head vector, at most
    MAXW = -(-(16 * max_hdim) // WB)                 # words per head vector, at most
    BW_ = max(1, (MAXB - 1).bit_length())
    VW = max(1, (MAXW - 1).bit_length())
    RB = max(1, (npe - 1).bit_length())
    NB = npe.bit_length()
    AW = RB + BW_
    DB1 = DB + 1
    NROW = 1 << RB                   # per-row registers: a power of two of them
    WIN = cfg.max_outstanding * cfg.burst_len
    FW = max(9, WIN.bit_length() + 1)
    WIW = max(9, MAXW.bit_length())
    B16, B32, BD = mk_bits(16), mk_bits(32), mk_bits(DB)
    attn_ports(s, cfg)
    dp_ports(s, Q, "ctrl", omit=OMITS["prefill"])
    s.hold = InPort()
    s.busy = OutPort()

    # job, pass and head
    s.phase = Wire(mk_bits(3))
    s.n = Wire(BD)
    s.H = Wire(mk_bits(8))
    s.Hkv = Wire(mk_bits(8))
    s.d = Wire(mk_bits(8))
    s.wpv = Wire(mk_bits(8))
    s.wpv_w = Wire(mk_bits(WIW))
    s.nb = Wire(mk_bits(8))
    s.stride = Wire(B32)                             # words per kv head region: max_ctx * wpv
    s.kbase = Wire(B32)
    s.vbase = Wire(B32)
    s.scale = Wire(B32)
    s.i0 = Wire(BD)                                  # the pass's first position
    s.nr = Wire(mk_bits(NB))                         # the pass's rows
    s.nkeys = Wire(BD)                               # i0 + nr
    s.rem = Wire(BD)                                 # positions after this pass
    s.h = Wire(mk_bits(8))
    s.kvh = Wire(mk_bits(8))
    s.hacc = Wire(mk_bits(16))                       # h * Hkv
    s.hnxt = Wire(mk_bits(16))                       # (kvh + 1) * H
    s.qr = Wire(mk_bits(NB))
    s.qb = Wire(mk_bits(8))
    s.kstart = Wire()                                # the last query beat is in: KEYS starts
    # requests and responses
    s.rk = Wire(BD)                                  # key steps whose K and V are requested
    s.rv = Wire()                                    # next request is V
    s.kaddr = Wire(B32)
    s.vaddr = Wire(B32)
    s.inflight = Wire(mk_bits(FW))
    s.req_fire = Wire()
    s.resp_fire = Wire()
    s.rsel = Wire()                                  # next vector in is V
    s.wi = Wire(mk_bits(WIW))
    s.kwords = [Wire(mk_bits(WB)) for _ in range(MAXW)]
    s.vwords = [Wire(mk_bits(WB)) for _ in range(MAXW)]
    s.kval = Wire()
    s.vval = Wire()
    s.kelem = [[Wire(B16) for _ in range(Q)] for _ in range(MAXB)]
    s.velem = [[Wire(B16) for _ in range(Q)] for _ in range(MAXB)]
    wire_elems(s.kwords, s.kelem, WB, max_hdim, Q)
    wire_elems(s.vwords, s.velem, WB, max_hdim, Q)
    # per-row state (a power of two of them, so that any row index is in range)
    s.m = [Wire(B32) for _ in range(1 << RB)]
    s.l = [Wire(B32) for _ in range(1 << RB)]
    s.ar = [Wire(B32) for _ in range(1 << RB)]
    s.pr = [Wire(B32) for _ in range(1 << RB)]
    s.rr = [Wire(B32) for _ in range(1 << RB)]
    # query and output memories (asynchronous read: LUT-RAM), address {row, beat}
    s.qram = [Wire(mk_bits(16 * Q)) for _ in range(1 << AW)]
    s.oram = [Wire(mk_bits(16 * Q)) for _ in range(1 << AW)]
    s.qin = Wire(mk_bits(16 * Q))
    s.qrow = Wire(mk_bits(16 * Q))
    s.orow = Wire(mk_bits(16 * Q))
    s.onew = Wire(mk_bits(16 * Q))
    s.oaddr = Wire(mk_bits(AW))
    for ln in range(Q):
      s.qin[16 * ln:16 * ln + 16] //= s.q.msg[ln]

    # the four (key, row) walkers
    s.dcnt = RowKeyCounterRTL(DB, npe)
    s.ccnt = RowKeyCounterRTL(DB, npe)
    s.ecnt = RowKeyCounterRTL(DB, npe)
    s.ucnt = RowKeyCounterRTL(DB, npe)
    for c in (s.dcnt, s.ccnt, s.ecnt, s.ucnt):
      c.nr //= s.nr
      c.start //= s.kstart

    # DOT lanes: q.k
    s.db = Wire(mk_bits(8))
    s.de = Wire(mk_bits(8))                          # first element of the DOT beat
    s.mac = Wire()
    s.dlast = Wire()
    s.ps = [Wire(B32) for _ in range(Q)]
    s.ksel = [Wire(B16) for _ in range(Q)]
    for ln in range(Q):
      s.dp_dot_a[ln] //= s.qrow[16 * ln:16 * ln + 16]
      s.dp_dot_b[ln] //= s.ksel[ln]
      s.dp_dot_s[ln] //= s.ps[ln]

    # MAX and EXP (the datapath): lane combine and scale, running max, exp(m - m') and exp(s - m'), l * a + p
    s.dp_scale //= s.scale
    s.mc = Wire(B32)
    s.dp_mx_a //= s.mc
    s.dp_exp_val //= s.dp_comb_oval
    s.dp_exp_rdy //= 1
    s.le = Wire(B32)
    s.dp_lm_a //= s.le

    # UPD lanes: fp16(o * a) + fp16(p * v)
    s.ub = Wire(mk_bits(8))
    s.ue = Wire(mk_bits(8))
    s.uin = Wire()                                   # UPD has begun the key ucnt.k
    s.upd = Wire()
    s.ulast = Wire()
    s.ufirst = Wire()                                # the row's first key: o starts from 0
    s.ua = Wire(B32)
    s.up_ = Wire(B32)
    s.asel = Wire(B32)
    s.psel = Wire(B32)
    s.oold = [Wire(B16) for _ in range(Q)]
    s.vsel = [Wire(B16) for _ in range(Q)]
    s.moa = [Wire(B16) for _ in range(Q)]           # o (UPD, FINO)
    s.mob = Wire(B32)                                # a (UPD) or r (FINO)
    for ln in range(Q):
      s.dp_upd_o[ln] //= s.moa[ln]
      s.dp_upd_v[ln] //= s.vsel[ln]
      s.onew[16 * ln:16 * ln + 16] //= s.dp_upd_out[ln]
    s.dp_upd_a //= s.mob
    s.dp_upd_p //= s.psel

    # FIN: reciprocal, then fp16(o * r)
    s.fs = Wire(mk_bits(NB))
    s.fr = Wire(mk_bits(NB))
    s.orr = Wire(mk_bits(NB))                        # output row
    s.ob = Wire(mk_bits(8))
    s.rsel_r = Wire(B32)
    s.dp_recp_rdy //= 1
    for ln in range(Q):
      s.out.msg[ln] //= s.dp_fin[ln]                 # fp16(o * r) on UPD's o * a multipliers, idle in FINO

    NEG_INF = B32(0xFF800000)
    WINF = mk_bits(FW)(WIN)
    NPE = mk_bits(NB)(npe)

    @update
    def up_sel():
      s.qrow @= s.qram[concat(s.dcnt.r, s.db[0:BW_])]
      if s.phase == FINO:
        s.oaddr @= concat(s.orr[0:RB], s.ob[0:BW_])
      else:
        s.oaddr @= concat(s.ucnt.r, s.ub[0:BW_])
      s.orow @= s.oram[s.oaddr]
      s.mc @= s.m[s.ccnt.r]
      s.le @= s.l[s.ecnt.r]
      s.rsel_r @= s.rr[s.orr[0:RB]]
      s.dp_recp_in @= s.l[s.fs[0:RB]]
      s.ufirst @= zext(s.ucnt.k, DB1) + zext(s.ucnt.r, DB1) + 1 == zext(s.nr, DB1)
      if s.ub == 0:
        s.asel @= s.ar[s.ucnt.r]
        s.psel @= s.pr[s.ucnt.r]
      else:
        s.asel @= s.ua
        s.psel @= s.up_
      for ln in range(Q):
        if (s.de + ln) < s.d:                        # elements past d: stale words, masked to +0
          s.ksel[ln] @= s.kelem[s.db[0:BW_]][ln]
        else:
          s.ksel[ln] @= 0
        if (s.ue + ln) < s.d:
          s.vsel[ln] @= s.velem[s.ub[0:BW_]][ln]
        else:
          s.vsel[ln] @= 0
        if s.ufirst:
          s.oold[ln] @= 0
        else:
          s.oold[ln] @= s.orow[ln * 16:ln * 16 + 16]
        if s.phase == FINO:
          s.moa[ln] @= s.orow[ln * 16:ln * 16 + 16]
        else:
          s.moa[ln] @= s.oold[ln]
      if s.phase == FINO:
        s.mob @= s.rsel_r
      else:
        s.mob @= s.asel

    @update
    def up_ctrl():
      s.cmd.rdy @= (s.phase == IDLE) & ~s.hold
      s.busy @= s.phase != IDLE
      s.q.rdy @= s.phase == QLOAD
      s.kstart @= (s.phase == QLOAD) & s.q.val & (s.qb + 1 == s.nb) & (s.qr + 1 == s.nr)
      s.mem_req.val @= (s.phase == KEYS) & (s.rk != s.nkeys) & ((s.inflight + zext(s.wpv, FW)) <= WINF)
      if s.rv:
        s.mem_req.msg.addr @= s.vaddr
      else:
        s.mem_req.msg.addr @= s.kaddr
      s.mem_req.msg.len @= s.wpv
      s.req_fire @= s.mem_req.val & s.mem_req.rdy
      s.mem_resp.rdy @= (s.phase == KEYS) & ((s.rsel & ~s.vval) | (~s.rsel & ~s.kval))
      s.resp_fire @= s.mem_resp.val & s.mem_resp.rdy
      # DOT runs at most one key ahead of UPD
      s.dlast @= s.db + 1 == s.nb
      s.mac @= (s.phase == KEYS) & s.kval & (zext(s.dcnt.k, DB1) <= zext(s.ucnt.k, DB1) + zext(s.uin, DB1)) & \
        (~s.dlast | s.dp_comb_rdy)
      s.dp_comb_val @= s.mac & s.dlast
      # UPD takes a row as soon as its (a, p) are out of the exp pipeline: EXP's walker is past UPD's
      s.upd @= (s.phase == KEYS) & s.vval & (s.ucnt.k != s.nkeys) & \
        ((s.ecnt.k > s.ucnt.k) | ((s.ecnt.k == s.ucnt.k) & (s.ecnt.r > s.ucnt.r)))
      s.ulast @= s.ub + 1 == s.nb
      s.dcnt.adv @= s.mac & s.dlast
      s.ccnt.adv @= s.dp_comb_oval & (s.phase == KEYS)
      s.ecnt.adv @= s.dp_exp_oval & (s.phase == KEYS)
      s.ucnt.adv @= s.upd & s.ulast
      s.dp_recp_val @= (s.phase == FINR) & (s.fs != s.nr)
      s.out.val @= s.phase == FINO

    @update_ff
    def up_fsm():
      if s.reset:
        s.phase <<= IDLE
        s.inflight <<= 0
        s.kval <<= 0
        s.vval <<= 0
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
          s.i0 <<= 0
          if s.cmd.msg.n >= zext(NPE, DB):
            s.nr <<= NPE
          else:
            s.nr <<= s.cmd.msg.n[0:NB]
          s.h <<= 0
          s.kvh <<= 0
          s.hacc <<= 0
          s.hnxt <<= zext(s.cmd.msg.heads, 16)
          s.qr <<= 0
          s.qb <<= 0
          s.phase <<= QLOAD
      elif s.phase == QLOAD:
        if s.q.val:
          s.qram[concat(s.qr[0:RB], s.qb[0:BW_])] <<= s.qin
          if s.qb + 1 == s.nb:
            s.qb <<= 0
            s.qr <<= s.qr + 1
          else:
            s.qb <<= s.qb + 1
          if s.kstart:
            s.phase <<= KEYS
            s.nkeys <<= s.i0 + zext(s.nr, DB)
            s.rem <<= s.n - s.i0 - zext(s.nr, DB)
            s.rk <<= 0
            s.rv <<= 0
            s.kaddr <<= s.kbase + zext(s.kvh, 32) * s.stride + zext(s.i0 + zext(s.nr, DB) - 1, 32) * zext(s.wpv, 32)
            s.vaddr <<= s.vbase + zext(s.kvh, 32) * s.stride + zext(s.i0 + zext(s.nr, DB) - 1, 32) * zext(s.wpv, 32)
            s.rsel <<= 0
            s.wi <<= 0
            s.db <<= 0
            s.de <<= 0
            s.ub <<= 0
            s.ue <<= 0
            s.uin <<= 0
            s.fs <<= 0
            s.fr <<= 0
            for r in range(NROW):
              s.m[r] <<= NEG_INF
              s.l[r] <<= 0
            for ln in range(Q):
              s.ps[ln] <<= 0
      elif s.phase == KEYS:
        # requests: K_j then V_j, j top-down
        if s.req_fire:
          if s.rv:
            s.rv <<= 0
            s.rk <<= s.rk + 1
            s.kaddr <<= s.kaddr - zext(s.wpv, 32)
            s.vaddr <<= s.vaddr - zext(s.wpv, 32)
          else:
            s.rv <<= 1
        if s.req_fire & s.resp_fire:
          s.inflight <<= s.inflight + zext(s.wpv, FW) - 1
        elif s.req_fire:
          s.inflight <<= s.inflight + zext(s.wpv, FW)
        elif s.resp_fire:
          s.inflight <<= s.inflight - 1
        if s.resp_fire:
          if s.rsel:
            s.vwords[s.wi[0:VW]] <<= s.mem_resp.msg
          else:
            s.kwords[s.wi[0:VW]] <<= s.mem_resp.msg
          if s.wi + 1 == s.wpv_w:
            s.wi <<= 0
            s.rsel <<= ~s.rsel
            if s.rsel:
              s.vval <<= 1
            else:
              s.kval <<= 1
          else:
            s.wi <<= s.wi + 1
        # DOT
        if s.mac:
          if s.dlast:
            s.db <<= 0
            s.de <<= 0
            for ln in range(Q):
              s.ps[ln] <<= 0
            if s.dcnt.rlast:
              s.kval <<= 0
          else:
            s.db <<= s.db + 1
            s.de <<= s.de + Q
            for ln in range(Q):
              s.ps[ln] <<= s.dp_dot_out[ln]
        # MAX and EXP
        if s.dp_comb_oval:
          s.m[s.ccnt.r] <<= s.dp_mx_out
        if s.dp_exp_oval:
          s.l[s.ecnt.r] <<= s.dp_la_out
          s.ar[s.ecnt.r] <<= s.dp_exp_a
          s.pr[s.ecnt.r] <<= s.dp_exp_p
        # UPD
        if s.upd:
          s.oram[s.oaddr] <<= s.onew
          s.ua <<= s.asel
          s.up_ <<= s.psel
          if s.ulast:
            s.ub <<= 0
            s.ue <<= 0
            if s.ucnt.rlast:
              s.vval <<= 0
              s.uin <<= 0
              if s.ucnt.k + 1 == s.nkeys:
                s.phase <<= FINR
            else:
              s.uin <<= 1
          else:
            s.ub <<= s.ub + 1
            s.ue <<= s.ue + Q
            s.uin <<= 1
      elif s.phase == FINR:
        if s.dp_recp_val & s.dp_recp_irdy:
          s.fs <<= s.fs + 1
        if s.dp_recp_oval:
          s.rr[s.fr[0:RB]] <<= s.dp_recp_out
          s.fr <<= s.fr + 1
          if s.fr + 1 == s.nr:
            s.orr <<= 0
            s.ob <<= 0
            s.phase <<= FINO
      elif s.phase == FINO:
        if s.out.rdy:
          if s.ob + 1 == s.nb:
            s.ob <<= 0
            s.orr <<= s.orr + 1
            if s.orr + 1 == s.nr:
              s.qr <<= 0
              s.qb <<= 0
              if s.h + 1 == s.H:                     # next pass
                if s.rem == 0:
                  s.phase <<= IDLE
                else:
                  s.phase <<= QLOAD
                  s.i0 <<= s.nkeys
                  if s.rem >= zext(NPE, DB):
                    s.nr <<= NPE
                  else:
                    s.nr <<= s.rem[0:NB]
                  s.h <<= 0
                  s.kvh <<= 0
                  s.hacc <<= 0
                  s.hnxt <<= zext(s.H, 16)
              else:
                s.phase <<= QLOAD
                s.h <<= s.h + 1
                s.hacc <<= s.hacc + zext(s.Hkv, 16)
                if s.hacc + zext(s.Hkv, 16) >= s.hnxt:
                  s.kvh <<= s.kvh + 1
                  s.hnxt <<= s.hnxt + zext(s.H, 16)
          else:
            s.ob <<= s.ob + 1

    set_module_name(s, "PrefillAttnCtrlRTL", Q=Q, w=WB, p=npe, d=max_hdim)

  def line_trace(s):
    return (f"{'IQKRO'[int(s.phase)]}i{int(s.i0)}h{int(s.h)} d{s.dcnt.line_trace()} "
            f"u{s.ucnt.line_trace()}")
