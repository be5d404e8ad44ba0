"""
WeightBufferRTL: the on-chip weight buffer between the streamer and the TLMM engine: UltraRAM banks in two
ping-pong halves, so the next part of a matrix loads while the engine reads the current one.

Ports (tellme_pymtl.msgs.wbuf_ports)
  cmd  RecvIfcRTL(WStreamCmd)        nbeats per pass, passes (base is the streamer's)
  in_  VecRecvIfcRTL(Bits(T*I), Q)   weight beats from the streamer
  out  VecSendIfcRTL(Bits(T*I), Q)   weight beats to the engine, in the same order

Storage: per lane, uram_width_blocks URAMRTL side by side (2 x 72 bits for 140) and ceil(2H / uram_depth)
deep; beat i of the job is at address (i // H) % 2 * H + i % H (tellme_pymtl.packing.buffer_location). The
number of blocks is cfg.uram_blocks = Q x width blocks x depth blocks.
Control: a half is written beat by beat while it is not full; it becomes full when its H-th beat (or the
job's last) is written. It is read beat by beat (registered URAM read feeding the output), each beat once it
is written (the reader may follow the writer within the half), until empty.
Weight reuse: a job whose pass fits in one half (nbeats <= H, tellme_pymtl.packing.fits_half) is written once
(the streamer sends it once) and its half is read `passes` times before it empties: one pass per token of a
prefill, from the buffer instead of DDR.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.msgs import wbuf_ports
from tellme_pymtl.verilog_names import set_module_name
from .URAMRTL import URAMRTL


class WeightBufferRTL(Component):

  def construct(s, cfg):
    Q, TI, H = cfg.Q, cfg.T * cfg.idx_bits, cfg.wbuf_half_beats
    UB, UD = cfg.uram_bits, cfg.uram_depth
    WBK = cfg.uram_width_blocks
    DBK = -(-(2 * H) // UD)
    AW = max(1, (2 * H - 1).bit_length())          # address within the buffer
    RW = max(1, (UD - 1).bit_length())              # row within a block
    DW = max(1, (DBK - 1).bit_length())             # depth block
    HW = max(1, H.bit_length())
    B32 = mk_bits(32)
    wbuf_ports(s, cfg)

    s.banks = [[[URAMRTL(UB, UD) for _ in range(DBK)] for _ in range(WBK)] for _ in range(Q)]
    s.nblocks = Q * WBK * DBK

    s.busy = Wire()
    s.total = Wire(B32)       # beats read
    s.wtotal = Wire(B32)      # beats written
    s.rep = Wire()            # the job fits in one half: written once, read `passes` times
    s.npass = Wire(mk_bits(16))
    s.pc = Wire(mk_bits(16))  # passes read so far (replay)
    s.rend = Wire()           # the beat read is its full half's last
    s.wc = Wire(B32)
    s.rc = Wire(B32)
    s.wh = Wire()
    s.rh = Wire()
    s.wi = Wire(mk_bits(HW))
    s.ri = Wire(mk_bits(HW))
    s.full = [Wire() for _ in range(2)]
    s.hcnt = [Wire(mk_bits(HW)) for _ in range(2)]
    s.out_val = Wire()
    s.wen = Wire()
    s.ren = Wire()
    s.wa = Wire(mk_bits(AW))
    s.ra = Wire(mk_bits(AW))
    s.wblk = Wire(mk_bits(DW))
    s.rblk = Wire(mk_bits(DW))
    s.rblk_r = Wire(mk_bits(DW))
    s.wrow = Wire(mk_bits(RW))
    s.rrow = Wire(mk_bits(RW))

    # lane data split across width blocks (the last one zero padded)
    s.wslice = [[Wire(mk_bits(UB)) for _ in range(WBK)] for _ in range(Q)]
    s.rslice = [[Wire(mk_bits(UB)) for _ in range(WBK)] for _ in range(Q)]
    for q in range(Q):
      for j in range(WBK):
        lo, hi = j * UB, min((j + 1) * UB, TI)
        s.wslice[q][j][0:hi - lo] //= s.in_.msg[q][lo:hi]
        if hi - lo < UB:
          s.wslice[q][j][hi - lo:UB] //= 0
        s.out.msg[q][lo:hi] //= s.rslice[q][j][0:hi - lo]
        for d in range(DBK):
          bk = s.banks[q][j][d]
          bk.wdata //= s.wslice[q][j]
          bk.waddr //= s.wrow
          bk.raddr //= s.rrow
    # the read data of the depth block read last cycle
    s.rsel = [[[Wire(mk_bits(UB)) for _ in range(DBK)] for _ in range(WBK)] for _ in range(Q)]
    for q in range(Q):
      for j in range(WBK):
        for d in range(DBK):
          s.rsel[q][j][d] //= s.banks[q][j][d].rdata
    s.bwen = [Wire() for _ in range(DBK)]
    s.bren = [Wire() for _ in range(DBK)]
    for q in range(Q):
      for j in range(WBK):
        for d in range(DBK):
          s.banks[q][j][d].wen //= s.bwen[d]
          s.banks[q][j][d].ren //= s.bren[d]

    HM1 = H - 1
    HA = mk_bits(AW)(H)
    H32 = B32(H)
    W32 = 32
    # the in-half index at the address width
    s.wi_a = Wire(mk_bits(AW))
    s.ri_a = Wire(mk_bits(AW))
    if AW > HW:
      s.wi_a[0:HW] //= s.wi
      s.wi_a[HW:AW] //= 0
      s.ri_a[0:HW] //= s.ri
      s.ri_a[HW:AW] //= 0
    else:
      s.wi_a //= s.wi[0:AW]
      s.ri_a //= s.ri[0:AW]

    if DBK > 1:
      @update
      def up_addr_blocks():
        s.wblk @= s.wa[RW:AW]
        s.rblk @= s.ra[RW:AW]
        s.wrow @= s.wa[0:RW]
        s.rrow @= s.ra[0:RW]
    elif RW > AW:
      @update
      def up_addr_one_block_wide():
        s.wblk @= 0
        s.rblk @= 0
        s.wrow @= zext(s.wa, RW)
        s.rrow @= zext(s.ra, RW)
    else:
      @update
      def up_addr_one_block():
        s.wblk @= 0
        s.rblk @= 0
        s.wrow @= s.wa
        s.rrow @= s.ra

    @update
    def up_ctrl():
      s.cmd.rdy @= ~s.busy
      s.in_.rdy @= s.busy & ~s.full[s.wh] & (s.wc != s.wtotal)
      s.wen @= s.in_.val & s.busy & ~s.full[s.wh] & (s.wc != s.wtotal)
      s.ren @= (s.full[s.rh] | ((s.rh == s.wh) & (s.ri < s.wi))) & (~s.out_val | s.out.rdy)
      s.rend @= s.full[s.rh] & (s.ri + 1 == s.hcnt[s.rh])
      s.out.val @= s.out_val
      for d in range(DBK):
        s.bwen[d] @= s.wen & (s.wblk == d)
        s.bren[d] @= s.ren & (s.rblk == d)
      if s.wh:
        s.wa @= s.wi_a + HA
      else:
        s.wa @= s.wi_a
      if s.rh:
        s.ra @= s.ri_a + HA
      else:
        s.ra @= s.ri_a

    @update
    def up_rdata():
      for q in range(Q):
        for j in range(WBK):
          s.rslice[q][j] @= s.rsel[q][j][0]
          for d in range(DBK):
            if s.rblk_r == d:
              s.rslice[q][j] @= s.rsel[q][j][d]

    @update_ff
    def up_seq():
      if s.reset:
        s.busy <<= 0
        s.out_val <<= 0
        s.full[0] <<= 0
        s.full[1] <<= 0
      else:
        if s.ren:
          s.out_val <<= 1
          s.rblk_r <<= s.rblk
        elif s.out.rdy:
          s.out_val <<= 0
        if ~s.busy:
          if s.cmd.val:
            s.busy <<= 1
            s.total <<= s.cmd.msg.nbeats * zext(s.cmd.msg.passes, W32)
            s.rep <<= s.cmd.msg.nbeats <= H32
            if s.cmd.msg.nbeats <= H32:     # replayed: the streamer sends the pass once
              s.wtotal <<= s.cmd.msg.nbeats
            else:
              s.wtotal <<= s.cmd.msg.nbeats * zext(s.cmd.msg.passes, W32)
            s.npass <<= s.cmd.msg.passes
            s.pc <<= 0
            s.wc <<= 0
            s.rc <<= 0
            s.wh <<= 0
            s.rh <<= 0
            s.wi <<= 0
            s.ri <<= 0
        else:
          if s.wen:
            s.wc <<= s.wc + 1
            if (s.wi == HM1) | (s.wc + 1 == s.wtotal):
              s.full[s.wh] <<= 1
              s.hcnt[s.wh] <<= s.wi + 1
              s.wh <<= ~s.wh
              s.wi <<= 0
            else:
              s.wi <<= s.wi + 1
          if s.ren:
            s.rc <<= s.rc + 1
            if s.rend & s.rep & (s.pc + 1 != s.npass):
              s.pc <<= s.pc + 1
              s.ri <<= 0
            elif s.rend:
              s.full[s.rh] <<= 0
              s.rh <<= ~s.rh
              s.ri <<= 0
            else:
              s.ri <<= s.ri + 1
            if s.rc + 1 == s.total:
              s.busy <<= 0

    set_module_name(s, "WeightBufferRTL", Q=Q, t=TI, h=H, u=UB, d=UD)

  def line_trace(s):
    return f"{'*' if s.busy else ' '}{int(s.full[0])}{int(s.full[1])}{'B' if s.out_val else ' '}"
