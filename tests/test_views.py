"""Views and layout ops: values, strides, storage offsets, storage sharing and errors.

fixtures/views.json holds, for each expression applied to a base tensor, what PyTorch
gives (generated once by scripts/make_test_fixtures.py): shape, strides, storage offset,
whether the result shares the base's storage, and the values, or the exception type.
The direct tests below check values against numpy and sharing by writing through views.
"""

import json
import warnings
from pathlib import Path

import embertorch as torch
import numpy as np
import pytest
from _helpers import shares_storage
from hypothesis import given, settings
from hypothesis import strategies as st

CASES = json.loads((Path(__file__).parent / "fixtures" / "views.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[f"{c['base']}|{c['expr']}" for c in CASES])
def test_views_match_pytorch(case):
    x = eval(case["base"], {"torch": torch})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "error" in case:
            with pytest.raises(Exception) as info:
                eval(case["expr"], {"torch": torch, "x": x})
            assert type(info.value).__name__ == case["error"], info.value
            return
        r = eval(case["expr"], {"torch": torch, "x": x})
    assert list(r.shape) == case["shape"]
    assert r.reshape(-1).tolist() == case["values"]
    if r.numel() > 1:
        # Strides of size-1 dims and of empty tensors carry no meaning.
        got = [s for s, n in zip(r.stride(), r.shape) if n != 1]
        want = [s for s, n in zip(case["stride"], case["shape"]) if n != 1]
        assert got == want
    if r.numel() > 0:
        assert r.storage_offset() == case["offset"]
        assert shares_storage(r, x) == case["shares"]


# --- view / reshape --------------------------------------------------------------------------


def test_view_shares_storage_and_writes_through():
    base = torch.arange(12.0)
    v = base.view(3, 4)
    assert shares_storage(v, base) and v.data_ptr() == base.data_ptr()
    v[1, 2] = -1.0
    assert base[6].item() == -1.0
    base[0] = 100.0
    assert v[0, 0].item() == 100.0
    assert v._base is not None and v._base.data_ptr() == base.data_ptr()
    assert base._base is None


def test_reshape_views_when_possible_and_copies_otherwise():
    x = torch.arange(12.0).reshape(3, 4)
    r = x.reshape(4, 3)
    assert shares_storage(r, x)
    t = x.t()
    c = t.reshape(12)
    assert not shares_storage(c, x)
    np.testing.assert_array_equal(c.numpy(), np.arange(12.0).reshape(3, 4).T.reshape(12))
    c[0] = 99
    assert x[0, 0].item() == 0.0
    # A transpose reshaped along its own split stays a view.
    assert shares_storage(t.reshape(2, 2, 3), x)
    with pytest.raises(RuntimeError, match="view"):
        t.view(12)


@pytest.mark.parametrize("shape", [(6, 4), (2, -1), (-1,), (4, 3, 2), (1, 24), (24, 1, 1)])
def test_view_values_vs_numpy(shape):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = torch.tensor(a)
    np.testing.assert_array_equal(x.view(shape).numpy(), a.reshape(shape))
    np.testing.assert_array_equal(x.view(*shape).numpy(), a.reshape(shape))
    np.testing.assert_array_equal(x.reshape(shape).numpy(), a.reshape(shape))


def test_view_errors():
    x = torch.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(RuntimeError):
        x.view(5, 5)
    with pytest.raises(RuntimeError):
        x.view(-1, -1)
    with pytest.raises(RuntimeError):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError):
        x.reshape(7, -1)
    with pytest.raises(RuntimeError):
        x.transpose(0, 1).view(-1)
    with pytest.raises(TypeError):
        x.view(2.5, 4)
    with pytest.raises(RuntimeError):
        x.view(-2, 12)


def test_view_as_reshape_as():
    x = torch.arange(6.0)
    y = torch.zeros(2, 3)
    assert x.view_as(y).shape == (2, 3) and shares_storage(x.view_as(y), x)
    assert x.reshape_as(y).tolist() == [[0, 1, 2], [3, 4, 5]]


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.permutations(range(4)),
)
@settings(max_examples=60, deadline=None)
def test_permute_reshape_match_numpy(sizes, perm):
    perm = [p for p in perm if p < len(sizes)]
    a = np.arange(int(np.prod(sizes)), dtype=np.float64).reshape(sizes)
    x = torch.tensor(a)
    p = x.permute(*perm)
    ap = a.transpose(perm)
    np.testing.assert_array_equal(p.numpy(), ap)
    assert p.stride() == tuple(a.strides[i] // 8 for i in perm)
    np.testing.assert_array_equal(p.reshape(-1).numpy(), ap.reshape(-1))
    np.testing.assert_array_equal(p.contiguous().numpy(), ap)
    assert p.contiguous().is_contiguous()


# --- flatten / unflatten / transpose / permute / movedim -------------------------------------


def test_flatten_unflatten():
    a = np.arange(24).reshape(2, 3, 4)
    x = torch.tensor(a)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(-2, -1).shape == (2, 12)
    assert torch.tensor(5).flatten().shape == (1,)
    assert x.unflatten(1, (3, 1)).shape == (2, 3, 1, 4)
    assert x.unflatten(-1, (2, -1)).shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(x.unflatten(2, (2, 2)).numpy(), a.reshape(2, 3, 2, 2))
    with pytest.raises(RuntimeError):
        x.flatten(2, 1)
    with pytest.raises(RuntimeError):
        x.unflatten(1, (2, 2))
    with pytest.raises(IndexError):
        x.flatten(0, 3)


def test_transposes():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = torch.tensor(a)
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(x.transpose(-1, -2).numpy(), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(x.mT.numpy(), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(x.swapaxes(0, 1).numpy(), a.swapaxes(0, 1))
    np.testing.assert_array_equal(x.swapdims(0, 1).numpy(), a.swapaxes(0, 1))
    m = torch.tensor(a[0])
    np.testing.assert_array_equal(m.t().numpy(), a[0].T)
    np.testing.assert_array_equal(m.T.numpy(), a[0].T)
    assert torch.arange(3).t().shape == (3,)
    assert m.t().stride() == (1, 4)
    with pytest.raises(RuntimeError):
        x.t()
    with pytest.raises(IndexError):
        x.transpose(0, 3)


def test_movedim():
    a = np.arange(24).reshape(2, 3, 4)
    x = torch.tensor(a)
    np.testing.assert_array_equal(x.movedim(0, 2).numpy(), np.moveaxis(a, 0, 2))
    np.testing.assert_array_equal(x.movedim((0, 1), (2, 0)).numpy(), np.moveaxis(a, (0, 1), (2, 0)))
    np.testing.assert_array_equal(x.moveaxis(-1, 0).numpy(), np.moveaxis(a, -1, 0))
    np.testing.assert_array_equal(torch.movedim(x, 1, 0).numpy(), np.moveaxis(a, 1, 0))


def test_permute_errors():
    x = torch.zeros(2, 3, 4)
    with pytest.raises(RuntimeError):
        x.permute(0, 1)
    with pytest.raises(RuntimeError):
        x.permute(0, 0, 1)
    with pytest.raises(IndexError):
        x.permute(0, 1, 3)
    assert x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert x.permute([2, 0, 1]).shape == (4, 2, 3)
    assert torch.permute(x, (1, 0, 2)).shape == (3, 2, 4)


# --- narrow / select / indexing ----------------------------------------------------------------


def test_narrow_select():
    a = np.arange(24).reshape(2, 3, 4)
    x = torch.tensor(a)
    np.testing.assert_array_equal(x.narrow(2, 1, 2).numpy(), a[:, :, 1:3])
    np.testing.assert_array_equal(x.narrow(-1, 3, 1).numpy(), a[..., 3:4])
    np.testing.assert_array_equal(x.narrow(0, -1, 1).numpy(), a[-1:])
    np.testing.assert_array_equal(x.select(1, 2).numpy(), a[:, 2])
    np.testing.assert_array_equal(x.select(-1, -1).numpy(), a[..., -1])
    with pytest.raises(RuntimeError):
        x.narrow(2, 3, 2)
    with pytest.raises(IndexError):
        x.select(1, 3)
    with pytest.raises(IndexError):
        x.select(3, 0)


BASIC_INDICES = [
    1,
    -1,
    (0, 1),
    (1, -2, 3),
    slice(None),
    slice(1, None),
    slice(None, None, 2),
    slice(-2, None),
    slice(None, -1),
    slice(5, 10),
    slice(-10, 2),
    slice(2, 1),
    (slice(None), 1),
    (Ellipsis, 2),
    (0, Ellipsis),
    (Ellipsis,),
    (None,),
    (None, 1),
    (slice(None), None, slice(None, None, 3)),
    (1, slice(1, None), slice(None, None, 3)),
    (Ellipsis, None),
    (None, Ellipsis, None),
    (slice(None, None, 3), slice(None, None, 2), 0),
    (slice(1, 2), slice(0, 3, 2), slice(3, 0)),
    (0, 0, 0),
]


@pytest.mark.parametrize("index", BASIC_INDICES, ids=repr)
def test_basic_indexing_vs_numpy(index):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = torch.tensor(a)
    r = x[index]
    ref = a[index]
    assert r.shape == ref.shape
    np.testing.assert_array_equal(r.numpy(), ref)
    if isinstance(ref, np.ndarray) and ref.size:
        # Basic indexing is a view: strides and offset as numpy's (in elements).
        # (size-1 dims are left out: their strides carry no meaning.)
        got = [st for st, n in zip(r.stride(), r.shape) if n != 1]
        assert got == [st // 8 for st, n in zip(ref.strides, ref.shape) if n != 1]
        off = (ref.__array_interface__["data"][0] - a.__array_interface__["data"][0]) // 8
        assert r.storage_offset() == off
        assert shares_storage(r, x)


def test_indexing_writes_through():
    x = torch.zeros(3, 4)
    x[1][2] = 5.0
    x[:, 0][1:] = 7.0
    x[0, ::2].fill_(1.0)
    assert x.tolist() == [[1, 0, 1, 0], [7, 0, 5, 0], [7, 0, 0, 0]]


def test_index_errors():
    x = torch.zeros(2, 3)
    with pytest.raises(IndexError):
        x[2]
    with pytest.raises(IndexError):
        x[-3]
    with pytest.raises(IndexError):
        x[:, 3]
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(ValueError):
        x[::-1]
    with pytest.raises(ValueError):
        x[::0]
    with pytest.raises(IndexError):
        torch.tensor(5.0)[0]
    with pytest.raises(TypeError):
        x["a"]
    with pytest.raises(IndexError):
        x[1.5]


def test_zero_dim_indexing():
    s = torch.tensor(5.0)
    assert s[...].shape == () and s[...].item() == 5.0
    assert s[None].shape == (1,)
    assert s[None, None].shape == (1, 1)
    assert s[()].shape == ()


# --- unsqueeze / squeeze / expand ----------------------------------------------------------------


def test_unsqueeze_squeeze():
    a = np.arange(6.0).reshape(2, 3)
    x = torch.tensor(a)
    for d in range(-3, 3):
        np.testing.assert_array_equal(x.unsqueeze(d).numpy(), np.expand_dims(a, d))
    with pytest.raises(IndexError):
        x.unsqueeze(3)
    with pytest.raises(IndexError):
        x.unsqueeze(-4)
    o = torch.zeros(1, 2, 1, 3)
    assert o.squeeze().shape == (2, 3)
    assert o.squeeze(0).shape == (2, 1, 3)
    assert o.squeeze(1).shape == (1, 2, 1, 3)
    assert o.squeeze(-2).shape == (1, 2, 3)
    assert o.squeeze((0, 2)).shape == (2, 3)
    assert torch.zeros(1, 1).squeeze().shape == ()
    assert torch.zeros(()).squeeze().shape == ()
    with pytest.raises(IndexError):
        o.squeeze(4)
    assert shares_storage(o.squeeze(), o) and shares_storage(x.unsqueeze(1), x)


def test_expand():
    a = np.arange(3.0).reshape(3, 1)
    x = torch.tensor(a)
    e = x.expand(2, 3, 4)
    np.testing.assert_array_equal(e.numpy(), np.broadcast_to(a, (2, 3, 4)))
    assert e.stride() == (0, 1, 0)
    assert x.expand(-1, 5).shape == (3, 5)
    assert x.expand(torch.Size([3, 2])).shape == (3, 2)
    assert x.expand((3, 2)).shape == (3, 2)
    assert x.expand_as(torch.zeros(4, 3, 6)).shape == (4, 3, 6)
    assert shares_storage(e, x)
    x[0, 0] = 10.0
    assert e[1, 0, 3].item() == 10.0
    with pytest.raises(RuntimeError):
        x.expand(2, 4)
    with pytest.raises(RuntimeError):
        x.expand(3)
    with pytest.raises(RuntimeError):
        x.expand(-1, -1, 2)


# --- unbind / chunk / split ----------------------------------------------------------------------


def test_unbind_chunk_split():
    a = np.arange(20.0).reshape(4, 5)
    x = torch.tensor(a)
    u = x.unbind(1)
    assert isinstance(u, tuple) and len(u) == 5
    for i, p in enumerate(u):
        np.testing.assert_array_equal(p.numpy(), a[:, i])
        assert shares_storage(p, x)
    assert [c.shape[1] for c in x.chunk(2, 1)] == [3, 2]
    assert [c.shape[1] for c in x.chunk(3, 1)] == [2, 2, 1]
    assert [c.shape[1] for c in x.chunk(5, 1)] == [1] * 5
    assert [c.shape[1] for c in x.chunk(6, 1)] == [1] * 5
    assert [c.shape[0] for c in torch.arange(6).chunk(4)] == [2, 2, 2]
    assert [c.shape[1] for c in x.split(2, 1)] == [2, 2, 1]
    assert [c.shape[1] for c in x.split([1, 4], 1)] == [1, 4]
    assert [c.shape[0] for c in x.split(4)] == [4]
    parts = x.split([1, 3], 0)
    np.testing.assert_array_equal(parts[1].numpy(), a[1:])
    assert parts[1].storage_offset() == 5
    np.testing.assert_array_equal(torch.cat(x.chunk(3, 1), 1).numpy(), a)
    with pytest.raises(RuntimeError):
        x.split([1, 2], 0)
    with pytest.raises(RuntimeError):
        x.chunk(0)
    with pytest.raises(IndexError):
        x.unbind(2)


# --- as_strided ------------------------------------------------------------------------------------


def test_as_strided():
    base = torch.arange(10.0)
    s = base.as_strided((4, 3), (2, 1))
    ref = np.lib.stride_tricks.as_strided(np.arange(10.0), (4, 3), (16, 8))
    np.testing.assert_array_equal(s.numpy(), ref)
    assert s.stride() == (2, 1) and shares_storage(s, base)
    o = base.as_strided((2,), (3,), 4)
    assert o.tolist() == [4.0, 7.0] and o.storage_offset() == 4
    # The storage offset defaults to the view's own; an explicit one counts from the storage.
    assert base[2:].as_strided((2,), (1,)).tolist() == [2.0, 3.0]
    assert base[2:].as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError):
        base.as_strided((3,), (5,))
    with pytest.raises(RuntimeError):
        base.as_strided((2,), (1,), -1)


# --- in-place layout changes ------------------------------------------------------------------------


def test_t_and_transpose_in_place():
    x = torch.arange(6.0).reshape(2, 3)
    ptr = x.data_ptr()
    r = x.t_()
    assert r is x and x.shape == (3, 2) and x.stride() == (1, 3)
    assert x.data_ptr() == ptr
    assert x.tolist() == [[0, 3], [1, 4], [2, 5]]
    y = torch.arange(24.0).reshape(2, 3, 4)
    assert y.transpose_(0, 2) is y and y.shape == (4, 3, 2)
    np.testing.assert_array_equal(y.numpy(), np.arange(24.0).reshape(2, 3, 4).transpose(2, 1, 0))


def test_squeeze_unsqueeze_in_place():
    x = torch.zeros(1, 3, 1)
    assert x.squeeze_() is x and x.shape == (3,)
    assert x.unsqueeze_(0) is x and x.shape == (1, 3)
    assert x.unsqueeze_(-1) is x and x.shape == (1, 3, 1)
    assert x.squeeze_(0) is x and x.shape == (3, 1)
    with pytest.raises(IndexError):
        x.unsqueeze_(5)


def test_in_place_layout_keeps_views_consistent():
    base = torch.arange(6.0)
    v = base.view(2, 3)
    v.t_()
    v[0, 1] = -1.0
    assert base.tolist() == [0.0, 1.0, 2.0, -1.0, 4.0, 5.0]
