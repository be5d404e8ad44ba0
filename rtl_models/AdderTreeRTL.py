"""
AdderTreeRTL: combinational signed sum of n inputs, as a balanced binary tree.

  in_[0..n-1] (nbits_in, signed) -> out (nbits_out, signed) = sum of the sign-extended inputs

The tree is padded to a power of two leaves (the extra leaves are zero), laid out level by level in one flat
array of 2P-1 nodes (node i = node 2i+1 + node 2i+2, leaves at P-1 .. 2P-2), so its depth is log2(P) adders.
The caller sizes nbits_out so the sum cannot overflow.
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, zext

from tellme_pymtl.verilog_names import set_module_name


class AdderTreeRTL(Component):

  def construct(s, nbits_in, nbits_out, n):
    assert n >= 1 and nbits_out >= nbits_in
    s.in_ = [InPort(mk_bits(nbits_in)) for _ in range(n)]
    s.out = OutPort(mk_bits(nbits_out))

    P = 1
    while P < n:
      P *= 2
    s.P = P
    BO = mk_bits(nbits_out)
    s.node = [Wire(BO) for _ in range(2 * P - 1)]
    # Sign extension as (zext(x) ^ S) - S: pymtl3 3.1.17 translates sext() of an array element indexed by a
    # loop variable wrongly (it replicates the whole element instead of its sign bit).
    SGN = BO(1 << (nbits_in - 1))

    @update
    def up_tree():
      for j in range(P):
        if j < n:
          s.node[P - 1 + j] @= (zext(s.in_[j], nbits_out) ^ SGN) - SGN
        else:
          s.node[P - 1 + j] @= 0
      for i in range(P - 1):
        s.node[P - 2 - i] @= s.node[2 * (P - 2 - i) + 1] + s.node[2 * (P - 2 - i) + 2]

    s.out //= s.node[0]
    set_module_name(s, "AdderTreeRTL", i=nbits_in, o=nbits_out, n=n)

  def line_trace(s):
    return f"{s.out.int()}"
