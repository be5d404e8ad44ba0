"""
AttnDpMuxRTL: two attention controllers on one AttnDatapathRTL. The operands come from the prefill controller's
fields (p_*) or, when sel (decode is busy), from the decode controller's (d_*); the results go to both (each
controller acts on them only while it is busy). Fields: rtl_models.attn_dp; prefill's omitted operands are 0.

  p_*   the prefill controller's fields (less OMITS["prefill"]), datapath side
  d_*   the decode controller's fields (less OMITS["decode"]), datapath side
  dp_*  to the datapath, controller side
  sel   InPort   1: decode drives the datapath
  x_sel, x_dot_a[Q], x_dot_s[Q], x_dot_out[Q], x_upd_v[Q], x_upd_a, x_prod[Q]   another user of the DOT lanes
        and the UPD multipliers (RMS-MAX's sum of squares and x * r in the accelerator top): while x_sel,
        dot_a = dot_b = x_dot_a, dot_s = x_dot_s, upd_o = upd_v = x_upd_v, upd_a = upd_p = x_upd_a, so that
        x_prod = upd_prod = fp32(x_upd_v) * x_upd_a whether or not x_upd_a is 1.0
  y_sel, y_upd_o[Q], y_upd_a, y_fin[Q]   another user of the UPD multipliers, with binary32 operands (the
        dequantizer's fp16(fp32(acc) * c)): upd_w = y_upd_o, upd_wsel = y_sel, and while y_sel upd_a = upd_p =
        y_upd_a, so that y_fin = upd_nar = fp16(y_upd_o * y_upd_a)
  (AttentionRTL ties x_sel and y_sel to 0 unless it has those users)
"""
from pymtl3 import Component, InPort, OutPort, mk_bits, update

from tellme_pymtl.verilog_names import set_module_name
from .attn_dp import OMITS, RES, dp_ports


class AttnDpMuxRTL(Component):

  def construct(s, Q):
    s.sel = InPort()
    dp_ports(s, Q, "dp", prefix="p_", omit=OMITS["prefill"])
    dp_ports(s, Q, "dp", prefix="d_", omit=OMITS["decode"])
    dp_ports(s, Q, "ctrl", prefix="dp_")
    s.x_sel = InPort()
    s.x_dot_a = [InPort(mk_bits(16)) for _ in range(Q)]
    s.x_dot_s = [InPort(mk_bits(32)) for _ in range(Q)]
    s.x_dot_out = [OutPort(mk_bits(32)) for _ in range(Q)]
    s.x_upd_v = [InPort(mk_bits(16)) for _ in range(Q)]
    s.x_upd_a = InPort(mk_bits(32))
    s.x_prod = [OutPort(mk_bits(32)) for _ in range(Q)]
    s.y_sel = InPort()
    s.y_upd_o = [InPort(mk_bits(32)) for _ in range(Q)]
    s.y_upd_a = InPort(mk_bits(32))
    s.y_fin = [OutPort(mk_bits(16)) for _ in range(Q)]
    for ln in range(Q):
      s.x_dot_out[ln] //= s.dp_dot_out[ln]
      s.x_prod[ln] //= s.dp_upd_prod[ln]
      s.y_fin[ln] //= s.dp_upd_nar[ln]

    for name, _, lanes in RES:
      src = getattr(s, "dp_" + name)
      for side in ("p_", "d_"):
        if hasattr(s, side + name):
          dst = getattr(s, side + name)
          if lanes:
            for ln in range(Q):
              dst[ln] //= src[ln]
          else:
            dst //= src

    @update
    def up_dot():
      for ln in range(Q):
        if s.x_sel:
          s.dp_dot_a[ln] @= s.x_dot_a[ln]
          s.dp_dot_b[ln] @= s.x_dot_a[ln]
          s.dp_dot_s[ln] @= s.x_dot_s[ln]
        elif s.sel:
          s.dp_dot_a[ln] @= s.d_dot_a[ln]
          s.dp_dot_b[ln] @= s.d_dot_b[ln]
          s.dp_dot_s[ln] @= s.d_dot_s[ln]
        else:
          s.dp_dot_a[ln] @= s.p_dot_a[ln]
          s.dp_dot_b[ln] @= s.p_dot_b[ln]
          s.dp_dot_s[ln] @= s.p_dot_s[ln]

    s.dp_upd_wsel //= s.y_sel
    for ln in range(Q):
      s.dp_upd_w[ln] //= s.y_upd_o[ln]

    @update
    def up_upd():
      # RMS-MAX's x goes to upd_o and upd_v, its r and the dequantizer's c to upd_a and upd_p: the product is
      # theirs whether or not that factor is 1.0 (AttnDatapathRTL selects on upd_a = 1.0 alone)
      if s.y_sel:
        s.dp_upd_a @= s.y_upd_a
        s.dp_upd_p @= s.y_upd_a
      elif s.x_sel:
        s.dp_upd_a @= s.x_upd_a
        s.dp_upd_p @= s.x_upd_a
      elif s.sel:
        s.dp_upd_a @= s.d_upd_a
        s.dp_upd_p @= s.d_upd_p
      else:
        s.dp_upd_a @= s.p_upd_a
        s.dp_upd_p @= s.p_upd_p
      for ln in range(Q):
        if s.x_sel:
          s.dp_upd_o[ln] @= s.x_upd_v[ln]
          s.dp_upd_v[ln] @= s.x_upd_v[ln]
        elif s.sel:
          s.dp_upd_o[ln] @= s.d_upd_o[ln]
          s.dp_upd_v[ln] @= s.d_upd_v[ln]
        else:
          s.dp_upd_o[ln] @= s.p_upd_o[ln]
          s.dp_upd_v[ln] @= s.p_upd_v[ln]

    @update
    def up_mux():
      if s.sel:
        s.dp_scale @= s.d_scale
        s.dp_comb_val @= s.d_comb_val
        s.dp_mx_a @= s.d_mx_a
        s.dp_exp_fifo @= s.d_exp_fifo
        s.dp_exp_s @= s.d_exp_s
        s.dp_exp_val @= s.d_exp_val
        s.dp_exp_rdy @= s.d_exp_rdy
        s.dp_lm_a @= s.d_lm_a
        s.dp_recp_val @= s.d_recp_val
        s.dp_recp_in @= s.d_recp_in
        s.dp_recp_rdy @= s.d_recp_rdy
      else:
        s.dp_scale @= s.p_scale
        s.dp_comb_val @= s.p_comb_val
        s.dp_mx_a @= s.p_mx_a
        s.dp_exp_fifo @= 0
        s.dp_exp_s @= 0
        s.dp_exp_val @= s.p_exp_val
        s.dp_exp_rdy @= s.p_exp_rdy
        s.dp_lm_a @= s.p_lm_a
        s.dp_recp_val @= s.p_recp_val
        s.dp_recp_in @= s.p_recp_in
        s.dp_recp_rdy @= s.p_recp_rdy

    set_module_name(s, "AttnDpMuxRTL", Q=Q)

  def line_trace(s):
    return ("X" if s.x_sel else "") + ("Y" if s.y_sel else "") + ("D" if s.sel else "P")
