"""The autograd graph's node type (`tensor.grad_fn`)."""

from .. import _C

Node = _C.Node
