"""Tensor methods that are naturally Python: printing, formatting, legacy type names,
numpy's array protocol, and conveniences built on the Rust methods."""

import builtins
import collections

from . import _C, _tensor_str
from ._C import Tensor

# --- printing ---------------------------------------------------------------------------


def _repr(self):
    return _tensor_str.tensor_repr(self)


def _format(self, spec):
    # A 0-dim tensor formats as its number ("{:.3f}".format(loss) works as in PyTorch).
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


Tensor.__repr__ = _repr
Tensor.__str__ = _repr
Tensor.__format__ = _format

# --- legacy tensor types ----------------------------------------------------------------

_LEGACY = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_BY_LEGACY_NAME = {v: k for k, v in _LEGACY.items()}


class _LegacyTensorType(type):
    """`torch.FloatTensor` and friends: callables that make tensors of one dtype, and
    `isinstance` checks against that dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, **kwargs):
        if len(args) == 0:
            return _C.empty(0, dtype=cls.dtype)
        first = args[0]
        if isinstance(first, builtins.int) and not isinstance(first, builtins.bool):
            return _C.zeros(*args, dtype=cls.dtype)
        if len(args) == 1 and type(first).__name__ == "Size":
            return _C.zeros(first, dtype=cls.dtype)
        if isinstance(first, Tensor):
            return first.to(cls.dtype)
        return _C.tensor(first, dtype=cls.dtype, **kwargs)

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_class(dtype_name):
    name = _LEGACY[dtype_name]
    return _LegacyTensorType(name, (), {"dtype": getattr(_C, dtype_name), "__module__": "torch"})


FloatTensor = _legacy_class("float32")
DoubleTensor = _legacy_class("float64")
HalfTensor = _legacy_class("float16")
BFloat16Tensor = _legacy_class("bfloat16")
LongTensor = _legacy_class("int64")
IntTensor = _legacy_class("int32")
ShortTensor = _legacy_class("int16")
CharTensor = _legacy_class("int8")
ByteTensor = _legacy_class("uint8")
BoolTensor = _legacy_class("bool")


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """`t.type()` names the legacy type ('torch.FloatTensor'); `t.type(x)` converts."""
    if dtype is None:
        prefix = "torch.cuda." if self.is_cuda else "torch."
        return prefix + _LEGACY[self.dtype._name]
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if dtype.startswith("torch.cuda."):
            return self.cuda().type("torch." + name)
        if not dtype.startswith("torch.") or name not in _BY_LEGACY_NAME:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = getattr(_C, _BY_LEGACY_NAME[name])
    elif isinstance(dtype, _LegacyTensorType):
        dtype = dtype.dtype
    return self.to(dtype)


Tensor.type = _type

# --- numpy protocol ---------------------------------------------------------------------


def _array(self, dtype=None, copy=None):
    a = self.numpy()
    if dtype is not None and a.dtype != dtype:
        return a.astype(dtype)
    if copy:
        return a.copy()
    return a


def _array_wrap(self, array, context=None, return_scalar=False):
    # numpy ufuncs applied to tensors (np.exp(t)) give tensors back.
    if return_scalar and array.ndim == 0:
        return array[()]
    return _C.from_numpy(array)


Tensor.__array__ = _array
Tensor.__array_wrap__ = _array_wrap
Tensor.__array_priority__ = 1000

# --- reductions with Python-level signatures -------------------------------------------

def _result_type(name, fields=("values", "indices")):
    """A named tuple printed as PyTorch prints its return types."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": "torch.return_types"})


class return_types:
    """Named tuples returned by reductions (`torch.return_types.max`, ...)."""


for _name in ("max", "min", "cummax", "cummin", "sort", "topk", "kthvalue", "median", "nanmedian", "mode"):
    setattr(return_types, _name, _result_type(_name))
return_types.aminmax = _result_type("aminmax", ("min", "max"))
_max_result = return_types.max
_min_result = return_types.min
_cummax_result = return_types.cummax
_cummin_result = return_types.cummin
_aminmax_result = return_types.aminmax


def _max(self, dim=None, keepdim=False):
    r = self._max(dim, keepdim)
    return _max_result(*r) if isinstance(r, tuple) else r


def _min(self, dim=None, keepdim=False):
    r = self._min(dim, keepdim)
    return _min_result(*r) if isinstance(r, tuple) else r


def _correction(unbiased, correction):
    if correction is not None:
        return builtins.float(correction)
    if unbiased is None or unbiased:
        return 1.0
    return 0.0


def _var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, builtins.bool):  # var(unbiased) positional form
        dim, unbiased = None, dim
    return self._var(dim, _correction(unbiased, correction), keepdim, False)


def _std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, builtins.bool):
        dim, unbiased = None, dim
    return self._var(dim, _correction(unbiased, correction), keepdim, True)


def _norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    x = self if dtype is None else self.to(dtype)
    if p == "fro" or p is None:
        p = 2.0
    if p == "nuc":
        from . import linalg

        return linalg.matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)
    return x._vector_norm(builtins.float(p), dim, keepdim)


def _nonzero(self, *, as_tuple=False):
    nz = self._nonzero()
    if as_tuple:
        if self.dim() == 0:
            return (nz.reshape(-1),)
        return tuple(nz[:, i].contiguous() for i in range(self.dim()))
    return nz


def _contains(self, element):
    if isinstance(element, (Tensor, builtins.int, builtins.float, builtins.bool)):
        return builtins.bool((self == element).any())
    raise RuntimeError(
        f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
    )


def _cummax(self, dim):
    return _cummax_result(*self._cummax(dim))


def _cummin(self, dim):
    return _cummin_result(*self._cummin(dim))


def _aminmax(self, *, dim=None, keepdim=False):
    return _aminmax_result(self.amin(dim, keepdim), self.amax(dim, keepdim))


Tensor.cummax = _cummax
Tensor.cummin = _cummin
Tensor.aminmax = _aminmax
Tensor.max = _max
Tensor.min = _min
Tensor.var = _var
Tensor.std = _std
Tensor.norm = _norm
Tensor.nonzero = _nonzero
Tensor.__contains__ = _contains

# --- small conveniences -----------------------------------------------------------------


def _reversed(self):
    if self.dim() == 0:
        return self
    return self.flip(0)


def _deepcopy(self, memo):
    if id(self) in memo:
        return memo[id(self)]
    new = self.detach().clone()
    if self.requires_grad:
        new.requires_grad_(True)
    if self.grad is not None:
        new.grad = self.grad.detach().clone()
    memo[id(self)] = new
    return new


def _rebuild(data, dtype_name, shape, requires_grad):
    t = _C.tensor(data, dtype=getattr(_C, dtype_name)).reshape(shape)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _reduce_ex(self, protocol):
    return (_rebuild, (self.detach().reshape(-1).tolist(), self.dtype._name, tuple(self.shape), self.requires_grad))


def _is_shared(self):
    return False


def _share_memory(self):
    return self


def _float_power(self, exponent):
    from ._functions import float_power

    return float_power(self, exponent)


Tensor.float_power = _float_power
Tensor.__reversed__ = _reversed
Tensor.__deepcopy__ = _deepcopy
Tensor.__reduce_ex__ = _reduce_ex
Tensor.is_shared = _is_shared
Tensor.share_memory_ = _share_memory
