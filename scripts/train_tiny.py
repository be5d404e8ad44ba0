#!/usr/bin/env python3
"""
Train the built-in tiny BitNet b1.58 model (tellme_pymtl/models/tiny-bitnet) from scratch, on text that ships
with Python: the Zen of Python (the `this` module) and the docstrings of standard-library modules, byte-level.

It is the BitNet b1.58 recipe (quantization-aware training with straight-through estimators): every linear
layer quantizes its weights to {-1, 0, 1} x mean|W| and its input activations per token to int8 in the forward
pass; RMSNorm before each block and the BitNet sub-norms before o_proj and down_proj; RoPE (rotate-half);
grouped-query attention; SiLU-gated MLP. The result is written as a packed checkpoint (uint8 + weight_scale,
the microsoft/bitnet-b1.58-2B-4T layout) that `tellme run` loads like any other.

Needs torch (pip install torch); the runtime of tellme_pymtl does not.
  python3 scripts/train_tiny.py [--steps N] [--out DIR]
"""
import argparse
import importlib
import io
import math
import os
import sys
import time
from contextlib import redirect_stdout

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tellme_pymtl.model import BitNetModel, Layer, Linear, ModelConfig, save_checkpoint  # noqa: E402

CFG = ModelConfig(vocab=256, hidden=128, intermediate=384, layers=4, heads=4, kv_heads=2, head_dim=32,
                  act="silu", rope_theta=10000.0, eps=1e-5, tie=False, max_pos=256, name="tiny-bitnet",
                  tokenizer="bytes")
MODULES = ["this", "os", "re", "json", "random", "collections", "itertools", "functools", "string", "textwrap",
           "argparse", "pathlib", "typing", "dataclasses", "heapq", "bisect", "shutil", "tempfile", "glob",
           "fnmatch", "csv", "logging", "unittest", "difflib", "pprint", "statistics", "fractions", "decimal",
           "datetime", "calendar", "contextlib", "abc", "enum", "copy", "inspect", "ast", "tokenize", "zipfile",
           "tarfile", "gzip", "hashlib", "base64", "html", "urllib.parse", "email", "socket", "threading",
           "subprocess", "sqlite3", "math"]


def corpus():
  """The Zen of Python (eight times: the demo prompt continues it) and standard-library docstrings."""
  buf = io.StringIO()
  with redirect_stdout(buf):
    import this  # noqa: F401
  zen = buf.getvalue()
  if not zen:                                       # already imported elsewhere: decode it ourselves
    import this as t
    zen = "".join(t.d.get(c, c) for c in t.s)
  parts = [zen] * 8
  for name in MODULES[1:]:
    try:
      mod = importlib.import_module(name)
    except ImportError:
      continue
    objs = [mod] + [getattr(mod, a, None) for a in sorted(dir(mod)) if not a.startswith("_")]
    for o in objs:
      doc = getattr(o, "__doc__", None)
      if isinstance(doc, str) and len(doc) > 80 and doc not in parts:
        parts.append(doc.strip() + "\n\n")
  text = "".join(parts)
  return np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8).astype(np.int64), zen


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--steps", type=int, default=2000)
  ap.add_argument("--batch", type=int, default=24)
  ap.add_argument("--seq", type=int, default=128)
  ap.add_argument("--lr", type=float, default=3e-3)
  ap.add_argument("--seed", type=int, default=0)
  ap.add_argument("--threads", type=int, default=2)
  ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tellme_pymtl", "models",
                                                "tiny-bitnet"))
  args = ap.parse_args()
  import torch
  import torch.nn as nn
  import torch.nn.functional as F
  torch.manual_seed(args.seed)
  torch.set_num_threads(args.threads)
  c = CFG

  def ste(x, q):
    return x + (q - x).detach()

  class BitLinear(nn.Linear):
    def forward(self, x):
      w = self.weight
      s = 1.0 / w.abs().mean().clamp(min=1e-5)
      wq = ste(w, (w * s).round().clamp(-1, 1) / s)
      sx = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
      xq = ste(x, (x * sx).round().clamp(-128, 127) / sx)
      return F.linear(xq, wq)

  class RMSNorm(nn.Module):
    def __init__(self, n):
      super().__init__()
      self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
      return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + c.eps) * self.weight

  def rope(x, cos, sin):
    d = x.shape[-1]
    rot = torch.cat([-x[..., d // 2:], x[..., :d // 2]], dim=-1)
    return x * cos + rot * sin

  class Block(nn.Module):
    def __init__(self):
      super().__init__()
      self.in_norm, self.attn_norm = RMSNorm(c.hidden), RMSNorm(c.q_dim)
      self.post_norm, self.ffn_norm = RMSNorm(c.hidden), RMSNorm(c.intermediate)
      self.q, self.k = BitLinear(c.hidden, c.q_dim, bias=False), BitLinear(c.hidden, c.kv_dim, bias=False)
      self.v, self.o = BitLinear(c.hidden, c.kv_dim, bias=False), BitLinear(c.q_dim, c.hidden, bias=False)
      self.gate = BitLinear(c.hidden, c.intermediate, bias=False)
      self.up = BitLinear(c.hidden, c.intermediate, bias=False)
      self.down = BitLinear(c.intermediate, c.hidden, bias=False)

    def forward(self, x, cos, sin):
      B, T, _ = x.shape
      h = self.in_norm(x)
      q = rope(self.q(h).view(B, T, c.heads, c.head_dim).transpose(1, 2), cos, sin)
      k = rope(self.k(h).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2), cos, sin)
      v = self.v(h).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
      g = c.heads // c.kv_heads
      k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
      a = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, c.q_dim)
      x = x + self.o(self.attn_norm(a))
      h = self.post_norm(x)
      return x + self.down(self.ffn_norm(F.silu(self.gate(h)) * self.up(h)))

  class Net(nn.Module):
    def __init__(self):
      super().__init__()
      self.embed = nn.Embedding(c.vocab, c.hidden)
      self.blocks = nn.ModuleList(Block() for _ in range(c.layers))
      self.norm = RMSNorm(c.hidden)
      self.head = nn.Linear(c.hidden, c.vocab, bias=False)

    def forward(self, ids):
      T = ids.shape[1]
      inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float32) / c.head_dim))
      f = torch.arange(T, dtype=torch.float32)[:, None] * inv[None]
      cos, sin = torch.cat([f.cos(), f.cos()], -1), torch.cat([f.sin(), f.sin()], -1)
      x = self.embed(ids)
      for b in self.blocks:
        x = b(x, cos, sin)
      return self.head(self.norm(x))

  data, zen = corpus()
  print(f"corpus: {data.size} bytes; model: {c.n_params()} ternary weights", flush=True)
  net = Net()
  opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.95))
  rng = np.random.default_rng(args.seed)
  t0 = time.time()
  for step in range(args.steps):
    lr = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
    for g in opt.param_groups:
      g["lr"] = lr
    starts = rng.integers(0, data.size - args.seq - 1, size=args.batch)
    xb = torch.from_numpy(np.stack([data[s:s + args.seq + 1] for s in starts]))
    logits = net(xb[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, c.vocab), xb[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
    opt.step()
    if step % 100 == 0 or step == args.steps - 1:
      print(f"step {step:5d}  loss {loss.item():.3f}  {time.time() - t0:.0f} s", flush=True)

  def lin(mod):
    w = mod.weight.detach().numpy().astype(np.float32)
    m = np.float32(max(np.float32(np.abs(w).mean(dtype=np.float64)), np.float32(1e-5)))
    return Linear(np.clip(np.round(w * (np.float32(1) / m)), -1, 1).astype(np.int8), m)

  layers = [Layer(q=lin(b.q), k=lin(b.k), v=lin(b.v), o=lin(b.o), gate=lin(b.gate), up=lin(b.up),
                  down=lin(b.down), in_norm=b.in_norm.weight.detach().numpy(),
                  attn_norm=b.attn_norm.weight.detach().numpy(), post_norm=b.post_norm.weight.detach().numpy(),
                  ffn_norm=b.ffn_norm.weight.detach().numpy()) for b in net.blocks]
  model = BitNetModel(c, net.embed.weight.detach().numpy(), layers, net.norm.weight.detach().numpy(),
                      net.head.weight.detach().numpy())
  save_checkpoint(model, args.out, packed=True, float_dtype=np.float16)
  print(f"wrote {os.path.normpath(args.out)}", flush=True)


if __name__ == "__main__":
  main()
