"""
The float reference: BitNet b1.58 forward as published (transformers' BitNet with online quantization, the
same math as 1bitLLM's BitLinear), in float64 numpy. It measures the accelerator's fidelity; nothing in the
accelerator's numerics comes from here.

  BitLinear(x) = (round-clamp(x * s_x) / s_x) . (W_t * w_scale)^T,  s_x = 127 / max(max|x|, 1e-5)
  layer:  h = x + o_proj(attn_sub_norm(attention(rope(q_proj(n1)), rope(k_proj(n1)), v_proj(n1))))
          x' = h + down_proj(ffn_sub_norm(act(gate_proj(n2)) * up_proj(n2)))
          with n1 = rmsnorm(x), n2 = rmsnorm(h); RoPE as LLaMA (rotate_half), causal softmax attention, GQA
  logits = lm_head(rmsnorm(x_L))
"""
import numpy as np

# Fidelity criterion. At every greedy step (teacher-forced: both fed the reference's tokens) the accelerator's
# top-1 token must equal the reference's wherever the reference's top-1 margin (top-1 minus top-2 logit) is at
# least TINY_MARGIN standard deviations of its logits at that step; a smaller margin is a near tie that the
# FP16 datapath may break either way. Measured: the accelerator's logits stay within about 0.1 standard
# deviations of the reference's on random models (harsher than trained ones), so a margin of 0.25 cannot flip.
TINY_MARGIN = 0.25


def act_quant(x):
  s = 127.0 / np.maximum(np.max(np.abs(x), axis=-1, keepdims=True), 1e-5)
  return np.clip(np.round(x * s), -128, 127) / s


def bitlinear(x, lin):
  return act_quant(x) @ lin.W.T.astype(np.float64) * float(lin.w_scale)


def rmsnorm(x, g, eps):
  return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g.astype(np.float64)


def rope_cos_sin(pos, d, theta):
  inv = 1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
  f = np.asarray(pos, dtype=np.float64)[:, None] * inv[None, :]
  return np.cos(f), np.sin(f)                         # [n, d/2] each


def rope(x, pos, theta):
  """x [n, heads, d], LLaMA's rotate_half pairing (i, i + d/2)."""
  d = x.shape[-1]
  c, s = rope_cos_sin(pos, d, theta)
  c = np.concatenate([c, c], axis=-1)[:, None, :]
  s = np.concatenate([s, s], axis=-1)[:, None, :]
  rot = np.concatenate([-x[..., d // 2:], x[..., :d // 2]], axis=-1)
  return x * c + rot * s


def act_fn(name, x):
  if name == "silu":
    return x / (1.0 + np.exp(-x))
  return np.maximum(x, 0.0) ** 2


def forward(m, ids):
  """Logits [n, vocab] for every position of the token ids (no cache: the whole sequence at once)."""
  c = m.cfg
  ids = np.asarray(ids)
  n = ids.size
  x = m.embed[ids].astype(np.float64)
  pos = np.arange(n)
  group = c.heads // c.kv_heads
  causal = np.triu(np.ones((n, n), dtype=bool), 1)
  for L in m.layers:
    h = rmsnorm(x, L.in_norm, c.eps)
    q = rope(bitlinear(h, L.q).reshape(n, c.heads, c.head_dim), pos, c.rope_theta)
    k = rope(bitlinear(h, L.k).reshape(n, c.kv_heads, c.head_dim), pos, c.rope_theta)
    v = bitlinear(h, L.v).reshape(n, c.kv_heads, c.head_dim)
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(c.head_dim)
    s = np.where(causal[None], -np.inf, s)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    a = np.einsum("hij,jhd->ihd", p, v).reshape(n, c.q_dim)
    x = x + bitlinear(rmsnorm(a, L.attn_norm, c.eps), L.o)
    h = rmsnorm(x, L.post_norm, c.eps)
    f = act_fn(c.act, bitlinear(h, L.gate)) * bitlinear(h, L.up)
    x = x + bitlinear(rmsnorm(f, L.ffn_norm, c.eps), L.down)
  return rmsnorm(x, m.norm, c.eps) @ m.lm_head.T.astype(np.float64)


def greedy(m, ids, n_new):
  """Greedy generation. Returns (new token ids, the top-1 minus top-2 logit margin at each step)."""
  seq = list(int(i) for i in ids)
  toks, margins = [], []
  for _ in range(n_new):
    logits = forward(m, seq)[-1]
    top = np.argsort(logits)[::-1][:2]
    toks.append(int(top[0]))
    margins.append(float(logits[top[0]] - logits[top[1]]))
    seq.append(int(top[0]))
  return toks, margins
