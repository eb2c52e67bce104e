//! Tensor methods and functions for sorting, searching and indexing ops (`sort`, `topk`,
//! `quantile`, `unique`, `searchsorted`, `index_add`, `masked_scatter`, `take`,
//! `scatter_reduce`, ...), and `x[...] = v`.

use super::args::{index_items, operand, operand_any, require_scalar, scalar};
use super::errors::type_error;
use super::tensor::{update, PyTensor};
use crate::dtype::Scalar;
use crate::ops::index::{self, FillValue};
use crate::ops::sort::{self, Quantiles};
use crate::tensor::Tensor;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple};

static RETURN_TYPES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `embertorch.return_types.<name>(values, indices)` (the named tuples PyTorch returns).
fn values_indices(
    py: Python<'_>,
    name: &str,
    (values, indices): (Tensor, Tensor),
) -> PyResult<Py<PyAny>> {
    let types = RETURN_TYPES.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("embertorch._tensor")?
            .getattr("return_types")?
            .unbind())
    })?;
    let ctor = types.bind(py).getattr(name)?;
    Ok(ctor
        .call1((PyTensor::new(values), PyTensor::new(indices)))?
        .unbind())
}

fn wrap(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    Ok(Bound::new(py, PyTensor::new(t))?.into_any().unbind())
}

fn tensor_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor> {
    match obj.cast::<PyTensor>() {
        Ok(t) => Ok(t.borrow().t.clone()),
        Err(_) => Err(type_error(format!(
            "{what} must be Tensor, not {}",
            obj.get_type().name()?
        ))),
    }
}

/// The results of unique: values, then the inverse and counts when asked for.
fn unique_result(
    py: Python<'_>,
    u: sort::Unique,
    return_inverse: bool,
    return_counts: bool,
) -> PyResult<Py<PyAny>> {
    if !return_inverse && !return_counts {
        return wrap(py, u.values);
    }
    let mut items = vec![PyTensor::new(u.values)];
    if return_inverse {
        items.push(PyTensor::new(u.inverse));
    }
    if return_counts {
        items.push(PyTensor::new(u.counts));
    }
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

/// The `indices` of index_put: a tuple or list of tensors.
fn index_tensors(indices: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(t) = indices.cast::<PyTuple>() {
        t.iter().collect()
    } else if let Ok(l) = indices.cast::<PyList>() {
        l.iter().collect()
    } else {
        return Err(type_error(format!(
            "index_put(): argument 'indices' must be tuple of Tensors, not {}",
            indices.get_type().name()?
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, o)| {
            o.cast::<PyTensor>()
                .map(|t| t.borrow().t.clone())
                .map_err(|_| {
                    type_error(format!(
                        "expected Tensor as element {i} in argument 0, but got {}",
                        o.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
        })
        .collect()
}

fn quantiles(q: &Bound<'_, PyAny>) -> PyResult<Quantiles> {
    if let Ok(t) = q.cast::<PyTensor>() {
        return Ok(Quantiles::Tensor(t.borrow().t.clone()));
    }
    match scalar(q) {
        Some(s) if !matches!(s, Scalar::Bool(_)) => Ok(Quantiles::Scalar(s.to_f64())),
        _ => Err(type_error(format!(
            "quantile(): argument 'q' must be float or Tensor, not {}",
            q.get_type().name()?
        ))),
    }
}

#[pymethods]
impl PyTensor {
    // --- sorting ------------------------------------------------------------------------

    #[pyo3(signature = (dim=-1, descending=false, *, stable=None))]
    fn sort(
        &self,
        py: Python<'_>,
        dim: i64,
        descending: bool,
        stable: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        let t = self.t.clone();
        let r = py.detach(|| sort::sort(&t, dim, descending, stable))?;
        values_indices(py, "sort", r)
    }
    #[pyo3(signature = (dim=-1, descending=false, *, stable=false))]
    fn argsort(
        &self,
        py: Python<'_>,
        dim: i64,
        descending: bool,
        stable: bool,
    ) -> PyResult<PyTensor> {
        let _ = stable;
        let t = self.t.clone();
        Ok(PyTensor::new(
            py.detach(|| sort::argsort(&t, dim, descending))?,
        ))
    }
    fn msort(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::msort(&self.t)?))
    }
    #[pyo3(signature = (k, dim=-1, largest=true, sorted=true))]
    fn topk(
        &self,
        py: Python<'_>,
        k: i64,
        dim: i64,
        largest: bool,
        sorted: bool,
    ) -> PyResult<Py<PyAny>> {
        // Results come back sorted either way (`sorted=False` leaves the order unspecified).
        let _ = sorted;
        let t = self.t.clone();
        let r = py.detach(|| sort::topk(&t, k, dim, largest))?;
        values_indices(py, "topk", r)
    }
    #[pyo3(signature = (k, dim=-1, keepdim=false))]
    fn kthvalue(&self, py: Python<'_>, k: i64, dim: i64, keepdim: bool) -> PyResult<Py<PyAny>> {
        values_indices(py, "kthvalue", sort::kthvalue(&self.t, k, dim, keepdim)?)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn median(&self, py: Python<'_>, dim: Option<i64>, keepdim: bool) -> PyResult<Py<PyAny>> {
        match dim {
            None => wrap(py, sort::median_all(&self.t, false)?),
            Some(d) => values_indices(py, "median", sort::median_dim(&self.t, d, keepdim, false)?),
        }
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn nanmedian(&self, py: Python<'_>, dim: Option<i64>, keepdim: bool) -> PyResult<Py<PyAny>> {
        match dim {
            None => wrap(py, sort::median_all(&self.t, true)?),
            Some(d) => values_indices(
                py,
                "nanmedian",
                sort::median_dim(&self.t, d, keepdim, true)?,
            ),
        }
    }
    #[pyo3(signature = (dim=-1, keepdim=false))]
    fn mode(&self, py: Python<'_>, dim: i64, keepdim: bool) -> PyResult<Py<PyAny>> {
        values_indices(py, "mode", sort::mode(&self.t, dim, keepdim)?)
    }
    #[pyo3(signature = (q, dim=None, keepdim=false, *, interpolation="linear"))]
    fn quantile(
        &self,
        q: &Bound<'_, PyAny>,
        dim: Option<i64>,
        keepdim: bool,
        interpolation: &str,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::quantile(
            &self.t,
            &quantiles(q)?,
            dim,
            keepdim,
            interpolation,
            false,
        )?))
    }
    #[pyo3(signature = (q, dim=None, keepdim=false, *, interpolation="linear"))]
    fn nanquantile(
        &self,
        q: &Bound<'_, PyAny>,
        dim: Option<i64>,
        keepdim: bool,
        interpolation: &str,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::nanquantile(
            &self.t,
            &quantiles(q)?,
            dim,
            keepdim,
            interpolation,
        )?))
    }
    /// Results are sorted whatever `sorted` says, as on PyTorch's CPU.
    #[pyo3(signature = (sorted=true, return_inverse=false, return_counts=false, dim=None))]
    fn unique(
        &self,
        py: Python<'_>,
        sorted: bool,
        return_inverse: bool,
        return_counts: bool,
        dim: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        let _ = sorted;
        let u = sort::unique(&self.t, dim)?;
        unique_result(py, u, return_inverse, return_counts)
    }
    #[pyo3(signature = (return_inverse=false, return_counts=false, dim=None))]
    fn unique_consecutive(
        &self,
        py: Python<'_>,
        return_inverse: bool,
        return_counts: bool,
        dim: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        let u = sort::unique_consecutive(&self.t, dim)?;
        unique_result(py, u, return_inverse, return_counts)
    }
    #[pyo3(signature = (weights=None, minlength=0))]
    fn bincount(&self, weights: Option<PyRef<'_, PyTensor>>, minlength: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::bincount(
            &self.t,
            weights.as_ref().map(|w| &w.t),
            minlength,
        )?))
    }
    #[pyo3(signature = (bins=100, min=0.0, max=0.0))]
    fn histc(&self, bins: i64, min: f64, max: f64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::histc(&self.t, bins, min, max)?))
    }
    fn argwhere(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(sort::argwhere(&self.t)?))
    }

    // --- indexing -----------------------------------------------------------------------

    fn __setitem__(
        slf: &Bound<'_, Self>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let items = index_items(key)?;
        let t = slf.borrow().t.clone();
        let r = if let Some(s) = scalar(value) {
            index::index_fill(&t, &items, s)?
        } else {
            let v = match value.cast::<PyTensor>() {
                Ok(v) => v.borrow().t.clone(),
                Err(_) => super::args::data_to_tensor(value, Some(t.dtype()))?,
            };
            index::index_put(&t, &items, &v)?
        };
        update(slf, r);
        Ok(())
    }

    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        source: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let s = tensor_arg(source, "source")?;
        Ok(PyTensor::new(index::index_add(
            &self.t,
            dim,
            &index.t,
            &s,
            alpha_of(alpha)?,
            false,
        )?))
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        source: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let s = tensor_arg(source, "source")?;
        let t = slf.borrow().t.clone();
        Ok(update(
            slf,
            index::index_add(&t, dim, &index.t, &s, alpha_of(alpha)?, true)?,
        ))
    }
    fn index_copy(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        source: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        let s = tensor_arg(source, "source")?;
        Ok(PyTensor::new(index::index_copy(
            &self.t, dim, &index.t, &s, false,
        )?))
    }
    fn index_copy_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        source: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let s = tensor_arg(source, "source")?;
        let t = slf.borrow().t.clone();
        Ok(update(slf, index::index_copy(&t, dim, &index.t, &s, true)?))
    }
    fn index_fill(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::index_fill_dim(
            &self.t,
            dim,
            &index.t,
            &fill_value(value)?,
            false,
        )?))
    }
    fn index_fill_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        Ok(update(
            slf,
            index::index_fill_dim(&t, dim, &index.t, &fill_value(value)?, true)?,
        ))
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put(
        &self,
        indices: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        accumulate: bool,
    ) -> PyResult<PyTensor> {
        let v = tensor_arg(values, "values")?;
        Ok(PyTensor::new(index::index_put_tensors(
            &self.t,
            &index_tensors(indices)?,
            &v,
            accumulate,
            false,
        )?))
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put_<'py>(
        slf: &Bound<'py, Self>,
        indices: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        accumulate: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let v = tensor_arg(values, "values")?;
        let t = slf.borrow().t.clone();
        Ok(update(
            slf,
            index::index_put_tensors(&t, &index_tensors(indices)?, &v, accumulate, true)?,
        ))
    }
    fn masked_select(&self, mask: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::masked_select(&self.t, &mask.t)?))
    }
    fn masked_scatter(
        &self,
        mask: PyRef<'_, PyTensor>,
        source: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        let s = tensor_arg(source, "source")?;
        Ok(PyTensor::new(index::masked_scatter(
            &self.t, &mask.t, &s, false,
        )?))
    }
    fn masked_scatter_<'py>(
        slf: &Bound<'py, Self>,
        mask: PyRef<'py, PyTensor>,
        source: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let s = tensor_arg(source, "source")?;
        let t = slf.borrow().t.clone();
        Ok(update(slf, index::masked_scatter(&t, &mask.t, &s, true)?))
    }
    fn take(&self, index: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::take(&self.t, &index.t)?))
    }
    #[pyo3(signature = (indices, dim=None))]
    fn take_along_dim(&self, indices: PyRef<'_, PyTensor>, dim: Option<i64>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::take_along_dim(
            &self.t, &indices.t, dim,
        )?))
    }
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put(
        &self,
        index: PyRef<'_, PyTensor>,
        source: &Bound<'_, PyAny>,
        accumulate: bool,
    ) -> PyResult<PyTensor> {
        let s = tensor_arg(source, "source")?;
        Ok(PyTensor::new(index::put(
            &self.t, &index.t, &s, accumulate, false,
        )?))
    }
    #[pyo3(signature = (index, source, accumulate=false))]
    fn put_<'py>(
        slf: &Bound<'py, Self>,
        index: PyRef<'py, PyTensor>,
        source: &Bound<'py, PyAny>,
        accumulate: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let s = tensor_arg(source, "source")?;
        let t = slf.borrow().t.clone();
        Ok(update(slf, index::put(&t, &index.t, &s, accumulate, true)?))
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: &Bound<'_, PyAny>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<PyTensor> {
        let s = tensor_arg(src, "src")?;
        Ok(PyTensor::new(index::scatter_reduce(
            &self.t,
            dim,
            &index.t,
            &s,
            reduce,
            include_self,
            false,
        )?))
    }
    #[pyo3(signature = (dim, index, src, reduce, *, include_self=true))]
    fn scatter_reduce_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: &Bound<'py, PyAny>,
        reduce: &str,
        include_self: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let s = tensor_arg(src, "src")?;
        let t = slf.borrow().t.clone();
        Ok(update(
            slf,
            index::scatter_reduce(&t, dim, &index.t, &s, reduce, include_self, true)?,
        ))
    }
}

fn alpha_of(alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Scalar> {
    match alpha {
        None => Ok(Scalar::Int(1)),
        Some(a) => require_scalar(a, "alpha"),
    }
}

fn fill_value(value: &Bound<'_, PyAny>) -> PyResult<FillValue> {
    if let Ok(t) = value.cast::<PyTensor>() {
        return Ok(FillValue::Tensor(t.borrow().t.clone()));
    }
    Ok(FillValue::Scalar(require_scalar(value, "value")?))
}

/// A search operand: a tensor, or a Python number (a 0-dim result).
fn search_operand(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor> {
    match operand(obj) {
        Some(t) => Ok(t),
        None => operand_any(obj, what),
    }
}

/// `searchsorted(sorted_sequence, input, *, out_int32, right, side, sorter)`.
#[pyfunction]
#[pyo3(signature = (sorted_sequence, input, *, out_int32=false, right=false, side=None, sorter=None))]
pub fn searchsorted(
    sorted_sequence: PyRef<'_, PyTensor>,
    input: &Bound<'_, PyAny>,
    out_int32: bool,
    right: bool,
    side: Option<&str>,
    sorter: Option<PyRef<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let v = search_operand(input, "input")?;
    let s = sorter.as_ref().map(|s| &s.t);
    Ok(PyTensor::new(sort::searchsorted(
        &sorted_sequence.t,
        &v,
        out_int32,
        right,
        side,
        s,
    )?))
}

/// `bucketize(input, boundaries, *, out_int32, right)`.
#[pyfunction]
#[pyo3(signature = (input, boundaries, *, out_int32=false, right=false))]
pub fn bucketize(
    input: &Bound<'_, PyAny>,
    boundaries: PyRef<'_, PyTensor>,
    out_int32: bool,
    right: bool,
) -> PyResult<PyTensor> {
    let v = search_operand(input, "input")?;
    Ok(PyTensor::new(sort::bucketize(
        &v,
        &boundaries.t,
        out_int32,
        right,
    )?))
}
