"""
AttnDatapathRTL: the arithmetic of attention, driven by PrefillAttnCtrlRTL or DecodeAttnCtrlRTL (or both, one at
a time: AttentionRTL). Ports: tellme_pymtl's rtl_models.attn_dp table, datapath side. Everything but the three
pipelines is combinational; the controllers keep every register (rows, scores, partial sums, o).

  DOT   Q lanes   dot_out = dot_s + fp32(dot_a * dot_b)      (fp16 x fp16 exact in binary32: FPMulWideRTL)
  COMB            LaneCombineRTL(Q, cfg.comb_fold): the lane sums of a last beat, added in lane order, * scale
  MAX             m' = max(mx_a, s)                           (s: the combine's output)
  EXP             ExpPairRTL on (x, s - m'): x = mx_a - m', or exp_s - mx_a when exp_fifo (decode pass 2)
  L               la_out = lm_a * exp_a + exp_p
  UPD   Q lanes   upd_out = fp16(upd_o * upd_a) + fp16(upd_p * upd_v)   (binary16 o and sum, binary32 products
                  rounded to binary16; one multiplier: a or p is 1.0, see below); upd_prod, upd_nar: the
                  products, binary32 and rounded (RMS-MAX's x * r, the dequantizer's acc * c in the top)
  FIN   Q lanes   fin = fp16(upd_o * upd_a)                   (the same multipliers: upd_a = r)
  RECP            FPProgRTL(recip)
Decode's o + p * v runs on UPD with upd_a = 1.0 (o * 1.0 is o bit for bit), its q . k on DOT: both as
tellme_pymtl.attention computes them.
"""
from pymtl3 import Bits16, Bits32, Component, Wire, update

from tellme_pymtl import fp_prog as P
from tellme_pymtl.verilog_names import set_module_name
from .ExpPairRTL import ExpPairRTL
from .FPAddRTL import FPAddRTL
from .FPConvRTL import FPConvRTL
from .FPMaxRTL import FPMaxRTL
from .FPMulRTL import FPMulRTL
from .FPMulWideRTL import FPMulWideRTL
from .FPProgRTL import FPProgRTL
from .LaneCombineRTL import LaneCombineRTL
from .attn_dp import dp_ports


class AttnDatapathRTL(Component):

  def construct(s, cfg):
    Q = cfg.Q
    dp_ports(s, Q, "dp")

    # DOT: q . k
    s.dmul = [FPMulWideRTL(5, 10, 8, 23) for _ in range(Q)]
    s.dacc = [FPAddRTL(8, 23) for _ in range(Q)]
    for ln in range(Q):
      s.dmul[ln].a //= s.dp_dot_a[ln]
      s.dmul[ln].b //= s.dp_dot_b[ln]
      s.dacc[ln].a //= s.dp_dot_s[ln]
      s.dacc[ln].b //= s.dmul[ln].out
      s.dacc[ln].sub //= 0
      s.dp_dot_out[ln] //= s.dacc[ln].out

    # COMB and MAX
    s.comb = LaneCombineRTL(Q, cfg.comb_fold)
    for ln in range(Q):
      s.comb.in_.msg[ln] //= s.dacc[ln].out
    s.comb.in_.msg[Q] //= s.dp_scale
    s.comb.in_.val //= s.dp_comb_val
    s.dp_comb_rdy //= s.comb.in_.rdy
    s.comb.out.rdy //= 1
    s.dp_comb_oval //= s.comb.out.val
    s.dp_comb_out //= s.comb.out.msg[0]
    s.mx = FPMaxRTL(8, 23)
    s.mx.a //= s.dp_mx_a
    s.mx.b //= s.comb.out.msg[0]
    s.dp_mx_out //= s.mx.out

    # EXP: (m - m' or s_fifo - m, s - m') on one exp lane; l * a + p
    s.d1 = FPAddRTL(8, 23)
    s.d2 = FPAddRTL(8, 23)
    s.d1.sub //= 1
    s.d2.sub //= 1
    s.d2.a //= s.comb.out.msg[0]
    s.d2.b //= s.mx.out
    s.expp = ExpPairRTL()
    s.expp.in_.val //= s.dp_exp_val
    s.expp.in_.msg[0] //= s.d1.out
    s.expp.in_.msg[1] //= s.d2.out
    s.dp_exp_irdy //= s.expp.in_.rdy
    s.expp.out.rdy //= s.dp_exp_rdy
    s.dp_exp_oval //= s.expp.out.val
    s.dp_exp_a //= s.expp.out.msg[0]
    s.dp_exp_p //= s.expp.out.msg[1]
    s.lm = FPMulRTL(8, 23)
    s.la = FPAddRTL(8, 23)
    s.lm.a //= s.dp_lm_a
    s.lm.b //= s.expp.out.msg[0]
    s.la.a //= s.lm.out
    s.la.b //= s.expp.out.msg[1]
    s.la.sub //= 0
    s.dp_la_out //= s.la.out

    @update
    def up_d1():
      if s.dp_exp_fifo:
        s.d1.a @= s.dp_exp_s
        s.d1.b @= s.dp_mx_a
      else:
        s.d1.a @= s.dp_mx_a
        s.d1.b @= s.mx.out

    # UPD and FIN: one multiplier per lane. In the online softmax m' = max(m, s), so a = exp(m - m') or
    # p = exp(s - m') is exp(+-0) = 1.0 exactly whenever m and s are finite, and x * 1.0 = x (for a NaN x only
    # the payload differs, and a NaN term makes the sum the canonical NaN anyway). So fp16(o * a) + fp16(p * v)
    # takes one product: fp16(v * p) + o when a = 1.0, else fp16(o * a) + v: p is 1.0 then, or NaN, and a NaN p
    # makes l = l * a + p NaN and with it the row's output, whatever o is (products and sums commute bit for
    # bit). Decode passes a = 1.0 (o + fp16(p * v)); FIN multiplies o * r (fin = o when r = 1.0). The product is
    # binary32 (fp16 operands widen exactly) rounded to binary16, the sum binary16 (o is binary16); while
    # upd_wsel the multipliers take the binary32 upd_w instead. The products are outputs too, binary32 (upd_prod) and
    # rounded (upd_nar), for the top's other units: AttnDpMuxRTL gives them upd_p = upd_a and upd_o = upd_v, so
    # either way the product is upd_a times fp32(upd_v) or upd_w (RMS-MAX's x * r, the dequantizer's acc * c).
    s.cv = [FPConvRTL(5, 10, 8, 23) for _ in range(Q)]
    s.mu = [FPMulRTL(8, 23) for _ in range(Q)]
    s.nar = [FPConvRTL(8, 23, 5, 10) for _ in range(Q)]
    s.ad = [FPAddRTL(5, 10) for _ in range(Q)]
    s.a1 = Wire()                                    # a = 1.0: the product is v * p
    s.mb = Wire(Bits32)                              # p or a: the product's factor common to the lanes
    s.mh = [Wire(Bits16) for _ in range(Q)]          # v or o
    s.ma = [Wire(Bits32) for _ in range(Q)]          # fp32(v or o), or upd_w
    s.tb = [Wire(Bits16) for _ in range(Q)]          # o or v: the term added to the product
    for ln in range(Q):
      s.cv[ln].in_ //= s.mh[ln]
      s.mu[ln].a //= s.ma[ln]
      s.mu[ln].b //= s.mb
      s.nar[ln].in_ //= s.mu[ln].out
      s.ad[ln].a //= s.nar[ln].out
      s.ad[ln].b //= s.tb[ln]
      s.ad[ln].sub //= 0
      s.dp_upd_out[ln] //= s.ad[ln].out
      s.dp_upd_prod[ln] //= s.mu[ln].out
      s.dp_upd_nar[ln] //= s.nar[ln].out
    ONE = Bits32(0x3F800000)

    @update
    def up_upd():
      s.a1 @= s.dp_upd_a == ONE
      if s.a1:
        s.mb @= s.dp_upd_p
      else:
        s.mb @= s.dp_upd_a
      for ln in range(Q):
        if s.a1:
          s.mh[ln] @= s.dp_upd_v[ln]
          s.tb[ln] @= s.dp_upd_o[ln]
        else:
          s.mh[ln] @= s.dp_upd_o[ln]
          s.tb[ln] @= s.dp_upd_v[ln]
        if s.dp_upd_wsel:
          s.ma[ln] @= s.dp_upd_w[ln]
        else:
          s.ma[ln] @= s.cv[ln].out

    @update
    def up_fin():
      for ln in range(Q):
        if s.a1:
          s.dp_fin[ln] @= s.dp_upd_o[ln]
        else:
          s.dp_fin[ln] @= s.nar[ln].out

    # RECP
    s.recp = FPProgRTL(P.PROGRAMS["recip"], 1)
    s.recp.in_.val //= s.dp_recp_val
    s.recp.in_.msg[0] //= s.dp_recp_in
    s.dp_recp_irdy //= s.recp.in_.rdy
    s.recp.out.rdy //= s.dp_recp_rdy
    s.dp_recp_oval //= s.recp.out.val
    s.dp_recp_out //= s.recp.out.msg[0]

    set_module_name(s, "AttnDatapathRTL", Q=Q, f=cfg.comb_fold)

  def line_trace(s):
    return f"c{int(s.comb.in_.val)}{int(s.comb.out.val)}e{int(s.expp.in_.val)}{int(s.expp.out.val)}"
