"""The Tensor object's API: Size, devices, metadata, conversions, legacy types, Python
protocols, and the autograd attributes. Expected values are closed forms or numpy."""

import math
import pickle

import embertorch as torch
import numpy as np
import pytest
from _helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, NP, dtype_name

# --- Size --------------------------------------------------------------------------------


def test_size_is_a_tuple_subclass():
    s = torch.zeros(2, 3).shape
    assert isinstance(s, torch.Size)
    assert isinstance(s, tuple)
    assert s == (2, 3)
    assert (2, 3) == s
    assert s != (3, 2)
    assert s == torch.Size([2, 3])
    assert hash(s) == hash((2, 3))
    assert list(s) == [2, 3]
    assert len(s) == 2


def test_size_repr_and_str():
    assert repr(torch.Size([2, 3])) == "torch.Size([2, 3])"
    assert str(torch.Size([2, 3])) == "torch.Size([2, 3])"
    assert repr(torch.Size([])) == "torch.Size([])"
    assert repr(torch.zeros(()).shape) == "torch.Size([])"
    assert repr(torch.zeros(4).shape) == "torch.Size([4])"


def test_size_indexing_and_slicing():
    s = torch.Size([2, 3, 4])
    assert s[0] == 2 and s[-1] == 4
    assert isinstance(s[0], int)
    assert s[1:] == (3, 4)
    assert isinstance(s[1:], torch.Size)
    assert repr(s[::2]) == "torch.Size([2, 4])"
    with pytest.raises(IndexError):
        s[3]


def test_size_arithmetic_and_numel():
    s = torch.Size([2, 3])
    assert isinstance(s + (4,), torch.Size) and s + (4,) == (2, 3, 4)
    assert (4,) + s == (4, 2, 3)
    assert s * 2 == (2, 3, 2, 3)
    assert s.numel() == 6
    assert torch.Size([]).numel() == 1
    assert torch.Size([3, 0]).numel() == 0


def test_size_pickles():
    s = torch.Size([5, 1])
    r = pickle.loads(pickle.dumps(s))
    assert r == s and isinstance(r, torch.Size)


def test_size_rejects_non_ints():
    with pytest.raises(TypeError):
        torch.Size([2.5])
    assert torch.Size([torch.tensor(3)]) == (3,)
    assert torch.Size([np.int64(3)]) == (3,)


def test_size_accepted_where_sizes_are():
    s = torch.Size([2, 3])
    assert torch.zeros(s).shape == s
    assert torch.ones(2, 6).view(s[::-1] + (2,)).shape == (3, 2, 2)
    assert torch.zeros(4, 3).reshape(torch.Size([3, 4])).shape == (3, 4)


# --- devices -----------------------------------------------------------------------------


def test_device_objects():
    d = torch.device("cpu")
    assert d.type == "cpu" and d.index is None
    assert repr(d) == "device(type='cpu')"
    assert str(d) == "cpu"
    assert torch.device("cpu", 0).index == 0
    assert repr(torch.device("cpu:0")) == "device(type='cpu', index=0)"
    assert d == torch.device("cpu")
    assert d != torch.device("cpu", 0)
    assert hash(d) == hash(torch.device("cpu"))
    c = torch.device("cuda", 1)
    assert c.type == "cuda" and c.index == 1 and str(c) == "cuda:1"
    assert torch.device(d) == d
    assert pickle.loads(pickle.dumps(c)) == c


def test_device_errors():
    with pytest.raises(RuntimeError):
        torch.device("foo")
    with pytest.raises(RuntimeError):
        torch.device("cpu:0", 1)
    with pytest.raises(RuntimeError):
        torch.device("cuda", -1)
    with pytest.raises(TypeError):
        torch.device(2.5)


def test_tensor_device_attributes():
    t = torch.zeros(2, device="cpu")
    assert t.device == torch.device("cpu")
    assert t.device.type == "cpu"
    assert t.is_cpu and not t.is_cuda
    assert torch.zeros(2, device=torch.device("cpu")).device.type == "cpu"
    assert t.cpu() is t


def test_cuda_is_refused_cleanly():
    t = torch.zeros(2)
    with pytest.raises(RuntimeError):
        t.to("cuda")
    with pytest.raises(RuntimeError):
        torch.zeros(2, device="cuda")
    with pytest.raises(RuntimeError):
        t.to("foo")


# --- metadata ----------------------------------------------------------------------------


def test_metadata_contiguous():
    t = torch.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4)
    assert isinstance(t.size(), torch.Size)
    assert t.size(0) == 2 and t.size(-1) == 4
    assert t.dim() == 3 and t.ndim == 3 and t.ndimension() == 3
    assert t.numel() == 24 and t.nelement() == 24 and torch.numel(t) == 24
    assert len(t) == 2
    assert t.stride() == (12, 4, 1) and t.stride(0) == 12 and t.stride(-1) == 1
    assert isinstance(t.stride(), tuple)
    assert t.storage_offset() == 0
    assert t.is_contiguous()
    assert t.element_size() == 4 and t.itemsize == 4 and t.nbytes == 96


def test_metadata_zero_dim_and_empty():
    s = torch.zeros(())
    assert s.shape == () and s.dim() == 0 and s.numel() == 1 and s.stride() == ()
    e = torch.zeros(0, 3)
    assert e.numel() == 0 and len(e) == 0 and e.shape == (0, 3)
    assert e.is_contiguous()
    with pytest.raises(IndexError):
        torch.zeros(2, 3).size(2)
    with pytest.raises(IndexError):
        torch.zeros(2, 3).stride(-3)


def test_metadata_of_views():
    t = torch.arange(12.0).reshape(3, 4)
    assert t.t().stride() == (1, 4)
    assert not t.t().is_contiguous()
    assert t[1].storage_offset() == 4
    assert t[:, 1].storage_offset() == 1 and t[:, 1].stride() == (4,)
    assert t[1:, 2:].storage_offset() == 6
    assert t[:1].is_contiguous()
    assert not t[:, :1].is_contiguous()
    # Size-1 dims and empty tensors are contiguous whatever their strides.
    assert torch.zeros(3, 1).t().is_contiguous()
    assert torch.zeros(0, 3).t().is_contiguous()
    assert not torch.zeros(2, 3).expand(4, 2, 3).is_contiguous()


def test_data_ptr():
    t = torch.arange(12.0).reshape(3, 4)
    assert t.data_ptr() != 0
    assert t[0].data_ptr() == t.data_ptr()
    assert t[1].data_ptr() - t.data_ptr() == 4 * 4
    assert t[:, 2].data_ptr() - t.data_ptr() == 2 * 4
    assert t.view(12).data_ptr() == t.data_ptr()
    assert t.clone().data_ptr() != t.data_ptr()
    d = torch.zeros(3, dtype=torch.float64)
    assert d[2].data_ptr() - d.data_ptr() == 16


def test_contiguous():
    t = torch.arange(6.0).reshape(2, 3)
    assert t.contiguous() is t
    c = t.t().contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1)
    assert c.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert c.data_ptr() != t.data_ptr()


# --- type() and conversions ----------------------------------------------------------------

LEGACY_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=dtype_name)
def test_type_strings(dt):
    legacy = LEGACY_NAMES[dtype_name(dt)]
    assert torch.zeros(2, dtype=dt).type() == f"torch.{legacy}"
    cls = getattr(torch, legacy)
    assert isinstance(torch.zeros(2, dtype=dt), cls)
    assert torch.zeros(2).type(cls).dtype is dt
    assert torch.zeros(2).type(f"torch.{legacy}").dtype is dt
    assert torch.zeros(2).type(dt).dtype is dt


def test_type_conversions():
    t = torch.tensor([1.5, -2.5])
    assert t.type(torch.float64).type() == "torch.DoubleTensor"
    assert t.type(torch.float64).tolist() == [1.5, -2.5]
    assert t.type(torch.IntTensor).tolist() == [1, -2]
    assert t.type("torch.LongTensor").dtype is torch.int64
    assert t.type(torch.float32) is t
    with pytest.raises(ValueError):
        t.type("torch.Foo")
    with pytest.raises(ValueError):
        t.type("DoubleTensor")
    assert not isinstance(torch.zeros(2), torch.LongTensor)


def test_legacy_constructors():
    t = torch.Tensor(2, 3)
    assert t.shape == (2, 3) and t.dtype is torch.float32
    t = torch.Tensor([1, 2])
    assert t.dtype is torch.float32 and t.tolist() == [1.0, 2.0]
    assert torch.Tensor().shape == (0,)
    assert torch.Tensor(torch.Size([4])).shape == (4,)
    assert torch.Tensor([[1, 2], [3, 4]]).shape == (2, 2)
    f = torch.FloatTensor(2, 3)
    assert f.shape == (2, 3) and f.dtype is torch.float32
    f = torch.FloatTensor([1, 2.5])
    assert f.dtype is torch.float32 and f.tolist() == [1.0, 2.5]
    l = torch.LongTensor([1, 2])
    assert l.dtype is torch.int64 and l.tolist() == [1, 2]
    assert torch.LongTensor(3).shape == (3,)
    assert torch.DoubleTensor([0.1]).tolist() == [0.1]
    assert torch.ByteTensor([255]).tolist() == [255]
    assert torch.BoolTensor([1, 0]).tolist() == [True, False]
    assert torch.IntTensor(torch.Size([2])).dtype is torch.int32
    assert torch.Tensor([1, 2]).type() == "torch.FloatTensor"


def test_legacy_constructor_errors():
    with pytest.raises(TypeError):
        torch.Tensor(2.5)
    with pytest.raises(RuntimeError):
        torch.Tensor(-1)
    with pytest.raises(TypeError):
        torch.Tensor([1, 2], foo=1)


@pytest.mark.parametrize(
    "method,dt",
    [
        ("float", torch.float32),
        ("double", torch.float64),
        ("half", torch.float16),
        ("bfloat16", torch.bfloat16),
        ("long", torch.int64),
        ("int", torch.int32),
        ("short", torch.int16),
        ("char", torch.int8),
        ("byte", torch.uint8),
        ("bool", torch.bool),
    ],
)
def test_conversion_methods(method, dt):
    src = torch.tensor([[0.0, 1.0, 2.75], [-3.5, 100.0, 0.5]])
    out = getattr(src, method)()
    assert out.dtype is dt and out.shape == (2, 3)
    vals = np.array([[0.0, 1.0, 2.75], [-3.5, 100.0, 0.5]])
    if dt is torch.bool:
        expected = (vals != 0).tolist()
    elif dt.is_floating_point:
        expected = vals.tolist()
    elif dt is torch.uint8:
        expected = np.trunc(np.abs(vals)).tolist()  # only nonnegatives are in range
        out = getattr(src.abs(), method)()
    else:
        expected = np.trunc(vals).astype(np.int64).tolist()
    assert out.tolist() == expected
    # Converting to the dtype a tensor already has returns the tensor itself.
    assert getattr(out, method)() is out


@pytest.mark.parametrize("src", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("dst", ALL_DTYPES, ids=dtype_name)
def test_to_dtype_every_pair(src, dst):
    values = [0, 1, 5, 100, 127]
    t = torch.tensor(values, dtype=src)
    r = t.to(dst)
    assert r.dtype is dst and r.shape == (5,)
    ref = np.array(values).astype(NP[src]).astype(NP[dst])
    if dst is torch.bfloat16:
        ref = np.array([0, 1, 5, 100, 127], np.float32)
        if src is torch.bool:
            ref = (ref != 0).astype(np.float32)
    assert r.tolist() == ref.tolist()


def test_to_forms():
    t = torch.arange(6.0).reshape(2, 3)
    assert t.to(torch.float64).dtype is torch.float64
    assert t.to(dtype=torch.int8).dtype is torch.int8
    assert t.to("cpu") is t
    assert t.to(torch.device("cpu")) is t
    assert t.to("cpu", torch.int32).dtype is torch.int32
    assert t.to(device="cpu", dtype=torch.float64).dtype is torch.float64
    assert t.to(torch.zeros(1, dtype=torch.int16)).dtype is torch.int16
    assert t.to(t) is t
    assert t.to(torch.float32) is t
    c = t.to(torch.float32, copy=True)
    assert c is not t and c.data_ptr() != t.data_ptr() and c.tolist() == t.tolist()
    assert t.to(float).dtype is torch.float64
    assert t.to(int).dtype is torch.int64
    assert t.to(bool).dtype is torch.bool
    assert t.to(torch.float64, non_blocking=True).dtype is torch.float64


def test_clone_and_cpu():
    t = torch.arange(6).reshape(2, 3).t()
    c = t.clone()
    assert c.tolist() == t.tolist() and c.data_ptr() != t.data_ptr()
    c[0, 0] = 100
    assert t[0, 0].item() == 0
    assert t.cpu() is t


# --- values ------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=dtype_name)
def test_item_and_tolist_give_python_types(dt):
    t = torch.tensor([[1, 0], [1, 1]], dtype=dt)
    kind = bool if dt is torch.bool else float if dt.is_floating_point else int
    v = t[0, 0].item()
    assert type(v) is kind and v == 1
    lst = t.tolist()
    assert isinstance(lst, list) and isinstance(lst[0], list)
    assert all(type(x) is kind for row in lst for x in row)
    assert lst == [[1, 0], [1, 1]]
    assert type(t[0, 0].tolist()) is kind


def test_item_and_tolist_values():
    assert torch.tensor([1.5]).item() == 1.5
    assert torch.tensor([[2]]).item() == 2
    assert torch.tensor(0.1).item() == np.float32(0.1).item()
    assert torch.tensor(0.1, dtype=torch.float64).item() == 0.1
    assert torch.tensor([0.1], dtype=torch.bfloat16).tolist() == [0.10009765625]
    assert torch.tensor(3.5).tolist() == 3.5
    assert torch.zeros(2, 0).tolist() == [[], []]
    assert torch.zeros(0).tolist() == []
    assert torch.arange(6).reshape(2, 1, 3).tolist() == [[[0, 1, 2]], [[3, 4, 5]]]
    assert torch.arange(6).reshape(2, 3).t().tolist() == [[0, 3], [1, 4], [2, 5]]
    assert torch.tensor(2**62).item() == 2**62
    assert math.isnan(torch.tensor(float("nan")).item())


def test_item_errors():
    with pytest.raises(RuntimeError):
        torch.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError):
        torch.tensor([]).item()


def test_float_int_bool_index():
    assert float(torch.tensor([1.5])) == 1.5
    assert float(torch.tensor(True)) == 1.0
    assert int(torch.tensor(2.9)) == 2
    assert int(torch.tensor(-2.9)) == -2
    assert int(torch.tensor([[3]])) == 3
    assert int(torch.tensor(True)) == 1
    assert type(int(torch.tensor(2.0))) is int and type(float(torch.tensor(2))) is float
    assert bool(torch.tensor([0.0])) is False
    assert bool(torch.tensor(3)) is True
    assert bool(torch.tensor(float("nan"))) is True
    assert [10, 20, 30][torch.tensor(1)] == 20
    assert [10, 20, 30][torch.tensor([2])] == 30
    assert range(10)[torch.tensor(3)] == 3
    assert hex(torch.tensor(255)) == "0xff"
    assert complex(torch.tensor(2.0)) == 2 + 0j


def test_scalar_conversion_errors():
    with pytest.raises(ValueError, match="only one element tensors"):
        float(torch.tensor([1.5, 2.0]))
    with pytest.raises(ValueError):
        int(torch.tensor([]))
    with pytest.raises(ValueError):
        int(torch.tensor(float("nan")))
    with pytest.raises(OverflowError):
        int(torch.tensor(float("inf")))
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="no values is ambiguous"):
        bool(torch.tensor([]))
    with pytest.raises(TypeError):
        [1, 2, 3][torch.tensor(1.0)]
    with pytest.raises(TypeError):
        [1, 2, 3][torch.tensor([1, 2])]
    with pytest.raises(RuntimeError):
        if torch.ones(2):
            pass


def test_len_and_iter():
    t = torch.arange(6).reshape(3, 2)
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, torch.Tensor) for r in rows)
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    assert [x.item() for x in torch.tensor([1.5, 2.5])] == [1.5, 2.5]
    # Iteration yields views.
    rows[1][0] = 99
    assert t[1, 0].item() == 99
    assert list(torch.zeros(0, 2)) == []
    with pytest.raises(TypeError):
        len(torch.tensor(1))
    with pytest.raises(TypeError):
        iter(torch.tensor(1))
    a, b = torch.tensor([1, 2])
    assert (a.item(), b.item()) == (1, 2)


def test_format():
    assert f"{torch.tensor(1.2345):.2f}" == "1.23"
    assert f"{torch.tensor(12345.0):.1e}" == "1.2e+04"
    assert f"{torch.tensor(3):d}" == "3"
    assert f"{torch.tensor(3):>4}" == "   3"
    assert f"{torch.tensor([1.25])}" == "tensor([1.2500])"
    assert format(torch.tensor([1, 2]), "") == "tensor([1, 2])"
    with pytest.raises(TypeError):
        f"{torch.tensor([1.2345]):.2f}"


# --- autograd attributes -------------------------------------------------------------------


def test_requires_grad_attributes():
    x = torch.ones(2)
    assert x.requires_grad is False and x.is_leaf is True
    assert x.grad is None and x.grad_fn is None
    x = torch.ones(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    assert y.grad_fn is not None and y.grad_fn.name() == "MulBackward0"
    z = torch.zeros(3)
    assert z.requires_grad_() is z and z.requires_grad
    z.requires_grad = False
    assert not z.requires_grad
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert x.clone().grad_fn.name() == "CloneBackward0"
    assert x.double().grad_fn.name() == "ToCopyBackward0"
    assert x.float() is x
    assert not x.long().requires_grad


def test_requires_grad_errors():
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor(1, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.zeros(2, dtype=torch.int32).requires_grad_()
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError):
        y.requires_grad = False


def test_grad_is_set_by_backward():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert x.grad.requires_grad is False
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError):
        x.grad = torch.zeros(3)


def test_values_of_requires_grad_tensors():
    x = torch.tensor([1.5, 2.5], requires_grad=True)
    assert x.tolist() == [1.5, 2.5]
    assert x[0].item() == 1.5
    assert float(x[1]) == 2.5


# --- new_* ----------------------------------------------------------------------------------


def test_new_methods_keep_dtype():
    t = torch.zeros(2, dtype=torch.float64)
    assert t.new_tensor([1, 2]).dtype is torch.float64
    assert t.new_zeros(2, 3).shape == (2, 3) and t.new_zeros(2, 3).dtype is torch.float64
    assert t.new_ones((2,)).tolist() == [1.0, 1.0]
    assert t.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert t.new_empty(4).shape == (4,)
    assert t.new_zeros(2, dtype=torch.int8).dtype is torch.int8


@pytest.mark.parametrize("dt", FLOAT_DTYPES + INT_DTYPES, ids=dtype_name)
def test_is_signed(dt):
    assert torch.zeros(1, dtype=dt).is_signed() is (dt is not torch.uint8)
