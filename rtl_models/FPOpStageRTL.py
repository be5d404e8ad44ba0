"""
FPOpStageRTL: one operation of an FP program (tellme_pymtl/fp_prog.py) and its pipeline register.

  rin[nr] (32 bits), kin[nk] (KB bits)   the program's registers entering the stage
  en                                     load the stage register
  rout[nr], kout[nk]                     the registers leaving the stage (registered)
With comb=True there is no register and no en: rnext[nr], knext[nk] are the registers after the operation,
combinationally (FPProgSeqRTL runs the operations one a cycle on one register file).

The operation's unit is chosen when the stage is constructed: FPMulRTL / FPAddRTL / FPMaxRTL for arithmetic,
FPToIntRTL / IntToFPRTL for rndi / i2f, FPRoundPackRTL for scl, a ROM for tab and ktab, wiring for mant, expo,
odd, sgn, and a priority mux over the input's class for fix. Constants are binary32 literals.
"""
from pymtl3 import Component, InPort, OutPort, Wire, concat, mk_bits, sext, update, update_ff, zext

from tellme_pymtl import fp_prog as P
from tellme_pymtl.verilog_names import set_module_name
from .FPAddRTL import FPAddRTL
from .FPMaxRTL import FPMaxRTL
from .FPMulRTL import FPMulRTL
from .FPRoundPackRTL import FPRoundPackRTL
from .FPToIntRTL import FPToIntRTL
from .IntToFPRTL import IntToFPRTL

B32 = mk_bits(32)


class FPOpStageRTL(Component):

  def construct(s, op, nr, nk, comb=False):
    KB = P.KB
    BK = mk_bits(KB)
    nk = max(nk, 1)
    kind, d = op[0], op[1]
    s.rin = [InPort(B32) for _ in range(nr)]
    s.kin = [InPort(BK) for _ in range(nk)]
    if comb:
      s.rnext = [OutPort(B32) for _ in range(nr)]
      s.knext = [OutPort(BK) for _ in range(nk)]
    else:
      s.en = InPort()
      s.rout = [OutPort(B32) for _ in range(nr)]
      s.kout = [OutPort(BK) for _ in range(nk)]
      s.rnext = [Wire(B32) for _ in range(nr)]
      s.knext = [Wire(BK) for _ in range(nk)]
    _, _, rw, kw = P.reads_writes(op)
    writes_r, writes_k = bool(rw), bool(kw)     # the result's R and K registers: d and kd
    if writes_r:
      s.res = Wire(B32)                  # the result, only where the operation writes one
    if writes_k:
      s.kres = Wire(BK)
    kd = min(kw, default=d)
    for i in range(nr):
      s.rnext[i] //= s.res if (writes_r and i == d) else s.rin[i]
    for j in range(nk):
      s.knext[j] //= s.kres if (writes_k and j == kd) else s.kin[j]

    def operand(a):
      return B32(P.f32bits(a[1])) if isinstance(a, tuple) else s.rin[a]

    if kind in ("mul", "add", "sub", "max", "min"):
      if kind == "mul":
        s.u = FPMulRTL(8, 23)
      elif kind in ("add", "sub"):
        s.u = FPAddRTL(8, 23)
        s.u.sub //= 1 if kind == "sub" else 0
      else:
        s.u = FPMaxRTL(8, 23, is_min=(kind == "min"))
      s.u.a //= operand(op[2])
      s.u.b //= operand(op[3])
      s.res //= s.u.out
    elif kind == "rndi":
      s.u = FPToIntRTL(8, 23, KB)
      s.u.in_ //= s.rin[op[2]]
      s.kres //= s.u.out
    elif kind == "i2f":
      s.u = IntToFPRTL(KB, 8, 23)
      s.u.in_ //= s.kin[op[2]]
      s.res //= s.u.out
    elif kind == "mant":
      s.res[0:23] //= s.rin[op[2]][0:23]
      s.res[23:32] //= 127
    elif kind == "expo":
      s.kres //= lambda: zext(s.rin[op[2]][23:31], KB) - 127
    elif kind == "odd":
      s.kk = Wire(BK)
      s.kk //= s.kin[kd]
      s.rd = Wire(B32)
      s.rd //= s.rin[d]
      ONE_E = B32(1 << 23)

      @update
      def up_odd():
        if s.kk[0]:
          s.res @= s.rd + ONE_E
          s.kres @= s.kk - 1
        else:
          s.res @= s.rd
          s.kres @= s.kk
    elif kind == "tab":
      tab = op[3]
      _rom(s, tab.bits)
      s.idx = Wire(mk_bits(tab.fbits + tab.ebit))
      ra = op[2]
      if tab.ebit:
        s.idx //= lambda: concat(s.rin[ra][23:24], s.rin[ra][23 - tab.fbits:23])
      else:
        s.idx //= s.rin[ra][23 - tab.fbits:23]

      @update
      def up_tab():
        s.res @= s.rom[s.idx]
    elif kind == "ktab":
      tab = op[3]
      n = len(tab.bits)
      _rom(s, tab.bits)
      s.kk = Wire(BK)
      s.kk //= s.kin[op[2]]
      s.idx = Wire(BK)
      OFF = BK(tab.off % (1 << KB))
      s.idx //= lambda: s.kk + OFF
      nb = max(1, (n - 1).bit_length())             # the ROM's index width (translation wants it exact)
      s.ridx = Wire(mk_bits(nb))
      s.ridx //= s.idx[0:nb]
      if n >= (1 << KB):

        @update
        def up_ktab():
          s.res @= s.rom[s.ridx]
      else:
        N = BK(n)

        @update
        def up_ktab():
          s.res @= 0
          if s.idx < N:
            s.res @= s.rom[s.ridx]
    elif kind == "scl":
      EW = 12
      mode = op[4]
      s.ra = Wire(B32)
      s.ra //= s.rin[op[2]]
      s.shift = Wire(mk_bits(EW))
      s.rp = FPRoundPackRTL(8, 23, 24, EW)
      CNAN = B32(P.F32_NAN)
      if mode in ("pos", "neg"):
        s.kk = Wire(BK)
        s.kk //= s.kin[op[3]]
        if mode == "pos":
          s.shift //= lambda: sext(s.kk, EW)
        else:
          s.shift //= lambda: 0 - sext(s.kk, EW)
      else:
        s.kh = Wire(mk_bits(KB - 1))                  # k >> 1 (arithmetic): bit 0 is not needed
        s.kh //= s.kin[op[3]][1:KB]
        s.khalf = Wire(BK)
        s.khalf //= lambda: concat(s.kh[KB - 2:KB - 1], s.kh)
        s.shift //= lambda: 0 - sext(s.khalf, EW)

      @update
      def up_scl():
        s.rp.sign @= s.ra[31]
        if s.ra[23:31] == 0:
          s.rp.exp @= 1 + s.shift
        else:
          s.rp.exp @= zext(s.ra[23:31], EW) + s.shift
        s.rp.sig @= concat(s.ra[23:31] != 0, s.ra[0:23])
        s.rp.sticky @= 0
        if (s.ra[23:31] == 255) & (s.ra[0:23] != 0):
          s.res @= CNAN
        elif s.ra[23:31] == 255:
          s.res @= s.ra
        else:
          s.res @= s.rp.out
    elif kind == "sgn":
      s.res[0:31] //= s.rin[op[2]][0:31]
      s.res[31:32] //= s.rin[op[3]][31:32]
    elif kind == "sel":
      regs = op[3]
      nsel = len(regs)
      s.kk = Wire(BK)
      s.kk //= s.kin[op[2]]
      s.selv = [Wire(B32) for _ in range(nsel)]
      for i in range(nsel):
        s.selv[i] //= s.rin[regs[i]]

      @update
      def up_sel():
        s.res @= s.selv[0]
        for i in range(nsel):
          if s.kk == i:
            s.res @= s.selv[i]
    elif kind == "fix":
      rules = op[3]
      nrule = len(rules)
      s.src = Wire(B32)
      s.src //= s.rin[op[2]]
      s.rd = Wire(B32)
      s.rd //= s.rin[d]
      s.hit = [Wire() for _ in range(nrule)]
      s.val = [Wire(B32) for _ in range(nrule)]
      PINF = B32(P.F32_PINF)
      Z31 = mk_bits(31)(0)
      # the class tests the rules use, and only those
      used = {name for name, _ in rules}
      if "nan" in used:
        s.c_nan = Wire()
        s.c_nan //= lambda: (s.src[23:31] == 255) & (s.src[0:23] != 0)
      if "pinf" in used:
        s.c_pinf = Wire()
        s.c_pinf //= lambda: (s.src[23:31] == 255) & (s.src[0:23] == 0) & ~s.src[31]
      if "ninf" in used:
        s.c_ninf = Wire()
        s.c_ninf //= lambda: (s.src[23:31] == 255) & (s.src[0:23] == 0) & s.src[31]
      if "zero" in used:
        s.c_zero = Wire()
        s.c_zero //= lambda: s.src[0:31] == 0
      if "sub" in used:
        s.c_sub = Wire()
        s.c_sub //= lambda: (s.src[23:31] == 0) & (s.src[0:23] != 0)
      if "neg" in used:
        s.c_neg = Wire()
        s.c_neg //= lambda: s.src[31] & ~((s.src[23:31] == 255) & (s.src[0:23] != 0))
      if any(v == "inf_signed" for _, v in rules):
        s.inf_signed = Wire(B32)
        s.inf_signed //= lambda: PINF | concat(s.src[31], Z31)
      for i, (name, v) in enumerate(reversed(rules)):   # last rule first: the first rule is applied last, wins
        s.hit[i] //= getattr(s, "c_" + name)
        s.val[i] //= s.inf_signed if v == "inf_signed" else B32(v)

      @update
      def up_fix():
        s.res @= s.rd
        for i in range(nrule):
          if s.hit[i]:
            s.res @= s.val[i]
    else:
      raise ValueError(f"unknown FP program operation {kind}")

    if not comb:
      @update_ff
      def up_stage():
        if s.en:
          for i in range(nr):
            s.rout[i] <<= s.rnext[i]
          for j in range(nk):
            s.kout[j] <<= s.knext[j]

    s.comb = comb
    set_module_name(s, "FPOpRTL" if comb else "FPOpStageRTL", op=_op_tag(op), r=nr, k=nk)

  def line_trace(s):
    return f"{(s.rnext if s.comb else s.rout)[0]}"


def _rom(s, bits):
  """s.rom: one constant binary32 wire per table entry (a ROM read by index)."""
  s.rom = [Wire(B32) for _ in range(len(bits))]
  for i in range(len(bits)):
    s.rom[i] //= B32(int(bits[i]))


def _op_tag(op):
  """A short, stable, Verilog-safe tag naming the operation and its operands."""
  import hashlib
  return f"{op[0]}{hashlib.sha1(repr(op[1:]).encode()).hexdigest()[:8]}"
