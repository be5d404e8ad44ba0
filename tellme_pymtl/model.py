"""
BitNet b1.58 models: the configuration, the weights in the form every level uses (ternary int8 matrices with
one float32 scale each, float32 norms, embedding and LM head), and loading from Hugging Face checkpoints:

  - transformers' `bitnet` model type (sub-norms `self_attn.attn_sub_norm`, `mlp.ffn_sub_norm`): float master
    weights, ternarized on load with absmean exactly as BitLinear does (scale = 1 / max(mean|W|, 1e-5),
    W_t = clamp(round(W * scale), -1, 1)), or packed weights (uint8, 4 per byte along the output dimension,
    plus `weight_scale`, as in microsoft/bitnet-b1.58-2B-4T);
  - the 1bitLLM/bitnet_b1_58-large layout (sub-norms `self_attn.inner_attn_ln`, `mlp.ffn_layernorm`).

For a linear layer, y = (W_t . q) * w_scale / s_x, with w_scale = max(mean|W|, 1e-5) (the inverse weight
scale; 1 / weight_scale for packed checkpoints) and s_x the activation scale.

A bad checkpoint raises ModelError with one line naming the problem (the CLI prints it, exit status 2).
"""
import dataclasses
import json
import os

import numpy as np

from .safetensors_io import SafeFile, SafetensorsError, save


class ModelError(ValueError):
  pass


ACTS = ("silu", "relu2")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  vocab: int
  hidden: int
  intermediate: int
  layers: int
  heads: int
  kv_heads: int
  head_dim: int
  act: str = "silu"
  rope_theta: float = 10000.0
  eps: float = 1e-5
  tie: bool = False
  max_pos: int = 2048
  name: str = "bitnet"
  tokenizer: str = ""                 # "bytes" for the built-in byte-level models

  def __post_init__(s):
    for f in ("vocab", "hidden", "intermediate", "layers", "heads", "kv_heads", "head_dim", "max_pos"):
      v = getattr(s, f)
      if not isinstance(v, int) or v < 1:
        raise ModelError(f"model config: {f} must be a positive integer, got {v!r}")
    if s.act not in ACTS:
      raise ModelError(f"model config: unknown activation {s.act!r} (supported: {', '.join(ACTS)})")
    if s.heads % s.kv_heads:
      raise ModelError(f"model config: {s.heads} heads cannot share {s.kv_heads} KV heads evenly")
    if s.head_dim % 2:
      raise ModelError(f"model config: head_dim {s.head_dim} is odd (RoPE pairs elements)")
    if not s.rope_theta > 0 or not s.eps > 0:
      raise ModelError("model config: rope_theta and rms_norm_eps must be positive")

  @property
  def q_dim(s):
    return s.heads * s.head_dim

  @property
  def kv_dim(s):
    return s.kv_heads * s.head_dim

  def n_params(s):
    per = 2 * s.hidden * s.q_dim + 2 * s.hidden * s.kv_dim + 3 * s.hidden * s.intermediate
    return s.layers * per

  def to_hf(s, layout="bitnet"):
    d = {"vocab_size": s.vocab, "hidden_size": s.hidden, "intermediate_size": s.intermediate,
         "num_hidden_layers": s.layers, "num_attention_heads": s.heads, "num_key_value_heads": s.kv_heads,
         "head_dim": s.head_dim, "hidden_act": s.act, "rope_theta": s.rope_theta, "rms_norm_eps": s.eps,
         "tie_word_embeddings": s.tie, "max_position_embeddings": s.max_pos}
    if layout == "bitnet":
      d.update(model_type="bitnet", architectures=["BitNetForCausalLM"])
    else:
      d.update(model_type="llama", architectures=["BitnetForCausalLM"])
    if s.tokenizer:
      d["tellme_tokenizer"] = s.tokenizer
    return d


def config_from_hf(d, name="bitnet"):
  """A transformers config.json dict -> ModelConfig (rope_theta at the top or inside rope_parameters)."""
  def need(k):
    if k not in d:
      raise ModelError(f"config.json: missing {k}")
    return d[k]
  theta = d.get("rope_theta")
  rp = d.get("rope_parameters")
  if isinstance(rp, dict):
    if rp.get("rope_type", "default") not in ("default", None):
      raise ModelError(f"config.json: rope_type {rp.get('rope_type')!r} is not supported (default RoPE only)")
    theta = rp.get("rope_theta", theta)
  rs = d.get("rope_scaling")
  if isinstance(rs, dict) and rs.get("rope_type", rs.get("type", "default")) not in ("default", None):
    raise ModelError(f"config.json: rope_scaling {rs} is not supported (default RoPE only)")
  heads = int(need("num_attention_heads"))
  hidden = int(need("hidden_size"))
  act = d.get("hidden_act", "silu")
  if act == "swish":
    act = "silu"
  return ModelConfig(vocab=int(need("vocab_size")), hidden=hidden, intermediate=int(need("intermediate_size")),
                     layers=int(need("num_hidden_layers")), heads=heads,
                     kv_heads=int(d.get("num_key_value_heads") or heads),
                     head_dim=int(d.get("head_dim") or hidden // heads), act=act,
                     rope_theta=float(theta if theta is not None else 10000.0),
                     eps=float(d.get("rms_norm_eps", 1e-5)), tie=bool(d.get("tie_word_embeddings", False)),
                     max_pos=int(d.get("max_position_embeddings", 2048)), name=name,
                     tokenizer=str(d.get("tellme_tokenizer", "")))


@dataclasses.dataclass
class Linear:
  """A ternary matrix W [out, in] (int8 in {-1, 0, 1}) and its inverse weight scale (float32)."""
  W: np.ndarray
  w_scale: np.float32
  _wf: np.ndarray = None

  @property
  def Wf(s):
    """W as float32 (exact): integer products through BLAS stay exact while |acc| < 2^24."""
    if s._wf is None:
      s._wf = s.W.astype(np.float32)
    return s._wf


LINEARS = ("q", "k", "v", "o", "gate", "up", "down")
NORMS = ("in_norm", "attn_norm", "post_norm", "ffn_norm")


@dataclasses.dataclass
class Layer:
  q: Linear
  k: Linear
  v: Linear
  o: Linear
  gate: Linear
  up: Linear
  down: Linear
  in_norm: np.ndarray
  attn_norm: np.ndarray
  post_norm: np.ndarray
  ffn_norm: np.ndarray


@dataclasses.dataclass
class BitNetModel:
  cfg: ModelConfig
  embed: np.ndarray          # [vocab, hidden] float32
  layers: list
  norm: np.ndarray           # [hidden]
  lm_head: np.ndarray        # [vocab, hidden] float32 (the embedding itself when tied)
  source: str = ""

  def shapes(s):
    c = s.cfg
    return {"q": (c.q_dim, c.hidden), "k": (c.kv_dim, c.hidden), "v": (c.kv_dim, c.hidden),
            "o": (c.hidden, c.q_dim), "gate": (c.intermediate, c.hidden), "up": (c.intermediate, c.hidden),
            "down": (c.hidden, c.intermediate), "in_norm": (c.hidden,), "attn_norm": (c.q_dim,),
            "post_norm": (c.hidden,), "ffn_norm": (c.intermediate,)}


def ternarize(W):
  """BitNet b1.58 absmean weight quantization of a float matrix: (W_t int8, w_scale float32)."""
  W = np.asarray(W, dtype=np.float32)
  m = np.float32(max(np.float32(np.mean(np.abs(W), dtype=np.float64)), np.float32(1e-5)))
  scale = np.float32(1.0) / m
  Wt = np.clip(np.round(W * scale), -1, 1).astype(np.int8)
  return Wt, m


def pack_ternary(Wt):
  """transformers' pack_weights: 4 values per byte along dim 0 (row block i in bits 2i..2i+1), value + 1."""
  out = Wt.shape[0]
  rows = -(-out // 4)
  u = (np.asarray(Wt, dtype=np.int16) + 1).astype(np.uint8)
  packed = np.zeros((rows,) + Wt.shape[1:], dtype=np.uint8)
  for i in range(4):
    a, b = i * rows, min((i + 1) * rows, out)
    if a < b:
      packed[:b - a] |= u[a:b] << (2 * i)
  return packed


def unpack_ternary(packed, name):
  """transformers' unpack_weights; a 2-bit value of 3 (not -1, 0 or 1) is an error."""
  rows = packed.shape[0]
  u = np.empty((4 * rows,) + packed.shape[1:], dtype=np.uint8)
  for i in range(4):
    u[i * rows:(i + 1) * rows] = (packed >> (2 * i)) & 3
  if (u == 3).any():
    raise ModelError(f"{name}: packed weights hold a value that is not ternary (2-bit code 3)")
  return (u.astype(np.int8) - 1)


NAMES = {
  "bitnet": {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
             "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj",
             "in_norm": "input_layernorm", "attn_norm": "self_attn.attn_sub_norm",
             "post_norm": "post_attention_layernorm", "ffn_norm": "mlp.ffn_sub_norm"},
}
NAMES["1bitllm"] = dict(NAMES["bitnet"], attn_norm="self_attn.inner_attn_ln", ffn_norm="mlp.ffn_layernorm")


class _Tensors:
  """The tensors of a checkpoint (one safetensors file or a sharded index)."""

  def __init__(s, d):
    single = os.path.join(d, "model.safetensors")
    index = os.path.join(d, "model.safetensors.index.json")
    s.where = {}
    try:
      if os.path.exists(single):
        f = SafeFile(single)
        s.where = {k: f for k in f.keys()}
      elif os.path.exists(index):
        with open(index) as fh:
          wm = json.load(fh)["weight_map"]
        files = {}
        for k, fn in wm.items():
          if fn not in files:
            files[fn] = SafeFile(os.path.join(d, fn))
          s.where[k] = files[fn]
      else:
        raise ModelError(f"{d}: no model.safetensors (or model.safetensors.index.json)")
    except SafetensorsError as e:
      raise ModelError(str(e)) from None
    except (OSError, KeyError, json.JSONDecodeError) as e:
      raise ModelError(f"{d}: unreadable checkpoint index ({type(e).__name__}: {e})") from None

  def has(s, k):
    return k in s.where

  def get(s, k, shape=None, what="tensor"):
    if k not in s.where:
      raise ModelError(f"checkpoint: missing {what} {k}")
    f = s.where[k]
    if shape is not None and f.shape(k) != tuple(shape):
      raise ModelError(f"checkpoint: {k} has shape {list(f.shape(k))}, expected {list(shape)}")
    try:
      return f.get(k)
    except SafetensorsError as e:
      raise ModelError(str(e)) from None


def _linear(t, key, shape):
  wk = key + ".weight"
  if not t.has(wk):
    raise ModelError(f"checkpoint: missing tensor {wk}")
  f = t.where[wk]
  if f.dtype(wk) == "U8":                            # packed ternary + weight_scale
    out, inp = shape
    t.get(wk, (-(-out // 4), inp))
    Wt = unpack_ternary(t.get(wk), wk)[:out]
    sk = key + ".weight_scale"
    ws = np.asarray(t.get(sk, what="tensor"), dtype=np.float32).ravel()
    if ws.size != 1 or not np.isfinite(ws[0]) or ws[0] <= 0:
      raise ModelError(f"checkpoint: {sk} must be one positive number, got {ws[:4]}")
    return Linear(Wt, np.float32(np.float32(1.0) / ws[0]))
  W = t.get(wk, shape)
  if not np.issubdtype(W.dtype, np.floating):
    raise ModelError(f"checkpoint: {wk} has dtype {f.dtype(wk)}; expected float master weights or packed uint8")
  W = W.astype(np.float32)
  if not np.isfinite(W).all():
    raise ModelError(f"checkpoint: {wk} holds NaN or infinite values")
  return Linear(*ternarize(W))


def load_checkpoint(d):
  """Load a BitNet checkpoint directory (config.json + safetensors) -> BitNetModel."""
  cpath = os.path.join(d, "config.json")
  if not os.path.isdir(d):
    raise ModelError(f"{d}: not a directory")
  if not os.path.exists(cpath):
    raise ModelError(f"{d}: no config.json")
  try:
    with open(cpath) as fh:
      hf = json.load(fh)
  except (OSError, json.JSONDecodeError) as e:
    raise ModelError(f"{cpath}: not valid JSON ({e.__class__.__name__})") from None
  try:
    cfg = config_from_hf(hf, name=os.path.basename(os.path.normpath(d)))
  except (TypeError, ValueError) as e:
    if isinstance(e, ModelError):
      raise
    raise ModelError(f"config.json: {e}") from None
  t = _Tensors(d)
  layout = "1bitllm" if t.has("model.layers.0.self_attn.inner_attn_ln.weight") else "bitnet"
  names = NAMES[layout]
  emb = t.get("model.embed_tokens.weight", (cfg.vocab, cfg.hidden)).astype(np.float32)
  m = BitNetModel(cfg, emb, [], None, None, source=d)
  shapes = m.shapes()
  for i in range(cfg.layers):
    p = f"model.layers.{i}."
    kw = {}
    for k in LINEARS:
      kw[k] = _linear(t, p + names[k], shapes[k])
    for k in NORMS:
      kw[k] = t.get(p + names[k] + ".weight", shapes[k]).astype(np.float32)
    m.layers.append(Layer(**kw))
  m.norm = t.get("model.norm.weight", (cfg.hidden,)).astype(np.float32)
  if t.has("lm_head.weight"):
    m.lm_head = t.get("lm_head.weight", (cfg.vocab, cfg.hidden)).astype(np.float32)
  elif cfg.tie:
    m.lm_head = emb
  else:
    raise ModelError("checkpoint: missing tensor lm_head.weight (and tie_word_embeddings is false)")
  for arr, k in [(emb, "embedding"), (m.norm, "final norm"), (m.lm_head, "lm_head")]:
    if not np.isfinite(arr).all():
      raise ModelError(f"checkpoint: the {k} holds NaN or infinite values")
  return m


def save_checkpoint(m, d, packed=True, layout="bitnet", master=None, float_dtype=np.float32):
  """Write a model as a checkpoint directory. packed: uint8 + weight_scale; otherwise float master weights
  (`master`: {layer index: {name: float matrix}}, or the ternary matrix times its scale). The embedding, LM
  head and norms are stored as float_dtype."""
  os.makedirs(d, exist_ok=True)
  names = NAMES[layout]
  T = {"model.embed_tokens.weight": m.embed.astype(float_dtype), "model.norm.weight": m.norm.astype(float_dtype)}
  if not m.cfg.tie:
    T["lm_head.weight"] = m.lm_head.astype(float_dtype)
  for i, L in enumerate(m.layers):
    p = f"model.layers.{i}."
    for k in LINEARS:
      lin = getattr(L, k)
      if packed:
        T[p + names[k] + ".weight"] = pack_ternary(lin.W)
        T[p + names[k] + ".weight_scale"] = np.array([np.float32(1.0) / lin.w_scale], dtype=np.float32)
      else:
        W = master[i][k] if master else lin.W.astype(np.float32) * lin.w_scale
        T[p + names[k] + ".weight"] = np.asarray(W, dtype=np.float32)
    for k in NORMS:
      T[p + names[k] + ".weight"] = getattr(L, k).astype(float_dtype)
  save(os.path.join(d, "model.safetensors"), T, {"format": "pt"})
  with open(os.path.join(d, "config.json"), "w") as fh:
    json.dump(m.cfg.to_hf(layout), fh, indent=2)


def random_model(cfg, seed=0, p_zero=1 / 3):
  """A random BitNet model of the given shapes (tests, benchmarks): ternary weights with realistic scales."""
  rng = np.random.default_rng(seed)
  shapes = BitNetModel(cfg, None, [], None, None).shapes()

  def lin(shape):
    if p_zero == 1 / 3:
      W = rng.integers(-1, 2, size=shape, dtype=np.int8)
    else:
      W = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=shape, p=[(1 - p_zero) / 2, p_zero, (1 - p_zero) / 2])
    return Linear(W, np.float32(rng.uniform(0.5, 1.5) / np.sqrt(shape[1])))

  def norm(n):
    return (1 + 0.1 * rng.standard_normal(n)).astype(np.float32)

  layers = [Layer(**{k: lin(shapes[k]) for k in LINEARS}, **{k: norm(shapes[k][0]) for k in NORMS})
            for _ in range(cfg.layers)]
  emb = rng.standard_normal((cfg.vocab, cfg.hidden)).astype(np.float32)
  head = emb if cfg.tie else rng.standard_normal((cfg.vocab, cfg.hidden)).astype(np.float32)
  return BitNetModel(cfg, emb, layers, norm(cfg.hidden), head, source=f"random(seed={seed})")


# The published shapes of the models `tellme perf` projects.
BITNET_073B = ModelConfig(vocab=32002, hidden=1536, intermediate=4096, layers=24, heads=16, kv_heads=16,
                          head_dim=96, act="silu", rope_theta=10000.0, name="bitnet-0.73b")
BITNET_2B4T = ModelConfig(vocab=128256, hidden=2560, intermediate=6912, layers=30, heads=20, kv_heads=5,
                          head_dim=128, act="relu2", rope_theta=500000.0, tie=True, max_pos=4096, name="bitnet-2b4t")
