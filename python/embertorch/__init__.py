"""embertorch: a small tensor engine with PyTorch's Python API.

``import embertorch as torch`` gives tensors, views, broadcasting, dtypes, autograd and
numpy interop that behave as PyTorch's do. The engine is the Rust extension ``_C``; this
package adds what is naturally Python.
"""

from . import _C
from ._C import (
    Generator,
    Tensor,
    arange,
    as_tensor,
    bernoulli,
    can_cast,
    cat,
    default_generator as _default_generator,
    device,
    dtype,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    initial_seed,
    is_tensor,
    linspace,
    logspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    promote_types,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    result_type,
    seed,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from ._C import (  # dtypes
    bfloat16,
    bool,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from ._size import Size
from ._tensor_str import printoptions, set_printoptions, get_printoptions
from . import _tensor_str

__version__ = "0.1.0"

# PyTorch's dtype aliases.
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = None  # complex dtypes are not supported

_C._register_size_type(Size)
_tensor_str._get_default_dtype = get_default_dtype

from . import _tensor
from ._tensor import return_types
from ._tensor import (
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._functions import *
from ._functions import __all__ as _function_names
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from . import autograd, cuda, testing
from .serialization import load, save
from ._finfo import finfo, iinfo

# Linear algebra: the `linalg` module and PyTorch's top-level names for it.
from . import linalg
from .linalg import det, inverse, logdet, matrix_power, pinverse

svd = linalg.TOP_LEVEL["svd"]
qr = linalg.TOP_LEVEL["qr"]
slogdet = linalg.TOP_LEVEL["slogdet"]
cross = linalg.TOP_LEVEL["cross"]
cholesky = linalg.TOP_LEVEL["cholesky"]


def set_default_dtype(d):
    """Set the default floating point dtype (float32 unless changed)."""
    _C.set_default_dtype(d)


def get_rng_state():
    return _default_generator().get_state()


def set_rng_state(new_state):
    _default_generator().set_state(new_state)


def numel(input):
    return input.numel()


def __getattr__(name):
    # Heavier submodules load on first use, keeping `import embertorch` fast.
    import importlib

    if name in ("nn", "optim", "linalg", "utils", "random", "special", "fft"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'embertorch' has no attribute '{name}'")
