"""nn.Module machinery, layers, init and utils, checked against numpy and closed forms."""

import math

import embertorch as torch
import embertorch.nn as nn
import embertorch.nn.functional as F
import numpy as np
import pytest


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", torch.zeros(()))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameters_buffers_and_names():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    # A module's own parameters and buffers come before its children's, as in PyTorch.
    assert list(m.state_dict().keys()) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert m.get_submodule("fc1") is m.fc1
    assert sum(p.numel() for p in m.parameters()) == 3 * 4 + 4 + 4 * 2


def test_forward_matches_numpy():
    m = TwoLayer()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    w1, b1, w2 = (p.detach().numpy() for p in m.parameters())
    expected = np.maximum(x @ w1.T + b1, 0) @ w2.T
    np.testing.assert_allclose(m(torch.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_repr_matches_pytorch_format():
    m = TwoLayer()
    assert repr(m) == (
        "TwoLayer(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (act): ReLU()\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=False)\n"
        ")"
    )
    assert repr(nn.Sequential(nn.Linear(2, 2), nn.Tanh())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): Tanh()\n)"
    )


def test_state_dict_round_trip_and_strictness():
    a, b = TwoLayer(), TwoLayer()
    result = b.load_state_dict(a.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = torch.randn(4, 3)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    sd = a.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match="Missing key"):
        b.load_state_dict(sd)
    result = b.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    bad = a.state_dict()
    bad["fc1.weight"] = torch.zeros(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch"):
        b.load_state_dict(bad)


def test_state_dict_values_are_detached_and_share_storage():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"].zero_()
    assert float(m.weight.abs().sum()) == 0.0


def test_train_eval_and_dropout():
    m = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    assert m.training and m[1].training
    m.eval()
    assert not m.training and not m[1].training
    x = torch.randn(3, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m[0](x).detach().numpy())


def test_zero_grad_and_requires_grad_():
    m = nn.Linear(3, 1)
    m(torch.randn(2, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad()
    assert m.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_dtype_and_apply():
    m = TwoLayer().double()
    assert all(p.dtype == torch.float64 for p in m.parameters())
    assert isinstance(m.fc1.weight, nn.Parameter)
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "TwoLayer"]
    m.to(torch.float32)
    assert m.fc2.weight.dtype == torch.float32


def test_setattr_rules():
    m = nn.Module()
    with pytest.raises(TypeError, match="cannot assign"):
        m.register_parameter("w", torch.zeros(2))
    m.w = nn.Parameter(torch.zeros(2))
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = torch.zeros(2)
    with pytest.raises(AttributeError):
        _ = m.missing
    del m.w
    assert list(m.parameters()) == []


def test_hooks():
    m = nn.Linear(2, 2)
    calls = []
    handle = m.register_forward_hook(lambda mod, inp, out: calls.append(out.shape))
    m.register_forward_pre_hook(lambda mod, inp: (inp[0] * 0,))
    out = m(torch.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None], rtol=1e-6)
    assert calls == [(1, 2)]
    handle.remove()
    m(torch.ones(1, 2))
    assert len(calls) == 1


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.Linear(1, 1))
    assert len(list(ml.parameters())) == 8
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    assert "a" in md and [k for k, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    pl = nn.ParameterList([nn.Parameter(torch.ones(2))])
    assert len(list(pl.parameters())) == 1


def test_linear_init_bounds():
    torch.manual_seed(0)
    m = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    # kaiming_uniform(a=sqrt(5)) gives a uniform on [-bound, bound]: variance bound^2 / 3.
    assert abs(float(m.weight.var()) - bound**2 / 3) < 0.1 * bound**2 / 3


def test_init_functions():
    torch.manual_seed(0)
    w = torch.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert abs(float(w.var()) - 2 / 500) < 0.1 * 2 / 500
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2 / 300)) < 0.05 * math.sqrt(2 / 300)
    nn.init.constant_(w, 0.5)
    assert float(w.min()) == float(w.max()) == 0.5
    e = nn.init.eye_(torch.empty(3, 4))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))
    t = nn.init.trunc_normal_(torch.empty(10_000), std=1.0, a=-0.5, b=0.5)
    assert float(t.min()) >= -0.5 and float(t.max()) <= 0.5
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("tanh") == 5 / 3


def test_layers_equal_functional():
    torch.manual_seed(3)
    x = torch.randn(2, 3, 6, 6)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    ref = F.conv2d(x, conv.weight, conv.bias, 2, 1)
    np.testing.assert_array_equal(conv(x).detach().numpy(), ref.detach().numpy())
    assert repr(conv) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    pool = nn.MaxPool2d(2)
    np.testing.assert_array_equal(pool(x).numpy(), F.max_pool2d(x, 2).numpy())
    assert nn.Flatten()(x).shape == (2, 108)
    assert nn.Unflatten(1, (3, 36))(nn.Flatten()(x)).shape == (2, 3, 36)
    assert nn.Identity()(x) is x


def test_batchnorm_module_running_stats():
    bn = nn.BatchNorm1d(3, momentum=0.5)
    x = torch.randn(16, 3) * 2 + 3
    bn(x)
    xn = x.numpy().astype(np.float64)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * xn.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * xn.var(0, ddof=1), rtol=1e-5)
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    out = bn(x).detach().numpy()
    expected = (xn - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert "running_mean" in bn.state_dict()


def test_loss_modules_equal_functional():
    x, y = torch.randn(4, 3), torch.randn(4, 3)
    assert float(nn.MSELoss()(x, y)) == float(F.mse_loss(x, y))
    assert float(nn.L1Loss(reduction="sum")(x, y)) == float(F.l1_loss(x, y, reduction="sum"))
    target = torch.tensor([0, 2, 1, 2])
    assert float(nn.CrossEntropyLoss()(x, target)) == float(F.cross_entropy(x, target))
    p = torch.sigmoid(x)
    assert float(nn.BCELoss()(p, (y > 0).float())) == float(F.binary_cross_entropy(p, (y > 0).float()))


def test_embedding_module():
    emb = nn.Embedding(10, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight[0].detach().numpy(), np.zeros(3))
    out = emb(torch.tensor([[1, 0], [9, 9]]))
    assert out.shape == (2, 2, 3)
    with pytest.raises(IndexError, match="index out of range"):
        emb(torch.tensor([10]))
    with pytest.raises(IndexError, match="index out of range"):
        emb(torch.tensor([-1]))


def test_clip_grad_norm():
    p1, p2 = nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(4))
    p1.grad = torch.tensor([3.0, 0.0, 0.0])
    p2.grad = torch.tensor([0.0, 4.0, 0.0, 0.0])
    total = nn.utils.clip_grad_norm_([p1, p2], max_norm=1.0)
    assert abs(float(total) - 5.0) < 1e-6
    np.testing.assert_allclose(p1.grad.numpy(), [0.6, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(p2.grad.numpy(), [0, 0.8, 0, 0], rtol=1e-5)
    nn.utils.clip_grad_value_([p1], 0.1)
    np.testing.assert_allclose(p1.grad.numpy(), [0.1, 0, 0], rtol=1e-6)
    vec = nn.utils.parameters_to_vector([p1, p2])
    assert vec.shape == (7,)


def test_training_reduces_loss_to_least_squares_fit():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    w_true = np.array([[1.5, -2.0, 0.5]])
    y = x @ w_true.T + 0.3
    model = nn.Linear(3, 1).double()
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(500):
        model.zero_grad()
        loss = F.mse_loss(model(xt), yt)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    np.testing.assert_allclose(model.weight.detach().numpy(), w_true, atol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.3], atol=1e-6)
