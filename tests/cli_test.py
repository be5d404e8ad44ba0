"""The `tellme` command: the demo's result check, the bench's JSON keys, and one-line errors."""
import json
import subprocess
import sys

import pytest

from tellme_pymtl.cli import main


def run(args):
  r = subprocess.run([sys.executable, "-m", "tellme_pymtl.cli"] + args, capture_output=True, text=True)
  return r.returncode, r.stdout, r.stderr


def test_demo_all_python_levels(capsys):
  assert main(["demo", "--json", "--tokens", "1", "--max-delay", "2"]) == 0
  rep = json.loads(capsys.readouterr().out)
  assert [r["level"] for r in rep["levels"]] == ["fl", "cl", "rtl"]
  assert all(r["exact"] for r in rep["levels"])
  cl, rtl = rep["levels"][1]["cycles"], rep["levels"][2]["cycles"]
  assert cl == rtl


def test_demo_verilog(capsys, cmdline_opts):
  if cmdline_opts.get("test_verilog", "") == "":
    pytest.skip("Verilator co-simulation runs with --test-verilog")
  assert main(["demo", "--json", "--levels", "cl,verilog", "--tokens", "1"]) == 0
  rep = json.loads(capsys.readouterr().out)
  assert rep["levels"][0]["cycles"] == rep["levels"][1]["cycles"] == rep["cl_schedule_cycles"]


@pytest.mark.parametrize("args,msg", [
  (["demo", "--in-dim", "100000"], "in_dim=100000"),
  (["demo", "--config", "huge"], "unknown config name"),
  (["demo", "--levels", "fl,gate"], "unknown level gate"),
  (["demo", "--tokens", "0"], "--tokens"),
  (["run", "--set", "foo=1"], "unknown configuration field 'foo'"),
  (["run", "--set", "port_bits=x"], "'x' is not a number"),
  (["run", "--npe", "0"], "--npe"),
  (["perf", "--set", "foo=1"], "unknown configuration field 'foo'"),
  (["perf", "--set", "ew_lanes=3"], "ew_lanes=3 must divide Q=16"),
  (["synth", "--set", "Q"], "--set wants FIELD=VALUE pairs"),
  (["translate", "--set", "T=-1"], "T"),
  (["demo", "--set", "Q=3.5"], "Q"),
])
def test_bad_input_one_line(args, msg):
  code, out, err = run(args)
  assert code == 2
  assert msg in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bench_tlmm_json(capsys, cmdline_opts):
  assert main(["bench", "tlmm", "--json", "--quick"]) == 0
  res = json.loads(capsys.readouterr().out)
  for k in ("macs_per_cycle", "rtl_python_cycles_per_s", "rtl_verilator_cycles_per_s", "fl_gmacs"):
    assert k in res
  # 28 output blocks per input block > 27 build cycles: the steady state runs at the peak rate
  assert res["macs_per_cycle"] == res["peak_macs_per_cycle"] == 28 * 16 * 3
  assert res["job_cycles"] == res["cl_schedule_cycles"]
  if res["rtl_verilator_cycles_per_s"] is not None:
    assert res["verilator_job_cycles"] == res["job_cycles"]


def test_bench_fp_json(capsys):
  assert main(["bench", "fp", "--json", "--quick"]) == 0
  res = json.loads(capsys.readouterr().out)
  for k in ("rsqrt_max_rel_err", "exp_max_rel_err", "silu_max_rel_err", "rmsnorm_max_rel_err",
            "quantizer_elems_per_cycle", "dequantizer_elems_per_cycle", "rmsmax_elems_per_cycle",
            "elementwise_elems_per_cycle"):
    assert k in res
  assert 0 < res["exp_max_rel_err"] < 1e-6 and 0 < res["rmsnorm_max_rel_err"] < 1e-3
  assert 0 < res["elementwise_elems_per_cycle"] <= 16 and 0 < res["quantizer_elems_per_cycle"] <= 16


def test_bench_weights_json(capsys):
  assert main(["bench", "weights", "--json", "--quick"]) == 0
  res = json.loads(capsys.readouterr().out)
  assert res["ddr_utilization_cl"] >= 0.9 and res["ddr_utilization_rtl"] >= 0.9
  assert 0 < res["overlap"] <= 1
  assert res["uram_blocks"] == 32
  d = res["decode_workload"]
  assert d["job_cycles"] < d["load_then_compute_cycles"]


def test_bench_attention_json(capsys):
  assert main(["bench", "attention", "--json", "--quick"]) == 0
  res = json.loads(capsys.readouterr().out)
  dc = res["decode_cycles_per_token"]
  assert set(dc) == {"64", "128"} and 0 < dc["64"] < dc["128"]
  pc = res["prefill_cycles_per_row"]
  assert set(pc) == {"64", "128"} and 0 < pc["64"] < pc["128"]        # causal: a longer prompt costs more per row
  # a (row, key, head) pair needs ceil(96/16) = 6 MAC beats; the overlap keeps it under twice that
  assert all(6 <= x < 12 for x in res["prefill_cycles_per_row_key_head"].values())
  assert res["prefill_head_scaling_error"] < 0.02


def test_bench_all_report_and_plots(tmp_path, capsys):
  """`tellme bench --quick --json --plot DIR`: every component bench in one report with the modeled figures;
  the roofline is computed (decode tok/s grows with the DDR bandwidth and stays under the DDR bound) and the
  PNG plots are written."""
  assert main(["bench", "--quick", "--json", "--plot", str(tmp_path)]) == 0
  rep = json.loads(capsys.readouterr().out)
  assert set(rep["components"]) == {"tlmm", "fp", "weights", "attention", "e2e"}
  s = rep["summary"]
  assert s["macs_per_cycle"] > 0 and s["sim_cycles_per_s"]["cl_cycles_per_s"] > 0
  assert s["decode_tok_s"]["128"] == rep["perf"]["bitnet-0.73b"]["decode_tok_s"]["128"]
  assert 0 < s["decode_vs_ddr_bound"] <= 1
  lo, hi = rep["roofline"]
  assert lo["ddr_gbps"] < hi["ddr_gbps"] and 0 < lo["tok_s"] < hi["tok_s"]
  assert all(p["tok_s"] <= p["ddr_bound_tok_s"] for p in rep["roofline"])
  assert hi["tok_s"] == s["decode_tok_s"]["128"]            # 17.1 GB/s is the board's figure
  assert rep["plots"] and all(open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n" for p in rep["plots"])


def test_set_overrides_move_the_hardware(tmp_path, monkeypatch, capsys):
  """--set: the clock and the DDR settings keep the named configuration's hardware (and its synthesis results);
  a field that changes the hardware gets a build directory of its own, and the Verilog follows it."""
  from tellme_pymtl.cli import hw_dir
  from tellme_pymtl.config import get_config
  paper = get_config("paper")
  assert hw_dir(paper) == hw_dir(get_config("paper", clock_mhz=300, ddr_gbps=19.2)) == "paper"
  four = get_config("paper", ew_lanes=4)
  assert hw_dir(four) == f"paper-{four.digest()}" != hw_dir(get_config("paper", ew_lanes=8))
  monkeypatch.setenv("TELLME_BUILD", str(tmp_path))
  mods = {}
  for lanes in (2, 4):
    assert main(["translate", "--set", f"ew_lanes={lanes}", "--only", "Elementwise", "--no-lint", "--json"]) == 0
    e = json.loads(capsys.readouterr().out)["tops"]["Elementwise"]
    d = tmp_path / "verilog" / hw_dir(get_config("paper", ew_lanes=lanes))
    mods[lanes] = (d / e["file"]).read_text()
    assert f"module {e['module']}" in mods[lanes]
  assert [mods[n].count("FPProgLaneRTL_felementwise lanes__") for n in (2, 4)] == [2, 4]
