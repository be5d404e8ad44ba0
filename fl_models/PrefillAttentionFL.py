"""
PrefillAttentionFL: the functional prefill attention (tellme_pymtl.attention.prefill: causal, reversed key
order per row, online softmax, grouped-query). The prompt's K and V vectors come from the KV cache in DDR, the
query beats in tellme_pymtl.attention.prefill_order (passes of npe positions, head by head), and the output
vectors leave in the same order (fl_models.AttnStreamFL does the streaming).
"""
import numpy as np

from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from .AttnStreamFL import AttnStreamFL


class PrefillAttentionFL(AttnStreamFL):

  def construct(s, cfg, npe=8, max_hdim=None):
    s.npe = npe
    AttnStreamFL.construct(s, cfg, max_hdim)

  def q_vectors(s, job):
    return job["n"] * job["H"]

  def compute(s, job, qbeats, k, v):
    n, H, d = job["n"], job["H"], job["d"]
    order = A.prefill_order(n, H, s.npe)
    qv = mg.heads_from_beats(s.cfg, qbeats, n * H, 1, d)[:, 0]
    q = np.zeros((n, H, d), dtype=np.float16)
    for (i, h), x in zip(order, qv):
      q[i, h] = x
    return mg.order_beats(s.cfg, A.prefill(q, k, v, s.cfg.Q), order)
