"""RMSMaxFL: the functional RMS-MAX unit (tellme_pymtl.fused.rms_max per token)."""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL, VecRecvIfcRTL, VecSendIfcRTL


class RMSMaxFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.cmd = RecvIfcRTL(mg.mk_rms_cmd(cfg.dim_bits))
    s.x = VecRecvIfcRTL(mk_bits(16), cfg.Q)
    s.g = VecRecvIfcRTL(mk_bits(16), cfg.Q)
    s.y = VecSendIfcRTL(mk_bits(16), cfg.Q)
    s.amax = SendIfcRTL(mk_bits(16))
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
      if s.yq:
        s.y.val <<= 1
        for q in range(cfg.Q):
          s.y.msg[q] <<= s.yq[0][q]
      else:
        s.y.val <<= 0
      if s.aq:
        s.amax.val <<= 1
        s.amax.msg <<= s.aq[0]
      else:
        s.amax.val <<= 0

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
    if s.y.val & s.y.rdy:
      s.yq.popleft()
    if s.amax.val & s.amax.rdy:
      s.aq.popleft()
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
