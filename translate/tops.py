"""
The RTL tops that `tellme translate` and `tellme synth` take to Verilog: every component with its own ports,
and the composed ones (TLMM-FUSE, weight path, the whole accelerator top with its DDR model). Parameters beyond the configuration are those of the paper's
design: the decode score FIFO 1024 deep, N_pe = 8 prefill rows, head vectors up to 128 elements (BitNet 2B4T).
"""
from rtl_models.AccelTopRTL import AccelTopRTL
from rtl_models.AttentionRTL import AttentionRTL
from rtl_models.DecodeAttentionRTL import DecodeAttentionRTL
from rtl_models.DequantizerCtrlRTL import DequantizerCtrlRTL
from rtl_models.DequantizerRTL import DequantizerRTL
from rtl_models.ElementwiseRTL import ElementwiseRTL
from rtl_models.KVWriterRTL import KVWriterRTL
from rtl_models.PrefillAttentionRTL import PrefillAttentionRTL
from rtl_models.QuantizerRTL import QuantizerRTL
from rtl_models.RMSMaxCtrlRTL import RMSMaxCtrlRTL
from rtl_models.RMSMaxRTL import RMSMaxRTL
from rtl_models.TLMMEngineRTL import TLMMEngineRTL
from rtl_models.TLMMFuseRTL import TLMMFuseRTL
from rtl_models.WeightBufferRTL import WeightBufferRTL
from rtl_models.WeightPathRTL import WeightPathRTL
from rtl_models.WeightStreamerRTL import WeightStreamerRTL

FIFO_DEPTH, NPE, MAX_HDIM = 1024, 8, 128
BANK_DEPTH, DDR_DEPTH = 1024, 4096     # the whole top's scratchpad banks and its DDR model (simulation sizes)

# name -> constructor(cfg); the units first, then the compositions (which contain them)
TOPS = {
  "TLMMEngine": lambda cfg: TLMMEngineRTL(cfg),
  "Quantizer": lambda cfg: QuantizerRTL(cfg),
  "Dequantizer": lambda cfg: DequantizerRTL(cfg),
  "DequantizerCtrl": lambda cfg: DequantizerCtrlRTL(cfg),
  "RMSMax": lambda cfg: RMSMaxRTL(cfg),
  "RMSMaxCtrl": lambda cfg: RMSMaxCtrlRTL(cfg),
  "Elementwise": lambda cfg: ElementwiseRTL(cfg),
  "WeightStreamer": lambda cfg: WeightStreamerRTL(cfg),
  "WeightBuffer": lambda cfg: WeightBufferRTL(cfg),
  "KVWriter": lambda cfg: KVWriterRTL(cfg, MAX_HDIM),
  "DecodeAttention": lambda cfg: DecodeAttentionRTL(cfg, FIFO_DEPTH, MAX_HDIM),
  "PrefillAttention": lambda cfg: PrefillAttentionRTL(cfg, NPE, MAX_HDIM),
  "Attention": lambda cfg: AttentionRTL(cfg, NPE, FIFO_DEPTH, MAX_HDIM, aux=True),
  "TLMMFuse": lambda cfg: TLMMFuseRTL(cfg),
  "WeightPath": lambda cfg: WeightPathRTL(cfg),
  "AccelTop": lambda cfg: AccelTopRTL(cfg, BANK_DEPTH, DDR_DEPTH, NPE, FIFO_DEPTH, MAX_HDIM),
}
# the units that make up the accelerator (the compositions reuse them): the whole-design totals add these. The
# accelerator's two attention units share one datapath (Attention, as the top has it: with RMS-MAX's sum of
# squares on its DOT lanes, RMS-MAX's x * r and the dequantizer's lanes on its UPD multipliers,
# so those two count as their controllers,
# RMSMaxCtrl and DequantizerCtrl); DecodeAttention, PrefillAttention, RMSMax and Dequantizer, each with lanes of
# its own, are the units as tested alone
UNITS = ("TLMMEngine", "Quantizer", "DequantizerCtrl", "RMSMaxCtrl", "Elementwise", "WeightStreamer", "WeightBuffer",
         "KVWriter", "Attention")
