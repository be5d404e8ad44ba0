"""
The safetensors file format, read and written with numpy alone (no torch, no safetensors package):
an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
little-endian tensor bytes. bfloat16 is widened to float32 on reading.

Every defect (short file, bad header, offsets past the end, a size that does not match the shape, an unknown
dtype) raises SafetensorsError with one line naming the file and the tensor.
"""
import json
import os

import numpy as np


class SafetensorsError(ValueError):
  pass


DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64,
          "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}


class SafeFile:
  """Lazy reader: the header at once, each tensor on get(name)."""

  def __init__(s, path):
    s.path = path
    name = os.path.basename(path)
    try:
      s.size = os.path.getsize(path)
      with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
          raise SafetensorsError(f"{name}: truncated (no header)")
        n = int.from_bytes(head, "little")
        if n <= 0 or 8 + n > s.size:
          raise SafetensorsError(f"{name}: truncated or corrupt header (length {n}, file {s.size} bytes)")
        s.header = json.loads(f.read(n).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
      raise SafetensorsError(f"{name}: cannot read the safetensors header ({type(e).__name__})") from None
    if not isinstance(s.header, dict):
      raise SafetensorsError(f"{name}: the header is not a JSON object")
    s.metadata = s.header.pop("__metadata__", {}) or {}
    s.base = 8 + n
    for k, info in s.header.items():
      try:
        dt, shape, (a, b) = info["dtype"], [int(x) for x in info["shape"]], info["data_offsets"]
      except (KeyError, TypeError, ValueError):
        raise SafetensorsError(f"{name}: tensor {k}: malformed header entry") from None
      if dt not in DTYPES:
        raise SafetensorsError(f"{name}: tensor {k}: unsupported dtype {dt}")
      want = int(np.prod(shape, dtype=np.int64)) * np.dtype(DTYPES[dt]).itemsize
      if b - a != want or a < 0:
        raise SafetensorsError(f"{name}: tensor {k}: {b - a} bytes for shape {shape} {dt} ({want} expected)")
      if s.base + b > s.size:
        raise SafetensorsError(f"{name}: truncated: tensor {k} ends at byte {s.base + b}, the file has {s.size}")

  def keys(s):
    return list(s.header)

  def __contains__(s, k):
    return k in s.header

  def shape(s, k):
    return tuple(int(x) for x in s.header[k]["shape"])

  def dtype(s, k):
    return s.header[k]["dtype"]

  def get(s, k):
    info = s.header[k]
    dt = info["dtype"]
    a, b = info["data_offsets"]
    with open(s.path, "rb") as f:
      f.seek(s.base + a)
      raw = f.read(b - a)
    if len(raw) != b - a:
      raise SafetensorsError(f"{os.path.basename(s.path)}: truncated while reading tensor {k}")
    x = np.frombuffer(raw, dtype=np.dtype(DTYPES[dt]).newbyteorder("<")).reshape(s.shape(k))
    if dt == "BF16":
      return (x.astype(np.uint32) << 16).view(np.float32)
    return x.astype(x.dtype.newbyteorder("="))


def save(path, tensors, metadata=None):
  """Write {name: numpy array} as a safetensors file."""
  header, blobs, off = {}, [], 0
  for k in sorted(tensors):
    x = np.ascontiguousarray(tensors[k])
    if x.dtype not in NAMES:
      raise SafetensorsError(f"cannot store {k}: dtype {x.dtype}")
    raw = x.astype(x.dtype.newbyteorder("<")).tobytes()
    header[k] = {"dtype": NAMES[x.dtype], "shape": list(x.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
  if metadata:
    header["__metadata__"] = {str(a): str(b) for a, b in metadata.items()}
  h = json.dumps(header, separators=(",", ":")).encode()
  h += b" " * (-len(h) % 8)
  with open(path, "wb") as f:
    f.write(len(h).to_bytes(8, "little"))
    f.write(h)
    for raw in blobs:
      f.write(raw)
