"""Arithmetic operators, comparisons, in-place forms, __setitem__, and their errors.

Values are checked against numpy computed in the result dtype (bfloat16, which numpy
lacks, through float32 with a tolerance); result dtypes come from the PyTorch promotion
tables in fixtures/promotion.json (see test_dtypes.py). Each case runs on contiguous,
transposed, sliced and expanded operands.
"""

import json
import operator
from pathlib import Path

import embertorch as torch
import numpy as np
import pytest
from _helpers import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, NP, dtype_name, shares_storage, to_np

FIX = json.loads((Path(__file__).parent / "fixtures" / "promotion.json").read_text())
_DT = FIX["dtypes"]


def promoted(a, b):
    """PyTorch's promote_types, read from the fixture."""
    return getattr(torch, FIX["promote_types"][_DT.index(dtype_name(a))][_DT.index(dtype_name(b))])


def scalar_result(dt, kind):
    """PyTorch's result dtype for `tensor(dt) op python_scalar(kind)`."""
    k = FIX["kinds"]
    name = FIX["result_type"][k.index(f"t:{dtype_name(dt)}")][k.index(f"s:{kind}")]
    return getattr(torch, name)


# Operand values: small, so no integer type overflows, and divisors are never zero.
A_VALUES = np.array([[-4, 3, 0, 2], [1, -2, 4, -1], [3, 1, -3, 2]], dtype=np.float64)
B_VALUES = np.array([[2, 1, 3, 4], [1, 3, 2, 1], [4, 2, 1, 3]], dtype=np.float64)


def values_for(dt, base):
    if dt is torch.bool:
        return base > 0
    if dt is torch.uint8:
        return np.abs(base)
    return base


def layouts(values, dt):
    """The same values as tensors of four layouts: contiguous, transposed, sliced, expanded."""
    np_dt = NP[dt]
    v = values.astype(np_dt)
    contiguous = torch.tensor(v, dtype=dt)
    transposed = torch.tensor(np.ascontiguousarray(v.T), dtype=dt).t()
    big = np.zeros((v.shape[0] * 2, v.shape[1] * 2 + 1), dtype=np_dt)
    big[::2, 1::2] = v
    sliced = torch.tensor(big, dtype=dt)[::2, 1::2]
    row = v[:1]
    expanded = torch.tensor(row, dtype=dt).expand(v.shape[0], v.shape[1])
    assert not transposed.is_contiguous() and not sliced.is_contiguous()
    return [
        ("contiguous", contiguous, v),
        ("transposed", transposed, v),
        ("sliced", sliced, v),
        ("expanded", expanded, np.broadcast_to(row, v.shape)),
    ]


def np_compute(op, a, b, rdt):
    """`op` on numpy arrays after casting both to the result dtype."""
    ndt = NP[rdt]
    with np.errstate(all="ignore"):
        return np.asarray(op(np.asarray(a).astype(ndt), np.asarray(b).astype(ndt)))


def assert_matches(t, ref, dt):
    got = to_np(t)
    if dt is torch.bfloat16:
        np.testing.assert_allclose(got, ref.astype(np.float32), rtol=1e-2, atol=1e-2)
    elif dt is torch.float16:
        np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3)
    elif dt.is_floating_point:
        np.testing.assert_allclose(got, ref, rtol=1e-6 if dt is torch.float32 else 1e-12)
    else:
        np.testing.assert_array_equal(got, ref)


ARITH = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}


def _refused(op, a, b):
    # Combinations PyTorch refuses (checked in test_dtypes against its tables).
    if op == "-" and torch.bool in (a, b):
        return True
    return op in ("//", "%", "**") and a is torch.bool and b is torch.bool


@pytest.mark.parametrize("op", list(ARITH))
@pytest.mark.parametrize("da", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("db", ALL_DTYPES, ids=dtype_name)
def test_binary_tensor_tensor(op, da, db):
    fn = ARITH[op]
    if _refused(op, da, db):
        for (_, ta, _), (_, tb, _) in zip(
            layouts(values_for(da, A_VALUES), da), layouts(values_for(db, B_VALUES), db)
        ):
            with pytest.raises(RuntimeError):
                fn(ta, tb)
        return
    rdt = promoted(da, db)
    if op == "/" and not rdt.is_floating_point:
        rdt = torch.float32
    b_base = B_VALUES if op != "**" else np.minimum(B_VALUES, 3)
    for (la, ta, va), (lb, tb, vb) in zip(
        layouts(values_for(da, A_VALUES), da), reversed(layouts(values_for(db, b_base), db))
    ):
        r = fn(ta, tb)
        assert r.dtype is rdt, (la, lb)
        assert r.shape == (3, 4)
        if op == "**" and da is torch.bool and rdt is not torch.bool:
            va = va.astype(np.int64)
        assert_matches(r, np_compute(fn, va, vb, rdt), rdt)


@pytest.mark.parametrize("op", list(ARITH))
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("kind,value", [("int", 3), ("float", 2.5), ("bool", True)])
def test_binary_tensor_scalar_and_reflected(op, dt, kind, value):
    fn = ARITH[op]
    refused = (op == "-" and (dt is torch.bool or kind == "bool")) or (
        op in ("//", "%") and dt is torch.bool and kind == "bool"
    )
    if refused:
        t = torch.ones(3, dtype=dt)
        with pytest.raises(RuntimeError):
            fn(t, value)
        with pytest.raises(RuntimeError):
            fn(value, t)
        return
    if op == "**" and dt is torch.bool and kind == "bool":
        # Exponents True/False are answered before the (bool-less) kernel; the
        # reflected form reaches the kernel.
        t = torch.tensor([True, False])
        assert (t**True).tolist() == [True, False] and (t**False).tolist() == [True, True]
        with pytest.raises(NotImplementedError):
            _ = True**t
        return
    rdt = scalar_result(dt, kind)
    if op == "/" and not rdt.is_floating_point:
        rdt = torch.float32
    for name, t, v in layouts(values_for(dt, B_VALUES), dt):
        r = fn(t, value)
        assert r.dtype is rdt, name
        assert_matches(r, np_compute(fn, v, value, rdt), rdt)
        if op == "**" and not rdt.is_floating_point and not (dt is torch.bool and kind == "bool"):
            continue  # value ** tensor with these small ints is covered below
        rr = fn(value, t)
        assert rr.dtype is rdt, name
        assert_matches(rr, np_compute(fn, value, v, rdt), rdt)


@pytest.mark.parametrize("dt", INT_DTYPES, ids=dtype_name)
def test_reflected_integer_pow(dt):
    t = torch.tensor([0, 1, 2, 3], dtype=dt)
    assert (2**t).tolist() == [1, 2, 4, 8]
    assert (2**t).dtype is dt


@pytest.mark.parametrize(
    "sa,sb,shape",
    [
        ((3, 1), (4,), (3, 4)),
        ((2, 1, 4), (3, 1), (2, 3, 4)),
        ((), (2, 3), (2, 3)),
        ((1,), (), (1,)),
        ((0, 3), (3,), (0, 3)),
        ((0,), (), (0,)),
        ((2, 0), (1, 1), (2, 0)),
        ((5, 1, 1), (1, 1, 6), (5, 1, 6)),
    ],
)
@pytest.mark.parametrize("op", ["+", "*", "/", "-"])
def test_broadcasting_shapes(sa, sb, shape, op):
    a = np.arange(1, int(np.prod(sa)) + 1, dtype=np.float64).reshape(sa)
    b = np.arange(2, int(np.prod(sb)) + 2, dtype=np.float64).reshape(sb)
    r = ARITH[op](torch.tensor(a), torch.tensor(b))
    assert r.shape == shape
    np.testing.assert_allclose(r.numpy(), ARITH[op](a, b))


def test_zero_dim_results():
    a = torch.tensor(3.0)
    r = a * torch.tensor(2.0)
    assert r.shape == () and r.item() == 6.0
    assert (a + 1).shape == ()
    assert (torch.tensor(7) // 2).item() == 3
    # A 0-dim tensor does not raise the category of a dimensioned one of the same kind.
    assert (torch.ones(2, dtype=torch.int8) + torch.tensor(1000)).dtype is torch.int8
    assert (
        torch.ones(2, dtype=torch.float16) * torch.tensor(2.0, dtype=torch.float64)
    ).dtype is torch.float16
    assert (torch.ones(2, dtype=torch.int32) * torch.tensor(2.0, dtype=torch.float64)).dtype is torch.float64


def test_empty_tensors():
    e = torch.zeros(0, 3)
    assert (e + 1).shape == (0, 3)
    assert (e * torch.ones(3)).shape == (0, 3)
    assert (e @ torch.ones(3, 2)).tolist() == []
    assert (torch.ones(2, 0) @ torch.ones(0, 3)).tolist() == [[0.0] * 3] * 2


def test_integer_division_semantics():
    a = np.array([-7, -6, 5, 7, 0])
    b = np.array([2, -4, -3, 3, 5])
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert (ta // tb).tolist() == (a // b).tolist()
    assert (ta % tb).tolist() == (a % b).tolist()
    assert torch.div(ta, tb, rounding_mode="trunc").tolist() == np.trunc(a / b).astype(int).tolist()
    assert torch.div(ta, tb, rounding_mode="floor").tolist() == (a // b).tolist()
    f = np.array([-7.5, 7.5, -0.5, 3.0])
    g = np.array([2.0, -2.0, 2.0, 1.5])
    np.testing.assert_array_equal((torch.tensor(f) // torch.tensor(g)).numpy(), f // g)
    np.testing.assert_array_equal((torch.tensor(f) % torch.tensor(g)).numpy(), f % g)
    assert (7 % torch.tensor(-3)).item() == 7 % -3
    assert (7 / torch.tensor(2)).item() == 3.5


def test_float_division_by_zero():
    r = torch.tensor([1.0, -1.0, 0.0]) / 0
    assert r[0].item() == float("inf") and r[1].item() == float("-inf") and r[2].item() != r[2].item()
    assert (torch.tensor([1, 0]) / 0).tolist()[0] == float("inf")


# --- matmul ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sa,sb",
    [
        ((3, 4), (4, 5)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((1, 1), (1, 1)),
        ((0, 4), (4, 2)),
    ],
)
@pytest.mark.parametrize("dt", [torch.float32, torch.float64, torch.int64])
def test_matmul_vs_numpy(sa, sb, dt):
    rng = np.random.default_rng(0)
    a = rng.integers(-5, 5, size=sa).astype(NP[dt])
    b = rng.integers(-5, 5, size=sb).astype(NP[dt])
    r = torch.tensor(a) @ torch.tensor(b)
    ref = a @ b
    assert r.shape == ref.shape and r.dtype is dt
    np.testing.assert_allclose(r.numpy(), ref, rtol=1e-6)
    assert torch.matmul(torch.tensor(a), torch.tensor(b)).shape == ref.shape


def test_matmul_on_views():
    a = np.arange(12.0).reshape(3, 4)
    b = np.arange(20.0).reshape(5, 4)
    r = torch.tensor(a) @ torch.tensor(b).t()
    np.testing.assert_allclose(r.numpy(), a @ b.T)
    r = torch.tensor(a)[:, ::2] @ torch.tensor(b)[::2, ::2].t()
    np.testing.assert_allclose(r.numpy(), a[:, ::2] @ b[::2, ::2].T)


def test_matmul_in_place_and_errors():
    x = torch.ones(2)
    x @= torch.ones(2, 2)
    assert x.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError):
        torch.ones(2, 2) @ torch.ones(3)
    with pytest.raises(RuntimeError):
        torch.ones(2, 2, dtype=torch.int64) @ torch.ones(2, 2)
    with pytest.raises(RuntimeError):
        torch.ones(()) @ torch.ones(())
    with pytest.raises(TypeError):
        torch.ones(2, 2) @ 3
    with pytest.raises(TypeError):
        torch.ones(2, 2) @ [1, 2]


# --- unary ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dt", [d for d in ALL_DTYPES if d is not torch.bool], ids=dtype_name)
def test_neg_abs(dt):
    for name, t, v in layouts(values_for(dt, A_VALUES), dt):
        if dt is torch.uint8:
            assert_matches(-t, (-v).astype(np.uint8), dt)
        else:
            assert_matches(-t, -v, dt)
            assert_matches(abs(t), np.abs(v), dt)
            assert_matches(t.abs(), np.abs(v), dt)
            assert_matches(torch.neg(t), -v, dt)
        assert (-t).dtype is dt and (+t).dtype is dt
        assert_matches(+t, v, dt)


def test_bool_negation_and_abs_are_refused():
    b = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is not supported"):
        _ = -b
    with pytest.raises(NotImplementedError):
        abs(b)
    assert (~b).tolist() == [False, True]


# --- comparisons ----------------------------------------------------------------------------------

CMP = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@pytest.mark.parametrize("op", list(CMP))
@pytest.mark.parametrize("da", ALL_DTYPES, ids=dtype_name)
@pytest.mark.parametrize(
    "db", [torch.bool, torch.uint8, torch.int64, torch.float16, torch.float32], ids=dtype_name
)
def test_comparisons(op, da, db):
    fn = CMP[op]
    rdt = promoted(da, db)
    for (_, ta, va), (_, tb, vb) in zip(
        layouts(values_for(da, A_VALUES), da), layouts(values_for(db, B_VALUES), db)
    ):
        r = fn(ta, tb)
        assert r.dtype is torch.bool
        np.testing.assert_array_equal(r.numpy(), np_compute(fn, va, vb, rdt))
        r = fn(ta, 2)
        np.testing.assert_array_equal(r.numpy(), fn(va.astype(np.float64), 2))
        r = fn(2.5, ta)
        np.testing.assert_array_equal(r.numpy(), fn(2.5, va.astype(np.float64)))


def test_comparison_special_cases():
    n = torch.tensor([1.0, float("nan")])
    m = n.clone()
    assert (n == m).tolist() == [True, False]
    assert (n != m).tolist() == [False, True]
    assert (5 > torch.tensor([4, 6])).tolist() == [True, False]
    assert (torch.tensor([1, 2]) == None) is False
    assert (torch.tensor([1, 2]) != None) is True
    with pytest.raises(TypeError):
        _ = torch.tensor([1, 2]) < "a"
    assert torch.eq(torch.tensor([1, 2]), torch.tensor([1, 3])).tolist() == [True, False]


# --- in-place forms --------------------------------------------------------------------------------

INPLACE = {
    "+=": (operator.iadd, operator.add),
    "-=": (operator.isub, operator.sub),
    "*=": (operator.imul, operator.mul),
    "/=": (operator.itruediv, operator.truediv),
    "//=": (operator.ifloordiv, operator.floordiv),
    "%=": (operator.imod, operator.mod),
    "**=": (operator.ipow, operator.pow),
}


@pytest.mark.parametrize("op", list(INPLACE))
@pytest.mark.parametrize("dt", [d for d in ALL_DTYPES if d is not torch.bool], ids=dtype_name)
def test_inplace_operators(op, dt):
    ifn, fn = INPLACE[op]
    if op == "/=" and not dt.is_floating_point:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            ifn(torch.ones(2, dtype=dt), torch.ones(2, dtype=dt))
        return
    a = values_for(dt, A_VALUES).astype(NP[dt])
    b = values_for(dt, np.minimum(B_VALUES, 3)).astype(NP[dt])
    t = torch.tensor(a, dtype=dt)
    ptr = t.data_ptr()
    t2 = ifn(t, torch.tensor(b, dtype=dt))
    assert t2 is t and t.data_ptr() == ptr and t.dtype is dt
    assert_matches(t, np_compute(fn, a, b, dt), dt)
    # On a strided view, the base sees the writes.
    base = torch.zeros(3, 9, dtype=dt)
    v = base[:, 1::2]
    v.copy_(torch.tensor(a, dtype=dt))
    ifn(v, torch.tensor(b[0], dtype=dt))
    assert_matches(base[:, 1::2], np_compute(fn, a, b[0], dt), dt)
    assert base[:, ::2].eq(0).all()


def test_inplace_methods():
    x = torch.tensor([1.0, 2.0, 3.0])
    assert x.add_(1) is x and x.tolist() == [2.0, 3.0, 4.0]
    assert x.sub_(torch.tensor([1.0, 1.0, 1.0])) is x and x.tolist() == [1.0, 2.0, 3.0]
    assert x.mul_(2) is x and x.tolist() == [2.0, 4.0, 6.0]
    assert x.div_(4) is x and x.tolist() == [0.5, 1.0, 1.5]
    assert x.add_(torch.ones(3), alpha=2).tolist() == [2.5, 3.0, 3.5]
    assert x.zero_() is x and x.tolist() == [0.0, 0.0, 0.0]
    assert x.fill_(7) is x and x.tolist() == [7.0] * 3
    assert x.fill_(torch.tensor(3.0)).tolist() == [3.0] * 3
    m = torch.zeros(2, 3)
    m.add_(torch.tensor([1.0, 2.0, 3.0]))  # broadcast
    assert m.tolist() == [[1.0, 2.0, 3.0]] * 2
    i = torch.tensor([5, 6], dtype=torch.int32)
    i.fill_(2.7)
    assert i.tolist() == [2, 2]
    i.mul_(torch.tensor(3))  # a 0-dim long tensor does not promote an int32 one
    assert i.dtype is torch.int32 and i.tolist() == [6, 6]
    h = torch.ones(2, dtype=torch.float16)
    h.add_(torch.ones(2, dtype=torch.float64))
    assert h.dtype is torch.float16 and h.tolist() == [2.0, 2.0]
    l = torch.ones(2, dtype=torch.int64)
    l.add_(torch.tensor([True, False]))
    assert l.tolist() == [2, 1]


def test_copy_broadcasts_and_casts():
    x = torch.zeros(2, 3)
    x.copy_(torch.tensor([1.5, 2.5, 3.5], dtype=torch.float64))
    assert x.dtype is torch.float32 and x.tolist() == [[1.5, 2.5, 3.5]] * 2
    i = torch.zeros(2, 3, dtype=torch.int32)
    i.copy_(torch.tensor([1.5, -2.5, 3.5]))
    assert i.tolist() == [[1, -2, 3]] * 2
    t = torch.zeros(3, 2)
    t.copy_(torch.arange(6.0).reshape(2, 3).t())
    assert t.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    b = torch.zeros(2, 3, dtype=torch.bool)
    b.copy_(torch.tensor([0.0, 0.5, -2.0]))
    assert b.tolist() == [[False, True, True]] * 2
    v = torch.zeros(4, 4)
    v[1:3, ::2].copy_(torch.ones(2, 2))
    assert v.sum().item() == 4.0 and v[1, 0].item() == 1.0 and v[1, 1].item() == 0.0
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).copy_(torch.ones(2))
    with pytest.raises(TypeError):
        torch.ones(2).copy_("a")


def test_inplace_on_views_and_aliases():
    b = torch.ones(3)
    c = b[1:]
    c += 1
    assert b.tolist() == [1.0, 2.0, 2.0]
    x = torch.arange(4.0)
    x += x
    assert x.tolist() == [0.0, 2.0, 4.0, 6.0]
    y = torch.arange(6.0).reshape(2, 3)
    y.t().mul_(2)
    assert y.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]


# --- __setitem__ -------------------------------------------------------------------------------------


def test_setitem_scalars_and_tensors():
    x = torch.zeros(2, 3)
    x[0] = 5
    assert x.tolist() == [[5.0] * 3, [0.0] * 3]
    x[:, 1:] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[5.0, 1.0, 2.0], [0.0, 3.0, 4.0]]
    x[..., 0] = torch.tensor([7.0, 8.0])
    assert x[:, 0].tolist() == [7.0, 8.0]
    x[1, -1] = -1.5
    assert x[1, 2].item() == -1.5
    x[:] = 0
    assert x.tolist() == [[0.0] * 3] * 2
    x[1] = torch.tensor(9.0)
    assert x[1].tolist() == [9.0] * 3
    x[0, ::2] = torch.tensor([1.0, 2.0], dtype=torch.float64)
    assert x[0].tolist() == [1.0, 0.0, 2.0]
    y = torch.zeros(3)
    y[1:] = torch.tensor(4.0)
    y[None] = y + 1
    assert y.tolist() == [1.0, 5.0, 5.0]
    y[...] = 2
    assert y.tolist() == [2.0] * 3
    s = torch.tensor(1.0)
    s[...] = 3
    assert s.item() == 3.0
    s[()] = 4
    assert s.item() == 4.0
    z = torch.zeros(2, 2)
    z[:, None, 0] = torch.tensor([[1.0], [2.0]])
    assert z.tolist() == [[1.0, 0.0], [2.0, 0.0]]


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=dtype_name)
def test_setitem_casts(dt):
    x = torch.zeros(4, dtype=dt)
    x[0] = 1
    x[1] = True
    x[2:] = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert x.dtype is dt
    assert x.tolist() == [1, 1, 1, 0]
    y = torch.zeros(2, dtype=torch.int64)
    y[0] = 2.7
    assert y.tolist() == [2, 0]


def test_setitem_writes_into_views_of_base():
    base = torch.zeros(3, 4)
    v = base.t()
    v[1] = torch.tensor([1.0, 2.0, 3.0])
    assert base[:, 1].tolist() == [1.0, 2.0, 3.0]
    assert shares_storage(v, base)


def test_setitem_errors():
    x = torch.zeros(2, 3)
    with pytest.raises(RuntimeError):
        x[1] = torch.ones(4)
    with pytest.raises(IndexError):
        x[5] = 1
    with pytest.raises(TypeError):
        x[0] = "a"
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.zeros(3, dtype=torch.int64)[0] = float("nan")


# --- errors ----------------------------------------------------------------------------------------


def test_broadcast_error_message():
    with pytest.raises(
        RuntimeError,
        match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1",
    ):
        torch.ones(2, 3) + torch.ones(2, 4)
    with pytest.raises(
        RuntimeError,
        match=r"tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 0",
    ):
        torch.ones(3) * torch.ones(4)
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).add_(torch.ones(3, 3))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        torch.ones(3).add_(torch.ones(2, 3))


def test_inplace_cast_error_message():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.ones(2, dtype=torch.int64).add_(1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x = torch.ones(2, dtype=torch.int64)
        x /= 2
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        torch.ones(2, dtype=torch.bool).add_(torch.ones(2, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Int"):
        torch.ones(2, dtype=torch.int32).mul_(torch.tensor(2.0))


@pytest.mark.parametrize("dt", INT_DTYPES, ids=dtype_name)
def test_integer_division_by_zero(dt):
    a = torch.ones(2, dtype=dt)
    z = torch.tensor([1, 0], dtype=dt)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a // z
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a % 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a // 0
    # True division makes floats: no error.
    assert (a / z).tolist()[1] == float("inf")


def test_bool_subtraction_is_refused():
    b = torch.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        b - b
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        torch.ones(2) - b
    with pytest.raises(RuntimeError, match="with a bool tensor"):
        b - 1
    with pytest.raises(RuntimeError, match="with a bool tensor"):
        torch.ones(2) - True
    with pytest.raises(RuntimeError):
        torch.sub(b, b)


def test_integer_negative_powers():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        torch.tensor([2, 3]) ** -1
    assert (torch.tensor([2.0]) ** -1).tolist() == [0.5]
    assert (torch.tensor([4]) ** 0.5).tolist() == [2.0]


@pytest.mark.parametrize(
    "op",
    [
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.floordiv,
        operator.mod,
        operator.pow,
        operator.matmul,
    ],
)
@pytest.mark.parametrize("other", ["a", None, object(), {1: 2}])
def test_wrong_operand_types(op, other):
    t = torch.ones(2)
    with pytest.raises(TypeError):
        op(t, other)
    if isinstance(other, str) and op is operator.mod:
        return  # "a" % t is string formatting, which Python allows
    with pytest.raises(TypeError):
        op(other, t)


@pytest.mark.parametrize("method", ["add", "sub", "mul", "div", "add_", "mul_", "eq", "lt"])
def test_wrong_argument_types_to_methods(method):
    with pytest.raises(TypeError):
        getattr(torch.ones(2), method)("a")
    with pytest.raises(TypeError):
        getattr(torch.ones(2), method)(None)
    with pytest.raises(TypeError):
        getattr(torch.ones(2), method)()


def test_fill_errors():
    with pytest.raises(RuntimeError):
        torch.ones(2).fill_(torch.tensor([3.0, 4.0]))
    with pytest.raises(TypeError):
        torch.ones(2).fill_("a")


@pytest.mark.parametrize("dt", FLOAT_DTYPES, ids=dtype_name)
def test_half_precision_rounding(dt):
    # 1 + eps/2 rounds back to 1 in the narrow type; in float32 it would not.
    eps = {torch.float16: 2**-10, torch.bfloat16: 2**-7, torch.float32: 2**-23, torch.float64: 2**-52}[dt]
    one = torch.ones(1, dtype=dt)
    assert (one + eps / 2).item() == 1.0
    assert (one + eps).item() == 1.0 + eps
