"""
The accelerator top: its instruction set, the host's compiler from a model to instructions, and the runner that
drives a top component (rtl_models.AccelTopRTL, in Python simulation or through Verilator) step by step.

The top holds every unit (RMS-MAX, quantizer, weight path, dequantizer, element-wise, KV writer, decode and
prefill attention), the DDR memory (weights and KV cache, DDRMemRTL), a scratchpad of NBANKS banks of one
word each (a word holds one beat of any unit port: Q FP16, T activation groups, Q accumulators or a scalar) and
a sequencer. One stream engine (DmaAddrRTL) per unit port moves words between a bank and the port. The host
sends instructions on one port and reads words back on another, so the per-cycle port traffic is one
instruction or one word:

  RUN    unit, cmd, wait, up to NSLOT (engine, descriptor) pairs: the unit's command and the engines'
         descriptors are issued together (all in one cycle, when all can take them); with `wait` the next
         instruction waits until every engine is idle (the job's last output word is in its bank)
  WBANK  bank, address, word: the host writes a scratchpad word (embedding rows, ROPE tables, norm weights)
  WDDR   address, word: the host loads the DDR image (weights, before a run; costs no DDR bandwidth)

A descriptor (bank, base, len, r1, s1, r2, s2) walks base + k*s2 + j*s1 + i, i < len, j < r1, k < r2.

Banks (the compiler's allocation; a job never reads two streams from one bank, nor writes two into one):
  X the residual stream, P parameters (norm weights, ROPE table), A0 A1 A2 vectors, QB the queries, ACT the
  quantized activations, ACC accumulators, S per-token scales, Z discarded words (RMS-MAX's amax, KV acks).

Each step (a prompt, or one token) is the job sequence of tellme_pymtl.llm.AccelModel.layer, unit after unit
as the cycle model counts them; the host writes the embedding rows and the ROPE rows, runs the program and reads
back the final normalized hidden state of the last position (the LM head and argmax stay on the host).
"""
import numpy as np
from pymtl3 import Component, mk_bits, mk_bitstruct, update, update_ff
from pymtl3.passes import DefaultPassGroup
from pymtl3.stdlib.test_utils.test_helpers import config_model_with_cmdline_opts, finalize_verilator

from . import attention as A
from . import msgs as mg
from .config import ConfigError
from .ifcs import RecvIfcRTL, SendIfcRTL
from .llm import AccelModel, rope_table

ADDR_BITS = 16
HOST_BITS = 64          # the host's instruction port: an instruction is K words of HOST_BITS
NSLOT = 4
OP_RUN, OP_WBANK, OP_WDDR = 0, 1, 2

UNITS = ("rms", "quant", "wp", "deq", "ew", "kvw", "dec", "pre")
SOURCES = (("rms", "x"), ("rms", "g"), ("quant", "x"), ("wp", "act"), ("deq", "scale"), ("deq", "acc"),
           ("ew", "a"), ("ew", "b"), ("kvw", "x"), ("dec", "q"), ("pre", "q"), ("host", "out"))
SINKS = (("rms", "y"), ("rms", "amax"), ("quant", "scale"), ("quant", "act"), ("wp", "out"), ("deq", "y"),
         ("ew", "y"), ("kvw", "ack"), ("dec", "out"), ("pre", "out"))
ENGINES = SOURCES + SINKS
BANKS = ("X", "P", "A0", "A1", "A2", "QB", "ACT", "ACC", "S", "Z")
NBANKS = len(BANKS)
B = {name: i for i, name in enumerate(BANKS)}


def mk_desc():
  BA = mk_bits(ADDR_BITS)
  return mk_bitstruct("TopDesc", {"bank": mk_bits(4), "base": BA, "len": mk_bits(16), "r1": mk_bits(16),
                                  "s1": BA, "r2": mk_bits(8), "s2": BA})


def cmd_types(cfg):
  """Each unit's command type, in UNITS order."""
  from .fuse import mk_wpath_cmd
  D = cfg.dim_bits
  return (mg.mk_rms_cmd(D), mg.mk_vec_cmd(D), mk_wpath_cmd(D), mg.mk_deq_cmd(D), mg.mk_ew_cmd(D), mg.mk_kvw_cmd(D),
          mg.mk_attn_cmd(D), mg.mk_attn_cmd(D))


def field_slices(Type):
  """{field: (lo, hi)} of a flat bitstruct's bits (the first field is the most significant)."""
  out, hi = {}, Type.nbits
  for name, ft in Type.__bitstruct_fields__.items():
    out[name] = (hi - ft.nbits, hi)
    hi -= ft.nbits
  return out


class TopISA:
  """Widths and bit positions of the top's instruction and words for one configuration (shared by the RTL top
  and the host's encoder)."""

  def __init__(s, cfg):
    s.cfg = cfg
    s.W = max(16 * cfg.Q, cfg.T * cfg.G * cfg.act_bits, cfg.Q * cfg.acc_bits, 32)   # scratchpad word
    s.CB = max(t.nbits for t in cmd_types(cfg))
    s.DB = mk_desc().nbits
    s.EB = max(1, len(ENGINES).bit_length())
    s.UB = 4
    s.CMD = 3 + s.UB
    s.SLOT0 = s.CMD + s.CB
    s.SLOTB = s.EB + s.DB
    run_bits = s.SLOT0 + NSLOT * s.SLOTB
    bits = max(run_bits, 2 + 4 + ADDR_BITS + s.W, 2 + 32 + cfg.word_bits)
    s.K = -(-bits // HOST_BITS)
    s.IW = s.K * HOST_BITS
    if s.IW > 1023:
      raise ConfigError(f"the top's instruction of {s.IW} bits exceeds pymtl3's 1023-bit limit (word_bits="
                        f"{cfg.word_bits}, scratchpad word {s.W})")
    s.Instr = mk_bits(s.IW)
    s.Word = mk_bits(s.W)

  def words(s, instrs):
    """Instructions -> the host port's words (K each, least significant first)."""
    mask = (1 << HOST_BITS) - 1
    return [(v >> (HOST_BITS * j)) & mask for v in instrs for j in range(s.K)]

  # encoders ---------------------------------------------------------------------------------------------------

  def run(s, unit=None, cmd=None, descs=(), wait=True):
    """A RUN instruction: unit name (or None), its command (a bitstruct), [(engine, desc tuple)]."""
    if len(descs) > NSLOT:
      raise ValueError(f"a RUN instruction carries at most {NSLOT} descriptors")
    v = OP_RUN | (int(bool(wait)) << 2)
    if unit is not None:
      v |= (UNITS.index(unit) + 1) << 3
      v |= int(cmd.to_bits()) << s.CMD
    D = mk_desc()
    for k, (eng, d) in enumerate(descs):
      o = s.SLOT0 + k * s.SLOTB
      v |= (ENGINES.index(eng) + 1) << o
      v |= int(D(*d).to_bits()) << (o + s.EB)
    return v

  def wbank(s, bank, addr, word):
    return OP_WBANK | (bank << 2) | (addr << 6) | (int(word) << (6 + ADDR_BITS))

  def wddr(s, addr, word):
    return OP_WDDR | (addr << 2) | (int(word) << 34)

  # decoder (the FL and CL tops') ------------------------------------------------------------------------------

  def run_slots(s, v):
    """A RUN instruction's (engine index, descriptor tuple) pairs, the inverse of run()'s descs."""
    fields = list(field_slices(mk_desc()).values())
    out = []
    for k in range(NSLOT):
      o = s.SLOT0 + k * s.SLOTB
      e = (v >> o) & ((1 << s.EB) - 1)
      if e:
        d = (v >> (o + s.EB)) & ((1 << s.DB) - 1)
        out.append((e - 1, tuple((d >> lo) & ((1 << (hi - lo)) - 1) for lo, hi in fields)))
    return out


def f16_words(cfg, x16):
  """FP16 vector -> scratchpad words of Q elements (element i of a word at bits [16i, 16i+16))."""
  return [sum(int(v) << (16 * i) for i, v in enumerate(beat)) for beat in mg.f16_beats(cfg, x16)]


def words_f16(cfg, words, n):
  bits = [(int(w) >> (16 * i)) & 0xFFFF for w in words for i in range(cfg.Q)]
  return np.array(bits, dtype=np.uint16).view(np.float16)[:n]


def walk(desc):
  """The word addresses a descriptor (bank, base, len, r1, s1, r2, s2) visits, in order (DmaAddrRTL's walk)."""
  _, base, n, r1, s1, r2, s2 = desc
  return [base + k * s2 + j * s1 + i for k in range(r2) for j in range(r1) for i in range(n)]


def contig(bank, base, n):
  """A contiguous run of n words (bank: a name or an index)."""
  return (B.get(bank, bank), base, n, 1, 0, 1, 0)


class TopProgram:
  """The host's view of a model on the top: the DDR image, the scratchpad layout and the instructions of
  every step. am: the model laid out for the accelerator (tellme_pymtl.llm.AccelModel)."""

  def __init__(s, am, max_prompt, npe=8):
    cfg, c = am.cfg, am.c
    s.am, s.cfg, s.c, s.npe = am, cfg, c, npe
    s.isa = TopISA(cfg)
    Q = cfg.Q
    if c.head_dim % Q:
      raise ConfigError(f"the top streams head vectors as whole words: head_dim={c.head_dim} must be a multiple "
                        f"of Q={Q}")
    s.bh, s.bq, s.bk, s.bi = (-(-x // Q) for x in (c.hidden, c.q_dim, c.kv_heads * c.head_dim, c.intermediate))
    s.bpv = c.head_dim // Q
    # the DDR image: every linear (as its row tiles, packing.row_tiles), then each layer's K and V regions
    from . import packing
    names = ("q", "k", "v", "o", "gate", "up", "down")
    tiles = [(P[nm][0], packing.row_tiles(cfg, *P[nm][0].shape)) for P in am.layers for nm in names]
    image, bases, _ = packing.pack(cfg, [W[r0:r0 + rows] for W, ts in tiles for r0, rows in ts])
    it = iter(bases)
    tile_bases = [[(r0, rows, next(it)) for r0, rows in ts] for _, ts in tiles]
    s.wtiles = [dict(zip(names, tile_bases[i * 7:(i + 1) * 7])) for i in range(len(am.layers))]
    s.kv = []
    for _ in am.layers:
      z = np.zeros((0, c.kv_heads, c.head_dim), dtype=np.float16)
      image, kb, vb = A.kv_image(cfg, z, z, am.max_ctx, image)
      s.kv.append((kb, vb))
    s.image = image
    s.ddr_depth = 1 << max(1, (len(image) - 1).bit_length())
    # parameters in bank P: the norm weights, then the ROPE rows of a step
    s.pwords, s.norm_base = [], []
    for P in am.layers:
      bases = {}
      for nm in ("in_norm", "attn_norm", "post_norm", "ffn_norm"):
        bases[nm] = len(s.pwords)
        s.pwords += f16_words(cfg, P[nm])
      s.norm_base.append(bases)
    s.final_norm = len(s.pwords)
    s.pwords += f16_words(cfg, am.norm)
    s.rope_base = len(s.pwords)
    n = max_prompt
    act = max(cfg.pad_in(x) // cfg.block_in for x in (c.hidden, c.q_dim, c.intermediate))
    acc = max(cfg.pad_out(x) // Q for x in (c.q_dim, c.hidden, c.intermediate, c.kv_heads * c.head_dim))
    need = max(n * max(s.bh, s.bq, s.bi), n * act, n * acc, s.rope_base + n * s.bq)
    if need >= 1 << ADDR_BITS:
      raise ConfigError(f"the top's scratchpad banks would need {need} words, more than {1 << ADDR_BITS}")
    s.bank_depth = 1 << max(1, (need - 1).bit_length())
    s.max_prompt = max_prompt

  # loading ----------------------------------------------------------------------------------------------------

  def load(s):
    """The instructions that load the DDR image and the norm weights (once, before the first step)."""
    isa = s.isa
    return [isa.wddr(a, w) for a, w in enumerate(s.image) if w] + \
           [isa.wbank(B["P"], a, w) for a, w in enumerate(s.pwords)]

  # jobs -------------------------------------------------------------------------------------------------------

  def _rms(s, src, n_el, ntok, g, dst):
    cfg, isa = s.cfg, s.isa
    b = -(-n_el // cfg.Q)
    return isa.run("rms", mg.rms_cmd(cfg, n_el, ntok, s.c.eps), [
      (("rms", "x"), contig(src[0], src[1], b * ntok)), (("rms", "g"), (B["P"], g, b, ntok, 0, 1, 0)),
      (("rms", "y"), contig(dst[0], dst[1], b * ntok)), (("rms", "amax"), contig("Z", 0, ntok))])

  def _quant(s, src, n_el, ntok):
    cfg = s.cfg
    return s.isa.run("quant", mg.quant_cmd(cfg, n_el, ntok), [
      (("quant", "x"), contig(src[0], src[1], -(-n_el // cfg.Q) * ntok)), (("quant", "scale"), contig("S", 0, ntok)),
      (("quant", "act"), contig("ACT", 0, cfg.pad_in(n_el) // cfg.block_in * ntok))])

  def _linear(s, i, name, ntok, dst, mode=None, b=None, ew_dst=None):
    """Weight path (ACT -> ACC, a job per row tile, each writing its rows of every token's accumulators),
    dequantizer (ACC, S -> dst), then element-wise `mode` (dst, b -> ew_dst)."""
    cfg, isa = s.cfg, s.isa
    W, _, w_scale = s.am.layers[i][name]
    out, inn = W.shape
    ob = cfg.pad_out(out) // cfg.Q
    act = contig("ACT", 0, cfg.pad_in(inn) // cfg.block_in * ntok)
    prog = [isa.run("wp", mg.wpath_cmd(cfg, inn, rows, ntok, base), [
      (("wp", "act"), act), (("wp", "out"), (B["ACC"], r0 // cfg.Q, -(-rows // cfg.Q), ntok, ob, 1, 0))])
      for r0, rows, base in s.wtiles[i][name]]
    prog += [
      isa.run("deq", mg.deq_cmd(cfg, out, ntok, w_scale), [
        (("deq", "scale"), contig("S", 0, ntok)), (("deq", "acc"), contig("ACC", 0, ob * ntok)),
        (("deq", "y"), contig(dst[0], dst[1], ob * ntok))])]
    if mode is not None:
      prog.append(isa.run("ew", mg.ew_cmd(cfg, mode, out, ntok), [
        (("ew", "a"), contig(dst[0], dst[1], ob * ntok)), (("ew", "b"), b),
        (("ew", "y"), contig(ew_dst[0], ew_dst[1], ob * ntok))]))
    return prog

  def _kvw(s, i, which, pos, n):
    c = s.c
    base = s.kv[i][which]
    return s.isa.run("kvw", mg.kvw_cmd(s.cfg, base, pos, n, c.kv_heads, c.head_dim, s.am.max_ctx), [
      (("kvw", "x"), contig("A2", 0, s.bk * n)), (("kvw", "ack"), contig("Z", 0, 1))])

  def _attention(s, i, pos, n):
    c, cfg, isa = s.c, s.cfg, s.isa
    kb, vb = s.kv[i]
    H, Hkv, d = c.heads, c.kv_heads, c.head_dim
    if n == 1:
      cmd = mg.attn_cmd(cfg, pos + 1, H, Hkv, d, s.am.max_ctx, kb, vb)
      return [isa.run("dec", cmd, [(("dec", "q"), contig("QB", 0, s.bq)), (("dec", "out"), contig("A0", 0, s.bq))])]
    cmd = mg.attn_cmd(cfg, n, H, Hkv, d, s.am.max_ctx, kb, vb)
    prog = []
    passes = list(range(0, n, s.npe))
    for p, i0 in enumerate(passes):
      rows = min(s.npe, n - i0)
      q = (B["QB"], i0 * s.bq, s.bpv, rows, s.bq, H, s.bpv)      # head by head, the pass's rows, the beats
      o = (B["A0"], i0 * s.bq, s.bpv, rows, s.bq, H, s.bpv)
      prog.append(isa.run("pre" if p == 0 else None, cmd if p == 0 else None,
                          [(("pre", "q"), q), (("pre", "out"), o)], wait=(p == len(passes) - 1)))
    return prog

  def layer(s, i, pos, n):
    """The instructions of layer i for n tokens at positions pos .. pos+n-1 (tellme_pymtl.llm.AccelModel.layer)."""
    c, nb = s.c, s.norm_base[i]
    X, A0, A1, A2, QB = (B["X"], 0), (B["A0"], 0), (B["A1"], 0), (B["A2"], 0), (B["QB"], 0)
    rope_q = (B["P"], s.rope_base, s.bq, n, s.bq, 1, 0)
    rope_k = (B["P"], s.rope_base, s.bk, n, s.bq, 1, 0)
    x_res = (B["X"], 0, s.bh * n, 1, 0, 1, 0)
    prog = [s._rms(X, c.hidden, n, nb["in_norm"], A0), s._quant(A0, c.hidden, n)]
    prog += s._linear(i, "q", n, A1, "rope", rope_q, QB)
    prog += s._linear(i, "k", n, A1, "rope", rope_k, A2)
    prog.append(s._kvw(i, 0, pos, n))
    prog += s._linear(i, "v", n, A2)
    prog.append(s._kvw(i, 1, pos, n))
    prog += s._attention(i, pos, n)
    prog += [s._rms(A0, c.q_dim, n, nb["attn_norm"], A1), s._quant(A1, c.q_dim, n)]
    prog += s._linear(i, "o", n, A1, "add", x_res, X)
    prog += [s._rms(X, c.hidden, n, nb["post_norm"], A0), s._quant(A0, c.hidden, n)]
    prog += s._linear(i, "up", n, A1)
    prog += s._linear(i, "gate", n, A0, "mult_silu" if c.act == "silu" else "relu2",
                      (B["A1"], 0, s.bi * n, 1, 0, 1, 0), A2)
    prog += [s._rms(A2, c.intermediate, n, nb["ffn_norm"], A0), s._quant(A0, c.intermediate, n)]
    prog += s._linear(i, "down", n, A1, "add", x_res, X)
    return prog

  def step(s, ids, pos):
    """(host writes, program, words to read back) of one step: tokens ids at positions pos .. ."""
    cfg, c, isa = s.cfg, s.c, s.isa
    n = len(ids)
    if n > s.max_prompt:
      raise ConfigError(f"a step of {n} tokens exceeds the top's max_prompt={s.max_prompt}")
    writes = []
    emb = s.am.embed16[np.asarray(ids, dtype=np.int64)]
    for t in range(n):
      writes += [isa.wbank(B["X"], t * s.bh + k, w) for k, w in enumerate(f16_words(cfg, emb[t]))]
    rb = rope_table(np.arange(pos, pos + n), c.head_dim, c.heads, c.rope_theta)
    for t in range(n):
      writes += [isa.wbank(B["P"], s.rope_base + t * s.bq + k, w) for k, w in enumerate(f16_words(cfg, rb[t]))]
    prog = []
    for i in range(len(s.am.layers)):
      prog += s.layer(i, pos, n)
    prog.append(s._rms((B["X"], (n - 1) * s.bh), c.hidden, 1, s.final_norm, (B["A0"], 0)))
    prog.append(isa.run(None, None, [(("host", "out"), contig("A0", 0, s.bh))]))
    return writes, prog, s.bh


# The host side of a simulation -------------------------------------------------------------------------------

class HostSource(Component):
  """Sends the instructions appended to `pending` (test-bench code: Python, not translated). Its valid comes from
  its state combinationally, so a word appended between cycles goes out in the next cycle, as TopRunner's
  Verilator path drives it: both paths give a top the same stimulus, cycle for cycle."""

  def construct(s, Type):
    s.send = SendIfcRTL(Type)
    s.pending = []
    s.idx = 0
    s.cycle = 0
    s.last_fire = 0

    @update
    def up_host_src_out():
      s.send.val @= s.idx < len(s.pending)
      if s.idx < len(s.pending):
        s.send.msg @= s.pending[s.idx]

    @update_ff
    def up_host_src():
      if s.reset:
        s.cycle = 0
        return
      s.cycle += 1
      if s.send.val & s.send.rdy:
        s.idx += 1
        s.last_fire = s.cycle

  def line_trace(s):
    return str(s.send)


class HostSink(Component):
  """Collects the words the top sends back."""

  def construct(s, Type):
    s.recv = RecvIfcRTL(Type)
    s.words = []
    s.cycle = 0
    s.last = 0

    @update_ff
    def up_host_snk():
      if s.reset:
        s.cycle = 0
        s.recv.rdy <<= 0
        return
      s.cycle += 1
      if s.recv.val & s.recv.rdy:
        s.words.append(int(s.recv.msg))
        s.last = s.cycle
      s.recv.rdy <<= 1

  def line_trace(s):
    return str(s.recv)


class TopHarness(Component):

  def construct(s, dut, isa):
    s.dut = dut
    s.src = HostSource(mk_bits(HOST_BITS))
    s.snk = HostSink(isa.Word)
    s.src.send //= dut.instr
    dut.out //= s.snk.recv

  def line_trace(s):
    return f"{s.src.line_trace()} > {s.dut.line_trace()} > {s.snk.line_trace()}"


class TopError(AssertionError):
  pass


class TopRunner:
  """A model on an accelerator top component: load once, then run steps; the simulator stays alive between
  steps (the KV cache is in the top's DDR). top_cls: the top's class (the runner imports no level)."""

  def __init__(s, top_cls, model, cfg, max_prompt, max_ctx, npe=8, fifo_depth=1024, verilog=False,
               cmdline_opts=None, max_cycles=10 ** 8):
    from .harness import _opts
    s.am = AccelModel(model, cfg, max_ctx=max_ctx, npe=npe, fifo_depth=fifo_depth)
    s.prog = TopProgram(s.am, max_prompt, npe)
    s.cfg, s.max_cycles = cfg, max_cycles
    c = model.cfg
    top = top_cls(cfg, s.prog.bank_depth, s.prog.ddr_depth, npe, fifo_depth, max(c.head_dim, 16))
    th = TopHarness(top, s.prog.isa)
    th = config_model_with_cmdline_opts(th, _opts(verilog, cmdline_opts), duts=["dut"])
    s.th = th
    th.apply(DefaultPassGroup(linetrace=False))
    th.sim_reset()
    s.sim_s = 0.0
    s.ticks = 0
    s.cycle = 0
    s.load_cycles = s._issue(s.prog.load())
    s.pos = 0

  def _lean(s):
    """The imported Verilator model's port structure (the host loop drives it directly), else None."""
    return getattr(s.th.dut, "_ffi_m", None)

  def _issue(s, instrs, n_words=0):
    """Send instructions and wait until they are taken and n_words more words came back. Returns the cycles
    from the first instruction's issue to the end."""
    if s._lean() is not None:
      return s._issue_lean(s.prog.isa.words(instrs), n_words)
    import time
    th = s.th
    src, snk = th.src, th.snk
    tick0 = th.sim_cycle_count()
    # in the host's cycle count (from reset, as snk.last and src.last_fire): the first word goes out in cycle
    # src.cycle + 1; counted from there, inclusive, as _issue_lean counts
    start = src.cycle
    want = len(snk.words) + n_words
    src.pending += s.prog.isa.words(instrs)
    t0 = time.perf_counter()
    while src.idx < len(src.pending) or len(snk.words) < want:
      if th.sim_cycle_count() - tick0 > s.max_cycles:
        raise TopError(f"the top did not finish in {s.max_cycles} cycles")
      th.sim_tick()
    s.sim_s += time.perf_counter() - t0
    s.ticks += th.sim_cycle_count() - tick0
    return (snk.last if n_words else src.last_fire) - start

  def _issue_lean(s, words, n_words):
    """_issue on the imported model through its C interface: each cycle the host's word and ready go in, the
    design settles (comb_eval), the handshakes are read, the clock ticks (seq_eval). The same val/rdy protocol
    as HostSource/HostSink without pymtl3's per-cycle scheduling, which costs more than the model itself."""
    import time
    th = s.th
    m, inst = th.dut._ffi_m, th.dut._ffi_inst
    comb, seq = inst.comb_eval, inst.seq_eval
    msg, val, rdy = m.instr___05Fmsg, m.instr___05Fval, m.instr___05Frdy
    oval, omsg = m.out___05Fval, m.out___05Fmsg
    out = th.snk.words
    W = s.prog.isa.W
    nchunk = 1 if W <= 64 else -(-W // 32)         # Verilator passes ports over 64 bits as 32-bit chunks
    m.reset[0] = 0
    m.out___05Frdy[0] = 1
    start = cyc = s.cycle
    want, i, n = len(out) + n_words, 0, len(words)
    last_in = last_out = start
    limit = start + s.max_cycles
    t0 = time.perf_counter()
    while i < n or len(out) < want:
      if i < n:
        msg[0] = words[i]
        val[0] = 1
      else:
        val[0] = 0
      comb(m)
      cyc += 1
      if i < n and rdy[0]:
        i += 1
        last_in = cyc
      if oval[0]:
        out.append(int(omsg[0]) if nchunk == 1 else sum(int(omsg[j]) << (32 * j) for j in range(nchunk)))
        last_out = cyc
      seq(m)
      if cyc > limit:
        raise TopError(f"the top did not finish in {s.max_cycles} cycles")
    val[0] = 0
    s.sim_s += time.perf_counter() - t0
    s.ticks += cyc - start
    s.cycle = cyc
    return (last_out if n_words else last_in) - start

  def step(s, ids):
    """Run tokens ids at the current position; returns (final hidden state FP16 [hidden], compute cycles)."""
    writes, prog, nw = s.prog.step(list(ids), s.pos)
    s._issue(writes)
    cyc = s._issue(prog, nw)
    s.pos += len(ids)
    return words_f16(s.cfg, s.th.snk.words[-nw:], s.c.hidden), cyc

  @property
  def c(s):
    return s.am.c

  def generate(s, prompt, n_new, on_token=None):
    """Greedy tokens (the host's LM head on the top's hidden states) and the cycles of every step."""
    out, cycles = [], []
    y, cyc = s.step(prompt)
    cycles.append(cyc)
    for t in range(n_new):
      tok = int(np.argmax(s.am.logits(y)))
      out.append(tok)
      if on_token:
        on_token(t, tok)
      if t + 1 < n_new:
        y, cyc = s.step([tok])
        cycles.append(cyc)
    return out, cycles

  def close(s):
    finalize_verilator(s.th)
