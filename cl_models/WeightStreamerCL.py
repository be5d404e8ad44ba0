"""
WeightStreamerCL: cycle-level weight streamer with WeightStreamerRTL's request and response behaviour (bursts
bounded by the words in flight, beats assembled from words_per_beat words into a one-beat output register),
with Python state; the beat values come from the words themselves (tellme_pymtl.packing layout).
"""
from pymtl3 import Component, mk_bits, update, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl.ddr import mk_mem_req


class WeightStreamerCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.wstream_ports(s, cfg)
    s.Req = mk_mem_req()
    s.TI = cfg.T * cfg.idx_bits
    s.Lane = mk_bits(s.TI)
    s.maxw = cfg.max_outstanding * cfg.burst_len
    s.reset_state()

    @update
    def up_cl_comb():
      s.cmd.rdy @= not s.busy
      ln = s.req_len()
      s.mem_req.val @= s.busy and s.rq_pass != s.passes and s.inflight + ln <= s.maxw
      s.mem_req.msg @= s.Req(s.base + s.rq_off, ln)
      completes = s.wc == cfg.words_per_beat - 1
      s.mem_resp.rdy @= s.busy and (not completes or not s.ob_val or bool(s.out.rdy))
      s.out.val @= s.ob_val
      if s.ob_val:
        for q in range(cfg.Q):
          s.out.msg[q] @= s.ob[q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      if not s.busy:
        if s.cmd.val:
          c = s.cmd.msg
          s.busy, s.base = True, int(c.base)
          s.pass_words = int(c.nbeats) * cfg.words_per_beat
          s.passes, s.total = int(c.passes), int(c.nbeats) * cfg.words_per_beat * int(c.passes)
          s.rq_off = s.rq_pass = s.rx = s.wc = 0
          s.words = []
        if s.out.rdy:
          s.ob_val = False
        return
      req_fire = bool(s.mem_req.val & s.mem_req.rdy)
      resp_fire = bool(s.mem_resp.val & s.mem_resp.rdy)
      if req_fire:
        ln = s.req_len()
        s.inflight += ln
        if s.rq_off + ln == s.pass_words:
          s.rq_off, s.rq_pass = 0, s.rq_pass + 1
        else:
          s.rq_off += ln
      if resp_fire:
        s.inflight -= 1
        s.words.append(int(s.mem_resp.msg))
        s.rx += 1
        if s.wc == cfg.words_per_beat - 1:
          beat = 0
          for i, w in enumerate(s.words):
            beat |= w << (i * cfg.word_bits)
          s.ob = [s.Lane((beat >> (q * s.TI)) & ((1 << s.TI) - 1)) for q in range(cfg.Q)]
          s.ob_val, s.wc, s.words = True, 0, []
          if s.rx == s.total:
            s.busy = False
        else:
          s.wc += 1
          if s.out.rdy:
            s.ob_val = False
      elif s.out.rdy:
        s.ob_val = False

  def req_len(s):
    return min(s.cfg.burst_len, s.pass_words - s.rq_off) if s.pass_words else 0

  def reset_state(s):
    s.busy, s.ob_val, s.ob = False, False, None
    s.base = s.pass_words = s.passes = s.total = 0
    s.rq_off = s.rq_pass = s.rx = s.wc = s.inflight = 0
    s.words = []

  def line_trace(s):
    return f"{'*' if s.busy else ' '}f{s.inflight:03}{'B' if s.ob_val else ' '}"
