"""
AttentionFL: the functional attention pair of the accelerator top: a PrefillAttentionFL on the pre_* ports and a
DecodeAttentionFL on the dec_* ports, the same ports and parameters as AttentionRTL (without aux). At this level
nothing is shared: each side runs its jobs with the golden functions as they come (the RTL's one-job-at-a-time
arbitration is timing, which FL does not model). A job whose head dimension exceeds max_hdim (the RTL's row
memories) stops with an error.

  pre_cmd, pre_q, pre_mem_req, pre_mem_resp, pre_out   the prefill unit's ports (tellme_pymtl.msgs.attn_ports)
  dec_cmd, dec_q, dec_mem_req, dec_mem_resp, dec_out   the decode unit's ports
"""
from pymtl3 import Component

from tellme_pymtl.msgs import attn_ports, connect_attn_ports
from .DecodeAttentionFL import DecodeAttentionFL
from .PrefillAttentionFL import PrefillAttentionFL


class AttentionFL(Component):

  def construct(s, cfg, npe=8, fifo_depth=1024, max_hdim=128):
    attn_ports(s, cfg, prefix="pre_")
    attn_ports(s, cfg, prefix="dec_")
    s.pre = PrefillAttentionFL(cfg, npe, max_hdim)
    s.dec = DecodeAttentionFL(cfg, fifo_depth, max_hdim)
    connect_attn_ports(s, s.pre, prefix="pre_")
    connect_attn_ports(s, s.dec, prefix="dec_")

  def line_trace(s):
    return f"{s.pre.line_trace()} | {s.dec.line_trace()}"
