"""The Optimizer base class: parameter groups, state, zero_grad, state dicts."""

import collections
import copy
import itertools

from .. import _C
from .._C import Tensor


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _no_grad:
    def __enter__(self):
        self.prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


def _fused_step(kernel, p, grad, state, keys, *args):
    """Run a fused Rust update `kernel(p, grad, *state[keys], *args)`.

    The kernels need contiguous operands, but a leaf parameter may be a non-contiguous tensor
    (e.g. created by `.t()`), and `zeros_like` keeps its strides for the state. State tensors are
    made contiguous once (they belong to the optimizer); a non-contiguous parameter is stepped on
    a contiguous copy that is written back."""
    for k in keys:
        t = state.get(k)
        if t is not None and not t.is_contiguous():
            state[k] = t.contiguous()
    work = p if p.is_contiguous() else p.contiguous()
    kernel(work, grad.contiguous(), *[state.get(k) for k in keys], *args)
    if work is not p:
        p.copy_(work)


class Optimizer:
    """Holds parameter groups (each a dict with its own hyper-parameters) and per-parameter
    state; subclasses implement `step`."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = collections.defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {params.type()}"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g = g.detach()
                        p.grad = g
                    g.zero_()

    def step(self, closure=None):
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        prev = _C.is_grad_enabled()
        _C._set_grad_enabled(True)
        try:
            return closure()
        finally:
            _C._set_grad_enabled(prev)

    def state_dict(self):
        """Packed state: parameters referred to by index, as PyTorch."""
        index = {}
        start = 0
        packed_groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = start
                    start += 1
                ids.append(index[id(p)])
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = ids
            packed_groups.append(packed)
        params = {id(p): p for g in self.param_groups for p in g["params"]}
        packed_state = {index[k]: v for k, v in ((id(p), s) for p, s in self._state_items(params)) }
        return {"state": packed_state, "param_groups": packed_groups}

    def _state_items(self, params):
        for p in itertools.chain.from_iterable(g["params"] for g in self.param_groups):
            if p in self.state:
                yield p, self.state[p]

    def load_state_dict(self, state_dict):
        state_dict = copy.deepcopy(state_dict)
        groups = self.param_groups
        saved = state_dict["param_groups"]
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = {}
        for g, s in zip(groups, saved):
            for p, i in zip(g["params"], s["params"]):
                id_map[i] = p
        self.state = collections.defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                self.state[param] = {
                    key: (val.to(param.dtype) if isinstance(val, Tensor) and val.is_floating_point() and key != "step" else val)
                    for key, val in v.items()
                }
        for g, s in zip(groups, saved):
            for key, val in s.items():
                if key != "params":
                    g[key] = val

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
