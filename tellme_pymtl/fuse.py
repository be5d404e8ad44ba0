"""
The TLMM-FUSE chain's structure, shared by every level: quantize -> TLMM -> dequantize -> element-wise.

`build_fuse(s, cfg, Quantizer, Engine, Dequantizer, Elementwise)` composes the given unit models (FL, CL or
RTL: the caller chooses, this module imports no level) into the component `s`:

  cmd  RecvIfcRTL(FuseCmd)         in_dim, out_dim, ntokens, mode, wscale -> fanned out to the four units
  x    VecRecvIfcRTL(Bits16, Q)    activations, ceil(in_dim/Q) beats per token
  wgt  VecRecvIfcRTL(Bits(T*I), Q) the TLMM weight beats (the matrix once per token)
  b    VecRecvIfcRTL(Bits16, Q)    the element-wise operand (not taken in mode NONE)
  y    VecSendIfcRTL(Bits16, Q)    ceil(out_dim/Q) beats per token

Inside: x -> quantizer -> act -> engine -> out -> dequantizer.acc; quantizer.scale -> a 2-entry queue ->
dequantizer.scale (so the next token's scale does not wait for this token's outputs); dequantizer.y ->
element-wise.a. CmdFanout hands the command to each unit, which takes it when idle.
"""
from pymtl3 import Component, InPort, OutPort, Wire, connect, mk_bits, mk_bitstruct, update, update_ff, zext
from pymtl3.stdlib.stream import NormalQueueRTL

from .ifcs import RecvIfcRTL, SendIfcRTL, VecRecvIfcRTL, VecSendIfcRTL
from .msgs import TLMMTypes
from .verilog_names import set_module_name


def mk_fuse_cmd(dim_bits):
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"FuseCmd_{dim_bits}", {"in_dim": BD, "out_dim": BD, "ntokens": BD, "mode": mk_bits(3),
                                              "wscale": mk_bits(32)})


class CmdFanout(Component):
  """One command to n consumers: out[i] is valid until consumer i has taken it; the input is taken when all
  have. Translatable (the chain's RTL uses it as is)."""

  def construct(s, Type, n):
    s.in_ = RecvIfcRTL(Type)
    s.out = [SendIfcRTL(Type) for _ in range(n)]
    s.taken = [Wire() for _ in range(n)]
    s.done = [Wire() for _ in range(n)]
    s.all_done = Wire()
    for i in range(n):
      s.out[i].msg //= s.in_.msg

    @update
    def up_fanout():
      s.all_done @= 1
      for i in range(n):
        s.out[i].val @= s.in_.val & ~s.taken[i]
        s.done[i] @= s.taken[i] | s.out[i].rdy
        s.all_done @= s.all_done & s.done[i]
      s.in_.rdy @= s.all_done

    @update_ff
    def up_taken():
      for i in range(n):
        if s.reset | (s.in_.val & s.all_done):
          s.taken[i] <<= 0
        elif s.out[i].val & s.out[i].rdy:
          s.taken[i] <<= 1

    set_module_name(s, "CmdFanout", n=n, b=Type.nbits)

  def line_trace(s):
    return "".join("t" if x else "." for x in s.taken)


def build_fuse(s, cfg, Quantizer, Engine, Dequantizer, Elementwise):
  Q, T = cfg.Q, cfg.T
  B16 = mk_bits(16)
  ty = TLMMTypes(cfg)
  s.cmd = RecvIfcRTL(mk_fuse_cmd(cfg.dim_bits))
  s.x = VecRecvIfcRTL(B16, Q)
  s.wgt = VecRecvIfcRTL(ty.WgtType, Q)
  s.b = VecRecvIfcRTL(B16, Q)
  s.y = VecSendIfcRTL(B16, Q)

  s.fan = CmdFanout(mk_fuse_cmd(cfg.dim_bits), 4)
  s.quant = Quantizer(cfg)
  s.tlmm = Engine(cfg)
  s.deq = Dequantizer(cfg)
  s.ew = Elementwise(cfg)
  s.scaleq = NormalQueueRTL(mk_bits(32), 2)

  connect(s.cmd, s.fan.in_)
  f = s.fan.out
  # quantizer: n = in_dim
  _cmd(s.fan.out[0], s.quant.cmd, {"n": "in_dim", "ntokens": "ntokens"})
  _cmd(s.fan.out[1], s.tlmm.cmd, {"in_dim": "in_dim", "out_dim": "out_dim", "ntokens": "ntokens"})
  _cmd(s.fan.out[2], s.deq.cmd, {"n": "out_dim", "ntokens": "ntokens", "wscale": "wscale"})
  _cmd(s.fan.out[3], s.ew.cmd, {"n": "out_dim", "ntokens": "ntokens", "mode": "mode"})
  del f

  _vec(s.x, s.quant.x, Q)
  _vec(s.quant.act, s.tlmm.act, T)
  _vec(s.wgt, s.tlmm.wgt, Q)
  _vec(s.tlmm.out, s.deq.acc, Q)
  connect(s.quant.scale, s.scaleq.recv)
  connect(s.scaleq.send, s.deq.scale)
  _vec(s.deq.y, s.ew.a, Q)
  _vec(s.b, s.ew.b, Q)
  _vec(s.ew.y, s.y, Q)


def _cmd(src, dst, fields):
  connect(src.val, dst.val)
  connect(src.rdy, dst.rdy)
  for d, f in fields.items():
    connect(getattr(dst.msg, d), getattr(src.msg, f))


def _vec(a, b, n):
  connect(a.val, b.val)
  connect(a.rdy, b.rdy)
  for i in range(n):
    connect(a.msg[i], b.msg[i])


def fuse_line_trace(s):
  return f"{s.quant.line_trace()}|{s.tlmm.line_trace()}|{s.deq.line_trace()}|{s.ew.line_trace()}"



# The weight path: DDR -> streamer -> buffer -> TLMM engine --------------------------------------------------

def mk_wpath_cmd(dim_bits):
  BD = mk_bits(dim_bits)
  return mk_bitstruct(f"WPathCmd_{dim_bits}", {"in_dim": BD, "out_dim": BD, "ntokens": BD,
                                               "base": mk_bits(32), "nbeats": mk_bits(32)})


class StreamPasses(Component):
  """The streamer's passes of a weight-path job: 1 when a pass fits in one half of the weight buffer (it is
  replayed from there for every token: tellme_pymtl.packing.fits_half), else one per token. Translatable."""

  def construct(s, cfg):
    s.nbeats = InPort(mk_bits(32))
    s.ntokens = InPort(mk_bits(cfg.dim_bits))
    s.passes = OutPort(mk_bits(16))
    H = mk_bits(32)(cfg.wbuf_half_beats)

    @update
    def up_passes():
      if s.nbeats <= H:
        s.passes @= 1
      else:
        s.passes @= zext(s.ntokens, 16)

    set_module_name(s, "StreamPasses", h=cfg.wbuf_half_beats, w=cfg.dim_bits)

  def line_trace(s):
    return f"{s.passes}"


def build_wpath(s, cfg, Streamer, Buffer, Engine):
  """W.x with W read from DDR: cmd (in_dim, out_dim, ntokens, base word, nbeats = weight beats of W), the
  engine's act and out streams, and mem_req / mem_resp to the memory. The streamer reads W once per token, or
  once per job when it fits in half the buffer, which then replays it per token (StreamPasses)."""
  from .ddr import mk_mem_req
  ty = TLMMTypes(cfg)
  s.cmd = RecvIfcRTL(mk_wpath_cmd(cfg.dim_bits))
  s.act = VecRecvIfcRTL(ty.ActType, cfg.T)
  s.out = VecSendIfcRTL(ty.OutType, cfg.Q)
  s.mem_req = SendIfcRTL(mk_mem_req())
  s.mem_resp = RecvIfcRTL(mk_bits(cfg.word_bits))
  s.fan = CmdFanout(mk_wpath_cmd(cfg.dim_bits), 3)
  s.streamer = Streamer(cfg)
  s.wbuf = Buffer(cfg)
  s.tlmm = Engine(cfg)
  connect(s.cmd, s.fan.in_)
  s.spasses = StreamPasses(cfg)
  s.spasses.nbeats //= s.fan.out[0].msg.nbeats
  s.spasses.ntokens //= s.fan.out[0].msg.ntokens
  _cmd(s.fan.out[0], s.streamer.cmd, {"base": "base", "nbeats": "nbeats"})
  connect(s.streamer.cmd.msg.passes, s.spasses.passes)
  _cmd(s.fan.out[1], s.wbuf.cmd, {"base": "base", "nbeats": "nbeats", "passes": "ntokens"})
  _cmd(s.fan.out[2], s.tlmm.cmd, {"in_dim": "in_dim", "out_dim": "out_dim", "ntokens": "ntokens"})
  connect(s.streamer.mem_req, s.mem_req)
  connect(s.mem_resp, s.streamer.mem_resp)
  _vec(s.streamer.out, s.wbuf.in_, cfg.Q)
  _vec(s.wbuf.out, s.tlmm.wgt, cfg.Q)
  _vec(s.act, s.tlmm.act, cfg.T)
  _vec(s.tlmm.out, s.out, cfg.Q)


def wpath_line_trace(s):
  return f"{s.streamer.line_trace()}|{s.wbuf.line_trace()}|{s.tlmm.line_trace()}"
