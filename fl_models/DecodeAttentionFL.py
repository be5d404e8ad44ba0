"""
DecodeAttentionFL: the functional decode attention (tellme_pymtl.attention.decode). For each job it reads the
K and V vectors of the context from the KV cache in DDR (tellme_pymtl.attention.kv_address), one request per
vector (in bursts), takes the query beats, and sends the output (one position, every head).
"""
from collections import deque

import numpy as np

from pymtl3 import Component, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req
from tellme_pymtl.flstream import sent


class DecodeAttentionFL(Component):

  def construct(s, cfg, fifo_depth=1024):
    s.cfg = cfg
    s.fifo_depth = fifo_depth
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

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      c = s.cmd.msg
      job = dict(n=int(c.n), H=int(c.heads), Hkv=int(c.kv_heads), d=int(c.hdim), max_ctx=int(c.max_ctx))
      if job["n"] > s.fifo_depth:
        raise A.AttentionError(f"context of {job['n']} keys exceeds the decode score FIFO of {s.fifo_depth}")
      wpv = A.words_per_vec(cfg, job["d"])
      for base in (int(c.kbase), int(c.vbase)):
        for p in range(job["n"]):
          for h in range(job["Hkv"]):
            a = A.kv_address(cfg, base, job["d"], job["max_ctx"], h, p)
            for off in range(0, wpv, cfg.burst_len):
              s.reqs.append(s.Req(a + off, min(cfg.burst_len, wpv - off)))
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
      n, H, Hkv, d = j["n"], j["H"], j["Hkv"], j["d"]
      wpv, bpv = A.words_per_vec(cfg, d), -(-d // cfg.Q)
      need = 2 * n * Hkv * wpv
      if len(s.words) >= need and len(s.qb) >= H * bpv:
        vecs = [A.words_vec(cfg, s.words[i:i + wpv], d) for i in range(0, need, wpv)]
        del s.words[:need]
        k = np.array(vecs[:n * Hkv]).reshape(n, Hkv, d)
        v = np.array(vecs[n * Hkv:]).reshape(n, Hkv, d)
        q = mg.heads_from_beats(cfg, s.qb[:H * bpv], 1, H, d)
        del s.qb[:H * bpv]
        s.outq.extend(mg.head_beats(cfg, A.decode(q, k, v, cfg.Q, s.fifo_depth)))
        s.jobs.popleft()

  def line_trace(s):
    return f"r{len(s.reqs):03} w{len(s.words):04} o{len(s.outq):03}"
