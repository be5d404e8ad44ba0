"""
RowKeyCounterRTL: walks the (key, row) pairs of one prefill pass in the unit's order. Keys go top-down:
key step k = 0, 1, .. (key position i0 + nr - 1 - k); at step k the active rows are r = max(0, nr-1-k) .. nr-1
(row r is position i0 + r, and it sees key j only when j <= its position: the causal mask is never computed).

  nr     InPort   rows in the pass (1 .. npe)
  start  InPort   k <- 0, r <- nr - 1
  adv    InPort   next pair
  k, r   OutPort  the current pair;  rlast: r is the key's last row
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, trunc, update, update_ff, zext

from tellme_pymtl.verilog_names import set_module_name


class RowKeyCounterRTL(Component):

  def construct(s, kbits, npe):
    RB = max(1, (npe - 1).bit_length())
    NB = npe.bit_length()
    assert kbits >= NB
    s.nr = InPort(mk_bits(NB))
    s.start = InPort()
    s.adv = InPort()
    s.k = OutPort(mk_bits(kbits))
    s.r = OutPort(mk_bits(RB))
    s.rlast = OutPort()

    s.top = Wire(mk_bits(RB))                        # nr - 1: the first key's row
    s.lo = Wire(mk_bits(RB))                         # the next key's first row, nr - 2 - k, while k + 1 < nr

    @update
    def up_rk_comb():
      s.rlast @= zext(s.r, NB) + 1 == s.nr
      s.top @= trunc(zext(s.nr, kbits) - 1, RB)
      s.lo @= s.top - 1 - trunc(s.k, RB)

    @update_ff
    def up_rk():
      if s.start:
        s.k <<= 0
        s.r <<= s.top
      elif s.adv:
        if s.rlast:
          s.k <<= s.k + 1
          if s.k + 1 < zext(s.nr, kbits):
            s.r <<= s.lo
          else:
            s.r <<= 0
        else:
          s.r <<= s.r + 1

    set_module_name(s, "RowKeyCounterRTL", k=kbits, n=npe)

  def line_trace(s):
    return f"{int(s.k)}:{int(s.r)}"
