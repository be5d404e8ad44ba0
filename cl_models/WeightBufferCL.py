"""
WeightBufferCL: cycle-level weight buffer with WeightBufferRTL's ping-pong behaviour (a half fills while it is
not full; each beat is readable once written, the reader following the writer within a half; registered read
into the output; a job that fits in one half is written once and read `passes` times), the beats kept in
Python lists per half.
"""
from pymtl3 import Component, update, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl import packing


class WeightBufferCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.H = cfg.wbuf_half_beats
    mg.wbuf_ports(s, cfg)
    s.reset_state()

    @update
    def up_cl_comb():
      s.cmd.rdy @= not s.busy
      s.in_.rdy @= s.busy and not s.full[s.wh] and s.wc != s.wtotal
      s.out.val @= s.out_val
      if s.out_val:
        for q in range(cfg.Q):
          s.out.msg[q] @= s.ob[q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      ren = (s.full[s.rh] or (s.rh == s.wh and s.ri < len(s.half[s.wh]))) and (not s.out_val or bool(s.out.rdy))
      wen = bool(s.in_.val) and s.busy and not s.full[s.wh] and s.wc != s.wtotal
      if ren:
        s.out_val, s.ob = True, s.half[s.rh][s.ri]
      elif s.out.rdy:
        s.out_val = False
      if not s.busy:
        if s.cmd.val:
          nb, npass = int(s.cmd.msg.nbeats), int(s.cmd.msg.passes)
          s.busy, s.total, s.npass, s.pc = True, nb * npass, npass, 0
          s.rep = packing.fits_half(cfg, nb)
          s.wtotal = nb if s.rep else nb * npass
          s.wc = s.rc = s.wh = s.rh = s.ri = 0
          s.half = [[], []]
        return
      if wen:
        s.half[s.wh].append([m.clone() for m in s.in_.msg])
        s.wc += 1
        if len(s.half[s.wh]) == s.H or s.wc == s.wtotal:
          s.full[s.wh] = True
          s.wh ^= 1
      if ren:
        s.rc += 1
        s.ri += 1
        end = s.full[s.rh] and s.ri == len(s.half[s.rh])
        if end and s.rep and s.pc + 1 != s.npass:
          s.pc += 1
          s.ri = 0
        elif end:
          s.full[s.rh] = False
          s.half[s.rh] = []
          s.rh ^= 1
          s.ri = 0
        if s.rc == s.total:
          s.busy = False

  def reset_state(s):
    s.busy, s.out_val, s.ob = False, False, None
    s.total = s.wtotal = s.wc = s.rc = s.wh = s.rh = s.ri = s.npass = s.pc = 0
    s.rep = False
    s.full = [False, False]
    s.half = [[], []]

  def line_trace(s):
    return f"{'*' if s.busy else ' '}{int(s.full[0])}{int(s.full[1])}{'B' if s.out_val else ' '}"
