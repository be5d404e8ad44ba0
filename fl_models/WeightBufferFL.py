"""WeightBufferFL: the functional weight buffer: beats out in the order they came in (an unbounded queue)."""
from collections import deque

from pymtl3 import Component, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl.flstream import sent


class WeightBufferFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.wbuf_ports(s, cfg)
    s.cmd.rdy //= 1
    s.in_.rdy //= 1
    s.q = deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.q.clear()
        s.out.val <<= 0
        return
      if s.in_.val:
        s.q.append([m.clone() for m in s.in_.msg])
      sent(s.out, s.q)
      s.out.val <<= len(s.q) > 0
      if s.q:
        for i in range(cfg.Q):
          s.out.msg[i] <<= s.q[0][i]

  def line_trace(s):
    return f"q{len(s.q):03}"
