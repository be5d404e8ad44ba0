"""ElementwiseFL: the functional element-wise unit (tellme_pymtl.fused.elementwise per beat)."""
from collections import deque

import numpy as np
from pymtl3 import Component, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.flstream import sent


class ElementwiseFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.ew_ports(s, cfg)
    s.cmd.rdy //= 1
    s.a.rdy //= 1
    s.b.rdy //= 1
    s.jobs, s.aq, s.bq, s.yq = deque(), deque(), deque(), deque()

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.aq.clear(); s.bq.clear(); s.yq.clear()
        s.y.val <<= 0
        return
      s.collect()
      s.y.val <<= len(s.yq) > 0
      if s.yq:
        for i in range(cfg.Q):
          s.y.msg[i] <<= s.yq[0][i]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      n, ntok, mode = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), int(s.cmd.msg.mode)
      s.jobs.append([mode, ntok * -(-n // cfg.Q)])
    if s.a.val:
      s.aq.append(mg.beat_f16(s.a.msg))
    if s.b.val:
      s.bq.append(mg.beat_f16(s.b.msg))
    sent(s.y, s.yq)
    while s.jobs and s.aq:
      mode = s.jobs[0][0]
      if mode != 0 and not s.bq:
        break
      b = s.bq.popleft() if mode != 0 else np.zeros(cfg.Q, dtype=np.float16)
      s.yq.extend(mg.f16_beats(cfg, fused.elementwise(mode, s.aq.popleft(), b)))
      s.jobs[0][1] -= 1
      if s.jobs[0][1] == 0:
        s.jobs.popleft()

  def line_trace(s):
    return f"j{len(s.jobs)} a{len(s.aq):02} b{len(s.bq):02} y{len(s.yq):02}"
