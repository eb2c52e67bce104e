"""`nn.Parameter`: a tensor that a Module registers as one of its parameters."""

from .. import _C
from .._C import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and prints as `Parameter containing:`."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, not {type(data).__name__}")
        t = Tensor.__new__(cls, _wrap=data)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor assigned to a Module attribute as a buffer (`nn.Buffer`)."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _C.empty(0)
        t = Tensor.__new__(cls, _wrap=data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass
