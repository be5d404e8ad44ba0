"""The translated RTL passes `verilator --lint-only -Wall` with only the documented waivers
(translate/lint_waivers.vlt). Runs with --test-verilog (it needs Verilator)."""
import re

import pytest

from rtl_models.TLMMEngineRTL import TLMMEngineRTL
from tellme_pymtl.config import get_config
from translate.verilog import WAIVERS, lint, translate_verilog

from .conftest import need_level


@pytest.mark.parametrize("cfg_name", ["paper", "small", "tight"])
def test_tlmm_engine_lints_clean(cfg_name, cmdline_opts, tmp_path):
  need_level("verilog", cmdline_opts)
  path, top = translate_verilog(TLMMEngineRTL(get_config(cfg_name)), str(tmp_path))
  assert "__" not in top                               # Verilator 5 imports only names without '__'
  assert lint(path, top) == []


def test_attention_units_lint_clean(cmdline_opts, tmp_path):
  """The attention units at the paper config (the lane combine folded onto 3 adders), alone and on their shared
  datapath (test_tellme_translate_output_lints_clean lints every top at the small config)."""
  need_level("verilog", cmdline_opts)
  from translate.tops import TOPS
  cfg = get_config("paper")
  for name in ("DecodeAttention", "PrefillAttention", "Attention"):
    path, top = translate_verilog(TOPS[name](cfg), str(tmp_path))
    assert lint(path, top) == [], name


def test_waivers_have_reasons():
  """Every waiver in the list is preceded by a comment that gives its reason."""
  lines = open(WAIVERS).read().splitlines()
  for i, line in enumerate(lines):
    if line.startswith("lint_off"):
      j = i - 1
      while j >= 0 and lines[j].startswith("lint_off"):
        j -= 1
      assert lines[j].startswith("//") and len(lines[j]) > 20, f"waiver without a reason: {line}"


def test_lint_catches_a_real_warning(cmdline_opts, tmp_path):
  """The waivers do not hide ordinary width bugs."""
  need_level("verilog", cmdline_opts)
  src = tmp_path / "Bad.v"
  src.write_text("module Bad(input logic [7:0] a, output logic [3:0] y);\n  assign y = a;\nendmodule\n")
  out = lint(str(src), "Bad")
  assert any(re.search(r"WIDTH", l) for l in out)


def test_tellme_translate_output_lints_clean(cmdline_opts, tmp_path, capsys):
  """`tellme translate` writes every RTL top as one self-contained file with a stable name, a filelist, and
  each file lints clean under verilator -Wall with only the documented waivers (so CI keeps it clean)."""
  need_level("verilog", cmdline_opts)
  import json
  from tellme_pymtl.cli import main
  from translate.tops import TOPS
  out = tmp_path / "v"
  assert main(["translate", "--config", "small", "--out", str(out), "--json"]) == 0
  rep = json.loads(capsys.readouterr().out)
  assert set(rep["tops"]) == set(TOPS)
  assert (out / "files.f").read_text().split() == [f"{n}.v" for n in TOPS]
  for name, e in rep["tops"].items():
    assert e["lint"] == [], (name, e["lint"][:3])
    text = (out / e["file"]).read_text()
    assert f"module {e['module']}" in text and "__" not in e["module"]


def test_tellme_translate_unknown_top(capsys):
  from tellme_pymtl.cli import main
  assert main(["translate", "--only", "Nope", "--no-lint"]) == 2
  assert "unknown top Nope" in capsys.readouterr().err
