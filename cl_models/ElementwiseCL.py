"""
ElementwiseCL: cycle-level element-wise unit: the same join of a and b, the same job control, the beat going
through cfg.ew_L lanes as Q/L chunks (one a cycle, a and b taken with the last), a pipeline of len(element-wise
program) slots that advances like FPProgRTL's (all slots shift when the last is empty or taken) and the output
beat register filled chunk by chunk, as ElementwiseRTL. Values from tellme_pymtl.fused.elementwise.
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
    s.L = cfg.ew_L
    s.NC = cfg.Q // s.L
    s.reset_state()

    @update
    def up_cl_comb():
      adv = s.slots[-1] is None or not s.yval or bool(s.y.rdy)
      ub = s.mode != 0
      last = s.c == s.NC - 1
      s.cmd.rdy @= not s.active
      s.a.rdy @= s.active and adv and (bool(s.b.val) or not ub) and last
      s.b.rdy @= s.active and ub and adv and bool(s.a.val) and last
      s.y.val @= s.yval
      if s.yval:
        for q in range(cfg.Q):
          s.y.msg[q] @= s.yr[q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      orr = not s.yval or bool(s.y.rdy)
      adv = s.slots[-1] is None or orr
      ub = s.mode != 0
      go = s.active and bool(s.a.val) and (bool(s.b.val) or not ub) and adv
      if s.slots[-1] is not None and orr:
        s.yr[s.oc * s.L:(s.oc + 1) * s.L] = s.slots[-1]
        if s.oc == s.NC - 1:
          s.oc, s.yval = 0, True
        else:
          s.oc += 1
          if s.y.rdy:
            s.yval = False
      elif s.y.rdy:
        s.yval = False
      new = None
      if go:
        if s.c == 0:                   # the held beat's results, once; its chunks go in one a cycle
          b = mg.beat_f16(s.b.msg) if ub else np.zeros(cfg.Q, dtype=np.float16)
          s.ybeat = mg.f16_beats(cfg, fused.elementwise(s.mode, mg.beat_f16(s.a.msg), b))[0]
        new = s.ybeat[s.c * s.L:(s.c + 1) * s.L]
      if adv:
        s.slots = [new] + s.slots[:-1]
      if not s.active:
        if s.cmd.val:
          s.active, s.mode = True, int(s.cmd.msg.mode)
          s.n, s.ntok, s.tok, s.e, s.c = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), 0, 0, 0
      elif go and s.c != s.NC - 1:
        s.c += 1
      elif go:
        s.c = 0
        if s.e + cfg.Q >= s.n:
          s.e = 0
          s.tok += 1
          if s.tok == s.ntok:
            s.active = False
        else:
          s.e += cfg.Q

  def reset_state(s):
    s.slots = [None] * s.S
    s.active, s.mode, s.n, s.ntok, s.tok, s.e, s.c = False, 0, 0, 0, 0, 0, 0
    s.oc, s.yval, s.yr, s.ybeat = 0, False, [None] * s.cfg.Q, None

  def line_trace(s):
    return f"{s.c}" + "".join("v" if x is not None else "." for x in s.slots) + ("Y" if s.yval else " ")
