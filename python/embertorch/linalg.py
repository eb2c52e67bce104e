"""``embertorch.linalg``: PyTorch's ``torch.linalg`` for float32/float64 tensors.

The decompositions (inv, det, slogdet, solve, cholesky, qr, eigh, svd) run in the Rust
core and record their own backward; the rest (pinv, lstsq, matrix_rank, matrix_power,
norms, cross, ...) are compositions of differentiable ops, so autograd goes through them.
"""

import builtins
import functools
import warnings

from . import _C
from ._C import LinAlgError, Tensor
from ._tensor import _result_type, return_types

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]

for _name, _fields in (
    ("linalg_svd", ("U", "S", "Vh")),
    ("svd", ("U", "S", "V")),
    ("linalg_slogdet", ("sign", "logabsdet")),
    ("slogdet", ("sign", "logabsdet")),
    ("linalg_qr", ("Q", "R")),
    ("qr", ("Q", "R")),
    ("linalg_eigh", ("eigenvalues", "eigenvectors")),
    ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values")),
    ("linalg_inv_ex", ("inverse", "info")),
    ("linalg_cholesky_ex", ("L", "info")),
):
    setattr(return_types, _name, _result_type(_name, _fields))

_matmul = Tensor.matmul
_maximum = Tensor.maximum
_EPS = {_C.float32: 1.1920928955078125e-07, _C.float64: 2.220446049250313e-16}


def _tensor_arg(x, func, name="A", pos=1):
    """PyTorch's TypeError for a non-tensor argument."""
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{func}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )


def _mT(x):
    return x.transpose(-2, -1)


def _require_matrix(A, func):
    if A.dim() < 2:
        raise RuntimeError(f"{func}: The input tensor A must have at least 2 dimensions.")


def _require_square(A, func):
    _require_matrix(A, func)
    m, n = A.shape[-2], A.shape[-1]
    if m != n:
        raise RuntimeError(
            f"{func}: A must be batches of square matrices, but they are {m} by {n} matrices"
        )


def _require_float(A, func):
    if not A.is_floating_point():
        raise RuntimeError(
            f"{func}: Expected a floating point or complex tensor as input. Got {_type_name(A)}"
        )


def _type_name(A):
    names = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
             "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "float32": "Float",
             "float64": "Double"}
    return names[str(A.dtype).replace("torch.", "")]


# --- decompositions (Rust kernels) ---------------------------------------------------------


def inv(A, *, out=None):
    """Inverse of square matrices; raises LinAlgError when one is singular."""
    _tensor_arg(A, "linalg_inv")
    return _out(_C._linalg_inv(A), out)


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info): info is 0, or the 1-based index of the zero pivot of U."""
    _tensor_arg(A, "linalg_inv_ex")
    if check_errors:
        inverse = _C._linalg_inv(A)
        info = _C.zeros(tuple(A.shape[:-2]), dtype=_C.int32)
        return return_types.linalg_inv_ex(inverse, info)
    return return_types.linalg_inv_ex(*_C._linalg_inv_ex(A))


def det(A, *, out=None):
    _tensor_arg(A, "linalg_det")
    return _out(_C._linalg_det(A), out)


def slogdet(A, *, out=None):
    """(sign, log|det|) of square matrices."""
    _tensor_arg(A, "linalg_slogdet")
    return return_types.linalg_slogdet(*_C._linalg_slogdet(A))


def solve(A, B, *, left=True, out=None):
    """X with A X = B (or X A = B when left=False); batch dims broadcast."""
    _tensor_arg(A, "linalg_solve")
    _tensor_arg(B, "linalg_solve", "B", 2)
    return _out(_C._linalg_solve(A, B, left), out)


def cholesky(A, *, upper=False, out=None):
    """Lower (or upper) Cholesky factor; raises LinAlgError for non positive-definite A."""
    _tensor_arg(A, "linalg_cholesky")
    return _out(_C._linalg_cholesky(A, upper, "linalg.cholesky"), out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _tensor_arg(A, "linalg_cholesky_ex")
    if check_errors:
        L = _C._linalg_cholesky(A, upper, "linalg.cholesky")
        return return_types.linalg_cholesky_ex(L, _C.zeros(tuple(A.shape[:-2]), dtype=_C.int32))
    return return_types.linalg_cholesky_ex(*_C._linalg_cholesky_ex(A, upper))


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with mode 'reduced', 'complete' or 'r' (Q empty)."""
    _tensor_arg(A, "linalg_qr")
    return return_types.linalg_qr(*_C._linalg_qr(A, mode))


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (one triangle read)."""
    _tensor_arg(A, "linalg_eigh")
    return return_types.linalg_eigh(*_C._linalg_eigh(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    _tensor_arg(A, "linalg_eigvalsh")
    return _out(_C._linalg_eigh(A, UPLO)[0], out)


def _eig_unsupported(A, func):
    _tensor_arg(A, func.replace(".", "_"))
    _require_square(A, func)
    _C._linalg_eig_unsupported(func)


def eig(A, *, out=None):
    """Not available: the results are complex and embertorch has no complex dtypes."""
    _eig_unsupported(A, "linalg.eig")


def eigvals(A, *, out=None):
    """Not available: the results are complex and embertorch has no complex dtypes."""
    _eig_unsupported(A, "linalg.eigvals")


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh and S descending.

    Singular vectors are unique only up to sign (and rotations inside repeated singular
    values): differentiate only functions that do not depend on that choice.
    """
    _tensor_arg(A, "linalg_svd")
    _no_driver(driver)
    return return_types.linalg_svd(*_C._linalg_svd(A, full_matrices))


def _no_driver(driver):
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
            "cuSOLVER backend."
        )


def svdvals(A, *, driver=None, out=None):
    _tensor_arg(A, "linalg_svdvals")
    _no_driver(driver)
    return _out(_C._linalg_svdvals(A), out)


def _out(result, out):
    if out is None:
        return result
    out.copy_(result)
    return out


# --- compositions --------------------------------------------------------------------------


def _tolerance(S, atol, rtol, m, n, dtype):
    """max(atol, rtol * largest singular value), per matrix (PyTorch's pinv/rank rule)."""
    if rtol is None:
        rtol = _EPS[dtype] * builtins.max(m, n) if atol is None or _is_zero(atol) else 0.0
    if atol is None:
        atol = 0.0
    smax = S.amax(-1) if S.shape[-1] > 0 else _C.zeros(tuple(S.shape[:-1]), dtype=S.dtype)
    return _maximum(_as_tensor(atol, S), _as_tensor(rtol, S) * smax)


def _is_zero(x):
    return not isinstance(x, Tensor) and x == 0


def _as_tensor(x, like):
    if isinstance(x, Tensor):
        return x.to(like.dtype)
    return _C.full((), builtins.float(x), dtype=like.dtype)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Moore-Penrose pseudo-inverse through the SVD (or eigh when hermitian)."""
    _tensor_arg(A, "linalg_pinv")
    _require_matrix(A, "linalg.pinv")
    _require_float(A, "linalg.pinv")
    if rcond is not None:
        rtol = rcond
    m, n = A.shape[-2], A.shape[-1]
    if hermitian:
        w, V = eigh(A)
        tol = _tolerance(w.abs(), atol, rtol, m, n, A.dtype).unsqueeze(-1)
        keep = w.abs() > tol
        w_inv = _C.where(keep, 1.0 / _C.where(keep, w, _C.ones_like(w)), _C.zeros_like(w))
        return _out(_matmul(V * w_inv.unsqueeze(-2), _mT(V)), out)
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(S, atol, rtol, m, n, A.dtype).unsqueeze(-1)
    keep = S > tol
    s_inv = _C.where(keep, 1.0 / _C.where(keep, S, _C.ones_like(S)), _C.zeros_like(S))
    return _out(_matmul(_mT(Vh) * s_inv.unsqueeze(-2), _mT(U)), out)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Number of singular values above max(atol, rtol * largest), as int64."""
    _tensor_arg(A, "linalg_matrix_rank")
    _require_matrix(A, "linalg.matrix_rank")
    _require_float(A, "linalg.matrix_rank")
    if tol is not None:
        atol, rtol = tol, 0.0
    m, n = A.shape[-2], A.shape[-1]
    S = eigvalsh(A).abs() if hermitian else svdvals(A)
    tol_t = _tolerance(S, atol, rtol, m, n, A.dtype).unsqueeze(-1)
    return _out((S > tol_t).sum(-1), out)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B (the minimum-norm one for rank-deficient A)."""
    _tensor_arg(A, "linalg_lstsq")
    _tensor_arg(B, "linalg_lstsq", "b", 2)
    if driver is None:
        driver = "gelsy"
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError(
            "torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)"
        )
    _require_float(A, "torch.linalg.lstsq")
    if A.dtype != B.dtype:
        raise RuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {_type_name(A)} and other's dtype {_type_name(B)}"
        )
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    dim_diff = A.dim() - B.dim()
    if not 0 <= dim_diff <= 1:
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() "
            "and (input.dim() - other.dim()) <= 1"
        )
    vector = dim_diff == 1
    B2 = B.unsqueeze(-1) if vector else B
    if A.shape[-2] != B2.shape[-2]:
        raise RuntimeError(
            "torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
            if not vector
            else "torch.linalg.lstsq: input.size(-2) should match other.size(-1)"
        )
    m, n = A.shape[-2], A.shape[-1]
    if rcond is None:
        rcond = _EPS[A.dtype] * builtins.max(m, n)
    X = _matmul(pinv(A, rtol=rcond), B2)
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else _C.empty((0,), dtype=_C.int64)
    residuals = _C.empty((0,), dtype=A.dtype)
    if m > n and driver != "gels" and builtins.bool((rank == n).all()) or m > n and driver == "gels":
        residuals = ((_matmul(A, X) - B2) ** 2).sum(-2)
    sv = svdvals(A) if driver in ("gelsd", "gelss") else _C.empty((0,), dtype=A.dtype)
    if vector:
        X = X.squeeze(-1)
        if residuals.numel() > 0:
            residuals = residuals.squeeze(-1)
    return return_types.linalg_lstsq(X, residuals, rank, sv)


def matrix_power(A, n, *, out=None):
    """A^n by repeated squaring (n < 0: powers of the inverse)."""
    _tensor_arg(A, "linalg_matrix_power")
    if isinstance(n, builtins.bool) or not isinstance(n, builtins.int):
        raise TypeError(
            f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}"
        )
    _require_square(A, "linalg.matrix_power")
    if n == 0:
        eye = _C.eye(A.shape[-1], dtype=A.dtype)
        return _out(eye.expand(tuple(A.shape)).clone(), out)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else _matmul(result, base)
        n >>= 1
        if n:
            base = _matmul(base, base)
    return _out(result, out)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    _tensor_arg(x, "linalg_vector_norm", "x")
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(dim, list):
        dim = tuple(dim)
    return _out(x._vector_norm(builtins.float(ord), dim, keepdim), out)


def _wrap(d, ndim):
    return d + ndim if d < 0 else d


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Frobenius, nuclear, induced 1/inf and spectral (+-2) norms over two dims."""
    _tensor_arg(A, "linalg_matrix_norm")
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _require_float(A, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (_wrap(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _out(A._vector_norm(2.0, (d0, d1), keepdim), out)
    M = A.movedim((d0, d1), (-2, -1))
    if ord == "nuc":
        r = svdvals(M).sum(-1)
    elif ord in (2, -2):
        s = svdvals(M)
        r = s.amax(-1) if ord == 2 else s.amin(-1)
    elif ord in (1, -1):
        sums = M.abs().sum(-2)
        r = sums.amax(-1) if ord == 1 else sums.amin(-1)
    elif ord in (float("inf"), float("-inf")):
        sums = M.abs().sum(-1)
        r = sums.amax(-1) if ord > 0 else sums.amin(-1)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return _out(r, out)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector or matrix norm, chosen from `ord` and `dim` as PyTorch chooses."""
    _tensor_arg(A, "linalg_norm")
    if isinstance(dim, builtins.int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype, out=out)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype, out=out)
    if dim is None:
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
        if A.dim() == 1 and not isinstance(ord, str):
            return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D."
        )
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord}")  # noqa: TRY004 (as PyTorch)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype, out=out)


def cond(A, p=None, *, out=None):
    """Condition number: ratio of extreme singular values, or norm(A) * norm(inv(A))."""
    _tensor_arg(A, "linalg_cond")
    _require_matrix(A, "linalg.cond")
    if p is None or p == 2 or p == -2:
        s = svdvals(A)
        r = s[..., 0] / s[..., -1]
        return _out(r if p != -2 else 1.0 / r, out)
    _require_square(A, "linalg.cond")
    return _out(matrix_norm(A, p) * matrix_norm(inv(A), p), out)


def cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along `dim` (inputs broadcast)."""
    _tensor_arg(input, "linalg_cross", "input")
    _tensor_arg(other, "linalg_cross", "other", 2)
    if input.dim() != other.dim():
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions. Got {input.dim()} and {other.dim()}"
        )
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and {other.shape[dim]}"
        )
    a, b = _C.broadcast_tensors(input, other)
    a0, a1, a2 = (a.narrow(dim, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(dim, i, 1) for i in range(3))
    r = _C.cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)
    return _out(r, out)


def multi_dot(tensors, *, out=None):
    """Chain of matrix products (first/last may be vectors)."""
    if len(tensors) < 2:
        raise RuntimeError(
            f"multi_dot(): expected at least 2 tensors but got {len(tensors)}"
        )
    return _out(functools.reduce(_matmul, tensors), out)


def vecdot(x, y, *, dim=-1, out=None):
    return _out((x * y).sum(dim), out)


def matmul(input, other, *, out=None):
    return _out(_matmul(input, other), out)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


# --- top-level (torch.*) names and Tensor methods ------------------------------------------


def inverse(input, *, out=None):
    return inv(input, out=out)


def logdet(input):
    _tensor_arg(input, "logdet", "input")
    return _C._linalg_logdet(input)


def _slogdet_top(input):
    return return_types.slogdet(*_C._linalg_slogdet(input))


def _svd_top(input, some=True, compute_uv=True, *, out=None):
    """`torch.svd`: (U, S, V) with V (not Vh); zero-filled U, V without compute_uv."""
    _tensor_arg(input, "svd", "input")
    if not compute_uv:
        S = svdvals(input)
        batch = tuple(input.shape[:-2])
        m, n = input.shape[-2], input.shape[-1]
        U = _C.zeros(batch + (m, m), dtype=input.dtype)
        V = _C.zeros(batch + (n, n), dtype=input.dtype)
        return return_types.svd(U, S, V)
    U, S, Vh = _C._linalg_svd(input, not some)
    return return_types.svd(U, S, _mT(Vh))


def _qr_top(input, some=True, *, out=None):
    _tensor_arg(input, "qr", "input")
    return return_types.qr(*_C._linalg_qr(input, "reduced" if some else "complete"))


def _cholesky_top(input, upper=False, *, out=None):
    _tensor_arg(input, "cholesky", "input")
    return _C._linalg_cholesky(input, upper, "cholesky")


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def _cross_top(input, other, dim=None, *, out=None):
    """`torch.cross`: without `dim`, the first dimension of size 3."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        a, _ = _C.broadcast_tensors(input, other)
        sizes = list(a.shape)
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = sizes.index(3)
    return cross(input, other, dim=dim, out=out)


TOP_LEVEL = {
    "inverse": inverse,
    "det": det,
    "logdet": logdet,
    "slogdet": _slogdet_top,
    "svd": _svd_top,
    "qr": _qr_top,
    "cholesky": _cholesky_top,
    "pinverse": pinverse,
    "matrix_power": matrix_power,
    "cross": _cross_top,
}

for _name, _fn in TOP_LEVEL.items():
    setattr(Tensor, _name, _fn)
