//! Bindings of the linear algebra ops (`embertorch.linalg` and the top-level names). The
//! Python layer (`embertorch/linalg.py`) parses the remaining arguments, wraps results in
//! PyTorch's named tuples and composes the ops that need no kernel of their own.

use super::tensor::PyTensor;
use crate::error::Result;
use crate::ops::linalg::{self, QrMode};
use crate::tensor::Tensor;
use pyo3::prelude::*;

type Pair = (PyTensor, PyTensor);

fn pair((a, b): (Tensor, Tensor)) -> Pair {
    (PyTensor::new(a), PyTensor::new(b))
}

/// Run an op with the GIL released (decompositions of big matrices take a while).
fn run<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T> + Send) -> PyResult<T> {
    Ok(py.detach(f)?)
}

#[pyfunction]
fn _linalg_inv(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
    let a = a.t.clone();
    run(py, || linalg::inv(&a)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_inv_ex(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<Pair> {
    let a = a.t.clone();
    run(py, || linalg::inv_ex(&a)).map(pair)
}

#[pyfunction]
fn _linalg_det(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
    let a = a.t.clone();
    run(py, || linalg::det(&a)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_slogdet(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<Pair> {
    let a = a.t.clone();
    run(py, || linalg::slogdet(&a)).map(pair)
}

#[pyfunction]
fn _linalg_logdet(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
    let a = a.t.clone();
    run(py, || linalg::logdet(&a)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_solve(
    py: Python<'_>,
    a: PyRef<'_, PyTensor>,
    b: PyRef<'_, PyTensor>,
    left: bool,
) -> PyResult<PyTensor> {
    let (a, b) = (a.t.clone(), b.t.clone());
    run(py, || linalg::solve(&a, &b, left)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_cholesky(
    py: Python<'_>,
    a: PyRef<'_, PyTensor>,
    upper: bool,
    api: &str,
) -> PyResult<PyTensor> {
    let a = a.t.clone();
    let api = api.to_string();
    run(py, || linalg::cholesky(&a, upper, &api)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_cholesky_ex(py: Python<'_>, a: PyRef<'_, PyTensor>, upper: bool) -> PyResult<Pair> {
    let a = a.t.clone();
    run(py, || linalg::cholesky_ex(&a, upper)).map(pair)
}

#[pyfunction]
fn _linalg_qr(py: Python<'_>, a: PyRef<'_, PyTensor>, mode: &str) -> PyResult<Pair> {
    let a = a.t.clone();
    let mode = QrMode::parse(mode)?;
    run(py, || linalg::qr(&a, mode)).map(pair)
}

#[pyfunction]
fn _linalg_eigh(py: Python<'_>, a: PyRef<'_, PyTensor>, uplo: &str) -> PyResult<Pair> {
    let a = a.t.clone();
    let uplo = uplo.to_string();
    run(py, || linalg::eigh(&a, &uplo)).map(pair)
}

#[pyfunction]
fn _linalg_svd(
    py: Python<'_>,
    a: PyRef<'_, PyTensor>,
    full_matrices: bool,
) -> PyResult<(PyTensor, PyTensor, PyTensor)> {
    let a = a.t.clone();
    let (u, s, vh) = run(py, || linalg::svd(&a, full_matrices))?;
    Ok((PyTensor::new(u), PyTensor::new(s), PyTensor::new(vh)))
}

#[pyfunction]
fn _linalg_svdvals(py: Python<'_>, a: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
    let a = a.t.clone();
    run(py, || linalg::svdvals(&a)).map(PyTensor::new)
}

#[pyfunction]
fn _linalg_eig_unsupported(f: &str) -> PyResult<()> {
    Err(linalg::eig_unsupported(f).into())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for func in [
        wrap_pyfunction!(_linalg_inv, m)?,
        wrap_pyfunction!(_linalg_inv_ex, m)?,
        wrap_pyfunction!(_linalg_det, m)?,
        wrap_pyfunction!(_linalg_slogdet, m)?,
        wrap_pyfunction!(_linalg_logdet, m)?,
        wrap_pyfunction!(_linalg_solve, m)?,
        wrap_pyfunction!(_linalg_cholesky, m)?,
        wrap_pyfunction!(_linalg_cholesky_ex, m)?,
        wrap_pyfunction!(_linalg_qr, m)?,
        wrap_pyfunction!(_linalg_eigh, m)?,
        wrap_pyfunction!(_linalg_svd, m)?,
        wrap_pyfunction!(_linalg_svdvals, m)?,
        wrap_pyfunction!(_linalg_eig_unsupported, m)?,
    ] {
        m.add_function(func)?;
    }
    Ok(())
}
