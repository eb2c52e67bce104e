"""A sweep of bad inputs: each must raise the Python exception PyTorch raises for it,
never crash and never surface a Rust panic (``pyo3_runtime.PanicException``)."""

import embertorch as torch
import numpy as np
import pytest

t23 = torch.arange(6.0).reshape(2, 3)
scalar = torch.tensor(1.5)
ints = torch.arange(4)
BIG = 2**62

CASES = [
    # sizes
    ("zeros negative", lambda: torch.zeros(-1), RuntimeError),
    ("ones negative", lambda: torch.ones(3, -2), RuntimeError),
    ("empty negative", lambda: torch.empty(-5), RuntimeError),
    ("full negative", lambda: torch.full((-1,), 2.0), RuntimeError),
    ("rand negative", lambda: torch.rand(-1), RuntimeError),
    ("randn negative", lambda: torch.randn(2, -1), RuntimeError),
    ("randint negative", lambda: torch.randint(0, 5, (-1,)), RuntimeError),
    ("randperm negative", lambda: torch.randperm(-3), RuntimeError),
    ("eye negative", lambda: torch.eye(-1), RuntimeError),
    ("eye negative m", lambda: torch.eye(2, -1), RuntimeError),
    ("linspace negative steps", lambda: torch.linspace(0, 1, -2), RuntimeError),
    ("Tensor negative", lambda: torch.Tensor(-1), RuntimeError),
    ("new_zeros negative", lambda: t23.new_zeros(-1), RuntimeError),
    ("view negative", lambda: t23.view(-2, 3), RuntimeError),
    ("expand bad negative", lambda: t23.expand(-1, -2), RuntimeError),
    ("reshape negative", lambda: t23.reshape(-3, 2), RuntimeError),
    # huge sizes that are cheap to refuse
    ("zeros huge", lambda: torch.zeros(BIG, BIG), RuntimeError),
    ("empty huge", lambda: torch.empty(BIG, 4), RuntimeError),
    ("view huge", lambda: t23.view(BIG, BIG), RuntimeError),
    ("expand huge", lambda: torch.ones(1).expand(BIG, BIG).sum(), RuntimeError),
    ("size overflow int64", lambda: torch.zeros(2**64), TypeError),
    # bad dtype arguments
    ("zeros dtype str", lambda: torch.zeros(2, dtype="float32"), TypeError),
    ("zeros dtype int", lambda: torch.zeros(2, dtype=3), TypeError),
    ("tensor dtype str", lambda: torch.tensor([1], dtype="int64"), TypeError),
    ("to bad", lambda: t23.to("float32"), RuntimeError),
    ("arange dtype", lambda: torch.arange(3, dtype="x"), TypeError),
    ("set_default_dtype int", lambda: torch.set_default_dtype(torch.int64), TypeError),
    ("promote_types str", lambda: torch.promote_types("a", torch.float32), TypeError),
    ("type bad name", lambda: t23.type("torch.Foo"), ValueError),
    ("rand int dtype", lambda: torch.rand(2, dtype=torch.int64), NotImplementedError),
    ("randn int dtype", lambda: torch.randn(2, dtype=torch.int32), NotImplementedError),
    ("requires_grad int", lambda: torch.zeros(2, dtype=torch.int64, requires_grad=True), RuntimeError),
    # wrong types
    ("zeros float size", lambda: torch.zeros(2.5), TypeError),
    ("zeros str size", lambda: torch.zeros("a"), TypeError),
    ("zeros None size", lambda: torch.zeros(None), TypeError),
    ("zeros list float", lambda: torch.zeros([2, 2.0]), TypeError),
    ("view float", lambda: t23.view(2.0, 3), TypeError),
    ("reshape str", lambda: t23.reshape("a"), TypeError),
    ("permute float", lambda: t23.permute(1.0, 0), TypeError),
    ("transpose float", lambda: t23.transpose(0.5, 1), TypeError),
    ("transpose None", lambda: t23.transpose(None, 1), TypeError),
    ("sum dim str", lambda: t23.sum("a"), TypeError),
    ("unsqueeze float", lambda: t23.unsqueeze(1.0), TypeError),
    ("narrow str", lambda: t23.narrow("a", 0, 1), TypeError),
    ("select float", lambda: t23.select(0, 1.5), TypeError),
    ("add str", lambda: t23 + "a", TypeError),
    ("add None", lambda: t23 + None, TypeError),
    ("mul list method", lambda: t23.mul("x"), TypeError),
    ("matmul int", lambda: t23 @ 2, TypeError),
    ("fill_ str", lambda: t23.clone().fill_("a"), TypeError),
    ("full str", lambda: torch.full((2,), "a"), TypeError),
    ("tensor str", lambda: torch.tensor("abc"), TypeError),
    ("tensor None", lambda: torch.tensor(None), RuntimeError),
    ("tensor object", lambda: torch.tensor(object()), RuntimeError),
    ("from_numpy list", lambda: torch.from_numpy([1, 2]), TypeError),
    ("cat non tensors", lambda: torch.cat([1, 2]), TypeError),
    ("cat not a list", lambda: torch.cat(t23), TypeError),
    ("stack empty", lambda: torch.stack([]), RuntimeError),
    ("cat empty", lambda: torch.cat([]), ValueError),
    ("device bad", lambda: torch.device("nope"), RuntimeError),
    ("device float", lambda: torch.device(1.5), TypeError),
    ("manual_seed str", lambda: torch.manual_seed("a"), ValueError),
    ("Generator manual_seed str", lambda: torch.Generator().manual_seed("a"), RuntimeError),
    ("rand generator bad", lambda: torch.rand(2, generator=3), TypeError),
    ("requires_grad_ str", lambda: t23.clone().requires_grad_("yes"), TypeError),
    ("setitem str", lambda: t23.clone().__setitem__(0, "a"), TypeError),
    ("index float", lambda: t23[1.5], IndexError),
    ("index str", lambda: t23["a"], TypeError),
    ("index dict", lambda: t23[{1: 2}], IndexError),
    ("float index tensor", lambda: t23[torch.tensor([0.0])], IndexError),
    # dims and indices out of range
    ("size dim", lambda: t23.size(2), IndexError),
    ("stride dim", lambda: t23.stride(-3), IndexError),
    ("sum dim", lambda: t23.sum(2), IndexError),
    ("transpose dim", lambda: t23.transpose(0, 2), IndexError),
    ("unsqueeze dim", lambda: t23.unsqueeze(3), IndexError),
    ("squeeze dim", lambda: t23.squeeze(2), IndexError),
    ("select index", lambda: t23.select(0, 2), IndexError),
    ("select dim", lambda: t23.select(2, 0), IndexError),
    ("narrow length", lambda: t23.narrow(1, 2, 2), RuntimeError),
    ("narrow dim", lambda: t23.narrow(2, 0, 1), IndexError),
    ("flatten dim", lambda: t23.flatten(0, 2), IndexError),
    ("movedim dim", lambda: t23.movedim(0, 2), IndexError),
    ("getitem too many", lambda: t23[0, 0, 0], IndexError),
    ("getitem out of range", lambda: t23[2], IndexError),
    ("getitem negative", lambda: t23[:, -4], IndexError),
    ("getitem huge", lambda: t23[BIG], IndexError),
    ("getitem 2**64", lambda: t23[2**64], ValueError),
    ("setitem out of range", lambda: t23.clone().__setitem__(5, 1.0), IndexError),
    ("argmax dim", lambda: t23.argmax(5), IndexError),
    ("softmax dim", lambda: t23.softmax(3), IndexError),
    ("cumsum dim", lambda: t23.cumsum(-3), IndexError),
    ("gather dim", lambda: t23.gather(2, torch.zeros(2, 3, dtype=torch.int64)), IndexError),
    ("index_select out of range", lambda: t23.index_select(1, torch.tensor([3])), RuntimeError),
    ("advanced index out of range", lambda: t23[torch.tensor([0, 5])], IndexError),
    # 0-dim tensors
    ("0-dim getitem", lambda: scalar[0], IndexError),
    ("0-dim len", lambda: len(scalar), TypeError),
    ("0-dim iter", lambda: iter(scalar), TypeError),
    ("0-dim t dim", lambda: scalar.transpose(0, 1), IndexError),
    ("0-dim size dim", lambda: scalar.size(1), IndexError),
    ("0-dim view", lambda: scalar.view(2), RuntimeError),
    ("0-dim unbind", lambda: scalar.unbind(0), IndexError),
    ("0-dim chunk", lambda: scalar.chunk(2), RuntimeError),
    ("0-dim matmul", lambda: scalar @ scalar, RuntimeError),
    ("0-dim select", lambda: scalar.select(0, 0), IndexError),
    ("0-dim narrow", lambda: scalar.narrow(0, 0, 1), RuntimeError),
    ("0-dim flatten range", lambda: scalar.flatten(0, 1), IndexError),
    ("0-dim index with tensor", lambda: scalar[torch.tensor([0])], IndexError),
    # shapes and values
    ("view incompatible", lambda: t23.view(4), RuntimeError),
    ("view two -1", lambda: t23.view(-1, -1), RuntimeError),
    ("view non-viewable", lambda: t23.t().view(6), RuntimeError),
    ("reshape incompatible", lambda: t23.reshape(5), RuntimeError),
    ("expand smaller", lambda: t23.expand(3), RuntimeError),
    ("expand mismatch", lambda: t23.expand(2, 4), RuntimeError),
    ("broadcast", lambda: t23 + torch.ones(4), RuntimeError),
    ("inplace broadcast", lambda: torch.ones(3).add_(t23), RuntimeError),
    ("inplace cast", lambda: ints.clone().add_(0.5), RuntimeError),
    ("int div by zero", lambda: ints // 0, RuntimeError),
    ("int mod by zero", lambda: ints % torch.zeros(4, dtype=torch.int64), RuntimeError),
    ("bool sub", lambda: torch.tensor([True]) - torch.tensor([True]), RuntimeError),
    ("bool neg", lambda: -torch.tensor([True]), RuntimeError),
    ("int negative pow", lambda: ints**-1, RuntimeError),
    ("matmul shapes", lambda: t23 @ t23, RuntimeError),
    ("mm 1d", lambda: torch.ones(3).mm(torch.ones(3)), RuntimeError),
    ("matmul dtype", lambda: t23 @ torch.ones(3, 2, dtype=torch.float64), RuntimeError),
    ("cat shapes", lambda: torch.cat([t23, torch.ones(2, 2)]), RuntimeError),
    ("stack shapes", lambda: torch.stack([t23, torch.ones(3, 2)]), RuntimeError),
    ("split sizes", lambda: t23.split([1, 1], 1), RuntimeError),
    ("chunk zero", lambda: t23.chunk(0), RuntimeError),
    ("permute repeated", lambda: t23.permute(0, 0), RuntimeError),
    ("permute short", lambda: t23.permute(0), RuntimeError),
    ("t of 3d", lambda: torch.zeros(2, 2, 2).t(), RuntimeError),
    ("flatten order", lambda: torch.zeros(2, 2, 2).flatten(2, 1), RuntimeError),
    ("unflatten sizes", lambda: t23.unflatten(1, (2, 2)), RuntimeError),
    ("as_strided out of bounds", lambda: t23.as_strided((4, 4), (4, 1)), RuntimeError),
    ("as_strided negative offset", lambda: t23.as_strided((2,), (1,), -1), RuntimeError),
    ("step zero", lambda: t23[::0], ValueError),
    ("step negative", lambda: t23[::-1], ValueError),
    ("item of many", lambda: t23.item(), RuntimeError),
    ("item of none", lambda: torch.zeros(0).item(), RuntimeError),
    ("float of many", lambda: float(t23), ValueError),
    ("int of nan", lambda: int(torch.tensor(float("nan"))), ValueError),
    ("bool of many", lambda: bool(t23), RuntimeError),
    ("index of float", lambda: [1, 2][torch.tensor(1.0)], TypeError),
    ("arange zero step", lambda: torch.arange(0, 3, 0), RuntimeError),
    ("arange wrong sign", lambda: torch.arange(0, 3, -1), RuntimeError),
    ("arange inf", lambda: torch.arange(0, float("inf")), RuntimeError),
    ("randint empty range", lambda: torch.randint(3, 3, (2,)), RuntimeError),
    ("normal negative std", lambda: torch.normal(0.0, -1.0, size=(2,)), RuntimeError),
    ("bernoulli bad p", lambda: torch.bernoulli(torch.full((2,), 2.0)), RuntimeError),
    ("multinomial too many", lambda: torch.multinomial(torch.ones(3), 4), RuntimeError),
    ("multinomial negative", lambda: torch.multinomial(torch.tensor([1.0, -1.0]), 1), RuntimeError),
    ("tensor ragged", lambda: torch.tensor([[1, 2], [3]]), ValueError),
    ("tensor overflow", lambda: torch.tensor([2**64]), ValueError),
    ("tensor uint8 overflow", lambda: torch.tensor([300], dtype=torch.uint8), RuntimeError),
    ("full nan int", lambda: torch.full((2,), float("nan"), dtype=torch.int64), RuntimeError),
    ("fill_ many", lambda: t23.clone().fill_(torch.ones(2)), RuntimeError),
    ("copy_ broadcast", lambda: t23.clone().copy_(torch.ones(4)), RuntimeError),
    ("setitem shape", lambda: t23.clone().__setitem__(0, torch.ones(4)), RuntimeError),
    ("grad shape", lambda: setattr(torch.ones(2, requires_grad=True), "grad", torch.ones(3)), RuntimeError),
    ("backward non-scalar", lambda: (torch.ones(2, requires_grad=True) * 2).backward(), RuntimeError),
    ("backward no grad", lambda: torch.ones(2).sum().backward(), RuntimeError),
    ("numpy requires_grad", lambda: torch.ones(2, requires_grad=True).numpy(), RuntimeError),
    ("numpy bfloat16", lambda: torch.ones(2, dtype=torch.bfloat16).numpy(), TypeError),
    ("from_numpy negative strides", lambda: torch.from_numpy(np.arange(3)[::-1]), ValueError),
    ("from_numpy complex", lambda: torch.from_numpy(np.zeros(2, np.complex64)), TypeError),
    ("cuda", lambda: torch.zeros(2, device="cuda"), RuntimeError),
]

# Cases where PyTorch accepts what embertorch does not (embertorch lacks the feature).
EMBERTORCH_ONLY = {"from_numpy complex"}


@pytest.mark.parametrize("name,fn,exc", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises(name, fn, exc):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001 - the type is what is under test
        assert "Panic" not in type(e).__name__, f"{name}: Rust panic: {e}"
        assert isinstance(e, exc), f"{name}: expected {exc.__name__}, got {type(e).__name__}: {e}"
        assert str(e), f"{name}: empty message"
    else:
        pytest.fail(f"{name}: no exception (expected {exc.__name__})")


def test_every_case_name_is_unique():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))
    assert EMBERTORCH_ONLY <= set(names)


def test_errors_leave_tensors_usable():
    x = torch.arange(6.0).reshape(2, 3)
    for fn in (lambda: x.view(4), lambda: x + torch.ones(4), lambda: x[5], lambda: x.add_(torch.ones(4))):
        with pytest.raises((RuntimeError, IndexError)):
            fn()
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x._version == 0 if hasattr(x, "_version") else True
