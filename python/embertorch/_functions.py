"""Module-level functions (`embertorch.exp(x)`, `embertorch.sum(x, 1)`, ...).

Most are the Tensor methods themselves (no extra Python call on the hot path); the rest
handle arguments that need not be tensors (`pow(2, x)`, `clamp(x, min=...)`).
"""

from . import _C
from ._C import Tensor

# Functions that are exactly `Tensor.<name>(input, ...)`.
_METHODS = ["abs", "absolute", "neg", "negative", "positive", "sign", "sgn", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu", "erf", "erfc", "floor", "ceil", "trunc", "fix", "frac", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not", "bitwise_not", "erfinv", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "remainder", "fmod", "atan2", "arctan2", "maximum", "minimum", "fmax", "fmin", "hypot", "copysign", "eq", "ne", "not_equal", "lt", "less", "le", "less_equal", "gt", "greater", "ge", "greater_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "argmax", "argmin", "all", "any", "count_nonzero", "logsumexp", "cumsum", "cumprod", "softmax", "log_softmax", "clamp", "clip", "clamp_min", "clamp_max", "lerp", "addcmul", "addcdiv", "nan_to_num", "round", "logit", "xlogy", "isclose", "allclose", "equal", "matmul", "mm", "bmm", "mv", "dot", "reshape", "flatten", "unflatten", "t", "transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "narrow", "select", "unsqueeze", "squeeze", "unbind", "chunk", "split", "as_strided", "diagonal", "flip", "gather", "scatter", "scatter_add", "index_select", "masked_fill", "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile", "nanquantile", "unique", "unique_consecutive", "bincount", "histc", "argwhere", "index_add", "index_copy", "index_fill", "index_put", "masked_select", "masked_scatter", "take", "take_along_dim", "put", "scatter_reduce", "clone", "detach", "numel", "roll", "rot90", "tile", "repeat_interleave", "broadcast_to", "tril", "triu", "diag", "diag_embed", "diagflat", "trace", "outer", "ger", "kron", "narrow_copy", "fliplr", "flipud", "tensor_split", "hsplit", "vsplit", "dsplit", "vdot", "addmm", "addmv", "addr", "baddbmm", "addbmm"]

# In-place function forms (`torch.sin_(x)`).
_INPLACE = ["abs_", "neg_", "sign_", "exp_", "exp2_", "expm1_", "log_", "log2_", "log10_", "log1p_", "sqrt_", "rsqrt_", "square_", "reciprocal_", "sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "tanh_", "asinh_", "acosh_", "atanh_", "sigmoid_", "relu_", "erf_", "erfc_", "erfinv_", "floor_", "ceil_", "trunc_", "fix_", "frac_", "logical_not_", "clamp_", "clip_", "nan_to_num_", "round_", "index_put_"]

# Joining, broadcasting and contraction functions that are not Tensor methods.
_JOINS = [
    "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d", "atleast_2d",
    "atleast_3d", "broadcast_tensors", "broadcast_shapes", "meshgrid", "cartesian_prod",
    "combinations", "tensordot", "einsum", "addmv_",
]

__all__ = list(_METHODS) + list(_INPLACE) + list(_JOINS) + [
    "max",
    "min",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "norm",
    "nonzero",
    "pow",
    "concat",
    "concatenate",
    "is_floating_point",
    "is_nonzero",
    "permute",
    "float_power",
    "cummax",
    "cummin",
    "aminmax",
    "randint_like",
    "searchsorted",
    "bucketize",
]

_g = globals()
for _name in _METHODS + _INPLACE:
    _g[_name] = getattr(Tensor, _name)
for _name in _JOINS:
    _g[_name] = getattr(_C, _name)

max = Tensor.max
cummax = Tensor.cummax
cummin = Tensor.cummin
aminmax = Tensor.aminmax
min = Tensor.min
var = Tensor.var
std = Tensor.std
norm = Tensor.norm
nonzero = Tensor.nonzero
cat = _C.cat
concat = _C.cat
concatenate = _C.cat
searchsorted = _C.searchsorted
bucketize = _C.bucketize


def permute(input, dims):
    return input.permute(*dims)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (
        input.var(dim, unbiased, keepdim, correction=correction),
        input.mean(dim, keepdim),
    )


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (
        input.std(dim, unbiased, keepdim, correction=correction),
        input.mean(dim, keepdim),
    )


def pow(input, exponent, *, out=None):
    """`pow(tensor, exponent)` or `pow(number, tensor)`."""
    if isinstance(input, Tensor):
        return input.pow(exponent, out=out)
    if not isinstance(exponent, Tensor):
        raise TypeError("pow() expects at least one Tensor argument")
    r = exponent.__rpow__(input)
    if out is not None:
        out.copy_(r)
        return out
    return r


def float_power(input, exponent):
    """Power computed in float64, as PyTorch's float_power."""
    base = input.double() if isinstance(input, Tensor) else input
    exp = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(base, exp)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high) with `input`'s shape (and dtype unless given)."""
    if high is None:
        low, high = 0, low
    return _C.randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                      device=device, requires_grad=requires_grad)


def is_floating_point(input):
    return input.is_floating_point()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError(
            "Boolean value of Tensor with "
            + ("no values" if input.numel() == 0 else "more than one value")
            + " is ambiguous"
        )
    return bool(input.item())
