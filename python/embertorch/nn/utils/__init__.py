"""Helpers for training loops: gradient clipping and parameter/vector conversion."""

import math

from ... import _C


def _grads(parameters):
    if isinstance(parameters, _C.Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale gradients in place so their joint norm is at most `max_norm`; returns the norm."""
    params = _grads(parameters)
    if not params:
        return _C.tensor(0.0)
    norm_type = float(norm_type)
    with_no_grad = _C.is_grad_enabled()
    _C._set_grad_enabled(False)
    try:
        if norm_type == math.inf:
            norms = [p.grad.detach().abs().max() for p in params]
            total = norms[0] if len(norms) == 1 else _C.stack(norms).max()
        else:
            norms = [p.grad.detach().norm(norm_type) for p in params]
            total = _C.stack(norms).norm(norm_type)
        if error_if_nonfinite and (total.isnan() | total.isinf()).item():
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                "so it cannot be clipped. To disable this error and scale the gradients by the "
                "non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        coef = max_norm / (total.item() + 1e-6)
        if coef < 1:
            for p in params:
                p.grad.mul_(coef)
    finally:
        _C._set_grad_enabled(with_no_grad)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    for p in _grads(parameters):
        p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    return _C.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    offset = 0
    _C_prev = _C.is_grad_enabled()
    _C._set_grad_enabled(False)
    try:
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].view_as(p))
            offset += n
    finally:
        _C._set_grad_enabled(_C_prev)
