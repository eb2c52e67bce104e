"""Optimizers (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`) and learning-rate schedulers."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import Adagrad, RMSprop
from .sgd import SGD

# PyTorch optimizers embertorch does not provide yet: a clear error instead of an AttributeError
_NOT_IMPLEMENTED = ("ASGD", "Adadelta", "Adafactor", "Adamax", "LBFGS", "NAdam", "RAdam", "Rprop", "SparseAdam")


def __getattr__(name):
    if name in _NOT_IMPLEMENTED:
        raise NotImplementedError(
            f"torch.optim.{name} is not implemented in embertorch (available: SGD, Adam, AdamW, RMSprop, Adagrad)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
