"""``finfo`` and ``iinfo``: machine limits of embertorch's dtypes."""

from . import _C

# (bits, mantissa bits incl. implicit, max exponent, min normal exponent, resolution digits)
_FLOAT_FORMATS = {
    "float16": (16, 11, 15, -14, 3),
    "bfloat16": (16, 8, 127, -126, 2),
    "float32": (32, 24, 127, -126, 6),
    "float64": (64, 53, 1023, -1022, 15),
}

_INT_FORMATS = {
    "uint8": (8, False),
    "int8": (8, True),
    "int16": (16, True),
    "int32": (32, True),
    "int64": (64, True),
    "bool": (8, False),
}


def _name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


class finfo:
    """Limits of a floating-point dtype (``torch.finfo``)."""

    def __init__(self, type=None):
        dtype = _C.get_default_dtype() if type is None else type
        name = _name(dtype)
        if name not in _FLOAT_FORMATS:
            raise TypeError(f"finfo(): argument 'type' must be a floating point dtype, not {dtype}")
        bits, digits, emax, emin, precision = _FLOAT_FORMATS[name]
        self.dtype = name
        self.bits = bits
        self.eps = 2.0 ** (1 - digits)
        self.max = (2.0 - 2.0 ** (1 - digits)) * 2.0**emax
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0**emin
        self.resolution = float(f"1e-{precision}")

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type):
        name = _name(type)
        if name not in _INT_FORMATS or name == "bool":
            raise TypeError(f"iinfo(): argument 'type' must be an integer dtype, not {type}")
        bits, signed = _INT_FORMATS[name]
        self.dtype = name
        self.bits = bits
        self.min = -(2 ** (bits - 1)) if signed else 0
        self.max = 2 ** (bits - 1) - 1 if signed else 2**bits - 1

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
