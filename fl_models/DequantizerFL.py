"""DequantizerFL: the functional dequantizer (tellme_pymtl.fused.dequantize per token)."""
from collections import deque

import numpy as np
from pymtl3 import Component, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.flstream import sent


class DequantizerFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.deq_ports(s, cfg)
    s.cmd.rdy //= 1
    s.scale.rdy //= 1
    s.acc.rdy //= 1
    s.jobs, s.scales, s.accs, s.yq = deque(), deque(), [], deque()
    s.done_tok = 0

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.scales.clear(); s.accs.clear(); s.yq.clear()
        s.done_tok = 0
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
      s.jobs.append((int(s.cmd.msg.n), int(s.cmd.msg.ntokens), np.uint32(int(s.cmd.msg.wscale)).view(np.float32)))
    if s.scale.val:
      s.scales.append(np.uint32(int(s.scale.msg)).view(np.float32))
    if s.acc.val:
      s.accs.append(mg.out_beat_values(cfg, s.acc.msg))
    sent(s.y, s.yq)
    if s.jobs and s.scales:
      n, ntok, ws = s.jobs[0]
      nb = -(-n // cfg.Q)
      if len(s.accs) >= nb:
        row = np.concatenate(s.accs[:nb])
        del s.accs[:nb]
        s.yq.extend(mg.f16_beats(cfg, fused.dequantize(row, ws, s.scales.popleft())))
        s.done_tok += 1
        if s.done_tok == ntok:
          s.jobs.popleft()
          s.done_tok = 0

  def line_trace(s):
    return f"j{len(s.jobs)} a{len(s.accs):02} y{len(s.yq):02}"
