"""
TLMMTableRTL: one lookup table of the TLMM engine, double-buffered, with its entry builder.

Ports
  acts[G]   (act_bits)  the G activations of this table's group in the current input block
  wen, wbank, waddr     write entry `waddr` of bank `wbank` (one entry per cycle)
  wdig[G]   (2 bits)    base-3 digits of `waddr` (digit d means weight d-1), from the controller's counter
  rbank, raddr[Q]       Q combinational read ports (one per output lane) into bank `rbank`
  rdata[Q]  (entry_bits)

Entry e = sum_j (d_j(e) - 1) * acts[j] (tellme_pymtl.numerics.build_table). The two banks let the next input
block's table be built while the lanes read the current one. Storage is 2 x 2^idx_bits entries of entry_bits
with one write port and Q asynchronous read ports: distributed LUT-RAM on an FPGA.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, update_ff, zext

from tellme_pymtl.verilog_names import set_module_name
from .AdderTreeRTL import AdderTreeRTL


class TLMMTableRTL(Component):

  def construct(s, cfg):
    G, Q, AB, EB, IB = cfg.G, cfg.Q, cfg.act_bits, cfg.entry_bits, cfg.idx_bits
    BE = mk_bits(EB)

    s.acts = [InPort(mk_bits(AB)) for _ in range(G)]
    s.wen = InPort()
    s.wbank = InPort()
    s.waddr = InPort(mk_bits(IB))
    s.wdig = [InPort(mk_bits(2)) for _ in range(G)]
    s.rbank = InPort()
    s.raddr = [InPort(mk_bits(IB)) for _ in range(Q)]
    s.rdata = [OutPort(BE) for _ in range(Q)]

    # Entry builder: one signed term per activation (-a, 0 or +a), summed by a small adder tree.
    s.term = [Wire(BE) for _ in range(G)]
    # sign extension as (zext(a) ^ S) - S (see AdderTreeRTL: sext() of a loop-indexed element mistranslates)
    SGN = BE(1 << (AB - 1))
    s.wsum = AdderTreeRTL(EB, EB, G)
    for j in range(G):
      s.wsum.in_[j] //= s.term[j]

    @update
    def up_terms():
      for j in range(G):
        if s.wdig[j] == 0:
          s.term[j] @= SGN - (zext(s.acts[j], EB) ^ SGN)
        elif s.wdig[j] == 2:
          s.term[j] @= (zext(s.acts[j], EB) ^ SGN) - SGN
        else:
          s.term[j] @= 0

    # Storage: address = {bank, entry}.
    s.mem = [Wire(BE) for _ in range(2 << IB)]

    @update_ff
    def up_write():
      if s.wen:
        s.mem[concat(s.wbank, s.waddr)] <<= s.wsum.out

    @update
    def up_read():
      for q in range(Q):
        s.rdata[q] @= s.mem[concat(s.rbank, s.raddr[q])]

    set_module_name(s, "TLMMTableRTL", G=G, Q=Q, a=AB, e=EB)

  def line_trace(s):
    return f"w{int(s.wbank)}:{int(s.waddr):02}" if s.wen else "  .  "
