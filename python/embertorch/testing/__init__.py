"""Testing helpers: `assert_close` with PyTorch's default tolerances and report."""

from .. import _C
from .._C import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype name, as PyTorch's assert_close chooses them.
_DEFAULT_TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    return _C.as_tensor(x)


def _tolerances(a, b, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {'rtol' if rtol is None else 'atol'}."
        )
    if rtol is not None:
        return rtol, atol
    ra, aa = _DEFAULT_TOLERANCES.get(a.dtype._name, (0.0, 0.0))
    rb, ab = _DEFAULT_TOLERANCES.get(b.dtype._name, (0.0, 0.0))
    return max(ra, rb), max(aa, ab)


def _index_of(flat, shape):
    idx = []
    for s in reversed(shape):
        idx.append(flat % s)
        flat //= s
    return tuple(reversed(idx))


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
):
    """Raise AssertionError unless `actual` and `expected` are close:
    |actual - expected| <= atol + rtol * |expected|, elementwise."""
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)) and not (
        actual and isinstance(actual[0], (int, float, bool))
    ):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return
    a, b = _as_tensor(actual), _as_tensor(expected)
    if a.shape != b.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {b.shape}.")
    if check_dtype and a.dtype != b.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {b.dtype}.")
    if check_device and a.device != b.device:
        raise AssertionError(msg or f"The values for attribute 'device' do not match: {a.device} != {b.device}.")
    rtol, atol = _tolerances(a, b, rtol, atol)
    x = a.detach().to(_C.float64)
    y = b.detach().to(_C.float64)
    diff = (x - y).abs()
    ok = diff <= atol + rtol * y.abs()
    # Equal infinities are close; NaNs only with equal_nan.
    ok = ok | (x == y)
    if equal_nan:
        ok = ok | (x.isnan() & y.isnan())
    bad = ok.logical_not()
    n_bad = int(bad.sum().item())
    if n_bad == 0:
        return
    if msg is not None:
        raise AssertionError(msg)
    total = x.numel()
    kind = "Scalars" if total == 1 and a.dim() == 0 else "Tensor-likes"
    masked = diff.masked_fill(ok, 0.0).reshape(-1)
    rel = (diff / y.abs()).masked_fill(ok, 0.0).reshape(-1)
    i_abs = int(masked.argmax().item())
    i_rel = int(rel.argmax().item())
    exact = rtol == 0 and atol == 0
    lines = [f"{kind} are not {'equal' if exact else 'close'}!", ""]
    if total > 1 or a.dim() > 0:
        lines.append(f"Mismatched elements: {n_bad} / {total} ({100.0 * n_bad / total:.1f}%)")
        at_abs = f" at index {_index_of(i_abs, tuple(a.shape))}"
        at_rel = f" at index {_index_of(i_rel, tuple(a.shape))}"
    else:
        at_abs = at_rel = ""
    worst = masked[i_abs].item()
    if not a.is_floating_point() and not b.is_floating_point():
        worst = int(worst)
    # Exact comparisons (integers, or zero tolerances) state no allowance, as in PyTorch.
    allow_abs = "" if exact else f" (up to {atol} allowed)"
    allow_rel = "" if exact else f" (up to {rtol} allowed)"
    lines.append(f"Greatest absolute difference: {worst}{at_abs}{allow_abs}")
    lines.append(f"Greatest relative difference: {rel[i_rel].item()}{at_rel}{allow_rel}")
    raise AssertionError("\n".join(lines))


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False):
    """A random tensor with values in [low, high) (defaults by dtype), as PyTorch's helper."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if dtype.is_floating_point:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        t = _C.rand(*shape, dtype=_C.float64) * (hi - lo) + lo
        t = t.to(dtype)
    elif dtype == _C.bool:
        t = _C.randint(0, 2, shape).to(_C.bool)
    else:
        lo = -9 if low is None else int(low)
        hi = 10 if high is None else int(high)
        if dtype == _C.uint8:
            lo = max(lo, 0)
        t = _C.randint(lo, hi, shape, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t
