"""The synthesis flow (translate/synth.py, `tellme synth`): the yosys-flavoured Verilog means what the RTL means
(the two pymtl3 / yosys 0.23 pitfalls found are guarded), the resource parser, and a real small synthesis
whose memories map where they must. yosys comes from Debian (scripts/setup.sh installs it)."""
import json
import shutil
import subprocess

import pytest

from tellme_pymtl.config import get_config
from translate import synth as S
from translate.tops import TOPS

need_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys is not installed")


def _module_name(c):
  from pymtl3.passes.backends.yosys import YosysTranslationPass
  try:
    return c.get_metadata(YosysTranslationPass.explicit_module_name)
  except Exception:
    return type(c).__name__


def _component_lists(c):
  from pymtl3 import Component

  def flat(x):
    for y in x:
      if isinstance(y, list):
        yield from flat(y)
      else:
        yield y
  for name, v in vars(c).items():
    if isinstance(v, list):
      comps = [y for y in flat(v) if isinstance(y, Component)]
      if comps:
        yield name, comps


@pytest.mark.parametrize("top", list(TOPS))
def test_component_lists_are_homogeneous(top):
  """pymtl3's yosys translation instantiates every element of a list of sub-components as the module of the
  first one; a list mixing modules would be synthesized as something else. Every list in every top is one
  module."""
  c = TOPS[top](get_config("small"))
  c.elaborate()
  for comp in c.get_all_object_filter(lambda o: hasattr(o, "get_child_components")):
    for name, comps in _component_lists(comp):
      names = {_module_name(x) for x in comps}
      assert len(names) == 1, f"{comp}.{name} mixes modules {sorted(names)[:3]}"


SHIFT = """module top(input logic clk, input logic reset, input logic in_val, output logic out_val);
  logic [0:0] v [0:3];
  integer k;
  assign out_val = v[2'd3];
  always_ff @(posedge clk) begin
    if ( reset )
      for ( k = 1'd0; k < 3'd4; k = k + 1'd1 ) v[2'(k)] <= 1'd0;
    else begin
      v[2'd0] <= in_val;
      for ( k = 1'd1; k < 3'd4; k = k + 1'd1 ) v[2'(k)] <= v[2'(k) - 2'd1];
    end
  end
endmodule
"""


def _ffs(src, tmp_path):
  f = tmp_path / "t.sv"
  f.write_text(src)
  out = tmp_path / "o.v"
  subprocess.run(["yosys", "-q", "-p", f"read_verilog -sv {f}; synth -flatten -top top; write_verilog -noattr {out}"],
                 check=True, capture_output=True)
  text = out.read_text()
  return text.count("always @(posedge clk)"), text


@need_yosys
def test_yosys_loop_workaround(tmp_path):
  """pymtl3 writes loops as `for ( k = 1'd0; ...`; yosys 0.23 drops such a loop's assignments (this 4-stage
  shift register comes out as a constant). fix_for_yosys rewrites the start value, and the registers are back."""
  n_bad, text = _ffs(SHIFT, tmp_path)
  assert n_bad == 0 and "assign out_val = 1'h0;" in text
  n_ok, _ = _ffs(S.fix_for_yosys(SHIFT), tmp_path)
  assert n_ok == 4


@need_yosys
def test_adder_tree_maps_to_carry_chains(tmp_path):
  """The flow's `maccmap -unmap`: a TLMM lane's adder tree (28 signed 10-bit lookups into 15 bits) comes out as
  two-operand additions on carry chains, about a LUT per sum bit (27 adders of 10 to 15 bits: under 420), as
  Vivado maps adders; alumacc's single $macc, left to yosys, became full-adder compressors of 1,516 LUTs."""
  from rtl_models.AdderTreeRTL import AdderTreeRTL
  path, top = S.translate_yosys(AdderTreeRTL(10, 15, 28), str(tmp_path))
  for abc9 in (False, True):                       # with either LUT mapper (--abc9)
    r = S.run_yosys(path, top, str(tmp_path / "y.log"), abc9=abc9)
    assert r["CARRY"] >= 27 * 10 / 8 and r["LUT"] <= 27 * 15 + 15
  assert S.script("fp", True).count(" -abc9 ") == 2 and " -abc9 " not in S.script("fp")


def test_parse_stat():
  text = """
=== top ===
   Number of cells:                 20
     CARRY8                          2
     CARRY4                          2
     DSP48E2                         3
     FDRE                           10
     FDSE                            1
     LUT3                            4
     LUT6                            5
     RAM64M8                         2
     SRLC32E                         1
     RAMB18E2                        3
     RAMB36E2                        1
     URAM288                         2
"""
  r = S.parse_stat(text)
  assert r["LUTRAM"] == 2 * 8 + 1
  assert r["LUT"] == 4 + 5 + r["LUTRAM"]
  assert (r["FF"], r["CARRY"], r["DSP"], r["BRAM"], r["URAM"]) == (11, 3, 3, 2.5, 2)


@need_yosys
def test_tellme_synth_small(tmp_path, capsys):
  """A real synthesis at the small configuration: the TLMM engine's tables land in LUT-RAM (not flip-flops),
  its outputs are not optimized away (it has logic, registers and carry chains), the weight buffer's and
  streamer's too; a partial run does not stand in for the design; a second run is served from the cache with
  the same figures."""
  from tellme_pymtl.cli import main
  args = ["synth", "--config", "small", "--only", "TLMMEngine,WeightBuffer,WeightStreamer", "--out",
          str(tmp_path), "--json"]
  assert main(args) == 0
  rep = json.loads(capsys.readouterr().out)
  cfg = get_config("small")
  eng = rep["units"]["TLMMEngine"]
  assert eng["LUTRAM"] > 0 and eng["cells"].get("RAM64M8", 0) + eng["cells"].get("RAM32M16", 0) >= cfg.T
  assert eng["FF"] < 2000                          # tables of T x entries x width bits are not in registers
  for u in rep["units"].values():
    assert u["LUT"] > 0 and u["FF"] > 0 and not u["cached"]
  assert rep["total"]["LUT"] == sum(u["LUT"] for u in rep["units"].values())
  # three units are not the design: the whole design's report (what tellme perf reads) is not written
  assert (tmp_path / "synth_only.json").exists() and not (tmp_path / "synth.json").exists()
  assert main(args) == 0
  again = json.loads(capsys.readouterr().out)
  assert all(u["cached"] for u in again["units"].values())
  assert again["total"] == rep["total"]


def test_synth_report_file():
  """Only a run of every unit (no --only, or all of them) writes the whole design's report."""
  from tellme_pymtl.cli.synth import report_file
  from translate.tops import UNITS
  units = list(UNITS)
  assert report_file(None, units) == "synth.json" and report_file(None, units, True) == "synth_flat.json"
  assert report_file(units[::-1], units) == "synth.json"
  assert report_file(units[:3], units) == "synth_only.json" and report_file(units[:1], units, True) == "synth_flat_only.json"
  assert report_file(None, units, abc9=True) == "synth_abc9.json"
  assert report_file(units[:2], units, True, True) == "synth_flat_abc9_only.json"


def test_tellme_synth_unknown_unit(capsys):
  from tellme_pymtl.cli import main
  assert main(["synth", "--only", "TLMMFoo"]) == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and "TLMMFoo" in err[0]


def test_yosys_verilog_is_the_same_in_every_process(tmp_path):
  """The synthesis cache is keyed by the Verilog's text, and module names must be stable: translating the same
  unit in two fresh processes (different object addresses, different string hashing) gives the same file."""
  import sys
  code = ("import sys; from tellme_pymtl.config import get_config; from translate.tops import TOPS; "
          "from translate.synth import translate_yosys; "
          "print(translate_yosys(TOPS['RMSMax'](get_config('small')), sys.argv[1])[0])")
  texts = []
  for i in range(2):
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / str(i))], capture_output=True, text=True,
                         check=True, cwd=S.__file__.rsplit("/translate/", 1)[0]).stdout.strip().splitlines()[-1]
    texts.append(open(out).read())
  assert "module FPOpRTL_optab" in texts[0]            # the rsqrt seed table (FPProgSeqRTL), named by its op
  assert texts[0] == texts[1]
