"""Pointwise ops with arguments (clamp, lerp, addcmul, ...), cumulative extremes and erfinv,
against numpy and finite differences."""

import math

import embertorch as torch
import numpy as np
import pytest
from embertorch.autograd import gradcheck

rng = np.random.default_rng(7)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def layouts(a):
    """The same values contiguous, transposed and sliced."""
    base = torch.tensor(a)
    yield base
    yield torch.tensor(np.ascontiguousarray(a.T)).t()
    wide = np.zeros((a.shape[0], a.shape[1] * 2), dtype=a.dtype)
    wide[:, ::2] = a
    yield torch.tensor(wide)[:, ::2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_clamp_matches_numpy(dtype):
    a = (rng.standard_normal((4, 5)) * 10).astype(dtype)
    for x in layouts(a):
        np.testing.assert_array_equal(x.clamp(-3, 4).numpy(), np.clip(a, -3, 4))
        np.testing.assert_array_equal(x.clamp(min=0).numpy(), np.maximum(a, 0))
        np.testing.assert_array_equal(torch.clip(x, max=1).numpy(), np.minimum(a, 1))
    lo = torch.tensor(np.full((1, 5), -2, dtype=dtype))
    np.testing.assert_array_equal(torch.tensor(a).clamp(lo, None).numpy(), np.maximum(a, -2))


def test_clamp_promotion_nan_and_errors():
    x = torch.tensor([-2, 0, 5])
    assert x.clamp(0, 3).dtype == torch.int64
    assert x.clamp(0.5).dtype == torch.float32
    f = torch.tensor([float("nan"), 1.0])
    assert math.isnan(f.clamp(0, 0.5)[0].item())
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        x.clamp()
    y = torch.tensor([1.0, 5.0])
    y.clamp_(max=2)
    assert y.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2]).clamp_(0.5)


def test_clamp_gradient():
    x = t64(rng.standard_normal(6) * 2, grad=True)
    assert gradcheck(lambda v: v.clamp(-1.0, 1.0), (x,))
    lo = t64(np.full(6, -0.5), grad=True)
    assert gradcheck(lambda v, m: v.clamp(min=m), (x, lo))
    assert x.clamp(-1, 1).grad_fn.name() == "ClampBackward1"


def test_lerp_addcmul_addcdiv():
    a, b, w = (rng.standard_normal(5) for _ in range(3))
    np.testing.assert_allclose(t64(a).lerp(t64(b), 0.3).numpy(), a + 0.3 * (b - a))
    np.testing.assert_allclose(torch.lerp(t64(a), t64(b), t64(w)).numpy(), a + w * (b - a), rtol=1e-12)
    np.testing.assert_allclose(t64(a).addcmul(t64(b), t64(w), value=2).numpy(), a + 2 * b * w)
    np.testing.assert_allclose(torch.addcdiv(t64(a), t64(b), t64(w), value=-1).numpy(), a - b / w)
    ta = t64(a, True)
    tb = t64(b, True)
    tw = t64(w, True)
    assert gradcheck(lambda x, y, z: x.lerp(y, z), (ta, tb, tw))
    assert gradcheck(lambda x, y, z: x.addcmul(y, z, value=0.5), (ta, tb, tw))
    with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
        torch.tensor([1]).addcdiv(torch.tensor([1]), torch.tensor([2]))


def test_nan_to_num_round_logit_xlogy():
    a = np.array([np.nan, np.inf, -np.inf, 1.5, -2.25], dtype=np.float32)
    np.testing.assert_array_equal(torch.tensor(a).nan_to_num().numpy(), np.nan_to_num(a))
    np.testing.assert_array_equal(
        torch.tensor(a).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0).numpy(),
        np.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-3.0),
    )
    b = np.array([1.2345, -2.5, 125.0, 0.125, 2.675])
    np.testing.assert_array_equal(t64(b).round(decimals=2).numpy(), np.round(b, 2))
    np.testing.assert_array_equal(t64(b).round(decimals=-1).numpy(), np.round(b, -1))
    p = rng.uniform(0.05, 0.95, 6)
    np.testing.assert_allclose(t64(p).logit().numpy(), np.log(p / (1 - p)), rtol=1e-12)
    np.testing.assert_allclose(t64([0.0, 1.0]).logit(eps=0.1).numpy(), np.log([0.1 / 0.9, 0.9 / 0.1]), rtol=1e-12)
    x = np.array([0.0, 1.0, 2.0, 0.0])
    y = np.array([0.0, 3.0, 0.5, np.nan])
    got = t64(x).xlogy(t64(y)).numpy()
    np.testing.assert_allclose(got[:3], [0.0, math.log(3.0), 2 * math.log(0.5)])
    assert math.isnan(got[3])
    assert gradcheck(lambda v: v.logit(), (t64(p, True),))


def test_isclose_allclose_equal():
    a = np.array([1.0, np.inf, np.nan, 1.0, -np.inf])
    b = np.array([1.0 + 1e-9, np.inf, np.nan, 1.1, np.inf])
    np.testing.assert_array_equal(t64(a).isclose(t64(b)).numpy(), np.isclose(a, b))
    np.testing.assert_array_equal(
        torch.isclose(t64(a), t64(b), equal_nan=True).numpy(), np.isclose(a, b, equal_nan=True)
    )
    assert torch.allclose(t64([1.0, 2.0]), t64([1.0, 2.0 + 1e-10]))
    assert not torch.allclose(t64([1.0, 2.0]), t64([1.0, 2.1]))
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert not torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2, 3]))
    with pytest.raises(RuntimeError):
        torch.isclose(torch.tensor([1.0]), torch.tensor([1.0]), rtol=-1)


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cumulative_extremes(fn):
    a = rng.integers(-5, 5, (3, 7)).astype(np.float64)
    vals, idx = getattr(t64(a), fn)(1)
    ref = (np.maximum if fn == "cummax" else np.minimum).accumulate(a, axis=1)
    np.testing.assert_array_equal(vals.numpy(), ref)
    # indices point at the values (the latest among ties)
    np.testing.assert_array_equal(np.take_along_axis(a, idx.numpy(), 1), ref)
    for r in range(3):
        for c in range(7):
            later = [k for k in range(c + 1) if a[r, k] == ref[r, c]]
            assert idx[r, c].item() == later[-1]
    x = t64(rng.standard_normal((3, 5)), True)
    assert gradcheck(lambda v: getattr(v, fn)(0).values, (x,))


def test_aminmax_and_erfinv():
    a = rng.standard_normal((4, 3))
    mn, mx = torch.aminmax(t64(a), dim=0)
    np.testing.assert_array_equal(mn.numpy(), a.min(0))
    np.testing.assert_array_equal(mx.numpy(), a.max(0))
    y = np.linspace(-0.999, 0.999, 41)
    x = torch.erfinv(t64(y)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in x], y, rtol=0, atol=1e-14)
    assert torch.erfinv(t64([1.0, -1.0])).tolist() == [math.inf, -math.inf]
    assert gradcheck(torch.erfinv, (t64(rng.uniform(-0.9, 0.9, 5), True),))
