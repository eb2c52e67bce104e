"""Small helpers shared by the test modules."""

import embertorch as torch
import numpy as np

ALL_DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
]
FLOAT_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
INT_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]

# numpy's counterpart of each dtype (bfloat16 has none: it is compared through float32).
NP = {
    torch.bool: np.bool_,
    torch.uint8: np.uint8,
    torch.int8: np.int8,
    torch.int16: np.int16,
    torch.int32: np.int32,
    torch.int64: np.int64,
    torch.float16: np.float16,
    torch.bfloat16: np.float32,
    torch.float32: np.float32,
    torch.float64: np.float64,
}


def dtype_name(dt):
    return str(dt).replace("torch.", "")


def shares_storage(a, b):
    """Whether two tensors are views of one storage."""
    if hasattr(a, "_shares_storage"):
        return a._shares_storage(b)
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def to_np(t):
    """A tensor's values as a numpy array (bfloat16 through float32)."""
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.detach().numpy()
