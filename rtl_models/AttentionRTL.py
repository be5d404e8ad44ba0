"""
AttentionRTL: prefill and decode attention on one datapath. The accelerator runs one job at a time (the
sequencer issues a command per cycle and the host waits for each attention job), so the two controllers
(PrefillAttnCtrlRTL, DecodeAttnCtrlRTL) share one AttnDatapathRTL through AttnDpMuxRTL: decode drives it while
busy, prefill otherwise. A controller takes no command while the other is busy (hold), and while both are idle
only one of them can take one in a cycle (turn, alternating each cycle: a command waits a cycle at most), so
the sharing never mixes two jobs, even with commands on both sides at once. Each controller's cycles are those
of its unit alone (PrefillAttentionRTL, DecodeAttentionRTL, whose CL models time them).

  pre_cmd, pre_q, pre_mem_req, pre_mem_resp, pre_out   the prefill unit's ports (tellme_pymtl.msgs.attn_ports)
  dec_cmd, dec_q, dec_mem_req, dec_mem_resp, dec_out   the decode unit's ports

With aux (the accelerator top), two more units use the lanes while attention is idle: RMS-MAX's controller
(RMSMaxCtrlRTL) runs its sum of squares on the DOT lanes (dot_s + x * x) and its normalization's x * r on the
UPD multipliers (fp32(x) * r), and the dequantizer's
(DequantizerCtrlRTL) its fp16(fp32(acc) * c) on the same multipliers (fp16(upd_w * upd_a)): what
their own lanes would compute, bit for bit. They take no command while an attention controller is busy (busy
out, to their hold; the top also holds each of them while the other is busy) and attention takes none while either is busy (rms_busy, deq_busy in); the top's sequencer
issues one command a cycle, so two of these never start together.
  rms_dot_a[Q], rms_dot_s[Q] in, rms_dot_out[Q] out, rms_xr_x[Q], rms_xr_r in, rms_xr_out[Q] out, rms_busy in
  deq_o[Q], deq_a in, deq_fin[Q] out, deq_busy in
  busy out
"""
from pymtl3 import Component, InPort, OutPort, Wire, mk_bits, update, update_ff

from tellme_pymtl.msgs import attn_ports, connect_attn_ports
from tellme_pymtl.verilog_names import set_module_name
from .AttnDatapathRTL import AttnDatapathRTL
from .AttnDpMuxRTL import AttnDpMuxRTL
from .DecodeAttnCtrlRTL import DecodeAttnCtrlRTL
from .PrefillAttnCtrlRTL import PrefillAttnCtrlRTL
from .attn_dp import OMITS, connect_dp


class AttentionRTL(Component):

  def construct(s, cfg, npe=8, fifo_depth=1024, max_hdim=128, aux=False):
    Q = cfg.Q
    attn_ports(s, cfg, prefix="pre_")
    attn_ports(s, cfg, prefix="dec_")
    s.pre = PrefillAttnCtrlRTL(cfg, npe, max_hdim)
    s.dec = DecodeAttnCtrlRTL(cfg, fifo_depth, max_hdim)
    s.mux = AttnDpMuxRTL(Q)
    s.dp = AttnDatapathRTL(cfg)
    connect_attn_ports(s, s.pre, prefix="pre_")
    connect_attn_ports(s, s.dec, prefix="dec_")
    s.turn = Wire()                                  # 0: prefill may take a command, 1: decode

    @update_ff
    def up_turn():
      if s.reset:
        s.turn <<= 0
      else:
        s.turn <<= ~s.turn

    s.xbusy = Wire()                                 # another unit is on the lanes
    if aux:
      B16, B32 = mk_bits(16), mk_bits(32)
      s.rms_dot_a = [InPort(B16) for _ in range(Q)]
      s.rms_dot_s = [InPort(B32) for _ in range(Q)]
      s.rms_dot_out = [OutPort(B32) for _ in range(Q)]
      s.rms_xr_x = [InPort(B16) for _ in range(Q)]
      s.rms_xr_r = InPort(B32)
      s.rms_xr_out = [OutPort(B32) for _ in range(Q)]
      s.rms_busy = InPort()
      s.deq_o = [InPort(B32) for _ in range(Q)]
      s.deq_a = InPort(B32)
      s.deq_fin = [OutPort(B16) for _ in range(Q)]
      s.deq_busy = InPort()
      s.busy = OutPort()
      s.mux.x_sel //= s.rms_busy
      s.mux.y_sel //= s.deq_busy
      s.mux.y_upd_a //= s.deq_a
      s.mux.x_upd_a //= s.rms_xr_r
      for ln in range(Q):
        s.mux.x_upd_v[ln] //= s.rms_xr_x[ln]
        s.rms_xr_out[ln] //= s.mux.x_prod[ln]
        s.mux.x_dot_a[ln] //= s.rms_dot_a[ln]
        s.mux.x_dot_s[ln] //= s.rms_dot_s[ln]
        s.rms_dot_out[ln] //= s.mux.x_dot_out[ln]
        s.mux.y_upd_o[ln] //= s.deq_o[ln]
        s.deq_fin[ln] //= s.mux.y_fin[ln]

      @update
      def up_busy():
        s.busy @= s.pre.busy | s.dec.busy
        s.xbusy @= s.rms_busy | s.deq_busy
    else:
      s.xbusy //= 0
      s.mux.x_sel //= 0
      s.mux.y_sel //= 0
      s.mux.y_upd_a //= 0
      s.mux.x_upd_a //= 0
      for ln in range(Q):
        s.mux.x_upd_v[ln] //= 0
        s.mux.x_dot_a[ln] //= 0
        s.mux.x_dot_s[ln] //= 0
        s.mux.y_upd_o[ln] //= 0

    @update
    def up_hold():
      s.pre.hold @= s.dec.busy | s.turn | s.xbusy
      s.dec.hold @= s.pre.busy | ~s.turn | s.xbusy

    s.mux.sel //= s.dec.busy
    connect_dp(s.pre, s.mux, Q, prefix_b="p_", omit=OMITS["prefill"])
    connect_dp(s.dec, s.mux, Q, prefix_b="d_", omit=OMITS["decode"])
    connect_dp(s.mux, s.dp, Q)
    set_module_name(s, "AttentionRTL", Q=Q, w=cfg.word_bits, p=npe, f=fifo_depth, d=max_hdim,
                    **({"x": 1} if aux else {}))

  def line_trace(s):
    return f"{s.pre.line_trace()} {s.dec.line_trace()} {s.mux.line_trace()}"
