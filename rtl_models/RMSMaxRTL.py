"""
RMSMaxRTL: RMSNorm of an FP16 vector per token, with the absmax the next quantizer needs, as a unit of its own:
its controller (RMSMaxCtrlRTL, where the phases are described), Q square-add lanes of its own (x * x exact in
binary32 on FPMulWideRTL, added to the lane sum on FPAddRTL) and cfg.rms_L lanes of fp32(x) * r (FPConvRTL,
FPMulRTL). In the accelerator top the controller runs these on the attention datapath's DOT lanes and UPD
multipliers instead (AttentionRTL with aux).

Ports (tellme_pymtl.msgs.rms_ports): cmd, x, g, y, amax, as RMSMaxCtrlRTL. Golden: tellme_pymtl.fused.rms_max.
"""
from pymtl3 import Component

from tellme_pymtl.msgs import rms_ports
from tellme_pymtl.verilog_names import set_module_name
from .FPAddRTL import FPAddRTL
from .FPConvRTL import FPConvRTL
from .FPMulRTL import FPMulRTL
from .FPMulWideRTL import FPMulWideRTL
from .RMSMaxCtrlRTL import RMSMaxCtrlRTL


class RMSMaxRTL(Component):

  def construct(s, cfg):
    Q = cfg.Q
    rms_ports(s, cfg)
    s.ctrl = RMSMaxCtrlRTL(cfg)
    s.ctrl.hold //= 0
    s.cmd //= s.ctrl.cmd
    s.x //= s.ctrl.x
    s.g //= s.ctrl.g
    s.y //= s.ctrl.y
    s.amax //= s.ctrl.amax
    s.sq = [FPMulWideRTL(5, 10, 8, 23) for _ in range(Q)]
    s.acc = [FPAddRTL(8, 23) for _ in range(Q)]
    for q in range(Q):
      s.sq[q].a //= s.ctrl.dot_a[q]
      s.sq[q].b //= s.ctrl.dot_a[q]
      s.acc[q].a //= s.ctrl.dot_s[q]
      s.acc[q].b //= s.sq[q].out
      s.acc[q].sub //= 0
      s.ctrl.dot_out[q] //= s.acc[q].out
    s.xw = [FPConvRTL(5, 10, 8, 23) for _ in range(cfg.rms_L)]
    s.xr = [FPMulRTL(8, 23) for _ in range(cfg.rms_L)]
    for q in range(cfg.rms_L):
      s.xw[q].in_ //= s.ctrl.xr_x[q]
      s.xr[q].a //= s.xw[q].out
      s.xr[q].b //= s.ctrl.xr_r
      s.ctrl.xr_out[q] //= s.xr[q].out
    set_module_name(s, "RMSMaxRTL", Q=Q, d=cfg.vec_depth, w=cfg.dim_bits, L=cfg.rms_L)

  def line_trace(s):
    return s.ctrl.line_trace()
