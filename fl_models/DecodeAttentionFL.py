"""
DecodeAttentionFL: the functional decode attention (tellme_pymtl.attention.decode): the K and V vectors of the
context from the KV cache in DDR, the query beats of one position (every head), the output of that position
(fl_models.AttnStreamFL does the streaming).
"""
from tellme_pymtl import attention as A
from tellme_pymtl import msgs as mg
from .AttnStreamFL import AttnStreamFL


class DecodeAttentionFL(AttnStreamFL):

  def construct(s, cfg, fifo_depth=1024, max_hdim=None):
    s.fifo_depth = fifo_depth
    AttnStreamFL.construct(s, cfg, max_hdim)

  def check(s, job):
    if job["n"] > s.fifo_depth:
      raise A.AttentionError(f"context of {job['n']} keys exceeds the decode score FIFO of {s.fifo_depth}")

  def q_vectors(s, job):
    return job["H"]

  def compute(s, job, qbeats, k, v):
    q = mg.heads_from_beats(s.cfg, qbeats, 1, job["H"], job["d"])
    return mg.head_beats(s.cfg, A.decode(q, k, v, s.cfg.Q, s.fifo_depth))
