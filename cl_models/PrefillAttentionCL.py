"""
PrefillAttentionCL: cycle-level prefill attention with PrefillAttentionRTL's control, transcribed to Python:
the same phases (QLOAD, KEYS, FINR, FINO), request window and K/V alternation, word assembly, the four (key,
row) walkers (DOT, MAX, EXP, UPD) with DOT at most one key ahead of UPD (a row's last DOT beat waiting while the
lane combine cannot take its sums), the exp and reciprocal pipelines as shift registers that advance like
FPProgRTL, and the lane combine as LaneCombineRTL's folded stages (FoldPipe). Values come from the golden
tellme_pymtl.attention.prefill_rows, computed per pass and head once its keys are in.
"""
import numpy as np
from pymtl3 import Component, update, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import fp_prog as P
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req
from .DecodeAttentionCL import FoldPipe, Pipe

IDLE, QLOAD, KEYS, FINR, FINO = range(5)


class RowKey:
  """RowKeyCounterRTL's walk: key steps top-down, rows max(0, nr-1-k) .. nr-1 at step k."""

  def __init__(s, nr):
    s.nr, s.k, s.r = nr, 0, nr - 1

  def rlast(s):
    return s.r + 1 == s.nr

  def adv(s):
    if s.rlast():
      s.k += 1
      s.r = max(0, s.nr - 1 - s.k)
    else:
      s.r += 1


class PrefillAttentionCL(Component):

  def construct(s, cfg, npe=8, max_hdim=128):
    s.cfg = cfg
    s.npe = npe
    mg.attn_ports(s, cfg)
    s.Req = mk_mem_req()
    s.win = cfg.max_outstanding * cfg.burst_len
    s.comb_ops = P.combine_stages(cfg.Q, cfg.comb_fold)
    s.L_exp = len(P.PROGRAMS["exp"])
    s.L_rec = len(P.PROGRAMS["recip"])
    s.reset_state()

    @update
    def up_cl_comb():
      ph = s.phase
      s.cmd.rdy @= ph == IDLE
      s.q.rdy @= ph == QLOAD
      keys = ph == KEYS
      s.mem_req.val @= keys and s.rk != s.nkeys and s.inflight + s.wpv <= s.win
      if keys:
        s.mem_req.msg @= s.Req(s.vaddr if s.rv else s.kaddr, s.wpv)
      s.mem_resp.rdy @= keys and not (s.vval if s.rsel else s.kval)
      s.out.val @= ph == FINO
      if ph == FINO and s.outbeats:
        for l in range(cfg.Q):
          s.out.msg[l] @= s.outbeats[s.orr * s.nb + s.ob][l]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      s.step()

  def reset_state(s):
    s.phase = IDLE
    s.n = s.H = s.Hkv = s.d = s.wpv = s.nb = s.stride = s.kbase = s.vbase = 0
    s.i0 = s.nr = s.nkeys = s.rem = s.h = s.kvh = s.hacc = s.hnxt = s.qr = s.qb = 0
    s.rk = s.kaddr = s.vaddr = s.inflight = s.wi = 0
    s.rv = s.rsel = s.kval = s.vval = s.uin = False
    s.db = s.ub = s.fs = s.fr = s.orr = s.ob = 0
    s.qbeats, s.words, s.kvecs, s.vvecs, s.outbeats = [], [], [], [], []
    s.dcnt = s.ucnt = s.ccnt = s.ecnt = None
    s.comb, s.expp, s.recp = FoldPipe(s.comb_ops), Pipe(s.L_exp), Pipe(s.L_rec)

  def new_pass(s, i0):
    s.i0, s.nr = i0, min(s.npe, s.n - i0)
    s.h = s.kvh = s.hacc = 0
    s.hnxt = s.H

  def start_keys(s):
    s.phase = KEYS
    s.nkeys = s.i0 + s.nr
    s.rem = s.n - s.nkeys
    s.rk, s.rv, s.rsel, s.wi = 0, False, False, 0
    off = s.kvh * s.stride + (s.nkeys - 1) * s.wpv
    s.kaddr, s.vaddr = s.kbase + off, s.vbase + off
    s.db = s.ub = s.fs = s.fr = 0
    s.uin = False
    s.dcnt, s.ccnt, s.ecnt, s.ucnt = (RowKey(s.nr) for _ in range(4))
    s.words, s.kvecs, s.vvecs = [], [], []

  def step(s):
    ph = s.phase
    if ph == IDLE:
      if s.cmd.val:
        c = s.cmd.msg
        s.n, s.H, s.Hkv, s.d = int(c.n), int(c.heads), int(c.kv_heads), int(c.hdim)
        s.wpv, s.nb, s.stride = int(c.wpv), int(c.nbeats), int(c.max_ctx) * int(c.wpv)
        s.kbase, s.vbase = int(c.kbase), int(c.vbase)
        s.new_pass(0)
        s.qr = s.qb = 0
        s.qbeats = []
        s.phase = QLOAD
    elif ph == QLOAD:
      if s.q.val:
        s.qbeats.append([int(m) for m in s.q.msg])
        last = s.qb + 1 == s.nb and s.qr + 1 == s.nr
        if s.qb + 1 == s.nb:
          s.qb, s.qr = 0, s.qr + 1
        else:
          s.qb += 1
        if last:
          s.start_keys()
    elif ph == KEYS:
      s.step_keys()
    elif ph == FINR:
      in_val = s.fs != s.nr
      if in_val:
        s.fs += 1
      if s.recp.out_val():
        s.fr += 1
        if s.fr == s.nr:
          s.orr = s.ob = 0
          s.phase = FINO
      s.recp.tick(in_val, True)
    elif ph == FINO:
      if s.out.rdy:
        if s.ob + 1 == s.nb:
          s.ob, s.orr = 0, s.orr + 1
          if s.orr == s.nr:
            s.qr = s.qb = 0
            s.qbeats = []
            if s.h + 1 == s.H:
              if s.rem == 0:
                s.phase = IDLE
              else:
                s.new_pass(s.nkeys)
                s.phase = QLOAD
            else:
              s.phase = QLOAD
              s.h += 1
              s.hacc += s.Hkv
              if s.hacc >= s.hnxt:
                s.kvh += 1
                s.hnxt += s.H
        else:
          s.ob += 1

  def step_keys(s):
    cfg = s.cfg
    # every decision uses the values before this clock edge
    req_fire = bool(s.mem_req.val and s.mem_req.rdy)
    resp_fire = bool(s.mem_resp.val and s.mem_resp.rdy)
    dlast = s.db + 1 == s.nb
    mac = s.kval and s.dcnt.k <= s.ucnt.k + s.uin and (not dlast or s.comb.in_rdy(True))
    comb_out, exp_out = s.comb.out_val(), s.expp.out_val()
    upd = s.vval and s.ucnt.k != s.nkeys and (s.ecnt.k, s.ecnt.r) > (s.ucnt.k, s.ucnt.r)
    ulast = s.ub + 1 == s.nb
    if req_fire:
      if s.rv:
        s.rk += 1
        s.kaddr -= s.wpv
        s.vaddr -= s.wpv
      s.rv = not s.rv
    s.inflight += (s.wpv if req_fire else 0) - (1 if resp_fire else 0)
    if resp_fire:
      s.words.append(int(s.mem_resp.msg))
      if s.wi + 1 == s.wpv:
        vec = A.words_vec(cfg, s.words, s.d)
        if s.rsel:
          s.vvecs.append(vec)
          s.vval = True
        else:
          s.kvecs.append(vec)
          s.kval = True
        s.words, s.wi, s.rsel = [], 0, not s.rsel
      else:
        s.wi += 1
    if mac:
      if dlast:
        s.db = 0
        if s.dcnt.rlast():
          s.kval = False
        s.dcnt.adv()
      else:
        s.db += 1
    s.comb.tick(mac and dlast, True)
    if comb_out:
      s.ccnt.adv()
    s.expp.tick(comb_out, True)
    if exp_out:
      s.ecnt.adv()
    if upd:
      if ulast:
        s.ub = 0
        if s.ucnt.rlast():
          s.vval = s.uin = False
          if s.ucnt.k + 1 == s.nkeys:
            s.phase = FINR
            s.finish_pass()
        else:
          s.uin = True
        s.ucnt.adv()
      else:
        s.ub += 1
        s.uin = True

  def finish_pass(s):
    """The pass's output beats (this head) from the golden function over its queries and keys."""
    cfg = s.cfg
    q = np.array([v for b in s.qbeats for v in b], dtype=np.uint16).view(np.float16)
    q = q.reshape(s.nr, s.nb * cfg.Q)[:, :s.d]
    k = np.array(s.kvecs[::-1])                      # key steps went top-down
    v = np.array(s.vvecs[::-1])
    y = A.prefill_rows(q, k, v, s.i0, cfg.Q)
    s.outbeats = [b for r in range(s.nr) for b in mg.f16_beats(cfg, y[r])]

  def line_trace(s):
    return f"{'IQKRO'[s.phase]}i{s.i0}h{s.h} d{s.dcnt.k if s.dcnt else 0} u{s.ucnt.k if s.ucnt else 0}"
