"""CUDA device queries. This build has no GPU backend: CUDA is reported unavailable."""

from .. import _C


def is_available():
    """False: this build of embertorch has no CUDA backend."""
    return False


def device_count():
    return 0


def current_device():
    raise RuntimeError(_C._cuda_unavailable_reason())


def synchronize(device=None):
    raise RuntimeError(_C._cuda_unavailable_reason())


def manual_seed(seed):
    """Seeding CUDA generators is a no-op without CUDA, as in PyTorch."""


def manual_seed_all(seed):
    """Seeding CUDA generators is a no-op without CUDA, as in PyTorch."""


def unavailable_reason():
    return _C._cuda_unavailable_reason()
