//! PyO3 bindings: the `embertorch._C` extension module. This layer converts arguments and
//! dispatches; the math lives in `crate::ops`.

mod args;
mod autograd;
mod dlpack;
mod dtype;
mod errors;
mod functions;
mod joins;
mod linalg;
mod nn;
mod numpy;
mod ops;
mod optim;
mod sorting;
mod tensor;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyTuple, PyType};

static SIZE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `embertorch.Size(sizes)` (a plain tuple until the Python package registers Size).
pub(crate) fn size_object<'py>(py: Python<'py>, sizes: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    let tuple = PyTuple::new(py, sizes)?;
    match SIZE_TYPE.get(py) {
        Some(t) => t.bind(py).call1((tuple,)),
        None => Ok(tuple.into_any()),
    }
}

/// `torch.Size([2, 3])` as text, for messages.
pub(crate) fn size_repr(sizes: &[usize]) -> String {
    format!("torch.Size({})", crate::shape::fmt_sizes(sizes))
}

pub(crate) fn cuda_unavailable_message() -> &'static str {
    "CUDA is not available: this build of embertorch has no CUDA support (no GPU backend was compiled in)"
}

#[pyfunction]
fn _register_size_type(py: Python<'_>, t: Bound<'_, PyType>) -> PyResult<()> {
    let _ = SIZE_TYPE.set(py, t.unbind());
    Ok(())
}

#[pyfunction]
fn _cuda_unavailable_reason() -> &'static str {
    cuda_unavailable_message()
}

#[pymodule]
#[pyo3(name = "_C")]
fn embertorch_c(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<dtype::PyDevice>()?;
    m.add_class::<functions::PyGenerator>()?;
    m.add_class::<autograd::PyNode>()?;
    m.add_class::<autograd::RemovableHandle>()?;
    m.add_class::<numpy::StorageOwner>()?;
    m.add("LinAlgError", py.get_type::<errors::LinAlgError>())?;
    for d in crate::dtype::DType::ALL {
        m.add(d.name(), dtype::dtype_object(py, d))?;
    }
    m.add_function(wrap_pyfunction!(_register_size_type, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_unavailable_reason, m)?)?;
    m.add_function(wrap_pyfunction!(dlpack::from_dlpack, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_run_backward, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_record_function, m)?)?;
    m.add_class::<autograd::SavedOutput>()?;
    m.add_function(wrap_pyfunction!(autograd::_save_output, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_requires_grad, m)?)?;
    m.add_function(wrap_pyfunction!(nn::_im2col, m)?)?;
    m.add_function(wrap_pyfunction!(nn::_col2im, m)?)?;
    m.add_function(wrap_pyfunction!(nn::_max_pool2d_indices, m)?)?;
    optim::register(m)?;
    linalg::register(m)?;
    use functions as f;
    for func in [
        wrap_pyfunction!(f::tensor, m)?,
        wrap_pyfunction!(f::as_tensor, m)?,
        wrap_pyfunction!(f::from_numpy, m)?,
        wrap_pyfunction!(f::zeros, m)?,
        wrap_pyfunction!(f::ones, m)?,
        wrap_pyfunction!(f::empty, m)?,
        wrap_pyfunction!(f::full, m)?,
        wrap_pyfunction!(f::zeros_like, m)?,
        wrap_pyfunction!(f::ones_like, m)?,
        wrap_pyfunction!(f::empty_like, m)?,
        wrap_pyfunction!(f::full_like, m)?,
        wrap_pyfunction!(f::arange, m)?,
        wrap_pyfunction!(f::linspace, m)?,
        wrap_pyfunction!(f::logspace, m)?,
        wrap_pyfunction!(f::eye, m)?,
        wrap_pyfunction!(f::rand, m)?,
        wrap_pyfunction!(f::randn, m)?,
        wrap_pyfunction!(f::rand_like, m)?,
        wrap_pyfunction!(f::randn_like, m)?,
        wrap_pyfunction!(f::randint, m)?,
        wrap_pyfunction!(f::randperm, m)?,
        wrap_pyfunction!(f::normal, m)?,
        wrap_pyfunction!(f::bernoulli, m)?,
        wrap_pyfunction!(f::multinomial, m)?,
        wrap_pyfunction!(f::default_generator, m)?,
        wrap_pyfunction!(f::cat, m)?,
        wrap_pyfunction!(f::stack, m)?,
        wrap_pyfunction!(f::where_, m)?,
        wrap_pyfunction!(f::result_type, m)?,
        wrap_pyfunction!(f::promote_types, m)?,
        wrap_pyfunction!(f::can_cast, m)?,
        wrap_pyfunction!(f::get_default_dtype, m)?,
        wrap_pyfunction!(f::set_default_dtype, m)?,
        wrap_pyfunction!(f::manual_seed, m)?,
        wrap_pyfunction!(f::seed, m)?,
        wrap_pyfunction!(f::initial_seed, m)?,
        wrap_pyfunction!(f::is_tensor, m)?,
        wrap_pyfunction!(sorting::searchsorted, m)?,
        wrap_pyfunction!(sorting::bucketize, m)?,
    ] {
        m.add_function(func)?;
    }
    for func in [
        wrap_pyfunction!(joins::hstack, m)?,
        wrap_pyfunction!(joins::vstack, m)?,
        wrap_pyfunction!(joins::row_stack, m)?,
        wrap_pyfunction!(joins::dstack, m)?,
        wrap_pyfunction!(joins::column_stack, m)?,
        wrap_pyfunction!(joins::atleast_1d, m)?,
        wrap_pyfunction!(joins::atleast_2d, m)?,
        wrap_pyfunction!(joins::atleast_3d, m)?,
        wrap_pyfunction!(joins::broadcast_tensors, m)?,
        wrap_pyfunction!(joins::broadcast_shapes, m)?,
        wrap_pyfunction!(joins::meshgrid, m)?,
        wrap_pyfunction!(joins::cartesian_prod, m)?,
        wrap_pyfunction!(joins::combinations, m)?,
        wrap_pyfunction!(joins::tensordot, m)?,
        wrap_pyfunction!(joins::einsum, m)?,
        wrap_pyfunction!(joins::addmv_, m)?,
    ] {
        m.add_function(func)?;
    }
    Ok(())
}
