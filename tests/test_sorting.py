"""Sorting and searching ops against numpy: sort, argsort, msort, topk, kthvalue, median,
nanmedian, mode, quantile, nanquantile, unique, unique_consecutive, searchsorted,
bucketize, bincount, histc, argwhere; every dtype, several memory layouts, NaN and ties,
bad inputs, and finite-difference gradient checks."""

import math
from collections import Counter

import embertorch as torch
import numpy as np
import pytest

DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
]
FLOATS = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
NP = {
    torch.bool: np.bool_,
    torch.uint8: np.uint8,
    torch.int8: np.int8,
    torch.int16: np.int16,
    torch.int32: np.int32,
    torch.int64: np.int64,
    torch.float16: np.float16,
    # numpy has no bfloat16: values are drawn so that float32 holds them exactly.
    torch.bfloat16: np.float32,
    torch.float32: np.float32,
    torch.float64: np.float64,
}
NAN = float("nan")


def sample(shape, dtype, rng, nan=False):
    """Small values with many ties; some NaNs for floats when asked."""
    if dtype == torch.bool:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == torch.uint8:
        return rng.integers(0, 6, shape).astype(np.uint8)
    if dtype in FLOATS:
        a = (rng.integers(-8, 9, shape) / 2).astype(NP[dtype])
        if nan and a.size:
            a.reshape(-1)[rng.integers(0, a.size, max(1, a.size // 6))] = np.nan
        return a
    return rng.integers(-5, 6, shape).astype(NP[dtype])


def tensor(a, dtype):
    return torch.tensor(a, dtype=dtype)


def to_np(t):
    if t.dtype == torch.bfloat16:
        return t.float().numpy()
    return t.numpy()


def variants(a, dtype):
    """(label, tensor, array): tensors holding `a`'s values in several memory layouts."""
    out = [("contiguous", tensor(a, dtype), a)]
    if a.ndim >= 2:
        t = tensor(np.ascontiguousarray(a.swapaxes(0, 1)), dtype).transpose(0, 1)
        out.append(("transposed", t, a))
    if a.ndim >= 1 and a.shape[0] > 0:
        big = np.zeros((2 * a.shape[0] + 1,) + a.shape[1:], dtype=a.dtype)
        big[1::2] = a
        out.append(("sliced", tensor(big, dtype)[1::2], a))
        first = a[:1]
        out.append(("expanded", tensor(first, dtype).expand(*a.shape), np.broadcast_to(first, a.shape)))
    return out


def stable_argsort(a, axis, descending):
    """Stable order with NaN largest; descending keeps equal elements in original order."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.flip(a, axis=axis)
    return n - 1 - np.flip(np.argsort(rev, axis=axis, kind="stable"), axis=axis)


def same(x, y):
    np.testing.assert_array_equal(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))


def check_grad(fn, *arrays, eps=1e-6, tol=1e-5):
    """Compare autograd with central differences of sum(fn(inputs) * w), in float64."""
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    w = np.random.default_rng(7).standard_normal(tuple(out.shape))
    out.backward(torch.tensor(w))
    for k, a in enumerate(arrays):
        num = np.zeros_like(a, dtype=np.float64)
        for idx in np.ndindex(a.shape):
            vals = []
            for step in (eps, -eps):
                moved = [np.array(x, dtype=np.float64) for x in arrays]
                moved[k][idx] += step
                r = fn(*[torch.tensor(m) for m in moved])
                vals.append(float((r.detach().numpy() * w).sum()))
            num[idx] = (vals[0] - vals[1]) / (2 * eps)
        got = leaves[k].grad
        got = np.zeros_like(num) if got is None else got.numpy()
        np.testing.assert_allclose(got, num, rtol=tol, atol=tol)


def distinct(shape, seed=0):
    """float64 values far apart (no ties), so selections are stable under perturbation."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 + rng.uniform(0, 0.1, n)).reshape(shape)


# --- sort / argsort / msort ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_matches_numpy_in_every_layout(dtype, descending):
    a = sample((5, 7), dtype, np.random.default_rng(1), nan=True)
    for label, t, arr in variants(a, dtype):
        for dim in (0, 1, -1):
            r = torch.sort(t, dim=dim, descending=descending)
            order = stable_argsort(arr, dim, descending)
            assert r.values.dtype == dtype and r.indices.dtype == torch.int64, label
            np.testing.assert_array_equal(r.indices.numpy(), order, err_msg=label)
            same(to_np(r.values), np.take_along_axis(arr, order, dim))
            _, i2 = t.sort(dim, descending, stable=True)
            np.testing.assert_array_equal(i2.numpy(), order)
            np.testing.assert_array_equal(t.argsort(dim, descending).numpy(), order)


def test_sort_nan_and_signed_zero_order():
    x = torch.tensor([3.0, NAN, 1.0, 3.0, -0.0, 0.0, NAN, 2.0])
    v, i = x.sort()
    assert i.tolist() == [4, 5, 2, 7, 0, 3, 1, 6]
    assert math.copysign(1, v[0].item()) == -1.0 and math.isnan(v[-1].item())
    v, i = x.sort(descending=True)
    assert i.tolist() == [1, 6, 0, 3, 7, 2, 4, 5]
    assert x.argsort(descending=True, stable=True).tolist() == [1, 6, 0, 3, 7, 2, 4, 5]


def test_sort_keeps_layout_and_handles_0dim_and_empty():
    x = torch.tensor([[1, 2], [2, 1]])
    assert x.t().sort().values.stride() == (1, 2)
    assert x.sort(0).values.is_contiguous()
    r = torch.tensor(5.0).sort()
    assert r.values.shape == () and r.indices.item() == 0
    r = torch.empty(0).sort()
    assert r.values.shape == (0,) and r.indices.dtype == torch.int64
    r = torch.empty(3, 0).sort(0)
    assert r.values.shape == (3, 0)
    assert torch.tensor(5.0).argsort().item() == 0


def test_sort_large_lanes_parallel():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((64, 3000)).astype(np.float32)
    t = torch.tensor(a)
    for dim in (0, 1):
        _, i = t.sort(dim)
        np.testing.assert_array_equal(i.numpy(), np.argsort(a, axis=dim, kind="stable"))
    b = rng.integers(-(2**40), 2**40, 70000)
    np.testing.assert_array_equal(torch.tensor(b).argsort().numpy(), np.argsort(b, kind="stable"))


def test_msort_and_sort_errors():
    a = sample((4, 3), torch.float32, np.random.default_rng(2))
    same(torch.msort(torch.tensor(a)).numpy(), np.sort(a, axis=0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.tensor([3.0, 1.0]).sort(1)
    with pytest.raises(IndexError):
        torch.tensor([3.0, 1.0]).argsort(-2)


def test_sort_grad_fn_names():
    x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    assert x.sort()[0].grad_fn.name() == "SortBackward0"
    assert x.sort(stable=True)[0].grad_fn.name() == "SortBackward1"
    assert torch.msort(x).grad_fn.name() == "SortBackward0"
    assert x.topk(2).values.grad_fn.name() == "TopkBackward0"
    assert x.kthvalue(2).values.grad_fn.name() == "KthvalueBackward0"
    assert x.median().grad_fn.name() == "MedianBackward0"
    assert x.median(0).values.grad_fn.name() == "MedianBackward1"
    assert x.nanmedian().grad_fn.name() == "NanmedianBackward0"
    assert x.nanmedian(0).values.grad_fn.name() == "NanmedianBackward1"
    assert x.mode().values.grad_fn.name() == "ModeBackward0"


# --- topk / kthvalue -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_numpy(dtype, largest):
    a = sample((4, 6), dtype, np.random.default_rng(4), nan=True)
    for label, t, arr in variants(a, dtype):
        for dim in (0, 1):
            n = arr.shape[dim]
            for k in (0, 1, 3, n):
                v, i = t.topk(k, dim, largest)
                order = np.take(stable_argsort(arr, dim, largest), range(k), axis=dim)
                same(to_np(v), np.take_along_axis(arr, order, dim))
                picked = np.take_along_axis(arr, i.numpy(), dim)
                same(picked, to_np(v))
                lanes = np.moveaxis(i.numpy(), dim, -1).reshape(-1, max(k, 1))[:, :k]
                assert all(len(set(lane)) == k for lane in lanes), label


def test_topk_rules():
    x = torch.tensor([3.0, 1.0, 2.0])
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(-1)
    with pytest.raises(RuntimeError, match="bool"):
        torch.tensor([True, False]).topk(1)
    r = torch.tensor(5.0).topk(1)
    assert r.values.item() == 5.0 and r.indices.item() == 0
    v, i = torch.tensor([1.0, NAN, 3.0]).topk(2)
    assert math.isnan(v[0].item()) and i.tolist() == [1, 2]
    v, i = torch.topk(torch.tensor([[2, 1]]), 1, dim=0, largest=False, sorted=False)
    assert v.tolist() == [[2, 1]]


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
def test_kthvalue_matches_numpy(dtype):
    a = sample((5, 4), dtype, np.random.default_rng(5), nan=True)
    for label, t, arr in variants(a, dtype):
        for dim in (0, 1):
            for k in range(1, arr.shape[dim] + 1):
                for keepdim in (False, True):
                    v, i = t.kthvalue(k, dim, keepdim)
                    want = np.take(np.sort(arr, axis=dim), [k - 1], axis=dim)
                    if not keepdim:
                        want = want.squeeze(dim)
                    same(to_np(v), want)
                    idx = i.numpy() if keepdim else np.expand_dims(i.numpy(), dim)
                    got = np.take_along_axis(arr, idx, dim)
                    same(got if keepdim else got.squeeze(dim), want)


def test_kthvalue_rules():
    x = torch.tensor([3.0, 1.0, 2.0])
    for k in (0, 4):
        with pytest.raises(RuntimeError, match="selected number k out of range"):
            x.kthvalue(k)
    with pytest.raises(NotImplementedError):
        torch.tensor([True]).kthvalue(1)
    with pytest.raises(IndexError, match="non-zero size"):
        torch.empty(2, 0).kthvalue(1)
    assert torch.empty(0, 3).kthvalue(1).values.shape == (0,)
    r = torch.tensor(5.0).kthvalue(1, 0, True)
    assert r.values.shape == () and r.indices.item() == 0
    assert torch.kthvalue(torch.tensor([3, 1, 2]), 2, 0, True).values.tolist() == [2]


# --- median / nanmedian / mode -----------------------------------------------------------------


def lower_median(lane, ignore_nan):
    nans = np.isnan(lane) if lane.dtype.kind == "f" else np.zeros(lane.shape, bool)
    if ignore_nan:
        vals = lane[~nans]
        if vals.size == 0:
            return np.nan
    else:
        if nans.any():
            return np.nan
        vals = lane
    return np.sort(vals)[(vals.size - 1) // 2]


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
@pytest.mark.parametrize("ignore_nan", [False, True])
def test_median_matches_numpy(dtype, ignore_nan):
    a = sample((5, 6), dtype, np.random.default_rng(6), nan=True)
    for label, t, arr in variants(a, dtype):
        f = t.nanmedian if ignore_nan else t.median
        same(to_np(f()), lower_median(arr.reshape(-1), ignore_nan))
        for dim in (0, 1):
            v, i = f(dim)
            want = np.apply_along_axis(lower_median, dim, arr, ignore_nan)
            same(to_np(v), want)
            got = np.take_along_axis(arr, np.expand_dims(i.numpy(), dim), dim).squeeze(dim)
            if dtype in FLOATS:
                lanes = np.moveaxis(arr, dim, -1)
                first_nan = [int(np.argmax(np.isnan(lane))) for lane in lanes.reshape(-1, lanes.shape[-1])]
                for j, (g, w) in enumerate(zip(got.reshape(-1), want.reshape(-1))):
                    if np.isnan(w):
                        assert i.numpy().reshape(-1)[j] == first_nan[j]
            same(got, want)


def test_median_special_cases():
    assert math.isnan(torch.empty(0).median().item())
    assert math.isnan(torch.tensor([NAN, NAN]).nanmedian().item())
    assert torch.tensor([NAN, 1.0, NAN]).nanmedian().item() == 1.0
    r = torch.tensor([[NAN, NAN], [1.0, NAN]]).nanmedian(1)
    assert math.isnan(r.values[0].item()) and r.values[1].item() == 1.0
    assert r.indices.tolist() == [0, 0]
    r = torch.tensor([[1.0, 5.0, 3.0, 2.0]]).median(1, keepdim=True)
    assert r.values.tolist() == [[2.0]] and r.indices.tolist() == [[3]]
    assert torch.tensor([1, 2, 3, 4]).median().item() == 2
    with pytest.raises(IndexError, match="non-zero size"):
        torch.empty(2, 0).median(1)
    with pytest.raises(NotImplementedError):
        torch.tensor([True]).median()
    assert torch.median(torch.tensor(5.0), 0).values.item() == 5.0


def mode_lane(lane):
    """Most frequent value (smallest of the most frequent), at its last position; every
    NaN counts as a value of its own."""
    isnan = np.isnan(lane) if lane.dtype.kind == "f" else np.zeros(lane.shape, bool)
    counts = Counter(v for v, n in zip(lane.tolist(), isnan) if not n)
    best = None
    for v, c in counts.items():
        if best is None or c > best[1] or (c == best[1] and v < best[0]):
            best = (v, c)
    if best is None or (best[1] == 1 and not counts):
        first = int(np.argmax(isnan))
        return np.nan, first
    last = max(j for j, x in enumerate(lane.tolist()) if x == best[0] and not isnan[j])
    return best[0], last


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_mode_matches_counting(dtype):
    a = sample((4, 9), dtype, np.random.default_rng(8), nan=True)
    for label, t, arr in variants(a, dtype):
        for dim in (0, 1):
            v, i = t.mode(dim)
            lanes = np.moveaxis(arr, dim, -1).reshape(-1, arr.shape[dim])
            want = [mode_lane(lane) for lane in lanes]
            same(to_np(v).reshape(-1), [w[0] for w in want])
            np.testing.assert_array_equal(i.numpy().reshape(-1), [w[1] for w in want])
    r = torch.tensor([1.0, NAN, NAN]).mode()
    assert r.values.item() == 1.0 and r.indices.item() == 0
    r = torch.tensor([2, 1, 2, 1, 5]).mode()
    assert (r.values.item(), r.indices.item()) == (1, 3)
    with pytest.raises(IndexError, match="mode"):
        torch.empty(0).mode()
    assert torch.empty(0, 2).mode(1).values.shape == (0,)


# --- quantile ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(dtype, method):
    rng = np.random.default_rng(9)
    a = rng.standard_normal((5, 8)).astype(NP[dtype])
    q = np.array([0.0, 0.1, 0.25, 0.5, 0.8, 1.0])
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    for label, t, arr in variants(a, dtype):
        for dim in (None, 0, 1):
            for keepdim in (False, True):
                got = t.quantile(tensor(q, dtype), dim=dim, keepdim=keepdim, interpolation=method)
                want = np.quantile(arr.astype(np.float64), q, axis=dim, keepdims=keepdim, method=method)
                np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol, err_msg=label)
                g1 = torch.quantile(t, 0.3, dim, keepdim, interpolation=method)
                w1 = np.quantile(arr.astype(np.float64), 0.3, axis=dim, keepdims=keepdim, method=method)
                np.testing.assert_allclose(g1.numpy(), w1, rtol=tol, atol=tol)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_nan_rules(method):
    a = np.array([[1.0, 4.0, 2.0, 8.0], [NAN, 3.0, 5.0, 0.0], [NAN, NAN, NAN, NAN]])
    t = torch.tensor(a)
    got = t.quantile(0.4, dim=1, interpolation=method).numpy()
    assert not np.isnan(got[0]) and np.isnan(got[1]) and np.isnan(got[2])
    want = np.nanquantile(a[:2], 0.4, axis=1, method=method)
    got = t.nanquantile(0.4, dim=1, interpolation=method).numpy()
    np.testing.assert_allclose(got[:2], want)
    assert np.isnan(got[2])
    assert math.isnan(t.quantile(0.5).item())
    np.testing.assert_allclose(t.nanquantile(0.5).item(), np.nanquantile(a, 0.5))


def test_quantile_nearest_rounds_half_to_even():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    q = torch.tensor([0.125, 0.375, 0.625, 0.875])
    assert x.quantile(q, interpolation="nearest").tolist() == [0.0, 2.0, 2.0, 4.0]


def test_quantile_shapes_and_errors():
    x = torch.tensor([[1.0, 2.0]])
    assert x.quantile(torch.tensor([0.5, 0.1]), keepdim=True).shape == (2, 1, 1)
    assert x.quantile(torch.tensor(0.5)).shape == ()
    assert x.quantile(torch.tensor([]), dim=0).shape == (0, 2)
    assert torch.tensor(3.0).quantile(torch.tensor([0.5, 0.2])).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="float or double"):
        torch.tensor([1, 2]).quantile(0.5)
    with pytest.raises(RuntimeError, match="float or double"):
        torch.tensor([1.0, 2.0]).half().quantile(0.5)
    with pytest.raises(RuntimeError, match="in the range"):
        torch.tensor([1.0, 2.0]).quantile(1.5)
    with pytest.raises(RuntimeError, match="q values must be in the range"):
        x.quantile(torch.tensor([0.5, -0.1]), dim=0)
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        x.quantile(0.5, interpolation="foo")
    with pytest.raises(RuntimeError, match="non-empty"):
        torch.empty(0, 3).quantile(0.5, dim=0)
    with pytest.raises(RuntimeError, match="same dtype"):
        x.quantile(torch.tensor([0.5], dtype=torch.float64))
    with pytest.raises(RuntimeError, match="scalar or 1D"):
        x.quantile(torch.tensor([[0.5]]))
    with pytest.raises(IndexError):
        x.quantile(0.5, dim=3)


# --- gradients ---------------------------------------------------------------------------------


def test_sort_topk_kth_gradients():
    a = distinct((3, 5))
    check_grad(lambda x: x.sort(1)[0], a)
    check_grad(lambda x: x.sort(0, descending=True)[0], a)
    check_grad(lambda x: x.t().sort(0)[0], a)
    check_grad(lambda x: torch.msort(x), a)
    check_grad(lambda x: x.topk(2, 1)[0], a)
    check_grad(lambda x: x.topk(2, 0, largest=False)[0], a)
    check_grad(lambda x: x.kthvalue(3, 1)[0], a)
    check_grad(lambda x: x.kthvalue(2, 0, keepdim=True)[0], a)
    check_grad(lambda x: x.reshape(-1)[0].sort()[0], a)


def test_median_mode_gradients():
    a = distinct((4, 5), seed=1)
    check_grad(lambda x: x.median(), a)
    check_grad(lambda x: x.median(1)[0], a)
    check_grad(lambda x: x.median(0, keepdim=True)[0], a)
    check_grad(lambda x: x.nanmedian(), a)
    check_grad(lambda x: x.nanmedian(1)[0], a)
    m = np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 5.0, 6.0]])
    x = torch.tensor(m, requires_grad=True)
    x.mode(1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    # The full median shares its gradient among the elements equal to it.
    x = torch.tensor([1.0, 2.0, 2.0, 3.0], requires_grad=True)
    x.median().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    x = torch.tensor([1.0, NAN, NAN], requires_grad=True)
    x.median().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_gradients(method):
    a = distinct((3, 6), seed=2)
    q = np.array([0.1, 0.5, 0.95])
    check_grad(lambda x: x.quantile(torch.tensor(q), dim=1, interpolation=method), a)
    check_grad(lambda x: x.quantile(0.3, interpolation=method), a)
    b = a.copy()
    b[0, 2] = np.nan
    t = torch.tensor(b, requires_grad=True)
    t.nanquantile(0.5, dim=1, interpolation=method).sum().backward()
    assert t.grad[0, 2].item() == 0.0
    assert abs(t.grad.sum().item() - 3.0) < 1e-12


def test_double_backward_through_sort():
    x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    v = x.sort()[0]
    (g,) = torch.autograd.grad((v * v * torch.tensor([1.0, 2.0, 3.0])).sum(), x, create_graph=True)
    # d/dx of w_rank(x) * x^2 is 2 w x; again: 2 w.
    assert g.tolist() == [18.0, 2.0, 8.0]
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 2.0, 4.0]


# --- unique --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_unique_matches_numpy(dtype):
    a = sample((6, 5), dtype, np.random.default_rng(10))
    for label, t, arr in variants(a, dtype):
        v, inv, cnt = torch.unique(t, return_inverse=True, return_counts=True)
        wv, winv, wcnt = np.unique(arr, return_inverse=True, return_counts=True)
        same(to_np(v), wv)
        assert v.dtype == dtype and inv.shape == t.shape
        np.testing.assert_array_equal(inv.numpy(), winv.reshape(arr.shape))
        np.testing.assert_array_equal(cnt.numpy(), wcnt)
        same(to_np(t.unique(sorted=False)), wv)
        for dim in (0, 1):
            v, inv, cnt = t.unique(return_inverse=True, return_counts=True, dim=dim)
            wv, winv, wcnt = np.unique(arr, return_inverse=True, return_counts=True, axis=dim)
            same(to_np(v), wv)
            np.testing.assert_array_equal(inv.numpy(), winv.reshape(-1))
            np.testing.assert_array_equal(cnt.numpy(), wcnt)


def test_unique_nan_and_edge_cases():
    v, inv, cnt = torch.unique(
        torch.tensor([2.0, NAN, 1.0, 2.0, NAN, 1.0, 5.0]), return_inverse=True, return_counts=True
    )
    assert v.tolist()[:3] == [1.0, 2.0, 5.0] and all(math.isnan(u) for u in v.tolist()[3:])
    assert inv.tolist() == [1, 3, 0, 1, 4, 0, 2] and cnt.tolist() == [2, 2, 1, 1, 1]
    v, inv, cnt = torch.unique(torch.tensor(3), return_inverse=True, return_counts=True)
    assert v.tolist() == [3] and inv.shape == () and cnt.tolist() == [1]
    v, inv, cnt = torch.unique(torch.tensor([]), return_inverse=True, return_counts=True)
    assert v.shape == (0,) and inv.dtype == torch.int64 and cnt.shape == (0,)
    v, inv, cnt = torch.unique(torch.empty(0, 3), dim=0, return_inverse=True, return_counts=True)
    assert v.shape == (0, 3) and inv.shape == (0,)
    with pytest.raises(RuntimeError, match="0 sized dimensions"):
        torch.unique(torch.empty(3, 0), dim=0)
    with pytest.raises(IndexError):
        torch.unique(torch.tensor([1, 2]), dim=2)
    assert isinstance(torch.unique(torch.tensor([1, 2, 1]), return_counts=True), tuple)


def consecutive(arr):
    vals, inv, cnt = [], [], []
    for x in arr.tolist():
        if vals and x == vals[-1]:
            cnt[-1] += 1
        else:
            vals.append(x)
            cnt.append(1)
        inv.append(len(vals) - 1)
    return vals, inv, cnt


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_unique_consecutive_matches_runs(dtype):
    a = sample((4, 6), dtype, np.random.default_rng(11), nan=True)
    for label, t, arr in variants(a, dtype):
        v, inv, cnt = torch.unique_consecutive(t, return_inverse=True, return_counts=True)
        wv, winv, wcnt = consecutive(arr.reshape(-1))
        same(to_np(v), wv)
        np.testing.assert_array_equal(inv.numpy().reshape(-1), winv)
        assert cnt.tolist() == wcnt
    m = torch.tensor([[1, 2], [1, 2], [3, 4], [1, 2]])
    v, inv, cnt = m.unique_consecutive(return_inverse=True, return_counts=True, dim=0)
    assert v.tolist() == [[1, 2], [3, 4], [1, 2]] and inv.tolist() == [0, 0, 1, 2]
    assert cnt.tolist() == [2, 1, 1]
    v = torch.unique_consecutive(torch.tensor([NAN, NAN, 1.0, 1.0]))
    assert len(v) == 3 and v[2].item() == 1.0


# --- searchsorted / bucketize --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
def test_searchsorted_matches_numpy(dtype):
    rng = np.random.default_rng(12)
    b = np.sort(sample((3, 7), dtype, rng), axis=1)
    v = sample((3, 5), dtype, rng)
    for side in ("left", "right"):
        for label, bt, barr in variants(b, dtype)[:3]:
            got = torch.searchsorted(bt, tensor(v, dtype), side=side)
            want = np.stack([np.searchsorted(barr[r], v[r], side=side) for r in range(3)])
            np.testing.assert_array_equal(got.numpy(), want, err_msg=label)
        got = torch.searchsorted(tensor(b[0], dtype), tensor(v, dtype), right=side == "right")
        np.testing.assert_array_equal(got.numpy(), np.searchsorted(b[0], v, side=side))
        got = torch.bucketize(tensor(v, dtype), tensor(b[0], dtype), right=side == "right")
        np.testing.assert_array_equal(got.numpy(), np.searchsorted(b[0], v, side=side))


def test_searchsorted_options():
    ss = torch.tensor([1.0, 3.0, 3.0, 5.0, 7.0])
    assert torch.searchsorted(ss, 3.0).item() == 1 and torch.searchsorted(ss, 3.0).shape == ()
    r = torch.searchsorted(ss, torch.tensor([3.0]), out_int32=True)
    assert r.dtype == torch.int32 and r.tolist() == [1]
    assert torch.searchsorted(torch.tensor([1.0, 2.0, NAN]), torch.tensor([NAN, 2.5, 1.0])).tolist() == [
        3,
        3,
        0,
    ]
    assert torch.searchsorted(torch.tensor([1, 3]), torch.tensor([2.5])).tolist() == [1]
    assert torch.searchsorted(torch.tensor([1, 3]), 2.5).item() == 1
    r = torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2, 4, 6]), sorter=torch.tensor([1, 2, 0]))
    assert r.tolist() == [1, 2, 3]
    assert torch.bucketize(3, ss).item() == 1
    assert torch.bucketize(torch.tensor([3.0]), ss, out_int32=True).dtype == torch.int32
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        torch.searchsorted(ss, torch.tensor([2.0]), side="left", right=True)
    with pytest.raises(RuntimeError, match="side can only be"):
        torch.searchsorted(ss, torch.tensor([2.0]), side="foo")
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        torch.searchsorted(torch.tensor([[1, 3]]), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="sorter index out of range"):
        torch.searchsorted(torch.tensor([1, 3]), torch.tensor([2]), sorter=torch.tensor([0, 2]))
    with pytest.raises(RuntimeError, match="same size"):
        torch.searchsorted(torch.tensor([1, 3]), torch.tensor([2]), sorter=torch.tensor([0]))
    with pytest.raises(NotImplementedError):
        torch.searchsorted(torch.tensor([True, False]), torch.tensor([True]))
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        torch.bucketize(torch.tensor([2.5]), torch.tensor([[1, 3]]))


# --- bincount / histc / argwhere -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64], ids=str)
def test_bincount_matches_numpy(dtype):
    rng = np.random.default_rng(13)
    a = rng.integers(0, 7, 20)
    t = torch.tensor(a, dtype=dtype)
    np.testing.assert_array_equal(torch.bincount(t).numpy(), np.bincount(a))
    np.testing.assert_array_equal(t.bincount(minlength=12).numpy(), np.bincount(a, minlength=12))
    w = rng.standard_normal(20)
    for wdt, outdt in [
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
        (torch.int64, torch.float64),
        (torch.float16, torch.float64),
    ]:
        r = torch.bincount(t, weights=torch.tensor(w).to(wdt))
        assert r.dtype == outdt
        want = np.bincount(a, weights=torch.tensor(w).to(wdt).double().numpy())
        np.testing.assert_allclose(r.double().numpy(), want, rtol=1e-5, atol=1e-5)
    r = torch.bincount(t[::2])
    np.testing.assert_array_equal(r.numpy(), np.bincount(a[::2]))


def test_bincount_errors():
    assert torch.bincount(torch.tensor([], dtype=torch.int64)).tolist() == []
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.bincount(torch.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="1-d"):
        torch.bincount(torch.tensor([[1]]))
    with pytest.raises(NotImplementedError):
        torch.bincount(torch.tensor([1.0]))
    with pytest.raises(NotImplementedError):
        torch.bincount(torch.tensor([True]))
    with pytest.raises(RuntimeError, match="same length"):
        torch.bincount(torch.tensor([1, 2]), weights=torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="minlength"):
        torch.bincount(torch.tensor([1]), minlength=-1)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_histc_matches_numpy(dtype):
    rng = np.random.default_rng(14)
    a = rng.uniform(-3, 3, (6, 7)).astype(np.float32)
    t = torch.tensor(a).to(dtype)
    vals = to_np(t).astype(np.float64).reshape(-1)
    for bins, lo, hi in [(10, -2.0, 2.0), (7, 0.0, 0.0), (1, -5.0, 5.0)]:
        got = torch.histc(t, bins=bins, min=lo, max=hi)
        assert got.dtype == dtype
        rng_ = (vals.min(), vals.max()) if lo == hi else (lo, hi)
        want, _ = np.histogram(vals, bins=bins, range=rng_)
        np.testing.assert_array_equal(to_np(got), want)
    assert torch.histc(t.t(), bins=5).sum().item() == a.size


def test_histc_rules():
    assert torch.histc(torch.tensor([1.0, 1.0]), bins=3).tolist() == [0.0, 2.0, 0.0]
    assert torch.histc(torch.tensor([]), bins=3).tolist() == [0.0, 0.0, 0.0]
    assert torch.histc(torch.tensor([1.0, NAN, 3.0]), bins=2, min=0, max=4).tolist() == [1.0, 1.0]
    assert torch.histc(torch.tensor([0.1, 0.2, 0.3, 0.7, 0.9, 1.0]), bins=10, min=0, max=1).tolist() == [
        0.0,
        1.0,
        1.0,
        1.0,
        0.0,
        0.0,
        0.0,
        1.0,
        0.0,
        2.0,
    ]
    with pytest.raises(NotImplementedError):
        torch.histc(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        torch.histc(torch.tensor([1.0]), bins=0)
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        torch.histc(torch.tensor([1.0]), min=3, max=1)
    with pytest.raises(RuntimeError, match="not finite"):
        torch.histc(torch.tensor([1.0, float("inf")]))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_argwhere_matches_numpy(dtype):
    a = sample((4, 5), dtype, np.random.default_rng(15))
    for label, t, arr in variants(a, dtype):
        np.testing.assert_array_equal(torch.argwhere(t).numpy(), np.argwhere(arr))
        np.testing.assert_array_equal(t.argwhere().numpy(), np.argwhere(arr))
    assert torch.argwhere(torch.tensor(5)).shape == (1, 0)
