"""
tellme_pymtl: shared code of the multi-level TeLLMe model.

config (TeLLMeConfig), numerics (the golden bit-exact definitions), msgs (stream message types and packing),
ifcs (stream interfaces), harness (the one test harness), verilog_names; cli (the `tellme` command, the only
part that reaches across the FL / CL / RTL levels).
"""
__version__ = "0.1.0"
