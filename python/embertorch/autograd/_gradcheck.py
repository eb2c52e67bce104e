"""Finite-difference checks of gradients (`gradcheck`) and of second derivatives
(`gradgradcheck`), comparing autograd's Jacobians with central differences."""

import itertools

from .. import _C
from . import grad as _grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients differ."""


def _as_tuple(x):
    return (x,) if isinstance(x, _C.Tensor) else tuple(x)


def _outputs(func, inputs):
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, _C.Tensor))


def _snapshot(func, inputs):
    """The outputs' current values, flattened into new float64 tensors: an output may be a
    view of an input (or of a gradient) and would otherwise change with the next perturbation."""
    return [o.detach().to(_C.float64, copy=True).reshape(-1) for o in _outputs(func, inputs)]


def _numerical_jacobian(func, inputs, wrt, eps):
    """Columns of d(outputs)/d(inputs[wrt]) by central differences, one input element at a
    time (rows: flattened outputs concatenated)."""
    data = inputs[wrt].data  # shares storage: writes perturb the input without history
    columns = []
    for idx in itertools.product(*(range(s) for s in data.shape)):
        orig = data[idx].item()
        data[idx] = orig + eps
        plus = _snapshot(func, inputs)
        data[idx] = orig - eps
        minus = _snapshot(func, inputs)
        data[idx] = orig
        columns.append(_C.cat([(p - m) / (2 * eps) for p, m in zip(plus, minus)]) if plus else None)
    return columns


def _analytical_jacobian(func, inputs, wrt_list):
    """Rows of d(outputs)/d(inputs) by one vector-Jacobian product per output element."""
    outs = _outputs(func, inputs)
    rows = []
    targets = [inputs[i] for i in wrt_list]
    for k, o in enumerate(outs):
        for j in range(o.numel()):
            seed = _C.zeros_like(o).reshape(-1)
            seed[j] = 1.0
            seeds = [seed.reshape(o.shape) if i == k else _C.zeros_like(p) for i, p in enumerate(outs)]
            differentiable = [(p, s) for p, s in zip(outs, seeds) if p.requires_grad]
            if not differentiable:
                rows.append([_C.zeros_like(t).reshape(-1).to(_C.float64) for t in targets])
                continue
            gs = _grad(
                [p for p, _ in differentiable],
                targets,
                grad_outputs=[s for _, s in differentiable],
                retain_graph=True,
                allow_unused=True,
            )
            rows.append(
                [
                    (_C.zeros_like(t) if g is None else g).reshape(-1).to(_C.float64)
                    for g, t in zip(gs, targets)
                ]
            )
    return rows


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    fast_mode=False,
    masked=None,
):
    """True when autograd's gradients of `func` at `inputs` match central differences
    (inputs that require grad should be float64)."""
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, _C.Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in wrt:
        if inputs[i].dtype != _C.float64:
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision floating point.",
                stacklevel=2,
            )
    rows = _analytical_jacobian(func, inputs, wrt)
    for pos, i in enumerate(wrt):
        numeric = _numerical_jacobian(func, inputs, i, eps)
        for col, num in enumerate(numeric):
            if num is None:
                continue
            ana = _C.stack([r[pos][col] for r in rows]) if rows else num
            if not ana.allclose(num, rtol=rtol, atol=atol):
                msg = (
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{num}\nanalytical:{ana}\n"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    **kwargs,
):
    """gradcheck of the gradients themselves (second derivatives through create_graph)."""
    inputs = _as_tuple(inputs)
    # Only differentiable outputs (not the indices of max/sort) take a gradient.
    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(_C.randn(o.shape, dtype=o.dtype).requires_grad_(True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivatives(*args):
        xs, gos = args[:n_in], args[n_in:]
        os_ = [o for o in _outputs(func, xs) if o.requires_grad]
        targets = [x for x in xs if isinstance(x, _C.Tensor) and x.requires_grad]
        gs = _grad(os_, targets, grad_outputs=gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
