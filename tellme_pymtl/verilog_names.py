"""
Verilog module naming shared by every RTL component.

Verilator 5 escapes '__' in a top module's name, so pymtl3's default names for parameterized components
(Foo__nbits_8) fail to import. Every RTL component calls `set_module_name` in construct() with a name built
from its parameters, free of '__', stable across runs (the translate flow's file names follow it).
"""
from pymtl3.passes.backends.verilog import VerilogTranslationPass
from pymtl3.passes.backends.yosys import YosysTranslationPass


def module_name(base, **params):
  parts = [base] + [f"{k}{v}" for k, v in params.items()]
  name = "_".join(parts)
  while "__" in name:
    name = name.replace("__", "_")
  return name


def set_module_name(comp, base, **params):
  name = module_name(base, **params)
  comp.set_metadata(VerilogTranslationPass.explicit_module_name, name)
  comp.set_metadata(YosysTranslationPass.explicit_module_name, name)
  return name
