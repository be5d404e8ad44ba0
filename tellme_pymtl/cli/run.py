"""
`tellme run`: a BitNet model through the accelerator, greedy decoding, with the timing report.

--level fl: tokens from the accelerator's numerics (tellme_pymtl.llm: every unit's golden function); cycles from
the units' CL models (tellme_pymtl.perf.CycleModel), each distinct job shape simulated once and cached.
--level cl|rtl|verilog: every unit job of every step runs through that level's model on the real data
(tellme_pymtl.unitrun.ModelUnits; each output checked bit for bit), and the cycles are the ones measured. TTFT = (prefill + LM head) / clock; decode tok/s = clock / (mean
decode-step cycles + LM head), the LM head counted as an FP16 GEMV streamed at the DDR rate (analytic).
--level top: the composed RTL top under Verilator; --level top-cl: the CL top (cl_models.AccelTopCL, Python, no
Verilator), whose cycles are the RTL top's; both run the host's instruction program and check FL's tokens.
"""
import json
import os
import sys
import time

import numpy as np

from .. import llm
from ..model import load_checkpoint
from ..perf import CycleModel
from . import UsageError, config_from
from .levels import MODELS, build_dir

BUILTIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "tiny-bitnet")
DEFAULT_PROMPT = "Beautiful is better than"
UNITS = ("WeightPath", "RMSMax", "Quantizer", "Dequantizer", "Elementwise", "KVWriter", "DecodeAttention",
         "PrefillAttention", "TLMMEngine")


def cycle_model(cfg, quiet=False, npe=8):
  cache = os.path.join(os.path.abspath(os.environ.get("TELLME_BUILD", "build")), "perf_cache.json")
  prog = None if quiet else (lambda text: print(f"  [cl] {text}", file=sys.stderr, flush=True))
  return CycleModel(cfg, {u: MODELS[u]["cl"] for u in UNITS}, cache=cache, progress=prog, npe=npe)


class Tokenizer:
  """Byte-level for the built-in models; a Hugging Face tokenizer.json through the `tokenizers` package when
  the checkpoint has one and the package is installed; otherwise ids only."""

  def __init__(s, model_dir, mcfg):
    s.kind, s.tok = None, None
    if mcfg.tokenizer == "bytes":
      s.kind = "bytes"
      return
    path = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(path):
      try:
        from tokenizers import Tokenizer as HFTok
        s.tok, s.kind = HFTok.from_file(path), "hf"
      except ImportError:
        pass

  def encode(s, text):
    if s.kind == "bytes":
      return list(text.encode("utf-8"))
    if s.kind == "hf":
      return s.tok.encode(text).ids
    raise UsageError("this checkpoint has no tokenizer tellme can use (pip install tokenizers, or give "
                     "--prompt-ids)")

  def decode(s, ids):
    if s.kind == "bytes":
      return bytes(ids).decode("utf-8", errors="replace")
    if s.kind == "hf":
      return s.tok.decode(ids)
    return None


def parse_ids(text):
  try:
    ids = [int(x) for x in text.replace(" ", "").split(",") if x]
  except ValueError:
    raise UsageError(f"--prompt-ids wants comma-separated integers, got {text!r}") from None
  if not ids:
    raise UsageError("--prompt-ids is empty")
  return ids


def progress(i, n, t0, stream=sys.stderr):
  w = 30
  done = int(w * (i + 1) / n)
  el = time.time() - t0
  end = "\r" if stream.isatty() else "\n"
  stream.write(f"  [{'#' * done}{'.' * (w - done)}] {i + 1}/{n} tokens  {el:.1f} s{end}")
  if i + 1 == n and stream.isatty():
    stream.write("\n")
  stream.flush()


def run_model(args):
  if args.max_new_tokens < 1:
    raise UsageError("--max-new-tokens must be at least 1")
  if args.npe < 1:
    raise UsageError("--npe must be at least 1")
  mdir = args.model or BUILTIN
  model = load_checkpoint(mdir)
  cfg = config_from(args)
  tok = Tokenizer(mdir, model.cfg)
  if args.prompt_ids is not None:
    prompt = parse_ids(args.prompt_ids)
  else:
    prompt = tok.encode(args.prompt if args.prompt is not None else DEFAULT_PROMPT)
  if not prompt:
    raise UsageError("the prompt is empty")
  if args.level in ("top", "top-cl"):
    return run_top(args, mdir, model, cfg, tok, prompt)
  units = None
  if args.level != "fl":
    from ..unitrun import ModelUnits
    units = ModelUnits(cfg, MODELS, args.level, npe=args.npe)
  am = llm.AccelModel(model, cfg, max_ctx=len(prompt) + args.max_new_tokens, units=units, npe=args.npe)
  show = ((not args.json) and sys.stderr.isatty()) or args.progress
  t0 = time.time()
  traces, step_cycles, toks = [], [], []

  def measured():
    return dict(units.cycles) if units else None
  with build_dir("run"):
    before = measured()
    tr = []
    y = am.step(prompt, tr)
    traces.append(tr)
    step_cycles.append((before, measured()))
    for t in range(args.max_new_tokens):
      tok_id = int(np.argmax(am.logits(y)))
      toks.append(tok_id)
      if show:
        progress(t, args.max_new_tokens, t0)
      if t + 1 < args.max_new_tokens:
        before, tr = measured(), []
        y = am.step([tok_id], tr)
        traces.append(tr)
        step_cycles.append((before, measured()))
  wall = time.time() - t0

  def delta(b, a):
    return {k: a[k] - b.get(k, 0) for k in a if a[k] - b.get(k, 0)}
  if units:                                   # cycles measured on the units that ran
    steps = [(sum(delta(b, a).values()), delta(b, a)) for b, a in step_cycles]
    source = f"measured: every unit job simulated at {args.level}"
  else:                                       # cycles from the units' CL models, per job shape
    cm = cycle_model(cfg, quiet=args.json and not args.progress, npe=args.npe)
    with build_dir("perf"):
      steps = [cm.cycles(t) for t in traces]
    source = "CL cycle model: each unit job shape simulated once at CL"
  return report(result(args, mdir, cfg, model, tok, prompt, toks, steps, source, wall), args, cfg, model, tok,
                prompt)


def run_top(args, mdir, model, cfg, tok, prompt):
  """--level top: the composed RTL top (rtl_models.AccelTopRTL) under Verilator, the host's LM head on its
  hidden states; --level top-cl: the CL top (cl_models.AccelTopCL) in Python simulation, the same cycles. The step cycles are measured on the top; the breakdown per unit is the CL cycle model's for
  the same jobs (the sequencer's issue cycles included), what the measurement adds beyond it (DDR write debt
  carried across jobs, the decode attention's fit) on its own line."""
  import shutil
  from ..top import TopRunner
  from .levels import MODELS
  cl = args.level == "top-cl"
  top_cls = MODELS["AccelTop"]["cl" if cl else "verilog"]
  if not cl and shutil.which("verilator") is None:
    raise UsageError("level top needs Verilator: apt-get install -y verilator (or --level top-cl: the CL top)")
  n = args.max_new_tokens
  am = llm.AccelModel(model, cfg, max_ctx=len(prompt) + n, npe=args.npe)
  traces = []
  fl = am.generate(prompt, n, traces=traces)
  show = ((not args.json) and sys.stderr.isatty()) or args.progress
  with build_dir("top"):
    if show:
      print("  [top] " + ("elaborating the CL top (pymtl3 simulation: a few thousand cycles a second)" if cl else
                          "translating and building the top with Verilator (cached after the first run)"),
            file=sys.stderr, flush=True)
    t0 = time.time()
    r = TopRunner(top_cls, model, cfg, max_prompt=len(prompt), max_ctx=len(prompt) + n, npe=args.npe,
                  verilog=not cl)
    t1 = time.time()
    try:
      toks, cycles = r.generate(prompt, n, on_token=(lambda i, _: progress(i, n, t1)) if show else None)
    finally:
      r.close()
    wall = time.time() - t1
  if toks != fl:
    raise UsageError(f"the top's tokens {toks} differ from FL's {fl}")
  cm = cycle_model(cfg, quiet=not show, npe=args.npe)
  with build_dir("perf"):
    est = [cm.cycles(tr) for tr in traces]
  steps = []
  for got, (tot, by) in zip(cycles, est):
    by = dict(by)
    by["top vs CL model"] = got - tot
    steps.append((got, by))
  where = "the CL top (the RTL top's cycles)" if cl else "the composed RTL top under Verilator"
  res = result(args, mdir, cfg, model, tok, prompt, toks, steps,
               f"measured on {where}; per-unit split from the CL cycle model", wall)
  res["top"] = {"build_s": round(t1 - t0, 1), "cycles_per_s": round(r.ticks / r.sim_s) if r.sim_s else None,
                "cl_model_step_cycles": [c for c, _ in est], "tokens_equal_fl": True}
  return report(res, args, cfg, model, tok, prompt)


def result(args, mdir, cfg, model, tok, prompt, toks, steps, source, wall):
  """The run's report: steps = [(cycles, {unit: cycles})], the prefill first."""
  cm = cycle_model(cfg, quiet=True)
  head = cm.lm_head_cycles(model.cfg)
  pre, by = steps[0]
  by = dict(by)
  dcyc = [c for c, _ in steps[1:]]
  for _, b in steps[1:]:
    for k, v in b.items():
      by[k] = by.get(k, 0) + v
  by["lm-head (analytic)"] = head * len(toks)
  f = cfg.clock_mhz * 1e6
  mean_dec = float(np.mean(dcyc)) + head if dcyc else None
  res = {
    "model": os.path.normpath(mdir), "level": args.level, "config": cfg.name,
    "clock_mhz": cfg.clock_mhz, "ddr_gbps": cfg.ddr_gbps,
    "prompt_tokens": len(prompt), "tokens": toks, "text": tok.decode(toks),
    "cycles": {"prefill": pre, "lm_head": head, "decode_per_token": dcyc,
               "total": pre + sum(dcyc) + head * len(toks), "source": source},
    "ttft_s": (pre + head) / f,
    "decode_tok_s": (f / mean_dec) if mean_dec else None,
    "breakdown_cycles": by,
    "host_wall_s": round(wall, 3),
  }
  return res


def report(res, args, cfg, model, tok, prompt):
  if args.json:
    print(json.dumps(res))
    return 0
  by, pre, dcyc = res["breakdown_cycles"], res["cycles"]["prefill"], res["cycles"]["decode_per_token"]
  head, source, toks = res["cycles"]["lm_head"], res["cycles"]["source"], res["tokens"]
  text = res["text"]
  print(f"model   {res['model']} ({model.cfg.layers} layers, hidden {model.cfg.hidden}, "
        f"{model.cfg.n_params() / 1e6:.2f}M ternary weights)")
  print(f"prompt  {tok.decode(prompt) if tok.kind else prompt}")
  print(f"output  {text if text is not None else toks}")
  print(f"level   {res['level']}; accelerator config {cfg.name} at {cfg.clock_mhz:g} MHz, {cfg.ddr_gbps:g} GB/s "
        f"({source})")
  print(f"prefill {pre} cycles ({len(prompt)} tokens)   LM head {head} cycles per token (analytic)")
  if dcyc:
    print(f"decode  {int(np.mean(dcyc))} cycles per token on average ({len(dcyc)} steps)")
  print(f"TTFT    {res['ttft_s'] * 1e3:.3f} ms      decode {res['decode_tok_s'] or 0:.1f} tok/s")
  tot = sum(by.values())
  for k, v in sorted(by.items(), key=lambda kv: -kv[1]):
    print(f"  {k:26s} {v:12d} cycles  {100 * v / tot:5.1f} %")
  if "top" in res:
    print(f"top     {'elaborated' if res['level'] == 'top-cl' else 'built'} in {res['top']['build_s']} s, simulated at {res['top']['cycles_per_s']} cycles/s; "
          f"tokens equal FL's; CL cycle model per step {res['top']['cl_model_step_cycles']}")
  return 0
