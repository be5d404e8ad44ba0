"""
FPProgSeqRTL: an FP program (tellme_pymtl/fp_prog.py) run one operation a cycle on one register file, for a
user that has one value in flight at a time (RMS-MAX's rsqrt: one per token). Same ports, the same results bit
for bit and the same latency as FPProgRTL with one lane; it takes a new input when idle or as its result leaves
(one every len(program) cycles).

  in_  VecRecvIfcRTL(Bits32, nin)   the program's binary32 inputs
  kin  [nkin] (KB bits)             its integer inputs, taken with the same handshake
  out  VecSendIfcRTL(Bits32, 1)     the result, len(program) cycles after the input was taken

The multiplications share one FPMulRTL and the additions and subtractions one FPAddRTL, their operands (a
register or a constant) picked by the step; every other operation keeps its own logic (FPOpStageRTL with
comb=True, no register), of which the step takes the one register it writes. The cycle an input is taken runs operation 0 on it; cycle k runs operation k on the
register file, which takes the result every cycle.
"""
from pymtl3 import Component, InPort, Wire, mk_bits, update, update_ff

from tellme_pymtl import fp_prog as P
from tellme_pymtl.ifcs import VecRecvIfcRTL, VecSendIfcRTL
from tellme_pymtl.verilog_names import set_module_name
from .FPAddRTL import FPAddRTL
from .FPMulRTL import FPMulRTL
from .FPOpStageRTL import FPOpStageRTL

ARITH = ("mul", "add", "sub")


class FPProgSeqRTL(Component):

  def construct(s, prog):
    S, nr, nk = len(prog.ops), prog.nr, max(prog.nk, 1)
    nin, nkin = prog.nin, prog.nkin
    B32, BK = mk_bits(32), mk_bits(P.KB)
    SW = max(1, (S - 1).bit_length())
    SL = S - 1
    # operand sources of the shared units: the registers, then the arithmetic operations' constants
    consts = sorted({a[1] for op in prog.ops if op[0] in ARITH for a in op[2:4] if isinstance(a, tuple)})
    NS = nr + len(consts)
    OW = max(1, (NS - 1).bit_length())
    RW = max(1, (nr - 1).bit_length())

    def src(a):
      return nr + consts.index(a[1]) if isinstance(a, tuple) else a

    s.in_ = VecRecvIfcRTL(B32, nin)
    s.kin = [InPort(BK) for _ in range(nkin)]
    s.out = VecSendIfcRTL(B32, 1)

    s.R = [Wire(B32) for _ in range(nr)]             # the register file
    s.K = [Wire(BK) for _ in range(nk)]
    s.cur = [Wire(B32) for _ in range(nr)]           # what the step's operation reads
    s.ext = [Wire(B32) for _ in range(NS)]           # the same and the constants: the shared units' operands
    s.kcur = [Wire(BK) for _ in range(nk)]
    s.nxt = [Wire(B32) for _ in range(nr)]           # after it
    s.knxt = [Wire(BK) for _ in range(nk)]
    s.step = Wire(mk_bits(SW))                       # the operation of a busy cycle
    s.st = Wire(mk_bits(SW))                         # this cycle's operation
    s.busy = Wire()
    s.ov = Wire()
    s.take = Wire()
    s.ini = [Wire(B32) for _ in range(nr)]           # the register file an input starts (0 past the inputs)
    s.kini = [Wire(BK) for _ in range(nk)]
    for i in range(nr):
      s.ini[i] //= s.in_.msg[i] if i < nin else 0
    for j in range(nk):
      s.kini[j] //= s.kin[j] if j < nkin else 0
    for i in range(nr):
      s.ext[i] //= s.cur[i]
    for c, v in enumerate(consts):
      s.ext[nr + c] //= B32(P.f32bits(v))

    # per-step tables (constants indexed by the step)
    def table(name, bits, vals):
      setattr(s, name, [Wire(mk_bits(bits)) for _ in range(S)])
      for k in range(S):
        getattr(s, name)[k] //= vals[k]
    kinds = [op[0] for op in prog.ops]
    rws = [P.reads_writes(op) for op in prog.ops]
    writes_r, writes_k = [bool(rw[2]) for rw in rws], [bool(rw[3]) for rw in rws]
    rdest = [min(rw[2], default=0) for rw in rws]   # each operation writes at most one R and one K register
    kdest = [min(rw[3], default=0) for rw in rws]
    KW = max(1, (nk - 1).bit_length())
    table("t_mul", 1, [int(k == "mul") for k in kinds])
    table("t_ar", 1, [int(k in ARITH) for k in kinds])
    table("t_sub", 1, [int(k == "sub") for k in kinds])
    table("t_a", OW, [src(op[2]) if k in ARITH else 0 for k, op in zip(kinds, prog.ops)])
    table("t_b", OW, [src(op[3]) if k in ARITH else 0 for k, op in zip(kinds, prog.ops)])
    table("t_wr", 1, [int(w) for w in writes_r])
    table("t_d", RW, rdest)
    table("t_wk", 1, [int(w) for w in writes_k])
    table("t_kd", KW, kdest)

    s.mul = FPMulRTL(8, 23)
    s.add = FPAddRTL(8, 23)
    s.opa = Wire(B32)
    s.opb = Wire(B32)
    s.mul.a //= s.opa
    s.mul.b //= s.opb
    s.add.a //= s.opa
    s.add.b //= s.opb
    s.val = Wire(B32)                                # the step's result (the one register it writes)
    s.kval = Wire(BK)
    # every other operation: its own combinational logic; only the register it writes is taken
    s.sres = [Wire(B32) for _ in range(S)]
    s.skres = [Wire(BK) for _ in range(S)]
    for k, op in enumerate(prog.ops):
      if op[0] in ARITH:
        s.sres[k] //= 0
        s.skres[k] //= 0
        continue
      u = FPOpStageRTL(op, nr, prog.nk, comb=True)
      setattr(s, f"op{k}", u)
      for i in range(nr):
        u.rin[i] //= s.cur[i]
      for j in range(nk):
        u.kin[j] //= s.kcur[j]
      s.sres[k] //= u.rnext[rdest[k]] if writes_r[k] else 0
      s.skres[k] //= u.knext[kdest[k]] if writes_k[k] else 0

    @update
    def up_cur():
      s.take @= s.in_.val & s.in_.rdy
      if s.take:
        s.st @= 0
      else:
        s.st @= s.step
      for i in range(nr):
        if s.take:
          s.cur[i] @= s.ini[i]
        else:
          s.cur[i] @= s.R[i]
      for j in range(nk):
        if s.take:
          s.kcur[j] @= s.kini[j]
        else:
          s.kcur[j] @= s.K[j]

    @update
    def up_units():
      s.opa @= s.ext[s.t_a[s.st]]
      s.opb @= s.ext[s.t_b[s.st]]
      s.add.sub @= s.t_sub[s.st]

    @update
    def up_next():
      if s.t_mul[s.st]:
        s.val @= s.mul.out
      elif s.t_ar[s.st]:
        s.val @= s.add.out
      else:
        s.val @= s.sres[s.st]
      s.kval @= s.skres[s.st]
      for i in range(nr):
        if s.t_wr[s.st] & (s.t_d[s.st] == i):
          s.nxt[i] @= s.val
        else:
          s.nxt[i] @= s.cur[i]
      for j in range(nk):
        if s.t_wk[s.st] & (s.t_kd[s.st] == j):
          s.knxt[j] @= s.kval
        else:
          s.knxt[j] @= s.kcur[j]

    @update
    def up_ifc():
      s.in_.rdy @= ~s.busy & (~s.ov | s.out.rdy)
      s.out.val @= s.ov
      s.out.msg[0] @= s.R[prog.result]

    @update_ff
    def up_seq():
      if s.reset:
        s.busy <<= 0
        s.ov <<= 0
        s.step <<= 0
      else:
        if s.take | s.busy:
          for i in range(nr):
            s.R[i] <<= s.nxt[i]
          for j in range(nk):
            s.K[j] <<= s.knxt[j]
        if s.ov & s.out.rdy:
          s.ov <<= 0
        if s.take:
          if S == 1:
            s.ov <<= 1
          else:
            s.busy <<= 1
            s.step <<= 1
        elif s.busy:
          if s.step == SL:
            s.busy <<= 0
            s.ov <<= 1
          else:
            s.step <<= s.step + 1

    set_module_name(s, "FPProgSeqRTL", f=prog.name)

  def line_trace(s):
    return f"{'B' if s.busy else ('V' if s.ov else '.')}{int(s.step)}"
