"""
Offline weight packing: ternary matrices -> the DDR image the weight streamer reads, and back.

Layout. A matrix becomes its TLMM weight beats (numerics.weight_indices: beat (o, k) holds, for each of the Q
lanes, the T 5-bit indices of row o*Q+q over input block k), in the engine's order (input block k outer,
output block o inner). A beat is Q*T*5 bits (2240 at the paper's size), lane q at bits [q*T*5, (q+1)*T*5);
it is stored in words_per_beat consecutive DDR words of ddr_ports x port_bits bits (3 x 256 = 768: one beat
is 3 words, 2304 bits, 1.71 bits per weight), least significant bits in the first word, the ports side by
side within a word (port p carries bits [p*256, (p+1)*256)). Matrices follow each other; `pack` returns the
image and each matrix's first word.

Row tiles (row_tiles). A matrix whose beats exceed one half of the weight buffer (H beats) but whose input
blocks fit in it (nbi <= H) is stored and run as row tiles: consecutive groups of Q rows, as few tiles as fit
in H beats each, the groups shared out evenly. Each tile is a matrix of its own in the image, so the weight
path streams it once and the buffer replays it for every token of a prefill (weight reuse); a decode runs
the same tiles one token each, streaming the same bytes. Every level, the cycle model and the top's compiler
take the tiles from here.

Weight buffer address translation (analytic, shared with the RTL): beat i of a job (i = k * nbo + o for
output block o of input block k, the matrix once per token) lives in half h = (i // H) % 2 at buffer address
a = h * H + i % H (H = wbuf_half_beats); lane q's index vector at a spans uram_width_blocks UltraRAMs side by
side, in depth block a // uram_depth, row a % uram_depth.
"""
import numpy as np

from . import numerics as nx


class PackError(ValueError):
  pass


def beat_ints(cfg, idx):
  """[nbo, nbi, Q, T] indices -> one Python int per beat, engine order (k outer, o inner)."""
  nbo, nbi = idx.shape[:2]
  TI = cfg.T * cfg.idx_bits
  beats = []
  for k in range(nbi):
    for o in range(nbo):
      v = 0
      for q in range(cfg.Q - 1, -1, -1):
        lane = 0
        for t in range(cfg.T - 1, -1, -1):
          lane = (lane << cfg.idx_bits) | int(idx[o, k, q, t])
        v = (v << TI) | lane
      beats.append(v)
  return beats


def beat_words(cfg, beat):
  mask = (1 << cfg.word_bits) - 1
  return [(beat >> (w * cfg.word_bits)) & mask for w in range(cfg.words_per_beat)]


def row_tiles(cfg, out_dim, in_dim):
  """[(first row, rows)] of the matrix [out_dim, in_dim]'s row tiles (see the module's text)."""
  H = cfg.wbuf_half_beats
  nbi, nbo = cfg.pad_in(in_dim) // cfg.block_in, cfg.pad_out(out_dim) // cfg.Q
  if nbi * nbo <= H or nbi > H:
    return [(0, out_dim)]
  n = -(-nbo // (H // nbi))
  tiles, g0 = [], 0
  for t in range(n):
    g = nbo // n + (t < nbo % n)
    r0 = g0 * cfg.Q
    tiles.append((r0, min(out_dim, (g0 + g) * cfg.Q) - r0))
    g0 += g
  return tiles


def fits_half(cfg, nbeats):
  """A weight-path job of nbeats per token is streamed once and replayed per token (it fits in one half)."""
  return nbeats <= cfg.wbuf_half_beats


def pack(cfg, matrices):
  """Ternary matrices -> (image: list of word ints, bases: first word of each matrix, shapes)."""
  image, bases, shapes = [], [], []
  for W in matrices:
    W = np.asarray(W)
    if W.ndim != 2:
      raise PackError(f"a weight matrix must be 2-D, got shape {W.shape}")
    bases.append(len(image))
    shapes.append(W.shape)
    for b in beat_ints(cfg, nx.weight_indices(W, cfg)):
      image += beat_words(cfg, b)
  return image, bases, shapes


def unpack(cfg, image, base, shape):
  """The inverse of pack for one matrix: the ternary matrix [out, in] (padding dropped)."""
  out_dim, in_dim = shape
  nbo, nbi = cfg.pad_out(out_dim) // cfg.Q, cfg.pad_in(in_dim) // cfg.block_in
  WPB, TI = cfg.words_per_beat, cfg.T * cfg.idx_bits
  idx = np.zeros((nbo, nbi, cfg.Q, cfg.T), dtype=np.int64)
  i = 0
  for k in range(nbi):
    for o in range(nbo):
      beat = 0
      for w in range(WPB):
        beat |= int(image[base + i * WPB + w]) << (w * cfg.word_bits)
      for q in range(cfg.Q):
        lane = (beat >> (q * TI)) & ((1 << TI) - 1)
        for t in range(cfg.T):
          idx[o, k, q, t] = (lane >> (t * cfg.idx_bits)) & ((1 << cfg.idx_bits) - 1)
      i += 1
  W = nx.decode_index(idx.transpose(0, 2, 1, 3).reshape(nbo * cfg.Q, nbi * cfg.T), cfg.G)
  return W.reshape(nbo * cfg.Q, -1)[:out_dim, :in_dim]


def buffer_location(cfg, i, q=0):
  """Where beat i (lane q) of a job lives in the weight buffer: (half, address in the half, lane, depth block,
  row), the depth block and row of the buffer address half * H + address."""
  H = cfg.wbuf_half_beats
  half, addr = (i // H) % 2, i % H
  a = half * H + addr
  return half, addr, q, a // cfg.uram_depth, a % cfg.uram_depth

