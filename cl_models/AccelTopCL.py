"""
AccelTopCL: the whole accelerator at cycle level: the same ports, instruction set and parameters as AccelTopRTL
(tellme_pymtl.top), the units' CL models in place of their RTL, and the top's own pieces transcribed to Python
with their RTL's timing, so that a program takes the RTL top's cycles.

  instr  RecvIfcRTL(Bits64)     the host's instructions, HOST_BITS at a time
  out    SendIfcRTL(Word)       words read back (the host-out stream engine)

Structure (AccelTopRTL's; the pieces below are Python state, the units are components):
  instruction port   TopInstrInRTL: HOST_BITS words assembled into an instruction, a two-entry queue (no bypass)
  sequencer          TopSeqRTL: a RUN is taken when its unit takes the command and its engines can queue their
                     descriptors, all in one cycle; after a RUN with wait, nothing is taken until every engine
                     is idle (and in the cycle they are, it can be); WBANK and WDDR are taken at once
  stream engines     DmaAddrRTL, one per unit port (tellme_pymtl.top.ENGINES): a two-entry bypass queue of
                     descriptors, the walk base + k*s2 + j*s1 + i, one word a cycle when the port moves
  banks              AsyncRAMRTL: one read port each (the address of the last active source naming the bank),
                     written at the clock edge (a host WBANK wins over a sink's word; past the depth: dropped)
  DDR                tellme_pymtl.ddr.DDRModel (DDRMemRTL's timing, tested in lockstep with it); requests from
                     the weight path, else decode, else prefill attention; responses to the unit that took the
                     last command of the three; host WDDR loads written straight into its image (free)
  units              RMSMaxCL, QuantizerCL, WeightPathCL, DequantizerCL, ElementwiseCL, KVWriterCL, AttentionCL
                     (aux): RMS-MAX and the dequantizer take no command while attention or the other is busy,
                     and attention none while either is (in the RTL they share its lanes and multipliers)
"""
from collections import deque

from pymtl3 import Component, Wire, mk_bits, update, update_ff

from tellme_pymtl.ddr import DDRModel
from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.top import (ADDR_BITS, ENGINES, HOST_BITS, NBANKS, OP_RUN, OP_WBANK, OP_WDDR, SOURCES, UNITS,
                              TopISA)
from tellme_pymtl.topwire import ddr_mux, wire_commands, wire_streams
from . import DequantizerCL as DQ
from . import RMSMaxCL as RM
from .AttentionCL import AttentionCL
from .ElementwiseCL import ElementwiseCL
from .KVWriterCL import KVWriterCL
from .QuantizerCL import QuantizerCL
from .WeightPathCL import WeightPathCL

AMASK = (1 << ADDR_BITS) - 1


class Engine:
  """DmaAddrRTL's state: the descriptor queue (bypass, 2 entries) and the walk."""

  def __init__(s, qdepth=2):
    s.qdepth = qdepth
    s.q = deque()
    s.active = False
    s.bank = s.addr = 0
    s.d = None
    s.i = s.j = s.k = s.row = s.blk = 0

  def rdy(s):
    return len(s.q) < s.qdepth

  def idle(s):
    return not s.active and not s.q

  def tick(s, desc, adv):
    """One clock edge: desc (a descriptor tuple arriving this cycle, or None), adv (the port moved a word)."""
    if not s.active:
      if s.q or desc is not None:
        if s.q:
          d = s.q.popleft()
          if desc is not None:
            s.q.append(desc)
        else:
          d = desc
        s.d = d
        s.bank = d[0]
        s.i = s.j = s.k = 0
        s.row = s.blk = d[1]
        s.active = True
    else:
      if desc is not None:
        s.q.append(desc)
      if adv:
        bank, base, ln, r1, s1, r2, s2 = s.d
        if s.i + 1 < ln:
          s.i += 1
        else:
          s.i = 0
          if s.j + 1 < r1:
            s.j += 1
            s.row = (s.row + s1) & AMASK
          else:
            s.j = 0
            if s.k + 1 < r2:
              s.k += 1
              s.blk = (s.blk + s2) & AMASK
              s.row = s.blk
            else:
              s.active = False
    s.addr = (s.row + s.i) & AMASK


class AccelTopCL(Component):

  def construct(s, cfg, bank_depth=1024, ddr_depth=4096, npe=8, fifo_depth=1024, max_hdim=128):
    isa = s.isa = TopISA(cfg)
    NU, NE, NS = len(UNITS), len(ENGINES), len(SOURCES)
    s.bank_depth = bank_depth
    s.instr = RecvIfcRTL(mk_bits(HOST_BITS))
    s.out = SendIfcRTL(isa.Word)

    s.rms = RM.RMSMaxCL(cfg)
    s.quant = QuantizerCL(cfg)
    s.wp = WeightPathCL(cfg)
    s.deq = DQ.DequantizerCL(cfg)
    s.ew = ElementwiseCL(cfg)
    s.kvw = KVWriterCL(cfg, max_hdim)
    s.attn = AttentionCL(cfg, npe, fifo_depth, max_hdim, aux=True)
    s.ddr = DDRModel(cfg, [0] * ddr_depth)

    # commands, streams and the DDR: AccelTopRTL's wiring (tellme_pymtl.topwire), driven by Python state
    wire_commands(s, cfg, isa.CB)
    s.go = Wire()
    s.rms_busy = Wire()
    s.deq_busy = Wire()
    s.iu = {u: UNITS.index(u) for u in ("rms", "deq")}
    wire_streams(s, isa)
    ddr_mux(s)
    s.Word, s.CBits = isa.Word, mk_bits(isa.CB)
    s.ddr_amask = (1 << max(1, (ddr_depth - 1).bit_length())) - 1
    s.reset_state()

    @update
    def up_cl_xbusy():
      s.attn.xbusy @= s.rms_busy | s.deq_busy

    @update
    def up_cl_state_out():
      # Python state only (it changes at the clock edge): the source words, the sinks' rdy, the busy units
      raddr = [0] * NBANKS
      for e in range(NS):
        g = s.engs[e]
        if g.active and g.bank < NBANKS:
          raddr[g.bank] = g.addr
      for e in range(NS):
        g = s.engs[e]
        s.sval[e] @= g.active
        if g.bank < NBANKS and raddr[g.bank] < bank_depth:
          s.sdata[e] @= s.Word(s.banks[g.bank][raddr[g.bank]])
        else:
          s.sdata[e] @= 0
      for j in range(NE - NS):
        s.krdy[j] @= s.engs[NS + j].active
      s.rms_busy @= s.rms.phase != RM.IDLE
      s.deq_busy @= s.deq.phase != DQ.IDLE
      s.instr.rdy @= (s.cnt != isa.K - 1) or len(s.iq) < 2

    @update
    def up_cl_seq():
      s.go @= 0
      s.cmd_bits @= 0
      for u in range(NU):
        s.cmd_val[u] @= 0
      if s.iq:
        op, unit, wait, cmdv, slots, raw = s.iq[0]
        free = not s.waiting or all(g.idle() for g in s.engs)
        ok = True
        if op == OP_RUN:
          if unit:
            ok = bool(s.cmd_rdy[unit - 1])
            if unit - 1 in (s.iu["rms"], s.iu["deq"]):
              ok = ok and not s.attn.busy               # attention on the lanes: hold
              if unit - 1 == s.iu["rms"]:
                ok = ok and not s.deq_busy              # the dequantizer on the UPD multipliers
              else:
                ok = ok and not s.rms_busy
          for e, _ in slots:
            ok = ok and s.engs[e].rdy()
        if free and ok:
          s.go @= 1
          if op == OP_RUN:
            s.cmd_bits @= s.CBits(cmdv)
            if unit:
              s.cmd_val[unit - 1] @= 1

    @update_ff
    def up_cl_top():
      if s.reset:
        s.reset_state()
        return
      s.tick()

  def unit_port(s, u, p):
    """Unit u's port p (the attention units' are AttentionCL's dec_* and pre_*)."""
    if u in ("dec", "pre"):
      return getattr(s.attn, f"{u}_{p}")
    return getattr(getattr(s, u), p)

  def reset_state(s):
    s.banks = [[0] * s.bank_depth for _ in range(NBANKS)]
    s.engs = [Engine() for _ in ENGINES]
    s.cnt, s.parts, s.iq = 0, [], deque()
    s.waiting = False

  def decode(s, v):
    """An instruction's fields: (op, unit, wait, command bits, [(engine index, descriptor tuple)], raw)."""
    isa = s.isa
    op, unit, wait = v & 3, (v >> 3) & 0xF, (v >> 2) & 1
    cmdv = (v >> isa.CMD) & ((1 << isa.CB) - 1)
    return op, unit, wait, cmdv, isa.run_slots(v) if op == OP_RUN else [], v

  def tick(s):
    """The clock edge of the top's Python state, from this cycle's handshakes."""
    isa = s.isa
    NS = len(SOURCES)
    # sequencer: the instruction taken this cycle (decided in up_cl_seq)
    all_idle = all(g.idle() for g in s.engs)
    descs, hw = {}, None
    if s.go:
      op, unit, wait, cmdv, slots, v = s.iq.popleft()
      if op == OP_RUN:
        s.waiting = bool(wait)
        descs = dict(slots)
      elif op == OP_WBANK:
        hw = ((v >> 2) & 0xF, (v >> 6) & AMASK, (v >> (6 + ADDR_BITS)) & ((1 << isa.W) - 1))
      elif op == OP_WDDR:
        addr, data = (v >> 2) & s.ddr_amask, (v >> 34) & ((1 << s.ddr.cfg.word_bits) - 1)
        if addr < len(s.ddr.image):
          s.ddr.image[addr] = data
    elif all_idle:
      s.waiting = False
    # sink words into their banks, then a host write (it wins)
    for j in range(len(s.engs) - NS):
      g = s.engs[NS + j]
      if g.active and s.ready[NS + j] and g.bank < NBANKS and g.addr < s.bank_depth:
        s.banks[g.bank][g.addr] = int(s.kdata[j])
    if hw is not None:
      b, a, w = hw
      if b < NBANKS and a < s.bank_depth:
        s.banks[b][a] = w
    # the engines
    for e, g in enumerate(s.engs):
      g.tick(descs.get(e), g.active and bool(s.ready[e]))
    # the instruction port
    if s.instr.val & s.instr.rdy:
      if s.cnt == isa.K - 1:
        v = sum(w << (HOST_BITS * j) for j, w in enumerate(s.parts + [int(s.instr.msg)]))
        s.iq.append(s.decode(v))
        s.cnt, s.parts = 0, []
      else:
        s.parts.append(int(s.instr.msg))
        s.cnt += 1

  def line_trace(s):
    busy = "".join(u[0] if not int(s.unit_port(u, "cmd").rdy) else "." for u in UNITS)
    return f"{'W' if s.waiting else '-'}{busy}"
