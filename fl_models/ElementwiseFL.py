"""ElementwiseFL: the functional element-wise unit (tellme_pymtl.fused.elementwise per beat)."""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.ifcs import RecvIfcRTL, VecRecvIfcRTL, VecSendIfcRTL


class ElementwiseFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.cmd = RecvIfcRTL(mg.mk_ew_cmd(cfg.dim_bits))
    s.a = VecRecvIfcRTL(mk_bits(16), cfg.Q)
    s.b = VecRecvIfcRTL(mk_bits(16), cfg.Q)
    s.y = VecSendIfcRTL(mk_bits(16), cfg.Q)
    s.cmd.rdy //= 1
    s.a.rdy //= 1
    s.b.rdy //= 1
    s.jobs, s.aq, s.bq, s.yq = deque(), deque(), deque(), deque()
    s.left = 0

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.aq.clear(); s.bq.clear(); s.yq.clear()
        s.left = 0
        s.y.val <<= 0
        return
      s.collect()
      if s.yq:
        s.y.val <<= 1
        for q in range(cfg.Q):
          s.y.msg[q] <<= s.yq[0][q]
      else:
        s.y.val <<= 0

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      n, ntok, mode = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), int(s.cmd.msg.mode)
      s.jobs.append([mode, ntok * -(-n // cfg.Q)])
    if s.a.val:
      s.aq.append(mg.beat_f16(s.a.msg))
    if s.b.val:
      s.bq.append(mg.beat_f16(s.b.msg))
    if s.y.val & s.y.rdy:
      s.yq.popleft()
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
