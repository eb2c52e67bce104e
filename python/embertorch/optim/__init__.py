"""Optimizers (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`) and learning-rate schedulers."""

from . import lr_scheduler  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import Adagrad, RMSprop  # noqa: F401
from .sgd import SGD  # noqa: F401

# PyTorch optimizers embertorch does not provide yet: a clear error instead of an AttributeError
_NOT_IMPLEMENTED = ("ASGD", "Adadelta", "Adafactor", "Adamax", "LBFGS", "NAdam", "RAdam", "Rprop", "SparseAdam")


def __getattr__(name):
    if name in _NOT_IMPLEMENTED:
        raise NotImplementedError(
            f"torch.optim.{name} is not implemented in embertorch (available: SGD, Adam, AdamW, RMSprop, Adagrad)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
