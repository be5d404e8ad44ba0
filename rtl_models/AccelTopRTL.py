"""
AccelTopRTL: the whole accelerator in one design: every unit, the DDR memory, the scratchpad banks, one stream
engine per unit port and the sequencer (instruction set, bank allocation and the host's compiler:
tellme_pymtl.top).

  instr  RecvIfcRTL(Bits64)     the host's instructions, HOST_BITS at a time (TopInstrInRTL assembles them)
  out    SendIfcRTL(Word)       words read back (the host-out stream engine)

Structure:
  attn (AttentionRTL): the decode and prefill attention units (dec, pre) on one datapath, whose DOT lanes also
         run RMS-MAX's sum of squares and whose UPD multipliers RMS-MAX's x * r and the dequantizer's lanes (rms and
         deq are RMSMaxCtrlRTL and DequantizerCtrlRTL: the units without lanes of their own; none of the three
         runs while another does)
  seq (TopSeqRTL) --cmd--> units;  --desc--> eng[e] (DmaAddrRTL), one per entry of tellme_pymtl.top.ENGINES
  eng[e] of a source: its bank's combinational read port -> the unit's input port (val = active)
  eng[e] of a sink:   the unit's output port -> its bank's write port (rdy = active)
  banks (AsyncRAMRTL, NBANKS): one read and one write port each; the compiler never points two streams of one
         job at one port (a bank's read address is that of the active source naming it)
  ddr (DDRMemRTL): read requests from the weight path and the attention units (the unit that took the last
         command owns the responses), writes from the KV writer, the host's WDDR loads
"""
from pymtl3 import Component, Wire, connect, mk_bits, update
from pymtl3.passes.backends.verilog import VerilogVerilatorImportPass

from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.top import ADDR_BITS, HOST_BITS, ENGINES, NBANKS, SOURCES, UNITS, TopISA, field_slices, mk_desc
from tellme_pymtl.topwire import ddr_mux, wire_commands, wire_streams
from tellme_pymtl.verilog_names import set_module_name
from .AsyncRAMRTL import AsyncRAMRTL
from .AttentionRTL import AttentionRTL
from .DDRMemRTL import DDRMemRTL
from .DequantizerCtrlRTL import DequantizerCtrlRTL
from .DmaAddrRTL import DmaAddrRTL
from .ElementwiseRTL import ElementwiseRTL
from .KVWriterRTL import KVWriterRTL
from .QuantizerRTL import QuantizerRTL
from .RMSMaxCtrlRTL import RMSMaxCtrlRTL
from .TopInstrInRTL import TopInstrInRTL
from .TopSeqRTL import TopSeqRTL
from .WeightPathRTL import WeightPathRTL

CXX_FAST = "-O2 " + " ".join("-f" + f for f in (
  "guess-branch-probability", "reorder-blocks", "if-conversion", "if-conversion2", "dce", "dse", "tree-ccp",
  "tree-ch", "tree-coalesce-vars", "tree-copy-prop", "tree-dce", "tree-dominator-opts", "tree-dse", "tree-fre",
  "tree-pta", "tree-sink", "tree-sra", "tree-ter", "tree-reassoc", "forward-propagate", "cprop-registers",
  "move-loop-invariants", "omit-frame-pointer", "inline-functions-called-once", "split-wide-types",
  "tree-bit-ccp", "tree-slsr", "tree-scev-cprop", "tree-phiprop", "ipa-pure-const", "ipa-reference",
  "combine-stack-adjustments", "auto-inc-dec"))


class AccelTopRTL(Component):

  def construct(s, cfg, bank_depth=1024, ddr_depth=4096, npe=8, fifo_depth=1024, max_hdim=128):
    isa = TopISA(cfg)
    W = isa.W
    NE, NS = len(ENGINES), len(SOURCES)
    NK = NE - NS
    BW = max(1, (bank_depth - 1).bit_length())
    s.instr = RecvIfcRTL(mk_bits(HOST_BITS))
    s.out = SendIfcRTL(isa.Word)

    s.rms = RMSMaxCtrlRTL(cfg)
    s.quant = QuantizerRTL(cfg)
    s.wp = WeightPathRTL(cfg)
    s.deq = DequantizerCtrlRTL(cfg)
    s.ew = ElementwiseRTL(cfg)
    s.kvw = KVWriterRTL(cfg, max_hdim)
    # dec and pre on one datapath; rms and deq on its lanes
    s.attn = AttentionRTL(cfg, npe, fifo_depth, max_hdim, aux=True)
    s.ddr = DDRMemRTL(cfg, ddr_depth)
    s.banks = [AsyncRAMRTL(W, bank_depth) for _ in range(NBANKS)]
    s.eng = [DmaAddrRTL(2) for _ in range(NE)]
    s.seq = TopSeqRTL(cfg)
    for q in range(cfg.Q):
      s.attn.rms_dot_a[q] //= s.rms.dot_a[q]
      s.attn.rms_dot_s[q] //= s.rms.dot_s[q]
      s.rms.dot_out[q] //= s.attn.rms_dot_out[q]
      if q < cfg.rms_L:
        s.attn.rms_xr_x[q] //= s.rms.xr_x[q]
        s.rms.xr_out[q] //= s.attn.rms_xr_out[q]
      else:
        s.attn.rms_xr_x[q] //= 0
      if q < cfg.deq_L:
        s.attn.deq_o[q] //= s.deq.mul_a[q]
        s.deq.mul_y[q] //= s.attn.deq_fin[q]
      else:
        s.attn.deq_o[q] //= 0
    s.attn.deq_a //= s.deq.mul_b
    s.attn.rms_xr_r //= s.rms.xr_r
    s.attn.rms_busy //= s.rms.busy
    s.attn.deq_busy //= s.deq.busy
    s.rms.hold //= lambda: s.attn.busy | s.deq.busy        # RMS-MAX's x * r and the dequantizer: both on the
    s.deq.hold //= lambda: s.attn.busy | s.rms.busy        # UPD multipliers

    # commands: each unit's command fields from the sequencer's command bits
    s.inq = TopInstrInRTL(cfg)
    s.instr //= s.inq.in_
    s.inq.out //= s.seq.instr
    wire_commands(s, cfg, isa.CB)
    for u in range(len(UNITS)):
      s.cmd_val[u] //= s.seq.cmd_val[u]
      s.seq.cmd_rdy[u] //= s.cmd_rdy[u]
    s.cmd_bits //= s.seq.cmd_bits
    # descriptors
    for e in range(NE):
      s.eng[e].desc.val //= s.seq.desc_val[e]
      s.seq.desc_rdy[e] //= s.eng[e].desc.rdy
      for name, (lo, hi) in field_slices(mk_desc()).items():
        connect(getattr(s.eng[e].desc.msg, name), s.seq.desc_msg[e][lo:hi])
      s.seq.eng_idle[e] //= s.eng[e].idle

    # streams between the banks and the unit ports
    s.rdata = [Wire(isa.Word) for _ in range(16)]
    for b in range(16):
      if b < NBANKS:
        s.rdata[b] //= s.banks[b].rdata
      else:
        s.rdata[b] //= 0
    wire_streams(s, isa)
    for e in range(NS):
      s.sval[e] //= s.eng[e].active
    for j in range(NK):
      s.krdy[j] //= s.eng[NS + j].active
    s.adv = [Wire() for _ in range(NE)]
    for e in range(NE):
      s.eng[e].adv //= s.adv[e]

    @update
    def up_streams():
      for e in range(NE):
        s.adv[e] @= s.eng[e].active & s.ready[e]
      for e in range(NS):
        s.sdata[e] @= s.rdata[s.eng[e].bank]

    # a host write past the banks' depth is dropped
    s.hw_in_range = Wire()
    if BW < ADDR_BITS:
      @update
      def up_hw_range():
        s.hw_in_range @= s.seq.hw_addr[BW:ADDR_BITS] == 0
    else:
      s.hw_in_range //= 1

    @update
    def up_banks():
      for b in range(NBANKS):
        s.banks[b].raddr @= 0
        for e in range(NS):
          if s.eng[e].active & (s.eng[e].bank == b):
            s.banks[b].raddr @= s.eng[e].addr[0:BW]
        s.banks[b].wen @= 0
        s.banks[b].waddr @= 0
        s.banks[b].wdata @= 0
        for j in range(NK):
          if s.adv[NS + j] & (s.eng[NS + j].bank == b):
            s.banks[b].wen @= 1
            s.banks[b].waddr @= s.eng[NS + j].addr[0:BW]
            s.banks[b].wdata @= s.kdata[j]
        if s.seq.hw_en & (s.seq.hw_bank == b) & s.hw_in_range:
          s.banks[b].wen @= 1
          s.banks[b].waddr @= s.seq.hw_addr[0:BW]
          s.banks[b].wdata @= s.seq.hw_data

    # the DDR: requests from whichever unit asks, responses to the unit that took the last command
    s.ddr.hw //= s.seq.ddr_hw
    ddr_mux(s)

    # the one big imported design of the project: its C++ is worth optimizing (pymtl3 compiles at -O0 with a list
    # of -fno-... flags; later flags win)
    s.set_metadata(VerilogVerilatorImportPass.c_flags, CXX_FAST)
    set_module_name(s, "AccelTopRTL", k=cfg.digest(), b=bank_depth, d=ddr_depth, n=npe, f=fifo_depth, h=max_hdim)

  def unit_port(s, u, p):
    """Unit u's port p (the attention units' are AttentionRTL's dec_* and pre_*)."""
    if u in ("dec", "pre"):
      return getattr(s.attn, f"{u}_{p}")
    return getattr(getattr(s, u), p)

  def line_trace(s):
    busy = "".join(u[0] if not int(s.unit_port(u, "cmd").rdy) else "." for u in UNITS)
    return f"{s.seq.line_trace()}{busy}"
