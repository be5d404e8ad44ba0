"""
FPConvRTL: conversion between IEEE 754 formats (binary16 <-> binary32), round to nearest even, combinational.

  in_ (1+Ei+Mi) -> out (1+Eo+Mo)

Widening is exact (binary16 subnormals become binary32 normals); narrowing rounds, makes subnormals and
overflows to ±inf. Infinities keep their sign, NaN becomes the canonical quiet NaN of the output format.
"""
from pymtl3 import Component, InPort, OutPort, concat, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name
from .FPRoundPackRTL import FPRoundPackRTL


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
    # the smallest exponent given is BIASO - BIASI + 1: below 1 only when narrowing
    s.rp = FPRoundPackRTL(Eo, Mo, Mi + 1, EW, underflow=BIASO < BIASI)

    CNAN = BO((EMAXO << Mo) | (1 << (Mo - 1)))
    INF = mk_bits(Wo - 1)(EMAXO << Mo)
    OFS = mk_bits(EW)((BIASO - BIASI) % (1 << EW))
    OFS1 = mk_bits(EW)((BIASO - BIASI + 1) % (1 << EW))   # a subnormal input's exponent (1) rebiased

    @update
    def up_conv():
      s.rp.sign @= s.in_[SB]
      if s.in_[Mi:Wi - 1] == 0:
        s.rp.exp @= OFS1
      else:
        s.rp.exp @= zext(s.in_[Mi:Wi - 1], EW) + OFS
      s.rp.sig @= concat(s.in_[Mi:Wi - 1] != 0, s.in_[0:Mi])
      s.rp.sticky @= 0
      if s.in_[Mi:Wi - 1] == EMAXI:
        if s.in_[0:Mi] != 0:
          s.out @= CNAN
        else:
          s.out @= concat(s.in_[SB], INF)
      else:
        s.out @= s.rp.out

    set_module_name(s, "FPConvRTL", Ei=Ei, Mi=Mi, Eo=Eo, Mo=Mo)

  def line_trace(s):
    return f"{s.in_}->{s.out}"
