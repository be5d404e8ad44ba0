"""
The one test harness for every component at every level.

    StreamSource(s) -> DUT -> StreamSink(s)

Sources and sinks speak val/rdy (pymtl3.stdlib.stream interfaces, or the vector streams of tellme_pymtl.ifcs),
with a random initial delay and a random delay before every message, drawn from a seeded generator so that two
runs of the same case (say CL and RTL) see the same stall pattern. The harness takes the DUT as an argument,
reads the port names and types off it, and never imports a level.

`run_harness` simulates to completion and returns the cycle count. With `verilog=True` the DUT is translated to
Verilog and imported through Verilator (pymtl3's import pass), otherwise the Python model is simulated.
"""
import os
import random
import time
import zlib

from pymtl3 import Component, connect, update_ff
from pymtl3.passes import DefaultPassGroup
from pymtl3.stdlib.test_utils.test_helpers import config_model_with_cmdline_opts, finalize_verilator

from .ifcs import RecvIfcRTL, SendIfcRTL, VecRecvIfcRTL, VecSendIfcRTL, is_vec


class HarnessError(AssertionError):
  """A sink saw a wrong message, or a simulation did not finish."""


def _msg_repr(m):
  if isinstance(m, (list, tuple)):
    return "[" + ", ".join(str(x) for x in m) + "]"
  return str(m)


def _same(a, b):
  if isinstance(b, (list, tuple)):
    return len(a) == len(b) and all(int(x) == int(y) for x, y in zip(a, b))
  return a == b


def _subseed(*parts):
  """A per-port seed that is the same in every process (str hash() is salted per process)."""
  return zlib.crc32(repr(parts).encode())


def _delays(n, initial_delay, max_delay, seed):
  rng = random.Random(seed)
  d = [rng.randint(0, max_delay) if max_delay else 0 for _ in range(n)]
  if n:
    d[0] += initial_delay
  return d


class StreamSource(Component):

  def construct(s, Type, msgs, n=None, initial_delay=0, max_delay=0, seed=0):
    s.send = SendIfcRTL(Type) if n is None else VecSendIfcRTL(Type, n)
    s.msgs = list(msgs)
    s.delays = _delays(len(s.msgs), initial_delay, max_delay, seed)
    s.idx = 0
    s.count = 0
    s.fires = []        # cycle of every handshake (for benches)
    s.cycle = 0

    @update_ff
    def up_src():
      if s.reset:
        s.idx = 0
        s.cycle = 0
        s.count = s.delays[0] if s.msgs else 0
        s.send.val <<= 0
        return
      s.cycle += 1
      if s.send.val & s.send.rdy:
        s.fires.append(s.cycle)
        s.idx += 1
        s.count = s.delays[s.idx] if s.idx < len(s.msgs) else 0
      if s.count > 0:
        s.count -= 1
        s.send.val <<= 0
      elif s.idx < len(s.msgs):
        s.send.val <<= 1
        m = s.msgs[s.idx]
        if n is None:
          s.send.msg <<= m
        else:
          for i in range(n):
            s.send.msg[i] <<= m[i]
      else:
        s.send.val <<= 0

  def done(s):
    return s.idx >= len(s.msgs)

  def line_trace(s):
    return str(s.send)


class StreamSink(Component):

  def construct(s, Type, msgs, n=None, initial_delay=0, max_delay=0, seed=0, name="sink"):
    s.recv = RecvIfcRTL(Type) if n is None else VecRecvIfcRTL(Type, n)
    s.expected = list(msgs)
    s.delays = _delays(len(s.expected), initial_delay, max_delay, seed)
    s.received = []
    s.arrivals = []     # cycle of every handshake
    s.idx = 0
    s.count = 0
    s.cycle = 0
    s.sink_name = name

    @update_ff
    def up_sink():
      if s.reset:
        s.idx = 0
        s.cycle = 0
        s.received = []
        s.arrivals = []
        s.count = s.delays[0] if s.expected else 0
        s.recv.rdy <<= 0
        return
      s.cycle += 1
      if s.recv.val & s.recv.rdy:
        s.take()
      if s.count > 0:
        s.count -= 1
        s.recv.rdy <<= 0
      else:
        s.recv.rdy <<= s.idx < len(s.expected)

  def take(s):
    """Check and record the message of this cycle's handshake."""
    m = s.recv.msg
    got = [m[i].clone() for i in range(len(m))] if isinstance(m, list) else m.clone()
    if s.idx >= len(s.expected):
      raise HarnessError(f"{s.sink_name}: received more than the {len(s.expected)} expected messages: "
                         f"{_msg_repr(got)}")
    if not _same(got, s.expected[s.idx]):
      raise HarnessError(f"{s.sink_name}: message {s.idx} wrong at cycle {s.cycle}\n"
                         f"  expected {_msg_repr(s.expected[s.idx])}\n  received {_msg_repr(got)}")
    s.received.append(got)
    s.arrivals.append(s.cycle)
    s.idx += 1
    s.count = s.delays[s.idx] if s.idx < len(s.expected) else 0

  def done(s):
    return s.idx >= len(s.expected)

  def line_trace(s):
    return str(s.recv)


def _port_type(ifc):
  """(Type, n) of a DUT's stream interface: n is None for a scalar stream."""
  if is_vec(ifc):
    return ifc.Type, ifc.n
  return ifc.msg._dsl.Type, None


class TestHarness(Component):
  __test__ = False   # not a pytest test class
  """Sources drive the DUT's input streams, sinks check its output streams, all named after the DUT's ports.

  sources / sinks: {port name: list of messages (a list of n values per message for a vector stream)}.
  delays: max random delay before each message (0: none); seed: the stall pattern.
  mems: {prefix: memory model} attached to the DUT's <prefix>_req and <prefix>_resp streams."""

  def construct(s, dut, sources, sinks, max_delay=0, seed=0, mems=None):
    s.dut = dut
    # memories (e.g. tellme_pymtl.ddr.DDRModel) on the DUT's <prefix>_req / <prefix>_resp ports
    s.mems = {}
    for prefix, mem in sorted((mems or {}).items()):
      setattr(s, f"mem_{prefix}", mem)
      s.mems[prefix] = mem
      if hasattr(dut, f"{prefix}_req"):
        s.connect_ifc(getattr(dut, f"{prefix}_req"), mem.req)
        s.connect_ifc(mem.resp, getattr(dut, f"{prefix}_resp"))
      if hasattr(dut, f"{prefix}_wreq"):
        s.connect_ifc(getattr(dut, f"{prefix}_wreq"), mem.wreq)
    s.srcs = {}
    s.snks = {}
    for i, (name, msgs) in enumerate(sorted(sources.items())):
      Type, n = _port_type(getattr(dut, name))
      src = StreamSource(Type, msgs, n, initial_delay=(seed + i) % (max_delay + 1) if max_delay else 0,
                         max_delay=max_delay, seed=_subseed(seed, "src", name))
      setattr(s, f"src_{name}", src)
      s.srcs[name] = src
      s.connect_ifc(src.send, getattr(dut, name))
    for i, (name, msgs) in enumerate(sorted(sinks.items())):
      Type, n = _port_type(getattr(dut, name))
      snk = StreamSink(Type, msgs, n, initial_delay=(seed + 7 * i) % (max_delay + 1) if max_delay else 0,
                       max_delay=max_delay, seed=_subseed(seed, "sink", name), name=f"sink {name}")
      setattr(s, f"sink_{name}", snk)
      s.snks[name] = snk
      s.connect_ifc(getattr(dut, name), snk.recv)

  def connect_ifc(s, a, b):
    connect(a.val, b.val)
    connect(a.rdy, b.rdy)
    if is_vec(a):
      for i in range(a.n):
        connect(a.msg[i], b.msg[i])
    else:
      connect(a.msg, b.msg)

  def done(s):
    return all(x.done() for x in s.srcs.values()) and all(x.done() for x in s.snks.values())

  def line_trace(s):
    ins = " ".join(src.line_trace() for src in s.srcs.values())
    outs = " ".join(snk.line_trace() for snk in s.snks.values())
    return f"{ins} > {s.dut.line_trace()} > {outs}"


def _opts(verilog, cmdline_opts):
  opts = {"dump_textwave": False, "dump_vcd": "", "test_verilog": "", "test_yosys_verilog": "",
          "max_cycles": None, "dump_vtb": ""}
  if cmdline_opts:
    opts.update(cmdline_opts)
  opts["test_yosys_verilog"] = ""
  if verilog:
    opts["test_verilog"] = opts["test_verilog"] or "zeros"
    opts["dump_vcd"] = ""        # VCD with Verilator import does not compile on Verilator 5: use Python sim
  else:
    opts["test_verilog"] = ""
  return opts


def simulate(th, verilog=False, cmdline_opts=None, max_cycles=200000, line_trace=None, on_cycle=None,
             pre_cycle=None):
  """Elaborate, (optionally translate and import), reset and simulate until every source and sink is done.
  Returns {'cycles': the cycle the last sink message arrived (counted from the end of reset),
  'ticks': simulated cycles, 'sim_s': wall seconds of the simulation loop alone (no elaboration,
  translation or compilation)}. Probes: pre_cycle(th, cycle) sees a cycle's settled signals before its clock
  edge, on_cycle(th, cycle) after it."""
  opts = _opts(verilog, cmdline_opts)
  if opts.get("max_cycles"):
    max_cycles = int(opts["max_cycles"])
  if line_trace is None:
    line_trace = bool(os.environ.get("TELLME_TRACE"))
  th = config_model_with_cmdline_opts(th, opts, duts=["dut"])
  try:
    th.apply(DefaultPassGroup(linetrace=line_trace))
    th.sim_reset()
    t0 = time.perf_counter()
    while not th.done():
      if th.sim_cycle_count() >= max_cycles:
        raise HarnessError(f"simulation did not finish in {max_cycles} cycles")
      if pre_cycle is not None:
        pre_cycle(th, th.sim_cycle_count())
      th.sim_tick()
      if on_cycle is not None:
        on_cycle(th, th.sim_cycle_count())
    sim_s = time.perf_counter() - t0
    last = max([max(k.arrivals) for k in th.snks.values() if k.arrivals] + [0])
    return {"cycles": last, "ticks": th.sim_cycle_count(), "sim_s": sim_s}
  finally:
    finalize_verilator(th)


def run_harness(th, verilog=False, cmdline_opts=None, max_cycles=200000, line_trace=None):
  """simulate() and return the cycle count of the last sink message."""
  return simulate(th, verilog, cmdline_opts, max_cycles, line_trace)["cycles"]
