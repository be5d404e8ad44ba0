"""KVWriterFL: the functional KV writer: each head vector's words (tellme_pymtl.attention.vec_words) written at
kv_address as soon as the vector is in, one word per cycle, then the job's ack."""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_write
from tellme_pymtl.flstream import sent


class KVWriterFL(Component):

  def construct(s, cfg, max_hdim=128):
    s.cfg = cfg
    mg.kvw_ports(s, cfg)
    s.cmd.rdy //= 1
    s.x.rdy //= 1
    s.Write = mk_mem_write(cfg.word_bits)
    s.jobs, s.beats, s.writes, s.acks = deque(), [], deque(), deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.beats.clear(); s.writes.clear(); s.acks.clear()
        s.mem_wreq.val <<= 0
        s.ack.val <<= 0
        return
      s.collect()
      s.mem_wreq.val <<= len(s.writes) > 0
      if s.writes:
        s.mem_wreq.msg <<= s.writes[0]
      s.ack.val <<= len(s.acks) > 0 and not s.writes
      if s.acks:
        s.ack.msg <<= s.acks[0]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      m = s.cmd.msg
      s.jobs.append(dict(base=int(m.base), pos=int(m.pos), npos=int(m.npos), Hkv=int(m.kv_heads),
                         d=int(m.hdim), max_ctx=int(m.max_ctx), nb=int(m.nbeats), done=0))
    if s.x.val:
      s.beats.append([int(v) for v in s.x.msg])
    sent(s.mem_wreq, s.writes)
    if s.ack.val & s.ack.rdy:
      s.acks.popleft()
    while s.jobs and len(s.beats) >= s.jobs[0]["nb"]:
      j = s.jobs[0]
      x = np.array([v for b in s.beats[:j["nb"]] for v in b], dtype=np.uint16).view(np.float16)[:j["d"]]
      del s.beats[:j["nb"]]
      p, h = j["pos"] + j["done"] // j["Hkv"], j["done"] % j["Hkv"]
      a = A.kv_address(cfg, j["base"], j["d"], j["max_ctx"], h, p)
      for w, word in enumerate(A.vec_words(cfg, x)):
        s.writes.append(s.Write(a + w, word))
      j["done"] += 1
      if j["done"] == j["npos"] * j["Hkv"]:
        s.jobs.popleft()
        s.acks.append(mk_bits(1)(1))

  def line_trace(s):
    return f"w{len(s.writes):03}"
