"""
FPConvRTL: conversion between IEEE 754 formats (binary16 <-> binary32), round to nearest even, combinational.

  in_ (1+Ei+Mi) -> out (1+Eo+Mo)

Widening is exact (binary16 subnormals become binary32 normals: shifted by their leading-zero count, no rounding
step); narrowing rounds,
makes subnormals and overflows to ±inf. Infinities keep their sign, NaN becomes the canonical quiet NaN of the
output format.

Narrowing needs no normalizing shift: a normal input's significand keeps its leading bit, so its top Mo+2 bits
(significand and guard) and the OR of the rest go to FPRoundNormRTL, which rounds them and shifts them right
into the output's subnormal range when needed; a subnormal input (or zero) is far below half the output's
smallest subnormal (checked in construct) and gives ±0.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundNormRTL import FPRoundNormRTL


class FPConvRTL(Component):

  def construct(s, Ei, Mi, Eo, Mo):
    Wi, Wo = 1 + Ei + Mi, 1 + Eo + Mo
    SB = Wi - 1                     # the input's sign bit (a named constant: its index then has the right width)
    EMAXI, EMAXO = (1 << Ei) - 1, (1 << Eo) - 1
    BIASI, BIASO = (1 << (Ei - 1)) - 1, (1 << (Eo - 1)) - 1
    EW = max(Ei, Eo) + 3
    BO = mk_bits(Wo)

    s.in_ = InPort(mk_bits(Wi))
    s.out = OutPort(BO)

    CNAN = BO((EMAXO << Mo) | (1 << (Mo - 1)))
    INF = mk_bits(Wo - 1)(EMAXO << Mo)
    ZMAG = mk_bits(Wo - 1)(0)
    OFS = mk_bits(EW)((BIASO - BIASI) % (1 << EW))

    if BIASO < BIASI:
      # narrowing: a subnormal input is below 2^(1-BIASI), under half the smallest output subnormal
      assert BIASI - 1 > BIASO + Mo + 1 and Mi >= Mo + 2
      RW = Mo + 2
      HID1 = mk_bits(1)(1)
      s.rn = FPRoundNormRTL(Eo, Mo, EW)

      @update
      def up_narrow():
        s.rn.e @= zext(s.in_[Mi:Wi - 1], EW) + OFS
        s.rn.r @= concat(HID1, s.in_[Mi - RW + 1:Mi])
        s.rn.sticky @= s.in_[0:Mi - RW + 1] != 0
        if s.in_[Mi:Wi - 1] == EMAXI:
          if s.in_[0:Mi] != 0:
            s.out @= CNAN
          else:
            s.out @= concat(s.in_[SB], INF)
        elif s.in_[Mi:Wi - 1] == 0:
          s.out @= concat(s.in_[SB], ZMAG)
        elif s.rn.ovf:
          s.out @= concat(s.in_[SB], INF)
        else:
          s.out @= concat(s.in_[SB], s.rn.mag)
    else:
      # widening is exact: a normal input re-biased and zero-padded; a subnormal one normalized by its
      # leading-zero count lz (its leading one goes to the hidden bit: exponent BIASO - BIASI - lz >= 1)
      assert BIASO - BIASI - Mi >= 1 and Mo >= Mi
      BE = mk_bits(Eo)
      OFSO = BE(BIASO - BIASI)
      LW = Mi.bit_length()
      MF = Mi - 1                          # the fraction bits below a subnormal's leading one
      s.lz = Wire(mk_bits(LW))
      s.fsh = Wire(mk_bits(Mi - 1))        # the bits below the leading one, left-aligned: (frac << lz)[0:Mi-1]
      PAD = mk_bits(Mo - Mi + 1)(0)
      PADN = mk_bits(Mo - Mi)(0) if Mo > Mi else None

      @update
      def up_lzc():
        s.lz @= 0
        for i in range(Mi):
          if s.in_[i]:
            s.lz @= Mi - 1 - i

      @update
      def up_norm():
        s.fsh @= s.in_[0:MF] << zext(s.lz, MF)

      @update
      def up_conv():
        if s.in_[Mi:Wi - 1] == EMAXI:
          if s.in_[0:Mi] != 0:
            s.out @= CNAN
          else:
            s.out @= concat(s.in_[SB], INF)
        elif s.in_[Mi:Wi - 1] != 0:
          s.out @= concat(s.in_[SB], zext(s.in_[Mi:Wi - 1], Eo) + OFSO, s.in_[0:Mi], PADN)
        elif s.in_[0:Mi] == 0:
          s.out @= concat(s.in_[SB], ZMAG)
        else:
          s.out @= concat(s.in_[SB], OFSO - zext(s.lz, Eo), s.fsh, PAD)

    set_module_name(s, "FPConvRTL", Ei=Ei, Mi=Mi, Eo=Eo, Mo=Mo)

  def line_trace(s):
    return f"{s.in_}->{s.out}"
