"""
End to end: a BitNet model through the accelerator at FL, CL, RTL and Verilator gives the same greedy tokens
(every unit's output checked bit for bit along the way); CL and RTL cycle counts are equal; the cycle model's
estimate matches the measured count; `tellme run` and `tellme perf` print what they promise.
"""
import json

import numpy as np
import pytest

from tellme_pymtl.cli import main
from tellme_pymtl.cli.levels import MODELS
from tellme_pymtl.cli.run import BUILTIN, UNITS
from tellme_pymtl.config import get_config
from tellme_pymtl.llm import AccelModel
from tellme_pymtl.model import ModelConfig, load_checkpoint, random_model
from tellme_pymtl.perf import CycleModel
from tellme_pymtl.unitrun import ModelUnits

from .conftest import need_level
from .model_test import check_fidelity

CFG = get_config("small", port_bits=64)          # 192-bit DDR words: a head vector of 12 is one word
MICRO = ModelConfig(vocab=40, hidden=48, intermediate=64, layers=1, heads=2, kv_heads=1, head_dim=12, max_pos=32)


def run_units(m, level, prompt, n, cmdline_opts=None, cfg=CFG):
  u = ModelUnits(cfg, MODELS, level, npe=2, cmdline_opts=cmdline_opts)
  toks = AccelModel(m, cfg, units=u, npe=2).generate(prompt, n)
  return toks, u.cycles


@pytest.mark.parametrize("level", ["cl", "rtl", "verilog"])
def test_random_micro_model_all_levels(level, cmdline_opts):
  need_level(level, cmdline_opts)
  m = random_model(MICRO, 1)
  fl = AccelModel(m, CFG).generate([1, 2, 3], 3)
  toks, cyc = run_units(m, level, [1, 2, 3], 3, cmdline_opts)
  assert toks == fl
  if level != "cl":
    assert cyc == run_units(m, "cl", [1, 2, 3], 3)[1]       # CL cycles == RTL cycles, unit by unit


def test_cycle_model_matches_measured_cl():
  """The cycle model (each job shape once, random data) against the CL units run on the real data: within 2%."""
  m = random_model(MICRO, 2)
  toks, cyc = run_units(m, "cl", [3, 1, 4, 1], 4)
  am = AccelModel(m, CFG, npe=2)
  traces = []
  assert am.generate([3, 1, 4, 1], 4, traces=traces) == toks
  cm = CycleModel(CFG, {u: MODELS[u]["cl"] for u in UNITS}, npe=2)
  est = sum(cm.cycles(t)[0] for t in traces)
  meas = sum(cyc.values())
  assert abs(est - meas) / meas < 0.02


def test_builtin_model_fl_equals_cl_and_reference():
  m = load_checkpoint(BUILTIN)
  prompt = list(b"Beautiful is better than")
  cfg = get_config("paper")
  fl = AccelModel(m, cfg).generate(prompt, 6)
  u = ModelUnits(cfg, MODELS, "cl")
  assert AccelModel(m, cfg, units=u).generate(prompt, 6) == fl
  err, clear = check_fidelity(m, prompt, 16)
  assert clear >= 12                                           # a trained model: few near ties


def test_tellme_run_json(capsys):
  assert main(["run", "--json", "--max-new-tokens", "8"]) == 0
  res = json.loads(capsys.readouterr().out)
  assert res["level"] == "fl" and len(res["tokens"]) == 8 and all(isinstance(t, int) for t in res["tokens"])
  assert res["text"] == bytes(res["tokens"]).decode("utf-8", errors="replace")
  assert res["ttft_s"] > 0 and res["decode_tok_s"] > 0
  c = res["cycles"]
  assert c["prefill"] > max(c["decode_per_token"]) > 0 and len(c["decode_per_token"]) == 7
  assert res["breakdown_cycles"]["weights"] > 0
  # the same tokens at CL, where every unit job runs through its CL model and the cycles are measured
  assert main(["run", "--json", "--max-new-tokens", "3", "--level", "cl"]) == 0
  cl = json.loads(capsys.readouterr().out)
  assert cl["tokens"] == res["tokens"][:3] and cl["cycles"]["source"].startswith("measured")
  assert abs(cl["cycles"]["prefill"] - c["prefill"]) / c["prefill"] < 0.02


def test_tellme_run_prompt_ids_and_errors(capsys):
  assert main(["run", "--json", "--prompt-ids", "66,101,97", "--max-new-tokens", "2"]) == 0
  assert len(json.loads(capsys.readouterr().out)["tokens"]) == 2
  for argv, msg in [(["--prompt-ids", "1,x"], "--prompt-ids"), (["--prompt-ids", "999"], "outside the vocabulary"),
                    (["--max-new-tokens", "0"], "--max-new-tokens"), (["--model", "/nonexistent"], "not a directory"),
                    (["--config", "tight"], "max_in_dim")]:
    assert main(["run"] + argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0], err


def test_tellme_perf_json(capsys):
  assert main(["perf", "--json"]) == 0
  res = json.loads(capsys.readouterr().out)
  for name in ("bitnet-0.73b", "bitnet-2b4t"):
    r = res[name]
    assert set(r["ttft_s"]) == {"64", "128"} and set(r["decode_tok_s"]) == {"128", "512", "1024"}
    assert r["ttft_s"]["128"] > r["ttft_s"]["64"] > 0
    d = r["decode_tok_s"]
    assert r["ddr_bound_tok_s"] > d["128"] > d["512"] > d["1024"] > 0        # never above the DDR bound
  small = res["bitnet-0.73b"]
  assert small["decode_tok_s"]["128"] >= 50                                # the target at 128 tokens
  assert small["ttft_s"]["64"] <= 0.25                                     # the TTFT target
  wr = small["weight_reuse"]                                                # ... which weight reuse reaches:
  assert small["prefill_breakdown_cycles"]["64"]["weights"] * 3 < wr["streamed_per_token_cycles_64"]
  assert res["bitnet-2b4t"]["decode_tok_s"]["128"] < small["decode_tok_s"]["128"]
  kb = small["ddr_bound_with_kv_tok_s"]                                     # the KV cache's reads bound decode
  assert small["ddr_bound_tok_s"] > kb["128"] > kb["512"] > kb["1024"]
  assert all(small["decode_tok_s"][c] < kb[c] for c in kb)
  tg = small["targets"]                                                     # each target decided with its numbers
  assert tg["decode_ge_50"]["128"] and not tg["decode_ge_50"]["1024"]
  assert tg["ttft64_le_0.25"] and len(tg["why"]) >= 5
  for c in kb:                                      # a context missed is explained: impossible, or the DDR share
    if not tg["decode_ge_50"][c]:                   # it would take
      assert any(f"context {c} c" in w and ("whatever the logic" in w or "% of the step" in w) for w in tg["why"])


def test_bench_e2e_quick(capsys):
  assert main(["bench", "e2e", "--json", "--quick"]) == 0
  res = json.loads(capsys.readouterr().out)
  assert res["fl_small_tok_s"] > 0 and res["fl_tiny_tok_s"] > 0 and len(res["tiny_tokens"]) == 16
  import shutil
  if shutil.which("verilator"):           # the composed top under Verilator: FL's tokens, CL's cycles within 2%
    assert res["top_tokens_equal_fl"] and res["verilator_top_cycles_per_s"] > 0
    assert res["top_vs_cl_max_rel_error"] < 0.02
