"""
AttentionCL: prefill and decode attention sharing one datapath, at cycle level: a PrefillAttentionCL and a
DecodeAttentionCL behind AttentionRTL's arbitration, so that jobs offered on both sides take the RTL's cycles.

  pre_cmd, pre_q, pre_mem_req, pre_mem_resp, pre_out   the prefill unit's ports (tellme_pymtl.msgs.attn_ports)
  dec_cmd, dec_q, dec_mem_req, dec_mem_resp, dec_out   the decode unit's ports

The arbitration (AttentionRTL's): a unit is busy from the cycle after it takes a command until it is idle
again; a command is held while the other unit is busy, and while both are idle only the side whose turn it is
may take one (turn alternates every cycle from reset: prefill first). Only the command handshakes are gated;
everything else is the two units' own (their CL models time them alone).

With aux (the CL top, cl_models.AccelTopCL), the other users of the RTL's lanes (RMS-MAX, the dequantizer) hold
the commands too, as in AttentionRTL with aux; CL has no lanes to share, so only their busy comes in:
  xbusy in   RMS-MAX or the dequantizer is busy: neither side takes a command
  busy out   a side is busy (the top holds RMS-MAX's and the dequantizer's commands)
"""
from pymtl3 import Component, InPort, OutPort, Wire, connect, update, update_ff

from tellme_pymtl.msgs import ATTN_PORTS, attn_ports
from . import DecodeAttentionCL as D
from . import PrefillAttentionCL as P


class AttentionCL(Component):

  def construct(s, cfg, npe=8, fifo_depth=1024, max_hdim=128, aux=False):
    attn_ports(s, cfg, prefix="pre_")
    attn_ports(s, cfg, prefix="dec_")
    s.pre = P.PrefillAttentionCL(cfg, npe, max_hdim)
    s.dec = D.DecodeAttentionCL(cfg, fifo_depth, max_hdim)
    for side, u in (("pre_", s.pre), ("dec_", s.dec)):
      for p in ATTN_PORTS:
        if p != "cmd":
          connect(getattr(s, side + p), getattr(u, p))
      connect(getattr(s, side + "cmd").msg, u.cmd.msg)
    s.turn = Wire()                 # 0: prefill may take a command, 1: decode
    s.pre_busy = Wire()
    s.dec_busy = Wire()
    s.pre_hold = Wire()
    s.dec_hold = Wire()
    if aux:
      s.xbusy = InPort()
      s.busy = OutPort()

      @update
      def up_cl_busy_out():
        s.busy @= s.pre_busy | s.dec_busy
    else:
      s.xbusy = Wire()
      s.xbusy //= 0

    @update_ff
    def up_cl_turn():
      if s.reset:
        s.turn <<= 0
      else:
        s.turn <<= ~s.turn

    @update
    def up_cl_busy():
      # the units' phases change only at the clock edge: stable while this runs
      s.pre_busy @= s.pre.phase != P.IDLE
      s.dec_busy @= s.dec.phase != D.IDLE

    @update
    def up_cl_hold():
      s.pre_hold @= s.dec_busy | s.turn | s.xbusy
      s.dec_hold @= s.pre_busy | ~s.turn | s.xbusy
      s.pre_cmd.rdy @= s.pre.cmd.rdy & ~s.pre_hold
      s.dec_cmd.rdy @= s.dec.cmd.rdy & ~s.dec_hold

    @update
    def up_cl_cmd_val():
      s.pre.cmd.val @= s.pre_cmd.val & ~s.pre_hold
      s.dec.cmd.val @= s.dec_cmd.val & ~s.dec_hold

  def line_trace(s):
    return f"{'pd'[int(s.turn)]} {s.pre.line_trace()} | {s.dec.line_trace()}"
