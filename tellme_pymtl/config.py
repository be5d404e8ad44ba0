"""
The one configuration object of the accelerator.

Every level (FL, CL, RTL), the harness, the benches and the command line build their components from a
`TeLLMeConfig`. All derived widths and sizes are computed here, once, and the object refuses to exist when a
field is impossible (a table entry or an accumulator too narrow for the worst case it must hold, a zero
table count, ...): `ConfigError` names the field.

Design facts (../shared/REFERENCE.md, section 2): G = 3 int8 activations per table, 3^3 = 27 entries, a
5-bit index per 3 ternary weights, T = 28 tables per input block of 84 activations, Q = 16 output lanes,
10-bit entries, 24-bit accumulators, 250 MHz, 17.1 GB/s practical DDR bandwidth.
"""
import dataclasses
import hashlib
import math


class ConfigError(ValueError):
  """An impossible accelerator configuration. The message names the field."""


def _signed_bits(magnitude):
  """Smallest two's complement width holding every value in [-magnitude, +magnitude]."""
  return int(magnitude).bit_length() + 1


@dataclasses.dataclass(frozen=True)
class TeLLMeConfig:
  G: int = 3                # activations per lookup table (weights per index)
  T: int = 28               # tables per input block (input block = G*T activations)
  Q: int = 16               # output lanes (rows computed in parallel)
  act_bits: int = 8         # signed activation width
  entry_bits: int = 10      # signed table-entry width
  acc_bits: int = 24        # signed accumulator width
  max_in_dim: int = 4116    # largest input dimension the engine must accumulate without overflow
  max_out_dim: int = 4096   # largest output dimension (sizes the accumulator buffer)
  dim_bits: int = 16        # width of the dimension fields in commands
  clock_mhz: float = 250.0  # accelerator clock
  ddr_gbps: float = 17.1    # practical DDR bandwidth in GB/s (10^9 bytes/s)
  ddr_ports: int = 3         # AXI HP ports
  port_bits: int = 256       # data width of one port
  burst_len: int = 16        # words per DDR read burst
  max_outstanding: int = 16  # bursts in flight
  ddr_latency: int = 60      # accelerator cycles from a read request to its first word
  uram_bits: int = 72        # UltraRAM block width
  uram_depth: int = 4096     # UltraRAM block depth
  ew_lanes: int = 0          # FP lanes of the element-wise unit (a Q beat in Q/ew_lanes cycles); 0: Q lanes
  deq_lanes: int = 0         # FP lanes of the dequantizer (a Q beat in Q/deq_lanes cycles); 0: Q lanes
  rms_lanes: int = 0         # FP lanes of RMS-MAX's normalization (a Q beat in Q/rms_lanes cycles); 0: Q lanes
  comb_fold: int = 1         # additions per adder of the attention units' lane combine (Q-1 additions on
                             # ceil((Q-1)/comb_fold) adders; a score every comb_fold cycles at most)
  wbuf_half_beats: int = 2048  # weight beats per ping-pong half of the weight buffer (2 x 2048 = one 4096-deep URAM)
  name: str = "custom"

  def __post_init__(s):
    for f in ("G", "T", "Q", "act_bits", "entry_bits", "acc_bits", "max_in_dim", "max_out_dim", "dim_bits",
              "ddr_ports", "port_bits", "burst_len", "max_outstanding", "ddr_latency", "uram_bits", "uram_depth",
              "wbuf_half_beats"):
      v = getattr(s, f)
      if not isinstance(v, int) or isinstance(v, bool):
        raise ConfigError(f"config field {f} must be an integer, got {v!r}")
      if v <= 0:
        raise ConfigError(f"config field {f} must be positive, got {v}")
    if s.G > 5:
      raise ConfigError(f"config field G={s.G} is too large: a table of 3^G entries is limited to G <= 5")
    if s.act_bits < 2:
      raise ConfigError(f"config field act_bits={s.act_bits} must be at least 2")
    if s.entry_bits < s.min_entry_bits:
      raise ConfigError(
        f"config field entry_bits={s.entry_bits} is too narrow: {s.G} activations of {s.act_bits} bits "
        f"need {s.min_entry_bits} bits per table entry")
    if s.acc_bits < s.psum_bits:
      raise ConfigError(
        f"config field acc_bits={s.acc_bits} is narrower than one cycle's lane sum ({s.psum_bits} bits "
        f"for T={s.T} entries of {s.entry_bits} bits)")
    if s.acc_bits < s.min_acc_bits:
      raise ConfigError(
        f"config field acc_bits={s.acc_bits} overflows: max_in_dim={s.max_in_dim} (padded to "
        f"{s.pad_in(s.max_in_dim)}) times {1 << (s.act_bits - 1)} needs {s.min_acc_bits} bits")
    if s.pad_in(s.max_in_dim) + s.block_in >= (1 << s.dim_bits):
      raise ConfigError(
        f"config field dim_bits={s.dim_bits} cannot count to max_in_dim={s.max_in_dim} padded to "
        f"{s.pad_in(s.max_in_dim)}")
    if s.pad_out(s.max_out_dim) + s.Q >= (1 << s.dim_bits):
      raise ConfigError(f"config field dim_bits={s.dim_bits} cannot count to max_out_dim={s.max_out_dim}")
    if s.T * s.idx_bits > 1023:
      raise ConfigError(f"config field T={s.T}: a lane's index vector of {s.T * s.idx_bits} bits exceeds 1023")
    if s.word_bits > 1023:
      raise ConfigError(f"config fields ddr_ports x port_bits = {s.word_bits} bits exceed a 1023-bit word")
    if not isinstance(s.ew_lanes, int) or isinstance(s.ew_lanes, bool) or s.ew_lanes < 0:
      raise ConfigError(f"config field ew_lanes must be a non-negative integer (0: Q lanes), got {s.ew_lanes!r}")
    if s.Q % s.ew_L or (s.ew_L < s.Q and s.ew_L % 2):
      raise ConfigError(f"config field ew_lanes={s.ew_lanes} must divide Q={s.Q} and be even (ROPE pairs stay in "
                        f"one chunk)")
    if not isinstance(s.deq_lanes, int) or isinstance(s.deq_lanes, bool) or s.deq_lanes < 0:
      raise ConfigError(f"config field deq_lanes must be a non-negative integer (0: Q lanes), got {s.deq_lanes!r}")
    if s.Q % s.deq_L:
      raise ConfigError(f"config field deq_lanes={s.deq_lanes} must divide Q={s.Q}")
    if not isinstance(s.rms_lanes, int) or isinstance(s.rms_lanes, bool) or s.rms_lanes < 0:
      raise ConfigError(f"config field rms_lanes must be a non-negative integer (0: Q lanes), got {s.rms_lanes!r}")
    if s.Q % s.rms_L:
      raise ConfigError(f"config field rms_lanes={s.rms_lanes} must divide Q={s.Q}")
    if not isinstance(s.comb_fold, int) or isinstance(s.comb_fold, bool) or s.comb_fold < 1:
      raise ConfigError(f"config field comb_fold must be a positive integer, got {s.comb_fold!r}")
    if s.uram_depth & (s.uram_depth - 1):
      raise ConfigError(f"config field uram_depth={s.uram_depth} must be a power of two")
    if s.burst_len > 255:
      raise ConfigError(f"config field burst_len={s.burst_len} exceeds 255 words")
    if not (s.clock_mhz > 0 and math.isfinite(s.clock_mhz)):
      raise ConfigError(f"config field clock_mhz must be a positive number, got {s.clock_mhz!r}")
    if not (s.ddr_gbps > 0 and math.isfinite(s.ddr_gbps)):
      raise ConfigError(f"config field ddr_gbps must be a positive number, got {s.ddr_gbps!r}")

  # Derived sizes ----------------------------------------------------------

  @property
  def ew_L(s):
    """The element-wise unit's lanes: ew_lanes (0: Q), at most Q."""
    return min(s.ew_lanes or s.Q, s.Q)

  @property
  def deq_L(s):
    """The dequantizer's lanes: deq_lanes (0: Q), at most Q."""
    return min(s.deq_lanes or s.Q, s.Q)

  @property
  def rms_L(s):
    """RMS-MAX's normalization lanes: rms_lanes (0: Q), at most Q."""
    return min(s.rms_lanes or s.Q, s.Q)

  @property
  def n_entries(s):
    """Entries per lookup table: every ternary pattern of G weights."""
    return 3 ** s.G

  @property
  def idx_bits(s):
    """Bits of one weight index (5 for G=3: 1.67 bits per weight)."""
    return max(1, (s.n_entries - 1).bit_length())

  @property
  def block_in(s):
    """Activations per input block (84 for the paper)."""
    return s.G * s.T

  @property
  def min_entry_bits(s):
    return _signed_bits(s.G << (s.act_bits - 1))

  @property
  def psum_bits(s):
    """Width of one lane's per-cycle sum of T table entries."""
    return _signed_bits(s.T * (1 << (s.entry_bits - 1)))

  @property
  def min_acc_bits(s):
    return _signed_bits(s.pad_in(s.max_in_dim) << (s.act_bits - 1))

  @property
  def acc_depth(s):
    """Entries of the accumulator buffer: one per output block of the largest output dimension."""
    return -(-s.max_out_dim // s.Q)

  @property
  def macs_per_cycle(s):
    """Ternary MACs of a full-rate cycle: Q lanes x T lookups x G weights."""
    return s.Q * s.T * s.G

  @property
  def q_lanes(s):
    """Elements the quantizer converts per cycle: divides both the FP vector beat (Q) and the input block."""
    return math.gcd(s.Q, s.block_in)

  @property
  def vec_depth(s):
    """Q-wide beats of the longest vector a unit buffers (max_in_dim)."""
    return -(-s.max_in_dim // s.Q)

  @property
  def ddr_bytes_per_cycle(s):
    """Modeled peak DDR bandwidth in bytes per accelerator cycle."""
    return s.ddr_gbps * 1e3 / s.clock_mhz

  @property
  def word_bits(s):
    """One DDR word: all AXI ports side by side (3 x 256 = 768 bits)."""
    return s.ddr_ports * s.port_bits

  @property
  def beat_bits(s):
    """Bits of one weight beat: Q lanes of T indices."""
    return s.Q * s.T * s.idx_bits

  @property
  def words_per_beat(s):
    return -(-s.beat_bits // s.word_bits)

  @property
  def uram_width_blocks(s):
    """UltraRAMs cascaded side by side for one lane's index vector (2 for 140 bits)."""
    return -(-(s.T * s.idx_bits) // s.uram_bits)

  @property
  def uram_blocks(s):
    """The weight buffer's UltraRAM count: Q lanes x width blocks x depth blocks for the two halves."""
    return s.Q * s.uram_width_blocks * -(-(2 * s.wbuf_half_beats) // s.uram_depth)

  def pad_in(s, n):
    return -(-n // s.block_in) * s.block_in

  def pad_out(s, n):
    return -(-n // s.Q) * s.Q

  def replace(s, **kw):
    return dataclasses.replace(s, **kw)

  def digest(s):
    """A short stable hash of the fields that change the hardware."""
    hw = tuple((f.name, getattr(s, f.name)) for f in dataclasses.fields(s)
               if f.name not in ("name", "clock_mhz", "ddr_gbps", "ddr_latency"))
    return hashlib.sha1(repr(hw).encode()).hexdigest()[:8]


# Named configurations -----------------------------------------------------

CONFIGS = {
  # The paper's TLMM engine: T=28 tables x Q=16 lanes, 24-bit accumulators, shapes of BitNet 0.73B; the
  # element-wise unit on 2 FP lanes (8x less logic than 16) and RMS-MAX's normalization on 8, within the TTFT
  # budget with room for the 2% the CL model may differ from the RTL (README, Synthesis); the attention units'
  # lane combine on 3 adders of 5 additions (a score every 5 cycles, never waited on: a 96-wide head is 6 beats).
  "paper": TeLLMeConfig(ew_lanes=2, rms_lanes=8, comb_fold=5, name="paper"),
  # A small engine for fast tests and demos: same numerics, fewer tables and lanes.
  "small": TeLLMeConfig(T=2, Q=2, acc_bits=16, max_in_dim=240, max_out_dim=64, port_bits=4, burst_len=4,
                        max_outstanding=4, ddr_latency=6, uram_bits=8, uram_depth=16, wbuf_half_beats=64, ddr_gbps=0.25,
                        name="small"),
  # Accumulators sized exactly for max_in_dim: the overflow boundary test runs here.
  "tight": TeLLMeConfig(T=2, Q=2, acc_bits=14, max_in_dim=60, max_out_dim=16, name="tight"),
}


def get_config(name, **overrides):
  """A named configuration, with fields overridden (each override validated)."""
  if name not in CONFIGS:
    raise ConfigError(f"unknown config name {name!r}; known: {', '.join(sorted(CONFIGS))}")
  cfg = CONFIGS[name]
  return cfg.replace(**overrides) if overrides else cfg


# The board ----------------------------------------------------------------

# The KV260's XCK26 (Zynq UltraScale+): the resource budget (CARRY in CARRY8, BRAM in 36 Kb blocks).
KV260_RESOURCES = {"LUT": 117120, "LUTRAM": 57600, "FF": 234240, "CARRY": 14640, "DSP": 1248, "BRAM": 144,
                   "URAM": 64}
# The paper's implementation on it (Vivado).
PAPER_RESOURCES = {"LUT": 98303, "FF": 136721, "DSP": 610, "BRAM": 98.5, "URAM": 60}
