"""
KVWriterCL: cycle-level KV writer with KVWriterRTL's phases (COLLECT one beat per cycle, WRITE one word per
cycle, ACK), the words from tellme_pymtl.attention.vec_words.
"""
import numpy as np
from pymtl3 import Component, update, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_write

IDLE, COLLECT, WRITE, ACK = range(4)


class KVWriterCL(Component):

  def construct(s, cfg, max_hdim=128):
    s.cfg = cfg
    mg.kvw_ports(s, cfg)
    s.Write = mk_mem_write(cfg.word_bits)
    s.phase, s.beats, s.vwords, s.w, s.addr = IDLE, [], [], 0, 0
    s.c = None
    s.p = s.h = s.pend = 0

    @update
    def up_cl_comb():
      s.cmd.rdy @= s.phase == IDLE
      s.x.rdy @= s.phase == COLLECT
      s.mem_wreq.val @= s.phase == WRITE
      if s.phase == WRITE:
        s.mem_wreq.msg @= s.Write(s.addr + s.w, s.vwords[s.w])
      s.ack.val @= s.phase == ACK
      s.ack.msg @= 1

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.phase = IDLE
        return
      c = s.c
      if s.phase == IDLE:
        if s.cmd.val:
          m = s.cmd.msg
          s.c = dict(base=int(m.base), Hkv=int(m.kv_heads), d=int(m.hdim), max_ctx=int(m.max_ctx),
                     wpv=int(m.wpv), nb=int(m.nbeats))
          s.p, s.pend, s.h = int(m.pos), int(m.pos) + int(m.npos), 0
          s.beats, s.phase = [], COLLECT
      elif s.phase == COLLECT:
        if s.x.val:
          s.beats.append([int(v) for v in s.x.msg])
          if len(s.beats) == c["nb"]:
            x = np.array([v for b in s.beats for v in b], dtype=np.uint16).view(np.float16)[:c["d"]]
            s.vwords = A.vec_words(s.cfg, x)
            s.addr = A.kv_address(s.cfg, c["base"], c["d"], c["max_ctx"], s.h, s.p)
            s.beats, s.w, s.phase = [], 0, WRITE
      elif s.phase == WRITE:
        if s.mem_wreq.rdy:
          if s.w + 1 == c["wpv"]:
            s.h += 1
            if s.h == c["Hkv"]:
              s.h, s.p = 0, s.p + 1
              s.phase = ACK if s.p == s.pend else COLLECT
            else:
              s.phase = COLLECT
          else:
            s.w += 1
      elif s.phase == ACK:
        if s.ack.rdy:
          s.phase = IDLE

  def line_trace(s):
    return f"{'ICWA'[s.phase]}p{s.p}h{s.h}"
