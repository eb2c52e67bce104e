"""Text rendering of tensors: what ``repr(t)`` / ``str(t)`` return.

The output reads exactly like PyTorch's, so that doctests, logs and habits
carry over unchanged.  The rules, in short:

* Every element of a tensor is printed in one common style and padded to one
  common width, so columns line up.  Floats get ``precision`` decimals, or
  scientific notation when the magnitudes are spread too far apart; floats
  that all happen to be whole numbers print as ``1.``.
* Tensors with more than ``threshold`` elements are summarised: only the
  first and last ``edgeitems`` entries of every dimension are shown, with
  ``...`` in between.
* Rows wrap to stay within ``linewidth`` characters, and the trailing
  ``dtype=`` / ``device=`` / ``requires_grad=`` notes go on a line of their
  own when the last line has no room left for them.

The tensor is duck-typed: only ``dim()``, ``shape``, ``numel()``, ``dtype``,
``is_floating_point()``, ``tolist()``, integer/slice indexing,
``requires_grad``, ``grad_fn`` and ``device`` are used, so this module needs
nothing else from the library and is cheap to import.
"""

import contextlib
import math

__all__ = [
    "get_printoptions",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]


class _DtypeName:
    """Stands for a dtype by name until embertorch installs its own getter."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return str(other) == self.name

    def __hash__(self):
        return hash(self.name)

    def __str__(self):
        return self.name


def _float32_default():
    return _DtypeName("torch.float32")


# Zero-argument callable returning the current default float dtype.  Its
# result is compared with ``t.dtype`` using ``==``.
_get_default_dtype = _float32_default


def _cpu_default_device():
    return "cpu"


# Zero-argument callable returning the device *type* that tensors live on by
# default; tensors elsewhere get a ``device=...`` note.
_get_default_device_type = _cpu_default_device


# ---------------------------------------------------------------------------
# Print options
# ---------------------------------------------------------------------------


class _PrintOptions:
    """The live print settings (one shared instance, like PyTorch's)."""

    __slots__ = ("edgeitems", "linewidth", "precision", "sci_mode", "threshold")

    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = _PrintOptions()

# The order get_printoptions() reports the settings in.
_OPTION_NAMES = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

# Named bundles of settings accepted through ``profile=``.  ``sci_mode`` is
# not part of any profile: it is reset on every call anyway (see below).
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Change how tensors are printed.

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: element count above which tensors are summarised
            (default 1000).
        edgeitems: entries kept at each end of every dimension when
            summarising (default 3).
        linewidth: characters per line before rows wrap (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"`` (never summarise);
            applied first, so the other arguments can override it.
        sci_mode: ``True``/``False`` to force or forbid scientific notation;
            ``None`` lets the formatter choose.

    As in PyTorch, ``sci_mode`` is set on every call, so leaving it out
    returns it to automatic.
    """
    # An unknown profile name is ignored, as PyTorch ignores it.
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """Current print settings, as keyword arguments for set_printoptions()."""
    return {name: getattr(PRINT_OPTS, name) for name in _OPTION_NAMES}


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily apply set_printoptions(**kwargs) inside a ``with`` block."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------------
# Collecting the values to show
# ---------------------------------------------------------------------------


class _Elided:
    """Marks the place of the entries left out of a summarised dimension."""

    __slots__ = ()


_ELIDED = _Elided()


def _visible_values(t, ndim, summarize, edge):
    """Nested lists holding exactly the entries that will be printed.

    When summarising, only the edge entries of each dimension are fetched
    (through indexing and slicing), so a huge tensor costs no more than a
    small one.  ``_ELIDED`` stands where entries were skipped.
    """
    if not summarize or ndim == 0:
        return t.tolist()
    return _edge_values(t, ndim, edge)


def _edge_values(t, ndim, edge):
    length = t.shape[0]
    if ndim == 1:
        if length > 2 * edge:
            return t[:edge].tolist() + [_ELIDED] + t[length - edge :].tolist()
        return t.tolist()
    if length > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(length - edge, length))
    else:
        rows = range(length)
    return [_ELIDED if i is None else _edge_values(t[i], ndim - 1, edge) for i in rows]


def _flatten(nested, ndim):
    """All scalars of a nested list, skipping the ``_ELIDED`` markers.

    The order is not kept: only widths and magnitudes are taken from it.
    """
    if ndim == 0:
        return [nested]
    flat = []
    stack = [(nested, ndim)]
    while stack:
        items, depth = stack.pop()
        if depth == 1:
            flat.extend(v for v in items if v is not _ELIDED)
        else:
            stack.extend((v, depth - 1) for v in items if v is not _ELIDED)
    return flat


# ---------------------------------------------------------------------------
# Formatting single values
# ---------------------------------------------------------------------------


class _Formatter:
    """Chooses one style and width for a set of values, then formats each.

    Only nonzero finite values take part in the choice (a tensor full of
    zeros or nans says nothing about the scale), so a ``nan``, ``inf`` or
    ``-0.`` may come out wider than the common width.
    """

    def __init__(self, values, floating, opts):
        self.floating = floating
        self.precision = opts.precision
        self.int_mode = True  # every float is a whole number
        self.sci_mode = False
        self.width = 1

        if not floating:
            for value in values:
                self.width = max(self.width, len(str(value)))
            return

        scaled = [v for v in values if v != 0 and math.isfinite(v)]
        if not scaled:
            # Nothing to measure: whole-number style, forced sci_mode or not.
            return

        self.int_mode = all(v == math.ceil(v) for v in scaled)
        magnitudes = [abs(v) for v in scaled]
        smallest, largest = min(magnitudes), max(magnitudes)
        if opts.sci_mode is None:
            # Fixed point would lose the small values or get unwieldy.
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = opts.sci_mode

        if self.sci_mode:
            lengths = (len(self._sci(v)) for v in scaled)
        elif self.int_mode:
            # One more for the trailing "." that marks the value as a float.
            lengths = (len(f"{v:.0f}") + 1 for v in scaled)
        else:
            lengths = (len(self._fixed(v)) for v in scaled)
        self.width = max(self.width, max(lengths))

    def _sci(self, value):
        return f"{value:.{self.precision}e}"

    def _fixed(self, value):
        return f"{value:.{self.precision}f}"

    def format(self, value):
        """``value`` as text, right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = self._sci(value)
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = self._fixed(value)
        return text.rjust(self.width)


class _ComplexFormatter:
    """Formats complex values as ``re+imj`` with separate widths per part."""

    def __init__(self, values, opts):
        self.real = _Formatter([v.real for v in values], True, opts)
        self.imag = _Formatter([v.imag for v in values], True, opts)
        # Room for both parts plus the "j".
        self.width = self.real.width + self.imag.width + 1

    def format(self, value):
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        if imag[0] not in "+-":
            imag = "+" + imag
        return real + imag


# ---------------------------------------------------------------------------
# Laying out the nested brackets
# ---------------------------------------------------------------------------


def _render(nested, ndim, indent, formatter, linewidth):
    if ndim == 0:
        return formatter.format(nested)
    if ndim == 1:
        return _render_row(nested, indent, formatter, linewidth)
    blocks = [
        "..." if child is _ELIDED else _render(child, ndim - 1, indent + 1, formatter, linewidth)
        for child in nested
    ]
    # Deeper blocks are set apart by blank lines: one fewer than their rank.
    separator = "," + "\n" * (ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _render_row(values, indent, formatter, linewidth):
    cells = [" ..." if v is _ELIDED else formatter.format(v) for v in values]
    # Every cell is budgeted at the common width plus ", ", so wrapped lines
    # keep their columns aligned.
    per_line = max(1, math.floor((linewidth - indent) / (formatter.width + 2)))
    lines = [", ".join(cells[start : start + per_line]) for start in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _is_complex(dtype_name):
    return dtype_name.startswith("torch.complex")


def _body(t, indent, dtype_name):
    """The bracketed contents of a non-empty tensor."""
    opts = PRINT_OPTS
    ndim = t.dim()
    summarize = t.numel() > opts.threshold
    if summarize and ndim > 0 and not opts.edgeitems:
        # No edge items to show at all; the shape goes into a size= note.
        return "[...]"

    nested = _visible_values(t, ndim, summarize, opts.edgeitems)
    values = _flatten(nested, ndim)
    if _is_complex(dtype_name):
        formatter = _ComplexFormatter(values, opts)
    else:
        formatter = _Formatter(values, t.is_floating_point(), opts)
    return _render(nested, ndim, indent, formatter, opts.linewidth)


# ---------------------------------------------------------------------------
# The trailing notes: device=, size=, dtype=, grad_fn= / requires_grad=
# ---------------------------------------------------------------------------


def _shape_text(t):
    return str(tuple(int(n) for n in t.shape))


def _default_complex_name():
    if str(_get_default_dtype()) == "torch.float64":
        return "torch.complex128"
    return "torch.complex64"


def _device_note(t):
    device = t.device
    default = _get_default_device_type()
    index = getattr(device, "index", None)
    if device.type != default or device.type == "mps" or (device.type == "cuda" and index not in (None, 0)):
        return f"device='{device}'"
    return None


def _grad_note(t):
    grad_fn = t.grad_fn
    if grad_fn is not None:
        # Names may come qualified ("torch::autograd::AddBackward0").
        return f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>"
    if t.requires_grad:
        return "requires_grad=True"
    return None


def _attach_notes(text, notes, indent, linewidth):
    """Append ``, note`` for each note, wrapping onto new lines as needed.

    The length kept for the current line runs two characters long at first
    (PyTorch measures it that way), which decides when a note wraps; the
    output must wrap at the same points.
    """
    parts = [text]
    line_len = len(text) - text.rfind("\n") + 1
    for note in notes:
        if line_len + len(note) + 2 > linewidth:
            parts.append(",\n" + " " * indent + note)
            line_len = indent + len(note)
        else:
            parts.append(", " + note)
            line_len += len(note) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t):
    """The text ``repr(t)`` and ``str(t)`` return, exactly as PyTorch prints."""
    prefix = "tensor("
    indent = len(prefix)
    dtype_name = str(t.dtype)
    is_default_float = t.dtype == _get_default_dtype()
    notes = []

    device_note = _device_note(t)
    if device_note is not None:
        notes.append(device_note)

    if t.numel() == 0:
        body = "[]"
        # "[]" alone already means shape (0,); anything else needs the shape.
        if t.dim() != 1:
            notes.append("size=" + _shape_text(t))
        # With no elements to look at, even int64 and bool must be named.
        if not is_default_float:
            notes.append("dtype=" + dtype_name)
    else:
        if not PRINT_OPTS.edgeitems:
            notes.append("size=" + _shape_text(t))
        implied = is_default_float or dtype_name in (
            "torch.int64",
            "torch.bool",
            _default_complex_name(),
        )
        if not implied:
            notes.append("dtype=" + dtype_name)
        body = _body(t, indent, dtype_name)

    grad_note = _grad_note(t)
    if grad_note is not None:
        notes.append(grad_note)

    return _attach_notes(prefix + body, notes, indent, PRINT_OPTS.linewidth)
