"""Indexing ops against numpy: advanced indexing reads and writes (property tests),
index_add/index_copy/index_fill/index_put, masked_select/masked_scatter, take,
take_along_dim, put, scatter_reduce; every dtype, several layouts, in place and out of
place, bad inputs, and finite-difference gradient checks."""

import embertorch as torch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def sample(shape, dtype, rng):
    if dtype == torch.bool:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == torch.uint8:
        return rng.integers(0, 20, shape).astype(np.uint8)
    if dtype in FLOATS:
        return (rng.integers(-16, 17, shape) / 4).astype(NP[dtype])
    return rng.integers(-9, 10, shape).astype(NP[dtype])


def tensor(a, dtype):
    return torch.tensor(a, dtype=dtype)


def to_np(t):
    if t.dtype == torch.bfloat16:
        return t.float().numpy()
    return t.numpy()


def variants(a, dtype, writable=False):
    """(label, tensor, array): tensors holding `a`'s values in several memory layouts (the
    expanded one only when nothing writes into it)."""
    out = [("contiguous", tensor(a, dtype), a)]
    if a.ndim >= 2:
        t = tensor(np.ascontiguousarray(a.swapaxes(0, 1)), dtype).transpose(0, 1)
        out.append(("transposed", t, a))
    if a.ndim >= 1 and a.shape[0] > 0:
        big = np.zeros((2 * a.shape[0] + 1,) + a.shape[1:], dtype=a.dtype)
        big[1::2] = a
        out.append(("sliced", tensor(big, dtype)[1::2], a))
        if not writable:
            first = a[:1]
            out.append(("expanded", tensor(first, dtype).expand(*a.shape), np.broadcast_to(first, a.shape)))
    return out


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
        np.testing.assert_allclose(got, num, rtol=tol, atol=tol, err_msg=f"input {k}")


def distinct(shape, seed=0):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 + 0.5 + rng.uniform(0, 0.1, n)).reshape(shape)


# --- advanced indexing: property tests against numpy --------------------------------------------


@st.composite
def index_case(draw):
    """A shape, and an index tuple mixing ints, slices, None, Ellipsis, integer arrays that
    broadcast together, and boolean masks."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    bshape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    items = []
    dim = 0
    used_ellipsis = False
    while dim < ndim:
        kind = draw(st.sampled_from(["slice", "int", "array", "array", "mask", "none", "ellipsis", "stop"]))
        size = shape[dim]
        if kind == "stop":
            break
        if kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            step = draw(st.one_of(st.none(), st.integers(1, 3)))
            items.append(slice(start, stop, step))
            dim += 1
        elif kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
            dim += 1
        elif kind == "array":
            # A shape that broadcasts to bshape: trailing part with some dims set to 1.
            keep = draw(st.integers(0, len(bshape)))
            sub = bshape[len(bshape) - keep :]
            sub = tuple(1 if draw(st.booleans()) else s for s in sub)
            n = int(np.prod(sub)) if sub else 1
            vals = draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            items.append(np.array(vals, dtype=np.int64).reshape(sub))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, min(2, ndim - dim)))
            msize = shape[dim : dim + k]
            n = int(np.prod(msize))
            bits = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            items.append(np.array(bits, dtype=bool).reshape(msize))
            dim += k
        elif kind == "none":
            items.append(None)
        elif kind == "ellipsis" and not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dim += draw(st.integers(0, ndim - dim))
    return shape, tuple(items)


def torch_index(items):
    return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in items)


def split_index(items, ndim):
    """PyTorch applies integers like `select` before the tensor indices (numpy instead
    treats an integer beside an array as one more array, which moves the result dims). So
    the reference indexes in two numpy steps: the basic items (arrays replaced by full
    slices), then the arrays alone on the result."""
    consumed = sum(
        1
        if isinstance(i, (int, slice)) or (isinstance(i, np.ndarray) and i.dtype != bool)
        else (i.ndim if isinstance(i, np.ndarray) else 0)
        for i in items
    )
    basic, advanced = [], []
    # A 0-dim integer tensor indexes like an integer.
    items = [int(i) if isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype != bool else i for i in items]
    for i in items:
        if isinstance(i, np.ndarray):
            k = i.ndim if i.dtype == bool else 1
            basic.extend([slice(None)] * k)
            advanced.append(i)
        elif i is Ellipsis:
            basic.append(i)
            advanced.extend([slice(None)] * (ndim - consumed))
        elif isinstance(i, int):
            basic.append(i)
        else:
            basic.append(i)
            advanced.append(slice(None))
    return tuple(basic), tuple(advanced)


def numpy_ok(a, items):
    """The reference answer, or None when numpy refuses (e.g. masks that do not match)."""
    basic, advanced = split_index(items, a.ndim)
    try:
        return a[basic][advanced]
    except IndexError:
        return None


@settings(max_examples=300, deadline=None)
@given(index_case(), st.sampled_from(["contiguous", "transposed", "sliced", "expanded"]))
def test_advanced_getitem_matches_numpy(case, layout):
    shape, items = case
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    lookup = {label: (t, arr) for label, t, arr in variants(a, torch.float64)}
    t, arr = lookup.get(layout, lookup["contiguous"])
    want = numpy_ok(arr, items)
    if want is None:
        with pytest.raises((IndexError, RuntimeError)):
            t[torch_index(items)]
        return
    got = t[torch_index(items)]
    assert tuple(got.shape) == want.shape
    same(got.numpy(), want)


@settings(max_examples=300, deadline=None)
@given(index_case(), st.sampled_from(["contiguous", "transposed", "sliced"]), st.booleans())
def test_advanced_setitem_matches_numpy(case, layout, scalar_value):
    shape, items = case
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    want = a.copy()
    target = numpy_ok(want, items)
    if target is None:
        return
    v = 100.0 + np.arange(target.size, dtype=np.float64).reshape(target.shape)
    value = -1.5 if scalar_value else v
    basic, advanced = split_index(items, a.ndim)
    if any(isinstance(i, np.ndarray) and (i.ndim > 0 or i.dtype == bool) for i in items):
        want[basic][advanced] = value
    else:
        want[basic] = value
    lookup = {label: (t, arr) for label, t, arr in variants(a, torch.float64, writable=True)}
    t, _ = lookup.get(layout, lookup["contiguous"])
    t[torch_index(items)] = value if scalar_value else torch.tensor(v)
    same(t.numpy(), want)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_getitem_setitem_every_dtype(dtype):
    a = sample((4, 5), dtype, np.random.default_rng(0))
    idx = np.array([[3, 0], [1, 3]])
    mask = a.astype(np.float64) > 0
    for label, t, arr in variants(a, dtype):
        same(to_np(t[torch.tensor(idx), 1:4:2]), arr[idx, 1:4:2])
        same(to_np(t[torch.tensor(mask)]), arr[mask])
        same(to_np(t[:, torch.tensor([4, -5, 0])]), arr[:, [4, -5, 0]])
    for label, t, arr in variants(a, dtype, writable=True):
        want = arr.copy()
        v = sample((2, 2, 2), dtype, np.random.default_rng(1))
        want[[0, 2], 1:3] = v[0]
        t[torch.tensor([0, 2]), 1:3] = tensor(v[0], dtype)
        same(to_np(t), want)


def test_setitem_rules():
    x = torch.zeros(3)
    with pytest.raises(RuntimeError, match="dtypes match"):
        x[torch.tensor([0, 1])] = torch.tensor([1, 2])
    x[torch.tensor([0, 1])] = 2  # numbers convert
    x[0:2] = torch.tensor([1, 2])  # basic indexing copies with a cast
    assert x.tolist() == [1.0, 2.0, 0.0]
    with pytest.raises(IndexError, match="out of bounds"):
        x[torch.tensor([3])] = 1.0
    with pytest.raises(RuntimeError, match="shape mismatch"):
        torch.zeros(3, 2)[torch.tensor([0, 1])] = torch.tensor([[1.0, 2, 3]])
    y = torch.zeros(3, 2)
    y[[0, 1]] = torch.tensor([[[5.0, 6.0]]])
    assert y.tolist() == [[5.0, 6.0], [5.0, 6.0], [0.0, 0.0]]
    leaf = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf[torch.tensor([0])] = 1.0
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        leaf[0] = 1.0
    with pytest.raises(RuntimeError):
        e = torch.zeros(1).expand(3)
        e[torch.tensor([0])] = 1.0
    # Writes with autograd into a view are refused rather than giving wrong gradients.
    y = leaf * 2
    with pytest.raises(NotImplementedError, match="view"):
        y[0:2][torch.tensor([0])] = 5.0
    with pytest.raises(NotImplementedError, match="view"):
        y[1:].index_add_(0, torch.tensor([0]), torch.ones(1))
    y[torch.tensor([0])] = 5.0  # the tensor itself is fine


def test_setitem_autograd():
    x = torch.zeros(3, 4, requires_grad=True)
    v = torch.tensor([1.0, 2.0], requires_grad=True)
    b = x.clone()
    b[torch.tensor([0, 2]), 1] = v
    assert b.grad_fn.name() == "IndexPutBackward0"
    (b * torch.arange(12.0).reshape(3, 4)).sum().backward()
    expected = np.arange(12.0).reshape(3, 4)
    expected[[0, 2], 1] = 0
    same(x.grad.numpy(), expected)
    assert v.grad.tolist() == [1.0, 9.0]
    # A value broadcast over several written positions sums their gradients.
    c = torch.zeros(3, 2)
    s = torch.tensor(1.0, requires_grad=True)
    c[torch.tensor([0, 0])] = s
    assert c.requires_grad and c.grad_fn.name() == "IndexPutBackward0"
    c.sum().backward()
    assert s.grad.item() == 4.0  # two (repeated) rows of two
    c = torch.zeros(3, 2)
    s = torch.tensor(1.0, requires_grad=True)
    c[1:] = s
    assert c.grad_fn.name() == "CopySlices"
    c.sum().backward()
    assert s.grad.item() == 4.0
    # A number written over a tensor with history cuts the gradient there.
    x = torch.ones(4, requires_grad=True)
    y = x * 3
    y[torch.tensor([True, False, True, False])] = 0.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0, 3.0]


def test_setitem_gradients_against_finite_differences():
    a, v = distinct((4, 3)), distinct((2, 3), seed=1)

    def put_rows(x, vals):
        y = x.clone()
        y[torch.tensor([3, 1])] = vals
        return y * y

    check_grad(put_rows, a, v)

    def put_mixed(x, vals):
        y = x * 2
        y[1:, torch.tensor([[0], [2]])] = vals
        return y

    check_grad(put_mixed, a, distinct((3, 2, 1), seed=2))

    def put_mask(x, s):
        y = x.clone()
        y[x > 2.0] = s
        return y

    check_grad(put_mask, a, np.array(0.7))


def test_getitem_repeated_indices_accumulate():
    x = torch.arange(6.0).reshape(2, 3).requires_grad_()
    y = x[torch.tensor([[0, 0], [1, 0]])]
    assert y.grad_fn.name() == "IndexBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0, 3.0], [1.0, 1.0, 1.0]]
    check_grad(lambda t: t[torch.tensor([2, 2, 0]), 1:] ** 2, distinct((3, 3)))
    check_grad(lambda t: t[:, torch.tensor([[1], [1]]), torch.tensor([0, 1, 1])], distinct((2, 2, 3)))
    # Second derivatives flow through the accumulated gradient.
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[torch.tensor([0, 0, 2])]
    (g,) = torch.autograd.grad((y**3).sum(), x, create_graph=True)
    assert g.tolist() == [6.0, 0.0, 27.0]
    g.sum().backward()
    assert x.grad.tolist() == [12.0, 0.0, 18.0]


# --- index_add / index_copy / index_fill ------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_matches_numpy(dtype, dim):
    rng = np.random.default_rng(2)
    a = sample((4, 5), dtype, rng)
    idx = np.array([3, 0, 3, 1])
    src_shape = list(a.shape)
    src_shape[dim] = len(idx)
    src = sample(tuple(src_shape), dtype, rng)
    alpha = 1 if dtype == torch.bool else (2 if dtype not in FLOATS else 0.5)

    def expected(arr):
        want = np.array(arr)
        np.add.at(np.moveaxis(want, dim, 0), idx, (np.moveaxis(src, dim, 0) * alpha).astype(a.dtype))
        return want

    for label, t, arr in variants(a, dtype):
        got = t.index_add(dim, torch.tensor(idx), tensor(src, dtype), alpha=alpha)
        same(to_np(got), expected(arr))
        got = torch.index_add(t, dim, torch.tensor(idx, dtype=torch.int32), tensor(src, dtype), alpha=alpha)
        same(to_np(got), expected(arr))
    for label, t, arr in variants(a, dtype, writable=True):
        r = t.index_add_(dim, torch.tensor(idx), tensor(src, dtype), alpha=alpha)
        assert r is t
        same(to_np(t), expected(arr))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_index_copy_and_fill_match_numpy(dtype):
    rng = np.random.default_rng(3)
    a = sample((4, 5), dtype, rng)
    for dim in (0, 1):
        idx = np.array([2, 0, 3]) if dim == 0 else np.array([4, 1, 0])
        src_shape = list(a.shape)
        src_shape[dim] = 3
        src = sample(tuple(src_shape), dtype, rng)
        for label, t, arr in variants(a, dtype):
            want = np.array(arr)
            np.moveaxis(want, dim, 0)[idx] = np.moveaxis(src, dim, 0)
            fill = np.array(arr)
            np.moveaxis(fill, dim, 0)[idx] = 1
            same(to_np(t.index_copy(dim, torch.tensor(idx), tensor(src, dtype))), want)
            same(to_np(torch.index_fill(t, dim, torch.tensor(idx - a.shape[dim]), 1)), fill)
            same(to_np(t.index_fill(dim, torch.tensor(idx), torch.tensor(1))), fill)
        for label, t, arr in variants(a, dtype, writable=True):
            want = np.array(arr)
            np.moveaxis(want, dim, 0)[idx] = np.moveaxis(src, dim, 0)
            fill = np.array(arr)
            np.moveaxis(fill, dim, 0)[idx] = 1
            u = t.clone()
            assert t.index_copy_(dim, torch.tensor(idx), tensor(src, dtype)) is t
            same(to_np(t), want)
            u.index_fill_(dim, torch.tensor(idx), True if dtype == torch.bool else 1)
            same(to_np(u), fill)


def test_index_add_copy_fill_scalars_and_errors():
    assert torch.tensor(2.0).index_add(0, torch.tensor([0]), torch.tensor(1.0)).item() == 3.0
    assert torch.tensor(2.0).index_copy(0, torch.tensor([0]), torch.tensor(1.0)).item() == 1.0
    assert torch.tensor(2.0).index_fill(0, torch.tensor([0]), 1.0).item() == 1.0
    assert torch.zeros(3, dtype=torch.long).index_fill(0, torch.tensor([1]), 1.5).tolist() == [0, 1, 0]
    z = torch.zeros(3)
    with pytest.raises(IndexError, match="index out of range in self"):
        z.index_add(0, torch.tensor([0, 5]), torch.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match="index out of range in self"):
        z.index_add(0, torch.tensor([0, -1]), torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="int32/int64"):
        z.index_add(0, torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Number of indices"):
        z.index_add(0, torch.tensor([0, 1]), torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="same scalar type"):
        z.index_add(0, torch.tensor([0, 1]), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="shape must match"):
        torch.zeros(1, 3).index_add(1, torch.tensor([0, 2]), torch.zeros(2, 2))
    with pytest.raises(IndexError, match="out of bounds"):
        z.index_copy(0, torch.tensor([5]), torch.tensor([1.0]))
    with pytest.raises(IndexError, match="out of bounds"):
        z.index_copy(0, torch.tensor([-1]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        z.index_copy(0, torch.tensor([0]), torch.tensor([1]))
    with pytest.raises(IndexError, match="Number of indices"):
        z.index_copy(0, torch.tensor([0, 1]), torch.tensor([1.0]))
    with pytest.raises(IndexError, match="out of bounds"):
        z.index_fill(0, torch.tensor([0, 5]), 1)
    with pytest.raises(IndexError, match="int64"):
        z.index_fill(0, torch.tensor([0.0]), 1.0)
    with pytest.raises(RuntimeError, match="vector"):
        z.index_fill(0, torch.tensor([[0]]), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value"):
        z.index_fill(0, torch.tensor([1]), torch.tensor([1.0]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        z.index_add(1, torch.tensor([0]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError):
        torch.zeros(1).expand(3).index_add_(0, torch.tensor([0]), torch.tensor([1.0]))


def test_index_add_copy_fill_gradients():
    a = distinct((4, 3))
    idx = torch.tensor([2, 0, 2])
    check_grad(lambda x, s: x.index_add(0, idx, s, alpha=1.5) ** 2, a, distinct((3, 3), 1))
    check_grad(lambda x, s: x.index_add(1, torch.tensor([1, 1]), s), a, distinct((4, 2), 2))
    check_grad(lambda x, s: x.clone().index_add_(0, idx, s) * x, a, distinct((3, 3), 3))
    check_grad(lambda x, s: x.index_copy(0, torch.tensor([3, 1]), s) ** 2, a, distinct((2, 3), 4))
    check_grad(lambda x, s: (x * 1).index_copy_(1, torch.tensor([2]), s), a, distinct((4, 1), 5))
    check_grad(lambda x, v: x.index_fill(1, torch.tensor([0, 2]), v) * x, a, np.array(0.3))
    check_grad(lambda x: x.index_fill(0, torch.tensor([1]), -2.0) ** 2, a)
    x = torch.zeros(3, 4, requires_grad=True)
    s = torch.ones(2, 4, requires_grad=True)
    assert x.index_add(0, torch.tensor([0, 2]), s).grad_fn.name() == "IndexAddBackward0"
    assert x.index_copy(0, torch.tensor([0, 2]), s).grad_fn.name() == "IndexCopyBackward0"
    assert x.index_fill(0, torch.tensor([0]), 1.0).grad_fn.name() == "IndexFillBackward0"
    v = torch.tensor(1.0, requires_grad=True)
    assert x.index_fill(0, torch.tensor([0]), v).grad_fn.name() == "IndexFillBackward1"
    assert x.clone().index_add_(0, torch.tensor([0, 2]), s).grad_fn.name() == "IndexAddBackward0"


# --- index_put ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_matches_numpy(dtype, accumulate):
    rng = np.random.default_rng(4)
    a = sample((4, 5), dtype, rng)
    rows = np.array([3, 1, 3, 0]) if accumulate else np.array([3, 1, 0])
    cols = np.array([0, 4, 0, 2]) if accumulate else np.array([0, 4, 2])
    v = sample(rows.shape, dtype, rng)

    def expected(arr):
        want = np.array(arr)
        if accumulate:
            np.add.at(want, (rows, cols), v)
        else:
            want[rows, cols] = v
        return want

    for label, t, arr in variants(a, dtype):
        got = t.index_put((torch.tensor(rows), torch.tensor(cols)), tensor(v, dtype), accumulate)
        same(to_np(got), expected(arr))
    for label, t, arr in variants(a, dtype, writable=True):
        assert (
            t.index_put_([torch.tensor(rows), torch.tensor(cols)], tensor(v, dtype), accumulate=accumulate)
            is t
        )
        same(to_np(t), expected(arr))
    mask = a.astype(np.float64) > 0
    want = a.copy()
    want[mask] = want[mask] + want[mask] if accumulate else want[mask]
    got = torch.index_put(tensor(a, dtype), (torch.tensor(mask),), tensor(a[mask], dtype), accumulate)
    same(to_np(got), want)


def test_index_put_rules():
    z = torch.zeros(3)
    assert z.index_put((torch.tensor([1, 1]),), torch.tensor(2.0), accumulate=True).tolist() == [
        0.0,
        4.0,
        0.0,
    ]
    b = torch.zeros(3, dtype=torch.bool).index_put((torch.tensor([1, 1]),), torch.tensor(True), True)
    assert b.tolist() == [False, True, False]
    with pytest.raises(IndexError, match="out of bounds"):
        z.index_put((torch.tensor([0, 5]),), torch.tensor(1.0))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        z.index_put((torch.tensor([0, 1]),), torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="expected Tensor"):
        torch.zeros(3, 2).index_put((None, torch.tensor([0, 1])), torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="dtypes match"):
        z.index_put_((torch.tensor([0, 1]),), torch.tensor([1, 2]))
    with pytest.raises(IndexError, match="too many indices"):
        z.index_put_((torch.tensor([0]), torch.tensor([0])), torch.tensor([1.0]))
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        z.index_put_((torch.tensor([0.0]),), torch.tensor([1.0]))


def test_index_put_gradients():
    a = distinct((4, 3))
    rows, cols = torch.tensor([3, 0, 3]), torch.tensor([1, 2, 1])
    check_grad(lambda x, v: x.index_put((rows, cols), v, accumulate=True) ** 2, a, distinct((3,), 1))
    check_grad(lambda x, v: x.index_put((torch.tensor([2, 0]),), v) * x, a, distinct((3,), 2))
    check_grad(lambda x, v: x.clone().index_put_((rows,), v, True) ** 2, a, distinct((1, 3), 3))
    x = torch.zeros(3, requires_grad=True)
    assert x.index_put((torch.tensor([0]),), torch.tensor(1.0)).grad_fn.name() == "IndexPutBackward0"


# --- masked_select / masked_scatter -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_masked_select_and_scatter_match_numpy(dtype):
    rng = np.random.default_rng(5)
    a = sample((4, 5), dtype, rng)
    mask = rng.integers(0, 2, (4, 5)).astype(bool)
    row_mask = rng.integers(0, 2, (5,)).astype(bool)
    src = sample((30,), dtype, rng)
    for label, t, arr in variants(a, dtype):
        same(to_np(t.masked_select(torch.tensor(mask))), arr[mask])
        same(to_np(torch.masked_select(t, torch.tensor(row_mask))), arr[np.broadcast_to(row_mask, arr.shape)])
        want = np.array(arr)
        want[mask] = src[: mask.sum()]
        same(to_np(t.masked_scatter(torch.tensor(mask), tensor(src, dtype))), want)
        want = np.array(arr)
        bm = np.broadcast_to(row_mask, arr.shape)
        want[bm] = src[: bm.sum()]
        same(to_np(torch.masked_scatter(t, torch.tensor(row_mask), tensor(src.reshape(5, 6), dtype))), want)
    for label, t, arr in variants(a, dtype, writable=True):
        want = np.array(arr)
        want[mask] = src[: mask.sum()]
        assert t.masked_scatter_(torch.tensor(mask), tensor(src, dtype)) is t
        same(to_np(t), want)


def test_masked_rules():
    z = torch.zeros(3)
    with pytest.raises(RuntimeError, match="BoolTensor"):
        z.masked_select(torch.tensor([1, 0, 1]))
    with pytest.raises(RuntimeError, match="must match the size"):
        z.masked_select(torch.tensor([True, False]))
    assert torch.tensor(1.0).masked_select(torch.tensor([True, False])).tolist() == [1.0]
    assert torch.zeros(2, 3).masked_select(torch.tensor([True, False, True])).shape == (4,)
    with pytest.raises(RuntimeError, match="Number of elements of source"):
        z.masked_scatter(torch.tensor([True, False, True]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="same dtypes"):
        z.masked_scatter(torch.tensor([True, False, True]), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="boolean masks"):
        z.masked_scatter(torch.tensor([1, 0, 1], dtype=torch.uint8), torch.arange(6.0))
    assert torch.tensor(3.0).masked_scatter(
        torch.tensor([True, False]), torch.tensor([5.0, 6.0])
    ).tolist() == [5.0, 3.0]
    assert z.masked_scatter(torch.tensor([[True, False, True]]), torch.arange(6.0)).tolist() == [
        [0.0, 0.0, 1.0]
    ]
    with pytest.raises(RuntimeError):
        z.masked_scatter_(torch.tensor([[True, False, True]]), torch.arange(6.0))


def test_masked_gradients():
    a = distinct((3, 4))
    mask = torch.tensor([[True, False, True, True], [False, False, True, False], [True, True, False, False]])
    check_grad(lambda x: x.masked_select(mask) ** 2, a)
    check_grad(lambda x: x[0].masked_select(mask) * 3, a)
    check_grad(lambda x, s: x.masked_scatter(mask, s) * x, a, distinct((2, 5), 1))
    check_grad(lambda x, s: x.clone().masked_scatter_(mask[1], s) ** 2, a, distinct((4,), 2))
    x = torch.zeros(3, requires_grad=True)
    assert x.masked_select(x > -1).grad_fn.name() == "MaskedSelectBackward0"
    assert x.masked_scatter(x > -1, torch.arange(3.0)).grad_fn.name() == "MaskedScatterBackward0"


# --- take / put / take_along_dim ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_take_put_match_numpy(dtype):
    rng = np.random.default_rng(6)
    a = sample((3, 4), dtype, rng)
    idx = np.array([[11, 0, -1], [5, 5, -12]])
    uniq = np.array([[11, 0], [5, 2]])
    src = sample((2, 2), dtype, rng)
    for label, t, arr in variants(a, dtype):
        same(to_np(t.take(torch.tensor(idx))), np.take(arr, idx))
        want = np.array(arr)
        np.put(want, uniq, src)
        same(to_np(t.put(torch.tensor(uniq), tensor(src, dtype))), want)
        acc = np.ascontiguousarray(arr).copy()
        src4 = sample((4,), dtype, rng)
        np.add.at(acc.reshape(-1), [1, 1, 7, 1], src4)
        same(to_np(torch.put(t, torch.tensor([1, 1, 7, 1]), tensor(src4, dtype), accumulate=True)), acc)
    for label, t, arr in variants(a, dtype, writable=True):
        want = np.array(arr)
        np.put(want, uniq, src)
        assert t.put_(torch.tensor(uniq), tensor(src, dtype)) is t
        same(to_np(t), want)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_take_along_dim_matches_numpy(dtype):
    rng = np.random.default_rng(7)
    a = sample((3, 4), dtype, rng)
    for label, t, arr in variants(a, dtype):
        i0 = rng.integers(0, 3, (2, 4))
        same(to_np(torch.take_along_dim(t, torch.tensor(i0), 0)), np.take_along_axis(arr, i0, 0))
        i1 = rng.integers(0, 4, (3, 5))
        same(to_np(t.take_along_dim(torch.tensor(i1), dim=1)), np.take_along_axis(arr, i1, 1))
        ib = rng.integers(0, 4, (1, 2))
        same(
            to_np(t.take_along_dim(torch.tensor(ib), -1)),
            np.take_along_axis(arr, np.broadcast_to(ib, (3, 2)), 1),
        )
        flat = rng.integers(0, 12, (5,))
        same(to_np(t.take_along_dim(torch.tensor(flat))), arr.reshape(-1)[flat])
    sorted_idx = torch.tensor(a.astype(np.float64)).argsort(1)
    same(to_np(tensor(a, dtype).take_along_dim(sorted_idx, 1)), np.take_along_axis(a, sorted_idx.numpy(), 1))


def test_take_put_rules():
    z = torch.zeros(3)
    with pytest.raises(IndexError, match="out of range"):
        z.take(torch.tensor([3]))
    assert z.take(torch.tensor([-3])).tolist() == [0.0]
    with pytest.raises(RuntimeError, match="long tensor"):
        z.take(torch.tensor([0], dtype=torch.int32))
    assert torch.tensor(2.0).take(torch.tensor(0)).item() == 2.0
    with pytest.raises(IndexError, match="out of range"):
        z.put(torch.tensor([3]), torch.tensor([1.0]))
    with pytest.raises(IndexError, match="same number of elements"):
        z.put_(torch.tensor([0, 1]), torch.tensor([1.0]))
    with pytest.raises(RuntimeError, match="long tensor"):
        z.put_(torch.tensor([0, 1], dtype=torch.int32), torch.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="same dtype"):
        z.put_(torch.tensor([0, 1]), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="dtype of indices should be Long"):
        torch.zeros(2, 3).take_along_dim(torch.tensor([[0, 1]], dtype=torch.int32), 1)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        torch.zeros(2, 3).take_along_dim(torch.tensor([0, 1]), dim=0)
    with pytest.raises(RuntimeError, match="out of bounds"):
        torch.zeros(2, 3).take_along_dim(torch.tensor([[0, 3]]), 1)


def test_take_put_gradients():
    a = distinct((3, 4))
    check_grad(lambda x: x.take(torch.tensor([[0, 11], [5, 0]])) ** 2, a)
    check_grad(lambda x: x.t().take(torch.tensor([1, 1, -1])), a)
    check_grad(lambda x, s: x.put(torch.tensor([3, 7]), s) * x, a, distinct((2,), 1))
    check_grad(lambda x, s: x.put(torch.tensor([3, 3, 0]), s, accumulate=True) ** 2, a, distinct((3,), 2))
    check_grad(lambda x, s: x.clone().put_(torch.tensor([[1]]), s) ** 2, a, distinct((1, 1), 3))
    check_grad(lambda x: x.take_along_dim(torch.tensor([[0, 2], [1, 1], [3, 0]]), 1) ** 2, a)
    check_grad(lambda x: x.take_along_dim(torch.tensor([[0], [2]]), 0) ** 2, a)
    check_grad(lambda x: x.take_along_dim(torch.tensor([4, 4, 0])) ** 2, a)
    x = torch.zeros(3, requires_grad=True)
    assert x.take(torch.tensor([0])).grad_fn.name() == "TakeBackward0"
    assert x.put(torch.tensor([0]), torch.tensor([1.0])).grad_fn.name() == "PutBackward0"
    assert x.take_along_dim(torch.tensor([0]), 0).grad_fn.name() == "GatherBackward0"


# --- scatter_reduce ------------------------------------------------------------------------------------------


def scatter_reduce_oracle(a, dim, index, src, reduce, include_self):
    out = np.array(a, dtype=np.float64)
    groups = {}
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        groups.setdefault(tuple(target), []).append(float(src[pos]))
    for target, vals in groups.items():
        if include_self:
            vals = [out[target]] + vals
        if reduce == "sum":
            r = sum(vals)
        elif reduce == "prod":
            r = float(np.prod(vals))
        elif reduce == "mean":
            r = sum(vals) / len(vals)
        elif reduce == "amax":
            r = max(vals)
        else:
            r = min(vals)
        out[target] = r
    return out


@pytest.mark.parametrize("dtype", DTYPES[1:], ids=str)
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_loop(dtype, reduce, include_self):
    rng = np.random.default_rng(8)
    a = sample((3, 4), dtype, rng)
    src = sample((3, 5), dtype, rng)
    if reduce == "prod" and dtype not in (torch.float32, torch.float64):
        # Small factors keep products exact in narrow types.
        a, src = (np.abs(a) % 3).astype(a.dtype), (np.abs(src) % 3).astype(src.dtype)
    index = rng.integers(0, 4, (3, 2))
    for label, t, arr in variants(a, dtype):
        got = t.scatter_reduce(1, torch.tensor(index), tensor(src, dtype), reduce, include_self=include_self)
        want = scatter_reduce_oracle(arr, 1, index, src, reduce, include_self)
        if dtype not in FLOATS:
            if reduce == "mean":
                want = np.floor(want)
            want = want.astype(NP[dtype])
        tol = 1e-2 if dtype in (torch.float16, torch.bfloat16) else 1e-6
        np.testing.assert_allclose(to_np(got).astype(np.float64), np.asarray(want, np.float64), rtol=tol)
    index0 = torch.tensor(index[:2] % 3)
    for label, t, arr in variants(a, dtype, writable=True):
        want = to_np(t.scatter_reduce(0, index0, tensor(src, dtype), reduce, include_self=include_self))
        assert t.scatter_reduce_(0, index0, tensor(src, dtype), reduce, include_self=include_self) is t
        same(to_np(t), want)


def test_scatter_reduce_rules():
    x = torch.arange(6).reshape(2, 3)
    idx = torch.tensor([[0, 0], [2, 2]])
    r = x.scatter_reduce(1, idx, torch.tensor([[10, 21], [30, 40]]), "mean", include_self=False)
    assert r.tolist() == [[15, 1, 2], [3, 4, 35]]
    r = torch.tensor([-1, 2, 3]).scatter_reduce(0, torch.tensor([0, 0]), torch.tensor([-5, 0]), "mean")
    assert r.tolist() == [-2, 2, 3]
    r = torch.tensor([1.0, 2.0]).scatter_reduce(
        0, torch.tensor([0, 0]), torch.tensor([float("nan"), 0.0]), "amax"
    )
    assert np.isnan(r[0].item())
    with pytest.raises(RuntimeError, match="reduce argument must be"):
        torch.arange(6.0).scatter_reduce(0, torch.tensor([0]), torch.tensor([1.0]), "foo")
    with pytest.raises(RuntimeError, match="out of bounds"):
        torch.zeros(3).scatter_reduce(0, torch.tensor([0, 3]), torch.tensor([1.0, 2.0]), "sum")
    with pytest.raises(RuntimeError, match="out of bounds"):
        torch.zeros(3).scatter_reduce(0, torch.tensor([-1]), torch.tensor([1.0]), "sum")
    with pytest.raises(RuntimeError, match="dtype"):
        torch.zeros(3).scatter_reduce(0, torch.tensor([0]), torch.tensor([1]), "sum")
    with pytest.raises(RuntimeError, match="int64"):
        torch.zeros(3).scatter_reduce(0, torch.tensor([0], dtype=torch.int32), torch.tensor([1.0]), "sum")
    with pytest.raises(NotImplementedError):
        torch.tensor([True]).scatter_reduce(0, torch.tensor([0]), torch.tensor([True]), "mean")
    with pytest.raises(RuntimeError, match="out of bounds"):
        torch.zeros(3).gather(0, torch.tensor([-1]))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients(reduce, include_self):
    a = distinct((3, 4))
    s = distinct((3, 3), seed=1) - 1.0
    index = torch.tensor([[0, 0, 2], [3, 1, 3], [1, 1, 1]])
    check_grad(lambda x, y: x.scatter_reduce(1, index, y, reduce, include_self=include_self), a, s)
    # src larger than index: only its read part gets a gradient.
    big = distinct((4, 5), seed=2)
    check_grad(lambda x, y: x.scatter_reduce(1, index, y, reduce, include_self=include_self) ** 2, a, big)
    check_grad(
        lambda x, y: x.clone().scatter_reduce_(0, index[:2] % 3, y, reduce, include_self=include_self), a, s
    )
    if reduce == "prod":
        a0, s0 = a.copy(), s.copy()
        a0[0, 0] = 0.0
        s0[1, 1] = 0.0
        check_grad(lambda x, y: x.scatter_reduce(1, index, y, "prod", include_self=include_self), a0, s0)
    x = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    r = x.scatter_reduce(1, index, torch.tensor(s), reduce, include_self=include_self)
    assert r.grad_fn.name() == "ScatterReduceBackward0"


def test_scatter_reduce_amax_ties_share_gradient():
    x = torch.tensor([5.0, 1.0], dtype=torch.float64, requires_grad=True)
    s = torch.tensor([5.0, 2.0, 5.0], dtype=torch.float64, requires_grad=True)
    r = x.scatter_reduce(0, torch.tensor([0, 1, 0]), s, "amax")
    r.sum().backward()
    assert x.grad.tolist() == [1 / 3, 0.0]
    assert s.grad.tolist() == [1 / 3, 1.0, 1 / 3]
