//! Module-level functions: creation, random, joining, promotion queries.

use super::args::{data_to_tensor, int_list, operand_any, require_scalar, sizes_from_args};
use super::dtype::{
    dtype_object, extract_device, extract_dtype, extract_opt_dtype, require_cpu, PyDType,
};
use super::errors::type_error;
use super::tensor::PyTensor;
use crate::autograd;
use crate::dtype::{default_float, DType, Scalar};
use crate::ops::random::{self as rnd, GenHandle};
use crate::ops::{self, creation, index, shape};
use crate::random::generator::CpuGenerator;
use crate::shape::check_sizes;
use crate::tensor::Tensor;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::sync::{Arc, Mutex};

/// `torch.Generator`.
#[pyclass(name = "Generator", module = "embertorch", frozen)]
pub struct PyGenerator {
    pub gen: GenHandle,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(device: Option<&Bound<'_, PyAny>>) -> PyResult<PyGenerator> {
        if let Some(d) = device {
            require_cpu(extract_device(d)?)?;
        }
        Ok(PyGenerator {
            gen: Arc::new(Mutex::new(CpuGenerator::new(
                crate::random::generator::DEFAULT_SEED,
            ))),
        })
    }
    fn manual_seed<'py>(
        slf: PyRef<'py, Self>,
        seed: &Bound<'py, PyAny>,
    ) -> PyResult<PyRef<'py, Self>> {
        if !seed.is_instance_of::<pyo3::types::PyInt>() {
            return Err(PyRuntimeError::new_err(format!(
                "manual_seed expected a long, but got {}",
                seed.get_type().name()?
            )));
        }
        let s = seed_value(seed)?;
        slf.gen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .manual_seed(s);
        Ok(slf)
    }
    fn seed(&self) -> u64 {
        let s = rnd::fresh_seed();
        self.gen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .manual_seed(s);
        s
    }
    fn initial_seed(&self) -> u64 {
        self.gen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .initial_seed()
    }
    fn get_state(&self) -> PyResult<PyTensor> {
        let s = self
            .gen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_state();
        let n = s.len();
        Ok(PyTensor::new(Tensor::from_vec(s, &[n])?))
    }
    fn set_state<'py>(
        slf: PyRef<'py, Self>,
        new_state: PyRef<'py, PyTensor>,
    ) -> PyResult<PyRef<'py, Self>> {
        if new_state.t.dtype() != DType::U8 {
            return Err(type_error("expected a torch.ByteTensor"));
        }
        let bytes = ops::copy::clone_contiguous(&new_state.t).to_vec::<u8>();
        slf.gen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_state(&bytes)
            .map_err(PyRuntimeError::new_err)?;
        Ok(slf)
    }
    #[getter]
    fn device(&self) -> super::dtype::PyDevice {
        super::dtype::PyDevice::from_device(crate::device::Device::Cpu)
    }
}

fn seed_value(seed: &Bound<'_, PyAny>) -> PyResult<u64> {
    let v: i128 = seed.extract()?;
    if v < -(1i128 << 63) || v >= (1i128 << 64) {
        return Err(PyRuntimeError::new_err(format!(
            "Overflow when unpacking long long"
        )));
    }
    Ok(if v < 0 {
        (v + (1i128 << 64)) as u64
    } else {
        v as u64
    })
}

fn gen_of(g: Option<&Bound<'_, PyAny>>) -> PyResult<Option<GenHandle>> {
    match g {
        None => Ok(None),
        Some(g) if g.is_none() => Ok(None),
        Some(g) => Ok(Some(g.cast::<PyGenerator>()?.get().gen.clone())),
    }
}

/// Apply the keyword arguments every factory takes.
fn finish_factory(
    t: Tensor,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    if let Some(d) = device {
        if !d.is_none() {
            require_cpu(extract_device(d)?)?;
        }
    }
    let t = if requires_grad {
        autograd::set_requires_grad(&t, true)?
    } else {
        t
    };
    Ok(PyTensor::new(t))
}

fn sizes(args: &Bound<'_, PyTuple>, size: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<usize>> {
    let raw = match size {
        Some(s) if args.is_empty() => int_list(s, "size")?,
        _ => sizes_from_args(args)?,
    };
    Ok(check_sizes(&raw)?.to_vec())
}

#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, pin_memory=false))]
pub fn tensor(
    data: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<PyTensor> {
    let _ = pin_memory;
    if data.cast::<PyTensor>().is_ok() {
        let warnings = data.py().import("warnings")?;
        warnings.call_method1("warn", (
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            data.py().get_type::<pyo3::exceptions::PyUserWarning>(),
            2,
        ))?;
    }
    let t = data_to_tensor(data, extract_opt_dtype(dtype)?)?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (data, dtype=None, device=None))]
pub fn as_tensor(
    data: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let dt = extract_opt_dtype(dtype)?;
    if let Some(d) = device {
        if !d.is_none() {
            require_cpu(extract_device(d)?)?;
        }
    }
    if let Ok(pt) = data.cast::<PyTensor>() {
        let t = pt.borrow().t.clone();
        return match dt {
            Some(d) if d != t.dtype() => new_object(data.py(), ops::copy::to_dtype(&t, d)?),
            // The tensor itself, as PyTorch returns it.
            _ => Ok(pt.clone().into_any().unbind()),
        };
    }
    if super::numpy::is_ndarray(data) {
        return new_object(data.py(), super::numpy::array_to_tensor(data, dt, false)?);
    }
    new_object(data.py(), data_to_tensor(data, dt)?)
}

fn new_object(py: Python<'_>, t: Tensor) -> PyResult<Py<PyAny>> {
    Ok(Bound::new(py, PyTensor::new(t))?.into_any().unbind())
}

#[pyfunction]
pub fn from_numpy(array: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    Ok(PyTensor::new(super::numpy::from_numpy(array)?))
}

macro_rules! filled_factory {
    ($name:ident, $fill:expr) => {
        #[pyfunction]
        #[pyo3(signature = (*size, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, memory_format=None, size_kw=None))]
        #[allow(clippy::too_many_arguments)]
        pub fn $name(
            size: &Bound<'_, PyTuple>,
            out: Option<&Bound<'_, PyTensor>>,
            dtype: Option<&Bound<'_, PyAny>>,
            layout: Option<&Bound<'_, PyAny>>,
            device: Option<&Bound<'_, PyAny>>,
            requires_grad: bool,
            pin_memory: bool,
            memory_format: Option<&Bound<'_, PyAny>>,
            size_kw: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyTensor> {
            let _ = (layout, pin_memory, memory_format);
            let s = sizes(size, size_kw)?;
            let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
            let fill: Option<Scalar> = $fill;
            let t = match fill {
                Some(v) => creation::full(&s, v, dt)?,
                None => Tensor::try_empty(&s, dt)?,
            };
            if let Some(o) = out {
                let cur = o.borrow().t.clone();
                o.borrow_mut().t = cur.with_data_of(&t);
                return Ok(PyTensor::new(o.borrow().t.clone()));
            }
            finish_factory(t, device, requires_grad)
        }
    };
}

filled_factory!(zeros, Some(Scalar::Int(0)));
filled_factory!(ones, Some(Scalar::Int(1)));
filled_factory!(empty, None);

#[pyfunction]
#[pyo3(signature = (size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn full(
    size: &Bound<'_, PyAny>,
    fill_value: &Bound<'_, PyAny>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let s = check_sizes(&int_list(size, "size")?)?;
    let v = require_scalar(fill_value, "fill_value")?;
    let dt = extract_opt_dtype(dtype)?.unwrap_or(creation::full_dtype(v));
    finish_factory(creation::full(&s, v, dt)?, device, requires_grad)
}

fn like_dtype(input: &Tensor, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<DType> {
    Ok(extract_opt_dtype(dtype)?.unwrap_or(input.dtype()))
}

/// PyTorch's `preserve_format`: when the input is dense but permuted (a transpose), the
/// new tensor gets the same dim order; otherwise it is contiguous. `make` builds a
/// contiguous tensor of the sizes it is given.
fn like_layout(
    input: &Tensor,
    make: impl FnOnce(&[usize]) -> crate::Result<Tensor>,
) -> crate::Result<Tensor> {
    let (sizes, strides) = (input.sizes(), input.strides());
    // Dims from outermost to innermost by stride (a stable sort keeps ties in order).
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| strides[b].cmp(&strides[a]));
    let permuted: Vec<usize> = order.iter().map(|&d| sizes[d]).collect();
    let packed = crate::shape::contiguous_strides(&permuted);
    let dense = packed
        .iter()
        .zip(&order)
        .all(|(&want, &d)| sizes[d] <= 1 || strides[d] == want);
    if input.is_contiguous() || !dense {
        return make(sizes);
    }
    let t = make(&permuted)?;
    let mut new_strides = packed.clone();
    for (&want, &d) in packed.iter().zip(&order) {
        new_strides[d] = want;
    }
    Ok(t.with_layout(crate::layout::Layout {
        sizes: sizes.iter().copied().collect(),
        strides: new_strides,
        offset: 0,
    }))
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
pub fn zeros_like(
    input: PyRef<'_, PyTensor>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, memory_format);
    let dt = like_dtype(&input.t, dtype)?;
    let t = like_layout(&input.t, |s| Ok(Tensor::zeros(s, dt)))?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
pub fn ones_like(
    input: PyRef<'_, PyTensor>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, memory_format);
    let dt = like_dtype(&input.t, dtype)?;
    let t = like_layout(&input.t, |s| creation::full(s, Scalar::Int(1), dt))?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
pub fn empty_like(
    input: PyRef<'_, PyTensor>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, memory_format);
    let dt = like_dtype(&input.t, dtype)?;
    let t = like_layout(&input.t, |s| Ok(Tensor::zeros(s, dt)))?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
pub fn full_like(
    input: PyRef<'_, PyTensor>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, memory_format);
    let dt = like_dtype(&input.t, dtype)?;
    let v = require_scalar(fill_value, "fill_value")?;
    let t = like_layout(&input.t, |s| creation::full(s, v, dt))?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end=None, step=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn arange(
    start: &Bound<'_, PyAny>,
    end: Option<&Bound<'_, PyAny>>,
    step: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let a = require_scalar(start, "start")?;
    let (s, e) = match end {
        Some(e) if !e.is_none() => (a, require_scalar(e, "end")?),
        _ => (Scalar::Int(0), a),
    };
    let st = match step {
        Some(st) if !st.is_none() => require_scalar(st, "step")?,
        _ => Scalar::Int(1),
    };
    let t = creation::arange(s, e, st, extract_opt_dtype(dtype)?)?;
    finish_factory(t, device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn linspace(
    start: f64,
    end: f64,
    steps: i64,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
    finish_factory(
        creation::linspace(start, end, steps, dt)?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn logspace(
    start: f64,
    end: f64,
    steps: i64,
    base: f64,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
    finish_factory(
        creation::logspace(start, end, steps, base, dt)?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn eye(
    n: i64,
    m: Option<i64>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let m = m.unwrap_or(n);
    if n < 0 || m < 0 {
        return Err(PyRuntimeError::new_err(format!(
            "n must be greater or equal to 0, got {}",
            n.min(m)
        )));
    }
    let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
    finish_factory(
        creation::eye(n as usize, m as usize, dt),
        device,
        requires_grad,
    )
}

// --- random --------------------------------------------------------------------------------

#[pyfunction]
#[pyo3(signature = (*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, size_kw=None))]
#[allow(clippy::too_many_arguments)]
pub fn rand(
    size: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
    size_kw: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, pin_memory, out);
    let s = sizes(size, size_kw)?;
    let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
    finish_factory(
        rnd::rand(&s, dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, size_kw=None))]
#[allow(clippy::too_many_arguments)]
pub fn randn(
    size: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
    size_kw: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let _ = (layout, pin_memory, out);
    let s = sizes(size, size_kw)?;
    let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
    finish_factory(
        rnd::randn(&s, dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (input, *, generator=None, dtype=None, device=None, requires_grad=false))]
pub fn rand_like(
    input: PyRef<'_, PyTensor>,
    generator: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let dt = like_dtype(&input.t, dtype)?;
    finish_factory(
        rnd::rand(input.t.sizes(), dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (input, *, generator=None, dtype=None, device=None, requires_grad=false))]
pub fn randn_like(
    input: PyRef<'_, PyTensor>,
    generator: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let dt = like_dtype(&input.t, dtype)?;
    finish_factory(
        rnd::randn(input.t.sizes(), dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

/// `randint(high, size)` or `randint(low, high, size)`.
#[pyfunction]
#[pyo3(signature = (*args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, size=None, low=None, high=None))]
#[allow(clippy::too_many_arguments)]
pub fn randint(
    args: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    size: Option<&Bound<'_, PyAny>>,
    low: Option<i64>,
    high: Option<i64>,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    let mut pos: Vec<Bound<'_, PyAny>> = args.iter().collect();
    let size_obj = match size {
        Some(s) => s.clone(),
        None => pos
            .pop()
            .ok_or_else(|| type_error("randint() missing required argument 'size'"))?,
    };
    let ints: Vec<i64> = pos
        .iter()
        .map(|p| {
            super::args::index_int(p)
                .ok_or_else(|| type_error("randint(): low and high must be ints"))
        })
        .collect::<PyResult<_>>()?;
    let (lo, hi) = match (ints.as_slice(), low, high) {
        ([h], None, None) => (0, *h),
        ([l, h], None, None) => (*l, *h),
        ([], l, Some(h)) => (l.unwrap_or(0), h),
        ([l], None, Some(h)) => (*l, h),
        _ => {
            return Err(type_error(
                "randint() received an invalid combination of arguments",
            ))
        }
    };
    let s = check_sizes(&int_list(&size_obj, "size")?)?;
    let dt = extract_opt_dtype(dtype)?.unwrap_or(DType::I64);
    finish_factory(
        rnd::randint(lo, hi, &s, dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

#[pyfunction]
#[pyo3(signature = (n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn randperm(
    n: i64,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = (layout, out);
    if n < 0 {
        return Err(PyRuntimeError::new_err(format!(
            "n must be non-negative, got{n}"
        )));
    }
    let dt = extract_opt_dtype(dtype)?.unwrap_or(DType::I64);
    finish_factory(
        rnd::randperm(n as usize, dt, gen_of(generator)?.as_ref())?,
        device,
        requires_grad,
    )
}

/// `normal(mean, std, size=None)`: float or tensor mean and std.
#[pyfunction]
#[pyo3(signature = (mean, std=None, size=None, *, generator=None, out=None, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn normal(
    mean: &Bound<'_, PyAny>,
    std: Option<&Bound<'_, PyAny>>,
    size: Option<&Bound<'_, PyAny>>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<PyTensor> {
    let _ = out;
    let g = gen_of(generator)?;
    let std_obj = std.map(|s| s.clone());
    let mean_t = mean.cast::<PyTensor>().ok().map(|t| t.borrow().t.clone());
    let std_t = std_obj
        .as_ref()
        .and_then(|s| s.cast::<PyTensor>().ok().map(|t| t.borrow().t.clone()));
    if mean_t.is_none() && std_t.is_none() {
        let m = require_scalar(mean, "mean")?.to_f64();
        let s = match &std_obj {
            Some(s) => require_scalar(s, "std")?.to_f64(),
            None => 1.0,
        };
        let size = size.ok_or_else(|| type_error("normal() missing required argument 'size'"))?;
        let shape = check_sizes(&int_list(size, "size")?)?;
        let dt = extract_opt_dtype(dtype)?.unwrap_or_else(default_float);
        let t = Tensor::empty(&shape, dt);
        rnd::normal_(&t, m, s, g.as_ref())?;
        return finish_factory(t, device, requires_grad);
    }
    // Tensor mean and/or std: standard normals scaled elementwise.
    let m = operand_any(mean, "mean")?;
    let s = match &std_obj {
        Some(s) => operand_any(s, "std")?,
        None => Tensor::wrapped_scalar(Scalar::Float(1.0)),
    };
    let shape = crate::shape::broadcast_shapes(m.sizes(), s.sizes())?;
    let dt = if m.is_wrapped_number() {
        s.dtype()
    } else {
        m.dtype()
    };
    let z = Tensor::empty(&shape, if dt.is_float() { dt } else { default_float() });
    rnd::normal_(&z, 0.0, 1.0, g.as_ref())?;
    let r = ops::binary::add(&ops::binary::mul(&z, &s)?, &m)?;
    finish_factory(r.detach(), device, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, p=None, *, generator=None, out=None))]
pub fn bernoulli(
    input: PyRef<'_, PyTensor>,
    p: Option<f64>,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let _ = out;
    let g = gen_of(generator)?;
    match p {
        Some(p) => {
            let t = Tensor::empty(input.t.sizes(), input.t.dtype());
            rnd::bernoulli_p_(&t, p, g.as_ref())?;
            Ok(PyTensor::new(t))
        }
        None => Ok(PyTensor::new(rnd::bernoulli(&input.t, g.as_ref())?)),
    }
}

#[pyfunction]
#[pyo3(signature = (input, num_samples, replacement=false, *, generator=None, out=None))]
pub fn multinomial(
    input: PyRef<'_, PyTensor>,
    num_samples: usize,
    replacement: bool,
    generator: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let _ = out;
    Ok(PyTensor::new(rnd::multinomial(
        &input.t,
        num_samples,
        replacement,
        gen_of(generator)?.as_ref(),
    )?))
}

#[pyfunction]
pub fn default_generator() -> PyGenerator {
    PyGenerator {
        gen: rnd::default_generator().clone(),
    }
}

// In-place random methods on tensors.
#[pymethods]
impl PyTensor {
    #[pyo3(signature = (from=0.0, to=1.0, *, generator=None))]
    fn uniform_<'py>(
        slf: &Bound<'py, Self>,
        from: f64,
        to: f64,
        generator: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, autograd::needs_grad(&[&t]))?;
        rnd::uniform_(&t, from, to, gen_of(generator)?.as_ref())?;
        Ok(slf.clone())
    }
    #[pyo3(signature = (mean=0.0, std=1.0, *, generator=None))]
    fn normal_<'py>(
        slf: &Bound<'py, Self>,
        mean: f64,
        std: f64,
        generator: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, autograd::needs_grad(&[&t]))?;
        rnd::normal_(&t, mean, std, gen_of(generator)?.as_ref())?;
        Ok(slf.clone())
    }
    #[pyo3(signature = (p=0.5, *, generator=None))]
    fn bernoulli_<'py>(
        slf: &Bound<'py, Self>,
        p: f64,
        generator: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, autograd::needs_grad(&[&t]))?;
        rnd::bernoulli_p_(&t, p, gen_of(generator)?.as_ref())?;
        Ok(slf.clone())
    }
    #[pyo3(signature = (lambd=1.0, *, generator=None))]
    fn exponential_<'py>(
        slf: &Bound<'py, Self>,
        lambd: f64,
        generator: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, autograd::needs_grad(&[&t]))?;
        rnd::exponential_(&t, lambd, gen_of(generator)?.as_ref())?;
        Ok(slf.clone())
    }
    #[pyo3(signature = (from=None, to=None, *, generator=None))]
    fn random_<'py>(
        slf: &Bound<'py, Self>,
        from: Option<i64>,
        to: Option<i64>,
        generator: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, autograd::needs_grad(&[&t]))?;
        let g = gen_of(generator)?;
        match (from, to) {
            (None, None) => rnd::random_default_(&t, g.as_ref())?,
            (Some(hi), None) => rnd::random_(&t, 0, Some(hi), g.as_ref())?,
            (f, t2) => rnd::random_(&t, f.unwrap_or(0), t2, g.as_ref())?,
        }
        Ok(slf.clone())
    }
}

// --- joining, selection, promotion -----------------------------------------------------------

fn tensor_list(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Tensor>> {
    if obj.cast::<PyTensor>().is_ok() {
        return Err(type_error(format!(
            "{name}(): argument 'tensors' must be tuple of Tensors, not Tensor"
        )));
    }
    obj.try_iter()?
        .map(|i| {
            let i = i?;
            i.cast::<PyTensor>()
                .map(|t| t.borrow().t.clone())
                .map_err(|_| {
                    type_error(format!(
                        "expected Tensor as element in argument 0, but got {}",
                        i.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
pub fn cat(
    tensors: &Bound<'_, PyAny>,
    dim: i64,
    out: Option<&Bound<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let _ = out;
    Ok(PyTensor::new(shape::cat(
        &tensor_list(tensors, "cat")?,
        dim,
    )?))
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
pub fn stack(
    tensors: &Bound<'_, PyAny>,
    dim: i64,
    out: Option<&Bound<'_, PyTensor>>,
) -> PyResult<PyTensor> {
    let _ = out;
    Ok(PyTensor::new(shape::stack(
        &tensor_list(tensors, "stack")?,
        dim,
    )?))
}

/// `where(condition, input, other)`, or `where(condition)` (nonzero indices as a tuple).
#[pyfunction]
#[pyo3(name = "where", signature = (condition, input=None, other=None))]
pub fn where_<'py>(
    py: Python<'py>,
    condition: PyRef<'py, PyTensor>,
    input: Option<&Bound<'py, PyAny>>,
    other: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match (input, other) {
        (Some(a), Some(b)) => {
            let (a, b) = (operand_any(a, "input")?, operand_any(b, "other")?);
            Ok(Bound::new(py, PyTensor::new(index::where_(&condition.t, &a, &b)?))?.into_any())
        }
        (None, None) => {
            let nz = index::nonzero(&condition.t)?;
            let cols = (0..condition.t.ndim().max(1))
                .map(|k| shape::select(&nz, 1, k as i64).map(|c| ops::copy::clone_contiguous(&c)))
                .collect::<crate::Result<Vec<_>>>()?;
            Ok(super::ops::tensors_tuple(py, cols)?.into_any())
        }
        _ => Err(type_error(
            "where() expects both input and other, or neither",
        )),
    }
}

fn operand_dtype(obj: &Bound<'_, PyAny>) -> PyResult<crate::dtype::Operand> {
    use crate::dtype::Operand;
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.borrow().t;
        return Ok(if t.ndim() == 0 {
            Operand::ZeroDim(t.dtype())
        } else {
            Operand::Dim(t.dtype())
        });
    }
    super::args::scalar(obj)
        .map(Operand::Wrapped)
        .ok_or_else(|| type_error("result_type() expects Tensors or Numbers"))
}

#[pyfunction]
pub fn result_type(
    py: Python<'_>,
    tensor1: &Bound<'_, PyAny>,
    tensor2: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDType>> {
    let d = crate::dtype::result_type(&[operand_dtype(tensor1)?, operand_dtype(tensor2)?]);
    Ok(dtype_object(py, d))
}

#[pyfunction]
pub fn promote_types(
    py: Python<'_>,
    type1: &Bound<'_, PyAny>,
    type2: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDType>> {
    Ok(dtype_object(
        py,
        crate::dtype::promote_types(extract_dtype(type1)?, extract_dtype(type2)?),
    ))
}

#[pyfunction]
pub fn can_cast(from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(crate::dtype::can_cast(
        extract_dtype(from_)?,
        extract_dtype(to)?,
    ))
}

#[pyfunction]
pub fn get_default_dtype(py: Python<'_>) -> Py<PyDType> {
    dtype_object(py, default_float())
}

#[pyfunction]
pub fn set_default_dtype(d: &Bound<'_, PyAny>) -> PyResult<()> {
    let dt = extract_dtype(d)?;
    crate::dtype::set_default_float(dt)?;
    Ok(())
}

#[pyfunction]
pub fn manual_seed(seed: &Bound<'_, PyAny>) -> PyResult<PyGenerator> {
    // PyTorch converts with int() first: int("a") is a ValueError, int(None) a TypeError.
    let seed = seed.py().get_type::<pyo3::types::PyInt>().call1((seed,))?;
    let s = seed_value(&seed)?;
    rnd::default_generator()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .manual_seed(s);
    Ok(default_generator())
}

#[pyfunction]
pub fn seed() -> u64 {
    let s = rnd::fresh_seed();
    rnd::default_generator()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .manual_seed(s);
    s
}

#[pyfunction]
pub fn initial_seed() -> u64 {
    rnd::default_generator()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .initial_seed()
}

#[pyfunction]
pub fn is_tensor(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyTensor>().is_ok()
}
