"""
Message types shared by every level, and the packing between numpy arrays and stream beats.

TLMM engine streams (val/rdy; a vector stream is one handshake for an array of messages, see ifcs.py):
  cmd  TLMMCmd              in_dim, out_dim, ntokens (dim_bits each): one matrix job for ntokens tokens
  act  T x Bits(G*A)        one input block of G*T signed activations: msg[t] holds activations t*G .. t*G+G-1,
                            activation j of the group at bits [j*A, (j+1)*A)
  wgt  Q x Bits(T*I)        one weight beat: msg[q] holds lane q's T indices, table t at bits [t*I, (t+1)*I)
  out  Q x Bits(C)          one output block: msg[q] = signed accumulator of row o*Q + q

Beat order for one command: act beats token by token, input block by input block; wgt beats token by token,
input block by input block, output block by output block (loop order token -> input block -> output block);
out beats token by token, output block by output block. The weight stream carries the matrix once per token
(the weight buffer replays it).
"""
import numpy as np
from pymtl3 import mk_bits, mk_bitstruct

from . import numerics as nx
from .ifcs import RecvIfcRTL, SendIfcRTL, VecRecvIfcRTL, VecSendIfcRTL


class MsgError(ValueError):
  """A job that the engine cannot take (dimension zero or above the configured maximum, ...)."""


def mk_tlmm_cmd(dim_bits):
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"TLMMCmd_{dim_bits}", {"in_dim": BD, "out_dim": BD, "ntokens": BD})


def mk_vec_cmd(dim_bits):
  """Command of the vector units (quantizer, dequantizer, RMS-MAX, element-wise): n elements, ntokens."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"VecCmd_{dim_bits}", {"n": BD, "ntokens": BD})


def mk_deq_cmd(dim_bits):
  """Dequantizer command: n outputs per token, ntokens, and the matrix's weight scale (binary32 bits)."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"DeqCmd_{dim_bits}", {"n": BD, "ntokens": BD, "wscale": mk_bits(32)})


def mk_ew_cmd(dim_bits):
  """Element-wise command: n elements per token, ntokens, mode (tellme_pymtl.fp_prog.EW_MODES)."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"EwCmd_{dim_bits}", {"n": BD, "ntokens": BD, "mode": mk_bits(3)})


def mk_rms_cmd(dim_bits):
  """RMS-MAX command: n, ntokens, inv_n = binary32(1/n), eps (binary32 bits)."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"RmsCmd_{dim_bits}", {"n": BD, "ntokens": BD, "inv_n": mk_bits(32), "eps": mk_bits(32)})


def mk_stream_cmd():
  """Weight streamer / buffer command: base word address, beats per pass, passes (one per token)."""
  return mk_bitstruct("WStreamCmd", {"base": mk_bits(32), "nbeats": mk_bits(32), "passes": mk_bits(16)})


def mk_attn_cmd(dim_bits):
  """Attention command: n (prefill rows, or decode context length), heads, kv_heads, hdim, max_ctx, the KV
  cache's K and V base words (decode), and what the host derives: words per head vector (wpv), beats per
  head vector (nbeats) and the binary32 scale 1/sqrt(hdim)."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"AttnCmd_{dim_bits}", {"n": BD, "heads": mk_bits(8), "kv_heads": mk_bits(8),
                                               "hdim": mk_bits(8), "max_ctx": BD, "kbase": mk_bits(32),
                                               "vbase": mk_bits(32), "wpv": mk_bits(8), "nbeats": mk_bits(8),
                                               "scale": mk_bits(32)})


def attn_cmd(cfg, n, H, Hkv, d, max_ctx=0, kbase=0, vbase=0):
  from . import attention as A
  if n < 1:
    raise MsgError(f"an attention job needs at least one position, got n={n}")
  if A.words_per_vec(cfg, d) > cfg.burst_len:
    raise MsgError(f"a head vector of {d} FP16 takes {A.words_per_vec(cfg, d)} DDR words, more than a burst "
                   f"of {cfg.burst_len}")
  return mk_attn_cmd(cfg.dim_bits)(n, H, Hkv, d, max_ctx, kbase, vbase, A.words_per_vec(cfg, d), -(-d // cfg.Q),
                                   f32_bits(A.scale_of(d)))


def mk_kvw_cmd(dim_bits):
  """KV writer command: the region's base word, first position, positions, kv_heads, hdim, max_ctx, and the
  host-derived words and beats per head vector."""
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"KvwCmd_{dim_bits}", {"base": mk_bits(32), "pos": BD, "npos": BD, "kv_heads": mk_bits(8),
                                              "hdim": mk_bits(8), "max_ctx": BD, "wpv": mk_bits(8),
                                              "nbeats": mk_bits(8)})


class TLMMTypes:
  """The engine's stream types for one configuration."""

  def __init__(s, cfg):
    s.cfg = cfg
    s.CmdType = mk_tlmm_cmd(cfg.dim_bits)
    s.ActType = mk_bits(cfg.G * cfg.act_bits)      # x T per beat
    s.WgtType = mk_bits(cfg.T * cfg.idx_bits)      # x Q per beat
    s.OutType = mk_bits(cfg.acc_bits)              # x Q per beat

  def declare_ports(s, comp):
    """Give a TLMM engine model (any level) its four streams: cmd, act, wgt, out."""
    comp.cmd = RecvIfcRTL(s.CmdType)
    comp.act = VecRecvIfcRTL(s.ActType, s.cfg.T)
    comp.wgt = VecRecvIfcRTL(s.WgtType, s.cfg.Q)
    comp.out = VecSendIfcRTL(s.OutType, s.cfg.Q)


def pack_fields(values, nbits):
  """Integers (signed or unsigned) -> one int with element i at bits [i*nbits, (i+1)*nbits)."""
  v = np.asarray(values, dtype=np.int64).ravel()
  mask = (1 << nbits) - 1
  word = 0
  for i in range(v.size - 1, -1, -1):
    word = (word << nbits) | (int(v[i]) & mask)
  return word


def unpack_fields(word, n, nbits, signed=True):
  """Inverse of pack_fields: int -> int64 array of n elements."""
  word = int(word)
  mask = (1 << nbits) - 1
  out = np.empty(n, dtype=np.int64)
  for i in range(n):
    out[i] = (word >> (i * nbits)) & mask
  if signed:
    out = np.where(out >= (1 << (nbits - 1)), out - (1 << nbits), out)
  return out


def act_beat(ty, block):
  """G*T activations -> T messages of G packed activations."""
  G, A = ty.cfg.G, ty.cfg.act_bits
  return [ty.ActType(pack_fields(block[t * G:(t + 1) * G], A)) for t in range(ty.cfg.T)]


def wgt_beat(ty, idx_qt):
  """[Q, T] indices -> Q messages of T packed indices."""
  return [ty.WgtType(pack_fields(row, ty.cfg.idx_bits)) for row in idx_qt]


def out_beat(ty, vals):
  """Q accumulator values -> Q messages."""
  return [ty.OutType(int(v) & ((1 << ty.cfg.acc_bits) - 1)) for v in vals]


def act_beat_values(cfg, beat):
  return np.concatenate([unpack_fields(m, cfg.G, cfg.act_bits) for m in beat])


def wgt_beat_values(cfg, beat):
  return np.stack([unpack_fields(m, cfg.T, cfg.idx_bits, signed=False) for m in beat])


def out_beat_values(cfg, beat):
  return np.array([unpack_fields(m, 1, cfg.acc_bits)[0] for m in beat], dtype=np.int64)


def check_job(cfg, in_dim, out_dim, ntokens):
  for name, v, hi in (("in_dim", in_dim, cfg.max_in_dim), ("out_dim", out_dim, cfg.max_out_dim),
                      ("ntokens", ntokens, (1 << cfg.dim_bits) - 1)):
    if not 1 <= v <= hi:
      raise MsgError(f"TLMM job field {name}={v} is outside [1, {hi}] for config {cfg.name}")


def tlmm_job_msgs(cfg, W, X):
  """Stream messages for Y = W . X^T on the engine: dict with cmd/act/wgt source beats and the expected out
  beats (from the golden plain integer product, wrapped to the accumulator width)."""
  W = np.asarray(W)
  X = np.asarray(X)
  out_dim, in_dim = W.shape
  ntokens = X.shape[0]
  check_job(cfg, in_dim, out_dim, ntokens)
  ty = TLMMTypes(cfg)
  idx = nx.weight_indices(W, cfg)                        # [nbo, nbi, Q, T]
  blocks = nx.act_blocks(X, cfg)                         # [N, nbi, G*T]
  nbo, nbi = idx.shape[:2]
  wbeats = [wgt_beat(ty, idx[o, k]) for k in range(nbi) for o in range(nbo)]
  Y = nx.wrap_signed(nx.ternary_matmul(nx.pad_weights(W, cfg), nx.pad_acts(X, cfg)), cfg.acc_bits)
  return {
    "cmd": [ty.CmdType(in_dim, out_dim, ntokens)],
    "act": [act_beat(ty, blocks[n, k]) for n in range(ntokens) for k in range(nbi)],
    "wgt": wbeats * ntokens,
    "out": [out_beat(ty, Y[n, o * cfg.Q:(o + 1) * cfg.Q]) for n in range(ntokens) for o in range(nbo)],
  }


def unpack_outputs(cfg, beats, ntokens, out_dim):
  """Out beats -> int64 [ntokens, out_dim]."""
  vals = np.concatenate([out_beat_values(cfg, b) for b in beats]) if beats else np.zeros(0, dtype=np.int64)
  return vals.reshape(ntokens, -1)[:, :out_dim]


# Vector units (FP16 vectors in Q-wide beats) -------------------------------------------------------------------

def f16_beats(cfg, x16):
  """float16 vector -> ceil(n/Q) beats of Q Bits16 (elements past n are +0)."""
  x16 = np.asarray(x16, dtype=np.float16)
  n = x16.size
  pad = np.zeros(-(-n // cfg.Q) * cfg.Q, dtype=np.float16)
  pad[:n] = x16
  bits = pad.view(np.uint16)
  B16 = mk_bits(16)
  return [[B16(int(v)) for v in bits[i:i + cfg.Q]] for i in range(0, bits.size, cfg.Q)]


def f16_from_beats(cfg, beats, n):
  bits = np.array([int(v) for b in beats for v in b], dtype=np.uint16)
  return bits.view(np.float16)[:n]


def beat_f16(beat):
  """One beat of Bits16 -> float16 array."""
  return np.array([int(v) for v in beat], dtype=np.uint16).view(np.float16)


def check_vec_job(cfg, n, ntokens):
  if not 1 <= n <= cfg.max_in_dim:
    raise MsgError(f"vector length n={n} is outside [1, {cfg.max_in_dim}] for config {cfg.name}")
  if not 1 <= ntokens < (1 << cfg.dim_bits):
    raise MsgError(f"ntokens={ntokens} is outside [1, {(1 << cfg.dim_bits) - 1}]")


def quant_job_msgs(cfg, X16):
  """Quantizer job: X16 [ntokens, n] float16. Returns cmd, x (sources) and scale, act (expected)."""
  from . import fused
  X16 = np.asarray(X16, dtype=np.float16)
  ntok, n = X16.shape
  check_vec_job(cfg, n, ntok)
  ty = TLMMTypes(cfg)
  B32 = mk_bits(32)
  out = {"cmd": [quant_cmd(cfg, n, ntok)], "x": [], "scale": [], "act": []}
  for row in X16:
    q, sc = fused.quantize(row, cfg.act_bits)
    out["x"] += f16_beats(cfg, row)
    out["scale"].append(B32(int(np.float32(sc).view(np.uint32))))
    blocks = nx.act_blocks(q[None, :], cfg)[0]
    out["act"] += [act_beat(ty, blk) for blk in blocks]
  return out


def f32_bits(v):
  return mk_bits(32)(int(np.float32(v).view(np.uint32)))


# The commands of the units (the unit-by-unit jobs and the accelerator top's programs build them here) ------------

def quant_cmd(cfg, n, ntok):
  return mk_vec_cmd(cfg.dim_bits)(n, ntok)


def deq_cmd(cfg, n, ntok, w_scale):
  return mk_deq_cmd(cfg.dim_bits)(n, ntok, f32_bits(w_scale))


def ew_cmd(cfg, mode, n, ntok):
  from . import fp_prog
  return mk_ew_cmd(cfg.dim_bits)(n, ntok, fp_prog.EW_MODES[mode])


def rms_cmd(cfg, n, ntok, eps):
  from . import fused
  return mk_rms_cmd(cfg.dim_bits)(n, ntok, f32_bits(fused.inv_dim(n)), f32_bits(np.float32(eps)))


def wpath_beats(cfg, out_dim, in_dim):
  """Weight beats of a matrix [out_dim, in_dim] (its packed size in beats)."""
  return (cfg.pad_out(out_dim) // cfg.Q) * (cfg.pad_in(in_dim) // cfg.block_in)


def wpath_cmd(cfg, in_dim, out_dim, ntok, base):
  from .fuse import mk_wpath_cmd
  return mk_wpath_cmd(cfg.dim_bits)(in_dim, out_dim, ntok, base, wpath_beats(cfg, out_dim, in_dim))


def kvw_cmd(cfg, base, pos, npos, Hkv, d, max_ctx):
  from . import attention as A
  return mk_kvw_cmd(cfg.dim_bits)(base, pos, npos, Hkv, d, max_ctx, A.words_per_vec(cfg, d), -(-d // cfg.Q))


def deq_job_msgs(cfg, ACC, w_scale, s_x):
  """Dequantizer job: ACC [ntokens, n] integer accumulators, w_scale (float32), s_x [ntokens] (float32)."""
  from . import fused
  ACC = np.asarray(ACC, dtype=np.int64)
  ntok, n = ACC.shape
  check_vec_job(cfg, n, ntok)
  if n > cfg.max_out_dim:
    raise MsgError(f"dequantizer n={n} exceeds max_out_dim={cfg.max_out_dim}")
  ty = TLMMTypes(cfg)
  out = {"cmd": [deq_cmd(cfg, n, ntok, w_scale)], "scale": [], "acc": [], "y": []}
  for t in range(ntok):
    row = np.zeros(cfg.pad_out(n), dtype=np.int64)
    row[:n] = ACC[t]
    out["scale"].append(f32_bits(s_x[t]))
    out["acc"] += [out_beat(ty, row[i:i + cfg.Q]) for i in range(0, row.size, cfg.Q)]
    out["y"] += f16_beats(cfg, fused.dequantize(row, w_scale, s_x[t]))
  return out


def ew_job_msgs(cfg, mode, A16, B16):
  """Element-wise job: A16, B16 [ntokens, n] float16 (B16 ignored and not sent for mode none)."""
  from . import fused
  A16 = np.asarray(A16, dtype=np.float16)
  B16 = np.asarray(B16, dtype=np.float16)
  ntok, n = A16.shape
  check_vec_job(cfg, n, ntok)
  if mode == "rope" and (cfg.Q % 2 or n % 2):
    raise MsgError(f"rope pairs elements: Q={cfg.Q} and n={n} must be even")
  out = {"cmd": [ew_cmd(cfg, mode, n, ntok)], "a": [], "b": [], "y": []}
  for t in range(ntok):
    ab, bb = f16_beats(cfg, A16[t]), f16_beats(cfg, B16[t])
    out["a"] += ab
    if mode != "none":
      out["b"] += bb
    for x, y in zip(ab, bb):
      a16 = np.array([int(v) for v in x], dtype=np.uint16).view(np.float16)
      b16 = np.array([int(v) for v in y], dtype=np.uint16).view(np.float16) if mode != "none" else \
        np.zeros(cfg.Q, dtype=np.float16)
      out["y"] += f16_beats(cfg, fused.elementwise(mode, a16, b16))
  return out


def rms_job_msgs(cfg, X16, g16, eps=1e-5):
  """RMS-MAX job: X16 [ntokens, n] float16, g16 [n] float16 norm weight (sent once per token)."""
  from . import fused
  X16 = np.asarray(X16, dtype=np.float16)
  ntok, n = X16.shape
  check_vec_job(cfg, n, ntok)
  inv_n, e = fused.inv_dim(n), np.float32(eps)
  out = {"cmd": [rms_cmd(cfg, n, ntok, eps)], "x": [], "g": [], "y": [],
         "amax": []}
  for t in range(ntok):
    y, amax, _ = fused.rms_max(X16[t], g16, cfg.Q, inv_n, e)
    out["x"] += f16_beats(cfg, X16[t])
    out["g"] += f16_beats(cfg, g16)
    out["y"] += f16_beats(cfg, y)
    out["amax"].append(mk_bits(16)(int(np.float16(amax).view(np.uint16))))
  return out


def fuse_job_msgs(cfg, W, w_scale, X16, mode, B16=None):
  """TLMM-FUSE job: sources cmd, x, wgt, b and the expected y beats (tellme_pymtl.fused.fuse_reference)."""
  from . import fused, fp_prog
  from .fuse import mk_fuse_cmd
  X16 = np.asarray(X16, dtype=np.float16)
  ntok, in_dim = X16.shape
  out_dim = W.shape[0]
  check_job(cfg, in_dim, out_dim, ntok)
  if mode == "rope" and (cfg.Q % 2 or out_dim % 2):
    raise MsgError(f"rope pairs elements: Q={cfg.Q} and out_dim={out_dim} must be even")
  ty = TLMMTypes(cfg)
  idx = nx.weight_indices(W, cfg)
  nbo, nbi = idx.shape[:2]
  wbeats = [wgt_beat(ty, idx[o, k]) for k in range(nbi) for o in range(nbo)]
  Y = fused.fuse_reference(cfg, W, w_scale, X16, mode, B16)
  out = {"cmd": [mk_fuse_cmd(cfg.dim_bits)(in_dim, out_dim, ntok, fp_prog.EW_MODES[mode], f32_bits(w_scale))],
         "x": [], "wgt": wbeats * ntok, "b": [], "y": []}
  for t in range(ntok):
    out["x"] += f16_beats(cfg, X16[t])
    if mode != "none":
      out["b"] += f16_beats(cfg, np.asarray(B16[t], dtype=np.float16))
    out["y"] += f16_beats(cfg, Y[t])
  return out


# Port declarations of the vector units, shared by their FL, CL and RTL models -----------------------------------

def quant_ports(s, cfg):
  s.cmd = RecvIfcRTL(mk_vec_cmd(cfg.dim_bits))
  s.x = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.scale = SendIfcRTL(mk_bits(32))
  s.act = VecSendIfcRTL(TLMMTypes(cfg).ActType, cfg.T)


def deq_ports(s, cfg):
  s.cmd = RecvIfcRTL(mk_deq_cmd(cfg.dim_bits))
  s.scale = RecvIfcRTL(mk_bits(32))
  s.acc = VecRecvIfcRTL(mk_bits(cfg.acc_bits), cfg.Q)
  s.y = VecSendIfcRTL(mk_bits(16), cfg.Q)


def rms_ports(s, cfg):
  s.cmd = RecvIfcRTL(mk_rms_cmd(cfg.dim_bits))
  s.x = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.g = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.y = VecSendIfcRTL(mk_bits(16), cfg.Q)
  s.amax = SendIfcRTL(mk_bits(16))


def ew_ports(s, cfg):
  s.cmd = RecvIfcRTL(mk_ew_cmd(cfg.dim_bits))
  s.a = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.b = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.y = VecSendIfcRTL(mk_bits(16), cfg.Q)


def wstream_ports(s, cfg):
  """Weight streamer: cmd, DDR request/response, beats out (Q lanes of T indices)."""
  from .ddr import mk_mem_req
  s.cmd = RecvIfcRTL(mk_stream_cmd())
  s.mem_req = SendIfcRTL(mk_mem_req())
  s.mem_resp = RecvIfcRTL(mk_bits(cfg.word_bits))
  s.out = VecSendIfcRTL(TLMMTypes(cfg).WgtType, cfg.Q)


def wbuf_ports(s, cfg):
  """Weight buffer: cmd, beats in from the streamer, beats out to the TLMM engine."""
  ty = TLMMTypes(cfg)
  s.cmd = RecvIfcRTL(mk_stream_cmd())
  s.in_ = VecRecvIfcRTL(ty.WgtType, cfg.Q)
  s.out = VecSendIfcRTL(ty.WgtType, cfg.Q)


def wgt_beats_of(cfg, W, passes=1):
  """The engine's weight beats of W (Q-message lists), repeated once per pass."""
  ty = TLMMTypes(cfg)
  idx = nx.weight_indices(W, cfg)
  nbo, nbi = idx.shape[:2]
  return [wgt_beat(ty, idx[o, k]) for k in range(nbi) for o in range(nbo)] * passes


def wpath_job_msgs(cfg, W, X, lead=()):
  """Weight-path job: W packed into a DDR image after the `lead` matrices; returns the image, the command,
  the activation beats and the expected output beats (the golden integer product)."""
  from . import packing
  m = tlmm_job_msgs(cfg, W, X)
  image, bases, _ = packing.pack(cfg, list(lead) + [W])
  nbeats = wpath_beats(cfg, W.shape[0], W.shape[1])
  return {"image": image, "cmd": [wpath_cmd(cfg, W.shape[1], W.shape[0], X.shape[0], bases[-1])], "act": m["act"], "out": m["out"], "nbeats": nbeats}


def attn_ports(s, cfg, prefix=""):
  """Both attention units: a command, query beats in, K/V reads from the KV cache in DDR, output beats
  (named prefix + cmd, q, mem_req, mem_resp, out)."""
  from .ddr import mk_mem_req
  setattr(s, prefix + "cmd", RecvIfcRTL(mk_attn_cmd(cfg.dim_bits)))
  setattr(s, prefix + "q", VecRecvIfcRTL(mk_bits(16), cfg.Q))
  setattr(s, prefix + "mem_req", SendIfcRTL(mk_mem_req()))
  setattr(s, prefix + "mem_resp", RecvIfcRTL(mk_bits(cfg.word_bits)))
  setattr(s, prefix + "out", VecSendIfcRTL(mk_bits(16), cfg.Q))


ATTN_PORTS = ("cmd", "q", "mem_req", "mem_resp", "out")


def connect_attn_ports(s, child, prefix=""):
  """Connect s's attention ports named prefix + ATTN_PORTS (attn_ports) to the same ports of child."""
  from pymtl3 import connect
  for p in ATTN_PORTS:
    connect(getattr(s, prefix + p), getattr(child, p))


def head_beats(cfg, x16):
  """[n, heads, d] float16 -> beats, position-major then head, ceil(d/Q) beats per head vector."""
  x16 = np.asarray(x16, dtype=np.float16)
  out = []
  for p in range(x16.shape[0]):
    for h in range(x16.shape[1]):
      out += f16_beats(cfg, x16[p, h])
  return out


def heads_from_beats(cfg, beats, n, heads, d):
  bpv = -(-d // cfg.Q)
  vals = np.array([int(m) for b in beats for m in b], dtype=np.uint16).view(np.float16)
  return vals.reshape(n, heads, bpv * cfg.Q)[:, :, :d]


def order_beats(cfg, x16, order):
  """[n, heads, d] float16 -> beats of the (position, head) vectors in the given order."""
  x16 = np.asarray(x16, dtype=np.float16)
  return [b for (i, h) in order for b in f16_beats(cfg, x16[i, h])]


def prefill_job_msgs(cfg, q, k, v, max_ctx, npe, image=None):
  """Prefill job: K and V [n, Hkv, d] in the KV cache (a DDR image: image with the cache appended), q [n, H, d];
  q and the output stream in tellme_pymtl.attention.prefill_order."""
  from . import attention as A
  n, H, d = q.shape
  A.check_shapes(q, k, v)
  image, kbase, vbase = A.kv_image(cfg, k, v, max_ctx, image)
  order = A.prefill_order(n, H, npe)
  cmd = attn_cmd(cfg, n, H, k.shape[1], d, max_ctx, kbase, vbase)
  return {"image": image, "cmd": [cmd], "q": order_beats(cfg, q, order),
          "out": order_beats(cfg, A.prefill(q, k, v, cfg.Q), order)}


def decode_job_msgs(cfg, q, k, v, max_ctx, fifo_depth, image=None):
  """Decode job: K and V [n_k, Hkv, d] laid into a DDR image (the KV cache, appended to image); q [1, H, d]."""
  from . import attention as A
  image, kbase, vbase = A.kv_image(cfg, k, v, max_ctx, image)
  H, d = q.shape[1], q.shape[2]
  cmd = attn_cmd(cfg, k.shape[0], H, k.shape[1], d, max_ctx, kbase, vbase)
  return {"image": image, "cmd": [cmd], "q": head_beats(cfg, q),
          "out": head_beats(cfg, A.decode(q, k, v, cfg.Q, fifo_depth))}


def kvw_ports(s, cfg):
  """KV writer: cmd, head vectors in (position-major, then KV head), word writes to DDR, one ack per job."""
  from .ddr import mk_mem_write
  s.cmd = RecvIfcRTL(mk_kvw_cmd(cfg.dim_bits))
  s.x = VecRecvIfcRTL(mk_bits(16), cfg.Q)
  s.mem_wreq = SendIfcRTL(mk_mem_write(cfg.word_bits))
  s.ack = SendIfcRTL(mk_bits(1))


def kvw_job_msgs(cfg, x, base, pos, max_ctx):
  """KV writer job: x [npos, Hkv, d] float16 written at positions pos .. pos+npos-1 of the region at base."""
  npos, Hkv, d = x.shape
  if pos + npos > max_ctx:
    raise MsgError(f"positions {pos}..{pos + npos - 1} exceed max_ctx={max_ctx}")
  return {"cmd": [kvw_cmd(cfg, base, pos, npos, Hkv, d, max_ctx)], "x": head_beats(cfg, x), "ack": [mk_bits(1)(1)]}
