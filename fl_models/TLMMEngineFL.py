"""
TLMMEngineFL: the functional (untimed) TLMM engine, the bit-exact specification.

Same ports and messages as TLMMEngineRTL. It accepts every input beat as it comes (rdy is always high), and
once a token's activation blocks and weight beats are all in, computes the token's outputs with the golden
table-lookup computation (tellme_pymtl.numerics.tlmm_lookup), wraps them to the accumulator width and sends
them one output block per cycle.
"""
from collections import deque

import numpy as np
from pymtl3 import Component, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx
from tellme_pymtl.flstream import sent


class TLMMEngineFL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.types = mg.TLMMTypes(cfg)
    s.types.declare_ports(s)

    s.cmd.rdy //= 1
    s.act.rdy //= 1
    s.wgt.rdy //= 1

    s.jobs = deque()
    s.acts = deque()
    s.wgts = deque()
    s.outq = deque()
    s.ntok_done = 0

    @update_ff
    def up_fl():
      if s.reset:
        s.jobs.clear(); s.acts.clear(); s.wgts.clear(); s.outq.clear()
        s.ntok_done = 0
        s.out.val <<= 0
        return
      s.collect()
      s.compute()
      s.out.val <<= len(s.outq) > 0
      if s.outq:
        for i in range(cfg.Q):
          s.out.msg[i] <<= s.outq[0][i]

  def collect(s):
    if s.cmd.val:
      c = s.cmd.msg
      s.jobs.append((int(c.in_dim), int(c.out_dim), int(c.ntokens)))
    if s.act.val:
      s.acts.append(mg.act_beat_values(s.cfg, s.act.msg))
    if s.wgt.val:
      s.wgts.append(mg.wgt_beat_values(s.cfg, s.wgt.msg))
    sent(s.out, s.outq)

  def compute(s):
    """Compute the next token of the current job once all of its input beats have arrived."""
    if not s.jobs:
      return
    cfg = s.cfg
    in_dim, out_dim, ntok = s.jobs[0]
    nbi = cfg.pad_in(in_dim) // cfg.block_in
    nbo = cfg.pad_out(out_dim) // cfg.Q
    if len(s.acts) < nbi or len(s.wgts) < nbi * nbo:
      return
    x = np.concatenate([s.acts.popleft() for _ in range(nbi)])[None, :]
    beats = [s.wgts.popleft() for _ in range(nbi * nbo)]
    idx = np.stack(beats).reshape(nbi, nbo, cfg.Q, cfg.T).transpose(1, 0, 2, 3)
    y = nx.wrap_signed(nx.tlmm_lookup(idx, x, cfg), cfg.acc_bits)[0]
    for o in range(nbo):
      s.outq.append(mg.out_beat(s.types, y[o * cfg.Q:(o + 1) * cfg.Q]))
    s.ntok_done += 1
    if s.ntok_done == ntok:
      s.jobs.popleft()
      s.ntok_done = 0

  def line_trace(s):
    return f"j{len(s.jobs)} a{len(s.acts):02} w{len(s.wgts):03} o{len(s.outq):02}"
