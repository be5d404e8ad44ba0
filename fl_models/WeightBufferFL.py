"""
WeightBufferFL: the functional weight buffer: beats out in the order they came in (an unbounded queue); a job
whose pass fits in one half of the buffer (tellme_pymtl.packing.fits_half) comes in once and goes out
`passes` times (weight reuse).
"""
from collections import deque

from pymtl3 import Component, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl import packing
from tellme_pymtl.flstream import sent


class WeightBufferFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.wbuf_ports(s, cfg)
    s.cmd.rdy //= 1
    s.in_.rdy //= 1
    s.jobs = deque()
    s.held = []
    s.q = deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.q.clear()
        s.held = []
        s.out.val <<= 0
        return
      if s.cmd.val:
        s.jobs.append([int(s.cmd.msg.nbeats), int(s.cmd.msg.passes), 0])    # + beats seen
      if s.in_.val:
        s.take([m.clone() for m in s.in_.msg])
      sent(s.out, s.q)
      s.out.val <<= len(s.q) > 0
      if s.q:
        for i in range(cfg.Q):
          s.out.msg[i] <<= s.q[0][i]

  def take(s, beat):
    """One beat in, for the oldest job: passed on, or held until its pass is complete and then replayed."""
    job = s.jobs[0]
    nbeats, passes = job[0], job[1]
    if packing.fits_half(s.cfg, nbeats):
      s.held.append(beat)
      if len(s.held) == nbeats:
        s.q.extend(s.held * passes)
        s.held = []
        s.jobs.popleft()
      return
    s.q.append(beat)
    job[2] += 1
    if job[2] == nbeats * passes:
      s.jobs.popleft()

  def line_trace(s):
    return f"j{len(s.jobs)} q{len(s.q):03}"
