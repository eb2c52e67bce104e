"""nn.functional against numpy re-implementations of PyTorch's documented formulas."""

import math

import embertorch as torch
import embertorch.nn.functional as F
import numpy as np
import pytest
from embertorch.autograd import gradcheck

RNG = np.random.default_rng(1234)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def close(actual, expected, tol=1e-10):
    np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=tol, atol=tol)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


ERF = np.vectorize(math.erf)
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x))),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2))),
    "selu": (F.selu, lambda x: SCALE * np.where(x > 0, x, ALPHA * np.expm1(x))),
    "gelu": (F.gelu, lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "silu": (F.silu, lambda x: x * np_sigmoid(x)),
    "mish": (F.mish, lambda x: x * np.tanh(np_softplus(x))),
    "softplus": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: np_softplus(x, 2.0, 3.0)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "softshrink": (F.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    "hardshrink": (F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_gradients(name):
    fn, ref = ACTIVATIONS[name]
    # Keep samples away from kinks so finite differences are valid.
    x = RNG.uniform(-4, 4, size=(3, 5))
    x = np.where(np.abs(x) < 0.05, 0.1, x)
    for kink in (0.3, 0.5, -0.5, -3.0, 3.0, 6.0, 2.0, 1.5):
        x = np.where(np.abs(x - kink) < 0.05, kink + 0.1, x)
    close(fn(t64(x)), ref(x))
    assert gradcheck(fn, (t64(x, grad=True),))


def test_large_inputs_are_stable():
    x = t64([-800.0, -30.0, 0.0, 30.0, 800.0])
    close(F.logsigmoid(x), -np.logaddexp(0, -x.numpy()))
    close(F.softplus(x), np.logaddexp(0, x.numpy()))
    assert np.isfinite(F.silu(x).numpy()).all()


def test_inplace_activation_writes_input():
    x = torch.tensor([-1.0, 2.0, -3.0])
    out = F.relu(x, inplace=True)
    assert out.data_ptr() == x.data_ptr()
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])
    y = torch.tensor([-1.0, 0.5])
    F.leaky_relu(y, 0.1, inplace=True)
    np.testing.assert_allclose(y.numpy(), [-0.1, 0.5])


def test_glu():
    x = RNG.normal(size=(2, 6))
    close(F.glu(t64(x), -1), x[:, :3] * np_sigmoid(x[:, 3:]))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(torch.randn(2, 5))


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family(dim):
    x = RNG.normal(size=(3, 4)) * 5
    close(F.log_softmax(t64(x), dim), np_log_softmax(x, dim))
    close(F.softmax(t64(x), dim), np.exp(np_log_softmax(x, dim)))
    close(F.softmin(t64(x), dim), np.exp(np_log_softmax(-x, dim)))


def test_softmax_implicit_dim_warns_and_picks_pytorch_dim():
    x = RNG.normal(size=(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        out = F.softmax(t64(x))
    close(out, np.exp(np_log_softmax(x, 1)))


def test_linear_and_bilinear():
    x, w, b = RNG.normal(size=(5, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    close(F.linear(t64(x), t64(w), t64(b)), x @ w.T + b)
    close(F.linear(t64(x[0]), t64(w)), x[0] @ w.T)
    x3 = RNG.normal(size=(2, 5, 3))
    close(F.linear(t64(x3), t64(w), t64(b)), x3 @ w.T + b)
    x2, wb = RNG.normal(size=(5, 2)), RNG.normal(size=(4, 3, 2))
    close(F.bilinear(t64(x), t64(x2), t64(wb), t64(b)), np.einsum("bi,oij,bj->bo", x, wb, x2) + b)
    assert gradcheck(F.linear, (t64(x, True), t64(w, True), t64(b, True)))


def test_normalize_and_cosine_similarity():
    x, y = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    close(F.normalize(t64(x), dim=1), x / np.linalg.norm(x, axis=1, keepdims=True))
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    close(F.cosine_similarity(t64(x), t64(y)), cos)


def test_one_hot():
    idx = torch.tensor([[0, 2], [3, 1]])
    np.testing.assert_array_equal(F.one_hot(idx).numpy(), np.eye(4, dtype=np.int64)[idx.numpy()])
    assert F.one_hot(idx, 6).shape == (2, 2, 6)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(idx, 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(torch.tensor([0.0, 1.0]))


# --- losses ----------------------------------------------------------------------------------


def reduce_np(loss, reduction):
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_losses(reduction):
    x, y = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3)) * 2
    d = np.abs(x - y)
    close(F.mse_loss(t64(x), t64(y), reduction=reduction), reduce_np((x - y) ** 2, reduction))
    close(F.l1_loss(t64(x), t64(y), reduction=reduction), reduce_np(d, reduction))
    sl1 = np.where(d < 0.7, 0.5 * d**2 / 0.7, d - 0.35)
    close(F.smooth_l1_loss(t64(x), t64(y), reduction=reduction, beta=0.7), reduce_np(sl1, reduction))
    hub = np.where(d < 1.3, 0.5 * d**2, 1.3 * (d - 0.65))
    close(F.huber_loss(t64(x), t64(y), reduction=reduction, delta=1.3), reduce_np(hub, reduction))


def test_loss_bad_reduction_and_broadcast_warning():
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.mse_loss(torch.zeros(2), torch.zeros(2), reduction="avg")
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(torch.zeros(2, 1), torch.zeros(2))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy(reduction):
    p = RNG.uniform(0.01, 0.99, size=(5, 2))
    y = RNG.integers(0, 2, size=(5, 2)).astype(np.float64)
    w = RNG.uniform(0.5, 2, size=(5, 2))
    ref = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    close(F.binary_cross_entropy(t64(p), t64(y), weight=t64(w), reduction=reduction), reduce_np(ref, reduction))
    assert gradcheck(lambda a: F.binary_cross_entropy(a, t64(y)), (t64(p, True),))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    out = F.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0])


def test_binary_cross_entropy_bad_inputs():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy(torch.tensor([0.5, 0.5]), torch.tensor([[1.0, 0.0]]))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_with_logits(reduction):
    x = RNG.normal(size=(4, 3)) * 10
    y = RNG.uniform(0, 1, size=(4, 3))
    pw = RNG.uniform(0.5, 3, size=3)
    logp, log1mp = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    ref = -(pw * y * logp + (1 - y) * log1mp)
    got = F.binary_cross_entropy_with_logits(t64(x), t64(y), reduction=reduction, pos_weight=t64(pw))
    close(got, reduce_np(ref, reduction))
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t64(y)), (t64(x, True),))


def np_nll(logp, target, weight, ignore_index, reduction):
    n, c = logp.shape
    weight = np.ones(c) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    w = weight[safe] * keep
    loss = -logp[np.arange(n), safe] * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return reduce_np(loss, reduction)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_and_nll(reduction, weighted):
    x = RNG.normal(size=(6, 4))
    target = np.array([0, 3, 1, -100, 2, 3])
    weight = RNG.uniform(0.5, 2, size=4) if weighted else None
    tw = t64(weight) if weighted else None
    ref = np_nll(np_log_softmax(x, 1), target, weight, -100, reduction)
    close(F.cross_entropy(t64(x), torch.tensor(target), weight=tw, reduction=reduction), ref)
    close(F.nll_loss(F.log_softmax(t64(x), 1), torch.tensor(target), weight=tw, reduction=reduction), ref)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = RNG.normal(size=(5, 3))
    target = np.array([0, 2, 1, 1, 0])
    xt = t64(x, True)
    F.cross_entropy(xt, torch.tensor(target)).backward()
    expected = (np.exp(np_log_softmax(x, 1)) - np.eye(3)[target]) / 5
    close(xt.grad, expected)


def test_cross_entropy_spatial_and_unbatched():
    x = RNG.normal(size=(2, 3, 4, 5))
    target = RNG.integers(0, 3, size=(2, 4, 5))
    logp = np_log_softmax(x, 1)
    flat = np.moveaxis(logp, 1, -1).reshape(-1, 3)
    ref = np_nll(flat, target.reshape(-1), None, -100, "none").reshape(2, 4, 5)
    close(F.cross_entropy(t64(x), torch.tensor(target), reduction="none"), ref)
    v = RNG.normal(size=4)
    close(F.cross_entropy(t64(v), torch.tensor(2)), -np_log_softmax(v, 0)[2])


def test_cross_entropy_label_smoothing_and_probabilities():
    x = RNG.normal(size=(4, 5))
    target = np.array([1, 0, 4, 2])
    logp = np_log_softmax(x, 1)
    eps = 0.2
    ref = ((1 - eps) * -logp[np.arange(4), target] + eps / 5 * -logp.sum(1)).mean()
    close(F.cross_entropy(t64(x), torch.tensor(target), label_smoothing=eps), ref)
    probs = np.exp(np_log_softmax(RNG.normal(size=(4, 5)), 1))
    close(F.cross_entropy(t64(x), t64(probs)), (-(probs * logp).sum(1)).mean())


def test_nll_bad_inputs():
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(torch.randn(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="batch_size"):
        F.nll_loss(torch.randn(2, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        F.nll_loss(torch.randn(2, 3), torch.tensor([0.0, 1.0]))


def test_kl_div():
    logq = np_log_softmax(RNG.normal(size=(3, 4)), 1)
    p = np.exp(np_log_softmax(RNG.normal(size=(3, 4)), 1))
    pointwise = p * (np.log(p) - logq)
    close(F.kl_div(t64(logq), t64(p), reduction="batchmean"), pointwise.sum() / 3)
    close(F.kl_div(t64(logq), t64(np.log(p)), reduction="sum", log_target=True), pointwise.sum())
    close(F.kl_div(t64(logq), t64(np.array([[0.0, 1, 0, 0]] * 3)), reduction="none")[:, 0], np.zeros(3))


def test_margin_losses():
    a, b = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    ref = np.where(y > 0, 1 - cos, np.maximum(cos - 0.1, 0)).mean()
    close(F.cosine_embedding_loss(t64(a), t64(b), t64(y), margin=0.1), ref)
    u, v = RNG.normal(size=5), RNG.normal(size=5)
    s = np.sign(RNG.normal(size=5))
    close(F.margin_ranking_loss(t64(u), t64(v), t64(s), 0.3), np.maximum(0, -s * (u - v) + 0.3).mean())


# --- dropout ---------------------------------------------------------------------------------


def test_dropout_statistics_and_scaling():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    out = F.dropout(x, 0.3)
    zeros = float((out == 0).float().mean())
    assert abs(zeros - 0.3) < 0.005
    kept = out[out != 0]
    np.testing.assert_allclose(kept.numpy(), 1 / 0.7, rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x


def test_dropout2d_drops_whole_channels():
    torch.manual_seed(1)
    out = F.dropout2d(torch.ones(8, 16, 3, 3), 0.5)
    per_channel = out.reshape(8, 16, 9).numpy()
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert set(np.unique(per_channel)) <= {0.0, 2.0}


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(torch.ones(3), 1.5)


def test_dropout_gradient_uses_mask():
    torch.manual_seed(2)
    x = torch.ones(1000, requires_grad=True)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


# --- normalisation and embedding -------------------------------------------------------------


def test_layer_norm():
    x = RNG.normal(size=(2, 3, 4))
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    mu = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    close(F.layer_norm(t64(x), (3, 4), t64(w), t64(b)), (x - mu) / np.sqrt(var + 1e-5) * w + b)
    assert gradcheck(lambda a, c: F.layer_norm(a, (4,), c), (t64(x, True), t64(w[0], True)))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(torch.randn(2, 3), (4,))


def test_batch_norm_training_updates_running_stats():
    x = RNG.normal(size=(6, 3, 2, 2)) * 3 + 1
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    w, b = RNG.normal(size=3), RNG.normal(size=3)
    out = F.batch_norm(t64(x), rm, rv, t64(w), t64(b), training=True, momentum=0.2)
    mu = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    ref = (x - mu[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * w[:, None, None] + b[:, None, None]
    close(out, ref)
    close(rm, 0.2 * mu)
    close(rv, 0.8 + 0.2 * x.var(axis=(0, 2, 3), ddof=1))
    evald = F.batch_norm(t64(x), rm, rv, training=False)
    close(evald, (x - rm.numpy()[:, None, None]) / np.sqrt(rv.numpy()[:, None, None] + 1e-5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(torch.randn(1, 3), None, None, training=True)


def test_group_norm():
    x = RNG.normal(size=(2, 6, 5))
    g = x.reshape(2, 3, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    close(F.group_norm(t64(x), 3), ref)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(torch.randn(2, 5, 3), 2)


def test_embedding_and_padding_idx_gets_no_gradient():
    w = RNG.normal(size=(5, 3))
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    wt = t64(w, True)
    out = F.embedding(torch.tensor(idx), wt, padding_idx=2)
    close(out, w[idx])
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=5).astype(np.float64)
    counts[2] = 0
    close(wt.grad, np.repeat(counts[:, None], 3, 1))
    with pytest.raises(RuntimeError, match="indices"):
        F.embedding(torch.tensor([0.0]), wt)


def test_embedding_max_norm_renormalises_rows_in_place():
    w = torch.tensor([[3.0, 4.0], [0.3, 0.4]])
    F.embedding(torch.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(w.numpy(), axis=1), [1.0, 0.5], rtol=1e-5)


# --- padding, convolution, pooling ------------------------------------------------------------


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes(mode, np_mode):
    x = RNG.normal(size=(2, 3, 4, 5))
    got = F.pad(t64(x), (2, 1, 3, 0), mode=mode)
    close(got, np.pad(x, ((0, 0), (0, 0), (3, 0), (2, 1)), mode=np_mode))


def test_pad_constant_and_negative():
    x = RNG.normal(size=(2, 3))
    close(F.pad(t64(x), (1, 2, 0, 1), value=7.0), np.pad(x, ((0, 1), (1, 2)), constant_values=7.0))
    close(F.pad(t64(x), (-1, 1)), np.pad(x, ((0, 0), (0, 1)))[:, 1:])
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(t64(x), (1,))
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(t64(x).unsqueeze(0), (3, 3), mode="reflect")


def np_conv2d(x, w, b, stride, padding, dilation, groups):
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        for i in range(oh):
            for j in range(ow):
                hs = i * stride[0] + dilation[0] * np.arange(kh)
                vs = j * stride[1] + dilation[1] * np.arange(kw)
                patch = xs[:, :, hs][:, :, :, vs]
                out[:, g * og:(g + 1) * og, i, j] = np.einsum("nckl,ockl->no", patch, ws)
    if b is not None:
        out += b[None, :, None, None]
    return out


@pytest.mark.parametrize(
    "stride,padding,dilation,groups",
    [((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 2), (1, 0), (2, 1), 1), ((1, 1), (1, 1), (1, 1), 2)],
)
def test_conv2d_matches_direct_loops(stride, padding, dilation, groups):
    x = RNG.normal(size=(2, 4, 7, 6))
    w = RNG.normal(size=(6, 4 // groups, 3, 2))
    b = RNG.normal(size=6)
    got = F.conv2d(t64(x), t64(w), t64(b), stride, padding, dilation, groups)
    close(got, np_conv2d(x, w, b, stride, padding, dilation, groups))


def test_conv2d_gradients_and_same_padding():
    x = t64(RNG.normal(size=(1, 2, 5, 4)), True)
    w = t64(RNG.normal(size=(3, 2, 3, 3)), True)
    b = t64(RNG.normal(size=3), True)
    assert gradcheck(lambda a, c, d: F.conv2d(a, c, d, 2, 1), (x, w, b))
    same = F.conv2d(x, w, padding="same")
    assert same.shape == (1, 3, 5, 4)
    close(same, np_conv2d(x.detach().numpy(), w.detach().numpy(), None, (1, 1), (1, 1), (1, 1), 1))


def test_conv1d_and_unbatched():
    x, w = RNG.normal(size=(2, 3, 9)), RNG.normal(size=(4, 3, 3))
    ref = np_conv2d(x[:, :, None, :], w[:, :, None, :], None, (1, 2), (0, 1), (1, 1), 1)[:, :, 0]
    close(F.conv1d(t64(x), t64(w), stride=2, padding=1), ref)
    close(F.conv1d(t64(x[0]), t64(w), stride=2, padding=1), ref[0])


def test_conv_bad_inputs():
    with pytest.raises(RuntimeError, match="channels"):
        F.conv2d(torch.randn(1, 3, 5, 5), torch.randn(2, 4, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(torch.randn(1, 1, 2, 2), torch.randn(1, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 3D"):
        F.conv2d(torch.randn(5, 5), torch.randn(1, 1, 3, 3))


def np_pool2d(x, k, s, p, ceil_mode, op, count_include_pad=True):
    n, c, h, w = x.shape
    fill = -np.inf if op == "max" else 0.0

    def out_size(size, kk, ss, pp):
        num = size + 2 * pp - kk
        o = (num + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and (o - 1) * ss >= size + pp:
            o -= 1
        return o

    oh, ow = out_size(h, k, s, p), out_size(w, k, s, p)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s - p, j * s - p
            h1, w1 = min(h0 + k, h + p), min(w0 + k, w + p)
            hs, ws = max(h0, 0), max(w0, 0)
            patch = x[:, :, hs:min(h1, h), ws:min(w1, w)]
            if op == "max":
                out[:, :, i, j] = patch.max(axis=(2, 3)) if patch.size else fill
            else:
                count = (h1 - h0) * (w1 - w0) if count_include_pad else patch.shape[2] * patch.shape[3]
                out[:, :, i, j] = patch.sum(axis=(2, 3)) / count
    return out


@pytest.mark.parametrize("k,s,p,ceil_mode", [(2, 2, 0, False), (3, 2, 1, False), (3, 2, 1, True), (2, 3, 1, True)])
def test_pooling_matches_loops(k, s, p, ceil_mode):
    x = RNG.normal(size=(2, 3, 7, 8))
    close(F.max_pool2d(t64(x), k, s, p, ceil_mode=ceil_mode), np_pool2d(x, k, s, p, ceil_mode, "max"))
    close(F.avg_pool2d(t64(x), k, s, p, ceil_mode=ceil_mode), np_pool2d(x, k, s, p, ceil_mode, "avg"))
    close(
        F.avg_pool2d(t64(x), k, s, p, ceil_mode=ceil_mode, count_include_pad=False),
        np_pool2d(x, k, s, p, ceil_mode, "avg", count_include_pad=False),
    )


def test_max_pool_indices_and_gradient():
    x = RNG.normal(size=(1, 2, 6, 5))
    xt = t64(x, True)
    vals, idx = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    flat = x.reshape(1, 2, -1)
    np.testing.assert_allclose(np.take_along_axis(flat, idx.numpy().reshape(1, 2, -1), 2).reshape(vals.shape),
                               vals.detach().numpy())
    vals.sum().backward()
    expected = np.zeros_like(flat)
    for c in range(2):
        np.add.at(expected[0, c], idx.numpy()[0, c].ravel(), 1.0)
    close(xt.grad, expected.reshape(x.shape))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(xt, 2, 1, 2)


def test_adaptive_avg_pool():
    x = RNG.normal(size=(2, 3, 7, 5))
    got = F.adaptive_avg_pool2d(t64(x), (3, 2))
    ref = np.zeros((2, 3, 3, 2))
    for i in range(3):
        for j in range(2):
            h0, h1 = (i * 7) // 3, -(-(i + 1) * 7 // 3)
            w0, w1 = (j * 5) // 2, -(-(j + 1) * 5 // 2)
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    close(got, ref)
    close(F.adaptive_avg_pool1d(t64(x[:, :, 0]), 1), x[:, :, 0].mean(-1, keepdims=True))


def test_unfold_im2col():
    x = RNG.normal(size=(1, 2, 4, 4))
    cols = F.unfold(t64(x), 2, stride=2)
    ref = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 3, 5, 2, 4).reshape(1, 8, 4)
    close(cols, ref)
