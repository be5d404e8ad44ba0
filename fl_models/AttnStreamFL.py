"""
AttnStreamFL: what the two functional attention units share (DecodeAttentionFL, PrefillAttentionFL derive from
it). Per command it reads the job's K and V vectors from the KV cache in DDR (tellme_pymtl.attention.kv_address:
all positions of every KV head, K then V, one request per vector), takes the query beats, and once all are in
sends the output beats that the subclass computes with the golden function:

  q_vectors(job)             how many query vectors the job takes
  compute(job, qbeats, k, v) the output beats (k, v: [n, Hkv, d] float16)
  check(job)                 raises for a job the unit cannot run (default: none)

max_hdim (optional): the largest head dimension the RTL's row memories hold; a longer one stops with an error.
"""
from collections import deque

import numpy as np
from pymtl3 import Component, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req
from tellme_pymtl.flstream import sent


class AttnStreamFL(Component):

  def construct(s, cfg, max_hdim=None):
    s.cfg = cfg
    s.max_hdim = max_hdim
    mg.attn_ports(s, cfg)
    s.cmd.rdy //= 1
    s.q.rdy //= 1
    s.mem_resp.rdy //= 1
    s.Req = mk_mem_req()
    s.jobs, s.reqs, s.words, s.qb, s.outq = deque(), deque(), [], [], deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.reqs.clear(); s.words.clear(); s.qb.clear(); s.outq.clear()
        s.mem_req.val <<= 0
        s.out.val <<= 0
        return
      s.collect()
      s.mem_req.val <<= len(s.reqs) > 0
      if s.reqs:
        s.mem_req.msg <<= s.reqs[0]
      s.out.val <<= len(s.outq) > 0
      if s.outq:
        for i in range(cfg.Q):
          s.out.msg[i] <<= s.outq[0][i]

  def check(s, job):
    pass

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      c = s.cmd.msg
      job = dict(n=int(c.n), H=int(c.heads), Hkv=int(c.kv_heads), d=int(c.hdim), max_ctx=int(c.max_ctx))
      if s.max_hdim is not None and job["d"] > s.max_hdim:
        raise A.AttentionError(f"head dim {job['d']} exceeds the unit's max_hdim {s.max_hdim}")
      s.check(job)
      wpv = A.words_per_vec(cfg, job["d"])              # <= burst_len (tellme_pymtl.msgs.attn_cmd checks)
      for base in (int(c.kbase), int(c.vbase)):
        for p in range(job["n"]):
          for h in range(job["Hkv"]):
            s.reqs.append(s.Req(A.kv_address(cfg, base, job["d"], job["max_ctx"], h, p), wpv))
      s.jobs.append(job)
    if s.mem_req.val & s.mem_req.rdy:
      s.reqs.popleft()
    if s.mem_resp.val:
      s.words.append(int(s.mem_resp.msg))
    if s.q.val:
      s.qb.append([m.clone() for m in s.q.msg])
    sent(s.out, s.outq)
    if s.jobs:
      j = s.jobs[0]
      n, Hkv, d = j["n"], j["Hkv"], j["d"]
      wpv, nq = A.words_per_vec(cfg, d), s.q_vectors(j) * -(-d // cfg.Q)
      need = 2 * n * Hkv * wpv
      if len(s.words) >= need and len(s.qb) >= nq:
        vecs = [A.words_vec(cfg, s.words[i:i + wpv], d) for i in range(0, need, wpv)]
        del s.words[:need]
        k = np.array(vecs[:n * Hkv]).reshape(n, Hkv, d)
        v = np.array(vecs[n * Hkv:]).reshape(n, Hkv, d)
        qbeats = s.qb[:nq]
        del s.qb[:nq]
        s.outq.extend(s.compute(j, qbeats, k, v))
        s.jobs.popleft()

  def line_trace(s):
    return f"r{len(s.reqs):03} w{len(s.words):04} q{len(s.qb):03} o{len(s.outq):03}"
