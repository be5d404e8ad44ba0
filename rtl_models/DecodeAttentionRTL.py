"""
DecodeAttentionRTL: decode attention as a unit of its own: its controller (DecodeAttnCtrlRTL, where the two
passes are described) and an attention datapath (AttnDatapathRTL) of its own. In the accelerator top the
controller shares one datapath with prefill attention instead (AttentionRTL).

Ports (tellme_pymtl.msgs.attn_ports): cmd, q, mem_req, mem_resp, out, as DecodeAttnCtrlRTL.
"""
from pymtl3 import Component

from tellme_pymtl.msgs import attn_ports, connect_attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .AttnDatapathRTL import AttnDatapathRTL
from .DecodeAttnCtrlRTL import DecodeAttnCtrlRTL
from .attn_dp import OMITS, connect_dp, tie_aux


class DecodeAttentionRTL(Component):

  def construct(s, cfg, fifo_depth=1024, max_hdim=128):
    attn_ports(s, cfg)
    s.ctrl = DecodeAttnCtrlRTL(cfg, fifo_depth, max_hdim)
    s.dp = AttnDatapathRTL(cfg)
    connect_attn_ports(s, s.ctrl)
    s.ctrl.hold //= 0
    connect_dp(s.ctrl, s.dp, cfg.Q, omit=OMITS["decode"])
    tie_aux(s.dp, cfg.Q)
    set_module_name(s, "DecodeAttentionRTL", Q=cfg.Q, w=cfg.word_bits, f=fifo_depth, d=max_hdim)

  def line_trace(s):
    return s.ctrl.line_trace()
