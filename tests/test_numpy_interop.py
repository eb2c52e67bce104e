"""numpy interop without copies: from_numpy, as_tensor, .numpy(), np.asarray, ufuncs and
DLPack. Sharing is checked by writing on one side and reading on the other, and by
comparing data pointers; lifetimes by dropping the original and collecting garbage."""

import gc

import embertorch as torch
import numpy as np
import pytest
from _helpers import dtype_name

SUPPORTED = {
    np.bool_: torch.bool,
    np.uint8: torch.uint8,
    np.int8: torch.int8,
    np.int16: torch.int16,
    np.int32: torch.int32,
    np.int64: torch.int64,
    np.float16: torch.float16,
    np.float32: torch.float32,
    np.float64: torch.float64,
}
UNSUPPORTED = [
    np.uint16,
    np.uint32,
    np.uint64,
    np.complex64,
    np.complex128,
    np.str_,
    np.object_,
    "datetime64[s]",
]


def addr(a):
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("npdt", list(SUPPORTED), ids=lambda d: d.__name__)
def test_from_numpy_every_dtype_shares_memory(npdt):
    a = (np.arange(6).reshape(2, 3) % 2).astype(npdt)
    t = torch.from_numpy(a)
    assert t.dtype is SUPPORTED[npdt]
    assert t.shape == (2, 3) and t.stride() == (3, 1)
    assert t.data_ptr() == addr(a)
    assert t.tolist() == a.tolist()
    a[0, 0] = 1
    assert t[0, 0].item() == 1
    t[1, 2] = 0
    assert a[1, 2] == 0
    back = t.numpy()
    assert back.dtype == np.dtype(npdt) and addr(back) == addr(a)


def test_from_numpy_non_contiguous_arrays():
    base = np.arange(24.0).reshape(4, 6)
    for a in [base.T, base[:, ::2], base[1:3, 1:5:3], base[::2, ::3].T]:
        t = torch.from_numpy(a)
        assert t.shape == a.shape
        assert t.stride() == tuple(s // 8 for s in a.strides)
        assert t.data_ptr() == addr(a)
        np.testing.assert_array_equal(t.numpy(), a)
        before = a.copy()
        t.mul_(-1)
        np.testing.assert_array_equal(a, -before)
        t.mul_(-1)
    np.testing.assert_array_equal(base, np.arange(24.0).reshape(4, 6))


def test_from_numpy_zero_dim_and_empty():
    t = torch.from_numpy(np.array(3.5))
    assert t.shape == () and t.item() == 3.5
    assert torch.from_numpy(np.zeros((0, 3))).shape == (0, 3)


def test_from_numpy_keeps_the_array_alive():
    a = np.arange(1000.0)
    t = torch.from_numpy(a)
    del a
    gc.collect()
    _ = [np.ones(1000) for _ in range(50)]  # churn the allocator
    assert t.sum().item() == sum(range(1000))
    v = torch.from_numpy(np.arange(10.0)[2:8:2])
    gc.collect()
    assert v.tolist() == [2.0, 4.0, 6.0]


def test_numpy_keeps_the_tensor_alive():
    t = torch.arange(1000.0)
    a = t.numpy()
    del t
    gc.collect()
    _ = [torch.ones(1000) for _ in range(50)]
    assert a.sum() == sum(range(1000))
    b = torch.arange(12.0).reshape(3, 4).t().numpy()
    gc.collect()
    np.testing.assert_array_equal(b, np.arange(12.0).reshape(3, 4).T)


@pytest.mark.parametrize("dt", list(SUPPORTED.values()), ids=dtype_name)
def test_tensor_numpy_every_dtype_shares_memory(dt):
    t = torch.zeros(2, 3, dtype=dt)
    a = t.numpy()
    assert a.dtype == np.dtype({v: k for k, v in SUPPORTED.items()}[dt])
    assert addr(a) == t.data_ptr()
    a[1, 1] = 1
    assert t[1, 1].item() == 1
    t[0, 2] = 1
    assert a[0, 2] == 1


def test_numpy_of_views():
    t = torch.arange(12.0).reshape(3, 4)
    for v in [t.t(), t[:, 1::2], t[1:], t[2, 1:3], t.expand(2, 3, 4)]:
        a = v.numpy()
        assert a.shape == tuple(v.shape)
        assert a.strides == tuple(s * 4 for s in v.stride())
        assert addr(a) == v.data_ptr()
        np.testing.assert_array_equal(a, np.asarray(v.tolist()))
    a = t.t().numpy()
    a[0, 1] = -5
    assert t[1, 0].item() == -5
    assert torch.tensor(3.0).numpy().shape == ()
    assert torch.zeros(0, 3).numpy().shape == (0, 3)


def test_np_asarray_shares_and_np_array_copies():
    t = torch.arange(3.0)
    a = np.asarray(t)
    assert addr(a) == t.data_ptr()
    a[0] = 10
    assert t[0].item() == 10
    c = np.array(t)
    c[1] = 20
    assert t[1].item() == 1.0
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and d.tolist() == [10.0, 1.0, 2.0]
    assert np.asarray(torch.arange(6).reshape(2, 3).t()).tolist() == [[0, 3], [1, 4], [2, 5]]


def test_as_tensor_shares_when_it_can():
    a = np.arange(6.0)
    t = torch.as_tensor(a)
    assert t.data_ptr() == addr(a) and t.dtype is torch.float64
    t[0] = 7
    assert a[0] == 7
    f = torch.as_tensor(a, dtype=torch.float32)
    assert f.dtype is torch.float32
    f[1] = 9
    assert a[1] == 1.0  # a dtype change copies
    s = torch.as_tensor(np.arange(6.0).reshape(2, 3).T)
    assert s.stride() == (1, 3)
    x = torch.ones(3)
    assert torch.as_tensor(x) is x
    assert torch.as_tensor(x, dtype=torch.float64).dtype is torch.float64
    assert torch.as_tensor([1, 2]).dtype is torch.int64
    assert torch.as_tensor(3.5).shape == ()


def test_negative_strides_are_refused():
    a = np.arange(6.0)[::-1]
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(a)
    with pytest.raises(ValueError):
        torch.as_tensor(a)
    with pytest.raises(ValueError):
        torch.from_numpy(np.arange(6.0).reshape(2, 3)[:, ::-1])
    assert torch.from_numpy(a.copy()).tolist() == [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]


@pytest.mark.parametrize("npdt", UNSUPPORTED, ids=str)
def test_unsupported_numpy_dtypes(npdt):
    if npdt in (np.str_, np.object_):
        a = np.array(["a", "b"] if npdt is np.str_ else [1, "x"], dtype=npdt)
    else:
        a = np.zeros(3, dtype=npdt)
    # (PyTorch has unsigned 16-64 bit and complex dtypes; embertorch does not, and says so.)
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        torch.from_numpy(a)


def test_from_numpy_argument_errors():
    with pytest.raises(TypeError):
        torch.from_numpy([1, 2])
    with pytest.raises(TypeError):
        torch.from_numpy(np.float64(1.0))
    with pytest.raises(TypeError):
        torch.from_numpy(torch.ones(2))


def test_byte_swapped_arrays_are_refused():
    with pytest.raises(ValueError, match="byte order"):
        torch.from_numpy(np.arange(3, dtype=">i4"))


def test_read_only_arrays_warn():
    a = np.arange(3.0)
    a.flags.writeable = False
    with pytest.warns(UserWarning, match="not writable"):
        t = torch.from_numpy(a)
    assert t.tolist() == [0.0, 1.0, 2.0]


def test_numpy_of_requires_grad_tensor():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        x.numpy()
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        np.asarray(x)
    assert x.detach().numpy().tolist() == [1.0, 1.0]
    assert x.numpy(force=True).tolist() == [1.0, 1.0]
    y = x * 2
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        y.numpy()


def test_bfloat16_numpy_is_refused():
    with pytest.raises(TypeError):
        torch.ones(2, dtype=torch.bfloat16).numpy()
    with pytest.raises(TypeError):
        np.asarray(torch.ones(2, dtype=torch.bfloat16))


# --- ufuncs and numpy scalars ---------------------------------------------------------------------


def test_numpy_ufuncs_on_tensors_give_tensors():
    r = np.exp(torch.tensor([0, 1]))
    assert isinstance(r, torch.Tensor) and r.dtype is torch.float64
    np.testing.assert_allclose(r.numpy(), np.exp([0, 1]))
    r = np.exp(torch.tensor([0.0, 1.0]))
    assert isinstance(r, torch.Tensor) and r.dtype is torch.float32
    r = np.add(torch.tensor([1, 2]), 1)
    assert isinstance(r, torch.Tensor) and r.tolist() == [2, 3]
    r = np.sqrt(torch.arange(4.0).reshape(2, 2).t())
    np.testing.assert_allclose(r.numpy(), np.sqrt(np.arange(4.0).reshape(2, 2).T))


def test_numpy_scalars_as_operands():
    assert (torch.ones(2) * np.float64(2)).dtype is torch.float32
    assert (np.float32(2) * torch.ones(2)).tolist() == [2.0, 2.0]
    assert (torch.ones(2, dtype=torch.int64) * np.float64(2)).dtype is torch.float32
    assert (torch.ones(2, dtype=torch.int32) + np.int64(2)).dtype is torch.int32
    assert isinstance(np.int64(2) + torch.ones(2, dtype=torch.int32), torch.Tensor)
    assert torch.zeros(np.int64(3)).shape == (3,)
    assert torch.ones(2, 3)[np.int64(1)].shape == (3,)


# --- DLPack ---------------------------------------------------------------------------------------


def test_dlpack_device():
    dev = torch.ones(2).__dlpack_device__()
    assert tuple(int(x) for x in dev) == (1, 0)


@pytest.mark.parametrize("dt", list(SUPPORTED.values()), ids=dtype_name)
def test_np_from_dlpack_shares_memory(dt):
    t = torch.zeros(2, 3, dtype=dt)
    a = np.from_dlpack(t)
    assert a.shape == (2, 3) and addr(a) == t.data_ptr()
    t[1, 2] = 1
    assert a[1, 2] == 1


def test_np_from_dlpack_views_and_lifetime():
    t = torch.arange(6.0).reshape(2, 3).t()
    a = np.from_dlpack(t)
    assert a.strides == (4, 12)
    np.testing.assert_array_equal(a, np.arange(6.0).reshape(2, 3).T)
    v = torch.arange(10.0)[3:7]
    b = np.from_dlpack(v)
    assert addr(b) == v.data_ptr() and b.tolist() == [3.0, 4.0, 5.0, 6.0]
    del t, v
    gc.collect()
    assert a.sum() == 15.0 and b.sum() == 18.0


@pytest.mark.parametrize("npdt", list(SUPPORTED), ids=lambda d: d.__name__)
def test_from_dlpack_numpy_shares_memory(npdt):
    a = np.zeros((3, 2), dtype=npdt)
    t = torch.from_dlpack(a)
    assert t.dtype is SUPPORTED[npdt] and t.shape == (3, 2)
    assert t.data_ptr() == addr(a)
    t[2, 1] = 1
    assert a[2, 1] == 1


def test_from_dlpack_numpy_views_and_lifetime():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = torch.from_dlpack(a)
    assert t.stride() == (4, 2) and t.data_ptr() == addr(a)
    del a
    gc.collect()
    assert t.tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]


def test_dlpack_round_trips():
    t = torch.arange(5.0)
    back = torch.from_dlpack(np.from_dlpack(t))
    assert back.data_ptr() == t.data_ptr()
    back[0] = 42
    assert t[0].item() == 42
    u = torch.from_dlpack(t)
    assert u.data_ptr() == t.data_ptr()
    cap = t.__dlpack__()
    w = torch.from_dlpack(cap)
    assert w.data_ptr() == t.data_ptr()
    with pytest.raises(RuntimeError):
        torch.from_dlpack(cap)  # a capsule is consumed once


def test_dlpack_errors():
    with pytest.raises(BufferError, match=r"detach\(\)"):
        np.from_dlpack(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError):
        torch.from_dlpack([1, 2])
    with pytest.raises(RuntimeError):  # numpy has no bfloat16
        np.from_dlpack(torch.ones(2, dtype=torch.bfloat16))
