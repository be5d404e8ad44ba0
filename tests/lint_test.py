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
