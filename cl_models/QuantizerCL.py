"""
QuantizerCL: the cycle-level quantizer. Same ports and the same cycle behaviour as QuantizerRTL (its phases
LOAD, DIV, SCALE, QUANT, DRAIN and the 26-cycle divider), with Python state and the golden
tellme_pymtl.fused.quantize for the values.
"""
import numpy as np
from pymtl3 import Component, mk_bits, update, update_ff

from tellme_pymtl import fused
from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx

IDLE, LOAD, DIV, SCALE, QUANT, DRAIN = range(6)
DIV_CYCLES = 26


def quant_cycles(cfg, n):
  """Cycles of one token from its first x beat to its last act beat, with no stalls: LOAD ceil(n/Q), divider
  26 + 1, SCALE 1, QUANT (G*T/Lq per block), DRAIN 1."""
  nb = -(-n // cfg.Q)
  nblk = cfg.pad_in(n) // cfg.block_in
  return nb + (DIV_CYCLES + 1) + 1 + nblk * (cfg.block_in // cfg.q_lanes) + 1


class QuantizerCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.ty = mg.TLMMTypes(cfg)
    mg.quant_ports(s, cfg)
    s.nch = cfg.block_in // cfg.q_lanes
    s.reset_state()

    @update
    def up_cl_comb():
      s.cmd.rdy @= s.phase == IDLE
      s.x.rdy @= s.phase == LOAD
      s.scale.val @= s.phase == SCALE
      if s.phase == SCALE:
        s.scale.msg @= s.sbits
      s.act.val @= s.blk_val
      if s.blk_val:
        for t in range(cfg.T):
          s.act.msg[t] @= s.blk_msg[t]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      ph = s.phase
      if ph == IDLE:
        if s.cmd.val:
          s.n, s.ntok, s.tok = int(s.cmd.msg.n), int(s.cmd.msg.ntokens), 0
          s.start_token()
      elif ph == LOAD:
        if s.x.val:
          s.beats.append([int(v) for v in s.x.msg])
          if len(s.beats) * cfg.Q >= s.n:
            s.phase, s.div_cnt = DIV, DIV_CYCLES + 1
      elif ph == DIV:
        s.div_cnt -= 1
        if s.div_cnt == 0:
          x = mg.f16_from_beats(cfg, s.beats, s.n)
          q, sc = fused.quantize(x, cfg.act_bits)
          s.sbits = mk_bits(32)(int(np.float32(sc).view(np.uint32)))
          s.blocks = [mg.act_beat(s.ty, b) for b in nx.act_blocks(q[None, :], cfg)[0]]
          s.phase = SCALE
      elif ph == SCALE:
        if s.scale.rdy:
          s.phase, s.pos, s.blk = QUANT, 0, 0
      elif ph == QUANT:
        if not s.blk_val or s.act.rdy:
          if s.pos == s.nch - 1:
            s.pos = 0
            s.blk_val, s.blk_msg = True, s.blocks[s.blk]
            s.blk += 1
            if s.blk == len(s.blocks):
              s.phase = DRAIN
          else:
            s.pos += 1
            s.blk_val = False
      elif ph == DRAIN:
        if s.act.rdy:
          s.blk_val = False
          s.tok += 1
          if s.tok == s.ntok:
            s.phase = IDLE
          else:
            s.start_token()

  def reset_state(s):
    s.phase, s.n, s.ntok, s.tok = IDLE, 0, 0, 0
    s.beats, s.blocks = [], []
    s.div_cnt = s.pos = s.blk = 0
    s.blk_val, s.blk_msg, s.sbits = False, None, None

  def start_token(s):
    s.phase, s.beats = LOAD, []

  def line_trace(s):
    return f"{'ILDSQR'[s.phase]}{s.pos:02}{'B' if s.blk_val else ' '}"
