"""
The accelerator's forward pass of a BitNet model, composed of the golden numerics of its units and nothing
else (tellme_pymtl.fused, tellme_pymtl.attention, exact integer TLMM). FL runs it directly; CL and RTL
reproduce it unit by unit. Every value between units is FP16, as on the chip.

Host side (as in the paper): the embedding row of each token goes in as FP16, the final normalized hidden
state comes back as FP16 and the LM head (float32) and argmax run on the host.

Per layer, for the tokens of one step (a prompt in prefill, one token in decode):
  y  = RMS-MAX(x, in_norm)                      -> quantize -> TLMM q, k, v -> dequantize
  q, k = element-wise ROPE (consecutive pairs: the q/k rows are permuted per head on load so that LLaMA's
         pairs (i, i + d/2) become (2i, 2i+1); q.k is unchanged by the common permutation); v: NONE
  K, V -> the KV cache (KVWriter); attention: prefill (reversed, N_pe rows) or decode (two passes)
  a  = RMS-MAX(attention out, attn_sub_norm)    -> quantize -> TLMM o -> dequantize -> ADD residual -> x
  y  = RMS-MAX(x, post_norm)                    -> quantize -> TLMM up -> dequantize (NONE)
                                                -> TLMM gate -> dequantize -> MULT_SILU / RELU2 with up
  f  = RMS-MAX(.., ffn_sub_norm)                -> quantize -> TLMM down -> dequantize -> ADD residual -> x
  final: RMS-MAX(x, norm) -> host
The unit jobs of each step (tellme_pymtl.perf.step_jobs: kind and shape) go into a trace that the cycle model
turns into cycles.
"""
import numpy as np

from . import attention as A
from . import fp
from . import fused
from . import numerics as nx
from .config import ConfigError
from .model import ModelError
from .perf import step_jobs

F16, F32 = np.float16, np.float32
BLAS_EXACT = 2 ** 24                  # float32 holds every integer below this exactly


def rope_perm(d):
  """Row order within a head that turns pairs (i, i + d/2) into (2i, 2i + 1)."""
  p = np.empty(d, dtype=np.int64)
  p[0::2] = np.arange(d // 2)
  p[1::2] = np.arange(d // 2) + d // 2
  return p


def rope_table(pos, d, heads, theta):
  """The ROPE operand b for positions pos: per head, (cos f_i, sin f_i) at elements (2i, 2i+1), FP16."""
  from .reference import rope_cos_sin
  c, s = rope_cos_sin(pos, d, theta)
  b = np.empty((len(pos), d), dtype=np.float64)
  b[:, 0::2], b[:, 1::2] = c, s
  return np.tile(b, (1, heads)).astype(F16)


class AccelModel:
  """A model laid out for the accelerator (config `cfg`), with its KV cache."""

  def __init__(s, model, cfg, max_ctx=None, npe=8, fifo_depth=1024):
    c = model.cfg
    s.m, s.cfg, s.c = model, cfg, c
    s.npe, s.fifo_depth = npe, fifo_depth
    s.max_ctx = min(max_ctx or c.max_pos, c.max_pos)
    for name, n in (("hidden", c.hidden), ("q_dim", c.q_dim), ("intermediate", c.intermediate)):
      if n > cfg.max_in_dim:
        raise ConfigError(f"the model's {name} of {n} exceeds the accelerator's max_in_dim={cfg.max_in_dim}")
      if 128 * n >= 2 ** (cfg.acc_bits - 1):
        raise ConfigError(f"acc_bits={cfg.acc_bits} can overflow on the model's {name} of {n}")
    if c.q_dim > cfg.max_out_dim or c.intermediate > cfg.max_out_dim or c.hidden > cfg.max_out_dim:
      raise ConfigError(f"the model's widest output ({max(c.q_dim, c.intermediate, c.hidden)}) exceeds "
                        f"max_out_dim={cfg.max_out_dim}")
    if A.words_per_vec(cfg, c.head_dim) > cfg.burst_len:
      raise ConfigError(f"a head vector of {c.head_dim} FP16 needs more DDR words than a burst of {cfg.burst_len}")
    perm = np.concatenate([h * c.head_dim + rope_perm(c.head_dim) for h in range(c.heads)])
    kperm = np.concatenate([h * c.head_dim + rope_perm(c.head_dim) for h in range(c.kv_heads)])
    s.layers = []
    for L in model.layers:
      s.layers.append({
        "q": (L.q.W[perm].astype(F32), L.q.w_scale), "k": (L.k.W[kperm].astype(F32), L.k.w_scale),
        "v": (L.v.Wf, L.v.w_scale), "o": (L.o.Wf, L.o.w_scale), "gate": (L.gate.Wf, L.gate.w_scale),
        "up": (L.up.Wf, L.up.w_scale), "down": (L.down.Wf, L.down.w_scale),
        "in_norm": L.in_norm.astype(F16), "attn_norm": L.attn_norm.astype(F16),
        "post_norm": L.post_norm.astype(F16), "ffn_norm": L.ffn_norm.astype(F16)})
    s.norm = model.norm.astype(F16)
    s.embed16 = model.embed.astype(F16)
    s.head = model.lm_head.astype(F32)
    s.reset()

  def reset(s):
    c = s.c
    s.pos = 0
    s.K = [np.zeros((s.max_ctx, c.kv_heads, c.head_dim), dtype=F16) for _ in s.layers]
    s.V = [np.zeros((s.max_ctx, c.kv_heads, c.head_dim), dtype=F16) for _ in s.layers]

  # units ------------------------------------------------------------------------------------------------------

  def rms(s, x, g):
    y, _, _ = fused.rms_max(x, g, s.cfg.Q, fused.inv_dim(x.shape[1]), F32(s.c.eps))
    return y

  def linear(s, q, sx, W, w_scale, mode, b):
    """TLMM-FUSE: the quantized tokens q [n, in] through W [out, in], dequantized, element-wise `mode`."""
    n, nin = q.shape
    if 128 * nin < BLAS_EXACT:
      acc = (q.astype(F32) @ W.T).astype(np.int64)
    else:
      acc = q @ W.T.astype(np.int64)
    acc = nx.wrap_signed(acc, s.cfg.acc_bits)
    y = fused.dequantize(acc, w_scale, sx)
    if mode == "none":
      return y
    return fused.elementwise(mode, y, b)

  # the model ----------------------------------------------------------------------------------------------------

  def layer(s, i, x, pos):
    c, P = s.c, s.layers[i]
    n = x.shape[0]
    H, Hkv, d = c.heads, c.kv_heads, c.head_dim
    qx, sx = fused.quantize(s.rms(x, P["in_norm"]), s.cfg.act_bits)
    rb = rope_table(pos, d, H, c.rope_theta)
    q = s.linear(qx, sx, *P["q"], "rope", rb)
    k = s.linear(qx, sx, *P["k"], "rope", rb[:, :Hkv * d])
    v = s.linear(qx, sx, *P["v"], "none", None)
    s.K[i][pos] = k.reshape(n, Hkv, d)
    s.V[i][pos] = v.reshape(n, Hkv, d)
    ctx = int(pos[-1]) + 1
    if n > 1:
      if int(pos[0]) != 0:
        raise ValueError("prefill starts at position 0")
      att = A.prefill(q.reshape(n, H, d), s.K[i][:n], s.V[i][:n], s.cfg.Q)
    else:
      att = A.decode(q.reshape(1, H, d), s.K[i][:ctx], s.V[i][:ctx], s.cfg.Q, s.fifo_depth)
    qa, sa = fused.quantize(s.rms(att.reshape(n, H * d), P["attn_norm"]), s.cfg.act_bits)
    x = s.linear(qa, sa, *P["o"], "add", x)
    qh, sh = fused.quantize(s.rms(x, P["post_norm"]), s.cfg.act_bits)
    up = s.linear(qh, sh, *P["up"], "none", None)
    f = s.linear(qh, sh, *P["gate"], "mult_silu" if c.act == "silu" else "relu2", up)
    qf, sf = fused.quantize(s.rms(f, P["ffn_norm"]), s.cfg.act_bits)
    return s.linear(qf, sf, *P["down"], "add", x)

  def step(s, ids, trace=None):
    """Run tokens ids (the prompt, or one token) at positions pos .. pos+n-1. Returns the final normalized
    hidden state of the last position (FP16 [hidden]); the cache and position advance."""
    trace = [] if trace is None else trace
    ids = np.asarray(ids, dtype=np.int64).ravel()
    n = ids.size
    if n == 0:
      raise ValueError("no tokens to run")
    if s.pos + n > s.max_ctx:
      raise ValueError(f"context of {s.pos + n} tokens exceeds max_ctx={s.max_ctx}")
    if n > 1 and s.pos:
      raise ValueError("a prompt runs from position 0 (prefill); later tokens one at a time (decode)")
    if ids.min() < 0 or ids.max() >= s.c.vocab:
      raise ModelError(f"token id {int(ids.max() if ids.max() >= s.c.vocab else ids.min())} is outside the "
                       f"vocabulary of {s.c.vocab}")
    pos = np.arange(s.pos, s.pos + n)
    trace.extend(step_jobs(s.c, n, s.pos + n))
    x = s.embed16[ids]
    for i in range(len(s.layers)):
      x = s.layer(i, x, pos)
    y = s.rms(x[-1:], s.norm)[0]
    s.pos += n
    return y

  def logits(s, y16):
    """The host's LM head: float32 logits of the FP16 hidden state."""
    return np.asarray(fp.f16_to_f32(y16), dtype=F32) @ s.head.T

  def generate(s, prompt, n_new, on_token=None, traces=None):
    """Greedy: prefill the prompt, then decode n_new - 1 more tokens. Returns the generated ids."""
    s.reset()
    out = []
    tr = []
    y = s.step(prompt, tr)
    if traces is not None:
      traces.append(tr)
    for t in range(n_new):
      tok = int(np.argmax(s.logits(y)))
      out.append(tok)
      if on_token:
        on_token(t, tok)
      if t + 1 < n_new:
        tr = []
        y = s.step([tok], tr)
        if traces is not None:
          traces.append(tr)
    return out
