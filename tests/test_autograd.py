"""Autograd semantics: backward, accumulation, graph retention, higher-order gradients,
autograd.grad, the graph objects, grad modes, in-place rules, hooks and custom Functions.
Oracles are closed-form derivatives computed with numpy."""

import math

import embertorch as torch
import numpy as np
import pytest
from embertorch.autograd import Function, gradcheck, gradgradcheck


def leaf(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def rand_leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return torch.tensor(rng.standard_normal(shape), requires_grad=True)


def npy(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- backward and .grad


def test_backward_fills_leaf_grads():
    x = rand_leaf(4, seed=1)
    w = rand_leaf(4, seed=2)
    (x * w + x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), npy(w) + 2 * npy(x))
    np.testing.assert_allclose(npy(w.grad), npy(x))
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_grad_is_none_before_backward():
    x = rand_leaf(3)
    assert x.grad is None
    y = x * 2
    assert x.grad is None
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_grads_accumulate_across_backward_calls():
    x = rand_leaf(3)
    for k in range(1, 4):
        (x**2).sum().backward()
        np.testing.assert_allclose(npy(x.grad), 2 * k * npy(x))
    x.grad.zero_()
    np.testing.assert_array_equal(npy(x.grad), np.zeros(3))
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full(3, 3.0))


def test_grad_setter_checks_shape():
    x = rand_leaf(3)
    x.grad = torch.ones(3, dtype=torch.float64)
    x.sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full(3, 2.0))
    with pytest.raises(RuntimeError):
        x.grad = torch.ones(4, dtype=torch.float64)


def test_shared_subexpression_sums_gradients():
    # y = 2x used three times: z = y*y + y  ->  dz/dx = (2y + 1) * 2
    x = rand_leaf(5)
    y = x * 2
    (y * y + y).sum().backward()
    np.testing.assert_allclose(npy(x.grad), (2 * 2 * npy(x) + 1) * 2)


def test_same_tensor_as_both_operands():
    x = rand_leaf(3)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), 3 * npy(x) ** 2)


def test_grad_dtype_follows_leaf_under_promotion():
    x = torch.tensor([1.0, 2.0], dtype=torch.float32, requires_grad=True)
    y = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.dtype == torch.float32 and y.grad.dtype == torch.float64
    np.testing.assert_allclose(npy(x.grad), [3.0, 4.0])


def test_broadcast_gradients_are_summed_to_input_shape():
    rng = np.random.default_rng(3)
    a = torch.tensor(rng.standard_normal((3, 1)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((1, 4)), requires_grad=True)
    c = torch.tensor(rng.standard_normal(4), requires_grad=True)
    s = torch.tensor(2.5, dtype=torch.float64, requires_grad=True)
    out = a * b + c * s
    g = rng.standard_normal((3, 4))
    out.backward(torch.tensor(g))
    np.testing.assert_allclose(npy(a.grad), (g * npy(b)).sum(1, keepdims=True))
    np.testing.assert_allclose(npy(b.grad), (g * npy(a)).sum(0, keepdims=True))
    np.testing.assert_allclose(npy(c.grad), g.sum(0) * 2.5)
    np.testing.assert_allclose(npy(s.grad), (g * npy(c)).sum())
    assert a.grad.shape == (3, 1) and s.grad.shape == ()


def test_backward_non_scalar_needs_gradient():
    x = rand_leaf(3)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    g = torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)
    y.backward(g)
    np.testing.assert_allclose(npy(x.grad), 2 * npy(g))


def test_backward_single_element_non_0dim_is_allowed():
    x = rand_leaf(1)
    (x * 3).backward()
    np.testing.assert_allclose(npy(x.grad), [3.0])


def test_backward_gradient_shape_mismatch():
    x = rand_leaf(3)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(4, dtype=torch.float64))


def test_backward_on_tensor_without_history():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        torch.ones(2).sum().backward()


def test_backward_inputs_restricts_accumulation():
    x = rand_leaf(3, seed=1)
    w = rand_leaf(3, seed=2)
    (x * w).sum().backward(inputs=[x])
    np.testing.assert_allclose(npy(x.grad), npy(w))
    assert w.grad is None
    torch.autograd.backward([(x * w).sum()], inputs=[w])
    np.testing.assert_allclose(npy(w.grad), npy(x))


def test_autograd_backward_multiple_roots():
    x = rand_leaf(3)
    a = (x * 2).sum()
    b = x * x
    torch.autograd.backward([a, b], [None, torch.ones(3, dtype=torch.float64)])
    np.testing.assert_allclose(npy(x.grad), 2 + 2 * npy(x))


# ---------------------------------------------------------------- retain_graph


def test_second_backward_without_retain_graph_raises():
    x = rand_leaf(3)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = rand_leaf(3)
    y = (x.sin() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    xn = npy(x)
    np.testing.assert_allclose(npy(x.grad), 2 * (np.cos(xn) * xn + np.sin(xn)))


def test_graph_without_saved_tensors_can_be_rerun():
    # Nothing is saved by add/sum, so PyTorch allows the second pass.
    x = rand_leaf(3)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(npy(x.grad), np.full(3, 2.0))


def test_autograd_grad_frees_graph_by_default():
    x = rand_leaf(3)
    y = (x * x).sum()
    torch.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        torch.autograd.grad(y, x)


# ---------------------------------------------------------------- higher order


@pytest.mark.parametrize(
    "f, d1, d2",
    [
        (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x),
        (
            lambda x: x.tanh(),
            lambda x: 1 - np.tanh(x) ** 2,
            lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
        ),
        (lambda x: x.sin(), np.cos, lambda x: -np.sin(x)),
        (lambda x: x.exp() * x, lambda x: np.exp(x) * (x + 1), lambda x: np.exp(x) * (x + 2)),
        (lambda x: x.sigmoid(), lambda x: s(x) * (1 - s(x)), lambda x: s(x) * (1 - s(x)) * (1 - 2 * s(x))),
        (
            lambda x: (x * x + 1).log(),
            lambda x: 2 * x / (x * x + 1),
            lambda x: 2 * (1 - x * x) / (x * x + 1) ** 2,
        ),
    ],
    ids=["cube", "tanh", "sin", "xexp", "sigmoid", "log1px2"],
)
def test_second_derivative_closed_form(f, d1, d2):
    x = rand_leaf(5, seed=4)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(npy(g), d1(npy(x)), rtol=1e-12, atol=1e-12)
    (h,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(npy(h), d2(npy(x)), rtol=1e-10, atol=1e-12)


def s(x):
    return 1 / (1 + np.exp(-x))


def test_third_derivative_of_cube_is_six():
    x = rand_leaf(4)
    (g1,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(npy(g3), np.full(4, 6.0))


def test_backward_with_create_graph_then_backward_of_grad():
    x = rand_leaf(3)
    (x**4).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(npy(g), 4 * npy(x) ** 3)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(npy(x.grad), 12 * npy(x) ** 2)


def test_hessian_vector_product():
    # f(x) = x^T A x + sum(sin(x)): H = A + A^T - diag(sin x)
    rng = np.random.default_rng(5)
    A = rng.standard_normal((4, 4))
    v = rng.standard_normal(4)
    x = rand_leaf(4, seed=6)
    At = torch.tensor(A)
    f = x @ (At @ x) + x.sin().sum()
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=torch.tensor(v))
    H = A + A.T - np.diag(np.sin(npy(x)))
    np.testing.assert_allclose(npy(hv), H @ v, rtol=1e-12, atol=1e-12)


def test_mixed_second_partial():
    # f = x^2 y^3: d2f/dxdy = 6 x y^2
    x = leaf(1.5)
    y = leaf(-0.7)
    (gx,) = torch.autograd.grad(x**2 * y**3, x, create_graph=True)
    (gxy,) = torch.autograd.grad(gx, y)
    assert math.isclose(gxy.item(), 6 * 1.5 * 0.7**2, rel_tol=1e-12)


# ---------------------------------------------------------------- autograd.grad


def test_autograd_grad_returns_and_does_not_accumulate():
    x = rand_leaf(3, seed=1)
    w = rand_leaf(3, seed=2)
    gx, gw = torch.autograd.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(npy(gx), npy(w))
    np.testing.assert_allclose(npy(gw), npy(x))
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_autograd_grad_outputs_for_non_scalar():
    x = rand_leaf(3)
    v = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    (g,) = torch.autograd.grad(x**2, x, grad_outputs=v)
    np.testing.assert_allclose(npy(g), 2 * npy(x) * npy(v))
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        torch.autograd.grad(x**2, x)


def test_autograd_grad_multiple_outputs():
    x = rand_leaf(3)
    (g,) = torch.autograd.grad([(x * 2).sum(), (x * x).sum()], x)
    np.testing.assert_allclose(npy(g), 2 + 2 * npy(x))


def test_autograd_grad_allow_unused():
    x = rand_leaf(3, seed=1)
    z = rand_leaf(3, seed=2)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = torch.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None
    np.testing.assert_allclose(npy(gx), np.full(3, 2.0))
    gx, gz = torch.autograd.grad(y, [x, z], materialize_grads=True)
    np.testing.assert_array_equal(npy(gz), np.zeros(3))


def test_autograd_grad_wrt_intermediate():
    x = rand_leaf(3)
    h = x.exp()
    y = (h * h).sum()
    (gh,) = torch.autograd.grad(y, h)
    np.testing.assert_allclose(npy(gh), 2 * np.exp(npy(x)))


def test_autograd_grad_input_not_requiring_grad():
    x = rand_leaf(3)
    c = torch.ones(3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad((x * c).sum(), c)


def test_autograd_grad_retain_graph_and_create_graph_flags():
    x = rand_leaf(3)
    y = (x**3).sum()
    (g1,) = torch.autograd.grad(y, x, retain_graph=True)
    (g2,) = torch.autograd.grad(y, x)
    np.testing.assert_allclose(npy(g1), npy(g2))
    assert not g1.requires_grad
    (g3,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g3.requires_grad


def test_autograd_grad_grad_outputs_count_mismatch():
    x = rand_leaf(3)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(
            [x.sum(), (2 * x).sum()], x, grad_outputs=[torch.tensor(1.0, dtype=torch.float64)]
        )


# ---------------------------------------------------------------- graph objects


@pytest.mark.parametrize(
    "expr, name",
    [
        (lambda x, y: x + y, "AddBackward0"),
        (lambda x, y: x + 1, "AddBackward0"),
        (lambda x, y: x - y, "SubBackward0"),
        (lambda x, y: x - 1, "SubBackward0"),
        (lambda x, y: 1 - x, "RsubBackward1"),
        (lambda x, y: x * y, "MulBackward0"),
        (lambda x, y: x * 2, "MulBackward0"),
        (lambda x, y: x / y, "DivBackward0"),
        (lambda x, y: -x, "NegBackward0"),
        (lambda x, y: x.sum(), "SumBackward0"),
        (lambda x, y: x.sum(0), "SumBackward1"),
        (lambda x, y: x.mean(), "MeanBackward0"),
        (lambda x, y: x.mean(1), "MeanBackward1"),
        (lambda x, y: x.exp(), "ExpBackward0"),
        (lambda x, y: x.log(), "LogBackward0"),
        (lambda x, y: x.sin(), "SinBackward0"),
        (lambda x, y: x.tanh(), "TanhBackward0"),
        (lambda x, y: x.sigmoid(), "SigmoidBackward0"),
        (lambda x, y: x.relu(), "ReluBackward0"),
        (lambda x, y: x.abs(), "AbsBackward0"),
        (lambda x, y: x.sqrt(), "SqrtBackward0"),
        (lambda x, y: x**2, "PowBackward0"),
        (lambda x, y: x.pow(y), "PowBackward1"),
        (lambda x, y: x.pow(2), "PowBackward0"),
        (lambda x, y: 2**x, "PowBackward2"),
        (lambda x, y: x[0], "SelectBackward0"),
        (lambda x, y: x[:, 1:], "SliceBackward0"),
        (lambda x, y: x[[0, 1]], "IndexBackward0"),
        (lambda x, y: x.view(6), "ViewBackward0"),
        (lambda x, y: x.reshape(3, 2), "ViewBackward0"),
        (lambda x, y: x.t(), "TBackward0"),
        (lambda x, y: x.transpose(0, 1), "TransposeBackward0"),
        (lambda x, y: x.permute(1, 0), "PermuteBackward0"),
        (lambda x, y: x.unsqueeze(0), "UnsqueezeBackward0"),
        (lambda x, y: x.expand(2, 2, 3), "ExpandBackward0"),
        (lambda x, y: x.clone(), "CloneBackward0"),
        (lambda x, y: x.flip(0), "FlipBackward0"),
        (lambda x, y: torch.cat([x, y]), "CatBackward0"),
        (lambda x, y: torch.stack([x, y]), "StackBackward0"),
        (lambda x, y: x @ y.t(), "MmBackward0"),
        (lambda x, y: x[0] @ y[0], "DotBackward0"),
        (lambda x, y: x.softmax(1), "SoftmaxBackward0"),
        (lambda x, y: x.log_softmax(1), "LogSoftmaxBackward0"),
        (lambda x, y: torch.where(x > 0, x, y), "WhereBackward0"),
        (lambda x, y: x.clamp(-0.5, 0.5), "ClampBackward1"),
        (lambda x, y: x.max(), "MaxBackward1"),
        (lambda x, y: x.max(1)[0], "MaxBackward0"),
        (lambda x, y: x.min(), "MinBackward1"),
        (lambda x, y: x.sort(1)[0], "SortBackward0"),
        (lambda x, y: x.topk(2)[0], "TopkBackward0"),
        (lambda x, y: x.cumsum(1), "CumsumBackward0"),
        (lambda x, y: x.cumprod(1), "CumprodBackward0"),
        (lambda x, y: x.prod(), "ProdBackward0"),
        (lambda x, y: x.amax(1), "AmaxBackward0"),
        (lambda x, y: x.maximum(y), "MaximumBackward0"),
        (lambda x, y: x.logsumexp(1), "LogsumexpBackward0"),
        (lambda x, y: x.gather(1, torch.tensor([[0], [2]])), "GatherBackward0"),
        (lambda x, y: x.index_select(1, torch.tensor([0, 2])), "IndexSelectBackward0"),
        (lambda x, y: x.double(), "ToCopyBackward0"),
        (lambda x, y: x.var(), "VarBackward0"),
        (lambda x, y: x.std(), "StdBackward0"),
        (lambda x, y: x.repeat(2, 1), "RepeatBackward0"),
    ],
)
def test_grad_fn_names(expr, name):
    """Names as PyTorch prints them (its derivatives.yaml overload numbering)."""
    x = torch.rand(2, 3, requires_grad=True)
    y = torch.rand(2, 3, requires_grad=True)
    out = expr(x, y)
    assert out.requires_grad and not out.is_leaf
    assert out.grad_fn.name() == name
    assert name in repr(out.grad_fn)


def test_next_functions_walk_the_graph():
    x = torch.rand(3, requires_grad=True)
    w = torch.rand(3, requires_grad=True)
    c = torch.rand(3)
    z = (x * w + c).sum()
    assert z.grad_fn.name() == "SumBackward0"
    ((add, nr),) = z.grad_fn.next_functions
    assert add.name() == "AddBackward0" and nr == 0
    (mul, _), (const, _) = add.next_functions
    assert mul.name() == "MulBackward0"
    assert const is None  # c does not require grad
    (ax, _), (aw, _) = mul.next_functions
    assert ax.name() == "AccumulateGrad" and aw.name() == "AccumulateGrad"
    # the nodes feed x and w themselves: same storage, and their .grad is the leaves' .grad
    assert ax.variable._shares_storage(x) and aw.variable._shares_storage(w)
    assert not ax.variable._shares_storage(w)
    z.backward()
    assert ax.variable.grad is not None
    np.testing.assert_allclose(npy(ax.variable.grad), npy(x.grad))
    assert ax.next_functions == ()


def test_next_functions_output_nr_of_multi_output_node():
    x = torch.rand(3, 4, requires_grad=True)
    values, _ = x.max(1)
    parts = x.unbind(0)
    out = values * parts[2][:3]
    (a, _), (b, _) = out.grad_fn.next_functions
    assert a.name() == "MaxBackward0"
    assert b.name() == "SliceBackward0"


def test_is_leaf_and_requires_grad_propagation():
    x = torch.rand(3, requires_grad=True)
    c = torch.rand(3)
    assert x.is_leaf and c.is_leaf and x.grad_fn is None
    y = x * c
    assert y.requires_grad and not y.is_leaf
    z = c * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


def test_requires_grad_underscore():
    x = torch.rand(3)
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    y = torch.rand(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # already true: allowed


def test_requires_grad_attribute_setter():
    x = torch.rand(3)
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), 2 * npy(x), rtol=1e-6)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        torch.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        torch.zeros(2, dtype=dtype).requires_grad_()
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        torch.ones(2, dtype=dtype, requires_grad=True)


def test_integer_results_do_not_require_grad():
    x = torch.rand(2, 3, requires_grad=True)
    assert not x.argmax(1).requires_grad
    assert not (x > 0.5).requires_grad
    values, indices = x.sort(1)
    assert values.requires_grad and not indices.requires_grad
    assert not x.long().requires_grad


def test_detach_shares_storage_and_cuts_history():
    x = rand_leaf(3)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 100.0
    assert y[0].item() == 100.0  # same storage
    z = (d * x).sum()
    z.backward()
    np.testing.assert_allclose(npy(x.grad), npy(d))


def test_detach_in_place():
    x = rand_leaf(3)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_detach_in_place_on_view_refused():
    x = rand_leaf(3)
    v = (x * 2)[1:]
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        v.detach_()


def test_data_is_detached_alias():
    x = rand_leaf(3)
    d = x.data
    assert not d.requires_grad
    d.mul_(2)  # allowed: .data escapes autograd's checks
    np.testing.assert_allclose(npy(x), npy(d))


# ---------------------------------------------------------------- grad modes


def test_no_grad_context_and_nesting():
    x = rand_leaf(3)
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        y = x * 2
        with torch.enable_grad():
            assert torch.is_grad_enabled()
            z = x * 2
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError
    assert torch.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = rand_leaf(3)

    @torch.no_grad()
    def f(t):
        assert not torch.is_grad_enabled()
        return t * 2

    @torch.enable_grad()
    def g(t):
        return t * 2

    @torch.set_grad_enabled(False)
    def h(t):
        return t * 2

    @torch.inference_mode()
    def k(t):
        assert torch.is_inference_mode_enabled()
        return t * 2

    assert torch.is_grad_enabled()  # building the decorator left the mode alone
    assert not f(x).requires_grad
    assert not h(x).requires_grad
    assert not k(x).requires_grad
    assert f.__name__ == "f"
    with torch.no_grad():
        assert g(x).requires_grad
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_grad_modes_bare_decorators():
    @torch.no_grad
    def f(t):
        return t * 2

    @torch.inference_mode
    def k(t):
        assert torch.is_inference_mode_enabled()
        return t * 2

    @torch.enable_grad
    def g(t):
        return t * 2

    x = rand_leaf(2)
    assert not f(x).requires_grad and not k(x).requires_grad
    with torch.no_grad():
        assert g(x).requires_grad
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_set_grad_enabled_as_function_and_context():
    x = rand_leaf(3)
    torch.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torch.set_grad_enabled(True)
    assert (x * 2).requires_grad
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with torch.set_grad_enabled(True):
            assert (x * 2).requires_grad
    assert torch.is_grad_enabled()


def test_inference_mode_context():
    x = rand_leaf(3)
    assert not torch.is_inference_mode_enabled()
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled() and not torch.is_grad_enabled()
        y = x * 2
    assert not y.requires_grad
    with torch.inference_mode(False):
        assert not torch.is_inference_mode_enabled()
        assert (x * 2).requires_grad
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_no_grad_allows_in_place_on_leaf():
    x = rand_leaf(3)
    before = npy(x).copy()
    with torch.no_grad():
        x.add_(1.0)
        x[0] = 7.0
    assert x.requires_grad and x.is_leaf
    expected = before + 1
    expected[0] = 7.0
    np.testing.assert_allclose(npy(x), expected)


# ---------------------------------------------------------------- in-place rules


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.add_(1),
        lambda x: x.mul_(2),
        lambda x: x.zero_(),
        lambda x: x.fill_(1.0),
        lambda x: x.copy_(torch.ones(3, dtype=torch.float64)),
        lambda x: x.exp_(),
        lambda x: x.__setitem__(0, 1.0),
        lambda x: x.__iadd__(1.0),
    ],
    ids=["add_", "mul_", "zero_", "fill_", "copy_", "exp_", "setitem", "iadd"],
)
def test_in_place_on_leaf_requiring_grad_raises(op):
    x = rand_leaf(3)
    with pytest.raises(
        RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."
    ):
        op(x)


def test_in_place_on_view_of_leaf_raises():
    x = rand_leaf(3)
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        x[1:].mul_(2)


def test_in_place_on_non_leaf_records_history():
    x = rand_leaf(4)
    y = x * 1.0
    y.mul_(3).add_(1)
    y.exp_()
    assert y.grad_fn.name() == "ExpBackward0"
    y.sum().backward()
    xn = npy(x)
    np.testing.assert_allclose(npy(x.grad), 3 * np.exp(3 * xn + 1))


def test_version_counter_counts_writes():
    x = torch.zeros(3)
    v0 = x._version
    x.add_(1)
    x[0] = 2.0
    assert x._version == v0 + 2
    view = x[1:]
    view.mul_(2)
    assert x._version == v0 + 3 and view._version == x._version


def test_modified_saved_input_raises():
    x = rand_leaf(3)
    a = x * 1.0
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(
        RuntimeError,
        match="one of the variables needed for gradient computation has been modified by an inplace operation",
    ):
        b.sum().backward()


def test_modified_saved_output_raises():
    x = rand_leaf(3)
    y = x.exp()  # saves its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    assert "is at version 1; expected version 0 instead" in str(info.value)


def test_modification_through_view_is_detected():
    x = rand_leaf(4)
    a = x * 1.0
    b = a.sin()  # saves a
    a[1:3].zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_unsaved_operand_may_be_modified():
    # add saves nothing: changing its operand afterwards is fine
    x = rand_leaf(3)
    a = x * 1.0
    b = a + 1
    a.mul_(5)
    b.sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.ones(3))


def test_operand_read_only_for_unwanted_gradient_may_be_modified():
    # a * 2 and a / c (c constant) need a's value only for the other operand's gradient
    x = rand_leaf(3)
    a = x * 1.0
    c = torch.tensor([2.0, 4.0, 8.0], dtype=torch.float64)
    b = a * 2 + a / c
    a.mul_(5)
    b.sum().backward()
    np.testing.assert_allclose(npy(x.grad), 2 + 1 / npy(c))


def test_in_place_on_view_gives_copy_slices():
    x = rand_leaf(4)
    y = x * 1.0
    y[1:3].mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    np.testing.assert_allclose(npy(x.grad), [1.0, 3.0, 3.0, 1.0])


def test_setitem_with_tensor_that_requires_grad():
    x = rand_leaf(4, seed=1)
    w = rand_leaf(2, seed=2)
    y = x * 2
    y[1:3] = w * w
    g = np.array([1.0, 2.0, 3.0, 4.0])
    y.backward(torch.tensor(g))
    np.testing.assert_allclose(npy(x.grad), [2.0, 0.0, 0.0, 8.0])
    np.testing.assert_allclose(npy(w.grad), 2 * npy(w) * g[1:3])


def test_view_sees_base_in_place_history():
    x = rand_leaf(3, 4)
    y = x * 1.0
    row = y[1]
    assert row.grad_fn.name() == "SelectBackward0"
    y.mul_(2)  # the base changed after the view was taken
    assert row.grad_fn.name() == "AsStridedBackward0"
    (row * row).sum().backward()
    expected = np.zeros((3, 4))
    expected[1] = 8 * npy(x)[1]
    np.testing.assert_allclose(npy(x.grad), expected)


def test_view_taken_before_write_through_sibling_view():
    x = rand_leaf(4)
    y = x * 1.0
    head, tail = y[:2], y[2:]
    tail.mul_(3)
    y[0:1].add_(x[1:2] * 0)  # a write through another view also moves the version
    (head.sum() + tail.sum()).backward()
    np.testing.assert_allclose(npy(x.grad), [1.0, 1.0, 3.0, 3.0])


def test_view_of_leaf_written_under_no_grad():
    # an optimizer-style update of the leaf: the earlier view follows the new values
    x = rand_leaf(4)
    v = x[1:3]
    with torch.no_grad():
        x.mul_(2)
    (v * v).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [0.0, 2 * npy(x)[1], 2 * npy(x)[2], 0.0])


def test_double_backward_through_in_place_on_view():
    # y = x with y[1:3] *= x[1:3]  ->  dy/dx is 2x inside, 1 outside; d2(sum y)/dx2 = 2 inside
    x = rand_leaf(4)
    y = x * 1.0
    y[1:3].mul_(x[1:3])
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(npy(g), [1.0, 2 * npy(x)[1], 2 * npy(x)[2], 1.0])
    (h,) = torch.autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(npy(h), [0.0, 8 * npy(x)[1], 8 * npy(x)[2], 0.0])


def test_in_place_on_view_of_view():
    x = rand_leaf(4, 4)
    y = x * 1.0
    y[1:3][:, 0].add_(10).mul_(2)
    y.sum().backward()
    expected = np.ones((4, 4))
    expected[1:3, 0] = 2
    np.testing.assert_allclose(npy(x.grad), expected)


# ---------------------------------------------------------------- retain_grad and hooks


def test_retain_grad_for_non_leaf():
    x = rand_leaf(3)
    h = x * 2
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(npy(h.grad), 2 * npy(h))
    np.testing.assert_allclose(npy(x.grad), 8 * npy(x))


def test_non_leaf_grad_not_kept_without_retain_grad():
    x = rand_leaf(3)
    h = x * 2
    (h * h).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert h.grad is None


def test_retain_grad_accumulates():
    x = rand_leaf(3)
    h = x * 2
    h.retain_grad()
    y = (h * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(npy(h.grad), np.full(3, 6.0))


def test_hook_on_leaf_rewrites_grad():
    x = rand_leaf(3)
    seen = []

    def hook(g):
        seen.append(npy(g).copy())
        return g * 10

    handle = x.register_hook(hook)
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * npy(x))
    np.testing.assert_allclose(npy(x.grad), 20 * npy(x))
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), 2 * npy(x))


def test_hook_on_non_leaf_changes_upstream_grads():
    x = rand_leaf(3)
    h = x * 3
    h.register_hook(lambda g: g * 0.5)
    h.retain_grad()
    (h * 2).sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full(3, 3.0))  # 2 * 0.5 * 3


def test_hook_returning_none_only_observes():
    x = rand_leaf(3)
    calls = []
    x.register_hook(lambda g: calls.append(g.shape))
    (x * 2).sum().backward()
    assert calls == [(3,)]
    np.testing.assert_allclose(npy(x.grad), np.full(3, 2.0))


def test_hooks_run_in_registration_order():
    x = rand_leaf(2)
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 10)
    x.sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full(2, 20.0))


def test_hook_exception_propagates():
    x = rand_leaf(2)

    def bad(g):
        raise KeyError("from hook")

    x.register_hook(bad)
    with pytest.raises(KeyError, match="from hook"):
        (x * 2).sum().backward()


def test_hook_changing_shape_refused():
    x = rand_leaf(3)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="changed the size"):
        (x * 2).sum().backward()


def test_retain_grad_on_leaf_is_a_no_op():
    x = rand_leaf(3)
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.full(3, 2.0))


def test_factory_requires_grad_gives_leaf():
    for t in (
        torch.zeros(2, 3, requires_grad=True),
        torch.ones(2, requires_grad=True),
        torch.randn(2, requires_grad=True),
        torch.full((2,), 1.5, requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf and t.grad_fn is None


def test_hook_on_tensor_without_grad_refused():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(2).register_hook(lambda g: g)


# ---------------------------------------------------------------- custom Function


class MyExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaledMul(Function):
    """x * y * k with a non-tensor argument k."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.k, g * x * ctx.k, None


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, gv, gi):
        (idx,) = ctx.saved_tensors
        out = torch.zeros_like(gv)
        out[idx] = gv
        return out


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g * 3.0


def test_custom_function_forward_and_backward():
    x = rand_leaf(4)
    y = MyExp.apply(x)
    assert y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name() == "MyExpBackward"
    np.testing.assert_allclose(npy(y), np.exp(npy(x)))
    (y * 2).sum().backward()
    np.testing.assert_allclose(npy(x.grad), 2 * np.exp(npy(x)))


def test_custom_function_non_tensor_args_and_needs_input_grad():
    x = rand_leaf(3, seed=1)
    y = torch.tensor(np.random.default_rng(2).standard_normal(3))
    seen = {}

    class Probe(ScaledMul):
        @staticmethod
        def forward(ctx, x, y, k):
            seen["needs"] = ctx.needs_input_grad
            return ScaledMul.forward(ctx, x, y, k)

    out = Probe.apply(x, y, 3.0)
    assert seen["needs"] == (True, False, False)
    out.sum().backward()
    np.testing.assert_allclose(npy(x.grad), 3.0 * npy(y))
    assert y.grad is None


def test_custom_function_forward_runs_without_grad():
    class Check(Function):
        @staticmethod
        def forward(ctx, x):
            assert not torch.is_grad_enabled()
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = rand_leaf(2)
    Check.apply(x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [2.0, 2.0])


def test_custom_function_mark_non_differentiable():
    x = rand_leaf(5)
    values, idx = SortWithIndices.apply(x)
    assert values.requires_grad and not idx.requires_grad
    np.testing.assert_allclose(npy(values), np.sort(npy(x)))
    w = torch.arange(5, dtype=torch.float64)
    (values * w).sum().backward()
    expected = np.empty(5)
    expected[np.argsort(npy(x))] = np.arange(5.0)
    np.testing.assert_allclose(npy(x.grad), expected)


def test_custom_function_saved_tensor_version_check():
    x = rand_leaf(3)
    a = x * 1.0
    out = ScaledMul.apply(a, a, 1.0)
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_custom_function_without_grad_inputs_records_nothing():
    out = MyExp.apply(torch.rand(3))
    assert not out.requires_grad and out.grad_fn is None


def test_custom_function_wrong_number_of_grads():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooMany.apply(rand_leaf(2)).sum().backward()


def test_custom_function_backward_exception_propagates():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ZeroDivisionError("custom")

    with pytest.raises(ZeroDivisionError, match="custom"):
        Boom.apply(rand_leaf(2)).sum().backward()


def test_custom_function_in_larger_graph_and_double_backward():
    x = rand_leaf(3)
    y = MyExp.apply(x * 2)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(npy(g), 2 * np.exp(2 * npy(x)))
    (h,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(npy(h), 4 * np.exp(2 * npy(x)))


def test_custom_function_graph_freed_after_backward():
    x = rand_leaf(3)
    y = MyExp.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(npy(x.grad), 2 * np.exp(npy(x)))
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_legacy_function_instantiation_refused():
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        MyExp()


# ---------------------------------------------------------------- gradcheck


def test_gradcheck_accepts_correct_functions():
    x = rand_leaf(3, seed=1)
    y = rand_leaf(3, seed=2)
    assert gradcheck(lambda a, b: (a * b.sin()).exp(), (x, y))
    assert gradcheck(MyExp.apply, (x,))
    assert gradcheck(lambda a, b, k: ScaledMul.apply(a, b, k), (x, y, 2.0))


def test_gradcheck_rejects_wrong_backward():
    x = rand_leaf(3)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongGrad.apply, (x,))
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError):
        gradcheck(lambda a: a * 2, (torch.ones(2, dtype=torch.float64),))


def test_gradcheck_leaves_inputs_unchanged():
    x = rand_leaf(3)
    before = npy(x).copy()
    gradcheck(lambda a: a.tanh(), (x,))
    np.testing.assert_array_equal(npy(x), before)
    assert x.grad is None


def test_gradgradcheck_accepts_and_rejects():
    x = rand_leaf(3)
    assert gradgradcheck(lambda a: (a**3).sin(), (x,))
    assert gradgradcheck(MyExp.apply, (x,))

    class BadSecond(Function):
        # first derivative right (2x), but its own derivative is off: g * 2 * x.detach()
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 * a.detach()

    assert gradcheck(BadSecond.apply, (x,))
    with pytest.raises(RuntimeError):
        gradgradcheck(BadSecond.apply, (x,))


# ---------------------------------------------------------------- robustness


def test_long_chain_backward_and_teardown():
    # deep graphs must not overflow a stack, neither in backward nor when freed
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y + 1e-4 * y
    y.backward()
    assert math.isclose(x.grad.item(), (1 + 1e-4) ** 20000, rel_tol=1e-9)
    y = x
    for _ in range(100000):
        y = y * 1.0
    del y


def test_graph_kept_alive_by_output_only():
    x = rand_leaf(3)
    y = (x * 2).exp()
    del x
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    leaf_node = y.grad_fn.next_functions[0][0].next_functions[0][0]
    assert leaf_node.name() == "AccumulateGrad"
    y.sum().backward()
    assert leaf_node.variable.grad is not None
