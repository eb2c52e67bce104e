//! Bindings of the convolution and pooling kernels that `embertorch.nn.functional` builds on.

use super::tensor::PyTensor;
use crate::ops::nn::{self, Window2d};
use pyo3::prelude::*;

fn window(
    kernel: [usize; 2],
    dilation: [usize; 2],
    padding: [usize; 2],
    stride: [usize; 2],
) -> Window2d {
    Window2d {
        kernel,
        dilation,
        padding,
        stride,
    }
}

/// `(N, C, H, W)` -> `(N, C*kh*kw, L)` (`F.unfold` on a batched input).
#[pyfunction]
pub fn _im2col(
    input: PyRef<'_, PyTensor>,
    kernel_size: [usize; 2],
    dilation: [usize; 2],
    padding: [usize; 2],
    stride: [usize; 2],
) -> PyResult<PyTensor> {
    let win = window(kernel_size, dilation, padding, stride);
    Ok(PyTensor::new(nn::im2col(&input.t, win)?))
}

/// `(N, C*kh*kw, L)` -> `(N, C, H, W)` (`F.fold` on a batched input).
#[pyfunction]
pub fn _col2im(
    input: PyRef<'_, PyTensor>,
    output_size: [usize; 2],
    kernel_size: [usize; 2],
    dilation: [usize; 2],
    padding: [usize; 2],
    stride: [usize; 2],
) -> PyResult<PyTensor> {
    let win = window(kernel_size, dilation, padding, stride);
    Ok(PyTensor::new(nn::col2im(&input.t, output_size, win)?))
}

/// Flat in-plane index of each max-pooling window's maximum.
#[pyfunction]
pub fn _max_pool2d_indices(
    input: PyRef<'_, PyTensor>,
    kernel_size: [usize; 2],
    dilation: [usize; 2],
    padding: [usize; 2],
    stride: [usize; 2],
    output_size: [usize; 2],
) -> PyResult<PyTensor> {
    let win = window(kernel_size, dilation, padding, stride);
    Ok(PyTensor::new(nn::max_pool2d_indices(
        &input.t,
        win,
        output_size,
    )?))
}
