"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from .. import _C
from .optimizer import Optimizer, _fused_step, _no_grad, required


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr is not required and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update per parameter, fused in the Rust core:
        d = g (+ wd * p); buf = momentum * buf + (1 - dampening) * d; p -= lr * (d + momentum * buf
        if nesterov else buf)."""
        loss = self._closure_loss(closure)
        with _no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    first = False
                    if group["momentum"] != 0 and state.get("momentum_buffer") is None:
                        state["momentum_buffer"] = _C.zeros_like(p)
                        first = True
                    # without momentum the kernel's buffer slot gets None (a key absent from state)
                    key = "momentum_buffer" if group["momentum"] != 0 else None
                    _fused_step(_C._sgd_step, p, p.grad, state, (key,), group["lr"], group["momentum"],
                                group["dampening"], group["weight_decay"], group["nesterov"], group["maximize"],
                                first)
        return loss
