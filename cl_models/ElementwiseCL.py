"""
ElementwiseCL: cycle-level element-wise unit: the same join of a and b, the same job control and a pipeline
of len(element-wise program) slots that advances like FPProgRTL's (all slots shift when the last is empty or
taken). Values from tellme_pymtl.fused.elementwise.
"""
import numpy as np
from pymtl3 import Component, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg



class ElementwiseCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.ew_ports(s, cfg)
    s.S = len(P.EW_PROGRAM)
    s.slots = [None] * s.S
    s.active, s.mode, s.n, s.ntok, s.tok, s.e = False, 0, 0, 0, 0, 0

    @update
    def up_cl_comb():
      adv = s.slots[-1] is None or bool(s.y.rdy)
      ub = s.mode != 0
      s.cmd.rdy @= not s.active
      s.a.rdy @= s.active and adv and (bool(s.b.val) or not ub)
      s.b.rdy @= s.active and ub and adv and bool(s.a.val)
      s.y.val @= s.slots[-1] is not None
      if s.slots[-1] is not None:
        for q in range(cfg.Q):
          s.y.msg[q] @= s.slots[-1][q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.slots = [None] * s.S
        s.active = False
        return
      adv = s.slots[-1] is None or bool(s.y.rdy)
      ub = s.mode != 0
      go = s.active and bool(s.a.val) and (bool(s.b.val) or not ub) and adv
      new = None
      if go:
        b = mg.beat_f16(s.b.msg) if ub else np.zeros(cfg.Q, dtype=np.float16)
        new = mg.f16_beats(cfg, fused.elementwise(s.mode, mg.beat_f16(s.a.msg), b))[0]
      if adv:
        s.slots = [new] + s.slots[:-1]
      if not s.active:
        if s.cmd.val:
          s.active, s.mode = True, int(s.cmd.msg.mode)
          s.n, s.ntok, s.tok, s.e = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), 0, 0
      elif go:
        if s.e + cfg.Q >= s.n:
          s.e = 0
          s.tok += 1
          if s.tok == s.ntok:
            s.active = False
        else:
          s.e += cfg.Q

  def line_trace(s):
    return "".join("v" if x is not None else "." for x in s.slots)
