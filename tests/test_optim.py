"""Optimizers and learning-rate schedulers.

Each optimizer runs several steps on a quadratic-plus-noise gradient and is compared with an
independent numpy transcription of the algorithm PyTorch documents (and implements) for it;
schedulers are compared with their closed forms. Also: parameter groups, parameters without
a gradient, state_dict round trips, argument validation, and an end-to-end least-squares fit.
"""

import math

import embertorch as torch
import numpy as np
import pytest
from _helpers import shares_storage
from embertorch.optim import lr_scheduler

FLOATS = [torch.float32, torch.float64]
NPF = {torch.float32: np.float32, torch.float64: np.float64}
TOL = {torch.float32: {"rtol": 2e-5, "atol": 2e-6}, torch.float64: {"rtol": 1e-11, "atol": 1e-12}}
STEPS = 6


# --------------------------------------------------------------------------------------------
# numpy references: one function per optimizer, `step(p, g, state, t)` -> new p (t from 1)


def ref_sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    def step(p, g, s, t):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            s["buf"] = g.copy() if t == 1 else momentum * s["buf"] + (1 - dampening) * g
            g = g + momentum * s["buf"] if nesterov else s["buf"]
        return p - lr * g

    return step


def ref_adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas

    def step(p, g, s, t):
        g = -g if maximize else g
        if weight_decay and decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        v = s["v"]
        if amsgrad:
            s["vmax"] = np.maximum(s.get("vmax", 0.0), s["v"])
            v = s["vmax"]
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        return p - lr / (1 - b1**t) * s["m"] / denom

    return step


def ref_adamw(weight_decay=1e-2, **kw):
    return ref_adam(weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    def step(p, g, s, t):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        s["sq"] = alpha * s.get("sq", 0.0) + (1 - alpha) * g * g
        if centered:
            s["ga"] = alpha * s.get("ga", 0.0) + (1 - alpha) * g
            avg = np.sqrt(s["sq"] - s["ga"] ** 2) + eps
        else:
            avg = np.sqrt(s["sq"]) + eps
        if momentum > 0:
            s["buf"] = momentum * s.get("buf", 0.0) + g / avg
            return p - lr * s["buf"]
        return p - lr * g / avg

    return step


def ref_adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    def step(p, g, s, t):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s["sum"] = s.get("sum", initial_accumulator_value) + g * g
        return p - clr * g / (np.sqrt(s["sum"]) + eps)

    return step


CASES = [
    ("SGD", ref_sgd, {"lr": 0.1}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.9}),
    ("SGD", ref_sgd, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", ref_sgd, {"lr": 0.1, "weight_decay": 0.2}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.2, "nesterov": True, "maximize": True}),
    ("SGD", ref_sgd, {"lr": 0.1, "maximize": True}),
    ("Adam", ref_adam, {"lr": 0.01}),
    ("Adam", ref_adam, {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6}),
    ("Adam", ref_adam, {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", ref_adam, {"lr": 0.01, "amsgrad": True}),
    ("Adam", ref_adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", ref_adamw, {"lr": 0.01}),
    ("AdamW", ref_adamw, {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", ref_adamw, {"lr": 0.01, "weight_decay": 0.3, "maximize": True}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01, "centered": True}),
    ("RMSprop", ref_rmsprop, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", ref_adagrad, {"lr": 0.1}),
    ("Adagrad", ref_adagrad, {"lr": 0.1, "lr_decay": 0.5}),
    ("Adagrad", ref_adagrad, {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", ref_adagrad, {"lr": 0.1, "maximize": True}),
]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]


def grads_for(seed, shape, steps=STEPS):
    """Per-step noise; the gradient at step t is noise[t] + 0.5 * p (a noisy quadratic)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def run_reference(ref, kw, p0, noise, np_dtype):
    """The reference trajectory, computed in the parameter's precision."""
    step = ref(**kw)
    p, s = p0.astype(np_dtype), {}
    for t, n in enumerate(noise, start=1):
        g = (n + 0.5 * p).astype(np_dtype)
        p = step(p, g, s, t).astype(np_dtype)
    return p


def run_embertorch(name, kw, p0, noise, dtype, opt_out=None):
    p = torch.tensor(p0, dtype=dtype, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kw)
    for n in noise:
        p.grad = torch.tensor(n, dtype=dtype) + 0.5 * p.detach()
        opt.step()
    if opt_out is not None:
        opt_out.append(opt)
    return p


@pytest.mark.parametrize("dtype", FLOATS, ids=["float32", "float64"])
@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_matches_reference(name, ref, kw, dtype):
    p0 = np.random.default_rng(1).standard_normal((3, 4))
    noise = grads_for(2, (3, 4))
    p = run_embertorch(name, kw, p0, noise, dtype)
    assert p.dtype == dtype
    assert p.requires_grad and p.is_leaf
    expected = run_reference(ref, kw, p0, noise, NPF[dtype])
    np.testing.assert_allclose(p.detach().numpy(), expected, **TOL[dtype])
    # the parameter really moved (the comparison is not between two unchanged tensors)
    assert np.abs(p.detach().numpy() - p0).max() > 1e-3


@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_noncontiguous_parameter(name, ref, kw):
    """A transposed (non-contiguous) leaf parameter is updated in place, element for element."""
    p0 = np.random.default_rng(3).standard_normal((4, 3))
    noise = grads_for(4, (3, 4))
    p = torch.tensor(p0, dtype=torch.float64).t().requires_grad_(True)
    assert not p.is_contiguous()
    opt = getattr(torch.optim, name)([p], **kw)
    for n in noise:
        p.grad = torch.tensor(n, dtype=torch.float64) + 0.5 * p.detach()
        opt.step()
    expected = run_reference(ref, kw, p0.T.copy(), noise, np.float64)
    np.testing.assert_allclose(p.detach().numpy(), expected, **TOL[torch.float64])


@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_state_dict_round_trip_continues_identically(name, ref, kw):
    """Stop after 3 steps, copy the state into a fresh optimizer (on a copy of the parameter),
    and continue: both runs end on the reference trajectory, bit for bit equal to each other."""
    p0 = np.random.default_rng(5).standard_normal((2, 5))
    noise = grads_for(6, (2, 5))
    opts = []
    p = run_embertorch(name, kw, p0, noise[:3], torch.float64, opts)
    sd = opts[0].state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0]
    q = p.detach().clone().requires_grad_(True)
    other = getattr(torch.optim, name)([q], lr=123.0)  # lr is restored from the state dict
    other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == kw["lr"]
    for param, opt in ((p, opts[0]), (q, other)):
        for n in noise[3:]:
            param.grad = torch.tensor(n, dtype=torch.float64) + 0.5 * param.detach()
            opt.step()
    assert torch.equal(p.detach(), q.detach())
    expected = run_reference(ref, kw, p0, noise, np.float64)
    np.testing.assert_allclose(q.detach().numpy(), expected, **TOL[torch.float64])


def test_state_dict_is_decoupled_from_loaded_optimizer():
    """load_state_dict copies: stepping the new optimizer leaves the saved dict unchanged."""
    p = torch.ones(3, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(3)
    opt.step()
    sd = opt.state_dict()
    saved = sd["state"][0]["momentum_buffer"].clone()
    q = torch.ones(3, requires_grad=True)
    other = torch.optim.SGD([q], lr=0.1, momentum=0.9)
    other.load_state_dict(sd)
    q.grad = torch.ones(3)
    other.step()
    assert torch.equal(sd["state"][0]["momentum_buffer"], saved)


def test_load_state_dict_mismatch_raises():
    a, b = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    sd = torch.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        torch.optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        torch.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_param_without_grad_is_skipped(name, ref, kw):
    p = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    frozen = torch.tensor([4.0, 5.0], requires_grad=True)
    opt = getattr(torch.optim, name)([p, frozen], **kw)
    for _ in range(3):
        p.grad = p.detach() * 0.5 + 1.0
        opt.step()
    assert frozen.grad is None
    assert frozen.tolist() == [4.0, 5.0]
    assert p.tolist() != [1.0, -2.0, 3.0]


@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_param_groups_with_their_own_lr(name, ref, kw):
    """Two groups, the second with a different lr (and the group's options from the defaults)."""
    p0 = np.random.default_rng(7).standard_normal((2, 3))
    q0 = np.random.default_rng(8).standard_normal(4)
    noise_p, noise_q = grads_for(9, (2, 3)), grads_for(10, (4,))
    p = torch.tensor(p0, requires_grad=True, dtype=torch.float64)
    q = torch.tensor(q0, requires_grad=True, dtype=torch.float64)
    lr2 = kw["lr"] * 0.3
    opt = getattr(torch.optim, name)([{"params": [p]}, {"params": q, "lr": lr2}], **kw)
    assert [g["lr"] for g in opt.param_groups] == [kw["lr"], lr2]
    for n_p, n_q in zip(noise_p, noise_q):
        p.grad = torch.tensor(n_p) + 0.5 * p.detach()
        q.grad = torch.tensor(n_q) + 0.5 * q.detach()
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), run_reference(ref, kw, p0, noise_p, np.float64), rtol=1e-11)
    kw2 = dict(kw, lr=lr2)
    np.testing.assert_allclose(q.detach().numpy(), run_reference(ref, kw2, q0, noise_q, np.float64), rtol=1e-11)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_add_param_group_after_steps(name, ref, kw):
    """A group added later starts with fresh state and the defaults."""
    p = torch.ones(3, requires_grad=True, dtype=torch.float64)
    opt = getattr(torch.optim, name)([p], **kw)
    p.grad = torch.ones(3, dtype=torch.float64)
    opt.step()
    q0 = np.array([0.5, -1.5])
    noise = grads_for(11, (2,), steps=3)
    q = torch.tensor(q0, requires_grad=True)
    opt.add_param_group({"params": [q]})
    for n in noise:
        q.grad = torch.tensor(n) + 0.5 * q.detach()
        opt.step()
    np.testing.assert_allclose(q.detach().numpy(), run_reference(ref, kw, q0, noise, np.float64), rtol=1e-11)


def test_add_param_group_errors():
    p = torch.ones(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {torch.ones(1, requires_grad=True)}})
    with pytest.raises(ValueError, match="non-leaf"):
        opt.add_param_group({"params": [p * 2]})
    with pytest.raises(TypeError):
        opt.add_param_group([torch.ones(1)])
    assert len(opt.param_groups) == 1


def test_constructor_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        torch.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1)


BAD_ARGS = [
    ("SGD", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "Nesterov momentum requires"),
    ("Adam", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("AdamW", {"lr": -0.5}, "Invalid learning rate: -0.5"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("RMSprop", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("RMSprop", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("RMSprop", {"momentum": -1.0}, "Invalid momentum value: -1.0"),
    ("RMSprop", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("Adagrad", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("Adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
    ("Adagrad", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
]


@pytest.mark.parametrize("name,kw,msg", BAD_ARGS, ids=[f"{n}-{list(k)[-1]}" for n, k, _ in BAD_ARGS])
def test_bad_arguments(name, kw, msg):
    with pytest.raises(ValueError) as info:
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kw)
    assert msg in str(info.value)


def test_defaults_match_pytorch():
    p = [torch.ones(1, requires_grad=True)]
    expected = {
        "SGD": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False, "maximize": False},
        "Adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False, "maximize": False},
        "AdamW": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False, "maximize": False},
        "RMSprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0, "centered": False},
        "Adagrad": {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0, "eps": 1e-10},
    }
    for name, defaults in expected.items():
        group = getattr(torch.optim, name)(p).param_groups[0]
        for k, v in defaults.items():
            assert group[k] == v, (name, k)


# --------------------------------------------------------------------------------------------
# zero_grad, closures


def test_zero_grad_set_to_none_default():
    p = torch.ones(3, requires_grad=True)
    (p * 2).sum().backward()
    opt = torch.optim.SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad is None


def test_zero_grad_set_to_zero_keeps_tensor():
    p = torch.ones(3, requires_grad=True)
    (p * 2).sum().backward()
    g = p.grad
    torch.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert shares_storage(p.grad, g)  # zeroed in place, not replaced
    assert g.tolist() == [0.0, 0.0, 0.0]
    assert p.grad.tolist() == [0.0, 0.0, 0.0]


def test_step_with_closure_returns_loss_and_uses_its_grad():
    x = torch.tensor([3.0], requires_grad=True)
    opt = torch.optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with torch.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert x.item() == pytest.approx(3.0 - 0.25 * 6.0)


def test_backward_then_step_matches_gradient_formula():
    """The gradient produced by autograd drives the update (p <- p - lr * 2p)."""
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = torch.optim.SGD([x], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (x * x).sum().backward()
        opt.step()
    np.testing.assert_allclose(x.detach().numpy(), np.array([1.0, -2.0]) * 0.8**3, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# end to end


def test_linear_regression_with_sgd_reaches_least_squares():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(64)
    A = np.hstack([X, np.ones((64, 1))])
    w_ls, *_ = np.linalg.lstsq(A, y, rcond=None)

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xt, yt = torch.tensor(X), torch.tensor(y).reshape(-1, 1)
    for _ in range(500):
        opt.zero_grad()
        loss = ((model(xt) - yt) ** 2).mean()
        loss.backward()
        opt.step()
    got = np.concatenate([model.weight.detach().numpy().ravel(), model.bias.detach().numpy()])
    np.testing.assert_allclose(got, w_ls, atol=1e-6)


def test_adam_fits_linear_model():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 2))
    y = X @ np.array([0.7, -1.2]) - 0.4
    A = np.hstack([X, np.ones((50, 1))])
    w_ls, *_ = np.linalg.lstsq(A, y, rcond=None)
    torch.manual_seed(1)
    model = torch.nn.Linear(2, 1, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.tensor(X), torch.tensor(y).reshape(-1, 1)
    for _ in range(1500):
        opt.zero_grad()
        ((model(xt) - yt) ** 2).mean().backward()
        opt.step()
    got = np.concatenate([model.weight.detach().numpy().ravel(), model.bias.detach().numpy()])
    np.testing.assert_allclose(got, w_ls, atol=1e-4)


# --------------------------------------------------------------------------------------------
# schedulers


def make_opt(lrs=(0.1,)):
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def run_sched(opt, sched, epochs):
    """The lr of each group seen at each epoch (before that epoch's scheduler.step())."""
    seen = []
    for _ in range(epochs):
        seen.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == seen[-1]
        opt.step()
        sched.step()
    return np.array(seen)


def closed(fn, lrs, epochs):
    return np.array([[fn(base, t) for base in lrs] for t in range(epochs)])


LRS = (0.1, 0.03)


def test_step_lr():
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), 12)
    np.testing.assert_allclose(got, closed(lambda b, t: b * 0.5 ** (t // 3), LRS, 12), rtol=1e-12)


def test_multistep_lr_with_repeated_milestone():
    opt = make_opt(LRS)
    ms = [2, 5, 5, 9]
    got = run_sched(opt, lr_scheduler.MultiStepLR(opt, milestones=ms, gamma=0.1), 12)
    want = closed(lambda b, t: b * 0.1 ** sum(m <= t for m in ms), LRS, 12)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_exponential_lr():
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.ExponentialLR(opt, gamma=0.9), 10)
    np.testing.assert_allclose(got, closed(lambda b, t: b * 0.9**t, LRS, 10), rtol=1e-12)


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_lr_past_t_max(eta_min):
    """The recursive form follows eta_min + (base - eta_min)(1 + cos(pi t / T))/2, also beyond T_max."""
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=eta_min), 23)
    want = closed(lambda b, t: eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / 5)) / 2, LRS, 23)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_lambda_lr_per_group():
    opt = make_opt(LRS)
    fns = [lambda t: 1 / (t + 1), lambda t: 0.95**t]
    got = run_sched(opt, lr_scheduler.LambdaLR(opt, fns), 8)
    want = np.array([[LRS[0] / (t + 1), LRS[1] * 0.95**t] for t in range(8)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(make_opt(LRS), [lambda t: 1.0])


def test_scheduler_sets_initial_lr_and_base_lrs():
    opt = make_opt(LRS)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert sched.base_lrs == list(LRS)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)
    assert sched.last_epoch == 0
    sched.step()
    assert sched.last_epoch == 1


def test_scheduler_resume_requires_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(make_opt(), step_size=2, last_epoch=3)


def test_scheduler_state_dict_round_trip():
    opt = make_opt(LRS)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd
    opt2 = make_opt(LRS)
    opt2.load_state_dict(opt.state_dict())
    sched2 = lr_scheduler.StepLR(opt2, step_size=7, gamma=0.9)
    sched2.load_state_dict(sd)
    for _ in range(5):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_scheduler_requires_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)


def reference_plateau(metrics, lr, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr):
    """PyTorch's documented ReduceLROnPlateau, transcribed."""
    best = math.inf if mode == "min" else -math.inf
    bad = cool = 0
    out = []
    for m in metrics:
        if mode == "min":
            better = m < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        else:
            better = m > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool, bad = cool - 1, 0
        if bad > patience:
            new = max(lr * factor, min_lr)
            if lr - new > 1e-8:
                lr = new
            cool, bad = cooldown, 0
        out.append(lr)
    return out


@pytest.mark.parametrize(
    "mode,threshold_mode,patience,cooldown,min_lr",
    [("min", "rel", 2, 0, 0.0), ("min", "abs", 1, 2, 0.0), ("max", "rel", 0, 1, 1e-3), ("max", "abs", 3, 0, 0.0)],
)
def test_reduce_lr_on_plateau(mode, threshold_mode, patience, cooldown, min_lr):
    rng = np.random.default_rng(4)
    metrics = list(np.cumsum(rng.standard_normal(40)) * 0.3 + 5.0)
    opt = make_opt((0.1,))
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=0.5, patience=patience, threshold=0.01,
                                           threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr)
    got = []
    for m in metrics:
        sched.step(m)
        got.append(opt.param_groups[0]["lr"])
        assert sched.get_last_lr() == [got[-1]]
    want = reference_plateau(metrics, 0.1, mode, 0.5, patience, 0.01, threshold_mode, cooldown, min_lr)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(set(got)) > 1  # the schedule did reduce


def test_reduce_lr_on_plateau_errors():
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), mode="middle")
    with pytest.raises(ValueError, match="threshold mode"):
        lr_scheduler.ReduceLROnPlateau(make_opt(), threshold_mode="log")
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(make_opt(LRS), min_lr=[0.1])


def test_multiplicative_lr():
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.MultiplicativeLR(opt, [lambda t: 0.9, lambda t: 0.5]), 8)
    want = np.array([[LRS[0] * 0.9**t, LRS[1] * 0.5**t] for t in range(8)])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_constant_lr():
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.ConstantLR(opt, factor=0.25, total_iters=4), 9)
    np.testing.assert_allclose(got, closed(lambda b, t: b * (0.25 if t < 4 else 1.0), LRS, 9), rtol=1e-12)


@pytest.mark.parametrize("start,end,total", [(0.2, 0.9, 6), (1 / 3, 1.0, 5), (1.0, 0.1, 4)])
def test_linear_lr(start, end, total):
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.LinearLR(opt, start_factor=start, end_factor=end, total_iters=total), 10)
    want = closed(lambda b, t: b * (start + (end - start) * min(t, total) / total), LRS, 10)
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial_lr(power):
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.PolynomialLR(opt, total_iters=7, power=power), 11)
    want = closed(lambda b, t: b * (1 - min(t, 7) / 7) ** power, LRS, 11)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


def warm_restart_position(t, T_0, T_mult):
    """(T_cur, T_i) at integer epoch t: cycles of length T_0, T_0 * T_mult, ..."""
    T_i = T_0
    while t >= T_i:
        t -= T_i
        T_i *= T_mult
    return t, T_i


@pytest.mark.parametrize("T_0,T_mult,eta_min", [(4, 1, 0.001), (3, 2, 0.0), (2, 3, 0.01)])
def test_cosine_annealing_warm_restarts(T_0, T_mult, eta_min):
    opt = make_opt(LRS)
    got = run_sched(opt, lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min), 30)

    def lr(b, t):
        cur, T_i = warm_restart_position(t, T_0, T_mult)
        return eta_min + (b - eta_min) * (1 + math.cos(math.pi * cur / T_i)) / 2

    np.testing.assert_allclose(got, closed(lr, LRS, 30), rtol=1e-9)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    opt = make_opt((0.1,))
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
    for epoch in [0.5, 2.9, 3.0, 7.5, 20.0, 1.0]:
        sched.step(epoch)
        # cycles [0, 3), [3, 9), [9, 21): position inside the cycle holding `epoch`
        start, T_i = 0.0, 3
        while epoch >= start + T_i:
            start, T_i = start + T_i, T_i * 2
        want = 0.1 * (1 + math.cos(math.pi * (epoch - start) / T_i)) / 2
        assert opt.param_groups[0]["lr"] == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        sched.step(-1)


def test_sequential_lr():
    opt = make_opt(LRS)
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4)
    decay = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    got = run_sched(opt, lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[5]), 15)

    def lr(b, t):
        return b * (0.1 + 0.9 * min(t, 4) / 4) if t < 5 else b * 0.9 ** (t - 5)

    np.testing.assert_allclose(got, closed(lr, LRS, 15), rtol=1e-9)


def test_sequential_lr_three_stages():
    opt = make_opt(LRS)
    stages = [lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2), lr_scheduler.StepLR(opt, 2, 0.5),
              lr_scheduler.CosineAnnealingLR(opt, T_max=6)]
    got = run_sched(opt, lr_scheduler.SequentialLR(opt, stages, milestones=[4, 10]), 20)

    def lr(b, t):
        if t < 4:
            return b * (0.5 if t < 2 else 1.0)
        if t < 10:
            return b * 0.5 ** ((t - 4) // 2)
        return b * (1 + math.cos(math.pi * (t - 10) / 6)) / 2

    np.testing.assert_allclose(got, closed(lr, LRS, 20), rtol=1e-9, atol=1e-15)


def test_chained_scheduler():
    opt = make_opt(LRS)
    chain = lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=3), lr_scheduler.ExponentialLR(opt, gamma=0.9)]
    )
    got = run_sched(opt, chain, 10)
    np.testing.assert_allclose(got, closed(lambda b, t: b * 0.9**t * (0.1 if t < 3 else 1.0), LRS, 10), rtol=1e-9)


def test_composite_scheduler_errors():
    opt = make_opt()
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(make_opt(), 2)], [3])
    with pytest.raises(ValueError, match="same optimizer"):
        lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(opt, 2), lr_scheduler.StepLR(make_opt(), 2)])


@pytest.mark.parametrize(
    "build,msg",
    [
        (lambda o: lr_scheduler.ConstantLR(o, factor=2.0), "Constant multiplicative factor"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), "Starting multiplicative factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), "Ending multiplicative factor"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), "Expected positive integer T_0"),
        (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "Expected integer T_mult >= 1"),
        (lambda o: lr_scheduler.MultiplicativeLR(o, [lambda t: 1.0] * 3), "Expected 1 lr_lambdas, but got 3"),
    ],
)
def test_scheduler_argument_errors(build, msg):
    with pytest.raises(ValueError, match=msg):
        build(make_opt())


@pytest.mark.parametrize("name", ["LBFGS", "NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD", "SparseAdam"])
def test_missing_optimizers_raise_not_implemented(name):
    with pytest.raises(NotImplementedError, match=f"torch.optim.{name} is not implemented"):
        getattr(torch.optim, name)


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR", "SWALR"])
def test_missing_schedulers_raise_not_implemented(name):
    with pytest.raises(NotImplementedError, match=f"lr_scheduler.{name} is not implemented"):
        getattr(lr_scheduler, name)


def test_unknown_names_still_raise_attribute_error():
    assert not hasattr(torch.optim, "NoSuchOptimizer")
    assert not hasattr(lr_scheduler, "NoSuchScheduler")


@pytest.mark.parametrize("dtype,tol", [(torch.float16, 1e-2), (torch.bfloat16, 5e-2)], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("name,ref,kw", CASES, ids=CASE_IDS)
def test_half_precision_parameters(name, ref, kw, dtype, tol):
    """Reduced-precision parameters keep their dtype and follow the float64 trajectory up to
    their rounding (PyTorch rounds after every elementwise op, so only a tolerance is exact)."""
    p0 = np.random.default_rng(12).standard_normal((3, 4))
    noise = grads_for(13, (3, 4), steps=3)
    p = run_embertorch(name, kw, p0, noise, dtype)
    assert p.dtype == dtype
    expected = run_reference(ref, kw, p0, noise, np.float64)
    np.testing.assert_allclose(p.detach().float().numpy(), expected, rtol=tol, atol=tol)
