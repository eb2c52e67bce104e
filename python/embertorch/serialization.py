"""`save` / `load`: tensors and nested containers in a file that is safe to load.

File format (version 1), all integers little-endian:

    magic   b"EMBERTORCH\\x00\\x01"          12 bytes
    n       length of the JSON header       8 bytes (uint64)
    header  UTF-8 JSON, n bytes
    data    the tensors' raw bytes, back to back (row-major, native little-endian)

The header is `{"tree": node, "tensors": [entry, ...]}`. A node is a JSON number, string,
boolean or null, or an object tagged by "t": `tensor` (field "i": index into "tensors"),
`list`/`tuple` ("items"), `dict`/`odict` ("items": [[key, value], ...]), `float` (for nan,
inf and -inf, field "v" as a string), `int` (field "v" as a string, for ints beyond JSON's
safe range), `dtype` ("v": name), `size` ("items"). A tensor entry holds "dtype", "shape",
"offset" and "nbytes" into the data section, "requires_grad" and "parameter". bfloat16 data
is stored as float32 (exactly). Loading never runs code from the file: only these node
kinds are understood; anything else is an error. Views are saved as independent copies.
"""

import collections
import json
import math
import os
import struct

from . import _C
from ._C import Tensor

MAGIC = b"EMBERTORCH\x00\x01"


def _encode(obj, tensors):
    if isinstance(obj, Tensor):
        tensors.append(obj)
        return {"t": "tensor", "i": len(tensors) - 1}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj if abs(obj) < 2**53 else {"t": "int", "v": str(obj)}
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
    if isinstance(obj, _C.dtype):
        return {"t": "dtype", "v": obj._name}
    if type(obj).__name__ == "Size" and isinstance(obj, tuple):
        return {"t": "size", "items": list(obj)}
    if isinstance(obj, collections.OrderedDict):
        return {"t": "odict", "items": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if isinstance(obj, dict):
        return {"t": "dict", "items": [[_encode(k, tensors), _encode(v, tensors)] for k, v in obj.items()]}
    if isinstance(obj, list):
        return {"t": "list", "items": [_encode(v, tensors) for v in obj]}
    if isinstance(obj, tuple):
        return {"t": "tuple", "items": [_encode(v, tensors) for v in obj]}
    raise TypeError(
        f"embertorch.save can store tensors, numbers, strings, dtypes and lists/tuples/dicts of them; "
        f"got {type(obj).__name__} (save a module's state_dict() instead of the module)"
    )


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write `obj` (tensors, numbers, strings and containers of them) to a path or file."""
    tensors = []
    tree = _encode(obj, tensors)
    entries, blobs, offset = [], [], 0
    for t in tensors:
        data = t.detach()
        stored = data.float() if data.dtype == _C.bfloat16 else data
        raw = stored.contiguous().numpy().tobytes()
        entries.append(
            {
                "dtype": data.dtype._name,
                "shape": list(data.shape),
                "offset": offset,
                "nbytes": len(raw),
                "requires_grad": t.requires_grad,
                "parameter": type(t).__name__ == "Parameter",
            }
        )
        blobs.append(raw)
        offset += len(raw)
    header = json.dumps({"tree": tree, "tensors": entries}, allow_nan=False).encode("utf-8")
    parts = [MAGIC, struct.pack("<Q", len(header)), header] + blobs
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            for p in parts:
                fh.write(p)
    else:
        for p in parts:
            f.write(p)


def _decode(node, tensors):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict):
        kind = node.get("t")
        if kind == "tensor":
            return tensors[node["i"]]
        if kind in ("list", "tuple"):
            items = [_decode(v, tensors) for v in node["items"]]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "odict"):
            d = collections.OrderedDict() if kind == "odict" else {}
            for k, v in node["items"]:
                d[_decode(k, tensors)] = _decode(v, tensors)
            return d
        if kind == "float":
            return float(node["v"])
        if kind == "int":
            return int(node["v"])
        if kind == "dtype":
            return getattr(_C, node["v"])
        if kind == "size":
            from ._size import Size

            return Size(node["items"])
    raise ValueError(f"embertorch.load: unknown entry in file: {node!r}")


_NUMPY_NAMES = {"bool": "bool", "bfloat16": "float32"}


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Read what `save` wrote. Only plain data is ever reconstructed (no code runs)."""
    import numpy as np

    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    elif isinstance(f, (bytes, bytearray)):
        data = bytes(f)
    else:
        data = f.read()
    if not data.startswith(MAGIC):
        raise RuntimeError("embertorch.load: not an embertorch file (bad magic number)")
    (n,) = struct.unpack_from("<Q", data, len(MAGIC))
    start = len(MAGIC) + 8
    header = json.loads(data[start:start + n].decode("utf-8"))
    base = start + n
    tensors = []
    from .nn.parameter import Parameter

    for e in header["tensors"]:
        np_dtype = np.dtype(_NUMPY_NAMES.get(e["dtype"], e["dtype"]))
        raw = data[base + e["offset"]: base + e["offset"] + e["nbytes"]]
        arr = np.frombuffer(raw, dtype=np_dtype).reshape(e["shape"]).copy()
        t = _C.from_numpy(arr)
        if e["dtype"] == "bfloat16":
            t = t.to(_C.bfloat16)
        if e.get("parameter"):
            t = Parameter(t, requires_grad=e["requires_grad"])
        elif e["requires_grad"]:
            t.requires_grad_(True)
        tensors.append(t)
    return _decode(header["tree"], tensors)


__all__ = ["save", "load"]
