"""
IntToFPRTL: signed N-bit integer -> IEEE 754 binary (round to nearest even), combinational.
Exact whenever the magnitude fits the significand (N <= M+1, or small values). When every N-bit value fits
(N <= M+1) there is nothing to round: a leading-zero count and a left shift, no FPRoundPackRTL.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL


class IntToFPRTL(Component):

  def construct(s, N, E, M):
    BIAS = (1 << (E - 1)) - 1
    EW = max(E + 2, (BIAS + N).bit_length() + 2)
    NT = N - 1                  # the sign bit
    s.in_ = InPort(mk_bits(N))
    s.out = OutPort(mk_bits(1 + E + M))
    if N <= M + 1:
      # exact (every magnitude, 2^(N-1) included, fits the significand): normalize by the leading zeros
      BE = mk_bits(E)
      LW = NT.bit_length()           # lz <= N - 1 (a zero magnitude is handled apart)
      s.mag = Wire(mk_bits(N))
      s.lz = Wire(mk_bits(LW))
      s.norm = Wire(mk_bits(N - 1))        # the bits below the leading one, left-aligned: (mag << lz)[0:N-1]
      EXPE = BE(BIAS + N - 1)
      PAD = mk_bits(M - N + 1)(0) if M > N - 1 else None
      ZERO = mk_bits(E + M)(0)

      @update
      def up_mag():
        if s.in_[NT]:
          s.mag @= 0 - s.in_
        else:
          s.mag @= s.in_

      @update
      def up_lzc():
        s.lz @= 0
        for i in range(N):
          if s.mag[i]:
            s.lz @= NT - i

      s.frac = Wire(mk_bits(M))          # the bits below the leading one, left-aligned
      if PAD is None:
        s.frac //= s.norm
      else:
        s.frac[M - N + 1:M] //= s.norm
        s.frac[0:M - N + 1] //= PAD

      @update
      def up_i2f_exact():
        s.norm @= s.mag[0:NT] << zext(s.lz, NT)
        if s.mag == 0:
          s.out @= concat(s.in_[NT], ZERO)
        else:
          s.out @= concat(s.in_[NT], EXPE - zext(s.lz, E), s.frac)
    else:
      s.rp = FPRoundPackRTL(E, M, N, EW, underflow=False)   # exp = BIAS + N - 1
      EXP = mk_bits(EW)(BIAS + N - 1)

      @update
      def up_i2f():
        s.rp.sign @= s.in_[NT]
        if s.in_[NT]:
          s.rp.sig @= 0 - s.in_
        else:
          s.rp.sig @= s.in_
        s.rp.exp @= EXP
        s.rp.sticky @= 0

      s.out //= s.rp.out
    set_module_name(s, "IntToFPRTL", N=N, E=E, M=M)

  def line_trace(s):
    return f"{s.in_}->{s.out}"
