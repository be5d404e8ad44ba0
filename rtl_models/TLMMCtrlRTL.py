"""
TLMMCtrlRTL: the TLMM engine's control: command, table builder, compute loop, and output handshake.

Cycle behaviour (cl_models/TLMMEngineCL.py mirrors it exactly; its `tlmm_cycles` is the closed schedule):
- cmd is accepted when idle; the job runs ntokens x ceil(in_dim / G*T) input blocks, each against
  ceil(out_dim / Q) output blocks, in the order token -> input block -> output block.
- Builder: while an activation beat is valid and the bank it targets is free, one table entry per cycle is
  written into all T tables (3^G cycles per block, entry order 0 .. 3^G-1); the beat is consumed (act.rdy) in
  the cycle its last entry is written and the bank is marked full from the next cycle.
- Compute (stage X): a weight beat is consumed when the bank being read is full and stage A can take the
  result; all Q lanes do T lookups and their adder trees; the accumulator buffer read for the same output
  block is issued. The bank is freed by the last output block's beat, so the builder refills it the next
  cycle while compute moves to the other bank: with >= 3^G output blocks per input block the build is
  fully hidden and weight beats are consumed every cycle with no bubble.
- Stage A: acc = (first input block ? 0 : buffer) + lane sum; written back, or on the last input block
  sent on `out` (stage A holds while out is not ready, which stalls stage X).
- A block's buffer entry is read again no sooner than 3^G cycles after it was written, so no forwarding.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff, zext
from pymtl3.stdlib.stream.ifcs import RecvIfcRTL

from tellme_pymtl.msgs import mk_tlmm_cmd
from tellme_pymtl.verilog_names import set_module_name


class TLMMCtrlRTL(Component):

  def construct(s, cfg):
    G, Q, IB, NE, KS = cfg.G, cfg.Q, cfg.idx_bits, cfg.n_entries, cfg.block_in
    DB = cfg.dim_bits
    AW = max(1, (cfg.acc_depth - 1).bit_length())
    KB = DB + 1             # element counters: one bit more than a dimension
    BD, BK, BA = mk_bits(DB), mk_bits(KB), mk_bits(AW)

    # Handshakes
    s.cmd = RecvIfcRTL(mk_tlmm_cmd(DB))
    s.act_val = InPort()
    s.act_rdy = OutPort()
    s.wgt_val = InPort()
    s.wgt_rdy = OutPort()
    s.out_val = OutPort()
    s.out_rdy = InPort()

    # Datapath control
    s.tbl_wen = OutPort()
    s.tbl_wbank = OutPort()
    s.tbl_waddr = OutPort(mk_bits(IB))
    s.tbl_wdig = [OutPort(mk_bits(2)) for _ in range(G)]
    s.tbl_rbank = OutPort()
    s.lane_en = OutPort()
    s.acc_first = OutPort()
    s.acc_ren = OutPort()
    s.acc_raddr = OutPort(BA)
    s.acc_wen = OutPort()
    s.acc_waddr = OutPort(BA)

    # Job registers
    s.busy = Wire()
    s.in_dim = Wire(BK)      # zero-extended: compared with the element counters
    s.out_dim = Wire(BK)
    s.ntok = Wire(BD)
    # Builder state
    s.b_k = Wire(BK)         # first element of the block being built
    s.b_tok = Wire(BD)
    s.b_e = Wire(mk_bits(IB))
    s.b_dig = [Wire(mk_bits(2)) for _ in range(G)]
    s.b_carry = [Wire() for _ in range(G)]   # carry into digit G-1-i of the base-3 entry counter
    s.b_bank = Wire()
    s.full = [Wire() for _ in range(2)]
    # Compute state
    s.c_k = Wire(BK)
    s.c_tok = Wire(BD)
    s.c_o = Wire(BK)         # first row of the output block
    s.c_oi = Wire(BA)        # output block number (accumulator buffer address)
    s.c_bank = Wire()
    # Stage A
    s.a_val = Wire()
    s.a_first = Wire()
    s.a_last = Wire()
    s.a_addr = Wire(BA)

    # Combinational control
    s.b_more = Wire()
    s.build = Wire()
    s.b_last_e = Wire()
    s.b_k_last = Wire()
    s.c_more = Wire()
    s.c_fire = Wire()
    s.c_o_last = Wire()
    s.c_k_last = Wire()
    s.a_adv = Wire()
    s.done = Wire()

    @update
    def up_ctrl():
      s.b_more @= s.busy & (s.b_tok != s.ntok)
      s.build @= s.b_more & ~s.full[s.b_bank] & s.act_val
      s.b_last_e @= s.b_e == NE - 1
      s.b_carry[0] @= 1
      for i in range(G - 1):
        s.b_carry[i + 1] @= s.b_carry[i] & (s.b_dig[G - 1 - i] == 2)
      s.b_k_last @= (s.b_k + KS) >= s.in_dim
      s.c_more @= s.busy & (s.c_tok != s.ntok)
      s.a_adv @= s.a_val & (~s.a_last | s.out_rdy)
      s.c_fire @= s.c_more & s.full[s.c_bank] & (~s.a_val | s.a_adv) & s.wgt_val
      s.c_o_last @= (s.c_o + Q) >= s.out_dim
      s.c_k_last @= (s.c_k + KS) >= s.in_dim
      s.done @= s.a_adv & s.a_last & (s.c_tok == s.ntok)

    @update
    def up_outputs():
      s.cmd.rdy @= ~s.busy
      s.act_rdy @= s.build & s.b_last_e
      s.wgt_rdy @= s.c_more & s.full[s.c_bank] & (~s.a_val | s.a_adv)
      s.out_val @= s.a_val & s.a_last
      s.tbl_wen @= s.build
      s.tbl_wbank @= s.b_bank
      s.tbl_waddr @= s.b_e
      for j in range(G):
        s.tbl_wdig[j] @= s.b_dig[j]
      s.tbl_rbank @= s.c_bank
      s.lane_en @= s.c_fire
      s.acc_first @= s.a_first
      s.acc_ren @= s.c_fire
      s.acc_raddr @= s.c_oi
      s.acc_wen @= s.a_val & ~s.a_last
      s.acc_waddr @= s.a_addr

    @update_ff
    def up_job():
      if s.reset:
        s.busy <<= 0
      elif s.cmd.val & ~s.busy:
        s.busy <<= 1
        s.in_dim <<= zext(s.cmd.msg.in_dim, KB)
        s.out_dim <<= zext(s.cmd.msg.out_dim, KB)
        s.ntok <<= s.cmd.msg.ntokens
      elif s.done:
        s.busy <<= 0

    @update_ff
    def up_builder():
      if s.reset | (s.cmd.val & ~s.busy):
        s.b_k <<= 0
        s.b_tok <<= 0
        s.b_e <<= 0
        s.b_bank <<= 0
        for j in range(G):
          s.b_dig[j] <<= 0
      elif s.build:
        if s.b_last_e:
          s.b_e <<= 0
          for j in range(G):
            s.b_dig[j] <<= 0
          s.b_bank <<= ~s.b_bank
          if s.b_k_last:
            s.b_k <<= 0
            s.b_tok <<= s.b_tok + 1
          else:
            s.b_k <<= s.b_k + KS
        else:
          s.b_e <<= s.b_e + 1
          # base-3 increment, last digit fastest
          for i in range(G):
            if s.b_carry[i]:
              if s.b_dig[G - 1 - i] == 2:
                s.b_dig[G - 1 - i] <<= 0
              else:
                s.b_dig[G - 1 - i] <<= s.b_dig[G - 1 - i] + 1

    @update_ff
    def up_banks():
      for b in range(2):
        if s.reset:
          s.full[b] <<= 0
        elif s.build & s.b_last_e & (s.b_bank == b):
          s.full[b] <<= 1
        elif s.c_fire & s.c_o_last & (s.c_bank == b):
          s.full[b] <<= 0

    @update_ff
    def up_compute():
      if s.reset | (s.cmd.val & ~s.busy):
        s.c_k <<= 0
        s.c_tok <<= 0
        s.c_o <<= 0
        s.c_oi <<= 0
        s.c_bank <<= 0
      elif s.c_fire:
        if s.c_o_last:
          s.c_o <<= 0
          s.c_oi <<= 0
          s.c_bank <<= ~s.c_bank
          if s.c_k_last:
            s.c_k <<= 0
            s.c_tok <<= s.c_tok + 1
          else:
            s.c_k <<= s.c_k + KS
        else:
          s.c_o <<= s.c_o + Q
          s.c_oi <<= s.c_oi + 1

    @update_ff
    def up_stage_a():
      if s.reset:
        s.a_val <<= 0
      elif s.c_fire:
        s.a_val <<= 1
        s.a_first <<= s.c_k == 0
        s.a_last <<= s.c_k_last
        s.a_addr <<= s.c_oi
      elif s.a_adv:
        s.a_val <<= 0

    set_module_name(s, "TLMMCtrlRTL", G=G, T=cfg.T, Q=Q, d=cfg.acc_depth, w=DB)

  def line_trace(s):
    b = f"b{int(s.b_e):02}" if s.build else "   "
    c = f"o{int(s.c_oi):03}" if s.c_fire else "    "
    a = ("A>" if s.a_last else "A ") if s.a_val else "  "
    return f"{'*' if s.busy else ' '}{b}|{int(s.full[0])}{int(s.full[1])}|{c}|{a}"
