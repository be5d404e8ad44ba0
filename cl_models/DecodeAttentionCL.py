"""
DecodeAttentionCL: cycle-level decode attention with DecodeAttentionRTL's control, transcribed to Python:
the same phases (QLOAD, P1, P2, FINR, FINO), request window, word assembly, one MAC beat per cycle (a key's
last beat waits while the lane combine cannot take its sums), the exp and reciprocal pipelines as shift
registers that advance like FPProgRTL, the lane combine as LaneCombineRTL's folded stages (FoldPipe), and the
score FIFO's read handshake. Values come from the golden tellme_pymtl.attention.decode, computed per head once
its V vectors are in.
"""
import numpy as np
from pymtl3 import Component, update, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import fp_prog as P
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req

IDLE, QLOAD, P1, P1END, P2, FINR, FINO = range(7)


class Pipe:
  """FPProgRTL's timing: S slots that all advance when the last is empty or taken."""

  def __init__(s, n):
    s.v = [False] * n

  def out_val(s):
    return s.v[-1]

  def in_rdy(s, out_rdy):
    return (not s.v[-1]) or out_rdy

  def tick(s, in_val, out_rdy):
    if s.in_rdy(out_rdy):
      s.v = [bool(in_val)] + s.v[:-1]


class FoldPipe:
  """LaneCombineRTL's timing: stages of ops[k] cycles each (an item taken by a stage when it is empty or its
  item leaves that cycle), then one product register."""

  def __init__(s, ops):
    s.ops = list(ops)
    s.v = [False] * len(ops)
    s.c = [0] * len(ops)
    s.vm = False

  def _moves(s, out_rdy):
    """This cycle: which stages hand their item on, whether the first takes one, whether the product register does."""
    take_m = (not s.vm) or out_rdy
    take, mv = take_m, []
    for k in reversed(range(len(s.ops))):
      m = s.v[k] and s.c[k] == s.ops[k] and take
      mv.append(m)
      take = (not s.v[k]) or m
    return mv[::-1], take, take_m

  def out_val(s):
    return s.vm

  def in_rdy(s, out_rdy):
    return s._moves(out_rdy)[1]

  def tick(s, in_val, out_rdy):
    mv, take0, take_m = s._moves(out_rdy)
    into_m = mv[-1] if s.ops else (in_val and take_m)
    for k in range(len(s.ops)):
      first = (in_val and take0) if k == 0 else mv[k - 1]
      if first:
        s.v[k], s.c[k] = True, 1
      elif s.v[k] and s.c[k] < s.ops[k]:
        s.c[k] += 1
      elif mv[k]:
        s.v[k] = False
    if into_m:
      s.vm = True
    elif out_rdy:
      s.vm = False


class DecodeAttentionCL(Component):

  def construct(s, cfg, fifo_depth=1024, max_hdim=128):
    s.cfg = cfg
    s.fifo_depth = fifo_depth
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
      streaming = ph == P1 or ph == P2
      s.mem_req.val @= streaming and s.rkeys != s.n and s.inflight + s.wpv <= s.win
      if streaming:
        s.mem_req.msg @= s.Req(s.raddr, s.wpv)
      s.mem_resp.rdy @= streaming and not s.vval
      s.out.val @= ph == FINO
      if ph == FINO and s.outbeats:
        for l in range(cfg.Q):
          s.out.msg[l] @= s.outbeats[s.ob][l]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      s.step()

  def reset_state(s):
    s.phase = IDLE
    s.n = s.H = s.Hkv = s.d = s.wpv = s.nb = s.max_ctx = s.kbase = s.vbase = s.stride = 0
    s.h = s.kvh = s.hacc = s.hnxt = s.qbeat = 0
    s.raddr = s.rkeys = s.inflight = 0
    s.vval = False
    s.wi = s.mb = s.keys = s.sdone = s.ldone = s.fr = s.ob = 0
    s.fr_v = s.p_val = s.rq_sent = False
    s.qbeats, s.vecwords, s.kvecs, s.vvecs, s.outbeats = [], [], [], [], []
    s.comb = s.expp = s.recp = None

  def start_head_p1(s):
    s.phase = P1
    s.raddr = s.kbase + s.kvh * s.stride
    s.rkeys = s.keys = s.sdone = s.ldone = s.mb = s.wi = 0
    s.rq_sent = False
    s.comb, s.expp = FoldPipe(s.comb_ops), Pipe(s.L_exp)
    s.kvecs, s.vvecs = [], []

  def step(s):
    cfg = s.cfg
    ph = s.phase
    if ph == IDLE:
      if s.cmd.val:
        c = s.cmd.msg
        s.n, s.H, s.Hkv, s.d = int(c.n), int(c.heads), int(c.kv_heads), int(c.hdim)
        s.wpv, s.nb, s.max_ctx = int(c.wpv), int(c.nbeats), int(c.max_ctx)
        s.kbase, s.vbase = int(c.kbase), int(c.vbase)
        s.stride = s.max_ctx * s.wpv
        s.h = s.kvh = s.hacc = 0
        s.hnxt = s.H
        s.qbeat, s.qbeats, s.phase = 0, [], QLOAD
      return
    if ph == QLOAD:
      if s.q.val:
        s.qbeats.append([int(m) for m in s.q.msg])
        s.qbeat += 1
        if s.qbeat == s.nb:
          s.start_head_p1()
      return
    if ph in (P1, P2):
      p_val_old = s.p_val                  # every decision below uses the values before this clock edge
      req_fire = bool(s.mem_req.val and s.mem_req.rdy)
      resp_fire = bool(s.mem_resp.val and s.mem_resp.rdy)
      last_mac = s.mb + 1 == s.nb
      mac = s.vval and ((ph == P1 and (not last_mac or s.comb.in_rdy(True))) or (ph == P2 and s.p_val))
      # pipelines: their handshakes this cycle (as the RTL's combinational logic sees them)
      if ph == P1:
        comb_in = mac and last_mac
        comb_out = s.comb.out_val()
        exp_in, exp_out_rdy = comb_out, True
      else:
        comb_in, comb_out = False, False
        exp_in, exp_out_rdy = s.fr_v, not s.p_val
      exp_out = s.expp.out_val() and exp_out_rdy
      exp_in_rdy = s.expp.in_rdy(exp_out_rdy)
      fifo_ren = ph == P2 and s.fr != s.n and not s.fr_v and exp_in_rdy
      if req_fire:
        s.raddr += s.wpv
        s.rkeys += 1
      s.inflight += (s.wpv if req_fire else 0) - (1 if resp_fire else 0)
      if resp_fire:
        s.vecwords.append(int(s.mem_resp.msg))
        if s.wi + 1 == s.wpv:
          vec = A.words_vec(cfg, s.vecwords, s.d)
          (s.kvecs if ph == P1 else s.vvecs).append(vec)
          s.vecwords, s.wi, s.vval = [], 0, True
        else:
          s.wi += 1
      if mac:
        if last_mac:
          s.mb, s.vval = 0, False
          s.keys += 1
          if ph == P2:
            s.p_val = False
        else:
          s.mb += 1
      if ph == P1:
        s.comb.tick(comb_in, True)
        if comb_out:
          s.sdone += 1
        done = False
        if exp_out:
          s.ldone += 1
          done = s.ldone == s.n
        s.expp.tick(exp_in, True)
        if done:
          s.phase = P2
          s.raddr = s.vbase + s.kvh * s.stride
          s.rkeys = s.keys = s.fr = s.mb = 0
      else:
        if fifo_ren:
          s.fr += 1
          s.fr_v = True
        elif s.fr_v and exp_in_rdy:
          s.fr_v = False
        if s.expp.out_val() and not p_val_old:
          s.p_val = True
        s.expp.tick(exp_in, exp_out_rdy)
        if mac and last_mac and s.keys == s.n:
          s.phase = FINR
          s.recp = Pipe(s.L_rec)
          s.finish_head()
      return
    if ph == FINR:
      in_val = not s.rq_sent
      out_val = s.recp.out_val()
      if in_val and s.recp.in_rdy(True):
        s.rq_sent = True
      if out_val:
        s.rq_sent = False
        s.ob, s.phase = 0, FINO
      s.recp.tick(in_val, True)
      return
    if ph == FINO:
      if s.out.rdy:
        s.ob += 1
        if s.ob == s.nb:
          s.h += 1
          if s.h == s.H:
            s.phase = IDLE
          else:
            s.qbeat, s.qbeats, s.phase = 0, [], QLOAD
            s.hacc += s.Hkv
            if s.hacc >= s.hnxt:
              s.kvh += 1
              s.hnxt += s.H

  def finish_head(s):
    """The head's output beats from the golden function over its query, K and V vectors."""
    cfg = s.cfg
    q = np.array([v for b in s.qbeats for v in b], dtype=np.uint16).view(np.float16)[:s.d]
    k = np.array(s.kvecs).reshape(s.n, 1, s.d)
    v = np.array(s.vvecs).reshape(s.n, 1, s.d)
    y = A.decode(q.reshape(1, 1, s.d), k, v, cfg.Q, s.fifo_depth)
    s.outbeats = mg.f16_beats(cfg, y[0, 0])

  def line_trace(s):
    return f"{'IQ12E RO'[s.phase]}h{s.h} k{s.keys:03}"
