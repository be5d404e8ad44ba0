"""
TopSeqRTL: the accelerator top's sequencer (the instruction set is tellme_pymtl.top's).

  instr     RecvIfcRTL(Instr)        from the host
  cmd_*     per unit: val, rdy and the shared command bits (each unit takes its command's low bits)
  desc_*    per stream engine: val, rdy, the descriptor
  eng_idle  per stream engine
  hw_*      a scratchpad word write (WBANK)
  ddr_hw    SendIfcRTL(MemWrite): a DDR word write (WDDR)

A RUN instruction is taken when the engines it names can queue their descriptors and its unit can take its
command: everything is issued in that one cycle. After a RUN with `wait`, the next instruction waits until
every engine is idle; in the cycle they are, it can be taken.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl.ddr import mk_mem_write
from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.top import ADDR_BITS, ENGINES, NSLOT, OP_RUN, OP_WBANK, OP_WDDR, UNITS, TopISA
from tellme_pymtl.verilog_names import set_module_name


class TopSeqRTL(Component):

  def construct(s, cfg):
    isa = TopISA(cfg)
    NU, NE = len(UNITS), len(ENGINES)
    EB, CMD, CB, S0, SB, DB = isa.EB, isa.CMD, isa.CB, isa.SLOT0, isa.SLOTB, isa.DB
    s.instr = RecvIfcRTL(isa.Instr)
    s.cmd_val = [OutPort() for _ in range(NU)]
    s.cmd_rdy = [InPort() for _ in range(NU)]
    s.cmd_bits = OutPort(mk_bits(CB))
    s.desc_val = [OutPort() for _ in range(NE)]
    s.desc_rdy = [InPort() for _ in range(NE)]
    s.desc_msg = [OutPort(mk_bits(DB)) for _ in range(NE)]
    s.eng_idle = [InPort() for _ in range(NE)]
    s.hw_en = OutPort()
    s.hw_bank = OutPort(mk_bits(4))
    s.hw_addr = OutPort(mk_bits(ADDR_BITS))
    s.hw_data = OutPort(isa.Word)
    s.ddr_hw = SendIfcRTL(mk_mem_write(cfg.word_bits))

    s.waiting = Wire()
    s.all_idle = Wire()
    s.free = Wire()
    s.ok = Wire()
    s.go = Wire()
    s.op = Wire(mk_bits(2))
    s.unit = Wire(mk_bits(4))
    s.slot_eng = [Wire(mk_bits(EB)) for _ in range(NSLOT)]
    s.slot_desc = [Wire(mk_bits(DB)) for _ in range(NSLOT)]

    s.op //= s.instr.msg[0:2]
    s.unit //= s.instr.msg[3:CMD]
    s.cmd_bits //= s.instr.msg[CMD:CMD + CB]
    for k in range(NSLOT):
      s.slot_eng[k] //= s.instr.msg[S0 + k * SB:S0 + k * SB + EB]
      s.slot_desc[k] //= s.instr.msg[S0 + k * SB + EB:S0 + (k + 1) * SB]
    s.hw_bank //= s.instr.msg[2:6]
    s.hw_addr //= s.instr.msg[6:6 + ADDR_BITS]
    s.hw_data //= s.instr.msg[6 + ADDR_BITS:6 + ADDR_BITS + isa.W]
    s.ddr_hw.msg.addr //= s.instr.msg[2:34]
    s.ddr_hw.msg.data //= s.instr.msg[34:34 + cfg.word_bits]

    @update
    def up_issue():
      s.all_idle @= 1
      for e in range(NE):
        s.all_idle @= s.all_idle & s.eng_idle[e]
      s.free @= ~s.waiting | s.all_idle
      s.ok @= 1
      if s.op == OP_RUN:
        for u in range(NU):
          if s.unit == u + 1:
            s.ok @= s.ok & s.cmd_rdy[u]
        for k in range(NSLOT):
          for e in range(NE):
            if s.slot_eng[k] == e + 1:
              s.ok @= s.ok & s.desc_rdy[e]
      s.instr.rdy @= s.free & s.ok
      s.go @= s.instr.val & s.free & s.ok
      for u in range(NU):
        s.cmd_val[u] @= s.go & (s.op == OP_RUN) & (s.unit == u + 1)
      for e in range(NE):
        s.desc_val[e] @= 0
        s.desc_msg[e] @= 0
        for k in range(NSLOT):
          if s.slot_eng[k] == e + 1:
            s.desc_val[e] @= s.go & (s.op == OP_RUN)
            s.desc_msg[e] @= s.slot_desc[k]
      s.hw_en @= s.go & (s.op == OP_WBANK)
      s.ddr_hw.val @= s.go & (s.op == OP_WDDR)

    @update_ff
    def up_wait():
      if s.reset:
        s.waiting <<= 0
      elif s.go & (s.op == OP_RUN):
        s.waiting <<= s.instr.msg[2]
      elif s.all_idle:
        s.waiting <<= 0

    set_module_name(s, "TopSeqRTL", k=cfg.digest())

  def line_trace(s):
    return "W" if s.waiting else "-"
