"""
TLMMLaneRTL: one output lane of the TLMM engine (one row of W per output block).

Ports
  idx      (T*idx_bits)  this lane's T weight indices of the current weight beat; index t at bits [t*I, (t+1)*I)
  raddr[T] (idx_bits)    lookup addresses into the T tables
  rdata[T] (entry_bits)  the T looked-up entries
  en                     load the pipeline register with this cycle's lane sum
  first                  stage A holds the first input block of a token: start from zero
  acc_in   (acc_bits)    partial sum of this row read from the accumulator buffer
  acc_out  (acc_bits)    (first ? 0 : acc_in) + psum, psum being the registered sum of T lookups

Stage X (the weight beat's cycle): T lookups and a log2(T)-deep adder tree, registered. Stage A: one accumulate.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, sext, update, update_ff

from tellme_pymtl.verilog_names import set_module_name
from .AdderTreeRTL import AdderTreeRTL


class TLMMLaneRTL(Component):

  def construct(s, cfg):
    T, IB, EB, PB, CB = cfg.T, cfg.idx_bits, cfg.entry_bits, cfg.psum_bits, cfg.acc_bits

    s.idx = InPort(mk_bits(T * IB))
    s.raddr = [OutPort(mk_bits(IB)) for _ in range(T)]
    s.rdata = [InPort(mk_bits(EB)) for _ in range(T)]
    s.en = InPort()
    s.psum = Wire(mk_bits(PB))
    s.first = InPort()
    s.acc_in = InPort(mk_bits(CB))
    s.acc_out = OutPort(mk_bits(CB))

    for t in range(T):
      s.raddr[t] //= s.idx[t * IB:(t + 1) * IB]

    s.tree = AdderTreeRTL(EB, PB, T)
    for t in range(T):
      s.tree.in_[t] //= s.rdata[t]

    @update_ff
    def up_psum():
      if s.reset:
        s.psum <<= 0
      elif s.en:
        s.psum <<= s.tree.out

    @update
    def up_acc():
      if s.first:
        s.acc_out @= sext(s.psum, CB)
      else:
        s.acc_out @= s.acc_in + sext(s.psum, CB)

    set_module_name(s, "TLMMLaneRTL", T=T, e=EB, c=CB)

  def line_trace(s):
    return f"{s.psum.int():+d}"
