//! CPU kernels: strided loops, copies, reductions, matmul. They know nothing of autograd.

pub mod copy;
pub mod elementwise;
pub mod iter;
pub mod matmul;
pub mod reduce;
pub mod math;
