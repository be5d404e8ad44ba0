"""The golden numerics: index encoding, tables, padding, and the TLMM result equal to the integer product."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tellme_pymtl import numerics as nx
from tellme_pymtl.config import TeLLMeConfig, get_config


def test_index_order_documented():
  # idx = 9*(w0+1) + 3*(w1+1) + (w2+1)
  assert nx.encode_ternary([-1, -1, -1]) == 0
  assert nx.encode_ternary([0, 0, 0]) == 13 == nx.zero_index(3)
  assert nx.encode_ternary([1, 1, 1]) == 26
  assert nx.encode_ternary([1, 0, -1]) == 9 * 2 + 3 * 1 + 0
  assert (nx.decode_index(np.arange(27), 3) == nx.entry_digits(3)).all()


def test_negation_mirrors_index():
  d = nx.entry_digits(3)
  assert (nx.encode_ternary(-d) == 26 - np.arange(27)).all()


@given(st.lists(st.integers(-128, 127), min_size=3, max_size=3))
def test_table_entries_are_dot_products(a):
  table = nx.build_table(np.array(a))
  for e in range(27):
    w = nx.decode_index(e, 3)
    assert table[e] == int(np.dot(w.astype(np.int64), a))


def test_bad_inputs_rejected():
  with pytest.raises(nx.NumericsError, match="ternary"):
    nx.encode_ternary([2, 0, 0])
  with pytest.raises(nx.NumericsError, match="range"):
    nx.decode_index(27, 3)
  with pytest.raises(nx.NumericsError, match="8-bit"):
    nx.pad_acts(np.array([[128]]), get_config("small"))


@st.composite
def tlmm_problem(draw):
  G = draw(st.integers(1, 4))
  T = draw(st.integers(1, 5))
  Q = draw(st.integers(1, 5))
  cfg = TeLLMeConfig(G=G, T=T, Q=Q, entry_bits=12, acc_bits=24, max_in_dim=400, max_out_dim=64)
  out_dim = draw(st.integers(1, 40))
  in_dim = draw(st.integers(1, 120))
  n = draw(st.integers(1, 3))
  seed = draw(st.integers(0, 2 ** 32 - 1))
  rng = np.random.default_rng(seed)
  W = nx.random_ternary(rng, (out_dim, in_dim), p_zero=draw(st.floats(0, 1)))
  X = nx.random_acts(rng, (n, in_dim))
  return cfg, W, X


@given(tlmm_problem())
def test_tlmm_lookup_equals_integer_product(p):
  cfg, W, X = p
  exact = X.astype(np.int64) @ W.astype(np.int64).T
  idx = nx.weight_indices(W, cfg)
  assert idx.shape[2:] == (cfg.Q, cfg.T)
  got = nx.tlmm_lookup(idx, X, cfg)
  assert got.shape == (X.shape[0], cfg.pad_out(W.shape[0]))
  assert (got[:, :W.shape[0]] == exact).all()
  assert (got[:, W.shape[0]:] == 0).all()           # padded rows are zero weights
  assert (nx.ternary_matmul(W, X) == exact).all()


def test_ternary_matmul_exact_beyond_float32():
  # |acc| can exceed 2^24: the int64 path must be taken and stay exact.
  rng = np.random.default_rng(1)
  W = np.ones((3, 200000), dtype=np.int8)
  X = np.full((1, 200000), 127, dtype=np.int64)
  X[0, 7] = 126
  assert nx.ternary_matmul(W, X)[0, 0] == 127 * 200000 - 1
  W2 = nx.random_ternary(rng, (5, 1000))
  X2 = nx.random_acts(rng, (2, 1000))
  assert (nx.ternary_matmul(W2, X2) == X2 @ W2.astype(np.int64).T).all()


def test_padding():
  cfg = get_config("paper")
  W = np.ones((17, 85), dtype=np.int8)
  assert nx.pad_weights(W, cfg).shape == (32, 168)
  assert nx.pad_weights(W, cfg)[17:].sum() == 0 and nx.pad_weights(W, cfg)[:, 85:].sum() == 0
  idx = nx.weight_indices(W, cfg)
  assert idx.shape == (2, 2, 16, 28)
  assert (idx[1, :, 1:] == 13).all()                # padded rows are the zero index


def test_wrap_signed():
  assert list(nx.wrap_signed([127, 128, -129, -128], 8)) == [127, -128, 127, -128]
