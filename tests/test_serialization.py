"""embertorch.save / embertorch.load.

Round trips are checked value for value against numpy copies taken before saving; damaged
and foreign files must raise a Python exception (never crash) and loading must never run code.
"""

import collections
import io
import json
import math
import pickle
import struct

import embertorch as torch
import numpy as np
import pytest
from _helpers import ALL_DTYPES, NP, dtype_name, to_np

MAGIC = b"EMBERTORCH\x00\x01"


def roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf)


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == torch.bool:
        return torch.tensor(rng.random(shape) > 0.5)
    if dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        return torch.tensor(rng.standard_normal(shape) * 100, dtype=torch.float64).to(dtype)
    info = np.iinfo(NP[dtype])
    return torch.tensor(rng.integers(info.min, info.max, size=shape, endpoint=True).astype(NP[dtype]))


def assert_same(a, b):
    assert isinstance(b, torch.Tensor)
    assert b.dtype == a.dtype
    assert tuple(b.shape) == tuple(a.shape)
    np.testing.assert_array_equal(to_np(b), to_np(a))


# --------------------------------------------------------------------------------------------
# tensors


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)], ids=str)
def test_tensor_dtypes_and_shapes(dtype, shape):
    t = sample(dtype, shape)
    expected = to_np(t).copy()
    out = roundtrip(t)
    assert_same(t, out)
    np.testing.assert_array_equal(to_np(out), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64], ids=dtype_name)
def test_special_float_values(dtype):
    t = torch.tensor([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e-5, 65504.0], dtype=torch.float64).to(dtype)
    out = roundtrip(t)
    a, b = to_np(t), to_np(out)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
    np.testing.assert_array_equal(a[~np.isnan(a)], b[~np.isnan(b)])


def test_extreme_integers():
    t = torch.tensor([-(2**63), 2**63 - 1, 0, -1], dtype=torch.int64)
    assert roundtrip(t).tolist() == [-(2**63), 2**63 - 1, 0, -1]


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.t(),
        lambda x: x[:, ::2],
        lambda x: x[1:, 1:3],
        lambda x: x[2],
        lambda x: x.permute(1, 0)[1::2],
        lambda x: x[0:1].expand(4, 6),
        lambda x: x.reshape(2, 12)[:, 5],
    ],
    ids=["transpose", "step-slice", "slice", "row", "permute-slice", "expand", "reshape-index"],
)
def test_views_and_noncontiguous(make):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    view = make(base)
    expected = view.numpy().copy()
    out = roundtrip(view)
    assert_same(view, out)
    np.testing.assert_array_equal(out.numpy(), expected)
    # the loaded tensor owns its data: writing to it leaves the original alone, and vice versa
    out.add_(1)
    np.testing.assert_array_equal(view.numpy(), expected)
    base.zero_()
    np.testing.assert_array_equal(out.numpy(), expected + 1)


def test_requires_grad_and_parameter():
    p = torch.nn.Parameter(torch.ones(2, 3))
    q = torch.nn.Parameter(torch.zeros(2), requires_grad=False)
    r = torch.ones(3, requires_grad=True)
    s = torch.ones(3)
    out = roundtrip([p, q, r, s])
    assert isinstance(out[0], torch.nn.Parameter) and out[0].requires_grad
    assert isinstance(out[1], torch.nn.Parameter) and not out[1].requires_grad
    assert not isinstance(out[2], torch.nn.Parameter) and out[2].requires_grad and out[2].is_leaf
    assert not out[3].requires_grad
    (out[2] * 2).sum().backward()
    assert out[2].grad.tolist() == [2.0, 2.0, 2.0]


def test_non_leaf_tensor_saves_its_values():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = roundtrip(x * 3)
    assert y.tolist() == [3.0, 6.0] and y.is_leaf


def test_same_tensor_twice_loads_as_one_object():
    t = torch.arange(4)
    out = roundtrip({"a": t, "b": [t, t.clone()]})
    assert out["a"] is out["b"][0]
    assert out["b"][1] is not out["a"]
    assert torch.equal(out["b"][1], out["a"])


# --------------------------------------------------------------------------------------------
# containers and scalars


def test_nested_containers_and_scalars():
    obj = {
        "tensor": torch.arange(6).reshape(2, 3),
        "list": [1, 2.5, "three", None, True, False, [torch.zeros(1), (4, 5)]],
        "tuple": (torch.ones(2, dtype=torch.float16), {"deep": {"deeper": [torch.tensor(7)]}}),
        3: "int key",
        (1, "a"): "tuple key",
        2.5: "float key",
        None: "none key",
        "big": 2**80,
        "neg_big": -(2**70),
        "floats": [math.inf, -math.inf, -0.0, 1e-300, 0.1],
        "dtype": torch.bfloat16,
        "size": torch.Size([2, 3]),
        "empty": [[], (), {}],
        "unicode": "naïve ✓",
    }
    out = roundtrip(obj)
    assert list(out) == list(obj)
    assert torch.equal(out["tensor"], obj["tensor"])
    assert out["list"][:6] == [1, 2.5, "three", None, True, False]
    assert isinstance(out["list"][4], bool) and isinstance(out["list"][0], int)
    assert torch.equal(out["list"][6][0], torch.zeros(1)) and out["list"][6][1] == (4, 5)
    assert isinstance(out["tuple"], tuple) and isinstance(out["list"], list)
    assert out["tuple"][0].dtype == torch.float16
    assert out["tuple"][1]["deep"]["deeper"][0].item() == 7
    assert out[3] == "int key" and out[(1, "a")] == "tuple key" and out[2.5] == "float key"
    assert out[None] == "none key"
    assert out["big"] == 2**80 and out["neg_big"] == -(2**70)
    assert out["floats"][:2] == [math.inf, -math.inf]
    assert math.copysign(1.0, out["floats"][2]) == -1.0
    assert out["floats"][3:] == [1e-300, 0.1]
    assert out["dtype"] is torch.bfloat16
    assert out["size"] == torch.Size([2, 3]) and isinstance(out["size"], torch.Size)
    assert out["empty"] == [[], (), {}]
    assert out["unicode"] == "naïve ✓"


def test_nan_scalar_and_ordered_dict():
    out = roundtrip(collections.OrderedDict([("z", math.nan), ("a", 1)]))
    assert isinstance(out, collections.OrderedDict)
    assert list(out) == ["z", "a"] and math.isnan(out["z"])


def test_plain_values_at_top_level():
    for v in [None, 3, -1.5, "s", True, [], {}]:
        assert roundtrip(v) == v


@pytest.mark.parametrize("bad", [{1, 2}, object(), 1 + 2j, b"bytes", np.zeros(2)], ids=lambda v: type(v).__name__)
def test_unsupported_objects_raise_type_error(bad):
    buf = io.BytesIO()
    with pytest.raises(TypeError, match="embertorch.save"):
        torch.save({"x": bad}, buf)


def test_saving_a_module_is_refused_with_hint():
    with pytest.raises(TypeError, match="state_dict"):
        torch.save(torch.nn.Linear(2, 2), io.BytesIO())


# --------------------------------------------------------------------------------------------
# modules and optimizers


def make_net(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def test_module_state_dict_round_trip_gives_identical_outputs(tmp_path):
    net = make_net(0)
    x = torch.randn(5, 4)
    expected = net(x).detach().numpy().copy()
    path = tmp_path / "net.et"
    torch.save(net.state_dict(), path)
    other = make_net(1)
    assert not np.array_equal(other(x).detach().numpy(), expected)
    sd = torch.load(path)
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == list(net.state_dict())
    other.load_state_dict(sd)
    np.testing.assert_array_equal(other(x).detach().numpy(), expected)


def test_optimizer_state_dict_round_trip_continues_identically():
    def fresh():
        p = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
        return p, torch.optim.Adam([p], lr=0.1, amsgrad=True)

    p, opt = fresh()
    for _ in range(3):
        p.grad = p.detach() ** 2 - 1
        opt.step()
    q, other = fresh()
    with torch.no_grad():
        q.copy_(p)
    other.load_state_dict(roundtrip(opt.state_dict()))
    for param, o in ((p, opt), (q, other)):
        for _ in range(3):
            param.grad = param.detach() ** 2 - 1
            o.step()
    assert torch.equal(p.detach(), q.detach())


# --------------------------------------------------------------------------------------------
# files


def test_str_path_pathlib_bytesio_and_bytes(tmp_path):
    t = torch.arange(10, dtype=torch.int16)
    torch.save(t, str(tmp_path / "a.et"))
    torch.save(t, tmp_path / "b.et")
    assert torch.equal(torch.load(str(tmp_path / "a.et")), t)
    assert torch.equal(torch.load(tmp_path / "b.et"), t)
    with open(tmp_path / "c.et", "wb") as fh:
        torch.save(t, fh)
    with open(tmp_path / "c.et", "rb") as fh:
        assert torch.equal(torch.load(fh), t)
    data = (tmp_path / "a.et").read_bytes()
    assert data.startswith(MAGIC)
    assert torch.equal(torch.load(io.BytesIO(data)), t)
    assert (tmp_path / "b.et").read_bytes() == data  # deterministic output


def test_several_objects_in_one_stream():
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    torch.save({"k": torch.zeros(3)}, buf)
    buf.seek(0)
    assert torch.load(buf).tolist() == [1.0, 1.0]
    assert torch.load(buf)["k"].tolist() == [0.0, 0.0, 0.0]
    assert buf.read() == b""


def test_load_accepts_pytorch_keywords():
    buf = io.BytesIO()
    torch.save(torch.ones(1), buf)
    buf.seek(0)
    assert torch.load(buf, map_location="cpu", weights_only=True).tolist() == [1.0]


# --------------------------------------------------------------------------------------------
# damaged and foreign input


def saved_bytes(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def forge(header, data=b""):
    raw = json.dumps(header).encode()
    return MAGIC + struct.pack("<Q", len(raw)) + raw + data


@pytest.mark.parametrize("data", [b"", b"hello world, not a tensor file", bytes(range(256)), MAGIC[:5]],
                         ids=["empty", "text", "binary", "short-magic"])
def test_garbage_raises_runtime_error(data):
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(data))


def test_every_truncation_raises_runtime_error():
    data = saved_bytes({"w": torch.arange(6, dtype=torch.float32), "n": [1, 2]})
    for cut in range(len(data)):
        with pytest.raises(RuntimeError, match="embertorch.load"):
            torch.load(io.BytesIO(data[:cut]))


@pytest.mark.parametrize(
    "header,data",
    [
        ({"tree": {"t": "tensor", "i": 0}, "tensors": []}, b""),
        ({"tree": {"t": "tensor", "i": -1}, "tensors": []}, b""),
        ({"tree": 1}, b""),
        ([1, 2], b""),
        ({"tree": {"t": "exec", "v": "print(1)"}, "tensors": []}, b""),
        ({"tree": {"t": "dtype", "v": "save"}, "tensors": []}, b""),
        ({"tree": {"t": "dtype", "v": "__class__"}, "tensors": []}, b""),
        ({"tree": {"t": "float", "v": "1e400000"}, "tensors": []}, b""),
        ({"tree": {"t": "int", "v": "0x10"}, "tensors": []}, b""),
        ({"tree": {"t": "list"}, "tensors": []}, b""),
        ({"tree": {"t": "dict", "items": [[{"t": "list", "items": []}, 1]]}, "tensors": []}, b""),
        ({"tree": {"t": "dict", "items": [1]}, "tensors": []}, b""),
        ({"tree": {"t": "size", "items": ["a"]}, "tensors": []}, b""),
        ({"tree": None, "tensors": [{"dtype": "object", "shape": [1], "offset": 0, "nbytes": 8}]}, b"\0" * 8),
        ({"tree": None, "tensors": [{"dtype": "float32", "shape": [3], "offset": 0, "nbytes": 8}]}, b"\0" * 8),
        ({"tree": None, "tensors": [{"dtype": "float32", "shape": [-2], "offset": 0, "nbytes": 8}]}, b"\0" * 8),
        ({"tree": None, "tensors": [{"dtype": "float32", "shape": [4], "offset": 0, "nbytes": 16}]}, b"\0" * 8),
        ({"tree": None, "tensors": [{"dtype": "float32", "shape": [2], "offset": 4, "nbytes": 8}]}, b"\0" * 12),
        ({"tree": None, "tensors": [{"dtype": "float32", "shape": [2**40, 2**40], "offset": 0,
                                     "nbytes": 2**82}]}, b""),
        ({"tree": None, "tensors": ["x"]}, b""),
    ],
    ids=["index-out-of-range", "negative-index", "no-tensors", "not-object", "unknown-node", "dtype-function",
         "dtype-dunder", "float-not-special", "int-not-decimal", "list-without-items", "unhashable-key",
         "dict-bad-item", "size-not-ints", "bad-dtype", "nbytes-mismatch", "negative-shape", "data-missing",
         "offset-gap", "huge-shape", "entry-not-object"],
)
def test_forged_headers_raise_runtime_error(header, data):
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(forge(header, data)))


def test_invalid_json_and_huge_header_length():
    bad_json = MAGIC + struct.pack("<Q", 5) + b"{nope"
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(bad_json))
    not_utf8 = MAGIC + struct.pack("<Q", 2) + b"\xff\xfe"
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(not_utf8))
    huge = MAGIC + struct.pack("<Q", 2**63) + b"{}"
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(huge))
    raw = ('{"tree": ' + "[" * 100000 + "]" * 100000 + ', "tensors": []}').encode()
    with pytest.raises(RuntimeError, match="embertorch.load"):
        torch.load(io.BytesIO(MAGIC + struct.pack("<Q", len(raw)) + raw))


class _Boom:
    """Unpickling this would create a marker file: loading must not do it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_payload_is_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Boom(str(marker)), protocol=2)
    with pytest.raises(NotImplementedError, match="pickle/zip checkpoints are not supported"):
        torch.load(io.BytesIO(payload))
    assert not marker.exists()
    # the same payload placed where an embertorch header would be is just invalid data
    with pytest.raises(RuntimeError):
        torch.load(io.BytesIO(MAGIC + struct.pack("<Q", len(payload)) + payload))
    assert not marker.exists()


def test_zip_checkpoint_not_supported():
    with pytest.raises(NotImplementedError, match="not supported"):
        torch.load(io.BytesIO(b"PK\x03\x04" + b"\0" * 40))


def test_header_is_plain_json_describing_the_tensors():
    """The documented layout: magic, uint64 header length, JSON header, raw little-endian data."""
    t = torch.tensor([[1.5, -2.0], [3.0, 4.25]], dtype=torch.float32)
    data = saved_bytes({"w": t.t()})
    (n,) = struct.unpack_from("<Q", data, len(MAGIC))
    header = json.loads(data[len(MAGIC) + 8: len(MAGIC) + 8 + n])
    (entry,) = header["tensors"]
    assert entry["dtype"] == "float32" and entry["shape"] == [2, 2] and entry["nbytes"] == 16
    body = data[len(MAGIC) + 8 + n:]
    np.testing.assert_array_equal(np.frombuffer(body, dtype="<f4").reshape(2, 2), t.numpy().T)
