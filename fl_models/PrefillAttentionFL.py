"""
PrefillAttentionFL: the functional prefill attention (tellme_pymtl.attention.prefill: causal, reversed key
order per row, online softmax, grouped-query). It takes every beat as it comes and, once a job's q, k and v
are in, sends the output rows (position-major, then head; ceil(d/Q) beats per head vector).
"""
from collections import deque

from pymtl3 import Component, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.flstream import sent


class PrefillAttentionFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.prefill_ports(s, cfg)
    for p in (s.cmd, s.q, s.k, s.v):
      p.rdy //= 1
    s.jobs, s.qb, s.kb, s.vb, s.outq = deque(), [], [], [], deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.qb.clear(); s.kb.clear(); s.vb.clear(); s.outq.clear()
        s.out.val <<= 0
        return
      s.collect()
      s.out.val <<= len(s.outq) > 0
      if s.outq:
        for i in range(cfg.Q):
          s.out.msg[i] <<= s.outq[0][i]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      c = s.cmd.msg
      s.jobs.append((int(c.n), int(c.heads), int(c.kv_heads), int(c.hdim)))
    for port, buf in ((s.q, s.qb), (s.k, s.kb), (s.v, s.vb)):
      if port.val:
        buf.append([m.clone() for m in port.msg])
    sent(s.out, s.outq)
    if s.jobs:
      n, H, Hkv, d = s.jobs[0]
      bpv = -(-d // cfg.Q)
      nq, nkv = n * H * bpv, n * Hkv * bpv
      if len(s.qb) >= nq and len(s.kb) >= nkv and len(s.vb) >= nkv:
        q = mg.heads_from_beats(cfg, s.qb[:nq], n, H, d)
        k = mg.heads_from_beats(cfg, s.kb[:nkv], n, Hkv, d)
        v = mg.heads_from_beats(cfg, s.vb[:nkv], n, Hkv, d)
        del s.qb[:nq], s.kb[:nkv], s.vb[:nkv]
        s.outq.extend(mg.head_beats(cfg, A.prefill(q, k, v, cfg.Q)))
        s.jobs.popleft()

  def line_trace(s):
    return f"q{len(s.qb):03} k{len(s.kb):03} v{len(s.vb):03} o{len(s.outq):03}"
