//! CPU kernels: strided loops, copies, reductions, matmul. They know nothing of autograd.

pub mod copy;
pub mod elementwise;
pub mod iter;
pub mod math;
pub mod matmul;
pub mod reduce;
