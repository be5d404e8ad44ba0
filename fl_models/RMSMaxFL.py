"""RMSMaxFL: the functional RMS-MAX unit (tellme_pymtl.fused.rms_max per token)."""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.flstream import sent


class RMSMaxFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.rms_ports(s, cfg)
    s.cmd.rdy //= 1
    s.x.rdy //= 1
    s.g.rdy //= 1
    s.jobs, s.xs, s.gs, s.yq, s.aq = deque(), [], [], deque(), deque()
    s.done_tok = 0

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.xs.clear(); s.gs.clear(); s.yq.clear(); s.aq.clear()
        s.done_tok = 0
        s.y.val <<= 0
        s.amax.val <<= 0
        return
      s.collect()
      s.y.val <<= len(s.yq) > 0
      if s.yq:
        for i in range(cfg.Q):
          s.y.msg[i] <<= s.yq[0][i]
      s.amax.val <<= len(s.aq) > 0
      if s.aq:
        s.amax.msg <<= s.aq[0]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      c = s.cmd.msg
      s.jobs.append((int(c.n), int(c.ntokens), np.uint32(int(c.inv_n)).view(np.float32),
                     np.uint32(int(c.eps)).view(np.float32)))
    if s.x.val:
      s.xs.append(mg.beat_f16(s.x.msg))
    if s.g.val:
      s.gs.append(mg.beat_f16(s.g.msg))
    sent(s.y, s.yq)
    sent(s.amax, s.aq)
    if s.jobs:
      n, ntok, inv_n, eps = s.jobs[0]
      nb = -(-n // cfg.Q)
      if len(s.xs) >= nb and len(s.gs) >= nb:
        x = np.concatenate(s.xs[:nb])[:n]
        g = np.concatenate(s.gs[:nb])[:n]
        del s.xs[:nb], s.gs[:nb]
        y, amax, _ = fused.rms_max(x, g, cfg.Q, inv_n, eps)
        s.yq.extend(mg.f16_beats(cfg, y))
        s.aq.append(mk_bits(16)(int(np.float16(amax).view(np.uint16))))
        s.done_tok += 1
        if s.done_tok == ntok:
          s.jobs.popleft()
          s.done_tok = 0

  def line_trace(s):
    return f"j{len(s.jobs)} x{len(s.xs):02} g{len(s.gs):02} y{len(s.yq):02}"
