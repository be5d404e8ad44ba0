"""
TLMMEngineRTL: the table-lookup ternary matmul engine, composed structurally.

Ports (tellme_pymtl/msgs.py has the beat layouts)
  cmd  RecvIfcRTL(TLMMCmd)                  in_dim, out_dim, ntokens
  act  VecRecvIfcRTL(Bits(G*act_bits), T)   one input block: msg[t] = the G activations of table t
  wgt  VecRecvIfcRTL(Bits(T*idx_bits), Q)   one weight beat: msg[q] = lane q's T indices
  out  VecSendIfcRTL(Bits(acc_bits), Q)     one output block: msg[q] = row o*Q+q

Structure
  ctrl        TLMMCtrlRTL: command, builder and compute loops, handshakes
  tables[T]   TLMMTableRTL: double-buffered 3^G-entry tables with their entry builders (LUT-RAM)
  lanes[Q]    TLMMLaneRTL: T lookups -> adder tree -> register -> accumulate
  accbuf[Q]   SyncRAMRTL: one partial-sum word per output block (block RAM)

Rate: Q lanes x T lookups (Q*T*G ternary MACs) every cycle once a block's table is built. The table build
costs 3^G = 27 cycles per input block, hidden behind the previous block's compute when there are at least
27 output blocks; the first block of a job always pays it.
"""
from pymtl3 import Component

from tellme_pymtl.msgs import TLMMTypes
from tellme_pymtl.verilog_names import set_module_name
from .SyncRAMRTL import SyncRAMRTL
from .TLMMCtrlRTL import TLMMCtrlRTL
from .TLMMLaneRTL import TLMMLaneRTL
from .TLMMTableRTL import TLMMTableRTL


class TLMMEngineRTL(Component):

  def construct(s, cfg):
    G, T, Q, AB = cfg.G, cfg.T, cfg.Q, cfg.act_bits
    s.cfg = cfg
    TLMMTypes(cfg).declare_ports(s)

    s.ctrl = TLMMCtrlRTL(cfg)
    s.tables = [TLMMTableRTL(cfg) for _ in range(T)]
    s.lanes = [TLMMLaneRTL(cfg) for _ in range(Q)]
    s.accbuf = [SyncRAMRTL(cfg.acc_bits, cfg.acc_depth) for _ in range(Q)]

    # Handshakes
    s.ctrl.cmd //= s.cmd
    s.ctrl.act_val //= s.act.val
    s.act.rdy //= s.ctrl.act_rdy
    s.ctrl.wgt_val //= s.wgt.val
    s.wgt.rdy //= s.ctrl.wgt_rdy
    s.out.val //= s.ctrl.out_val
    s.ctrl.out_rdy //= s.out.rdy

    # Tables: builder inputs from the activation beat, writes and bank select from the controller
    for t in range(T):
      tb = s.tables[t]
      for j in range(G):
        tb.acts[j] //= s.act.msg[t][j * AB:(j + 1) * AB]
        tb.wdig[j] //= s.ctrl.tbl_wdig[j]
      tb.wen //= s.ctrl.tbl_wen
      tb.wbank //= s.ctrl.tbl_wbank
      tb.waddr //= s.ctrl.tbl_waddr
      tb.rbank //= s.ctrl.tbl_rbank

    # Lanes: each reads every table at its own indices; partial sums go through its accumulator buffer
    for q in range(Q):
      ln = s.lanes[q]
      ln.idx //= s.wgt.msg[q]
      for t in range(T):
        s.tables[t].raddr[q] //= ln.raddr[t]
        ln.rdata[t] //= s.tables[t].rdata[q]
      ln.en //= s.ctrl.lane_en
      ln.first //= s.ctrl.acc_first
      ab = s.accbuf[q]
      ab.ren //= s.ctrl.acc_ren
      ab.raddr //= s.ctrl.acc_raddr
      ab.wen //= s.ctrl.acc_wen
      ab.waddr //= s.ctrl.acc_waddr
      ab.wdata //= ln.acc_out
      ln.acc_in //= ab.rdata
      s.out.msg[q] //= ln.acc_out

    set_module_name(s, "TLMMEngineRTL", G=G, T=T, Q=Q, a=AB, e=cfg.entry_bits, c=cfg.acc_bits,
                    d=cfg.acc_depth, w=cfg.dim_bits)

  def line_trace(s):
    return f"{s.ctrl.line_trace()} {s.lanes[0].line_trace():>7}"
