"""
PrefillAttentionRTL: causal prefill attention as a unit of its own: its controller (PrefillAttnCtrlRTL, where the
schedule is described) and an attention datapath (AttnDatapathRTL) of its own. In the accelerator top the
controller shares one datapath with decode attention instead (AttentionRTL).

Ports (tellme_pymtl.msgs.attn_ports): cmd, q, mem_req, mem_resp, out, as PrefillAttnCtrlRTL.
"""
from pymtl3 import Component

from tellme_pymtl.msgs import attn_ports, connect_attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .AttnDatapathRTL import AttnDatapathRTL
from .PrefillAttnCtrlRTL import PrefillAttnCtrlRTL
from .attn_dp import OMITS, connect_dp, tie_aux


class PrefillAttentionRTL(Component):

  def construct(s, cfg, npe=8, max_hdim=128):
    attn_ports(s, cfg)
    s.ctrl = PrefillAttnCtrlRTL(cfg, npe, max_hdim)
    s.dp = AttnDatapathRTL(cfg)
    connect_attn_ports(s, s.ctrl)
    s.ctrl.hold //= 0
    connect_dp(s.ctrl, s.dp, cfg.Q, omit=OMITS["prefill"])
    tie_aux(s.dp, cfg.Q)
    s.dp.dp_exp_fifo //= 0
    s.dp.dp_exp_s //= 0
    set_module_name(s, "PrefillAttentionRTL", Q=cfg.Q, w=cfg.word_bits, p=npe, d=max_hdim)

  def line_trace(s):
    return s.ctrl.line_trace()
