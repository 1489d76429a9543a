"""Reading and writing safetensors files by hand (no safetensors package needed).

The format: an 8-byte little-endian unsigned header length N, then N bytes of JSON
    {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
     "__metadata__": {"key": "string value", ...}}
then the raw little-endian tensor data; offsets are relative to the start of the data.
The writer pads the header with spaces to a multiple of 8 bytes (so the data is 8-byte aligned)
and stores tensors contiguously in the order given. Supported dtypes: F32, F16, BF16, I64.

This project stores its model config as the JSON text of __metadata__["mobileone.config"].
"""

import json
import os
import struct

import numpy as np
import torch

# dtype name -> (torch dtype, numpy little-endian dtype of the same byte size)
DTYPES = {
    "F32": (torch.float32, "<f4"),
    "F16": (torch.float16, "<f2"),
    "BF16": (torch.bfloat16, "<i2"),  # numpy has no bfloat16: move the raw 16-bit patterns
    "I64": (torch.int64, "<i8"),
}
CONFIG_KEY = "mobileone.config"


def _dtype_name(tensor):
    for name, (dt, _) in DTYPES.items():
        if tensor.dtype == dt:
            return name
    raise ValueError("dtype %s is not supported (F32, F16, BF16, I64)" % tensor.dtype)


def _tensor_bytes(tensor):
    name = _dtype_name(tensor)
    t = tensor.detach().cpu().contiguous()
    if name == "BF16":
        t = t.view(torch.int16)
    return np.ascontiguousarray(t.numpy().astype(DTYPES[name][1], copy=False)).tobytes()


def save(path, tensors, metadata=None):
    """Writes `tensors` (an ordered mapping name -> torch tensor) to `path`. metadata: an
    optional dict of string -> string, stored as __metadata__."""
    header, blobs, offset = {}, [], 0
    if metadata:
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("metadata keys and values must be strings (%r)" % (key,))
        header["__metadata__"] = dict(metadata)
    for name, tensor in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' is not a valid tensor name")
        data = _tensor_bytes(tensor)
        header[name] = {"dtype": _dtype_name(tensor), "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"  # written whole, then renamed: no half-written file under `path`
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)


def load(path):
    """Reads `path`: returns (dict name -> torch tensor in file order, metadata dict or {}).
    Raises ValueError with a one-line message when the file is not valid safetensors."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("%s: too short for a safetensors file" % path)
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError("%s: header length %d runs past the end of the file" % (path, n))
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError("%s: header is not JSON (%s)" % (path, e)) from None
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % path)
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, entry in header.items():
        dtype = entry.get("dtype")
        if dtype not in DTYPES:
            raise ValueError("%s: tensor '%s' has unsupported dtype %r" % (path, name, dtype))
        shape = [int(d) for d in entry["shape"]]
        begin, end = entry["data_offsets"]
        torch_dtype, np_dtype = DTYPES[dtype]
        numel = int(np.prod(shape)) if shape else 1
        if not 0 <= begin <= end <= len(data) or end - begin != numel * np.dtype(np_dtype).itemsize:
            raise ValueError("%s: tensor '%s' has bad data_offsets [%d, %d] for shape %s %s"
                             % (path, name, begin, end, shape, dtype))
        # Little-endian in the file; astype() converts to native order (and copies, so the
        # tensor owns writable memory).
        array = np.frombuffer(data[begin:end], dtype=np_dtype).astype(np_dtype.lstrip("<"))
        t = torch.from_numpy(array).reshape(shape)
        if dtype == "BF16":
            t = t.view(torch.bfloat16)
        tensors[name] = t.to(torch_dtype)
    return tensors, metadata


def save_state_dict(path, state_dict, config=None):
    """Writes a state_dict as F32 (I64 kept for num_batches_tracked and other integer
    bookkeeping), with `config` (a dict) embedded as JSON text under mobileone.config."""
    tensors = {}
    for name, t in state_dict.items():
        t = t.detach()
        tensors[name] = t.to(torch.int64) if not t.is_floating_point() else t.to(torch.float32)
    metadata = {CONFIG_KEY: json.dumps(config)} if config is not None else None
    save(path, tensors, metadata)


def load_config(metadata):
    """The embedded config dict, or None."""
    text = metadata.get(CONFIG_KEY)
    return json.loads(text) if text is not None else None
