"""
DequantizerCL: cycle-level dequantizer, the same phases and timing as DequantizerRTL (scale, 26-cycle divider,
each beat as Q/L chunks through cfg.deq_L lanes, one a cycle, staged, into the output beat register with the
last chunk once it is free, the accumulator beat taken then), values from tellme_pymtl.fused.
"""
import numpy as np
from pymtl3 import Component, mk_bits, update, update_ff

from tellme_pymtl import fp, fused
from tellme_pymtl import msgs as mg

IDLE, WAITS, DIV, STREAM = range(4)
DIV_CYCLES = 26


class DequantizerCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.deq_ports(s, cfg)
    s.L = cfg.deq_L
    s.NC = cfg.Q // s.L
    s.phase, s.y_val, s.c, s.ybeat = IDLE, False, 0, None
    s.ymsg = [mk_bits(16)(0) for _ in range(cfg.Q)]
    s.cf, s.wscale, s.n, s.ntok, s.tok, s.e, s.div_cnt = None, None, 0, 0, 0, 0, 0

    @update
    def up_cl_comb():
      s.cmd.rdy @= s.phase == IDLE
      s.scale.rdy @= s.phase == WAITS
      s.acc.rdy @= (s.phase == STREAM) and (not s.y_val or bool(s.y.rdy)) and (s.c == s.NC - 1)
      s.y.val @= s.y_val
      if s.y_val:
        for q in range(cfg.Q):
          s.y.msg[q] @= s.ymsg[q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.phase, s.y_val, s.c = IDLE, False, 0
        return
      free = not s.y_val or bool(s.y.rdy)
      go = s.phase == STREAM and bool(s.acc.val) and (free or s.c != s.NC - 1)
      take = go and s.c == s.NC - 1
      if go:
        if s.c == 0:                   # the held beat's results, once; its chunks go in one a cycle
          acc = mg.out_beat_values(cfg, s.acc.msg)
          y = fp.f32_to_f16(fp.mul(fp.int_to_f32(acc), s.cf))
          s.ybeat = [mk_bits(16)(int(v)) for v in np.asarray(y).view(np.uint16)]
        if take:                       # the staged chunks and the last into the output register
          s.ymsg = list(s.ybeat)
          s.c, s.y_val = 0, True
        else:
          s.c += 1
          if s.y.rdy:
            s.y_val = False
      elif s.y.rdy:
        s.y_val = False
      if s.phase == IDLE:
        if s.cmd.val:
          s.n, s.ntok, s.tok = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), 0
          s.wscale = np.uint32(int(s.cmd.msg.wscale)).view(np.float32)
          s.phase = WAITS
      elif s.phase == WAITS:
        if s.scale.val:
          s.cf = fused.deq_factor(s.wscale, np.uint32(int(s.scale.msg)).view(np.float32))
          s.div_cnt, s.phase = DIV_CYCLES + 1, DIV
      elif s.phase == DIV:
        s.div_cnt -= 1
        if s.div_cnt == 0:
          s.e, s.phase = 0, STREAM
      elif s.phase == STREAM and take:
        s.e += cfg.Q
        if s.e >= s.n:
          s.tok += 1
          s.phase = IDLE if s.tok == s.ntok else WAITS

  def line_trace(s):
    return f"{'IWDS'[s.phase]}{'Y' if s.y_val else ' '}"
