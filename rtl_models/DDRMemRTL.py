"""
DDRMemRTL: the off-chip memory inside the accelerator top, with tellme_pymtl.ddr.DDRModel's timing.

  req   RecvIfcRTL(MemReq)          addr, len (1 .. burst_len words)
  resp  SendIfcRTL(Bits(word_bits)) the words of each request, in request order
  wreq  RecvIfcRTL(MemWrite)        one word written per cycle, paid from the read bandwidth (the KV writer)
  hw    RecvIfcRTL(MemWrite)        the host's load port (the image written before a run: free)

It is the same model as DDRModel, cycle for cycle (tests/top_test.py drives both with the same traffic): a
request is accepted while fewer than max_outstanding are in flight, its words are ready `latency` cycles
later, and a credit counter (fixed point, FRAC fractional bits: bytes_per_cycle must be a multiple of
2^-FRAC for the two to agree exactly, see `credit_step`) limits the data bus to bytes_per_cycle.
The requests wait in a queue of max_outstanding entries (address, length, ready cycle); the head's words are
read from the array one per delivered word. Next-state logic is combinational (up_next), the state and the
registered response are latched in up_state.
"""
from pymtl3 import Component, Wire, mk_bits, update, update_ff, zext

from tellme_pymtl.ddr import mk_mem_req, mk_mem_write
from tellme_pymtl.ifcs import RecvIfcRTL, SendIfcRTL
from tellme_pymtl.verilog_names import set_module_name

FRAC = 16
CREDIT_BITS = 48


def credit_step(cfg):
  """(bytes per cycle, bytes per word) in the credit counter's fixed point."""
  return int(round(cfg.ddr_bytes_per_cycle * (1 << FRAC))), (cfg.word_bits // 8) << FRAC


class DDRMemRTL(Component):

  def construct(s, cfg, depth):
    WB, MO = cfg.word_bits, cfg.max_outstanding
    AW = max(1, (depth - 1).bit_length())
    QW = max(1, (MO - 1).bit_length())
    CN = QW + 1
    CW = CREDIT_BITS
    BPC, WBY = credit_step(cfg)
    B32, BC, BQ = mk_bits(32), mk_bits(CW), mk_bits(QW)
    K_WBY, K_BPC, K_CAP, LAT = BC(WBY), BC(BPC), BC(WBY + BPC), B32(cfg.ddr_latency)
    s.req = RecvIfcRTL(mk_mem_req())
    s.resp = SendIfcRTL(mk_bits(WB))
    s.wreq = RecvIfcRTL(mk_mem_write(WB))
    s.hw = RecvIfcRTL(mk_mem_write(WB))
    s.mem = [Wire(mk_bits(WB)) for _ in range(depth)]

    s.cyc = Wire(B32)
    s.credit = Wire(BC)
    s.q_addr = [Wire(B32) for _ in range(MO)]
    s.q_len = [Wire(mk_bits(8)) for _ in range(MO)]
    s.q_ready = [Wire(B32) for _ in range(MO)]
    s.head = Wire(BQ)
    s.tail = Wire(BQ)
    s.count = Wire(mk_bits(QW + 1))
    s.hoff = Wire(mk_bits(8))
    # next state
    s.rfire = Wire()
    s.afire = Wire()
    s.last = Wire()
    s.cyc_n = Wire(B32)
    s.head_n = Wire(BQ)
    s.tail_n = Wire(BQ)
    s.count_n = Wire(mk_bits(QW + 1))
    s.hoff_n = Wire(mk_bits(8))
    s.new_head = Wire()
    s.hr_cycle = Wire(B32)
    s.head_ready = Wire()
    s.c1 = Wire(BC)
    s.c2 = Wire(BC)
    s.cap = Wire(BC)
    s.diff = Wire(BC)
    s.credit_n = Wire(BC)
    s.ok_diff = Wire(BC)
    s.ok_n = Wire()
    s.rdaddr_n = Wire(B32)

    @update
    def up_next():
      s.rfire @= s.resp.val & s.resp.rdy
      s.afire @= s.req.val & s.req.rdy
      s.cyc_n @= s.cyc + 1
      s.last @= s.rfire & ((s.hoff + 1) == s.q_len[s.head])
      if s.last:
        s.hoff_n @= 0
        if s.head == MO - 1:
          s.head_n @= 0
        else:
          s.head_n @= s.head + 1
      else:
        s.head_n @= s.head
        if s.rfire:
          s.hoff_n @= s.hoff + 1
        else:
          s.hoff_n @= s.hoff
      if s.afire:
        if s.tail == MO - 1:
          s.tail_n @= 0
        else:
          s.tail_n @= s.tail + 1
      else:
        s.tail_n @= s.tail
      s.count_n @= s.count - zext(s.last, CN) + zext(s.afire, CN)
      # the head after this cycle is the request accepted now when nothing else is left
      s.new_head @= s.afire & ((s.count - zext(s.last, CN)) == 0)
      if s.new_head:
        s.hr_cycle @= s.cyc_n + LAT
        s.rdaddr_n @= s.req.msg.addr
      else:
        s.hr_cycle @= s.q_ready[s.head_n]
        s.rdaddr_n @= s.q_addr[s.head_n] + zext(s.hoff_n, 32)
      s.head_ready @= (s.count_n != 0) & (s.hr_cycle <= s.cyc_n + 1)
      # credit: pay for this cycle's words, gain one cycle's bytes, cap (signed compare via the sign bit)
      s.c1 @= s.credit
      if s.rfire:
        s.c1 @= s.c1 - K_WBY
      if s.wreq.val:
        s.c1 @= s.c1 - K_WBY
      s.c2 @= s.c1 + K_BPC
      if s.head_ready:
        s.cap @= K_CAP
      else:
        s.cap @= K_WBY
      s.diff @= s.c2 - s.cap
      if s.diff[CW - 1]:
        s.credit_n @= s.c2
      else:
        s.credit_n @= s.cap
      s.ok_diff @= s.credit_n - K_WBY
      s.ok_n @= s.head_ready & ~s.ok_diff[CW - 1]

    # a read past the array returns zeros (DDRModel refuses such a request: tests keep them inside)
    s.rd_in_range = Wire()
    if AW < 32:
      @update
      def up_range():
        s.rd_in_range @= s.rdaddr_n[AW:32] == 0
    else:
      s.rd_in_range //= 1

    @update
    def up_wrdy():
      s.wreq.rdy @= 1
      s.hw.rdy @= 1

    @update_ff
    def up_state():
      if s.reset:
        s.cyc <<= 0
        s.credit <<= 0
        s.head <<= 0
        s.tail <<= 0
        s.count <<= 0
        s.hoff <<= 0
        s.req.rdy <<= 1
        s.resp.val <<= 0
      else:
        s.cyc <<= s.cyc_n
        s.credit <<= s.credit_n
        s.head <<= s.head_n
        s.tail <<= s.tail_n
        s.count <<= s.count_n
        s.hoff <<= s.hoff_n
        if s.afire:
          s.q_addr[s.tail] <<= s.req.msg.addr
          s.q_len[s.tail] <<= s.req.msg.len
          s.q_ready[s.tail] <<= s.cyc_n + LAT
        s.req.rdy <<= s.count_n < MO
        s.resp.val <<= s.ok_n
        if s.rd_in_range:
          s.resp.msg <<= s.mem[s.rdaddr_n[0:AW]]
        else:
          s.resp.msg <<= 0
        if s.hw.val:
          s.mem[s.hw.msg.addr[0:AW]] <<= s.hw.msg.data
        elif s.wreq.val:
          s.mem[s.wreq.msg.addr[0:AW]] <<= s.wreq.msg.data

    set_module_name(s, "DDRMemRTL", w=WB, d=depth, o=MO, l=cfg.ddr_latency, c=BPC, y=WBY)

  def line_trace(s):
    return f"ddr{int(s.count)}"
