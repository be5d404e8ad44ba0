"""
DDRModel: the off-chip memory as the accelerator sees it, usable under every level's tests (like the harness's
sources and sinks, it is test-bench code: Python, not translated).

  req   RecvIfcRTL(MemReq)          addr (word address), len (words, 1 .. burst_len)
  resp  SendIfcRTL(Bits(word_bits)) the words of each request, in request order
  wreq  RecvIfcRTL(MemWrite)        addr, data: one word written (taken every cycle; its bytes are paid from
                                    the same bandwidth credit as reads, so writes delay reads)

Timing model: a request is accepted while fewer than max_outstanding requests are in flight; each of its
words can be returned `latency` cycles after the request at the earliest, and the data bus delivers at most
`bytes_per_cycle` bytes per cycle on average (a credit counter gains bytes_per_cycle each cycle, a word costs
word_bits/8; the credit is capped at one word plus one cycle's bytes while a word is ready and at one word
otherwise, so idle time and latency cannot be saved up). Over a span of S cycles the achieved rate can exceed
the peak by at most 1/S: the first word may use one cycle of banked credit). The numbers come from
the configuration: ddr_gbps and clock_mhz (bytes per cycle), ddr_latency, burst_len, max_outstanding.
`words_sent` and `busy_cycles` measure the achieved bandwidth.
"""
from collections import deque

from pymtl3 import Component, mk_bits, mk_bitstruct, update_ff

from .ifcs import RecvIfcRTL, SendIfcRTL


class DDRError(ValueError):
  pass


def mk_mem_req():
  return mk_bitstruct("MemReq", {"addr": mk_bits(32), "len": mk_bits(8)})


def mk_mem_write(word_bits):
  return mk_bitstruct(f"MemWrite_{word_bits}", {"addr": mk_bits(32), "data": mk_bits(word_bits)})


class DDRModel(Component):

  def construct(s, cfg, image, bytes_per_cycle=None, latency=None):
    s.cfg = cfg
    s.req = RecvIfcRTL(mk_mem_req())
    s.resp = SendIfcRTL(mk_bits(cfg.word_bits))
    s.wreq = RecvIfcRTL(mk_mem_write(cfg.word_bits))
    s.image = list(image)
    s.bpc = float(cfg.ddr_bytes_per_cycle if bytes_per_cycle is None else bytes_per_cycle)
    s.lat = cfg.ddr_latency if latency is None else latency
    s.word_bytes = cfg.word_bits / 8.0
    s.Word = mk_bits(cfg.word_bits)
    s.reset_state()

    @update_ff
    def up_ddr():
      if s.reset:
        s.reset_state()
        s.req.rdy <<= 1
        s.wreq.rdy <<= 1
        s.resp.val <<= 0
        return
      s.cycle += 1
      if s.wreq.val & s.wreq.rdy:
        s.write(int(s.wreq.msg.addr), int(s.wreq.msg.data))
      if s.req.val & s.req.rdy:
        s.accept(int(s.req.msg.addr), int(s.req.msg.len))
      if s.resp.val & s.resp.rdy:
        s.words.popleft()
        s.credit -= s.word_bytes
        s.words_sent += 1
        if s.first_cycle is None:
          s.first_cycle = s.cycle
        s.last_cycle = s.cycle
      # credit accrues while a word is ready to go; otherwise at most one word is banked
      head_ready = bool(s.words) and s.words[0][0] <= s.cycle + 1
      s.credit = min(s.credit + s.bpc, s.word_bytes + s.bpc if head_ready else s.word_bytes)
      s.req.rdy <<= s.inflight() < s.cfg.max_outstanding
      ok = bool(s.words) and s.words[0][0] <= s.cycle + 1 and s.credit >= s.word_bytes
      s.resp.val <<= ok
      if ok:
        s.resp.msg <<= s.Word(s.words[0][1])

  def reset_state(s):
    s.words = deque()        # (ready cycle, data, request id)
    s.credit = 0.0
    s.cycle = 0
    s.words_sent = 0
    s.words_written = 0
    s.first_cycle = s.last_cycle = None
    s.next_id = 0

  def accept(s, addr, n):
    if not 1 <= n <= s.cfg.burst_len:
      raise DDRError(f"DDR request of {n} words: bursts are 1 .. {s.cfg.burst_len} words")
    if addr < 0 or addr + n > len(s.image):
      raise DDRError(f"DDR request [{addr}, {addr + n}) outside the {len(s.image)}-word image")
    for a in range(addr, addr + n):
      s.words.append((s.cycle + s.lat, s.image[a], s.next_id))
    s.next_id += 1

  def write(s, addr, data):
    if addr < 0:
      raise DDRError(f"DDR write to address {addr}")
    if addr >= len(s.image):
      s.image += [0] * (addr + 1 - len(s.image))
    s.image[addr] = data
    s.credit -= s.word_bytes
    s.words_written += 1

  def inflight(s):
    return len({w[2] for w in s.words})

  def utilization(s):
    """Achieved bytes per cycle over the modeled peak: the rate between the first and the last word delivered."""
    if s.words_sent < 2:
      return 0.0
    return (s.words_sent - 1) * s.word_bytes / ((s.last_cycle - s.first_cycle) * s.bpc)

  def line_trace(s):
    return f"ddr{len(s.words):03}"
