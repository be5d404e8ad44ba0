"""
QuantizerFL: the functional quantizer (tellme_pymtl.fused.quantize per token). Same ports as QuantizerRTL;
it takes every beat as it comes and, once a token's vector is in, sends its scale and its activation blocks.
"""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx
from tellme_pymtl.flstream import sent


class QuantizerFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.ty = mg.TLMMTypes(cfg)
    mg.quant_ports(s, cfg)
    s.cmd.rdy //= 1
    s.x.rdy //= 1
    s.jobs, s.beats, s.scq, s.actq = deque(), [], deque(), deque()
    s.done_tok = 0

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.beats.clear(); s.scq.clear(); s.actq.clear()
        s.done_tok = 0
        s.scale.val <<= 0
        s.act.val <<= 0
        return
      s.collect()
      s.scale.val <<= len(s.scq) > 0
      if s.scq:
        s.scale.msg <<= s.scq[0]
      s.act.val <<= len(s.actq) > 0
      if s.actq:
        for i in range(cfg.T):
          s.act.msg[i] <<= s.actq[0][i]

  def collect(s):
    cfg = s.cfg
    if s.cmd.val:
      s.jobs.append((int(s.cmd.msg.n), int(s.cmd.msg.ntokens)))
    if s.x.val:
      s.beats.append([int(v) for v in s.x.msg])
    sent(s.scale, s.scq)
    sent(s.act, s.actq)
    if s.jobs:
      n, ntok = s.jobs[0]
      nb = -(-n // cfg.Q)
      if len(s.beats) >= nb:
        x = mg.f16_from_beats(cfg, s.beats[:nb], n)
        del s.beats[:nb]
        q, sc = fused.quantize(x, cfg.act_bits)
        s.scq.append(mk_bits(32)(int(np.float32(sc).view(np.uint32))))
        for blk in nx.act_blocks(q[None, :], cfg)[0]:
          s.actq.append(mg.act_beat(s.ty, blk))
        s.done_tok += 1
        if s.done_tok == ntok:
          s.jobs.popleft()
          s.done_tok = 0

  def line_trace(s):
    return f"j{len(s.jobs)} b{len(s.beats):03} s{len(s.scq)} a{len(s.actq):02}"
