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
is stored as float32 (exactly). Loading never runs code from the file (no pickle): only these node
kinds and dtypes are understood, sizes and offsets are checked, and anything else raises
RuntimeError. Views are saved as independent copies; one tensor object reachable several times
is stored once and loads as one object. PyTorch's own pickle/zip checkpoints are not read
(NotImplementedError).
"""

import collections
import collections.abc
import io
import json
import math
import os
import struct

from . import _C
from ._C import Tensor

MAGIC = b"EMBERTORCH\x00\x01"


def _encode(obj, tensors):
    if isinstance(obj, Tensor):
        # one entry per tensor object: a tensor reachable twice (tied weights) loads as one object
        for i, t in enumerate(tensors):
            if t is obj:
                return {"t": "tensor", "i": i}
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
        arr = stored.contiguous().numpy()
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
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
            fh.writelines(parts)
    else:
        f.writelines(parts)


class _FormatError(Exception):
    """Raised inside the reader; `load` turns it into a RuntimeError naming the problem."""


def _check(cond, what):
    if not cond:
        raise _FormatError(what)


def _decode(node, tensors):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    _check(isinstance(node, dict), f"unexpected JSON value {type(node).__name__}")
    kind = node.get("t")
    if kind == "tensor":
        i = node.get("i")
        _check(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(tensors), "bad tensor index")
        return tensors[i]
    if kind in ("list", "tuple", "size"):
        items = node.get("items")
        _check(isinstance(items, list), f"{kind} without items")
        items = [_decode(v, tensors) for v in items]
        if kind == "size":
            from ._size import Size

            _check(all(isinstance(v, int) and not isinstance(v, bool) for v in items), "bad torch.Size")
            return Size(items)
        return items if kind == "list" else tuple(items)
    if kind in ("dict", "odict"):
        items = node.get("items")
        _check(isinstance(items, list) and all(isinstance(kv, list) and len(kv) == 2 for kv in items),
               "dict without [key, value] items")
        d = collections.OrderedDict() if kind == "odict" else {}
        for k, v in items:
            key = _decode(k, tensors)
            _check(isinstance(key, collections.abc.Hashable), "unhashable dict key")
            d[key] = _decode(v, tensors)
        return d
    if kind == "float":
        _check(node.get("v") in ("nan", "inf", "-inf"), "bad non-finite float")
        return float(node["v"])
    if kind == "int":
        v = node.get("v")
        _check(isinstance(v, str) and v.lstrip("-").isdigit() and len(v) < 5000, "bad integer")
        return int(v)
    if kind == "dtype":
        _check(node.get("v") in _DTYPES, "unknown dtype")
        return getattr(_C, node["v"])
    raise _FormatError(f"unknown entry {str(node)[:80]}")


_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
# the numpy dtype the bytes are stored in (bfloat16 is stored as float32)
_STORED = {name: ("float32" if name == "bfloat16" else name) for name in _DTYPES}
_HEADER_LIMIT = 1 << 31


_CHUNK = 1 << 24


def _read_exact(read, n, what):
    """Read n bytes in bounded chunks, so a forged length cannot make us allocate it up front."""
    parts, left = [], n
    while left > 0:
        part = read(min(left, _CHUNK))
        _check(isinstance(part, (bytes, bytearray)) and len(part) > 0, f"file truncated in the {what}")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _make_tensor(entry, blob):
    """One tensor from its header entry and its bytes (a fresh, writable copy)."""
    import numpy as np

    from .nn.parameter import Parameter

    stored = np.dtype(_STORED[entry["dtype"]]).newbyteorder("<")
    arr = np.frombuffer(blob, dtype=stored).reshape(entry["shape"]).astype(stored.newbyteorder("="))
    t = _C.from_numpy(arr)
    if entry["dtype"] == "bfloat16":
        t = t.to(_C.bfloat16)
    requires_grad = entry.get("requires_grad") is True
    if entry.get("parameter") is True:
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_entry(e, expected_offset):
    import numpy as np

    _check(isinstance(e, dict), "tensor entry is not an object")
    _check(e.get("dtype") in _DTYPES, f"unknown tensor dtype {str(e.get('dtype'))[:40]}")
    shape = e.get("shape")
    _check(isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape),
           "bad tensor shape")
    itemsize = np.dtype(_STORED[e["dtype"]]).itemsize
    _check(e.get("nbytes") == math.prod(shape) * itemsize, "tensor byte count does not match its shape")
    _check(e.get("offset") == expected_offset, "tensor data offsets are not consecutive")


def _read(read):
    head = read(len(MAGIC))
    if head[:4] == b"PK\x03\x04" or head[:1] == b"\x80":  # a zip archive or a pickle stream
        raise NotImplementedError(
            "embertorch.load reads files written by embertorch.save; PyTorch's pickle/zip checkpoints are not "
            "supported (they can run arbitrary code when loaded). Convert them to embertorch's format instead."
        )
    if head != MAGIC:
        raise RuntimeError("embertorch.load: not an embertorch file (bad magic number)")
    try:
        (n,) = struct.unpack("<Q", _read_exact(read, 8, "header length"))
        _check(n < _HEADER_LIMIT, "implausible header length")
        header = json.loads(_read_exact(read, n, "header").decode("utf-8"))
        _check(isinstance(header, dict) and isinstance(header.get("tensors"), list) and "tree" in header,
               "header lacks 'tree' or 'tensors'")
        tensors, offset = [], 0
        for e in header["tensors"]:
            _check_entry(e, offset)
            tensors.append(_make_tensor(e, _read_exact(read, e["nbytes"], "tensor data")))
            offset += e["nbytes"]
        return _decode(header["tree"], tensors)
    except (_FormatError, ValueError, TypeError, KeyError, OverflowError, RecursionError, struct.error) as exc:
        raise RuntimeError(f"embertorch.load: corrupt or invalid file ({exc})") from None


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **kwargs):
    """Read what `save` wrote. Only plain data is ever reconstructed (no code runs).

    `f` is a path, a binary file object (read from its current position up to the end of this
    object, so several saved objects can follow each other in one stream) or bytes."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _read(fh.read)
    if isinstance(f, (bytes, bytearray, memoryview)):
        return _read(io.BytesIO(bytes(f)).read)
    return _read(f.read)


__all__ = ["load", "save"]
