"""
TLMMEngineCL: the cycle-level TLMM engine.

Same ports and messages as TLMMEngineRTL and the same cycle behaviour (rtl_models/TLMMCtrlRTL.py describes
it): command, a builder that writes one table entry per cycle into one of two banks, a compute stage that takes
one weight beat per cycle when the bank it reads is full, and an accumulate stage that writes back or sends.
The control state is Python integers; the datapath is the golden numerics (numpy) applied per block and per
beat, so a cycle costs a few Python operations instead of a gate-level evaluation.

`tlmm_cycles` is the same schedule in closed (recurrence) form for sources that are always valid and a sink
that is always ready: the performance model uses it for whole layers and models without simulating.
"""
import numpy as np
from pymtl3 import Component, update, update_ff

from tellme_pymtl import msgs as mg
from tellme_pymtl import numerics as nx


def tlmm_schedule(cfg, in_dim, out_dim, ntokens):
  """Cycle schedule of one job with no source or sink stalls, counted from the cycle the command is accepted
  (cycle 0). Returns a dict: `cycles` (the cycle the last output block is sent), `build_exposed` (cycles the
  compute stage waited for a table build), `compute` (weight beats = busy compute cycles)."""
  NE = cfg.n_entries
  NB = cfg.pad_in(in_dim) // cfg.block_in
  NO = cfg.pad_out(out_dim) // cfg.Q
  B = ntokens * NB
  eb_prev = 1          # the builder may write its first entry the cycle after the command is accepted
  lc = []              # last compute fire of each block
  exposed = 0
  for i in range(B):
    sb = eb_prev if i == 0 else max(eb_prev, lc[i - 2] + 1 if i >= 2 else 0)
    eb = sb + NE      # bank full (visible) from this cycle
    fc = eb if i == 0 else max(eb, lc[i - 1] + 1)
    exposed += fc - (lc[i - 1] + 1 if i else 1)
    lc.append(fc + NO - 1)
    eb_prev = eb
  return {"cycles": lc[-1] + 1, "build_exposed": exposed, "compute": B * NO}


def tlmm_cycles(cfg, in_dim, out_dim, ntokens):
  return tlmm_schedule(cfg, in_dim, out_dim, ntokens)["cycles"]


class TLMMEngineCL(Component):

  def construct(s, cfg):
    s.cfg = cfg
    s.types = mg.TLMMTypes(cfg)
    s.types.declare_ports(s)

    NE, KS, Q = cfg.n_entries, cfg.block_in, cfg.Q
    s.reset_state()

    @update
    def up_cl_comb():
      busy = s.busy
      build = busy and s.b_tok != s.ntok and not s.full[s.b_bank] and bool(s.act.val)
      s.build = build
      s.cmd.rdy @= not busy
      s.act.rdy @= build and s.b_e == NE - 1
      a_adv = s.a_val and (not s.a_last or bool(s.out.rdy))
      s.a_adv = a_adv
      wrdy = busy and s.c_tok != s.ntok and s.full[s.c_bank] and (not s.a_val or a_adv)
      s.wgt.rdy @= wrdy
      s.out.val @= s.a_val and s.a_last
      if s.a_val and s.a_last:
        for q in range(Q):
          s.out.msg[q] @= s.a_msg[q]

    @update_ff
    def up_cl_seq():
      if s.reset:
        s.reset_state()
        return
      c_fire = bool(s.wgt.val & s.wgt.rdy)
      if s.cmd.val & s.cmd.rdy:
        s.start(s.cmd.msg)
        return
      # builder: one entry per cycle; the whole table is computed when the beat is taken
      if s.build:
        if s.b_e == NE - 1:
          s.tables[s.b_bank] = nx.build_table(mg.act_beat_values(cfg, s.act.msg).reshape(cfg.T, cfg.G))
          s.full[s.b_bank] = True
          s.b_bank ^= 1
          s.b_e = 0
          if s.b_k + KS >= s.in_dim:
            s.b_k, s.b_tok = 0, s.b_tok + 1
          else:
            s.b_k += KS
        else:
          s.b_e += 1
      # accumulate (stage A): write back, or the output block leaves; the last one ends the job
      if s.a_adv:
        if not s.a_last:
          s.accbuf[s.a_addr] = s.a_acc
        elif s.c_tok == s.ntok:
          s.busy = False
      # compute (stage X) -> stage A
      if c_fire:
        first, last = s.c_k == 0, s.c_k + KS >= s.in_dim
        psum = s.lookup(s.tables[s.c_bank], mg.wgt_beat_values(cfg, s.wgt.msg))
        acc = psum if first else s.accbuf[s.c_o] + psum
        s.a_val, s.a_last, s.a_addr = True, last, s.c_o
        s.a_acc = nx.wrap_signed(acc, cfg.acc_bits)
        s.a_msg = mg.out_beat(s.types, s.a_acc) if last else None
        if s.c_o + 1 >= s.nbo:
          s.full[s.c_bank] = False
          s.c_bank ^= 1
          s.c_o = 0
          if last:
            s.c_k, s.c_tok = 0, s.c_tok + 1
          else:
            s.c_k += KS
        else:
          s.c_o += 1
      elif s.a_adv:
        s.a_val = False

  def reset_state(s):
    s.busy = False
    s.in_dim = s.ntok = s.nbo = 0
    s.b_k = s.b_tok = s.b_e = s.b_bank = 0
    s.c_k = s.c_tok = s.c_o = s.c_bank = 0
    s.full = [False, False]
    s.tables = [None, None]
    s.accbuf = {}
    s.a_val = s.a_last = False
    s.a_addr = 0
    s.a_acc = s.a_msg = None
    s.build = s.a_adv = False

  def start(s, cmd):
    s.busy = True
    s.in_dim = int(cmd.in_dim)
    s.nbo = s.cfg.pad_out(int(cmd.out_dim)) // s.cfg.Q
    s.ntok = int(cmd.ntokens)
    s.b_k = s.b_tok = s.b_e = s.b_bank = 0
    s.c_k = s.c_tok = s.c_o = s.c_bank = 0

  def lookup(s, table, idx):
    """Lane sums of one weight beat: psum[q] = sum_t table[t, idx[q, t]]."""
    return table[np.arange(s.cfg.T)[None, :], idx].sum(axis=1)

  def line_trace(s):
    b = f"b{s.b_e:02}" if s.build else "   "
    a = ("A>" if s.a_last else "A ") if s.a_val else "  "
    return f"{'*' if s.busy else ' '}{b}|{int(s.full[0])}{int(s.full[1])}|o{s.c_o:03}|{a}"
