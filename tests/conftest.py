"""
Shared test setup.

- Every test runs inside build/sim (translation and Verilator import write files into the current directory,
  and those never go into git).
- Levels: a component test parametrized over LEVELS runs its FL, CL and RTL (Python simulation) models always,
  and the RTL translated to Verilog and imported through Verilator under `--test-verilog`.
- The autouse fixture takes pymtl3's `cmdline_opts`, so the pymtl3 pytest plugin does not skip the tests that
  have no Verilog of their own when --test-verilog is given: one command runs the whole suite.
- Hypothesis: deadline off (simulation times vary); examples per property from TELLME_EXAMPLES (default 20).
"""
import os

import pytest
from hypothesis import HealthCheck, settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "sim")

LEVELS = ["fl", "cl", "rtl", "verilog"]

settings.register_profile(
  "tellme", deadline=None, max_examples=int(os.environ.get("TELLME_EXAMPLES", "40")),
  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                         HealthCheck.data_too_large], derandomize=bool(os.environ.get("CI")))
settings.load_profile("tellme")


@pytest.fixture(autouse=True)
def _in_build_dir(cmdline_opts, monkeypatch):
  os.makedirs(BUILD, exist_ok=True)
  monkeypatch.chdir(BUILD)
  yield


@pytest.fixture
def test_verilog(cmdline_opts):
  return cmdline_opts.get("test_verilog", "") != ""


def need_level(level, cmdline_opts):
  """Skip the Verilator level unless --test-verilog was given."""
  if level == "verilog" and cmdline_opts.get("test_verilog", "") == "":
    pytest.skip("Verilator co-simulation runs with --test-verilog")
