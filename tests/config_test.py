"""The configuration object refuses impossible settings with an error naming the field."""
import pytest

from tellme_pymtl.config import CONFIGS, ConfigError, TeLLMeConfig, get_config


@pytest.mark.parametrize("field,value", [
  ("T", 0), ("Q", 0), ("G", 0), ("G", 6), ("act_bits", 1), ("entry_bits", 9), ("acc_bits", 14),
  ("max_in_dim", -5), ("max_out_dim", 0), ("dim_bits", 12), ("clock_mhz", 0.0), ("ddr_gbps", float("nan")),
  ("Q", 2.5), ("T", True),
])
def test_bad_field_is_named(field, value):
  with pytest.raises(ConfigError, match=field):
    TeLLMeConfig(**{field: value})


def test_accumulator_boundary():
  # 60 activations of -128 against +1 weights reach -7680: 14 signed bits hold it, 13 do not.
  assert TeLLMeConfig(T=2, Q=2, acc_bits=14, max_in_dim=60, max_out_dim=16).min_acc_bits == 14
  with pytest.raises(ConfigError, match="acc_bits"):
    TeLLMeConfig(T=2, Q=2, acc_bits=13, max_in_dim=60, max_out_dim=16)
  # padding counts: 61 pads to 66, and 66 * 128 = 8448 needs 15 bits
  with pytest.raises(ConfigError, match="acc_bits=14 overflows: max_in_dim=61"):
    TeLLMeConfig(T=2, Q=2, acc_bits=14, max_in_dim=61, max_out_dim=16)


def test_paper_sizes():
  cfg = get_config("paper")
  assert (cfg.G, cfg.T, cfg.Q, cfg.n_entries, cfg.idx_bits, cfg.block_in) == (3, 28, 16, 27, 5, 84)
  assert cfg.min_entry_bits == 10 and cfg.entry_bits == 10
  assert cfg.macs_per_cycle == 1344
  assert cfg.pad_in(1536) == 1596 and cfg.pad_in(4096) == 4116
  assert cfg.acc_depth == 256


def test_named_configs_valid_and_unknown_named():
  for name, cfg in CONFIGS.items():
    assert get_config(name) is cfg
  with pytest.raises(ConfigError, match="nope"):
    get_config("nope")
  with pytest.raises(ConfigError, match="Q"):
    get_config("paper", Q=0)
