"""
wire_elems: the FP16 elements of a head vector, wired out of the DDR words that carry it (element e at bits
[16e, 16e+16) of the words taken together, least significant word first: tellme_pymtl.attention.kv_address).
elems[b][l] is element b*Q + l; elements past max_hdim are tied to 0. Used by both attention units.
"""


def wire_elems(words, elems, word_bits, max_hdim, Q):
  for b in range(len(elems)):
    for l in range(Q):
      e = b * Q + l
      if e < max_hdim:
        w, off = divmod(16 * e, word_bits)
        if off + 16 <= word_bits:
          elems[b][l] //= words[w][off:off + 16]
        else:
          n0 = word_bits - off
          elems[b][l][0:n0] //= words[w][off:word_bits]
          elems[b][l][n0:16] //= words[w + 1][0:16 - n0]
      else:
        elems[b][l] //= 0
