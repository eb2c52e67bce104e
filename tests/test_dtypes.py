"""dtype objects, the default dtype, and type promotion.

The promotion tables in fixtures/promotion.json were produced once by PyTorch
(scripts/make_test_fixtures.py): ``torch.result_type``, ``promote_types`` and
``can_cast`` for every pair, and the result dtype (or the exception type) of each
operator applied to every pair of operand kinds. Operand kinds are 1-dim tensors
("t:<dtype>", ``ones(2)``), 0-dim tensors ("z:<dtype>", ``ones(())``) and Python
scalars ("s:bool" True, "s:int" 2, "s:float" 2.5).
"""

import json
import operator
import pickle
from pathlib import Path

import embertorch as torch
import numpy as np
import pytest

FIX = json.loads((Path(__file__).parent / "fixtures" / "promotion.json").read_text())
KINDS = FIX["kinds"]
DTYPE_NAMES = FIX["dtypes"]
SCALARS = {"bool": True, "int": 2, "float": 2.5}


@pytest.fixture
def restore_default_dtype():
    saved = torch.get_default_dtype()
    yield
    torch.set_default_dtype(saved)


def make(kind):
    what, name = kind.split(":")
    if what == "s":
        return SCALARS[name]
    dt = getattr(torch, name)
    return torch.ones(2, dtype=dt) if what == "t" else torch.ones((), dtype=dt)


# --- dtype objects -----------------------------------------------------------------------

ALIASES = [
    ("float", "float32"),
    ("double", "float64"),
    ("half", "float16"),
    ("long", "int64"),
    ("int", "int32"),
    ("short", "int16"),
]

PROPS = {
    # name: (is_floating_point, is_signed, itemsize)
    "bool": (False, False, 1),
    "uint8": (False, False, 1),
    "int8": (False, True, 1),
    "int16": (False, True, 2),
    "int32": (False, True, 4),
    "int64": (False, True, 8),
    "float16": (True, True, 2),
    "bfloat16": (True, True, 2),
    "float32": (True, True, 4),
    "float64": (True, True, 8),
}


@pytest.mark.parametrize("alias,name", ALIASES)
def test_aliases_are_the_same_object(alias, name):
    assert getattr(torch, alias) is getattr(torch, name)
    assert getattr(torch, alias) == getattr(torch, name)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_properties(name):
    dt = getattr(torch, name)
    is_float, signed, size = PROPS[name]
    assert isinstance(dt, torch.dtype)
    assert dt.is_floating_point is is_float
    assert dt.is_signed is signed
    assert dt.itemsize == size
    assert dt.is_complex is False
    assert repr(dt) == f"torch.{name}"
    assert str(dt) == f"torch.{name}"
    assert torch.zeros(1, dtype=dt).element_size() == size
    assert torch.zeros(1, dtype=dt).is_floating_point() is is_float
    assert torch.zeros(1, dtype=dt).dtype is dt


def test_dtypes_are_distinct_hashable_and_comparable():
    objs = [getattr(torch, n) for n in DTYPE_NAMES]
    assert len(set(objs)) == len(objs)
    assert {torch.float32: 1}[torch.float] == 1
    assert torch.float32 != torch.float64
    assert torch.float32 != "float32"
    assert torch.int64 != 64


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_pickles_to_the_same_object(name):
    dt = getattr(torch, name)
    assert pickle.loads(pickle.dumps(dt)) is dt


def test_is_floating_point_function():
    assert torch.is_floating_point(torch.zeros(2))
    assert not torch.is_floating_point(torch.zeros(2, dtype=torch.long))
    assert torch.zeros(2, dtype=torch.bfloat16).is_floating_point()


# --- default dtype -----------------------------------------------------------------------


def test_default_dtype_is_float32():
    assert torch.get_default_dtype() is torch.float32


@pytest.mark.usefixtures("restore_default_dtype")
def test_set_default_dtype_changes_float_creation():
    torch.set_default_dtype(torch.float64)
    assert torch.get_default_dtype() is torch.float64
    assert torch.tensor([1.5]).dtype is torch.float64
    assert torch.tensor(1.5).dtype is torch.float64
    assert torch.zeros(2).dtype is torch.float64
    assert torch.ones(2).dtype is torch.float64
    assert torch.rand(2).dtype is torch.float64
    assert torch.arange(0.0, 1.0, 0.5).dtype is torch.float64
    assert torch.full((2,), 1.5).dtype is torch.float64
    assert torch.linspace(0, 1, 3).dtype is torch.float64
    # Integer data keeps int64; int / int gives the default float dtype.
    assert torch.tensor([1, 2]).dtype is torch.int64
    assert (torch.tensor([1, 2]) / 2).dtype is torch.float64
    assert (torch.tensor([1, 2]) * 1.5).dtype is torch.float64
    # An explicit float32 tensor is not promoted by a Python float.
    assert (torch.ones(2, dtype=torch.float32) * 1.5).dtype is torch.float32


@pytest.mark.usefixtures("restore_default_dtype")
def test_set_default_dtype_float16_and_back():
    torch.set_default_dtype(torch.float16)
    assert torch.tensor([1.0]).dtype is torch.float16
    torch.set_default_dtype(torch.float32)
    assert torch.tensor([1.0]).dtype is torch.float32


@pytest.mark.usefixtures("restore_default_dtype")
@pytest.mark.parametrize("bad", [torch.int64, torch.int32, torch.bool, torch.uint8])
def test_set_default_dtype_rejects_non_float(bad):
    with pytest.raises(TypeError):
        torch.set_default_dtype(bad)
    assert torch.get_default_dtype() is torch.float32


@pytest.mark.usefixtures("restore_default_dtype")
def test_set_default_dtype_rejects_non_dtypes():
    with pytest.raises(TypeError):
        torch.set_default_dtype("float64")
    assert torch.get_default_dtype() is torch.float32


def test_python_scalars_infer_dtypes():
    assert torch.tensor(3).dtype is torch.int64
    assert torch.tensor([1, 2, 3]).dtype is torch.int64
    assert torch.tensor(3.0).dtype is torch.float32
    assert torch.tensor(True).dtype is torch.bool
    assert torch.tensor([1, 2.0]).dtype is torch.float32
    assert torch.tensor([True, 2]).dtype is torch.int64
    assert torch.tensor([True, False]).dtype is torch.bool


@pytest.mark.parametrize("pytype,expected", [(float, "float64"), (int, "int64"), (bool, "bool")])
def test_python_types_as_dtype_arguments(pytype, expected):
    assert torch.zeros(2, dtype=pytype).dtype is getattr(torch, expected)
    assert torch.ones(2).to(pytype).dtype is getattr(torch, expected)


# --- promotion fixtures ------------------------------------------------------------------


def outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - compared against the type PyTorch raised
        return e
    if isinstance(r, torch.Tensor):
        return str(r.dtype).replace("torch.", "")
    if isinstance(r, torch.dtype):
        return str(r).replace("torch.", "")
    return r


def check(expected, got):
    """`expected` is a dtype name or '!ExceptionName'; exception types must match."""
    if isinstance(expected, str) and expected.startswith("!"):
        name = expected[1:]
        assert isinstance(got, BaseException), f"expected {name}, got {got}"
        assert type(got).__name__ == name, f"expected {name}, got {type(got).__name__}: {got}"
        assert "PanicException" not in type(got).__name__
    else:
        if isinstance(got, BaseException):
            raise AssertionError(f"expected {expected}, raised {type(got).__name__}: {got}")
        assert got == expected


PAIRS = [(a, b) for a in KINDS for b in KINDS]


@pytest.mark.parametrize("i,a", list(enumerate(KINDS)))
def test_result_type_matches_pytorch(i, a):
    for j, b in enumerate(KINDS):
        check(FIX["result_type"][i][j], outcome(lambda b=b: torch.result_type(make(a), make(b))))


@pytest.mark.parametrize("i,a", list(enumerate(DTYPE_NAMES)))
def test_promote_types_matches_pytorch(i, a):
    for j, b in enumerate(DTYPE_NAMES):
        got = outcome(lambda b=b: torch.promote_types(getattr(torch, a), getattr(torch, b)))
        check(FIX["promote_types"][i][j], got)
        assert torch.promote_types(getattr(torch, a), getattr(torch, b)) is getattr(
            torch, FIX["promote_types"][i][j]
        )


@pytest.mark.parametrize("i,a", list(enumerate(DTYPE_NAMES)))
def test_can_cast_matches_pytorch(i, a):
    for j, b in enumerate(DTYPE_NAMES):
        assert torch.can_cast(getattr(torch, a), getattr(torch, b)) is FIX["can_cast"][i][j], (a, b)


def _inplace(fn):
    def apply(a, b):
        a = a.clone()
        return fn(a, b)

    return apply


OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "eq": operator.eq,
    "lt": operator.lt,
    "ge": operator.ge,
    "iadd": _inplace(operator.iadd),
    "isub": _inplace(operator.isub),
    "imul": _inplace(operator.imul),
    "itruediv": _inplace(operator.itruediv),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("i,a", list(enumerate(KINDS)))
def test_operator_result_dtypes_match_pytorch(op, i, a):
    row = FIX["ops"][op][i]
    for j, b in enumerate(KINDS):
        if row[j] is None:
            continue
        got = outcome(lambda b=b: OPS[op](make(a), make(b)))
        try:
            check(row[j], got)
        except AssertionError as e:
            raise AssertionError(f"{a} {op} {b}: {e}") from None


def test_fixture_covers_the_documented_rules():
    # Sanity of the oracle itself: a few of PyTorch's documented promotion rules.
    k = KINDS.index
    assert FIX["ops"]["truediv"][k("t:int64")][k("t:int64")] == "float32"
    assert FIX["ops"]["add"][k("t:int32")][k("s:float")] == "float32"
    assert FIX["ops"]["add"][k("t:uint8")][k("z:int64")] == "uint8"
    assert FIX["ops"]["add"][k("t:float16")][k("z:float64")] == "float16"
    assert FIX["ops"]["eq"][k("t:float32")][k("t:int8")] == "bool"
    assert FIX["ops"]["iadd"][k("t:int64")][k("s:float")] == "!RuntimeError"


# --- promotion rules stated directly ------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in DTYPE_NAMES if n != "bool"])
def test_int_division_gives_default_float(name):
    a = torch.ones(3, dtype=getattr(torch, name))
    q = a / a
    expected = name if PROPS[name][0] else "float32"
    assert q.dtype is getattr(torch, expected)
    np.testing.assert_array_equal(q.float().numpy(), np.ones(3, np.float32))


@pytest.mark.usefixtures("restore_default_dtype")
def test_int_division_follows_default_dtype():
    torch.set_default_dtype(torch.float64)
    assert (torch.ones(3, dtype=torch.int32) / torch.ones(3, dtype=torch.int32)).dtype is torch.float64
    assert torch.result_type(torch.ones(2, dtype=torch.int64), 1.0) is torch.float64
    assert torch.result_type(1, 1.0) is torch.float64


@pytest.mark.parametrize("a", DTYPE_NAMES)
@pytest.mark.parametrize("b", DTYPE_NAMES)
def test_comparisons_give_bool(a, b):
    x = torch.ones(2, dtype=getattr(torch, a))
    y = torch.zeros(2, dtype=getattr(torch, b))
    for r in (x == y, x != y, x < y, x <= y, x > y, x >= y):
        assert r.dtype is torch.bool
    assert (x > y).tolist() == [True, True]
    assert (x == y).tolist() == [False, False]


def test_result_type_accepts_scalar_pairs():
    assert torch.result_type(1, 2) is torch.int64
    assert torch.result_type(1, 2.0) is torch.float32
    assert torch.result_type(True, False) is torch.bool


def test_promote_types_rejects_non_dtypes():
    with pytest.raises(TypeError):
        torch.promote_types(torch.float32, "int")
    with pytest.raises(TypeError):
        torch.can_cast(torch.float32, 3)
