"""
WeightStreamerFL: the functional weight streamer: requests every burst of the job as fast as the memory takes
them, takes every word as it comes, and sends each assembled beat (tellme_pymtl.packing layout).
"""
from collections import deque

from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req
from tellme_pymtl.flstream import sent


class WeightStreamerFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.wstream_ports(s, cfg)
    s.mem_resp.rdy //= 1
    s.Req = mk_mem_req()
    s.TI = cfg.T * cfg.idx_bits
    s.jobs, s.reqs, s.words, s.beats = deque(), deque(), [], deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.reqs.clear(); s.words.clear(); s.beats.clear()
        s.cmd.rdy <<= 1
        s.mem_req.val <<= 0
        s.out.val <<= 0
        return
      s.collect()
      s.cmd.rdy <<= 1
      s.mem_req.val <<= len(s.reqs) > 0
      if s.reqs:
        s.mem_req.msg <<= s.reqs[0]
      s.out.val <<= len(s.beats) > 0
      if s.beats:
        for q in range(cfg.Q):
          s.out.msg[q] <<= s.beats[0][q]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val & s.cmd.rdy:
      c = s.cmd.msg
      pw = int(c.nbeats) * cfg.words_per_beat
      for _ in range(int(c.passes)):
        for off in range(0, pw, cfg.burst_len):
          s.reqs.append(s.Req(int(c.base) + off, min(cfg.burst_len, pw - off)))
    if s.mem_req.val & s.mem_req.rdy:
      s.reqs.popleft()
    if s.mem_resp.val:
      s.words.append(int(s.mem_resp.msg))
      if len(s.words) == cfg.words_per_beat:
        beat = sum(w << (i * cfg.word_bits) for i, w in enumerate(s.words))
        s.beats.append([mk_bits(s.TI)((beat >> (q * s.TI)) & ((1 << s.TI) - 1)) for q in range(cfg.Q)])
        s.words = []
    sent(s.out, s.beats)

  def line_trace(s):
    return f"r{len(s.reqs):03} b{len(s.beats):03}"
