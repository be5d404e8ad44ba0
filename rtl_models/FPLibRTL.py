"""
FPLibRTL: every operation of the RTL floating-point library side by side (combinational), one design that
tests, translation and synthesis estimates can take whole.

  binary16: add16 = a16 +/- b16 (sub16), mul16, max16, f16to32 = widen(a16), mul16to32 = widen(a16) * widen(b16)
  binary32: add32 = a32 +/- b32 (sub32), mul32, max32, f32to16 = narrow(a32), f32toi8 = int8(a32), i24tof32
"""
from pymtl3 import Component, InPort, OutPort, mk_bits

from tellme_pymtl.verilog_names import set_module_name
from .FPAddRTL import FPAddRTL
from .FPConvRTL import FPConvRTL
from .FPMaxRTL import FPMaxRTL
from .FPMulRTL import FPMulRTL
from .FPMulWideRTL import FPMulWideRTL
from .FPToIntRTL import FPToIntRTL
from .IntToFPRTL import IntToFPRTL


class FPLibRTL(Component):

  def construct(s, int_bits=24):
    B16, B32 = mk_bits(16), mk_bits(32)
    s.a16 = InPort(B16)
    s.b16 = InPort(B16)
    s.sub16 = InPort()
    s.a32 = InPort(B32)
    s.b32 = InPort(B32)
    s.sub32 = InPort()
    s.i24 = InPort(mk_bits(int_bits))
    s.add16 = OutPort(B16)
    s.mul16 = OutPort(B16)
    s.max16 = OutPort(B16)
    s.f16to32 = OutPort(B32)
    s.mul16to32 = OutPort(B32)
    s.add32 = OutPort(B32)
    s.mul32 = OutPort(B32)
    s.max32 = OutPort(B32)
    s.f32to16 = OutPort(B16)
    s.f32toi8 = OutPort(mk_bits(8))
    s.i24tof32 = OutPort(B32)

    s.u_add16, s.u_mul16, s.u_max16 = FPAddRTL(5, 10), FPMulRTL(5, 10), FPMaxRTL(5, 10)
    s.u_add32, s.u_mul32, s.u_max32 = FPAddRTL(8, 23), FPMulRTL(8, 23), FPMaxRTL(8, 23)
    s.u_w = FPConvRTL(5, 10, 8, 23)
    s.u_mw = FPMulWideRTL(5, 10, 8, 23)
    s.u_n = FPConvRTL(8, 23, 5, 10)
    s.u_f2i = FPToIntRTL(8, 23, 8)
    s.u_i2f = IntToFPRTL(int_bits, 8, 23)

    for u, a, b in ((s.u_add16, s.a16, s.b16), (s.u_mul16, s.a16, s.b16), (s.u_max16, s.a16, s.b16),
                    (s.u_add32, s.a32, s.b32), (s.u_mul32, s.a32, s.b32), (s.u_max32, s.a32, s.b32)):
      u.a //= a
      u.b //= b
    s.u_add16.sub //= s.sub16
    s.u_add32.sub //= s.sub32
    s.u_w.in_ //= s.a16
    s.u_mw.a //= s.a16
    s.u_mw.b //= s.b16
    s.u_n.in_ //= s.a32
    s.u_f2i.in_ //= s.a32
    s.u_i2f.in_ //= s.i24
    s.add16 //= s.u_add16.out
    s.mul16 //= s.u_mul16.out
    s.max16 //= s.u_max16.out
    s.add32 //= s.u_add32.out
    s.mul32 //= s.u_mul32.out
    s.max32 //= s.u_max32.out
    s.f16to32 //= s.u_w.out
    s.mul16to32 //= s.u_mw.out
    s.f32to16 //= s.u_n.out
    s.f32toi8 //= s.u_f2i.out
    s.i24tof32 //= s.u_i2f.out
    set_module_name(s, "FPLibRTL", i=int_bits)

  def line_trace(s):
    return f"{s.add16} {s.mul16} {s.add32} {s.mul32}"
