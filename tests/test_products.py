"""matmul's rules on every dtype and layout, vdot, the add-product family (addmm, addmv,
addr, baddbmm, addbmm), tensordot and einsum, against numpy; PyTorch's errors; gradients
by central differences in float64; hypothesis properties for einsum."""

import string

import embertorch as torch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
INTS = [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]


def rand_np(shape, dtype, rng):
    if dtype.is_floating_point:
        return rng.standard_normal(shape).astype(np.float32)
    lo = 0 if dtype == torch.uint8 else -4
    return rng.integers(lo, 5, size=shape).astype(np.int64)


def make(a, dtype):
    return torch.tensor(np.asarray(a)).to(dtype)


def np_of(t):
    t = t.detach()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    return t.numpy()


def layouts(shape, dtype, rng):
    """One operand of `shape` as contiguous, transposed (last two dims), sliced with a step,
    and broadcast with a stride-0 leading dim."""
    shape = tuple(shape)
    yield make(rand_np(shape, dtype, rng), dtype)
    if len(shape) >= 2:
        yield make(rand_np(shape[:-2] + shape[-2:][::-1], dtype, rng), dtype).transpose(-1, -2)
    big = rand_np(shape[:-1] + (2 * shape[-1] + 1,), dtype, rng)
    yield make(big, dtype)[..., 1::2]
    if len(shape) >= 2 and shape[0] > 1:
        yield make(rand_np((1,) + shape[1:], dtype, rng), dtype).expand(*shape)


def reference_matmul(a, b, dtype):
    """numpy's matmul in a wide type, brought back to `dtype` (integers wrap)."""
    if dtype.is_floating_point:
        return np.matmul(a.astype(np.float64), b.astype(np.float64))
    wide = np.matmul(a.astype(np.int64), b.astype(np.int64))
    return np_of(make(wide, torch.int64).to(dtype))


def tolerance(dtype, k):
    return {
        torch.float64: 1e-12,
        torch.float32: 1e-5,
        torch.float16: 3e-3,
        torch.bfloat16: 2e-2,
    }.get(dtype, 0) * max(k, 1) ** 0.5


def check_close(got, want, dtype, k=1):
    assert tuple(got.shape) == tuple(np.shape(want)), (got.shape, np.shape(want))
    assert got.dtype == dtype
    g = np_of(got)
    if dtype.is_floating_point:
        scale = max(1.0, float(np.abs(want).max())) if np.size(want) else 1.0
        np.testing.assert_allclose(g, want, rtol=0, atol=tolerance(dtype, k) * scale * 4)
    else:
        np.testing.assert_array_equal(g, want)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (5, 3, 4)),
    ((4, 5, 2, 3), (1, 3, 4)),
    ((0, 2, 3), (3, 4)),
    ((2, 0), (0, 3)),
    ((5, 2, 3), (3, 0)),
]


@pytest.mark.parametrize("dtype", FLOATS + INTS)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_shapes_dtypes_layouts(dtype, sa, sb):
    rng = np.random.default_rng(0)
    for a in layouts(sa, dtype, rng):
        for b in layouts(sb, dtype, rng):
            got = torch.matmul(a, b)
            check_close(got, reference_matmul(np_of(a), np_of(b), dtype), dtype, sa[-1])
            check_close(a @ b, reference_matmul(np_of(a), np_of(b), dtype), dtype, sa[-1])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64])
def test_matmul_strided_batches(dtype):
    """Permuted batch dims, negative-free slices and broadcast batches: the result must not
    depend on memory layout."""
    rng = np.random.default_rng(1)
    a = make(rand_np((4, 2, 3, 5), dtype, rng), dtype).permute(1, 0, 3, 2)  # (2, 4, 5, 3)
    b = make(rand_np((2, 1, 3, 6), dtype, rng), dtype)
    check_close(a @ b, reference_matmul(np_of(a), np_of(b), dtype), dtype, 3)
    c = make(rand_np((3, 8, 10), dtype, rng), dtype)[:, ::2, 1::3]  # (3, 4, 3)
    d = make(rand_np((3,), dtype, rng), dtype).expand(3, 3, 3)
    check_close(c @ d, reference_matmul(np_of(c), np_of(d), dtype), dtype, 3)
    big = make(rand_np((70, 70), dtype, rng), dtype)
    check_close(big.t() @ big, reference_matmul(np_of(big).T, np_of(big), dtype), dtype, 70)


def test_matmul_large_matches_numpy():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((257, 300)).astype(np.float32)
    b = rng.standard_normal((300, 129)).astype(np.float32)
    got = torch.tensor(a).t().contiguous().t() @ torch.tensor(b)
    np.testing.assert_allclose(got.numpy(), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)
    ia = rng.integers(-100, 100, size=(130, 90))
    ib = rng.integers(-100, 100, size=(90, 70))
    np.testing.assert_array_equal((torch.tensor(ia) @ torch.tensor(ib)).numpy(), ia @ ib)


def test_matmul_errors():
    x, y = torch.ones(3, 4), torch.ones(4, 5)
    cases = [
        (lambda: torch.matmul(torch.tensor(1.0), x), RuntimeError, "at least 1D, but they are 0D and 2D"),
        (lambda: x @ x, RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x4\)"),
        (lambda: torch.ones(2, 3, 4) @ x, RuntimeError, r"\(6x4 and 3x4\)"),
        (lambda: torch.ones(4) @ torch.ones(3), RuntimeError, "inconsistent tensor size"),
        (lambda: x @ torch.ones(3), RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"),
        (lambda: torch.ones(2, 3, 4) @ torch.ones(3, 4, 5), RuntimeError, "must match the size of tensor b"),
        (lambda: torch.ones(5) @ torch.ones(2, 4, 3), RuntimeError, r"to be: \[2, 5\] but got: \[2, 4\]"),
        (lambda: x @ y.double(), RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != double"),
        (lambda: x.bool() @ y.bool(), NotImplementedError, "not implemented for 'Bool'"),
        (lambda: torch.dot(torch.ones(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool)), NotImplementedError, "dot"),
        (lambda: torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 3, 4)), RuntimeError, "Expected size for first two dimensions"),
        (lambda: torch.bmm(torch.ones(2, 3, 4), torch.ones(4, 5)), RuntimeError, "batch2 must be a 3D tensor"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn()


def test_matmul_out_and_grad_nodes():
    x = torch.ones(3, 4)
    out = torch.empty(3, 5)
    r = torch.matmul(x, torch.ones(4, 5), out=out)
    assert r is out and out.tolist() == [[4.0] * 5] * 3
    a = torch.ones(2, 3, 4, requires_grad=True)
    b = torch.ones(4, 5, requires_grad=True)
    assert (a @ b).grad_fn.name() == "UnsafeViewBackward0"
    assert (torch.ones(3, 4, requires_grad=True) @ b).grad_fn.name() == "MmBackward0"
    assert (torch.ones(3, 4, requires_grad=True) @ torch.ones(2, 4, 5)).grad_fn.name() == "CloneBackward0"


# --- vdot and the add-product family -----------------------------------------------------------------


def test_vdot():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(5), rng.standard_normal(10)[::2]
    got = torch.vdot(torch.tensor(a), torch.tensor(b)[:])
    np.testing.assert_allclose(float(got), np.vdot(a, b))
    assert torch.vdot(torch.arange(3), torch.arange(3)).item() == 5
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        torch.vdot(torch.ones(2, 2), torch.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected both vectors to have same dtype, but found Float and Double"):
        torch.vdot(torch.ones(2), torch.ones(2, dtype=torch.float64))


def add_product_reference(kind, inp, a, b, beta, alpha):
    prod = {
        "addmm": lambda: a @ b,
        "addmv": lambda: a @ b,
        "addr": lambda: np.outer(a, b),
        "baddbmm": lambda: a @ b,
        "addbmm": lambda: (a @ b).sum(0),
    }[kind]()
    if beta == 0:
        return alpha * prod
    return beta * inp + alpha * prod


ADD_SHAPES = {
    "addmm": [((3, 5), (3, 4), (4, 5)), ((5,), (3, 4), (4, 5)), ((1, 1), (3, 4), (4, 5)), ((), (3, 4), (4, 5))],
    "addmv": [((3,), (3, 4), (4,)), ((1,), (3, 4), (4,)), ((), (3, 4), (4,))],
    "addr": [((3, 4), (3,), (4,)), ((4,), (3,), (4,)), ((), (3,), (4,))],
    "baddbmm": [((2, 3, 5), (2, 3, 4), (2, 4, 5)), ((3, 5), (2, 3, 4), (2, 4, 5)), ((5,), (2, 3, 4), (2, 4, 5))],
    "addbmm": [((3, 5), (2, 3, 4), (2, 4, 5)), ((5,), (2, 3, 4), (2, 4, 5))],
}


@pytest.mark.parametrize("kind", list(ADD_SHAPES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32])
def test_add_products_match_numpy(kind, dtype):
    rng = np.random.default_rng(4)
    fn = getattr(torch, kind)
    scalars = [(1, 1), (0.5, 2), (0, 1), (2, -1)] if dtype.is_floating_point else [(1, 1), (3, -2), (0, 2)]
    for shapes in ADD_SHAPES[kind]:
        for beta, alpha in scalars:
            for la in layouts(shapes[1], dtype, rng):
                inp = make(rand_np(shapes[0], dtype, rng), dtype)
                b = make(rand_np(shapes[2], dtype, rng), dtype)
                got = fn(inp, la, b, beta=beta, alpha=alpha)
                wide = [np_of(t).astype(np.float64) for t in (inp, la, b)]
                want = add_product_reference(kind, *wide, beta, alpha)
                if not dtype.is_floating_point:
                    want = np_of(make(want.astype(np.int64), torch.int64).to(dtype))
                check_close(got, want, dtype, shapes[1][-1])
                method = getattr(inp, kind)(la, b, beta=beta, alpha=alpha)
                check_close(method, want, dtype, shapes[1][-1])


@pytest.mark.parametrize("kind", list(ADD_SHAPES))
def test_beta_zero_ignores_nan_and_inf_in_input(kind):
    shapes = ADD_SHAPES[kind][0]
    rng = np.random.default_rng(5)
    inp = torch.full(shapes[0], float("nan"))
    inp.view(-1)[0] = float("inf")
    a, b = (torch.tensor(rng.standard_normal(s).astype(np.float32)) for s in shapes[1:])
    got = getattr(torch, kind)(inp, a, b, beta=0, alpha=2)
    assert not got.isnan().any().item()
    want = add_product_reference(kind, None, a.numpy(), b.numpy(), 0, 2)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    # With beta != 0 the NaN does propagate.
    assert getattr(torch, kind)(inp, a, b, beta=1).isnan().any().item()


def test_integer_and_bool_scalars():
    ii = torch.ones(3, 5, dtype=torch.int64)
    xi, yi = torch.arange(12).reshape(3, 4), torch.arange(20).reshape(4, 5)
    prod = (xi @ yi).numpy()
    # Integer results take beta and alpha truncated to integers.
    np.testing.assert_array_equal(torch.addmm(ii, xi, yi, beta=0.5).numpy(), prod)
    np.testing.assert_array_equal(torch.addmm(ii, xi, yi, alpha=1.7, beta=2.9).numpy(), prod + 2)
    bv = torch.tensor([True, False, True])
    bw = torch.tensor([False, True])
    base = torch.tensor([[True, False], [False, False], [False, True]])
    got = torch.addr(base, bv, bw)
    np.testing.assert_array_equal(got.numpy(), base.numpy() | np.outer(bv.numpy(), bw.numpy()))
    np.testing.assert_array_equal(torch.addr(base, bv, bw, beta=False).numpy(), np.outer(bv.numpy(), bw.numpy()))
    assert torch.addr(torch.ones(3, 4), torch.ones(3), torch.ones(4, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        torch.addr(torch.ones(3, 4, dtype=torch.int64), torch.ones(3, dtype=torch.int64), torch.ones(4, dtype=torch.int64), alpha=0.5)
    with pytest.raises(RuntimeError, match="Boolean beta only supported for Boolean results"):
        torch.addr(torch.ones(3, 4), torch.ones(3), torch.ones(4), beta=True)


def test_add_product_errors():
    i, x, y = torch.ones(3, 5), torch.ones(3, 4), torch.ones(4, 5)
    b1, b2 = torch.ones(2, 3, 4), torch.ones(2, 4, 5)
    cases = [
        (lambda: torch.addmm(torch.ones(2, 5), x, y), RuntimeError, "The expanded size of the tensor"),
        (lambda: torch.addmm(i.double(), x, y), RuntimeError, "self and mat2 must have the same dtype, but got Double and Float"),
        (lambda: torch.addmm(i, x.double(), y), RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"),
        (lambda: torch.addmm(i, x, x), RuntimeError, r"cannot be multiplied \(3x4 and 3x4\)"),
        (lambda: torch.addmm(i, torch.ones(4), y), RuntimeError, "mat1 must be a matrix, got 1-D tensor"),
        (lambda: torch.addmm(i.bool(), x.bool(), y.bool()), NotImplementedError, "addmm_impl_cpu_"),
        (lambda: torch.addmv(torch.ones(3), x, torch.ones(3)), RuntimeError, r"size mismatch, got input \(3\), mat \(3x4\), vec \(3\)"),
        (lambda: torch.addmv(torch.ones(3), torch.ones(4), torch.ones(4)), RuntimeError, "vector \\+ matrix @ vector expected, got 1, 1, 1"),
        (lambda: torch.addmv(torch.ones(3), x.double(), torch.ones(4)), RuntimeError, "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
        (lambda: torch.addr(x, torch.ones(3), x), RuntimeError, "addr: Expected 1-D argument vec2, but got 2-D"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5), b1, b1), RuntimeError, "The expanded size of the tensor"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5), b1, b2[:1]), RuntimeError, r"to be: \[2, 4\] but got: \[1, 4\]"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5).double(), b1, b2), RuntimeError, "input double, batch1: float, batch2: float"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5), b1, b2.double()), RuntimeError, "expected scalar type Float but found Double"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5), x, y), IndexError, "Dimension out of range"),
        (lambda: torch.baddbmm(torch.ones(2, 3, 5), torch.ones(2, 3, 4, 1), b2), RuntimeError, "batch1 must be a 3D tensor"),
        (lambda: torch.addbmm(i, b1, b2[:1]), RuntimeError, "batch1 and batch2 must have same number of batches, got 2 and 1"),
        (lambda: torch.addbmm(i, b1, torch.ones(2, 5, 5)), RuntimeError, r"Incompatible matrix sizes for bmm \(3x4 and 5x5\)"),
        (lambda: torch.ones(5).addmm_(x, y), RuntimeError, r"Bad in-place call: input tensor size \[5\] and output tensor size \[3, 5\]"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn()


@pytest.mark.parametrize("kind", list(ADD_SHAPES))
def test_in_place_add_products(kind):
    rng = np.random.default_rng(6)
    shapes = ADD_SHAPES[kind][0]
    inp, a, b = (torch.tensor(rng.standard_normal(s)) for s in shapes)
    want = add_product_reference(kind, inp.numpy().copy(), a.numpy(), b.numpy(), 0.5, 3)
    target = inp.clone()
    r = getattr(target, kind + "_")(a, b, beta=0.5, alpha=3)
    assert r is target
    np.testing.assert_allclose(target.numpy(), want, rtol=1e-12)
    # In place into a transposed view writes through to the base.
    if len(shapes[0]) == 2:
        base = torch.tensor(np.ascontiguousarray(inp.numpy().T))
        getattr(base.t(), kind + "_")(a, b, beta=0.5, alpha=3)
        np.testing.assert_allclose(base.numpy().T, want, rtol=1e-12)
    # Autograd: the in-place op becomes the node of the tensor it wrote.
    leaf = inp.clone().requires_grad_()
    al, bl = a.clone().requires_grad_(), b.clone().requires_grad_()
    t = leaf * 1
    getattr(t, kind + "_")(al, bl, beta=0.5, alpha=3)
    assert t.grad_fn.name() == {"addmm": "AddmmBackward0", "addmv": "AddmvBackward0", "addr": "AddrBackward0",
                                "baddbmm": "BaddbmmBackward0", "addbmm": "AddbmmBackward0"}[kind]
    t.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), np.full(shapes[0], 0.5))
    ref = torch.tensor(inp.numpy(), requires_grad=True)
    a2, b2 = a.clone().requires_grad_(), b.clone().requires_grad_()
    getattr(torch, kind)(ref, a2, b2, beta=0.5, alpha=3).sum().backward()
    np.testing.assert_allclose(al.grad.numpy(), a2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bl.grad.numpy(), b2.grad.numpy(), rtol=1e-12)
    assert torch.addmv_(torch.ones(3, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)).tolist() == [5.0] * 3


def test_add_product_out():
    out = torch.empty(0)
    r = torch.addmm(torch.ones(3, 5), torch.ones(3, 4), torch.ones(4, 5), out=out)
    assert r is out and out.shape == (3, 5) and out[0, 0].item() == 5.0


# --- tensordot ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.int64])
def test_tensordot_matches_numpy(dtype):
    rng = np.random.default_rng(7)
    a = make(rand_np((3, 4, 5), dtype, rng), dtype)
    b = make(rand_np((5, 4, 2), dtype, rng), dtype)
    na, nb = np_of(a), np_of(b)
    c5 = make(rand_np((5, 2), dtype, rng), dtype)
    for dims, other in [(0, b), (1, c5)]:
        want = np.tensordot(na, np_of(other), dims)
        check_close(torch.tensordot(a, other, dims), reference_like(want, dtype), dtype, 5)
    for da, db in [([2], [0]), ([1, 2], [1, 0]), ([-1, 1], [0, -2]), ([], [])]:
        want = np.tensordot(na, nb, (da, db))
        check_close(torch.tensordot(a, b, dims=(da, db)), reference_like(want, dtype), dtype, 20)
    check_close(torch.tensordot(a, b, torch.tensor([[2], [0]])), reference_like(np.tensordot(na, nb, ([2], [0])), dtype), dtype, 5)
    c = make(rand_np((4, 5), dtype, rng), dtype)
    check_close(torch.tensordot(a, c), reference_like(np.tensordot(na, np_of(c)), dtype), dtype, 20)
    d = make(rand_np((6, 3), dtype, rng), dtype).t()
    want = np.tensordot(na.transpose(2, 1, 0), np_of(d), 1)
    check_close(torch.tensordot(a.transpose(0, 2), d, 1), reference_like(want, dtype), dtype, 3)


def reference_like(want, dtype):
    return want if dtype.is_floating_point else want.astype(np.int64)


def test_tensordot_errors():
    x, y = torch.ones(3, 4), torch.ones(4, 5)
    with pytest.raises(RuntimeError, match="tensordot expects dims >= 0, but got dims=-1"):
        torch.tensordot(x, y, -1)
    with pytest.raises(RuntimeError, match="tensordot expects dims < ndim_a or ndim_b, but got dims=3"):
        torch.tensordot(x, y, 3)
    with pytest.raises(RuntimeError, match="contracted dimensions need to match, but first has size 3 in dim 0 and second has size 4 in dim 1"):
        torch.tensordot(x, x, ([0], [1]))
    with pytest.raises(RuntimeError, match="both dimension lists should have same length"):
        torch.tensordot(x, y, ([1, 0], [0]))
    with pytest.raises(RuntimeError, match="both inputs should have same dtype"):
        torch.tensordot(x, y.double(), 1)
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        torch.tensordot(x, y, ([1, 1], [0, 0]))
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        torch.tensordot(x, y, (1, 0))


# --- einsum ------------------------------------------------------------------------------------------------


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("ij->", [(3, 4)]),
    ("ji", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("i,i", [(4,), (4,)]),
    ("i,j", [(3,), (4,)]),
    ("i,j,k->kji", [(2,), (3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
    ("...ij,...jk", [(2, 3, 4), (4, 5)]),
    ("b...,b...->b", [(2, 3, 4), (2, 3, 4)], "bxy,bxy->b"),
    ("...j->...", [(3, 4)]),
    ("i...->...", [(2, 3)]),
    ("ij...,j...->i", [(2, 3, 4), (3, 4)], "ijx,jx->i"),
    ("iij->j", [(3, 3, 4)]),
    ("iji->j", [(3, 4, 3)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("ab,bc,cd,de->", [(2, 3), (3, 4), (4, 5), (5, 2)]),
    ("ij,j,i->", [(3, 4), (4,), (3,)]),
    ("Ab,bC->AC", [(3, 4), (4, 5)]),
    ("i j , j k -> i k", [(3, 4), (4, 5)]),
    ("", [()]),
    ("->", [()]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("i->", [(0,)]),
    ("ij,jk->ik", [(3, 0), (0, 2)]),
]


@pytest.mark.parametrize("case", EINSUM_CASES, ids=[c[0] or "empty" for c in EINSUM_CASES])
def test_einsum_matches_numpy(case):
    # numpy refuses to sum over '...'; such cases name an equivalent equation for it.
    eq, shapes = case[:2]
    np_eq = case[2] if len(case) > 2 else eq.replace(" ", "")
    rng = np.random.default_rng(8)
    arrays = [np.asarray(rng.standard_normal(s)) for s in shapes]
    got = torch.einsum(eq, *[torch.tensor(a) for a in arrays])
    want = np.einsum(np_eq, *arrays)
    assert tuple(got.shape) == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    # Operands given as one list, and transposed/sliced operands give the same.
    got_list = torch.einsum(eq, [torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(got_list.numpy(), want, rtol=1e-10, atol=1e-12)
    odd = [torch.tensor(np.array(a.T, order="C")).permute(tuple(reversed(range(a.ndim)))) for a in arrays]
    np.testing.assert_allclose(torch.einsum(eq, *odd).numpy(), want, rtol=1e-10, atol=1e-12)


def test_einsum_dtypes_and_broadcasting():
    xi = torch.arange(12, dtype=torch.int32).reshape(3, 4)
    yi = torch.arange(20, dtype=torch.int32).reshape(4, 5)
    r = torch.einsum("ij,jk->ik", xi, yi)
    assert r.dtype == torch.int32
    np.testing.assert_array_equal(r.numpy(), xi.numpy() @ yi.numpy())
    assert torch.einsum("i->", torch.ones(3, dtype=torch.int32)).dtype == torch.int64  # a sum
    h = torch.einsum("ij,jk->ik", xi.half(), yi.half())
    assert h.dtype == torch.float16
    np.testing.assert_allclose(h.float().numpy(), xi.numpy() @ yi.numpy(), rtol=1e-3)
    b = torch.einsum("ij,jk->ik", xi.bfloat16(), yi.bfloat16())
    np.testing.assert_allclose(b.float().numpy(), xi.numpy() @ yi.numpy(), rtol=1e-2)
    # Size-1 dims broadcast against the same subscript.
    v = torch.arange(4.0)
    np.testing.assert_allclose(torch.einsum("i,i->i", v, torch.tensor([2.0])).numpy(), v.numpy() * 2)
    np.testing.assert_allclose(torch.einsum("ij,kj->ik", torch.ones(3, 4), torch.ones(2, 1)).numpy(), np.full((3, 2), 4.0))
    np.testing.assert_allclose(torch.einsum("...,...->...", torch.ones(2, 3), torch.arange(3.0)).numpy(), np.ones((2, 3)) * np.arange(3.0))
    # Results of a single operand are views where PyTorch's are.
    sq = torch.arange(9.0).reshape(3, 3)
    d = torch.einsum("ii->i", sq)
    assert d.data_ptr() == sq.data_ptr() and d.stride() == (4,)
    assert not torch.einsum("ij->ji", sq).is_contiguous()


def test_einsum_sublist_format():
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_allclose(torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(torch.einsum(ta, [0, 1], tb, [1, 2]).numpy(), a @ b)
    np.testing.assert_allclose(torch.einsum(ta, [Ellipsis, 1], [1]).numpy(), a.sum(0))
    np.testing.assert_allclose(torch.einsum(ta, [0, Ellipsis]).numpy(), a.T)
    with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
        torch.einsum(ta, [0, 60])


def test_einsum_errors():
    x, y, sq = torch.ones(3, 4), torch.ones(4, 5), torch.ones(3, 3)
    cases = [
        (lambda: torch.einsum("ij->ik", x), "output subscript k does not appear in the equation for any input operand"),
        (lambda: torch.einsum("ij->ii", x), "output subscript i appears more than once in the output"),
        (lambda: torch.einsum("ijk->ij", x), r"number of subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0 and no ellipsis was given"),
        (lambda: torch.einsum("ij...->", torch.ones(2)), r"\(2\) is more than the number of dimensions \(1\) for operand 0"),
        (lambda: torch.einsum("ij,jk->ik", x), "fewer operands were provided than specified in the equation"),
        (lambda: torch.einsum("ij->ij", x, x), "more operands were provided than specified in the equation"),
        (lambda: torch.einsum("i1->i", x), "invalid subscript given at index 1 in the equation string, subscripts must be in \\[a-zA-Z\\]"),
        (lambda: torch.einsum("ij-i", x), "invalid subscript given at index 2"),
        (lambda: torch.einsum("ij->i->j", x), "invalid subscript given at index 5"),
        (lambda: torch.einsum("ij->j.", x), r"found '.' for output that is not part of any ellipsis \(...\)"),
        (lambda: torch.einsum("..ij->ij", x), "found '.' for operand 0 that is not part of any ellipsis"),
        (lambda: torch.einsum("i...j...->ij", x), "found '.' for operand 0 for which an ellipsis was already found"),
        (lambda: torch.einsum("ij,jk->ik", x, y.double()), "expected scalar type Float but found Double"),
        (lambda: torch.einsum("ii->i", x), "subscript i is repeated for operand 0 but the sizes don't match, 4 != 3"),
        (lambda: torch.einsum("i,i->", torch.ones(4), torch.ones(3)), "subscript i has size 3 for operand 1 which does not broadcast with previously seen size 4"),
        (lambda: torch.einsum("...,...->...", torch.ones(2, 3), torch.ones(2)), "dimension 0 covered by ellipsis in operand 1"),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            fn()
    with pytest.raises(NotImplementedError, match="bmm"):
        torch.einsum("i,i->", sq[0].bool(), sq[0].bool())
    with pytest.raises(ValueError, match="must specify the equation string and at least one operand"):
        torch.einsum("ij,jk->ik")


@st.composite
def einsum_problems(draw):
    """A random valid equation with consistent sizes, with or without '...' and an explicit
    output, and float64 operands for it."""
    letters = "abcdef"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    use_ell = draw(st.booleans())
    ell_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))
    terms, shapes = [], []
    for _ in range(n_ops):
        subs = draw(st.lists(st.sampled_from(letters), min_size=0, max_size=4))
        shape = [sizes[c] for c in subs]
        term = "".join(subs)
        if use_ell and draw(st.booleans()):
            # This operand's ellipsis covers a suffix of the shared ellipsis shape, possibly
            # with size-1 dims that broadcast.
            k = draw(st.integers(0, len(ell_shape)))
            own = [1 if draw(st.booleans()) else d for d in ell_shape[len(ell_shape) - k:]]
            cut = draw(st.integers(0, len(subs)))
            term = "".join(subs[:cut]) + "..." + "".join(subs[cut:])
            shape = shape[:cut] + own + shape[cut:]
        terms.append(term)
        shapes.append(tuple(shape))
    used = sorted({c for t in terms for c in t if c != "."})
    has_ell = any("..." in t for t in terms)
    if draw(st.booleans()):
        out = draw(st.permutations(used))
        out = "".join(out[: draw(st.integers(0, len(out)))])
        if has_ell:
            cut = draw(st.integers(0, len(out)))
            out = out[:cut] + "..." + out[cut:]
        eq = ",".join(terms) + "->" + out
    else:
        eq = ",".join(terms)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return eq, [rng.standard_normal(s) for s in shapes]


@settings(max_examples=200, deadline=None)
@given(einsum_problems())
def test_einsum_property_against_numpy(problem):
    eq, arrays = problem
    want = np.einsum(eq, *arrays)
    got = torch.einsum(eq, *[torch.tensor(a) for a in arrays])
    assert tuple(got.shape) == np.shape(want), eq
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9, err_msg=eq)


# --- gradients by central differences ------------------------------------------------------------------


def numeric_grads(f, inputs, weights, eps=1e-6):
    grads = []
    for i, x in enumerate(inputs):
        base = x.numpy().astype(np.float64)
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            vals = []
            for sign in (1, -1):
                pert = base.copy()
                pert[idx] += sign * eps
                args = list(inputs)
                args[i] = torch.tensor(pert)
                vals.append(float((f(*args).detach().numpy() * weights).sum()))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


def gradcheck(f, *shapes, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [torch.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    out = f(*inputs)
    weights = rng.standard_normal(tuple(out.shape))
    (out * torch.tensor(weights)).sum().backward()
    for x, num in zip(inputs, numeric_grads(f, [x.detach() for x in inputs], weights)):
        got = np.zeros(num.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)
    return out


PRODUCT_GRADS = [
    ("matmul_bcast", lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)], "UnsafeViewBackward0"),
    ("matmul_fold", lambda a, b: a @ b, [(2, 2, 3), (3, 2)], "UnsafeViewBackward0"),
    ("matmul_vec", lambda a, b: a @ b, [(3,), (2, 3, 2)], None),
    ("vdot", lambda a, b: torch.vdot(a, b), [(4,), (4,)], "VdotBackward0"),
    ("addmm", lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=-2), [(3,), (2, 4), (4, 3)], "AddmmBackward0"),
    ("addmv", lambda i, a, b: torch.addmv(i, a, b, beta=2, alpha=3), [(1,), (3, 4), (4,)], "AddmvBackward0"),
    ("addr", lambda i, a, b: torch.addr(i, a, b, beta=-1, alpha=0.5), [(3, 2), (3,), (2,)], "AddrBackward0"),
    ("baddbmm", lambda i, a, b: torch.baddbmm(i, a, b, beta=0.5, alpha=2), [(3, 2), (2, 3, 4), (2, 4, 2)], "BaddbmmBackward0"),
    ("addbmm", lambda i, a, b: torch.addbmm(i, a, b, beta=1.5, alpha=-1), [(2, 2), (3, 2, 4), (3, 4, 2)], "AddbmmBackward0"),
    ("tensordot", lambda a, b: torch.tensordot(a, b, ([0, 2], [2, 0])), [(2, 3, 4), (4, 2, 2)], "ViewBackward0"),
    ("einsum_mm", lambda a, b: torch.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)], "ViewBackward0"),
    ("einsum_batch", lambda a, b: torch.einsum("bij,bkj->bki", a, b), [(2, 3, 4), (2, 2, 4)], None),
    ("einsum_diag", lambda a: torch.einsum("ii->i", a), [(3, 3)], "DiagonalBackward0"),
    ("einsum_trace3", lambda a, b, c: torch.einsum("ij,jk,ki->", a, b, c), [(2, 3), (3, 4), (4, 2)], None),
    ("einsum_ellipsis", lambda a, b: torch.einsum("...ij,j->...i", a, b), [(2, 3, 4), (4,)], None),
    ("einsum_outer_sum", lambda a, b: torch.einsum("ij,k->ik", a, b), [(2, 3), (4,)], None),
    ("einsum_bcast", lambda a, b: torch.einsum("ij,ij->i", a, b), [(3, 4), (1, 4)], None),
    ("einsum_sum", lambda a: torch.einsum("ijk->j", a), [(2, 3, 2)], "SumBackward1"),
]


@pytest.mark.parametrize("name,f,shapes,node", PRODUCT_GRADS, ids=[c[0] for c in PRODUCT_GRADS])
def test_product_gradients(name, f, shapes, node):
    out = gradcheck(f, *shapes)
    if node is not None:
        assert out.grad_fn.name() == node


def test_einsum_double_backward():
    rng = np.random.default_rng(10)
    a = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    y = (torch.einsum("ij,jk->ik", a, b) ** 2).sum()
    (ga,) = torch.autograd.grad(y, [a], create_graph=True)
    (gb,) = torch.autograd.grad(ga.sum(), [b])
    # ga = 2 (a b) b^T, so d(sum ga)/db has a closed form.
    an, bn = a.detach().numpy(), b.detach().numpy()
    ones = np.ones((3, 4))
    want = 2 * (an.T @ (ones @ bn)) + 2 * (ones.T @ (an @ bn))
    np.testing.assert_allclose(gb.numpy(), want, rtol=1e-10)


def test_letters_cover_both_cases():
    eq = string.ascii_uppercase[:2] + "," + string.ascii_uppercase[1] + "z"
    a, b = np.ones((2, 3)), np.ones((3, 4))
    np.testing.assert_allclose(torch.einsum(eq, torch.tensor(a), torch.tensor(b)).numpy(), np.einsum(eq, a, b))
