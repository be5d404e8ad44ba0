"""
MagMaxRTL: the running absmax of binary16 magnitudes, as a chain of binary16 maxima would give it, combinationally.

  acc          (16)   the running maximum so far (a magnitude, or the canonical NaN)
  in_[n]       (16)   magnitudes (sign bit 0)
  out          (16)   max(acc, in_[0], ..., in_[n-1]) with IEEE maximum's semantics: the canonical NaN 0x7E00 if
                      any is a NaN, else the largest

For magnitudes (no sign) the binary16 order is the unsigned order of the encodings, and every NaN encoding is
above infinity's: so an integer maximum, then any NaN made canonical, is the chain of FPMaxRTL(5, 10) it
replaces, bit for bit, at about a third of the logic (a 15-bit comparison and a multiplexer per element).
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update

from tellme_pymtl.verilog_names import set_module_name


class MagMaxRTL(Component):

  def construct(s, n):
    B16 = mk_bits(16)
    s.acc = InPort(B16)
    s.in_ = [InPort(B16) for _ in range(n)]
    s.out = OutPort(B16)
    s.m = [Wire(B16) for _ in range(n + 1)]
    INF, CNAN = B16(0x7C00), B16(0x7E00)

    @update
    def up_max():
      s.m[0] @= s.acc
      for i in range(n):
        if s.in_[i] > s.m[i]:
          s.m[i + 1] @= s.in_[i]
        else:
          s.m[i + 1] @= s.m[i]
      if s.m[n] > INF:
        s.out @= CNAN
      else:
        s.out @= s.m[n]

    set_module_name(s, "MagMaxRTL", n=n)

  def line_trace(s):
    return f"{s.out}"
