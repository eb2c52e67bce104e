"""Custom differentiable operations: subclass `Function` with static `forward(ctx, ...)`
and `backward(ctx, *grads)`, then call `Function.apply(...)`."""

from .. import _C
from .grad_mode import no_grad


class FunctionCtx:
    """The `ctx` object passed to `forward` and `backward`."""

    def __init__(self):
        self._saved = ()
        self._saved_versions = ()
        self._non_differentiable = set()
        self.needs_input_grad = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = tuple(t._version if isinstance(t, _C.Tensor) else None for t in tensors)

    @property
    def saved_tensors(self):
        for t, v in zip(self._saved, self._saved_versions):
            if isinstance(t, _C.Tensor) and t._version != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{t.type()} {list(t.shape)}] is at version {t._version}; "
                    f"expected version {v} instead."
                )
        return tuple(t.unpack() if isinstance(t, _C.SavedOutput) else t for t in self._saved)

    def _link_saved_outputs(self, forward_outs, recorded):
        """Saved outputs of forward become the recorded outputs (weakly linked to their node),
        so that under create_graph the backward differentiates through them."""
        by_id = {id(f): r for f, r in zip(forward_outs, recorded) if r.grad_fn is not None}
        self._saved = tuple(_C._save_output(by_id[id(t)]) if id(t) in by_id else t for t in self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class Function:
    """Base class of custom autograd operations."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. "
            "Please use new-style autograd function with static forward method."
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = isinstance(out, _C.Tensor)
        outs = [out] if single else list(out)
        if not (_C.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        tensor_outs = [o for o in outs if isinstance(o, _C.Tensor)]
        differentiable = [id(o) not in ctx._non_differentiable for o in tensor_outs]
        # Outputs are fresh handles so the node does not rewrite the inputs' history.
        fresh = [o.detach() for o in tensor_outs]

        def backward(*grads):
            return cls.backward(ctx, *grads)

        recorded = _C._record_function(cls.__name__, list(args), fresh, differentiable, backward)
        ctx._link_saved_outputs(tensor_outs, recorded)
        it = iter(recorded)
        result = [next(it) if isinstance(o, _C.Tensor) else o for o in outs]
        return result[0] if single else tuple(result)
