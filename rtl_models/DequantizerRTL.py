"""
DequantizerRTL: TLMM accumulators -> FP16, with the activation and weight scales, as a unit of its own: its
controller (DequantizerCtrlRTL, where the schedule is described) and L = cfg.deq_L multiply-and-narrow lanes of
its own (fp16(a * c) on FPMulRTL and FPConvRTL). In the accelerator top the controller runs them on the attention
datapath's UPD multipliers instead (AttentionRTL with aux).

Ports (tellme_pymtl.msgs.deq_ports): cmd, scale, acc, y, as DequantizerCtrlRTL. Golden: tellme_pymtl.fused.dequantize.
"""
from pymtl3 import Component

from tellme_pymtl.msgs import deq_ports
from tellme_pymtl.verilog_names import set_module_name
from .DequantizerCtrlRTL import DequantizerCtrlRTL
from .FPConvRTL import FPConvRTL
from .FPMulRTL import FPMulRTL


class DequantizerRTL(Component):

  def construct(s, cfg):
    L = cfg.deq_L
    deq_ports(s, cfg)
    s.ctrl = DequantizerCtrlRTL(cfg)
    s.ctrl.hold //= 0
    s.cmd //= s.ctrl.cmd
    s.scale //= s.ctrl.scale
    s.acc //= s.ctrl.acc
    s.y //= s.ctrl.y
    s.mul = [FPMulRTL(8, 23) for _ in range(L)]
    s.cv = [FPConvRTL(8, 23, 5, 10) for _ in range(L)]
    for j in range(L):
      s.mul[j].a //= s.ctrl.mul_a[j]
      s.mul[j].b //= s.ctrl.mul_b
      s.cv[j].in_ //= s.mul[j].out
      s.ctrl.mul_y[j] //= s.cv[j].out
    set_module_name(s, "DequantizerRTL", Q=cfg.Q, c=cfg.acc_bits, w=cfg.dim_bits, L=L)

  def line_trace(s):
    return s.ctrl.line_trace()
