"""
Golden numerics: the one place that defines what the accelerator computes, bit for bit.

Every level (FL, CL, RTL through its tests), the harness and the benches call these functions; nothing
re-derives them.

Weight index encoding (documented order)
----------------------------------------
A group of G ternary weights (w_0, ..., w_{G-1}), each in {-1, 0, +1}, is the base-3 number whose digits are
d_j = w_j + 1, first weight most significant:

    idx = sum_j (w_j + 1) * 3^(G-1-j)            (G = 3: idx = 9*(w0+1) + 3*(w1+1) + (w2+1), in [0, 26])

so index 13 (= (3^G - 1) / 2) is the all-zero group, index 0 is (-1,-1,-1) and index 26 is (+1,+1,+1).
Negating every weight maps idx to 3^G - 1 - idx.

Table
-----
For G int8 activations (a_0, ..., a_{G-1}) the table has 3^G entries, entry e = sum_j (d_j(e) - 1) * a_j with
d_j(e) the digits of e above. So table[idx] is exactly the dot product of the weight group with the activations,
and a lookup replaces G multiply-accumulates.

Padding
-------
The input dimension is zero-padded to a multiple of G*T (weights pad with 0, i.e. index 13, activations pad
with 0), the output dimension to a multiple of Q (padded rows are all-zero weights, and their outputs are 0).
"""
import numpy as np


class NumericsError(ValueError):
  """Bad input to the golden numerics (a non-ternary weight, an activation out of range, ...)."""


def zero_index(G):
  return (3 ** G - 1) // 2


def _digit_weights(G):
  return 3 ** np.arange(G - 1, -1, -1, dtype=np.int64)


def encode_ternary(w):
  """Ternary weights [..., G] -> indices [...] (int64)."""
  w = np.asarray(w)
  if not np.isin(w, (-1, 0, 1)).all():
    raise NumericsError("ternary weights must be -1, 0 or +1")
  G = w.shape[-1]
  return ((w.astype(np.int64) + 1) * _digit_weights(G)).sum(axis=-1)


def decode_index(idx, G):
  """Indices [...] -> ternary weights [..., G] (int8)."""
  idx = np.asarray(idx, dtype=np.int64)
  if ((idx < 0) | (idx >= 3 ** G)).any():
    raise NumericsError(f"weight index out of range [0, {3 ** G - 1}]")
  return ((idx[..., None] // _digit_weights(G)) % 3 - 1).astype(np.int8)


def entry_digits(G):
  """[3^G, G] ternary weight pattern of every table entry (the index order above)."""
  return decode_index(np.arange(3 ** G), G)


def check_acts(x, act_bits):
  x = np.asarray(x)
  lo, hi = -(1 << (act_bits - 1)), (1 << (act_bits - 1)) - 1
  if x.size and (x.min() < lo or x.max() > hi):
    raise NumericsError(f"activations must be {act_bits}-bit signed integers in [{lo}, {hi}]")
  return x.astype(np.int64)


def build_table(a):
  """Activations [..., G] -> table [..., 3^G] of signed sums (int64). Entry e = digits(e) . a."""
  a = np.asarray(a, dtype=np.int64)
  return a @ entry_digits(a.shape[-1]).astype(np.int64).T


def pad_to(n, mult):
  return -(-n // mult) * mult


def pad_weights(W, cfg):
  """Ternary W [out, in] -> [pad_out(out), pad_in(in)] with zeros."""
  W = np.asarray(W)
  if W.ndim != 2:
    raise NumericsError(f"weight matrix must be 2-D, got shape {W.shape}")
  out = np.zeros((cfg.pad_out(W.shape[0]), cfg.pad_in(W.shape[1])), dtype=np.int8)
  out[:W.shape[0], :W.shape[1]] = W
  return out


def pad_acts(X, cfg):
  """Activations X [ntokens, in] -> [ntokens, pad_in(in)] with zeros."""
  X = check_acts(X, cfg.act_bits)
  if X.ndim != 2:
    raise NumericsError(f"activations must be 2-D [tokens, in_dim], got shape {X.shape}")
  out = np.zeros((X.shape[0], cfg.pad_in(X.shape[1])), dtype=np.int64)
  out[:, :X.shape[1]] = X
  return out


def weight_indices(W, cfg):
  """Ternary W [out, in] -> TLMM index tensor [nblk_out, nblk_in, Q, T]: the weight stream's beats.

  Beat (o, k) carries, for lane q (row o*Q + q), the T indices of input block k."""
  Wp = pad_weights(W, cfg)
  idx = encode_ternary(Wp.reshape(Wp.shape[0], -1, cfg.G))          # [rows, in/G]
  nbo, nbi = Wp.shape[0] // cfg.Q, Wp.shape[1] // cfg.block_in
  return idx.reshape(nbo, cfg.Q, nbi, cfg.T).transpose(0, 2, 1, 3).copy()


def act_blocks(X, cfg):
  """Activations X [ntokens, in] -> [ntokens, nblk_in, G*T]: the activation stream's beats."""
  Xp = pad_acts(X, cfg)
  return Xp.reshape(Xp.shape[0], -1, cfg.block_in)


def tlmm_lookup(idx, X, cfg):
  """The TLMM computation as the engine does it: per input block, T tables of 3^G entries are built from the
  block's activations, and each lane adds up T lookups. idx [nblk_out, nblk_in, Q, T] (from
  `weight_indices`), X [ntokens, in]. Returns int64 [ntokens, nblk_out*Q]."""
  blocks = act_blocks(X, cfg)                                         # [N, nbi, G*T]
  N, nbi = blocks.shape[:2]
  if idx.shape[1] != nbi:
    raise NumericsError(f"weights have {idx.shape[1]} input blocks, activations {nbi}")
  tables = build_table(blocks.reshape(N, nbi, cfg.T, cfg.G))          # [N, nbi, T, 3^G]
  nbo = idx.shape[0]
  out = np.zeros((N, nbo, cfg.Q), dtype=np.int64)
  t_ar = np.arange(cfg.T)
  for k in range(nbi):
    # lookups [N, nbo, Q, T] = tables[n, k, t, idx[o, k, q, t]]
    look = tables[:, k][:, t_ar, idx[:, k]]                           # [N, nbo, Q, T]
    out += look.sum(axis=-1)
  return out.reshape(N, nbo * cfg.Q)


def ternary_matmul(W, X):
  """Exact integer product Y[n, o] = sum_i W[o, i] * X[n, i] for ternary W and integer X (int64 result).

  Fast path: float32 BLAS is exact while every partial sum stays below 2^24 in magnitude, which holds when
  in_dim * max|x| < 2^24; otherwise the product is done in int64."""
  W = np.asarray(W)
  X = np.asarray(X)
  if W.shape[1] != X.shape[1]:
    raise NumericsError(f"in_dim mismatch: weights {W.shape}, activations {X.shape}")
  xmax = int(np.abs(X).max()) if X.size else 0
  if W.shape[1] * xmax < (1 << 24):
    return (X.astype(np.float32) @ W.astype(np.float32).T).astype(np.int64)
  return X.astype(np.int64) @ W.astype(np.int64).T


def wrap_signed(v, nbits):
  """Two's complement wrap of integers to nbits (what a register of that width holds)."""
  v = np.asarray(v, dtype=np.int64)
  m = 1 << nbits
  return ((v + (m >> 1)) % m) - (m >> 1)


def random_ternary(rng, shape, p_zero=1 / 3):
  """Random ternary matrix with P(0) = p_zero and +-1 equally likely otherwise."""
  z = rng.random(shape) < p_zero
  s = rng.integers(0, 2, size=shape) * 2 - 1
  return np.where(z, 0, s).astype(np.int8)


def random_acts(rng, shape, act_bits=8):
  lo, hi = -(1 << (act_bits - 1)), (1 << (act_bits - 1))
  return rng.integers(lo, hi, size=shape, dtype=np.int64)
