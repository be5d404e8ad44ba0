"""
The accelerator top's wiring, shared by its RTL and CL (rtl_models.AccelTopRTL, cl_models.AccelTopCL), which
differ in what drives it (RTL: the sequencer and stream-engine components; CL: their Python transcription).
Each function is called in a top's construct() and declares wires and blocks on it; the top provides
s.unit_port(unit, port) (a unit's port, named as in tellme_pymtl.top.UNITS and ENGINES), s.out (the host-out
port) and, for ddr_mux, its units s.wp, s.attn, s.kvw and its DDR s.ddr (req, resp and wreq ports).
"""
from pymtl3 import Wire, connect, mk_bits, update, update_ff

from .ifcs import msg_bits
from .top import ENGINES, SOURCES, UNITS, cmd_types, field_slices

DDR_USERS = ("wp", "dec", "pre")


def wire_commands(s, cfg, CB):
  """Every unit's command from shared wires: s.cmd_val[u] in, s.cmd_rdy[u] out (u in UNITS order), and the
  command bits s.cmd_bits (CB wide), each unit taking its command's fields from the low bits."""
  NU = len(UNITS)
  s.cmd_val = [Wire() for _ in range(NU)]
  s.cmd_rdy = [Wire() for _ in range(NU)]
  s.cmd_bits = Wire(mk_bits(CB))
  for u, (unit, Type) in enumerate(zip(UNITS, cmd_types(cfg))):
    cmd = s.unit_port(unit, "cmd")
    cmd.val //= s.cmd_val[u]
    s.cmd_rdy[u] //= cmd.rdy
    for name, (lo, hi) in field_slices(Type).items():
      connect(getattr(cmd.msg, name), s.cmd_bits[lo:hi])


def wire_streams(s, isa):
  """The stream engines' side of every unit port (tellme_pymtl.top.ENGINES, sources first):
    source e: s.sval[e], s.sdata[e] (a scratchpad word, split into the port's elements) in; s.ready[e] out (rdy)
    sink j = e - len(SOURCES): s.krdy[j] in; s.ready[e] (the port's val) and s.kdata[j] (its word) out"""
  NE, NS, W = len(ENGINES), len(SOURCES), isa.W
  s.sval = [Wire() for _ in range(NS)]
  s.sdata = [Wire(isa.Word) for _ in range(NS)]
  s.krdy = [Wire() for _ in range(NE - NS)]
  s.kdata = [Wire(isa.Word) for _ in range(NE - NS)]
  s.ready = [Wire() for _ in range(NE)]
  for e, (u, p) in enumerate(ENGINES):
    ifc = s.out if u == "host" else s.unit_port(u, p)
    w, n = msg_bits(ifc)
    if e < NS:
      ifc.val //= s.sval[e]
      s.ready[e] //= ifc.rdy
      if n is None:
        ifc.msg //= s.sdata[e][0:w]
      else:
        for i in range(n):
          ifc.msg[i] //= s.sdata[e][i * w:(i + 1) * w]
    else:
      ifc.rdy //= s.krdy[e - NS]
      s.ready[e] //= ifc.val
      k = 1 if n is None else n
      if n is None:
        s.kdata[e - NS][0:w] //= ifc.msg
      else:
        for i in range(n):
          s.kdata[e - NS][i * w:(i + 1) * w] //= ifc.msg[i]
      if k * w < W:
        s.kdata[e - NS][k * w:W] //= 0


def ddr_mux(s):
  """The DDR's users: requests from the weight path, else decode, else prefill attention (they never run
  together); the responses go to whichever of them took the last command (s.owner); the KV writer's writes."""
  s.owner = Wire(mk_bits(2))
  s.kvw.mem_wreq //= s.ddr.wreq
  for u in DDR_USERS:
    connect(s.unit_port(u, "mem_req").rdy, s.ddr.req.rdy)
    connect(s.unit_port(u, "mem_resp").msg, s.ddr.resp.msg)
  iw, idec, ipre = (UNITS.index(u) for u in DDR_USERS)

  @update
  def up_ddr():
    s.ddr.req.val @= s.wp.mem_req.val | s.attn.dec_mem_req.val | s.attn.pre_mem_req.val
    if s.wp.mem_req.val:
      s.ddr.req.msg @= s.wp.mem_req.msg
    elif s.attn.dec_mem_req.val:
      s.ddr.req.msg @= s.attn.dec_mem_req.msg
    else:
      s.ddr.req.msg @= s.attn.pre_mem_req.msg
    s.wp.mem_resp.val @= s.ddr.resp.val & (s.owner == 0)
    s.attn.dec_mem_resp.val @= s.ddr.resp.val & (s.owner == 1)
    s.attn.pre_mem_resp.val @= s.ddr.resp.val & (s.owner == 2)
    if s.owner == 0:
      s.ddr.resp.rdy @= s.wp.mem_resp.rdy
    elif s.owner == 1:
      s.ddr.resp.rdy @= s.attn.dec_mem_resp.rdy
    else:
      s.ddr.resp.rdy @= s.attn.pre_mem_resp.rdy

  @update_ff
  def up_owner():
    if s.reset:
      s.owner <<= 0
    elif s.cmd_val[iw] & s.cmd_rdy[iw]:
      s.owner <<= 0
    elif s.cmd_val[idec] & s.cmd_rdy[idec]:
      s.owner <<= 1
    elif s.cmd_val[ipre] & s.cmd_rdy[ipre]:
      s.owner <<= 2
