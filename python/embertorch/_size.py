"""``embertorch.Size``: the type of ``tensor.shape``, a tuple of ints."""


class Size(tuple):
    """A tuple of dimension sizes, printed as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        # Only ints (or objects with __index__, like numpy ints and 0-dim integer
        # tensors) are sizes, as in PyTorch.
        items = []
        for i, s in enumerate(sizes):
            if isinstance(s, float) or not hasattr(s, "__index__"):
                raise TypeError(
                    f"torch.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')"
                )
            items.append(s.__index__() if hasattr(s, "dim") else s)
        return tuple.__new__(cls, items)

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
