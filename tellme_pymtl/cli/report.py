"""
`tellme bench [all] [--json] [--plot DIR]`: every component bench in one report, with the modeled full-size
figures and the synthesis estimates, and PNG plots.

  components   the measured figures of `tellme bench tlmm | fp | weights | attention | e2e`
  summary      MACs/cycle, simulation speed per level (cycles/s), modeled TTFT and decode tok/s of BitNet 0.73B
               on the paper's board against the paper and against the DDR bound (tellme perf)
  synth        the yosys estimates of `tellme synth --config paper` when they have been run (cached), else null

Plots (--plot DIR):
  roofline.png   decode tok/s of BitNet 0.73B (context 128, CL cycle model) against the DDR bandwidth, with the
                 DDR bound (bytes per token / bandwidth) and the paper's point
  resources.png  LUT, FF, DSP, BRAM and URAM per unit from the synthesis report, against the KV260's budget
  sweep.png      the (T, Q) design space: decode tok/s (CL cycle model) against the TLMM engine's LUTs (yosys),
                 every point computed in its own process
"""
import concurrent.futures as cf
import json
import os
import sys

from ..config import get_config
from . import build_path

BANDWIDTHS = (2.0, 4.0, 8.0, 12.8, 17.1, 25.6, 34.2)
SWEEP_T = (14, 28, 42)
SWEEP_Q = (8, 16)
CTX = 128


def _say(text):
  print(f"  {text}", file=sys.stderr, flush=True)


def decode_point(over):
  """Decode tok/s of BitNet 0.73B at context CTX on the paper configuration with `over` changed (CL cycle model,
  LM head analytic), and the DDR bound. Runs in a worker process."""
  from ..llm import step_jobs
  from ..model import BITNET_073B
  from .levels import build_dir
  from .run import cycle_model
  cfg = get_config("paper", **over)
  cm = cycle_model(cfg, quiet=True)
  mc = BITNET_073B
  with build_dir(f"sweep_{os.getpid()}"):
    cyc, _ = cm.cycles(step_jobs(mc, cfg, 1, CTX))
    head = cm.lm_head_cycles(mc)
    wb = cm.weight_bytes(step_jobs(mc, cfg, 1, 1))
  f = cfg.clock_mhz * 1e6
  return {"over": over, "tok_s": round(f / (cyc + head), 2),
          "ddr_bound_tok_s": round(cfg.ddr_gbps * 1e9 / (wb + mc.vocab * mc.hidden * 2), 2)}


def tlmm_luts(over, out_dir):
  """The TLMM engine's yosys resources at the paper configuration with `over` changed (worker process)."""
  from translate.synth import synth_all
  cfg = get_config("paper", **over)
  tag = "_".join(f"{k}{v}" for k, v in sorted(over.items()))
  rep = synth_all(cfg, os.path.join(out_dir, tag), names=["TLMMEngine"], jobs=1)
  u = rep["units"]["TLMMEngine"]
  return {k: u[k] for k in ("LUT", "LUTRAM", "FF", "DSP", "BRAM")}


def roofline(bandwidths=BANDWIDTHS, jobs=2):
  with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
    pts = list(ex.map(decode_point, [{"ddr_gbps": b} for b in bandwidths]))
  return [{"ddr_gbps": p["over"]["ddr_gbps"], "tok_s": p["tok_s"], "ddr_bound_tok_s": p["ddr_bound_tok_s"]}
          for p in pts]


def design_sweep(synth_dir, jobs=2):
  """tok/s and TLMM-engine LUTs for every (T, Q) of SWEEP_T x SWEEP_Q, each point in its own process."""
  pts = [{"T": t, "Q": q} for t in SWEEP_T for q in SWEEP_Q]
  with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
    perf = ex.map(decode_point, pts)
    luts = ex.map(tlmm_luts, pts, [synth_dir] * len(pts))
    return [dict(p, tok_s=a["tok_s"], tlmm=b) for p, a, b in zip(pts, perf, luts)]


def plot_all(rep, out_dir):
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  os.makedirs(out_dir, exist_ok=True)
  files = []
  paper = rep["summary"]

  if rep.get("roofline"):
    r = rep["roofline"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p["ddr_gbps"] for p in r], [p["tok_s"] for p in r], "o-", label="this design (CL model)")
    ax.plot([p["ddr_gbps"] for p in r], [p["ddr_bound_tok_s"] for p in r], "--", label="DDR bound (weights + LM head)")
    ax.plot([17.1], [paper["paper_decode_tok_s"]], "r*", ms=12, label="paper (KV260)")
    files.append(_finish(fig, ax, "DDR bandwidth (GB/s)", "Decode roofline at 250 MHz", out_dir, "roofline.png"))

  if rep.get("synth"):
    s = rep["synth"]
    names = list(s["units"])
    keys = ("LUT", "FF", "DSP", "BRAM", "URAM")
    fig, axs = plt.subplots(1, len(keys), figsize=(15, 4.5), sharey=True)
    for ax, k in zip(axs, keys):
      vals = [s["units"][n][k] for n in names]
      ax.barh(names, vals, color="tab:blue")
      ax.axvline(s["kv260"][k], color="r", ls="--", label="KV260")
      if s["paper"].get(k) is not None:
        ax.axvline(s["paper"][k], color="g", ls=":", label="paper total")
      ax.set_title(f"{k} (total {s['total'][k]:,.0f})")
      ax.tick_params(axis="x", labelrotation=45)
    axs[0].legend(loc="lower right")
    fig.suptitle(f"yosys synth_xilinx (xcup) per unit, configuration {s['config']}")
    files.append(_save(fig, out_dir, "resources.png"))

  if rep.get("sweep"):
    sw = rep["sweep"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for q in SWEEP_Q:
      pts = [p for p in sw if p["Q"] == q]
      ax.plot([p["tlmm"]["LUT"] for p in pts], [p["tok_s"] for p in pts], "o-", label=f"Q={q}")
      for p in pts:
        ax.annotate(f"T={p['T']}", (p["tlmm"]["LUT"], p["tok_s"]), fontsize=7)
    files.append(_finish(fig, ax, "TLMM engine LUTs (yosys)", "Design space (T tables, Q lanes), 17.1 GB/s",
                         out_dir, "sweep.png"))
  return files


def _finish(fig, ax, xlabel, title, out_dir, name):
  """A tok/s line plot's labels, grid and legend; saved as out_dir/name."""
  ax.set_xlabel(xlabel)
  ax.set_ylabel(f"decode tok/s, BitNet 0.73B, context {CTX}")
  ax.set_title(title)
  ax.grid(alpha=0.3)
  ax.legend()
  return _save(fig, out_dir, name)


def _save(fig, out_dir, name):
  path = os.path.join(out_dir, name)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  import matplotlib.pyplot as plt
  plt.close(fig)
  return path


def bench_all(args):
  from .bench import bench_attention, bench_e2e, bench_fp, bench_tlmm, bench_weights
  from .perf import perf_report
  quick = args.quick
  comps = {}
  for name, fn in (("tlmm", bench_tlmm), ("fp", bench_fp), ("weights", bench_weights),
                   ("attention", bench_attention), ("e2e", bench_e2e)):
    _say(f"bench {name}")
    comps[name] = fn(quick=quick)
  _say("perf (full-size projections)")
  perf = perf_report("paper", quiet=True)
  p073 = perf["bitnet-0.73b"]
  t, w = comps["tlmm"], comps["weights"]
  summary = {
    "macs_per_cycle": t.get("macs_per_cycle"), "peak_macs_per_cycle": t.get("peak_macs_per_cycle"),
    "sim_cycles_per_s": {k: v for k, v in {**t, **w}.items() if k.endswith("cycles_per_s")},
    "ttft_s_64": p073["ttft_s"]["64"], "ttft_s_128": p073["ttft_s"]["128"],
    "decode_tok_s": p073["decode_tok_s"], "ddr_bound_tok_s": p073["ddr_bound_tok_s"],
    "paper_decode_tok_s": p073["paper"]["decode_tok_s"], "paper_ttft_s_64": p073["paper"]["ttft_s_64"],
    "decode_vs_paper": round(p073["decode_tok_s"]["128"] / p073["paper"]["decode_tok_s"], 2),
    "decode_vs_ddr_bound": round(p073["decode_tok_s"]["128"] / p073["ddr_bound_tok_s"], 3),
    "fl_full_size_tok_s": comps["e2e"].get("fl_full_size_tok_s"),
  }
  synth_path = build_path("synth", "paper", "synth.json")
  synth = None
  if os.path.exists(synth_path):
    with open(synth_path) as f:
      synth = json.load(f)
    for u in synth["units"].values():
      u.pop("cells", None)
  rep = {"summary": summary, "components": comps, "perf": perf, "synth": synth,
         "synth_note": None if synth else "run `tellme synth --config paper` for the resource figures"}
  if args.plot:
    bws = (4.0, 17.1) if quick else BANDWIDTHS
    _say(f"roofline: decode at {len(bws)} DDR bandwidths (CL cycle model, 2 processes)")
    rep["roofline"] = roofline(bws)
    if not quick:
      _say(f"design sweep: {len(SWEEP_T) * len(SWEEP_Q)} (T, Q) points, CL cycle model and yosys, 2 processes")
      rep["sweep"] = design_sweep(build_path("synth", "sweep"))
    rep["plots"] = plot_all(rep, os.path.abspath(args.plot))
  if args.json:
    print(json.dumps(rep))
    return 0
  s = summary
  print("TeLLMe model benchmark (paper configuration: T=28, Q=16, 250 MHz, 17.1 GB/s)")
  print(f"  TLMM MACs/cycle            {s['macs_per_cycle']} (peak {s['peak_macs_per_cycle']})")
  for k, v in s["sim_cycles_per_s"].items():
    print(f"  simulation {k:32s} {v:,}" if isinstance(v, (int, float)) else f"  simulation {k:32s} {v}")
  print(f"  BitNet 0.73B TTFT 64 / 128  {s['ttft_s_64']} / {s['ttft_s_128']} s   (paper, 64: {s['paper_ttft_s_64']} s)")
  d = s["decode_tok_s"]
  print(f"  decode tok/s 128/512/1024   {d['128']} / {d['512']} / {d['1024']}   paper {s['paper_decode_tok_s']}, "
        f"DDR bound {s['ddr_bound_tok_s']}")
  print(f"  FL full-size tok/s          {s['fl_full_size_tok_s']}")
  if synth:
    from .synth import table
    print("  resources (yosys):")
    for line in table(synth):
      print("    " + line)
  else:
    print(f"  resources: {rep['synth_note']}")
  for name, r in comps.items():
    print(f"\n[{name}]")
    for k, v in r.items():
      print(f"  {k:32s} {v}")
  for p in rep.get("plots", []):
    print(f"plot {p}")
  return 0
