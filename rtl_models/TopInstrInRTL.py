"""
TopInstrInRTL: the accelerator top's instruction port: instructions arrive as HOST_BITS-bit words (least
significant first, tellme_pymtl.top.TopISA.words), are assembled and queued (two entries) for the sequencer, so
the host's port stays narrow and the next instruction is assembled while the current job runs.

  in_   RecvIfcRTL(Bits(HOST_BITS))
  out   SendIfcRTL(Instr)
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff
from pymtl3.stdlib.stream import NormalQueueRTL

from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.top import HOST_BITS, TopISA
from tellme_pymtl.verilog_names import set_module_name


class TopInstrInRTL(Component):

  def construct(s, cfg):
    isa = TopISA(cfg)
    K, HB = isa.K, HOST_BITS
    CW = max(1, K.bit_length())
    PW = max(1, (K - 2).bit_length())
    if K < 3:
      raise ValueError("an instruction of fewer than 3 host words needs no assembler")
    s.in_ = RecvIfcRTL(mk_bits(HB))
    s.out = SendIfcRTL(isa.Instr)
    s.q = NormalQueueRTL(isa.Instr, 2)
    s.q.send //= s.out
    s.part = [Wire(mk_bits(HB)) for _ in range(K - 1)]
    s.cnt = Wire(mk_bits(CW))
    for j in range(K - 1):
      s.q.recv.msg[j * HB:(j + 1) * HB] //= s.part[j]
    s.q.recv.msg[(K - 1) * HB:K * HB] //= s.in_.msg

    @update
    def up_in():
      s.in_.rdy @= (s.cnt != K - 1) | s.q.recv.rdy
      s.q.recv.val @= s.in_.val & (s.cnt == K - 1)

    @update_ff
    def up_parts():
      if s.reset:
        s.cnt <<= 0
      elif s.in_.val & s.in_.rdy:
        if s.cnt == K - 1:
          s.cnt <<= 0
        else:
          s.part[s.cnt[0:PW]] <<= s.in_.msg
          s.cnt <<= s.cnt + 1

    set_module_name(s, "TopInstrInRTL", k=cfg.digest())

  def line_trace(s):
    return f"{int(s.cnt)}"
