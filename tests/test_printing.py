"""repr()/str() of tensors must read exactly like PyTorch's.

The expected strings in fixtures/print_cases.json were produced by PyTorch
itself.  Each case holds the tensor's values (as ``tolist()`` gives them,
with non-finite floats written as the strings "nan", "inf", "-inf" so the
file stays strict JSON), its shape and dtype name, the keyword arguments for
``set_printoptions`` (a threshold of "inf" means no summarising), whether it
requires grad, and optionally:

* ``grad_op``: an operation applied after ``requires_grad_()`` so that the
  result carries a ``grad_fn`` ("mul": ``x * 2``, "add": ``x + 1``,
  "neg": ``-x``, "to:<dtype>": ``x.to(<dtype>)``);
* ``default_dtype``: the default float dtype in force while building and
  printing the tensor.
"""

import json
import math
from pathlib import Path

import embertorch
import pytest
from embertorch import _tensor_str

CASES = json.loads((Path(__file__).parent / "fixtures" / "print_cases.json").read_text())

_NON_FINITE = ("nan", "inf", "-inf")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, str) and value in _NON_FINITE:
        return float(value)
    return value


_GRAD_OPS = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "neg": lambda x: -x,
}


def _build(case):
    dtype = getattr(embertorch, case["dtype"])
    if math.prod(case["shape"]) == 0:
        t = embertorch.empty(case["shape"], dtype=dtype)
    else:
        t = embertorch.tensor(_decode(case["values"]), dtype=dtype)
    assert list(t.shape) == case["shape"]
    if case["requires_grad"]:
        t.requires_grad_()
    op = case.get("grad_op")
    if op is None:
        return t
    if op.startswith("to:"):
        return t.to(getattr(embertorch, op[3:]))
    return _GRAD_OPS[op](t)


@pytest.fixture
def restore_defaults():
    yield
    embertorch.set_printoptions(profile="default")
    embertorch.set_default_dtype(embertorch.float32)


def _case_id(case):
    first_line = case["expected"].split("\n", 1)[0]
    return f"{case['dtype']}-{'x'.join(map(str, case['shape'])) or 'scalar'}-{first_line[:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_repr_matches_pytorch(case, restore_defaults):
    if "default_dtype" in case:
        embertorch.set_default_dtype(getattr(embertorch, case["default_dtype"]))
    embertorch.set_printoptions(**{k: _decode(v) for k, v in case["options"].items()})
    t = _build(case)
    assert repr(t) == case["expected"]
    assert str(t) == case["expected"]


# ---------------------------------------------------------------------------
# Print options
# ---------------------------------------------------------------------------

DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def test_default_printoptions(restore_defaults):
    assert embertorch.get_printoptions() == DEFAULTS


def test_profiles(restore_defaults):
    embertorch.set_printoptions(profile="short")
    assert embertorch.get_printoptions() == {**DEFAULTS, "precision": 2, "edgeitems": 2}
    embertorch.set_printoptions(profile="full")
    assert embertorch.get_printoptions() == {**DEFAULTS, "threshold": math.inf}
    # Explicit arguments win over the profile.
    embertorch.set_printoptions(profile="default", precision=7)
    assert embertorch.get_printoptions() == {**DEFAULTS, "precision": 7}


def test_sci_mode_resets_on_every_call(restore_defaults):
    embertorch.set_printoptions(sci_mode=True)
    assert embertorch.get_printoptions()["sci_mode"] is True
    embertorch.set_printoptions(precision=3)
    assert embertorch.get_printoptions()["sci_mode"] is None


def test_printoptions_context_manager(restore_defaults):
    t = embertorch.tensor([1.123456, 2.5])
    with embertorch.printoptions(precision=2, sci_mode=True):
        assert embertorch.get_printoptions()["precision"] == 2
        assert repr(t) == "tensor([1.12e+00, 2.50e+00])"
    assert embertorch.get_printoptions() == DEFAULTS
    assert repr(t) == "tensor([1.1235, 2.5000])"


# ---------------------------------------------------------------------------
# The formatter on duck-typed tensors: device notes and fetching only edges
# ---------------------------------------------------------------------------


class _Device:
    def __init__(self, text):
        self.type, _, index = text.partition(":")
        self.index = int(index) if index else None
        self._text = text

    def __str__(self):
        return self._text


class _GradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class _LazyTensor:
    """A read-only view over ``value(flat_index)`` that counts what it reads."""

    def __init__(self, shape, value, dtype, device="cpu", grad_fn=None, offset=0, counter=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.device = _Device(device)
        self.grad_fn = grad_fn
        self.requires_grad = grad_fn is not None
        self._value = value
        self._offset = offset
        self._counter = counter if counter is not None else [0]

    def _stride0(self):
        return math.prod(self.shape[1:])

    def _view(self, shape, offset):
        return _LazyTensor(
            shape, self._value, self.dtype, str(self.device), self.grad_fn, offset, self._counter
        )

    def dim(self):
        return len(self.shape)

    def numel(self):
        return math.prod(self.shape)

    def is_floating_point(self):
        return str(self.dtype) in ("torch.float16", "torch.bfloat16", "torch.float32", "torch.float64")

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        length = self.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(length)
            assert step == 1
            stop = max(start, stop)
            return self._view((stop - start,) + self.shape[1:], self._offset + start * self._stride0())
        if key < 0:
            key += length
        return self._view(self.shape[1:], self._offset + key * self._stride0())

    def tolist(self):
        def build(shape, offset):
            if not shape:
                self._counter[0] += 1
                return self._value(offset)
            step = math.prod(shape[1:])
            return [build(shape[1:], offset + i * step) for i in range(shape[0])]

        return build(self.shape, self._offset)


def test_device_note_and_grad_fn():
    t = _LazyTensor((2,), lambda i: float(i + 1), embertorch.float32, device="cuda:0")
    assert _tensor_str.tensor_repr(t) == "tensor([1., 2.], device='cuda:0')"
    t = _LazyTensor((2,), lambda i: i + 1, embertorch.int32, device="cuda:1", grad_fn=_GradFn("AddBackward0"))
    assert (
        _tensor_str.tensor_repr(t)
        == "tensor([1, 2], device='cuda:1', dtype=torch.int32, grad_fn=<AddBackward0>)"
    )


def _summary(parts, separator):
    """Three edge parts, "...", three edge parts, as PyTorch lays them out."""
    return separator.join(parts[:3] + ["..."] + parts[3:])


def test_huge_tensor_reads_only_edge_items(restore_defaults):
    shape = (50000, 3, 32, 32)
    t = _LazyTensor(shape, lambda i: float(i % 32), embertorch.float32)
    row = "[ 0.,  1.,  2.,  ..., 29., 30., 31.]"
    # Deeper levels sit one column further right and are separated by one
    # more blank line.
    matrix = "[" + _summary([row] * 6, ",\n" + " " * 10) + "]"
    block = "[" + ",\n\n         ".join([matrix] * 3) + "]"
    expected = "tensor([" + _summary([block] * 6, ",\n\n\n" + " " * 8) + "])"
    assert _tensor_str.tensor_repr(t) == expected
    # 6 outer blocks x 3 channels x 6 rows x 6 values.
    assert t._counter[0] == 6 * 3 * 6 * 6
