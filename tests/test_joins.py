"""Joining, splitting, tiling, rolling, triangle and diagonal ops against numpy, on several
dtypes and memory layouts, with PyTorch's errors and finite-difference gradient checks."""

import itertools
import warnings

import embertorch as torch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.int8,
    torch.uint8,
    torch.bool,
]
SOME_DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.int64, torch.uint8, torch.bool]


def rand_np(shape, dtype, rng):
    if dtype == torch.bool:
        return rng.random(shape) > 0.5
    if dtype == torch.uint8:
        return rng.integers(0, 10, size=shape).astype(np.int64)
    if not dtype.is_floating_point:
        return rng.integers(-5, 6, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(np.float32)


def make(a, dtype):
    return torch.tensor(np.asarray(a)).to(dtype)


def np_of(t):
    """The values of a tensor as numpy (bfloat16 through float32)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.numpy()


def variants(shape, dtype, rng):
    """The same kind of operand in several layouts: contiguous, transposed, sliced (step 2)
    and expanded (stride 0). Each has its own values; references come from `np_of`."""
    shape = tuple(shape)
    yield "contiguous", make(rand_np(shape, dtype, rng), dtype)
    if len(shape) >= 2:
        a = rand_np(shape[:-2] + (shape[-1], shape[-2]), dtype, rng)
        yield "transposed", make(a, dtype).transpose(-1, -2)
    if len(shape) >= 1:
        big = rand_np(shape[:-1] + (2 * shape[-1] + 1,), dtype, rng)
        yield "sliced", make(big, dtype)[..., 1::2]
    if len(shape) >= 1 and shape[0] > 1:
        base = rand_np((1,) + shape[1:], dtype, rng)
        yield "expanded", make(base, dtype).expand(*shape)


def rounded(a, dtype):
    """numpy results brought to `dtype` the way the tensor op rounds them."""
    return np_of(make(a, dtype))


def check_same(got, want):
    assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
    g = np_of(got)
    if g.dtype.kind == "f":
        np.testing.assert_array_equal(g.astype(np.float64), np.asarray(want, dtype=np.float64))
    else:
        np.testing.assert_array_equal(g, want)


# --- finite differences -----------------------------------------------------------------------


def numeric_grads(f, inputs, weights, eps=1e-6):
    """Central differences of sum(f(*inputs) * weights) for each float64 input."""
    grads = []
    for i, x in enumerate(inputs):
        base = np_of(x).astype(np.float64)
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            vals = []
            for sign in (1, -1):
                pert = base.copy()
                pert[idx] += sign * eps
                args = list(inputs)
                args[i] = torch.tensor(pert, dtype=torch.float64)
                vals.append(float((np_of(f(*args)) * weights).sum()))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def gradcheck(f, *shapes, seed=0, atol=1e-6):
    """Analytic gradients of `f` (via backward) against central differences, in float64."""
    rng = np.random.default_rng(seed)
    inputs = [torch.tensor(rng.standard_normal(s), dtype=torch.float64, requires_grad=True) for s in shapes]
    out = f(*inputs)
    weights = rng.standard_normal(tuple(out.shape))
    (out * torch.tensor(weights)).sum().backward()
    detached = [x.detach() for x in inputs]
    for x, num in zip(inputs, numeric_grads(f, detached, weights)):
        got = np.zeros(num.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=atol)
    return out


# --- stacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 2)])
def test_stacks_match_numpy(dtype, shape):
    rng = np.random.default_rng(1)
    for _, t in variants(shape, dtype, rng):
        u = make(rand_np(shape, dtype, rng), dtype)
        a, b = np_of(t), np_of(u)
        check_same(torch.hstack([t, u]), np.hstack([a, b]))
        check_same(torch.vstack([t, u]), np.vstack([a, b]))
        check_same(torch.row_stack((t, u)), np.vstack([a, b]))
        check_same(torch.dstack([t, u]), np.dstack([a, b]))
        if len(shape) <= 2:
            check_same(torch.column_stack([t, u]), np.column_stack([a, b]))


def test_stacks_promote_and_reject():
    a = torch.ones(2, 3)
    b = torch.ones(2, 3, dtype=torch.int64)
    assert torch.hstack([a, b]).dtype == torch.float32
    assert torch.vstack([b, b.to(torch.int8)]).dtype == torch.int64
    out = torch.column_stack([torch.ones(3), torch.arange(3)])
    assert out.shape == (3, 2) and out.dtype == torch.float32
    for fn in (torch.hstack, torch.vstack, torch.dstack, torch.column_stack, torch.row_stack):
        with pytest.raises(RuntimeError, match="expects a non-empty TensorList"):
            fn([])
        with pytest.raises(TypeError):
            fn(torch.ones(2))
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions"):
        torch.hstack([torch.ones(2, 2), torch.ones(2)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        torch.vstack([torch.ones(2, 2), torch.ones(2, 3)])
    o = torch.empty(0)
    r = torch.hstack([torch.ones(2), torch.zeros(1)], out=o)
    assert r is o and o.tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast_nd(n):
    fn = {1: torch.atleast_1d, 2: torch.atleast_2d, 3: torch.atleast_3d}[n]
    ref = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[n]
    for shape in [(), (4,), (2, 3), (2, 3, 4), (1, 2, 3, 4)]:
        a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        t = torch.tensor(a)
        check_same(fn(t), ref(a))
        assert fn(t).data_ptr() == t.data_ptr()  # views, never copies
    x, y = torch.tensor(1.0), torch.ones(2)
    assert isinstance(fn(x, y), tuple) and len(fn(x, y)) == 2
    assert isinstance(fn([x]), tuple) and len(fn([x])) == 1
    assert fn() == ()


# --- splits -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", SOME_DTYPES)
def test_tensor_split_matches_numpy(dtype):
    rng = np.random.default_rng(2)
    for name, t in variants((7, 5), dtype, rng):
        a = np_of(t)
        for dim in (0, 1, -1):
            for sections in (1, 2, 3, 7, 9):
                got = t.tensor_split(sections, dim)
                want = np.array_split(a, sections, axis=dim)
                assert isinstance(got, tuple) and len(got) == len(want)
                for g, w in zip(got, want):
                    check_same(g, w)
            for idx in ([2], [1, 3], [3, 1], [-2, 4], [0, 10], []):
                got = torch.tensor_split(t, idx, dim=dim)
                want = np.split(a, idx, axis=dim)
                for g, w in zip(got, want):
                    check_same(g, w)
            as_tensor = t.tensor_split(torch.tensor([1, 3]), dim)
            for g, w in zip(as_tensor, np.split(a, [1, 3], axis=dim)):
                check_same(g, w)
            check_same(t.tensor_split(torch.tensor(2), dim)[0], np.array_split(a, 2, axis=dim)[0])
    # The parts are views of the input.
    base = torch.arange(10)
    parts = base.tensor_split(3)
    assert parts[1].data_ptr() == base.data_ptr() + 4 * base.element_size()


def test_directional_splits():
    a = np.arange(48).reshape(4, 6, 2)
    t = torch.tensor(a)
    for got, want in zip(torch.hsplit(t, 3), np.hsplit(a, 3)):
        check_same(got, want)
    for got, want in zip(t.vsplit([1, 3]), np.vsplit(a, [1, 3])):
        check_same(got, want)
    for got, want in zip(t.dsplit(2), np.dsplit(a, 2)):
        check_same(got, want)
    v = torch.arange(6)
    for got, want in zip(v.hsplit(2), np.hsplit(np.arange(6), 2)):
        check_same(got, want)
    with pytest.raises(RuntimeError, match="not divisible by the split_size 4"):
        t.hsplit(4)
    with pytest.raises(RuntimeError, match="requires a tensor with at least 2 dimension"):
        v.vsplit(2)
    with pytest.raises(RuntimeError, match="requires a tensor with at least 3 dimension"):
        torch.ones(2, 2).dsplit(2)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        torch.tensor(1).hsplit(1)


def test_split_errors():
    x = torch.ones(3, 4)
    with pytest.raises(RuntimeError, match="number of sections must be larger than 0, got 0"):
        x.tensor_split(0)
    with pytest.raises(RuntimeError, match="at least a 1-dimensional tensor"):
        torch.tensor(1.0).tensor_split(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.tensor_split(2, 5)
    with pytest.raises(RuntimeError, match="to have dtype of long, but got Float"):
        x.tensor_split(torch.tensor([1.0]), 1)
    with pytest.raises(RuntimeError, match="zero-dimensional or one-dimensional tensor"):
        x.tensor_split(torch.tensor([[1]]), 1)


# --- flips, rolls, rotations -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_flips_roll_rot90_match_numpy(dtype):
    rng = np.random.default_rng(3)
    for name, t in variants((3, 4, 5), dtype, rng):
        a = np_of(t)
        check_same(t.fliplr(), np.fliplr(a))
        check_same(torch.flipud(t), np.flipud(a))
        for shifts, dims in [(1, None), (-7, None), (2, 0), (13, -1), ((1, -2), (0, 2)), ((5, 5), (1, 1))]:
            check_same(torch.roll(t, shifts, dims), np.roll(a, shifts, dims))
        for k in range(-5, 6):
            for dims in ([0, 1], [1, 0], [2, 0], [-1, -2]):
                check_same(torch.rot90(t, k, dims), np.rot90(a, k, dims))
        check_same(t.rot90(), np.rot90(a))


def test_roll_and_rot90_edge_cases():
    s = torch.tensor(3.0)
    assert torch.roll(s, 4).item() == 3.0
    empty = torch.zeros(0, 3)
    assert torch.roll(empty, 1, 0).shape == (0, 3)
    check_same(torch.roll(torch.arange(6).reshape(2, 3).t(), 2), np.roll(np.arange(6).reshape(2, 3).T, 2))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:0"):
        torch.roll(torch.ones(3, 4), (1, 2))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        torch.roll(torch.ones(3, 4), (1, 2), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.roll(torch.ones(3, 4), 1, 2)
    with pytest.raises(IndexError, match="no dimensions"):
        torch.roll(s, 1, 0)
    x = torch.ones(3, 4)
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2, but got dims = 1"):
        torch.rot90(x, 1, [0])
    with pytest.raises(RuntimeError, match="expected total dims >= 2, but got total dims = 1"):
        torch.rot90(torch.ones(3))
    with pytest.raises(RuntimeError, match="expected rotation dims to be different, but got dim0 = 0 and dim1 = -2"):
        torch.rot90(x, 1, [0, -2])
    with pytest.raises(RuntimeError, match="Input must be >= 2-d"):
        torch.ones(3).fliplr()
    with pytest.raises(RuntimeError, match="Input must be >= 1-d"):
        s.flipud()


# --- repeats ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_and_tile_match_numpy(dtype):
    rng = np.random.default_rng(4)
    for shape in [(), (3,), (2, 3)]:
        for name, t in variants(shape, dtype, rng):
            a = np_of(t)
            for reps in [(2,) * len(shape), (1, 2, 3)[-len(shape) - 1 :], (2, 1) + (1,) * len(shape), (0,) * max(len(shape), 1)]:
                if len(reps) < len(shape):
                    continue
                if reps:
                    check_same(t.repeat(*reps), np.tile(a, reps))
                check_same(t.repeat(reps), np.tile(a, reps))
            for reps in [(2,), (2, 3), (1, 1, 2), ()]:
                check_same(t.tile(reps), np.tile(a, reps))
                check_same(torch.tile(t, reps), np.tile(a, reps))


@pytest.mark.parametrize("dtype", SOME_DTYPES)
def test_repeat_interleave_matches_numpy(dtype):
    rng = np.random.default_rng(5)
    for name, t in variants((3, 4), dtype, rng):
        a = np_of(t)
        check_same(t.repeat_interleave(2), np.repeat(a, 2))
        check_same(torch.repeat_interleave(t, 3, dim=1), np.repeat(a, 3, axis=1))
        check_same(t.repeat_interleave(0, 0), np.repeat(a, 0, axis=0))
        counts = np.array([2, 0, 1])
        check_same(t.repeat_interleave(torch.tensor(counts), dim=0), np.repeat(a, counts, axis=0))
        check_same(t.repeat_interleave(torch.tensor(counts, dtype=torch.int32), 0), np.repeat(a, counts, axis=0))
        check_same(t.repeat_interleave(torch.tensor([2]), dim=1), np.repeat(a, 2, axis=1))
        check_same(t.repeat_interleave(torch.tensor(3), dim=-1), np.repeat(a, 3, axis=-1))
        check_same(t.repeat_interleave(2, dim=0, output_size=6), np.repeat(a, 2, axis=0))
    check_same(torch.repeat_interleave(torch.tensor([1, 0, 3])), np.array([0, 2, 2, 2]))
    assert torch.repeat_interleave(torch.tensor([2, 1], dtype=torch.int32)).dtype == torch.int32
    check_same(torch.repeat_interleave(torch.tensor(5.0), 3), np.array([5.0, 5.0, 5.0]))


def test_repeat_errors():
    x = torch.ones(3, 4)
    with pytest.raises(RuntimeError, match="can not be smaller than number of dimensions"):
        x.repeat(2)
    with pytest.raises(RuntimeError, match="negative dimension -3"):
        x.repeat(-1, 1)
    with pytest.raises(TypeError):
        x.repeat()
    with pytest.raises(RuntimeError, match="Repeats must be non-negative"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(torch.tensor([1, -2, 3]), 0)
    with pytest.raises(RuntimeError, match=r"repeats.size\(0\) = 2 and input.size\(0\) = 3"):
        x.repeat_interleave(torch.tensor([1, 2]), 0)
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        x.repeat_interleave(torch.tensor([1.0, 2.0, 3.0]), 0)
    with pytest.raises(RuntimeError, match="Invalid output_size, expected 6 but got 5"):
        x.repeat_interleave(2, 0, output_size=5)
    with pytest.raises(RuntimeError, match="allocated size does not match required size"):
        x.repeat_interleave(torch.tensor([1, 2, 3]), 0, output_size=5)
    with pytest.raises(RuntimeError, match="only accept 1D vector as repeat"):
        torch.repeat_interleave(torch.tensor([[1, 2]]))


# --- broadcasting ---------------------------------------------------------------------------------------


def test_broadcast_to_and_shapes():
    a = np.arange(3.0).reshape(3, 1)
    t = torch.tensor(a)
    check_same(t.broadcast_to((2, 3, 4)), np.broadcast_to(a, (2, 3, 4)))
    check_same(torch.broadcast_to(t, (3, -1)), a)
    assert t.broadcast_to((2, 3, 4)).stride() == (0, 1, 0)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        torch.ones(3, 4).broadcast_to((3, 5))
    assert torch.broadcast_shapes((3, 1), (4,)) == torch.Size([3, 4])
    assert torch.broadcast_shapes(3, (2, 1)) == (2, 3)
    assert torch.broadcast_shapes() == ()
    assert torch.broadcast_shapes((1,), torch.Size([5, 1, 3]), [4, 1]) == np.broadcast_shapes((1,), (5, 1, 3), (4, 1))
    with pytest.raises(RuntimeError, match=r"Mismatching argument at index 1 had \(4,\)"):
        torch.broadcast_shapes((3, 2), (4,))
    with pytest.raises(ValueError, match="negative length"):
        torch.broadcast_shapes((-1, 2))


shape_st = st.lists(st.integers(0, 3), min_size=0, max_size=4)


@settings(max_examples=60, deadline=None)
@given(base=shape_st, data=st.data())
def test_broadcast_tensors_property(base, data):
    """Random shapes derived from one target (dims dropped from the front or set to 1)
    broadcast as numpy's broadcast_arrays does."""
    n = data.draw(st.integers(1, 4))
    shapes = []
    for _ in range(n):
        drop = data.draw(st.integers(0, len(base)))
        s = [1 if data.draw(st.booleans()) else d for d in base[drop:]]
        shapes.append(tuple(s))
    arrays = [np.arange(int(np.prod(s)), dtype=np.float64).reshape(s) + 10 * i for i, s in enumerate(shapes)]
    got = torch.broadcast_tensors(*[torch.tensor(a) for a in arrays])
    want = np.broadcast_arrays(*arrays)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        check_same(g, w)
    assert torch.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_broadcast_tensors_keeps_matching_operands_and_errors():
    x = torch.ones(3, 4)
    y, z = torch.broadcast_tensors(x, torch.ones(4))
    assert y.data_ptr() == x.data_ptr() and y.stride() == x.stride()
    assert z.shape == (3, 4) and z.stride() == (0, 1)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        torch.broadcast_tensors(x, torch.ones(3))


def test_meshgrid_matches_numpy():
    a, b, c = np.arange(3.0), np.arange(4.0) * 10, np.arange(2.0) - 5
    for indexing in ("ij", "xy"):
        got = torch.meshgrid(torch.tensor(a), torch.tensor(b), torch.tensor(c), indexing=indexing)
        for g, w in zip(got, np.meshgrid(a, b, c, indexing=indexing)):
            check_same(g, w)
        got = torch.meshgrid([torch.tensor(a), torch.tensor(b)], indexing=indexing)
        for g, w in zip(got, np.meshgrid(a, b, indexing=indexing)):
            check_same(g, w)
    s = torch.meshgrid(torch.tensor(2.0, dtype=torch.float64), torch.tensor(b), indexing="ij")
    assert s[0].shape == (1, 4)
    with pytest.warns(UserWarning, match="indexing argument"):
        g = torch.meshgrid(torch.tensor(a), torch.tensor(b))
    assert g[0].shape == (3, 4)
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        torch.meshgrid(torch.ones(2, 2), indexing="ij")
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.meshgrid(torch.ones(2), torch.ones(2, dtype=torch.float64), indexing="ij")
    with pytest.raises(RuntimeError, match='indexing must be one of "xy" or "ij", but received: foo'):
        torch.meshgrid(torch.ones(2), indexing="foo")
    with pytest.raises(RuntimeError, match="non-empty TensorList"):
        torch.meshgrid(indexing="ij")


def test_cartesian_prod_and_combinations():
    a, b = [1, 2, 3], [10, 20]
    got = torch.cartesian_prod(torch.tensor(a), torch.tensor(b))
    check_same(got, np.array(list(itertools.product(a, b))))
    check_same(torch.cartesian_prod(torch.tensor(a)), np.array(a))
    v = [5, 6, 7, 8]
    for r in range(6):
        for rep in (False, True):
            got = torch.combinations(torch.tensor(v), r, with_replacement=rep)
            fn = itertools.combinations_with_replacement if rep else itertools.combinations
            want = np.array(list(fn(v, r)), dtype=np.int64)
            if r == 0:
                assert got.shape == (0,)
                continue
            if want.size == 0:
                want = want.reshape(0, r)
            check_same(got, want)
    with pytest.raises(RuntimeError, match=r"Expect a 1D vector, but got shape \[2, 2\]"):
        torch.combinations(torch.ones(2, 2))
    with pytest.raises(RuntimeError, match="Expect a non-negative number, but got -1"):
        torch.combinations(torch.ones(3), -1)
    with pytest.raises(RuntimeError, match="Expect a 1D vector"):
        torch.cartesian_prod(torch.ones(2, 2), torch.ones(2))


# --- triangles and diagonals --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_tril_triu_match_numpy(dtype):
    rng = np.random.default_rng(6)
    for shape in [(4, 5), (2, 3, 4), (0, 3)]:
        for name, t in variants(shape, dtype, rng):
            a = np_of(t)
            for k in (-5, -1, 0, 1, 2, 7):
                check_same(t.tril(k), np.tril(a, k))
                check_same(torch.triu(t, diagonal=k), np.triu(a, k))


@pytest.mark.parametrize("lower", [True, False])
def test_tril_triu_in_place(lower):
    a = np.arange(20.0).reshape(4, 5)
    t = torch.tensor(a)
    r = t.tril_(1) if lower else t.triu_(1)
    assert r is t
    check_same(t, np.tril(a, 1) if lower else np.triu(a, 1))
    # Through a transposed view: the base sees the write.
    base = torch.tensor(a)
    view = base.t()
    view.tril_() if lower else view.triu_()
    want = (np.tril(a.T) if lower else np.triu(a.T)).T
    check_same(base, want)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.ones(3).tril_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(2, 2, requires_grad=True).tril_()


@pytest.mark.parametrize("dtype", SOME_DTYPES)
def test_diag_family_matches_numpy(dtype):
    rng = np.random.default_rng(7)
    for name, t in variants((4,), dtype, rng):
        a = np_of(t)
        for k in (-2, 0, 1, 3):
            check_same(torch.diag(t, k), np.diag(a, k))
            check_same(t.diagflat(k), np.diagflat(a, k))
    for name, t in variants((3, 5), dtype, rng):
        a = np_of(t)
        for k in (-3, -1, 0, 2, 6):
            got = t.diag(k)
            check_same(got, np.diag(a, k))
            assert got.is_contiguous()
        check_same(torch.diagflat(t, -1), np.diagflat(a, -1))
        if dtype != torch.bool:
            tr = torch.trace(t)
            want = np.trace(a.astype(np.float64))
            if dtype.is_floating_point:
                assert tr.dtype == dtype
                np.testing.assert_allclose(float(tr), want, rtol=1e-2)
            else:
                assert tr.dtype == torch.int64 and int(tr) == int(want)


def test_diag_embed_matches_manual_construction():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = torch.tensor(a)
    for offset, d1, d2 in [(0, -2, -1), (1, 0, 2), (-2, 3, 1), (2, 1, 0)]:
        got = t.diag_embed(offset, d1, d2)
        n = 4 + abs(offset)
        want = np.zeros((2, 3, n, n))
        for i in range(4):
            r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
            want[:, :, r, c] = a[..., i]
        # Move the two diagonal dims to d1, d2 (d1 holds the row index).
        dims = [d % 4 for d in (d1, d2)]
        rest = [d for d in range(4) if d not in dims]
        order = [None] * 4
        for src, dst in zip([0, 1, 2, 3], rest + dims):
            order[dst] = src
        check_same(got, np.transpose(want, order))
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical 0, 0"):
        torch.ones(3).diag_embed(0, 0, 0)


def test_diag_trace_errors():
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        torch.zeros(2, 2, 2).diag()
    with pytest.raises(RuntimeError, match="Got 0D"):
        torch.tensor(1.0).diag()
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.ones(3).trace()
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        torch.ones(2, 2, dtype=torch.bool).trace()


# --- outer, kron, narrow_copy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", SOME_DTYPES)
def test_outer_kron_match_numpy(dtype):
    rng = np.random.default_rng(8)
    for (_, t), (_, u) in zip(variants((3,), dtype, rng), variants((4,), dtype, rng)):
        a, b = np_of(t), np_of(u)
        want = rounded(np.outer(a, b), dtype)
        check_same(torch.outer(t, u), want)
        check_same(t.ger(u), want)
    for sa, sb in [((2, 3), (3, 2)), ((2,), (2, 3)), ((2, 1, 2), (3,)), ((), (2,))]:
        t, u = make(rand_np(sa, dtype, rng), dtype), make(rand_np(sb, dtype, rng), dtype)
        check_same(torch.kron(t, u), rounded(np.kron(np_of(t), np_of(u)), dtype))
    assert torch.outer(torch.ones(2), torch.ones(3, dtype=torch.int64)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument vec2, but got 2-D"):
        torch.outer(torch.ones(2), torch.ones(2, 2))
    with pytest.raises(RuntimeError, match="outer: Expected 1-D argument self, but got 0-D"):
        torch.outer(torch.tensor(1.0), torch.ones(2))


def test_narrow_copy():
    a = np.arange(20.0).reshape(4, 5)
    t = torch.tensor(a).t()
    got = t.narrow_copy(1, 1, 2)
    check_same(got, a.T[:, 1:3])
    assert got.is_contiguous() and got.data_ptr() != t.data_ptr()
    check_same(t.narrow_copy(0, -2, 2), a.T[-2:])
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(3\) exceeds dimension size \(4\)"):
        t.narrow_copy(1, 3, 3)
    with pytest.raises(RuntimeError, match="0-dim"):
        torch.tensor(1.0).narrow_copy(0, 0, 1)


# --- autograd ------------------------------------------------------------------------------------------------


GRAD_CASES = [
    ("roll", lambda x: torch.roll(x, (1, -2), (0, 1)), [(3, 4)], "RollBackward0"),
    ("roll_flat", lambda x: torch.roll(x, 5), [(3, 4)], "RollBackward0"),
    ("rot90", lambda x: torch.rot90(x, 1), [(3, 4)], "Rot90Backward0"),
    ("rot90_3d", lambda x: torch.rot90(x, -1, [2, 0]), [(2, 3, 4)], "Rot90Backward0"),
    ("repeat", lambda x: x.repeat(2, 1, 3), [(2, 3)], "RepeatBackward0"),
    ("tile", lambda x: x.tile(2), [(3,)], "RepeatBackward0"),
    ("repeat_interleave", lambda x: x.repeat_interleave(2, 1), [(2, 3)], "ViewBackward0"),
    ("repeat_interleave_t", lambda x: x.repeat_interleave(torch.tensor([2, 0, 1]), 0), [(3, 2)], None),
    ("tril", lambda x: x.tril(1), [(4, 3)], "TrilBackward0"),
    ("triu", lambda x: torch.triu(x, -1), [(2, 3, 3)], "TriuBackward0"),
    ("diag_vec", lambda x: torch.diag(x, -1), [(3,)], "DiagEmbedBackward0"),
    ("diag_mat", lambda x: torch.diag(x, 1), [(3, 4)], "DiagonalBackward0_copy"),
    ("diag_embed", lambda x: x.diag_embed(1, 0, 2), [(2, 3)], "DiagEmbedBackward0"),
    ("diagflat", lambda x: x.diagflat(-1), [(2, 2)], "DiagEmbedBackward0"),
    ("trace", lambda x: x.trace(), [(3, 4)], "TraceBackward0"),
    ("outer", lambda x, y: torch.outer(x, y), [(3,), (2,)], "MulBackward0"),
    ("kron", lambda x, y: torch.kron(x, y), [(2, 2), (3,)], "UnsafeViewBackward0"),
    ("narrow_copy", lambda x: x.narrow_copy(1, 1, 2), [(3, 4)], "NarrowCopyBackward0"),
    ("hstack", lambda x, y: torch.hstack([x, y]), [(2, 3), (2, 1)], "CatBackward0"),
    ("vstack", lambda x, y: torch.vstack([x, y]), [(3,), (2, 3)], "CatBackward0"),
    ("dstack", lambda x, y: torch.dstack([x, y]), [(2, 3), (2, 3)], "CatBackward0"),
    ("column_stack", lambda x, y: torch.column_stack([x, y]), [(3,), (3, 2)], "CatBackward0"),
    ("tensor_split", lambda x: x.tensor_split([1, 3], 1)[1], [(2, 4)], "SliceBackward0"),
    ("meshgrid", lambda x, y: torch.meshgrid(x, y, indexing="xy")[1] * 2, [(3,), (2,)], None),
    ("cartesian_prod", lambda x, y: torch.cartesian_prod(x, y), [(3,), (2,)], "StackBackward0"),
    ("combinations", lambda x: torch.combinations(x, 2, True), [(3,)], "StackBackward0"),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), [(3, 1)], "ExpandBackward0"),
    ("broadcast_tensors", lambda x, y: torch.broadcast_tensors(x, y)[0], [(3, 1), (4,)], "ExpandBackward0"),
    ("fliplr", lambda x: x.fliplr(), [(2, 3)], "FlipBackward0"),
    ("flipud", lambda x: x.flipud(), [(2, 3)], "FlipBackward0"),
    ("atleast_3d", lambda x: torch.atleast_3d(x), [(3,)], "UnsqueezeBackward0"),
]


@pytest.mark.parametrize("name,f,shapes,node", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_by_finite_differences(name, f, shapes, node):
    out = gradcheck(f, *shapes)
    if node is not None:
        assert out.grad_fn is not None and out.grad_fn.name() == node


def test_double_backward_through_repeat_and_roll():
    """create_graph: the backward of repeat/roll/tril is itself differentiable."""
    x = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = torch.tensor(np.linspace(-1, 1, 24).reshape(4, 6), requires_grad=True)
    y = (x.repeat(2, 2).roll(1, 0).tril() * w).sum()
    (gx,) = torch.autograd.grad(y, [x], create_graph=True)
    (gw,) = torch.autograd.grad((gx * gx).sum(), [w])
    # gx = R^T(w) where R is the linear map x -> tril(roll(repeat(x))); d|gx|^2/dw = 2 R(gx).
    with torch.no_grad():
        want = 2 * (gx.repeat(2, 2).roll(1, 0).tril())
    np.testing.assert_allclose(gw.numpy(), want.numpy(), rtol=1e-12)


def test_in_place_tril_records_history():
    base = torch.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    t = base * 2
    t.triu_(1)
    assert t.grad_fn.name() == "TriuBackward0"
    t.sum().backward()
    np.testing.assert_array_equal(base.grad.numpy(), 2 * np.triu(np.ones((3, 4)), 1))


def test_views_share_memory_and_copies_do_not():
    x = torch.arange(12.0).reshape(3, 4)
    assert torch.atleast_3d(x).data_ptr() == x.data_ptr()
    assert x.broadcast_to((2, 3, 4)).data_ptr() == x.data_ptr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.meshgrid(x[0], indexing="ij")[0].data_ptr() == x.data_ptr()
    for copy in (x.roll(1), x.rot90(2), x.repeat(1, 1), x.tril(), x.diag(), x.repeat_interleave(1, 0)):
        assert copy.data_ptr() != x.data_ptr()
