"""
The ports between an attention controller (PrefillAttnCtrlRTL, DecodeAttnCtrlRTL) and the attention datapath
(AttnDatapathRTL) it drives, in one table so that every side declares and connects the same names.

OPS go controller -> datapath (operands and handshakes), RES datapath -> controller (results), `dp_` prefixed;
a lane field is a list of Q ports. A controller that has no use for a field leaves it out (OMITS): the
datapath's unread outputs and the constant inputs are then tied by whoever composes them.
"""
from pymtl3 import InPort, OutPort, mk_bits

# (name, bits, one per lane)
OPS = (
  ("dot_a", 16, True),      # q (fp16)                      DOT lanes: dot_s + dot_a * dot_b
  ("dot_b", 16, True),      # k (fp16)
  ("dot_s", 32, True),      # the partial sums
  ("scale", 32, False),     # the lane combine's scale
  ("comb_val", 1, False),   # a key's (row's) last beat: the lane sums into the combine
  ("mx_a", 32, False),      # the running max m (MAX: m' = max(m, s))
  ("exp_fifo", 1, False),   # exp's first input is exp_s - mx_a (decode pass 2), else mx_a - m'
  ("exp_s", 32, False),     # a score from the decode FIFO
  ("exp_val", 1, False),
  ("exp_rdy", 1, False),
  ("lm_a", 32, False),      # l (EXP: l * a + p)
  ("upd_o", 16, True),      # o (fp16)                      UPD lanes: fp16(upd_o * upd_a) + fp16(upd_p * upd_v)
  ("upd_v", 16, True),      # v (fp16)
  ("upd_a", 32, False),     # a (or 1.0; r in FIN: upd_o * r); a or p is 1.0, or the row's l is NaN
  ("upd_p", 32, False),     # p                             (the softmax's a = exp(m - m'), p = exp(s - m'))
  ("upd_w", 32, True),      # while upd_wsel, the multipliers take the binary32 upd_w for fp32(upd_o or upd_v):
  ("upd_wsel", 1, False),   # the dequantizer's fp32(acc) in the accelerator top (AttnDpMuxRTL drives these two)
  ("recp_val", 1, False),
  ("recp_in", 32, False),   # l
  ("recp_rdy", 1, False),
)
RES = (
  ("dot_out", 32, True),
  ("comb_rdy", 1, False),
  ("comb_oval", 1, False),
  ("comb_out", 32, False),  # the scaled score s
  ("mx_out", 32, False),    # m'
  ("exp_irdy", 1, False),
  ("exp_oval", 1, False),
  ("exp_a", 32, False),     # exp(first input)
  ("exp_p", 32, False),     # exp(s - m')
  ("la_out", 32, False),    # l * a + p
  ("upd_out", 16, True),
  ("upd_prod", 32, True),   # the UPD lanes' binary32 products ...
  ("upd_nar", 16, True),    # ... and those rounded to binary16
  ("fin", 16, True),        # fp16(upd_o * upd_a): the output beat in FIN
  ("recp_irdy", 1, False),
  ("recp_oval", 1, False),
  ("recp_out", 32, False),
)
OP_NAMES = tuple(f[0] for f in OPS)
AUX = ("upd_w", "upd_wsel", "upd_prod", "upd_nar")        # the accelerator top's other units' fields
OMITS = {"prefill": ("exp_fifo", "exp_s", "comb_out", "exp_irdy") + AUX, "decode": ("exp_p",) + AUX}


def dp_ports(s, Q, side, prefix="dp_", omit=()):
  """Declare the fields on s: side "ctrl" drives OPS and reads RES, side "dp" the reverse."""
  for name, bits, lanes in OPS + RES:
    if name in omit:
      continue
    Port = OutPort if (name in OP_NAMES) == (side == "ctrl") else InPort
    T = mk_bits(bits)
    setattr(s, prefix + name, [Port(T) for _ in range(Q)] if lanes else Port(T))


def connect_dp(a, b, Q, prefix_a="dp_", prefix_b="dp_", omit=()):
  """Connect the same-named fields of a and b (children of the component calling this)."""
  for name, _, lanes in OPS + RES:
    if name in omit:
      continue
    x, y = getattr(a, prefix_a + name), getattr(b, prefix_b + name)
    if lanes:
      for i in range(Q):
        x[i] //= y[i]
    else:
      x //= y


def tie_aux(dp, Q):
  """Tie a datapath's AUX operands where no other unit uses its lanes (the attention units alone)."""
  dp.dp_upd_wsel //= 0
  for i in range(Q):
    dp.dp_upd_w[i] //= 0
