"""
Stream interfaces shared by every level.

Scalar streams use pymtl3.stdlib.stream's RecvIfcRTL / SendIfcRTL. A wide beat (the TLMM weight beat is
Q x T x 5 = 2240 bits at the paper's size, and pymtl3's Bits stop at 1023 bits) is a vector stream: one val/rdy
handshake for an array of n messages, one per lane or table. It translates to an unpacked array port.
"""
from pymtl3 import Interface, InPort, OutPort
from pymtl3.stdlib.stream.ifcs import RecvIfcRTL, SendIfcRTL, valrdy_to_str  # noqa: F401 (re-exported)


def _vec_str(ifc):
  if ifc.val and ifc.rdy:
    return f"{ifc.msg[0]}..".ljust(ifc.trace_len)
  return valrdy_to_str(None, ifc.val, ifc.rdy, ifc.trace_len)


class VecRecvIfcRTL(Interface):

  def construct(s, Type, n):
    s.msg = [InPort(Type) for _ in range(n)]
    s.val = InPort()
    s.rdy = OutPort()
    s.Type, s.n = Type, n
    s.trace_len = len(str(Type())) + 2

  def __str__(s):
    return _vec_str(s)


class VecSendIfcRTL(Interface):

  def construct(s, Type, n):
    s.msg = [OutPort(Type) for _ in range(n)]
    s.val = OutPort()
    s.rdy = InPort()
    s.Type, s.n = Type, n
    s.trace_len = len(str(Type())) + 2

  def __str__(s):
    return _vec_str(s)


def is_vec(ifc):
  return isinstance(ifc, (VecRecvIfcRTL, VecSendIfcRTL))


def msg_bits(ifc):
  """(element width, element count or None) of a stream port's message."""
  if is_vec(ifc):
    return ifc.Type.nbits, ifc.n
  return ifc.msg._dsl.Type.nbits, None
