"""
RMSMaxCL: cycle-level RMS-MAX with RMSMaxRTL's phases and timing (LOAD one beat per cycle, COMB Q-1 cycles,
MEAN 1, the rsqrt pipeline's latency, NORM one beat per Q/L cycles (cfg.rms_L lanes, chunks staged, the last
into a one-entry output register once it is free, g taken with it), AOUT), values from
tellme_pymtl.fused.rms_max.
"""
import numpy as np
from pymtl3 import Component, mk_bits, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl import fused
from tellme_pymtl import msgs as mg

IDLE, LOAD, COMB, MEAN, RSQ, NORM, AOUT = range(7)
RSQ_LATENCY = len(P.PROGRAMS["rsqrt"])


class RMSMaxCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    mg.rms_ports(s, cfg)
    s.phase, s.y_val, s.ymsg, s.amsg = IDLE, False, None, None
    s.n = s.ntok = s.tok = s.cnt = s.nb = s.c = 0
    s.NC = cfg.Q // cfg.rms_L
    s.inv_n = s.eps = None
    s.xs, s.gs = [], []

    @update
    def up_cl_comb():
      s.cmd.rdy @= s.phase == IDLE
      s.x.rdy @= s.phase == LOAD
      s.g.rdy @= (s.phase == NORM) and (not s.y_val or bool(s.y.rdy)) and s.c == s.NC - 1
      s.y.val @= s.y_val
      if s.y_val:
        for q in range(cfg.Q):
          s.y.msg[q] @= s.ymsg[q]
      s.amax.val @= s.phase == AOUT
      if s.phase == AOUT:
        s.amax.msg @= s.amsg

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.phase, s.y_val, s.c = IDLE, False, 0
        return
      ready = s.c != s.NC - 1 or not s.y_val or bool(s.y.rdy)
      chunk = s.phase == NORM and bool(s.g.val) and ready
      step = chunk and s.c == s.NC - 1            # the beat's last chunk: g taken, y loaded
      if step:
        s.gs.append(mg.beat_f16(s.g.msg))
        s.y_val, s.ymsg, s.c = True, s.ybeat(len(s.gs) - 1), 0
      elif chunk:
        s.c += 1
        if s.y.rdy:
          s.y_val = False
      elif s.y.rdy:
        s.y_val = False
      ph = s.phase
      if ph == IDLE:
        if s.cmd.val:
          c = s.cmd.msg
          s.n, s.ntok, s.tok = int(c.n), int(c.ntokens), 0
          s.inv_n = np.uint32(int(c.inv_n)).view(np.float32)
          s.eps = np.uint32(int(c.eps)).view(np.float32)
          s.nb = -(-s.n // cfg.Q)
          s.start_token()
      elif ph == LOAD:
        if s.x.val:
          s.xs.append(mg.beat_f16(s.x.msg))
          if len(s.xs) == s.nb:
            if cfg.Q == 1:
              s.phase = MEAN
            else:
              s.phase, s.cnt = COMB, cfg.Q - 1
      elif ph == COMB:
        s.cnt -= 1
        if s.cnt == 0:
          s.phase = MEAN
      elif ph == MEAN:
        s.phase, s.cnt = RSQ, RSQ_LATENCY
      elif ph == RSQ:
        s.cnt -= 1
        if s.cnt == 0:
          s.phase = NORM
      elif ph == NORM:
        if step and len(s.gs) == s.nb:
          s.phase = AOUT
      elif ph == AOUT:
        if s.amax.rdy:
          s.tok += 1
          if s.tok == s.ntok:
            s.phase = IDLE
          else:
            s.start_token()

  def start_token(s):
    s.phase, s.xs, s.gs = LOAD, [], []

  def ybeat(s, j):
    """Output beat j of the token: y needs r (all of x) and g of this beat only."""
    cfg = s.cfg
    x = np.concatenate(s.xs)[:s.n]
    g = np.zeros(s.nb * cfg.Q, dtype=np.float16)
    gin = np.concatenate(s.gs)
    g[:gin.size] = gin
    y, amax, _ = fused.rms_max(x, g[:s.n], cfg.Q, s.inv_n, s.eps)
    if j == s.nb - 1:
      s.amsg = mk_bits(16)(int(np.float16(amax).view(np.uint16)))
    return mg.f16_beats(cfg, y)[j]

  def line_trace(s):
    return f"{'ILCMRNA'[s.phase]}{'Y' if s.y_val else ' '}"
