"""
AttentionRTL: prefill and decode attention on one datapath. The accelerator runs one job at a time (the
sequencer issues a command per cycle and the host waits for each attention job), so the two controllers
(PrefillAttnCtrlRTL, DecodeAttnCtrlRTL) share one AttnDatapathRTL through AttnDpMuxRTL: decode drives it while
busy, prefill otherwise. A controller takes no command while the other is busy (hold), and while both are idle
only one of them can take one in a cycle (turn, alternating each cycle: a command waits a cycle at most), so
the sharing never mixes two jobs, even with commands on both sides at once. Each controller's cycles are those
of its unit alone (PrefillAttentionRTL, DecodeAttentionRTL, whose CL models time them).

  pre_cmd, pre_q, pre_mem_req, pre_mem_resp, pre_out   the prefill unit's ports (tellme_pymtl.msgs.attn_ports)
  dec_cmd, dec_q, dec_mem_req, dec_mem_resp, dec_out   the decode unit's ports
"""
from pymtl3 import Component, Wire, update, update_ff

from tellme_pymtl.msgs import attn_ports, connect_attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .AttnDatapathRTL import AttnDatapathRTL
from .AttnDpMuxRTL import AttnDpMuxRTL
from .DecodeAttnCtrlRTL import DecodeAttnCtrlRTL
from .PrefillAttnCtrlRTL import PrefillAttnCtrlRTL
from .attn_dp import OMITS, connect_dp


class AttentionRTL(Component):

  def construct(s, cfg, npe=8, fifo_depth=1024, max_hdim=128):
    Q = cfg.Q
    attn_ports(s, cfg, prefix="pre_")
    attn_ports(s, cfg, prefix="dec_")
    s.pre = PrefillAttnCtrlRTL(cfg, npe, max_hdim)
    s.dec = DecodeAttnCtrlRTL(cfg, fifo_depth, max_hdim)
    s.mux = AttnDpMuxRTL(Q)
    s.dp = AttnDatapathRTL(cfg)
    connect_attn_ports(s, s.pre, prefix="pre_")
    connect_attn_ports(s, s.dec, prefix="dec_")
    s.turn = Wire()                                  # 0: prefill may take a command, 1: decode

    @update_ff
    def up_turn():
      if s.reset:
        s.turn <<= 0
      else:
        s.turn <<= ~s.turn

    @update
    def up_hold():
      s.pre.hold @= s.dec.busy | s.turn
      s.dec.hold @= s.pre.busy | ~s.turn

    s.mux.sel //= s.dec.busy
    connect_dp(s.pre, s.mux, Q, prefix_b="p_", omit=OMITS["prefill"])
    connect_dp(s.dec, s.mux, Q, prefix_b="d_", omit=OMITS["decode"])
    connect_dp(s.mux, s.dp, Q)
    set_module_name(s, "AttentionRTL", Q=Q, w=cfg.word_bits, p=npe, f=fifo_depth, d=max_hdim)

  def line_trace(s):
    return f"{s.pre.line_trace()} {s.dec.line_trace()} {s.mux.line_trace()}"
