//! The `Tensor` class: attributes, conversions, and the Python protocols.

use super::args::{self, data_to_tensor, int_list, sizes_from_args};
use super::dtype::{dtype_object, extract_device, extract_dtype, require_cpu, PyDType, PyDevice};
use super::errors::type_error;
use super::size_object;
use crate::autograd;
use crate::dtype::{default_float, DType, Scalar};
use crate::ops;
use crate::shape::{check_sizes, wrap_dim};
use crate::tensor::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyTuple};

#[pyclass(name = "Tensor", module = "embertorch", subclass, dict, weakref)]
pub struct PyTensor {
    pub t: Tensor,
}

impl PyTensor {
    pub fn new(t: Tensor) -> PyTensor {
        PyTensor { t }
    }
}

/// Replace the tensor behind a Python object when an op gave it a new handle (in-place
/// ops that attach history, `t_()`, `requires_grad_()`), and return the object.
pub fn update<'py>(slf: &Bound<'py, PyTensor>, new: Tensor) -> Bound<'py, PyTensor> {
    let same = slf.borrow().t.is_same(&new);
    if !same {
        slf.borrow_mut().t = new;
    }
    slf.clone()
}

/// Python values of a tensor as nested lists (floats, ints or bools).
pub fn to_pylist(py: Python<'_>, t: &Tensor) -> PyResult<Py<PyAny>> {
    let c = ops::copy::clone_contiguous(t);
    let n = c.numel();
    let items: Vec<Py<PyAny>> = crate::dispatch_all!(c.dtype(), T => {
        let p = c.data_ptr::<T>();
        (0..n)
            .map(|i| scalar_to_py(py, <T as crate::dtype::Element>::to_scalar(unsafe { *p.add(i) })))
            .collect::<PyResult<Vec<_>>>()?
    });
    if t.ndim() == 0 {
        return Ok(items.into_iter().next().expect("one element"));
    }
    nest(py, &items, t.sizes())
}

fn nest(py: Python<'_>, items: &[Py<PyAny>], sizes: &[usize]) -> PyResult<Py<PyAny>> {
    if sizes.len() == 1 {
        return Ok(PyList::new(py, items.iter().map(|i| i.clone_ref(py)))?
            .into_any()
            .unbind());
    }
    let step: usize = sizes[1..].iter().product();
    let parts: Vec<Py<PyAny>> = (0..sizes[0])
        .map(|i| nest(py, &items[i * step..(i + 1) * step], &sizes[1..]))
        .collect::<PyResult<_>>()?;
    Ok(PyList::new(py, parts)?.into_any().unbind())
}

pub fn scalar_to_py(py: Python<'_>, s: Scalar) -> PyResult<Py<PyAny>> {
    Ok(match s {
        Scalar::Bool(b) => pyo3::types::PyBool::new(py, b)
            .to_owned()
            .into_any()
            .unbind(),
        Scalar::Int(i) => PyInt::new(py, i).into_any().unbind(),
        Scalar::Float(f) => PyFloat::new(py, f).into_any().unbind(),
    })
}

/// The legacy constructor: `Tensor(2, 3)` is a size, `Tensor([1, 2])` data (default dtype).
fn legacy_new(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Tensor> {
    if let Some(kw) = kwargs {
        if let Some(w) = kw.get_item("_wrap")? {
            // Subclass construction (nn.Parameter): share the given tensor's data as is.
            let t = w.cast::<PyTensor>()?.borrow().t.detach();
            return Ok(t);
        }
        if let Some(d) = kw.get_item("device")? {
            require_cpu(extract_device(&d)?)?;
        }
        for (k, _) in kw.iter() {
            let k: String = k.extract()?;
            if k != "device" {
                return Err(type_error(format!(
                    "new() received an invalid combination of arguments - got an unexpected keyword argument '{k}'"
                )));
            }
        }
    }
    let dt = default_float();
    if args.is_empty() {
        return Ok(Tensor::empty(&[0], dt));
    }
    let first = args.get_item(0)?;
    if args.len() == 1 && first.cast::<PyTensor>().is_ok() {
        let t = first.cast::<PyTensor>()?.borrow().t.clone();
        if t.dtype() != dt {
            return Err(type_error(format!(
                "expected {} (got {})",
                ops::capitalized(dt),
                ops::capitalized(t.dtype())
            )));
        }
        return Ok(t.detach());
    }
    let is_size =
        first.is_instance_of::<PyInt>() || (args.len() == 1 && first.get_type().name()? == "Size");
    if is_size {
        let sizes = check_sizes(&sizes_from_args(args)?)?;
        return Ok(Tensor::zeros(&sizes, dt));
    }
    if args.len() == 1 {
        if args::scalar(&first).is_some() {
            return Err(type_error(format!(
                "new(): data must be a sequence (got {})",
                first.get_type().name()?
            )));
        }
        return data_to_tensor(&first, Some(dt));
    }
    Err(type_error("new(): invalid data type"))
}

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (*args, **kwargs))]
    fn py_new(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(legacy_new(args, kwargs)?))
    }

    // --- metadata -----------------------------------------------------------------------

    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        size_object(py, self.t.sizes())
    }

    #[pyo3(signature = (dim=None))]
    fn size<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => size_object(py, self.t.sizes()),
            Some(d) => {
                let w = wrap_dim(d, self.t.ndim())?;
                let s = if self.t.ndim() == 0 {
                    1
                } else {
                    self.t.sizes()[w]
                };
                Ok(PyInt::new(py, s).into_any())
            }
        }
    }

    #[pyo3(signature = (dim=None))]
    fn stride<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => Ok(PyTuple::new(py, self.t.strides())?.into_any()),
            Some(d) => {
                let w = wrap_dim(d, self.t.ndim())?;
                let s = if self.t.ndim() == 0 {
                    1
                } else {
                    self.t.strides()[w]
                };
                Ok(PyInt::new(py, s).into_any())
            }
        }
    }

    fn dim(&self) -> usize {
        self.t.ndim()
    }
    fn ndimension(&self) -> usize {
        self.t.ndim()
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    fn numel(&self) -> usize {
        self.t.numel()
    }
    fn nelement(&self) -> usize {
        self.t.numel()
    }
    fn storage_offset(&self) -> usize {
        self.t.offset()
    }
    fn data_ptr(&self) -> usize {
        self.t.data_ptr_raw() as usize
    }
    fn element_size(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn nbytes(&self) -> usize {
        self.t.numel() * self.t.dtype().size()
    }
    #[pyo3(signature = (memory_format=None))]
    fn is_contiguous(&self, memory_format: Option<&Bound<'_, PyAny>>) -> bool {
        let _ = memory_format;
        self.t.is_contiguous()
    }
    fn is_floating_point(&self) -> bool {
        self.t.dtype().is_float()
    }
    fn is_complex(&self) -> bool {
        false
    }
    fn is_signed(&self) -> bool {
        self.t.dtype().is_signed()
    }
    #[getter]
    fn dtype(&self, py: Python<'_>) -> Py<PyDType> {
        dtype_object(py, self.t.dtype())
    }
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice::from_device(self.t.device())
    }
    #[getter]
    fn is_cuda(&self) -> bool {
        matches!(self.t.device(), crate::device::Device::Cuda(_))
    }
    #[getter]
    fn is_cpu(&self) -> bool {
        !self.is_cuda()
    }
    #[getter]
    fn _version(&self) -> u64 {
        self.t.version()
    }
    #[getter]
    fn _base(&self) -> Option<PyTensor> {
        self.t.base().map(|b| PyTensor::new(b.clone()))
    }
    fn _is_view(&self) -> bool {
        self.t.base().is_some()
    }
    /// Whether two tensors share one storage (used by tests and the Python layer).
    fn _shares_storage(&self, other: PyRef<'_, PyTensor>) -> bool {
        self.t.shares_storage(&other.t)
    }
    fn untyped_storage_nbytes(&self) -> usize {
        self.t.storage().nbytes()
    }

    // --- autograd attributes ------------------------------------------------------------

    #[getter]
    fn get_requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter(requires_grad)]
    fn set_requires_grad(slf: &Bound<'_, Self>, value: bool) -> PyResult<()> {
        let t = slf.borrow().t.clone();
        update(slf, autograd::set_requires_grad(&t, value)?);
        Ok(())
    }
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_<'py>(
        slf: &Bound<'py, Self>,
        requires_grad: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        Ok(update(slf, autograd::set_requires_grad(&t, requires_grad)?))
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    #[getter]
    fn get_grad(&self, py: Python<'_>) -> PyResult<Option<PyTensor>> {
        let Some(meta) = self.t.meta() else {
            return Ok(None);
        };
        let (grad, retains) = {
            let inner = meta.lock();
            (inner.grad.clone(), inner.retains_grad)
        };
        if grad.is_none() && !self.t.is_leaf() && !retains {
            warn_nonleaf_grad(py)?;
        }
        Ok(grad.map(PyTensor::new))
    }
    #[setter(grad)]
    fn set_grad(slf: &Bound<'_, Self>, value: Option<PyRef<'_, PyTensor>>) -> PyResult<()> {
        let t = slf.borrow().t.clone();
        let g = match value {
            None => None,
            Some(v) => {
                let g = v.t.clone();
                if g.sizes() != t.sizes() {
                    return Err(PyRuntimeError::new_err(
                        "assigned grad has data of a different size".to_string(),
                    ));
                }
                if g.dtype() != t.dtype() {
                    return Err(PyRuntimeError::new_err(
                        "assigned grad has data of a different type",
                    ));
                }
                Some(g)
            }
        };
        if g.is_none() && t.meta().is_none() {
            return Ok(());
        }
        t.ensure_meta().set_grad(g);
        Ok(())
    }
    #[getter]
    fn grad_fn(&self) -> Option<super::autograd::PyNode> {
        self.t.grad_fn().map(super::autograd::PyNode::new)
    }
    #[getter]
    fn get_data(&self) -> PyTensor {
        PyTensor::new(self.t.detach())
    }
    #[setter(data)]
    fn set_data(slf: &Bound<'_, Self>, value: PyRef<'_, PyTensor>) -> PyResult<()> {
        let t = slf.borrow().t.clone();
        let new = t.with_data_of(&value.t);
        slf.borrow_mut().t = new;
        Ok(())
    }
    fn detach(&self) -> PyTensor {
        PyTensor::new(self.t.detach())
    }
    fn detach_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let cur = slf.borrow().t.clone();
        // A view's history is tied to its base's; PyTorch refuses to cut it in place.
        if cur.base().is_some() && cur.requires_grad() {
            return Err(PyRuntimeError::new_err(
                "Can't detach views in-place. Use detach() instead.",
            ));
        }
        slf.borrow_mut().t = cur.detach();
        Ok(slf.clone())
    }
    fn retain_grad(&self) -> PyResult<()> {
        if !self.t.requires_grad() {
            return Err(PyRuntimeError::new_err(
                "can't retain_grad on Tensor that has requires_grad=False",
            ));
        }
        let Some(f) = self.t.grad_fn() else {
            return Ok(());
        };
        let meta = self.t.meta().expect("non-leaf has meta");
        let nr = {
            let mut inner = meta.lock();
            if inner.retains_grad {
                return Ok(());
            }
            inner.retains_grad = true;
            inner.output_nr
        };
        f.retained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((nr, std::sync::Arc::downgrade(meta)));
        Ok(())
    }
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t.meta().is_some_and(|m| m.lock().retains_grad)
    }

    // --- values -------------------------------------------------------------------------

    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        scalar_to_py(py, self.t.item()?)
    }
    fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_pylist(py, &self.t)
    }
    fn __float__(&self) -> PyResult<f64> {
        one_element(&self.t)?;
        Ok(self.t.item()?.to_f64())
    }
    fn __int__(&self) -> PyResult<i64> {
        one_element(&self.t)?;
        let v = self.t.item()?;
        if let Scalar::Float(f) = v {
            if f.is_nan() {
                return Err(PyValueError::new_err("cannot convert float NaN to integer"));
            }
            if f.is_infinite() {
                return Err(pyo3::exceptions::PyOverflowError::new_err(
                    "cannot convert float infinity to integer",
                ));
            }
        }
        Ok(v.to_i64())
    }
    fn __index__(&self) -> PyResult<i64> {
        if self.t.numel() != 1 || !(self.t.dtype().is_int() || self.t.dtype() == DType::Bool) {
            return Err(PyTypeError::new_err(
                "only integer tensors of a single element can be converted to an index",
            ));
        }
        Ok(self.t.item()?.to_i64())
    }
    fn __bool__(&self) -> PyResult<bool> {
        if self.t.numel() != 1 {
            return Err(PyRuntimeError::new_err(format!(
                "Boolean value of Tensor with {} is ambiguous",
                if self.t.numel() == 0 {
                    "no values"
                } else {
                    "more than one value"
                }
            )));
        }
        Ok(self.t.item()?.to_f64() != 0.0)
    }
    fn __len__(&self) -> PyResult<usize> {
        if self.t.ndim() == 0 {
            return Err(PyTypeError::new_err("len() of a 0-d tensor"));
        }
        Ok(self.t.sizes()[0])
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.t.ndim() == 0 {
            return Err(PyTypeError::new_err("iteration over a 0-d tensor"));
        }
        let parts: Vec<PyTensor> = ops::shape::unbind(&self.t, 0)?
            .into_iter()
            .map(PyTensor::new)
            .collect();
        PyList::new(py, parts)?.call_method0("__iter__")
    }
    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    // --- conversions --------------------------------------------------------------------

    fn contiguous(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let out = ops::copy::contiguous(&slf.borrow().t);
        same_or_new(slf, out)
    }
    #[pyo3(signature = (*, memory_format=None))]
    fn clone(&self, memory_format: Option<&Bound<'_, PyAny>>) -> PyTensor {
        let _ = memory_format;
        PyTensor::new(ops::copy::clone(&self.t))
    }
    /// `to(dtype)`, `to(device, dtype=None)`, `to(other)`, with `copy=` and `non_blocking=`.
    #[pyo3(signature = (*args, dtype=None, device=None, non_blocking=false, copy=false, memory_format=None))]
    fn to(
        slf: &Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
        device: Option<&Bound<'_, PyAny>>,
        non_blocking: bool,
        copy: bool,
        memory_format: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = (non_blocking, memory_format);
        let this = slf.borrow().t.clone();
        let mut want_dtype = super::dtype::extract_opt_dtype(dtype)?;
        let mut want_device = match device {
            Some(d) if !d.is_none() => Some(extract_device(d)?),
            _ => None,
        };
        for a in args.iter() {
            if let Ok(o) = a.cast::<PyTensor>() {
                let o = &o.borrow().t;
                want_dtype = Some(o.dtype());
                want_device = Some(o.device());
            } else if a.cast::<PyDType>().is_ok() || a.cast::<pyo3::types::PyType>().is_ok() {
                // A dtype, or a Python type standing for one (`to(float)`).
                want_dtype = Some(extract_dtype(&a)?);
            } else if a.is_instance_of::<pyo3::types::PyBool>() {
                // to(dtype, non_blocking, copy) positional flags: ignore non_blocking.
                continue;
            } else {
                want_device = Some(extract_device(&a)?);
            }
        }
        if let Some(d) = want_device {
            require_cpu(d)?;
        }
        let out = match want_dtype {
            Some(d) => ops::copy::to_dtype(&this, d)?,
            None => this.clone(),
        };
        if copy && out.is_same(&this) {
            return Ok(
                Bound::new(slf.py(), PyTensor::new(ops::copy::clone(&this)))?
                    .into_any()
                    .unbind(),
            );
        }
        same_or_new(slf, out)
    }
    fn float(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::F32)
    }
    fn double(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::F64)
    }
    fn half(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::F16)
    }
    fn bfloat16(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::BF16)
    }
    fn long(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::I64)
    }
    fn int(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::I32)
    }
    fn short(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::I16)
    }
    fn char(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::I8)
    }
    fn byte(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::U8)
    }
    fn bool(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, DType::Bool)
    }
    fn cpu(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    #[pyo3(signature = (device=None, non_blocking=false))]
    fn cuda(&self, device: Option<&Bound<'_, PyAny>>, non_blocking: bool) -> PyResult<PyTensor> {
        let _ = (device, non_blocking);
        require_cpu(crate::device::Device::Cuda(0))?;
        unreachable!("require_cpu rejects CUDA")
    }
    fn type_as(slf: &Bound<'_, Self>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyAny>> {
        cast_or_self(slf, other.t.dtype())
    }
    fn new_tensor(&self, data: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(data_to_tensor(data, Some(self.t.dtype()))?))
    }
    #[pyo3(signature = (*size, dtype=None))]
    fn new_zeros(
        &self,
        size: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let dt = super::dtype::extract_opt_dtype(dtype)?.unwrap_or(self.t.dtype());
        Ok(PyTensor::new(Tensor::zeros(
            &check_sizes(&sizes_from_args(size)?)?,
            dt,
        )))
    }
    #[pyo3(signature = (*size, dtype=None))]
    fn new_ones(
        &self,
        size: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let dt = super::dtype::extract_opt_dtype(dtype)?.unwrap_or(self.t.dtype());
        let s = check_sizes(&sizes_from_args(size)?)?;
        Ok(PyTensor::new(ops::creation::full(&s, Scalar::Int(1), dt)?))
    }
    #[pyo3(signature = (*size, dtype=None))]
    fn new_empty(
        &self,
        size: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let dt = super::dtype::extract_opt_dtype(dtype)?.unwrap_or(self.t.dtype());
        Ok(PyTensor::new(Tensor::zeros(
            &check_sizes(&sizes_from_args(size)?)?,
            dt,
        )))
    }
    #[pyo3(signature = (size, fill_value, dtype=None))]
    fn new_full(
        &self,
        size: &Bound<'_, PyAny>,
        fill_value: &Bound<'_, PyAny>,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let dt = super::dtype::extract_opt_dtype(dtype)?.unwrap_or(self.t.dtype());
        let s = check_sizes(&int_list(size, "size")?)?;
        let v = args::require_scalar(fill_value, "fill_value")?;
        Ok(PyTensor::new(ops::creation::full(&s, v, dt)?))
    }
}

/// The tensor's own Python object when a conversion changed nothing (PyTorch returns
/// `self` from a no-op `to()`, `float()`, `contiguous()`), else a new one.
fn same_or_new(slf: &Bound<'_, PyTensor>, out: Tensor) -> PyResult<Py<PyAny>> {
    if slf.borrow().t.is_same(&out) {
        return Ok(slf.clone().into_any().unbind());
    }
    Ok(Bound::new(slf.py(), PyTensor::new(out))?
        .into_any()
        .unbind())
}

fn cast_or_self(slf: &Bound<'_, PyTensor>, d: DType) -> PyResult<Py<PyAny>> {
    let out = ops::copy::to_dtype(&slf.borrow().t, d)?;
    same_or_new(slf, out)
}

fn one_element(t: &Tensor) -> PyResult<()> {
    if t.numel() != 1 {
        return Err(PyValueError::new_err(
            "only one element tensors can be converted to Python scalars",
        ));
    }
    Ok(())
}

fn warn_nonleaf_grad(py: Python<'_>) -> PyResult<()> {
    let warnings = py.import("warnings")?;
    let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
    warnings.call_method1(
        "warn",
        (
            "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead.",
            category,
            2,
        ),
    )?;
    Ok(())
}
