"""
Models: safetensors I/O, checkpoint loading in every supported layout (and one-line errors for bad ones), the
accelerator's forward against the float reference, and the constant-mode pruning of FP programs.
"""
import json
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tellme_pymtl import fp_prog, fused, llm
from tellme_pymtl import reference as R
from tellme_pymtl.config import get_config
from tellme_pymtl.model import (ModelConfig, ModelError, load_checkpoint, pack_ternary, random_model,
                                save_checkpoint, ternarize, unpack_ternary)
from tellme_pymtl.safetensors_io import SafeFile, SafetensorsError, save

TINY = ModelConfig(vocab=48, hidden=48, intermediate=96, layers=2, heads=4, kv_heads=2, head_dim=12, max_pos=64)


def same_model(a, b):
  assert a.cfg == b.cfg or a.cfg.__dict__ | {"name": 0} == b.cfg.__dict__ | {"name": 0}
  for La, Lb in zip(a.layers, b.layers):
    for k in ("q", "k", "v", "o", "gate", "up", "down"):
      assert np.array_equal(getattr(La, k).W, getattr(Lb, k).W), k
      assert np.isclose(getattr(La, k).w_scale, getattr(Lb, k).w_scale, rtol=1e-6), k
  assert np.array_equal(a.lm_head, b.lm_head) and np.array_equal(a.embed, b.embed)


def test_safetensors_round_trip_and_bf16(tmp_path):
  x = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2, 250], dtype=np.uint8),
       "c": np.float16([1.5, -2])}
  p = str(tmp_path / "t.safetensors")
  save(p, x)
  f = SafeFile(p)
  for k, v in x.items():
    assert np.array_equal(f.get(k), v) and f.get(k).dtype == v.dtype
  # bfloat16 (written by hand: numpy has no bf16) widens to float32
  vals = np.float32([1.0, -3.5, 0.15625])
  raw = (vals.view(np.uint32) >> 16).astype("<u2").tobytes()
  h = json.dumps({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, len(raw)]}}).encode()
  with open(p, "wb") as fh:
    fh.write(len(h).to_bytes(8, "little") + h + raw)
  assert np.array_equal(SafeFile(p).get("w"), vals)


def test_ternary_pack_is_transformers_layout():
  # transformers' docstring example: packed [[0b10100001, 0b00011000], [0b10010000, 0b00001010]]
  packed = np.array([[0b10100001, 0b00011000], [0b10010000, 0b00001010]], dtype=np.uint8)
  want = np.array([[0, -1], [-1, 1], [-1, 1], [-1, 1], [1, 0], [0, -1], [1, -1], [1, -1]], dtype=np.int8)
  assert np.array_equal(unpack_ternary(packed, "w"), want)
  assert np.array_equal(pack_ternary(want), packed)


def test_ternarize_is_absmean():
  W = np.float32([[0.5, -0.1, 2.0], [0.0, -0.9, 0.3]])
  Wt, s = ternarize(W)
  m = np.float32(np.abs(W).mean())
  assert s == m and np.array_equal(Wt, np.clip(np.round(W / m), -1, 1))


@pytest.mark.parametrize("packed,layout", [(True, "bitnet"), (False, "bitnet"), (False, "1bitllm"),
                                           (True, "1bitllm")])
def test_load_layouts(tmp_path, packed, layout):
  m = random_model(TINY, 1)
  d = str(tmp_path / "ck")
  if packed:
    save_checkpoint(m, d, packed=True, layout=layout)
    same_model(load_checkpoint(d), m)
    return
  # float master weights: the loader ternarizes each with absmean, exactly as BitLinear does
  rng = np.random.default_rng(0)
  master = [{k: (rng.standard_normal(getattr(L, k).W.shape) * 0.02).astype(np.float32)
             for k in ("q", "k", "v", "o", "gate", "up", "down")} for L in m.layers]
  save_checkpoint(m, d, packed=False, layout=layout, master=master)
  got = load_checkpoint(d)
  for i, L in enumerate(got.layers):
    for k, W in master[i].items():
      Wt, sc = ternarize(W)
      assert np.array_equal(getattr(L, k).W, Wt) and getattr(L, k).w_scale == sc
      assert set(np.unique(Wt)) <= {-1, 0, 1}


def test_rope_parameters_and_tied_embeddings(tmp_path):
  mc = ModelConfig(**{**TINY.__dict__, "tie": True, "act": "relu2"})
  m = random_model(mc, 2)
  d = str(tmp_path / "ck")
  save_checkpoint(m, d)
  cfg = json.load(open(os.path.join(d, "config.json")))
  del cfg["rope_theta"]
  cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": 500000.0}
  json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
  got = load_checkpoint(d)
  assert got.cfg.rope_theta == 500000.0 and got.cfg.act == "relu2" and got.lm_head is got.embed


def _corrupt(tmp_path, how):
  m = random_model(TINY, 3)
  d = str(tmp_path / "ck")
  save_checkpoint(m, d, packed=True)
  st_path = os.path.join(d, "model.safetensors")
  cpath = os.path.join(d, "config.json")
  if how == "truncated":
    size = os.path.getsize(st_path)
    with open(st_path, "r+b") as f:
      f.truncate(size - 100)
  elif how == "activation":
    c = json.load(open(cpath))
    c["hidden_act"] = "gelu"
    json.dump(c, open(cpath, "w"))
  elif how in ("missing", "shape", "ternary"):
    f = SafeFile(st_path)
    T = {k: f.get(k) for k in f.keys()}
    key = "model.layers.1.mlp.up_proj.weight"
    if how == "missing":
      del T[key]
    elif how == "shape":
      T[key] = T[key][:, :-1]
    else:
      T[key] = T[key] | np.uint8(0b11)
    save(st_path, T)
  elif how == "config":
    os.remove(cpath)
  return d


@pytest.mark.parametrize("how,msg", [("truncated", "truncated"), ("activation", "unknown activation 'gelu'"),
                                     ("missing", "missing tensor model.layers.1.mlp.up_proj.weight"),
                                     ("shape", "model.layers.1.mlp.up_proj.weight has shape"),
                                     ("ternary", "not ternary"), ("config", "no config.json")])
def test_bad_checkpoints(tmp_path, capsys, how, msg):
  d = _corrupt(tmp_path, how)
  with pytest.raises(ModelError, match=msg.replace("(", r"\(")):
    load_checkpoint(d)
  from tellme_pymtl.cli import main
  assert main(["run", "--model", d, "--max-new-tokens", "1"]) == 2
  err = capsys.readouterr().err.strip().splitlines()
  assert len(err) == 1 and msg.split()[0] in err[0] and "Traceback" not in err[0]


def test_safetensors_errors(tmp_path):
  p = str(tmp_path / "x.safetensors")
  with open(p, "wb") as f:
    f.write(b"\x05\x00")
  with pytest.raises(SafetensorsError, match="truncated"):
    SafeFile(p)


# The accelerator's forward against the float reference -------------------------------------------------------

def teacher_forced(m, prompt, n, cfg):
  """Reference greedy tokens, and the accelerator's logits at every step when fed the reference's tokens."""
  toks, margins = R.greedy(m, prompt, n)
  ref = R.forward(m, list(prompt) + toks)[len(prompt) - 1:-1]
  am = llm.AccelModel(m, cfg, max_ctx=len(prompt) + n)
  fl = [am.logits(am.step(prompt))]
  for t in toks[:-1]:
    fl.append(am.logits(am.step([t])))
  return toks, np.array(margins), ref, np.array(fl)


def check_fidelity(m, prompt, n=16):
  toks, margins, ref, fl = teacher_forced(m, prompt, n, get_config("paper"))
  sd = ref.std(axis=1)
  clear = margins >= R.TINY_MARGIN * sd          # the reference's top-1 is not a near tie
  assert np.array_equal(np.argmax(fl, axis=1)[clear], np.array(toks)[clear])
  return float(np.max(np.abs(fl - ref).max(axis=1) / sd)), int(clear.sum())


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from(["silu", "relu2"]), st.sampled_from([1, 2, 4]))
def test_fl_agrees_with_float_reference(seed, act, kv_heads):
  mc = ModelConfig(**{**TINY.__dict__, "act": act, "kv_heads": kv_heads})
  m = random_model(mc, seed)
  prompt = list(np.random.default_rng(seed).integers(0, mc.vocab, 5))
  err, clear = check_fidelity(m, prompt)
  assert err < R.TINY_MARGIN / 2                # the bound the criterion rests on
  assert clear >= 4                               # the criterion is not vacuous


def test_fl_greedy_equals_teacher_forced_steps():
  """generate() (prefill then decode with the cache) gives the argmax of the same steps run one by one."""
  m = random_model(TINY, 7)
  am = llm.AccelModel(m, get_config("paper"))
  toks = am.generate([1, 2, 3], 6)
  am.reset()
  y = am.step([1, 2, 3])
  for t in toks:
    assert int(np.argmax(am.logits(y))) == t
    y = am.step([t])


def test_rope_perm_pairs():
  p = llm.rope_perm(8)
  assert list(p) == [0, 4, 1, 5, 2, 6, 3, 7]


def test_model_too_wide_for_config():
  from tellme_pymtl.config import ConfigError
  with pytest.raises(ConfigError, match="max_in_dim"):
    llm.AccelModel(random_model(ModelConfig(**{**TINY.__dict__, "intermediate": 300}), 0), get_config("small"))


@pytest.mark.parametrize("mode", list(fp_prog.EW_MODES))
def test_ew_pruned_program_equals_full(mode):
  rng = np.random.default_rng(5)
  a = np.concatenate([rng.standard_normal(200) * 30, [0, -0.0, np.inf, -np.inf, np.nan, 65504, 1e-7, -9]])
  b = rng.standard_normal(a.size)
  ins = fused.ew_inputs(a.astype(np.float16), b.astype(np.float16))
  m = fp_prog.EW_MODES[mode]
  pruned = fp_prog.run(fp_prog.EW_PROGRAM, *ins, k=(m,))
  full = fp_prog.run(fp_prog.EW_PROGRAM, *ins, k=(np.full(a.size, m),))
  assert np.array_equal(pruned.view(np.uint32), full.view(np.uint32))
  assert len(fp_prog.live_ops(fp_prog.EW_PROGRAM, (m,))[0]) < len(fp_prog.EW_PROGRAM.ops)
