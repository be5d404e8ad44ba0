"""
AccelTopFL: the functional accelerator top: the same ports and instruction set as AccelTopRTL
(tellme_pymtl.top), each instruction executed at once with the golden numerics.

  instr  RecvIfcRTL(Bits64)   instruction words (always taken)
  out    SendIfcRTL(Word)     words read back

State: the scratchpad banks and the DDR image as Python lists. WBANK and WDDR write them. A RUN adds its
descriptors to its engines' lists (a job's descriptors may come in several RUNs: the prefill passes); the RUN
that carries `wait` executes the job: every source engine's words are read along its descriptors
(tellme_pymtl.top.walk), the unit's golden function maps them to its output words, which are written along the
sink engines' descriptors. The host-out engine's words go to `out`, one per cycle.
"""
from collections import deque

import numpy as np
from pymtl3 import Component, mk_bits, update_ff

from tellme_pymtl import attention as A
from tellme_pymtl import fused
from tellme_pymtl import numerics as nx
from tellme_pymtl import packing
from tellme_pymtl.fp_prog import EW_MODES
from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.top import (ADDR_BITS, ENGINES, HOST_BITS, NBANKS, OP_RUN, OP_WBANK, OP_WDDR, UNITS, TopISA,
                              cmd_types, f16_words, field_slices, walk, words_f16)

F16, F32 = np.float16, np.float32
MODE_NAMES = {v: k for k, v in EW_MODES.items()}


def _field(v, lo, n):
  return (v >> lo) & ((1 << n) - 1)


class AccelTopFL(Component):

  def construct(s, cfg, bank_depth=1024, ddr_depth=4096, npe=8, fifo_depth=1024, max_hdim=128):
    s.cfg, s.npe, s.fifo_depth = cfg, npe, fifo_depth
    s.isa = isa = TopISA(cfg)
    s.instr = RecvIfcRTL(mk_bits(HOST_BITS))
    s.out = SendIfcRTL(isa.Word)
    s.instr.rdy //= 1
    s.bank_depth, s.ddr_depth = bank_depth, ddr_depth
    s.cmd_fields = [field_slices(t) for t in cmd_types(cfg)]
    s.reset_state()

    @update_ff
    def up_top_fl():
      if s.reset:
        s.reset_state()
        s.out.val <<= 0
        return
      if s.out.val & s.out.rdy:
        s.outq.popleft()
      if s.instr.val:
        s.parts.append(int(s.instr.msg))
        if len(s.parts) == isa.K:
          s.execute(sum(w << (HOST_BITS * j) for j, w in enumerate(s.parts)))
          s.parts = []
      s.out.val <<= len(s.outq) > 0
      if s.outq:
        s.out.msg <<= s.outq[0]

  def reset_state(s):
    s.banks = [[0] * s.bank_depth for _ in range(NBANKS)]
    s.ddr = [0] * s.ddr_depth
    s.parts, s.outq = [], deque()
    s.unit, s.cmd, s.descs = None, None, {}

  # instructions --------------------------------------------------------------------------------------------

  def execute(s, v):
    isa = s.isa
    op = v & 3
    if op == OP_WBANK:
      s.banks[_field(v, 2, 4)][_field(v, 6, ADDR_BITS)] = _field(v, 6 + ADDR_BITS, isa.W)
    elif op == OP_WDDR:
      s.ddr[_field(v, 2, 32)] = _field(v, 34, s.cfg.word_bits)
    elif op == OP_RUN:
      u = _field(v, 3, 4)
      if u:
        s.unit = UNITS[u - 1]
        s.cmd = {f: _field(v, isa.CMD + lo, hi - lo) for f, (lo, hi) in s.cmd_fields[u - 1].items()}
      for e, desc in isa.run_slots(v):
        s.descs.setdefault(ENGINES[e], []).append(desc)
      if _field(v, 2, 1):
        s.run_job()
        s.unit, s.cmd, s.descs = None, None, {}

  def src(s, port):
    """The words of a source engine, along its descriptors."""
    return [s.banks[d[0]][a] for d in s.descs.get(port, []) for a in walk(d)]

  def snk(s, port, words):
    ds = s.descs.get(port, [])
    addrs = [(d[0], a) for d in ds for a in walk(d)]
    if len(addrs) != len(words):
      raise ValueError(f"{port}: the job produced {len(words)} words for {len(addrs)} addresses")
    for (b, a), w in zip(addrs, words):
      s.banks[b][a] = w

  def run_job(s):
    if s.unit is None:
      s.outq.extend(s.src(("host", "out")))
      return
    getattr(s, "job_" + s.unit)(s.cmd)

  # words <-> values ------------------------------------------------------------------------------------------

  def f16(s, words, n):
    return words_f16(s.cfg, words, n)

  def ints(s, words, per, nbits):
    return np.array([nx.wrap_signed((w >> (nbits * i)) & ((1 << nbits) - 1), nbits) for w in words
                     for i in range(per)], dtype=np.int64)

  def pack(s, vals, nbits):
    return sum((int(v) & ((1 << nbits) - 1)) << (nbits * i) for i, v in enumerate(vals))

  @staticmethod
  def f32(w):
    return np.array([w & 0xFFFFFFFF], dtype=np.uint32).view(F32)[0]

  @staticmethod
  def f32_word(x):
    return int(np.array([x], dtype=F32).view(np.uint32)[0])

  # the units -------------------------------------------------------------------------------------------------

  def job_rms(s, c):
    n, ntok, b = c["n"], c["ntokens"], -(-c["n"] // s.cfg.Q)
    x, g = s.src(("rms", "x")), s.src(("rms", "g"))
    y, amax = [], []
    for t in range(ntok):
      yt, am, _ = fused.rms_max(s.f16(x[t * b:(t + 1) * b], n), s.f16(g[t * b:(t + 1) * b], n), s.cfg.Q,
                                s.f32(c["inv_n"]), s.f32(c["eps"]))
      y += f16_words(s.cfg, yt)
      amax.append(int(np.array([am], dtype=F16).view(np.uint16)[0]))
    s.snk(("rms", "y"), y)
    s.snk(("rms", "amax"), amax)

  def job_quant(s, c):
    cfg = s.cfg
    n, ntok, b = c["n"], c["ntokens"], -(-c["n"] // cfg.Q)
    x = s.src(("quant", "x"))
    scale, act = [], []
    for t in range(ntok):
      q, sc = fused.quantize(s.f16(x[t * b:(t + 1) * b], n), cfg.act_bits)
      scale.append(s.f32_word(sc))
      act += [s.pack(blk, cfg.act_bits) for blk in nx.act_blocks(q[None, :], cfg)[0]]
    s.snk(("quant", "scale"), scale)
    s.snk(("quant", "act"), act)

  def job_wp(s, c):
    cfg = s.cfg
    inn, out, ntok = c["in_dim"], c["out_dim"], c["ntokens"]
    W = packing.unpack(cfg, s.ddr, c["base"], (out, inn))
    nbi = cfg.pad_in(inn) // cfg.block_in
    acts = s.ints(s.src(("wp", "act")), cfg.block_in, cfg.act_bits).reshape(ntok, nbi * cfg.block_in)
    Y = nx.wrap_signed(nx.ternary_matmul(nx.pad_weights(W, cfg), acts), cfg.acc_bits)
    s.snk(("wp", "out"), [s.pack(Y[t, i:i + cfg.Q], cfg.acc_bits) for t in range(ntok)
                          for i in range(0, cfg.pad_out(out), cfg.Q)])

  def job_deq(s, c):
    cfg = s.cfg
    n, ntok = c["n"], c["ntokens"]
    ob = cfg.pad_out(n) // cfg.Q
    sc = s.src(("deq", "scale"))
    acc = s.ints(s.src(("deq", "acc")), cfg.Q, cfg.acc_bits).reshape(ntok, ob * cfg.Q)
    y = []
    for t in range(ntok):
      y += f16_words(s.cfg, fused.dequantize(acc[t], s.f32(c["wscale"]), s.f32(sc[t])))
    s.snk(("deq", "y"), y)

  def job_ew(s, c):
    ntok, b = c["ntokens"], -(-c["n"] // s.cfg.Q)
    mode = MODE_NAMES[c["mode"]]
    a = s.src(("ew", "a"))
    bw = s.src(("ew", "b")) if mode != "none" else [0] * len(a)
    y = []
    for t in range(ntok):
      at, bt = s.f16(a[t * b:(t + 1) * b], b * s.cfg.Q), s.f16(bw[t * b:(t + 1) * b], b * s.cfg.Q)
      y += f16_words(s.cfg, fused.elementwise(mode, at, bt))
    s.snk(("ew", "y"), y)

  def job_kvw(s, c):
    cfg = s.cfg
    x = s.src(("kvw", "x"))
    d, nb, i = c["hdim"], c["nbeats"], 0
    for p in range(c["pos"], c["pos"] + c["npos"]):
      for h in range(c["kv_heads"]):
        a = A.kv_address(cfg, c["base"], d, c["max_ctx"], h, p)
        s.ddr[a:a + c["wpv"]] = A.vec_words(cfg, s.f16(x[i:i + nb], d))
        i += nb
    s.snk(("kvw", "ack"), [1])

  def kv(s, c, n):
    d, Hkv, wpv = c["hdim"], c["kv_heads"], c["wpv"]
    k = np.zeros((n, Hkv, d), dtype=F16)
    v = np.zeros((n, Hkv, d), dtype=F16)
    for base, arr in ((c["kbase"], k), (c["vbase"], v)):
      for p in range(n):
        for h in range(Hkv):
          a = A.kv_address(s.cfg, base, d, c["max_ctx"], h, p)
          arr[p, h] = A.words_vec(s.cfg, s.ddr[a:a + wpv], d)
    return k, v

  def job_dec(s, c):
    H, d, nb = c["heads"], c["hdim"], c["nbeats"]
    qw = s.src(("dec", "q"))
    q = np.stack([s.f16(qw[h * nb:(h + 1) * nb], d) for h in range(H)])[None]
    k, v = s.kv(c, c["n"])
    o = A.decode(q, k, v, s.cfg.Q, s.fifo_depth)
    s.snk(("dec", "out"), [w for h in range(H) for w in f16_words(s.cfg, o[0, h])])

  def job_pre(s, c):
    n, H, d, nb = c["n"], c["heads"], c["hdim"], c["nbeats"]
    order = A.prefill_order(n, H, s.npe)
    qw = s.src(("pre", "q"))
    q = np.zeros((n, H, d), dtype=F16)
    for j, (i, h) in enumerate(order):
      q[i, h] = s.f16(qw[j * nb:(j + 1) * nb], d)
    k, v = s.kv(c, n)
    o = A.prefill(q, k, v, s.cfg.Q)
    s.snk(("pre", "out"), [w for (i, h) in order for w in f16_words(s.cfg, o[i, h])])

  def line_trace(s):
    return f"{len(s.parts)}:{len(s.outq)}"
