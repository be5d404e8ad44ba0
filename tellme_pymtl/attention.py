"""
Golden numerics of attention (prefill and decode), in the hardware's operation order. Every level calls these.

Shapes: q [n_q, H, d], k and v [n_k, Hkv, d], all float16; head h reads KV head h // (H // Hkv) (grouped-query
attention). scale = binary32(1 / sqrt(d)).

Score. s = dot(q_i, k_j) * scale in binary32, the dot product in the vector units' order: Q lane partial sums
(lane l takes elements l, l+Q, ...; fp16 x fp16 products are exact in binary32), then the lanes added in order.

Online softmax of one row over its keys in a given order (m = -inf, l = 0, o = 0 to start):
    m' = max(m, s);  a = exp(m - m');  p = exp(s - m')
    l = l * a + p                               (binary32; exp is tellme_pymtl.fp_prog's)
    o = fp16(o * a) + fp16(p * v_j)             (o binary16: each product in binary32, rounded to binary16, the
                                                 sum in binary16; fp16 x fp16 operands widen exactly)
    out = fp16(o * recip(l))                    (the product in binary32)
The o accumulator in binary16 is the paper's FP16 attention arithmetic; its products stay binary32 multiplies
rounded to binary16 because the same multipliers serve the dequantizer's fp16(fp32(acc) * c) in the accelerator
top. The scores, m and l stay binary32 (they are one per row; the dot products' lanes are shared with RMS-MAX's
binary32 sum of squares).
Prefill ("reversed-reordered"): row i takes keys j = i, i-1, ..., 0: causally masked keys are never computed,
and since every row's order is its own, grouping rows into passes of N_pe and padding the prompt to a multiple
of N_pe cannot change a result. The unit holds N_pe rows of one head and streams keys top-down from the
KV cache: key j is read once per pass and then dropped (evicted), and rows above j never see it.
Decode: the query at position t = n_k - 1; pass one takes keys 0 .. t in order, keeping m and l online and
the scores in a FIFO (depth attn_fifo); pass two: o = o + fp16(exp(s_j - m) * v_j) in binary16 over j
ascending, out = fp16(o * recip(l)). A context longer than the FIFO is an error (AttentionError).
"""
import math

import numpy as np

from . import fp, fp_prog

F32 = np.float32
F16 = np.float16
NEG_INF = F32(-np.inf)


class AttentionError(ValueError):
  pass


def scale_of(d):
  return F32(1.0 / math.sqrt(d))


def dot_f32(a16, b16, lanes):
  """Dot products over the last axis (float16 inputs), in the lane order described above."""
  a = np.asarray(fp.f16_to_f32(a16), dtype=F32)
  b = np.asarray(fp.f16_to_f32(b16), dtype=F32)
  prods = np.asarray(fp.mul(a, b), dtype=F32)
  d = prods.shape[-1]
  rounds = -(-d // lanes)
  pad = np.zeros(prods.shape[:-1] + (rounds * lanes,), dtype=F32)
  pad[..., :d] = prods
  pad = pad.reshape(prods.shape[:-1] + (rounds, lanes))
  ps = np.zeros(prods.shape[:-1] + (lanes,), dtype=F32)
  for r in range(rounds):
    ps = np.asarray(fp.add(ps, pad[..., r, :]), dtype=F32)
  tot = ps[..., 0]
  for l in range(1, lanes):
    tot = np.asarray(fp.add(tot, ps[..., l]), dtype=F32)
  return tot


def _exp(x):
  x = np.asarray(x, dtype=F32)
  return fp_prog.evaluate("exp", x.ravel()).reshape(x.shape)


def _recip(x):
  x = np.asarray(x, dtype=F32)
  return fp_prog.evaluate("recip", x.ravel()).reshape(x.shape)


def _running_max(s):
  """IEEE 754-2019 running maximum down axis 0 (NaN propagates; a zero maximum is +0 once any +0 was seen)."""
  m = np.maximum.accumulate(s, axis=0)
  pz = np.logical_or.accumulate((s == 0) & ~np.signbit(s), axis=0)
  zero = m == 0
  return np.where(zero & pz, F32(0.0), np.where(zero, F32(-0.0), m)).astype(F32)


def _prod16(x32, v16):
  """fp16(x * v) for binary32 x and binary16 v: the product in binary32, rounded to binary16."""
  return np.asarray(fp.f32_to_f16(fp.mul(x32, fp.f16_to_f32(v16))), dtype=F16)


def online_step(m, l, o, s, v16):
  """One key of the online softmax, vectorized over rows: m, l, s [r] (binary32); o, v16 [r, d] (binary16)."""
  m_new = np.asarray(fp.maximum(m, s), dtype=F32)
  a = _exp(fp.sub(m, m_new))
  p = _exp(fp.sub(s, m_new))
  l = np.asarray(fp.add(fp.mul(l, a), p), dtype=F32)
  o = np.asarray(fp.add(_prod16(a[:, None], o), _prod16(p[:, None], v16)), dtype=F16)
  return m_new, l, o


def finish(o, l):
  """out = fp16(o * recip(l)): o [r, d] binary16, l [r] binary32."""
  return _prod16(_recip(l)[:, None], o)


def check_shapes(q, k, v):
  if q.ndim != 3 or k.ndim != 3 or v.shape != k.shape:
    raise AttentionError(f"attention wants q [n, H, d], k and v [n, Hkv, d]; got {q.shape}, {k.shape}, {v.shape}")
  H, Hkv = q.shape[1], k.shape[1]
  if H % Hkv:
    raise AttentionError(f"{H} heads cannot share {Hkv} KV heads evenly")
  if q.shape[2] != k.shape[2]:
    raise AttentionError(f"head dims differ: q {q.shape[2]}, k {k.shape[2]}")


def _causal_rows(qf, ridx, hidx, kh, vh, lanes):
  """The online softmax of rows qf [rows, d] (row r at query position ridx[r], of head hidx[r]) over keys
  ridx[r], ridx[r] - 1, .., 0 of kh and vh [n, H', d] (float16). Returns float16 [rows, d]."""
  d = qf.shape[1]
  sc = scale_of(d)
  rows = qf.shape[0]
  m = np.full(rows, NEG_INF, dtype=F32)
  l = np.zeros(rows, dtype=F32)
  o = np.zeros((rows, d), dtype=F16)
  for t in range(int(ridx.max()) + 1 if rows else 0):   # step t: row r takes key j = ridx[r] - t (if t <= ridx[r])
    act = ridx >= t
    j = ridx[act] - t
    s = np.asarray(fp.mul(dot_f32(qf[act], kh[j, hidx[act]], lanes), sc), dtype=F32)
    m[act], l[act], o[act] = online_step(m[act], l[act], o[act], s, vh[j, hidx[act]])
  return finish(o, l)


def prefill(q, k, v, lanes):
  """Causal prefill attention, rows i = 0 .. n-1 of q against keys 0 .. i. Returns float16 [n, H, d]."""
  q, k, v = (np.asarray(x, dtype=F16) for x in (q, k, v))
  check_shapes(q, k, v)
  n, H, d = q.shape
  if k.shape[0] != n:
    raise AttentionError(f"prefill wants as many keys as queries: {k.shape[0]} vs {n}")
  group = H // k.shape[1]
  kh = k[:, np.arange(H) // group]                   # [n, H, d] the KV head of every head
  vh = v[:, np.arange(H) // group]
  ridx = np.repeat(np.arange(n), H)                   # query position of every row
  hidx = np.tile(np.arange(H), n)
  return _causal_rows(q.reshape(n * H, d), ridx, hidx, kh, vh, lanes).reshape(n, H, d)


def prefill_rows(q, k, v, i0, lanes):
  """One pass of the prefill unit: query rows q [r, d] at positions i0 .. i0+r-1 of one head, against that
  head's keys k, v [>= i0+r, d]. The same arithmetic as prefill(), row for row. Returns float16 [r, d]."""
  q, k, v = (np.asarray(x, dtype=F16) for x in (q, k, v))
  r = q.shape[0]
  return _causal_rows(q, i0 + np.arange(r), np.zeros(r, dtype=int), k[:i0 + r, None], v[:i0 + r, None], lanes)


def prefill_order(n, H, npe):
  """The prefill unit's stream order of (position, head) vectors, for q in and the output: passes of npe
  positions (the last one shorter), in each pass head by head, in each head the pass's rows."""
  return [(i, h) for i0 in range(0, n, npe) for h in range(H) for i in range(i0, min(i0 + npe, n))]


def decode(q, k, v, lanes, fifo_depth=1024):
  """Decode attention of one query position against keys 0 .. n_k-1. q [1, H, d]. Returns float16 [1, H, d]."""
  q, k, v = (np.asarray(x, dtype=F16) for x in (q, k, v))
  check_shapes(q, k, v)
  nk, H, d = k.shape[0], q.shape[1], q.shape[2]
  if q.shape[0] != 1:
    raise AttentionError(f"decode takes one query position, got {q.shape[0]}")
  if nk > fifo_depth:
    raise AttentionError(f"context of {nk} keys exceeds the decode score FIFO of {fifo_depth}")
  group = H // k.shape[1]
  sc = scale_of(d)
  kv = np.arange(H) // group
  scores = np.asarray(fp.mul(dot_f32(q[0][None], k[:, kv], lanes), sc), dtype=F32)     # [nk, H]
  # pass one: the running max m_j = max(m_{j-1}, s_j) (IEEE maximum: exact, so taken all at once, with
  # -0 < +0), then a_j = exp(m_{j-1} - m_j), p_j = exp(s_j - m_j) and l_j = l_{j-1} * a_j + p_j in key order
  mj = _running_max(scores)
  mprev = np.concatenate([np.full((1, H), NEG_INF, dtype=F32), mj[:-1]])
  a = _exp(fp.sub(mprev, mj))
  p = _exp(fp.sub(scores, mj))
  l = np.zeros(H, dtype=F32)
  for j in range(nk):
    l = np.asarray(fp.add(fp.mul(l, a[j]), p[j]), dtype=F32)
  m = mj[-1]
  # pass two: o = o + fp16(exp(s_j - m) * v_j) in binary16, j ascending
  pv = _prod16(_exp(fp.sub(scores, m))[:, :, None], v[:, kv])
  o = np.zeros((H, d), dtype=F16)
  for j in range(nk):
    o = np.asarray(fp.add(o, pv[j]), dtype=F16)
  return finish(o, l)[None]


def reference(q, k, v, causal=True, offset=0):
  """float64 attention (row i sees keys 0 .. i + offset)."""
  q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
  n, H, d = q.shape
  group = H // k.shape[1]
  kh, vh = k[:, np.arange(H) // group], v[:, np.arange(H) // group]
  s = np.einsum("ihd,jhd->hij", q, kh) / math.sqrt(d)
  if causal:
    mask = np.arange(k.shape[0])[None, :] > (np.arange(n)[:, None] + offset)
    s = np.where(mask[None], -np.inf, s)
  s = s - s.max(axis=-1, keepdims=True)
  p = np.exp(s)
  p = p / p.sum(axis=-1, keepdims=True)
  return np.einsum("hij,jhd->ihd", p, vh)


# Accuracy: the outputs are binary16, so the comparison with float64 is relative to the output's scale.
# |out - ref| <= ATTN_ABS_BOUND * max|v| holds on the tests' data (binary16 rounding of the output is 2^-11
# relative; the binary16 o accumulator adds a rounding per key, at most 1.3e-3 measured over 1024 keys of
# unit-variance v with scores of standard deviation 4).
ATTN_ABS_BOUND = 2.0e-3


def max_error(out, ref, v):
  """max |out - ref| / max |v|: the error relative to the scale of the values averaged."""
  return float(np.max(np.abs(np.asarray(out, dtype=np.float64) - ref)) / max(float(np.max(np.abs(v))), 1e-30))


# KV cache layout in DDR ---------------------------------------------------------------------------------------

def words_per_vec(cfg, d):
  """DDR words per FP16 head vector (96 x 16 bits = 2 words of 768)."""
  return -(-(16 * d) // cfg.word_bits)


def kv_address(cfg, base, d, max_ctx, kvh, pos):
  """First word of the K (or V) vector of KV head kvh at position pos in a region starting at `base`:
  base + (kvh * max_ctx + pos) * words_per_vec. Element e of the vector is at bits [16e, 16e+16) of its
  words taken together (least significant word first)."""
  return base + (kvh * max_ctx + pos) * words_per_vec(cfg, d)


def vec_words(cfg, x16):
  """One FP16 vector -> its DDR words (ints)."""
  bits = np.asarray(x16, dtype=F16).view(np.uint16)
  v = 0
  for e in range(bits.size - 1, -1, -1):
    v = (v << 16) | int(bits[e])
  return [(v >> (w * cfg.word_bits)) & ((1 << cfg.word_bits) - 1) for w in range(words_per_vec(cfg, bits.size))]


def words_vec(cfg, words, d):
  v = 0
  for w, x in enumerate(words):
    v |= int(x) << (w * cfg.word_bits)
  return np.array([(v >> (16 * e)) & 0xFFFF for e in range(d)], dtype=np.uint16).view(F16)


def kv_image(cfg, k, v, max_ctx, image=None):
  """Write K and V [n, Hkv, d] into a DDR image (a list, grown as needed) as one layer's cache. Returns
  (image, kbase, vbase)."""
  image = list(image or [])
  n, Hkv, d = k.shape
  if n > max_ctx:
    raise AttentionError(f"{n} positions exceed the cache's max_ctx={max_ctx}")
  wpv = words_per_vec(cfg, d)
  kbase = len(image)
  vbase = kbase + Hkv * max_ctx * wpv
  image += [0] * (2 * Hkv * max_ctx * wpv)
  for base, x in ((kbase, k), (vbase, v)):
    for p in range(n):
      for h in range(Hkv):
        a = kv_address(cfg, base, d, max_ctx, h, p)
        image[a:a + wpv] = vec_words(cfg, x[p, h])
  return image, kbase, vbase
