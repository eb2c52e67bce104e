"""Automatic differentiation: `backward`, `grad`, grad modes and custom Functions."""

from .. import _C
from ..autograd.grad_mode import (
    enable_grad,
    inference_mode,
    no_grad,
    set_grad_enabled,
)
from . import graph
from .function import Function

__all__ = [
    "Function",
    "GradcheckError",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "graph",
    "inference_mode",
    "no_grad",
    "set_grad_enabled",
]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _C.Tensor):
        return (x,)
    return tuple(x)


def _grads_for(outputs, grad_outputs):
    if grad_outputs is None:
        return (None,) * len(outputs)
    g = _as_tuple(grad_outputs)
    if len(g) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(g)} gradients and {len(outputs)} outputs"
        )
    return g


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of `tensors` into the `.grad` of the leaves of their graph."""
    tensors = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _C._run_backward(
        tensors,
        _grads_for(tensors, grad_tensors),
        retain_graph,
        create_graph,
        _as_tuple(inputs),
        False,
        True,
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """Gradients of `outputs` with respect to `inputs`, returned (not accumulated)."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    result = _C._run_backward(
        outputs,
        _grads_for(outputs, grad_outputs),
        retain_graph,
        create_graph,
        inputs,
        allow_unused,
        False,
    )
    if materialize_grads:
        result = tuple(_C.zeros_like(i) if g is None else g for g, i in zip(result, inputs))
    return result


from ._gradcheck import GradcheckError, gradcheck, gradgradcheck


def __getattr__(name):
    if name == "functional":
        import importlib

        return importlib.import_module(".functional", __name__)
    raise AttributeError(f"module 'embertorch.autograd' has no attribute '{name}'")
