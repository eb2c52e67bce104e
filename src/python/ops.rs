//! Tensor methods for the operators: each converts its arguments and calls one op in
//! `crate::ops`. Module-level functions reuse these methods (`embertorch.exp = Tensor.exp`).

use super::args::{index_items, int_list, operand, operand_any, opt_dims, require_scalar};
use super::dtype::extract_opt_dtype;
use super::errors::type_error;
use super::tensor::{update, PyTensor};
use crate::dtype::Scalar;
use crate::ops::binary::{self as bin, binary, binary_};
use crate::ops::unary::{self as un, unary, unary_};
use crate::ops::{self, index, pointwise, reduce, shape};
use crate::tensor::Tensor;
use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Elements above which an op releases the GIL while it runs.
const RELEASE_GIL_AT: usize = 1 << 16;

/// Run `f`, releasing the GIL for big tensors so other Python threads proceed.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    n: usize,
    f: impl FnOnce() -> crate::Result<T> + Send,
) -> PyResult<T> {
    if n >= RELEASE_GIL_AT {
        Ok(py.detach(f)?)
    } else {
        Ok(f()?)
    }
}

/// Write `result` into `out` when given (PyTorch's `out=`), else wrap it.
pub(crate) fn finish(
    py: Python<'_>,
    out: Option<&Bound<'_, PyTensor>>,
    result: Tensor,
) -> PyResult<Py<PyAny>> {
    match out {
        None => Ok(Bound::new(py, PyTensor::new(result))?.into_any().unbind()),
        Some(o) => {
            let cur = o.borrow().t.clone();
            if cur.sizes() == result.sizes() {
                ops::copy::copy_(&cur, &result)?;
            } else {
                if cur.dtype() != result.dtype()
                    && !crate::dtype::can_cast(result.dtype(), cur.dtype())
                {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "result type {} can't be cast to the desired output type {}",
                        ops::capitalized(result.dtype()),
                        ops::capitalized(cur.dtype())
                    )));
                }
                let resized = cur.with_data_of(&ops::cast(&result.detach(), cur.dtype()));
                o.borrow_mut().t = resized;
            }
            Ok(o.clone().into_any().unbind())
        }
    }
}

macro_rules! unary_methods {
    ($($name:ident, $inplace:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[pyo3(signature = (*, out=None))]
                fn $name(&self, py: Python<'_>, out: Option<&Bound<'_, PyTensor>>) -> PyResult<Py<PyAny>> {
                    let t = self.t.clone();
                    let r = run(py, t.numel(), move || unary(&$op, &t))?;
                    finish(py, out, r)
                }
                fn $inplace<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
                    let t = slf.borrow().t.clone();
                    let r = run(slf.py(), t.numel(), move || unary_(&$op, &t))?;
                    Ok(update(slf, r))
                }
            )*
        }
    };
}

unary_methods! {
    neg, neg_ => un::NEG;
    negative, negative_ => un::NEG;
    positive, _positive_ => un::POSITIVE;
    abs, abs_ => un::ABS;
    absolute, absolute_ => un::ABS;
    sign, sign_ => un::SIGN;
    sgn, sgn_ => un::SIGN;
    exp, exp_ => un::EXP;
    exp2, exp2_ => un::EXP2;
    expm1, expm1_ => un::EXPM1;
    log, log_ => un::LOG;
    log2, log2_ => un::LOG2;
    log10, log10_ => un::LOG10;
    log1p, log1p_ => un::LOG1P;
    sqrt, sqrt_ => un::SQRT;
    rsqrt, rsqrt_ => un::RSQRT;
    square, square_ => un::SQUARE;
    reciprocal, reciprocal_ => un::RECIPROCAL;
    sin, sin_ => un::SIN;
    cos, cos_ => un::COS;
    tan, tan_ => un::TAN;
    asin, asin_ => un::ASIN;
    acos, acos_ => un::ACOS;
    atan, atan_ => un::ATAN;
    arcsin, arcsin_ => un::ASIN;
    arccos, arccos_ => un::ACOS;
    arctan, arctan_ => un::ATAN;
    sinh, sinh_ => un::SINH;
    cosh, cosh_ => un::COSH;
    tanh, tanh_ => un::TANH;
    asinh, asinh_ => un::ASINH;
    acosh, acosh_ => un::ACOSH;
    atanh, atanh_ => un::ATANH;
    arcsinh, arcsinh_ => un::ASINH;
    arccosh, arccosh_ => un::ACOSH;
    arctanh, arctanh_ => un::ATANH;
    sigmoid, sigmoid_ => un::SIGMOID;
    relu, relu_ => un::RELU;
    erf, erf_ => un::ERF;
    erfc, erfc_ => un::ERFC;
    erfinv, erfinv_ => un::ERFINV;
    floor, floor_ => un::FLOOR;
    ceil, ceil_ => un::CEIL;
    trunc, trunc_ => un::TRUNC;
    fix, fix_ => un::TRUNC;
    frac, frac_ => un::FRAC;
    isnan, _isnan_ => un::ISNAN;
    isinf, _isinf_ => un::ISINF;
    isfinite, _isfinite_ => un::ISFINITE;
    isposinf, _isposinf_ => un::ISPOSINF;
    isneginf, _isneginf_ => un::ISNEGINF;
    logical_not, logical_not_ => un::LOGICAL_NOT;
    bitwise_not, bitwise_not_ => un::BITWISE_NOT;
}

macro_rules! binary_methods {
    ($($name:ident, $inplace:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[pyo3(signature = (other, *, out=None))]
                fn $name(&self, py: Python<'_>, other: &Bound<'_, PyAny>, out: Option<&Bound<'_, PyTensor>>) -> PyResult<Py<PyAny>> {
                    let (a, b) = (self.t.clone(), operand_any(other, "other")?);
                    let r = run(py, a.numel().max(b.numel()), move || binary(&$op, &a, &b))?;
                    finish(py, out, r)
                }
                fn $inplace<'py>(slf: &Bound<'py, Self>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
                    let (a, b) = (slf.borrow().t.clone(), operand_any(other, "other")?);
                    let r = run(slf.py(), a.numel(), move || binary_(&$op, &a, &b))?;
                    Ok(update(slf, r))
                }
            )*
        }
    };
}

binary_methods! {
    mul, mul_ => bin::MUL;
    multiply, multiply_ => bin::MUL;
    true_divide, true_divide_ => bin::DIV;
    floor_divide, floor_divide_ => bin::DIV_FLOOR;
    remainder, remainder_ => bin::REMAINDER;
    fmod, fmod_ => bin::FMOD;
    pow, pow_ => bin::POW;
    atan2, atan2_ => bin::ATAN2;
    arctan2, arctan2_ => bin::ATAN2;
    maximum, _maximum_ => bin::MAXIMUM;
    minimum, _minimum_ => bin::MINIMUM;
    fmax, _fmax_ => bin::FMAX;
    fmin, _fmin_ => bin::FMIN;
    hypot, hypot_ => bin::HYPOT;
    copysign, copysign_ => bin::COPYSIGN;
    eq, eq_ => bin::EQ;
    ne, ne_ => bin::NE;
    not_equal, not_equal_ => bin::NE;
    lt, lt_ => bin::LT;
    less, less_ => bin::LT;
    le, le_ => bin::LE;
    less_equal, less_equal_ => bin::LE;
    gt, gt_ => bin::GT;
    greater, greater_ => bin::GT;
    ge, ge_ => bin::GE;
    greater_equal, greater_equal_ => bin::GE;
    logical_and, logical_and_ => bin::LOGICAL_AND;
    logical_or, logical_or_ => bin::LOGICAL_OR;
    logical_xor, logical_xor_ => bin::LOGICAL_XOR;
    bitwise_and, bitwise_and_ => bin::BITWISE_AND;
    bitwise_or, bitwise_or_ => bin::BITWISE_OR;
    bitwise_xor, bitwise_xor_ => bin::BITWISE_XOR;
    bitwise_left_shift, bitwise_left_shift_ => bin::LSHIFT;
    bitwise_right_shift, bitwise_right_shift_ => bin::RSHIFT;
}

/// Python operators: a non-tensor, non-number operand gives NotImplemented so Python can
/// try the other side.
macro_rules! dunder_binary {
    ($($fwd:ident, $rev:ident, $inp:ident => $op:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                fn $fwd(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    let Some(b) = operand(other) else { return Ok(py.NotImplemented()) };
                    let a = self.t.clone();
                    let r = run(py, a.numel().max(b.numel()), move || binary(&$op, &a, &b))?;
                    Ok(PyTensor::new(r).into_pyobject(py)?.into_any().unbind())
                }
                fn $rev(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    let Some(b) = operand(other) else { return Ok(py.NotImplemented()) };
                    let a = self.t.clone();
                    let r = run(py, a.numel().max(b.numel()), move || binary(&$op, &b, &a))?;
                    Ok(PyTensor::new(r).into_pyobject(py)?.into_any().unbind())
                }
                fn $inp(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
                    let b = operand_any(other, "other")?;
                    let a = slf.borrow().t.clone();
                    let r = run(slf.py(), a.numel(), move || binary_(&$op, &a, &b))?;
                    update(slf, r);
                    Ok(())
                }
            )*
        }
    };
}

dunder_binary! {
    __add__, __radd__, __iadd__ => bin::ADD;
    __sub__, __rsub__, __isub__ => bin::SUB;
    __mul__, __rmul__, __imul__ => bin::MUL;
    __truediv__, __rtruediv__, __itruediv__ => bin::DIV;
    __floordiv__, __rfloordiv__, __ifloordiv__ => bin::DIV_FLOOR;
    __mod__, __rmod__, __imod__ => bin::REMAINDER;
    __and__, __rand__, __iand__ => bin::BITWISE_AND;
    __or__, __ror__, __ior__ => bin::BITWISE_OR;
    __xor__, __rxor__, __ixor__ => bin::BITWISE_XOR;
    __lshift__, __rlshift__, __ilshift__ => bin::LSHIFT;
    __rshift__, __rrshift__, __irshift__ => bin::RSHIFT;
}

fn alpha_of(alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Scalar> {
    match alpha {
        None => Ok(Scalar::Int(1)),
        Some(a) => require_scalar(a, "alpha"),
    }
}

#[pymethods]
impl PyTensor {
    fn __pow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = modulo;
        let Some(b) = operand(other) else {
            return Ok(py.NotImplemented());
        };
        let r = pow_checked(&self.t, &b)?;
        Ok(PyTensor::new(r).into_pyobject(py)?.into_any().unbind())
    }
    fn __rpow__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = modulo;
        let Some(b) = operand(other) else {
            return Ok(py.NotImplemented());
        };
        Ok(PyTensor::new(binary(&bin::POW, &b, &self.t)?)
            .into_pyobject(py)?
            .into_any()
            .unbind())
    }
    fn __ipow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        modulo: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let _ = modulo;
        let b = operand_any(other, "other")?;
        let a = slf.borrow().t.clone();
        update(slf, binary_(&bin::POW, &a, &b)?);
        Ok(())
    }
    fn __matmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(b) = other.cast::<PyTensor>() else {
            return Ok(py.NotImplemented());
        };
        let (a, b) = (self.t.clone(), b.borrow().t.clone());
        let r = run(py, a.numel().max(b.numel()), move || {
            ops::matmul::matmul(&a, &b)
        })?;
        Ok(PyTensor::new(r).into_pyobject(py)?.into_any().unbind())
    }
    fn __rmatmul__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let Ok(b) = other.cast::<PyTensor>() else {
            return Ok(py.NotImplemented());
        };
        Ok(PyTensor::new(ops::matmul::matmul(&b.borrow().t, &self.t)?)
            .into_pyobject(py)?
            .into_any()
            .unbind())
    }
    fn __neg__(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(unary(&un::NEG, &self.t)?))
    }
    fn __pos__(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(unary(&un::POSITIVE, &self.t)?))
    }
    fn __abs__(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(unary(&un::ABS, &self.t)?))
    }
    fn __invert__(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(unary(&un::BITWISE_NOT, &self.t)?))
    }
    fn __richcmp__(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Some(b) = operand(other) else {
            return Ok(py.NotImplemented());
        };
        let which = match op {
            CompareOp::Eq => &bin::EQ,
            CompareOp::Ne => &bin::NE,
            CompareOp::Lt => &bin::LT,
            CompareOp::Le => &bin::LE,
            CompareOp::Gt => &bin::GT,
            CompareOp::Ge => &bin::GE,
        };
        Ok(PyTensor::new(binary(which, &self.t, &b)?)
            .into_pyobject(py)?
            .into_any()
            .unbind())
    }

    #[pyo3(signature = (other, *, alpha=None, out=None))]
    fn add(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let b = operand_any(other, "other")?;
        finish(
            py,
            out,
            bin::add_alpha(&self.t, &b, alpha_of(alpha)?, false)?,
        )
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_<'py>(
        slf: &Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let b = operand_any(other, "other")?;
        let a = slf.borrow().t.clone();
        Ok(update(
            slf,
            bin::add_alpha_(&a, &b, alpha_of(alpha)?, false)?,
        ))
    }
    #[pyo3(signature = (other, *, alpha=None, out=None))]
    fn sub(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let b = operand_any(other, "other")?;
        finish(
            py,
            out,
            bin::add_alpha(&self.t, &b, alpha_of(alpha)?, true)?,
        )
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_<'py>(
        slf: &Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let b = operand_any(other, "other")?;
        let a = slf.borrow().t.clone();
        Ok(update(
            slf,
            bin::add_alpha_(&a, &b, alpha_of(alpha)?, true)?,
        ))
    }
    #[pyo3(signature = (other, *, alpha=None, out=None))]
    fn subtract(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        self.sub(py, other, alpha, out)
    }
    #[pyo3(signature = (other, *, rounding_mode=None, out=None))]
    fn div(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        rounding_mode: Option<String>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let b = operand_any(other, "other")?;
        finish(
            py,
            out,
            bin::div_mode(&self.t, &b, rounding_mode.as_deref())?,
        )
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div_<'py>(
        slf: &Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        rounding_mode: Option<String>,
    ) -> PyResult<Bound<'py, Self>> {
        let b = operand_any(other, "other")?;
        let a = slf.borrow().t.clone();
        Ok(update(
            slf,
            bin::div_mode_(&a, &b, rounding_mode.as_deref())?,
        ))
    }
    #[pyo3(signature = (other, *, rounding_mode=None, out=None))]
    fn divide(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        rounding_mode: Option<String>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        self.div(py, other, rounding_mode, out)
    }

    // --- copies and fills ---------------------------------------------------------------

    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_<'py>(
        slf: &Bound<'py, Self>,
        src: &Bound<'py, PyAny>,
        non_blocking: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let _ = non_blocking;
        let s = operand_any(src, "src")?;
        let t = slf.borrow().t.clone();
        let r = run(slf.py(), t.numel(), move || ops::copy::copy_(&t, &s))?;
        Ok(update(slf, r))
    }
    fn fill_<'py>(slf: &Bound<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let r = if let Ok(v) = value.cast::<PyTensor>() {
            ops::copy::fill_tensor_(&t, &v.borrow().t)?
        } else {
            ops::copy::fill_(&t, require_scalar(value, "value")?)?
        };
        Ok(update(slf, r))
    }
    fn zero_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        Ok(update(slf, ops::copy::zero_(&t)?))
    }

    // --- indexing -----------------------------------------------------------------------

    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        // Fast path for a single int.
        if let Ok(i) = key.cast::<pyo3::types::PyInt>() {
            if !key.is_instance_of::<pyo3::types::PyBool>() {
                let i: i64 = i.extract().map_err(|_| {
                    pyo3::exceptions::PyValueError::new_err("Overflow when unpacking long long")
                })?;
                if self.t.ndim() == 0 {
                    return Err(pyo3::exceptions::PyIndexError::new_err(
                        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number",
                    ));
                }
                return Ok(PyTensor::new(shape::select(&self.t, 0, i)?));
            }
        }
        let items = index_items(key)?;
        Ok(PyTensor::new(index::index(&self.t, &items)?))
    }
    fn gather(&self, dim: i64, index: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::gather(&self.t, dim, &index.t)?))
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<String>,
    ) -> PyResult<PyTensor> {
        let s = scatter_source(src, value)?;
        Ok(PyTensor::new(index::scatter(
            &self.t,
            dim,
            &index.t,
            &s,
            reduce.as_deref(),
        )?))
    }
    #[pyo3(signature = (dim, index, src=None, value=None, *, reduce=None))]
    fn scatter_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
        reduce: Option<String>,
    ) -> PyResult<Bound<'py, Self>> {
        let s = scatter_source(src, value)?;
        let t = slf.borrow().t.clone();
        ops::copy::begin_inplace(&t, crate::autograd::needs_grad(&[&t, &s]))?;
        if crate::autograd::needs_grad(&[&t, &s]) {
            let r = index::scatter(&t, dim, &index.t, &s, reduce.as_deref())?;
            return Ok(update(slf, ops::copy::copy_(&t, &r)?));
        }
        index::scatter_into(&t, dim, &index.t, &s, reduce.as_deref())?;
        Ok(slf.clone())
    }
    fn scatter_add(
        &self,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: PyRef<'_, PyTensor>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::scatter(
            &self.t,
            dim,
            &index.t,
            &src.t,
            Some("add"),
        )?))
    }
    fn scatter_add_<'py>(
        slf: &Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: PyRef<'py, PyTensor>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let r = index::scatter(&t, dim, &index.t, &src.t, Some("add"))?;
        Ok(update(slf, ops::copy::copy_(&t, &r)?))
    }
    fn index_select(&self, dim: i64, index: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::index_select(&self.t, dim, &index.t)?))
    }
    fn masked_fill(
        &self,
        mask: PyRef<'_, PyTensor>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        let v = operand_any(value, "value")?;
        Ok(PyTensor::new(index::masked_fill(&self.t, &mask.t, &v)?))
    }
    fn masked_fill_<'py>(
        slf: &Bound<'py, Self>,
        mask: PyRef<'py, PyTensor>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let v = operand_any(value, "value")?;
        let t = slf.borrow().t.clone();
        let r = index::masked_fill(&t, &mask.t, &v)?;
        Ok(update(slf, ops::copy::copy_(&t, &r)?))
    }
    fn _nonzero(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(index::nonzero(&self.t)?))
    }
    fn r#where(
        &self,
        condition: PyRef<'_, PyTensor>,
        other: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        let o = operand_any(other, "other")?;
        Ok(PyTensor::new(index::where_(&condition.t, &self.t, &o)?))
    }

    // --- reductions ---------------------------------------------------------------------

    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn sum(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let (t, d, dt) = (self.t.clone(), opt_dims(dim)?, extract_opt_dtype(dtype)?);
        Ok(PyTensor::new(run(py, t.numel(), move || {
            reduce::sum(&t, d.as_deref(), keepdim, dt)
        })?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn nansum(
        &self,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::nansum(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
            extract_opt_dtype(dtype)?,
        )?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn mean(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let (t, d, dt) = (self.t.clone(), opt_dims(dim)?, extract_opt_dtype(dtype)?);
        Ok(PyTensor::new(run(py, t.numel(), move || {
            reduce::mean(&t, d.as_deref(), keepdim, dt)
        })?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn nanmean(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::nanmean(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
        )?))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod(
        &self,
        dim: Option<i64>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let d = dim.map(|d| vec![d]);
        Ok(PyTensor::new(reduce::prod(
            &self.t,
            d.as_deref(),
            keepdim,
            extract_opt_dtype(dtype)?,
        )?))
    }
    /// `max()`, `max(dim, keepdim)` (values, indices), or `max(other)` (elementwise).
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn _max(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extreme(py, &self.t, dim, keepdim, true)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn _min(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extreme(py, &self.t, dim, keepdim, false)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::amax(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
            true,
        )?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::amax(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
            false,
        )?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax(&self, dim: Option<i64>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::argmax(&self.t, dim, keepdim, true)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin(&self, dim: Option<i64>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::argmax(&self.t, dim, keepdim, false)?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::all_any(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
            true,
        )?))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any(&self, dim: Option<&Bound<'_, PyAny>>, keepdim: bool) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::all_any(
            &self.t,
            opt_dims(dim)?.as_deref(),
            keepdim,
            false,
        )?))
    }
    #[pyo3(signature = (dim=None))]
    fn count_nonzero(&self, dim: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::count_nonzero(
            &self.t,
            opt_dims(dim)?.as_deref(),
        )?))
    }
    /// `var`/`std` core: the Python layer resolves `unbiased`/`correction`.
    #[pyo3(signature = (dim, correction, keepdim, take_sqrt))]
    fn _var(
        &self,
        dim: Option<&Bound<'_, PyAny>>,
        correction: f64,
        keepdim: bool,
        take_sqrt: bool,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::var(
            &self.t,
            opt_dims(dim)?.as_deref(),
            correction,
            keepdim,
            take_sqrt,
        )?))
    }
    #[pyo3(signature = (dim, keepdim=false))]
    fn logsumexp(&self, dim: &Bound<'_, PyAny>, keepdim: bool) -> PyResult<PyTensor> {
        let d = int_list(dim, "dim")?;
        Ok(PyTensor::new(reduce::logsumexp(&self.t, &d, keepdim)?))
    }
    #[pyo3(signature = (ord, dim, keepdim))]
    fn _vector_norm(
        &self,
        ord: f64,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::vector_norm(
            &self.t,
            ord,
            opt_dims(dim)?.as_deref(),
            keepdim,
        )?))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::cumsum(
            &self.t,
            dim,
            extract_opt_dtype(dtype)?,
        )?))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumprod(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let t = match extract_opt_dtype(dtype)? {
            Some(d) => ops::copy::to_dtype(&self.t, d)?,
            None => self.t.clone(),
        };
        Ok(PyTensor::new(reduce::cumprod(&t, dim)?))
    }
    #[pyo3(signature = (dim, dtype=None))]
    fn softmax(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::softmax(
            &self.t,
            dim,
            false,
            extract_opt_dtype(dtype)?,
        )?))
    }
    #[pyo3(signature = (dim, dtype=None))]
    fn log_softmax(&self, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(reduce::softmax(
            &self.t,
            dim,
            true,
            extract_opt_dtype(dtype)?,
        )?))
    }

    // --- matrix products ----------------------------------------------------------------

    #[pyo3(signature = (other, *, out=None))]
    fn matmul(
        &self,
        py: Python<'_>,
        other: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let (a, b) = (self.t.clone(), other.t.clone());
        finish(
            py,
            out,
            run(py, a.numel().max(b.numel()), move || {
                ops::matmul::matmul(&a, &b)
            })?,
        )
    }
    #[pyo3(signature = (mat2, *, out=None))]
    fn mm(
        &self,
        py: Python<'_>,
        mat2: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let (a, b) = (self.t.clone(), mat2.t.clone());
        finish(
            py,
            out,
            run(py, a.numel().max(b.numel()), move || {
                ops::matmul::mm(&a, &b)
            })?,
        )
    }
    #[pyo3(signature = (mat2, *, out=None))]
    fn bmm(
        &self,
        py: Python<'_>,
        mat2: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let (a, b) = (self.t.clone(), mat2.t.clone());
        finish(
            py,
            out,
            run(py, a.numel().max(b.numel()), move || {
                ops::matmul::bmm(&a, &b)
            })?,
        )
    }
    fn mv(&self, vec: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(ops::matmul::mv(&self.t, &vec.t)?))
    }
    fn dot(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(ops::matmul::dot(&self.t, &other.t)?))
    }

    // --- shape --------------------------------------------------------------------------

    #[pyo3(signature = (*shape))]
    fn view(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        if shape.len() == 1 {
            let a = shape.get_item(0)?;
            if a.cast::<super::dtype::PyDType>().is_ok() {
                return Err(pyo3::exceptions::PyNotImplementedError::new_err(
                    "view(dtype) reinterpretation is not supported",
                ));
            }
        }
        Ok(PyTensor::new(shape::view(
            &self.t,
            &super::args::sizes_from_args(shape)?,
        )?))
    }
    #[pyo3(signature = (*shape))]
    fn reshape(&self, shape: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::reshape(
            &self.t,
            &super::args::sizes_from_args(shape)?,
        )?))
    }
    fn view_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::view(
            &self.t,
            &to_i64(other.t.sizes()),
        )?))
    }
    fn reshape_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::reshape(
            &self.t,
            &to_i64(other.t.sizes()),
        )?))
    }
    #[pyo3(signature = (start_dim=0, end_dim=-1))]
    fn flatten(&self, start_dim: i64, end_dim: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::flatten(&self.t, start_dim, end_dim)?))
    }
    fn unflatten(&self, dim: i64, sizes: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::unflatten(
            &self.t,
            dim,
            &int_list(sizes, "sizes")?,
        )?))
    }
    fn t(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::t(&self.t)?))
    }
    #[getter(T)]
    fn big_t(&self) -> PyResult<PyTensor> {
        let n = self.t.ndim() as i64;
        let dims: Vec<i64> = (0..n).rev().collect();
        Ok(PyTensor::new(shape::permute(&self.t, &dims)?))
    }
    #[getter(mT)]
    fn m_t(&self) -> PyResult<PyTensor> {
        if self.t.ndim() < 2 {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
            ));
        }
        Ok(PyTensor::new(shape::transpose(&self.t, -2, -1)?))
    }
    #[getter(H)]
    fn big_h(&self) -> PyResult<PyTensor> {
        self.big_t()
    }
    #[getter(mH)]
    fn m_h(&self) -> PyResult<PyTensor> {
        self.m_t()
    }
    fn transpose(&self, dim0: i64, dim1: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::transpose(&self.t, dim0, dim1)?))
    }
    fn swapaxes(&self, axis0: i64, axis1: i64) -> PyResult<PyTensor> {
        self.transpose(axis0, axis1)
    }
    fn swapdims(&self, dim0: i64, dim1: i64) -> PyResult<PyTensor> {
        self.transpose(dim0, dim1)
    }
    #[pyo3(signature = (*dims))]
    fn permute(&self, dims: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        if dims.is_empty() {
            return Err(type_error(
                "permute() missing 1 required positional argument: \"dims\"",
            ));
        }
        Ok(PyTensor::new(shape::permute(
            &self.t,
            &super::args::sizes_from_args(dims)?,
        )?))
    }
    fn movedim(
        &self,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::movedim(
            &self.t,
            &int_list(source, "source")?,
            &int_list(destination, "destination")?,
        )?))
    }
    fn moveaxis(
        &self,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
    ) -> PyResult<PyTensor> {
        self.movedim(source, destination)
    }
    fn narrow(&self, dim: i64, start: &Bound<'_, PyAny>, length: usize) -> PyResult<PyTensor> {
        let s = super::args::index_int(start)
            .ok_or_else(|| type_error("narrow(): start must be an int"))?;
        Ok(PyTensor::new(shape::narrow(&self.t, dim, s, length)?))
    }
    fn select(&self, dim: i64, index: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::select(&self.t, dim, index)?))
    }
    fn unsqueeze(&self, dim: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::unsqueeze(&self.t, dim)?))
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze(&self, dim: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::squeeze(
            &self.t,
            opt_dims(dim)?.as_deref(),
        )?))
    }
    #[pyo3(signature = (*sizes))]
    fn expand(&self, sizes: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::expand(
            &self.t,
            &super::args::sizes_from_args(sizes)?,
        )?))
    }
    fn expand_as(&self, other: PyRef<'_, PyTensor>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::expand(
            &self.t,
            &to_i64(other.t.sizes()),
        )?))
    }
    #[pyo3(signature = (dim=0))]
    fn unbind<'py>(&self, py: Python<'py>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tensors_tuple(py, shape::unbind(&self.t, dim)?)
    }
    #[pyo3(signature = (chunks, dim=0))]
    fn chunk<'py>(
        &self,
        py: Python<'py>,
        chunks: usize,
        dim: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        tensors_tuple(py, shape::chunk(&self.t, chunks, dim)?)
    }
    #[pyo3(signature = (split_size_or_sections, dim=0))]
    fn split<'py>(
        &self,
        py: Python<'py>,
        split_size_or_sections: &Bound<'_, PyAny>,
        dim: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let parts = if let Some(s) = super::args::index_int(split_size_or_sections) {
            if s < 0 {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "split expects split_size be non-negative, but got split_size={s}"
                )));
            }
            shape::split(&self.t, s as usize, dim)?
        } else {
            let sizes: Vec<usize> = int_list(split_size_or_sections, "split_size_or_sections")?
                .into_iter()
                .map(|s| s.max(0) as usize)
                .collect();
            shape::split_sizes(&self.t, &sizes, dim)?
        };
        tensors_tuple(py, parts)
    }
    #[pyo3(signature = (size, stride, storage_offset=None))]
    fn as_strided(
        &self,
        size: &Bound<'_, PyAny>,
        stride: &Bound<'_, PyAny>,
        storage_offset: Option<i64>,
    ) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::as_strided(
            &self.t,
            &int_list(size, "size")?,
            &int_list(stride, "stride")?,
            storage_offset,
        )?))
    }
    fn unfold(&self, dimension: i64, size: usize, step: usize) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::unfold(
            &self.t, dimension, size, step,
        )?))
    }
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    fn diagonal(&self, offset: i64, dim1: i64, dim2: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::diagonal(&self.t, offset, dim1, dim2)?))
    }
    #[pyo3(signature = (*dims))]
    fn flip(&self, dims: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(shape::flip(
            &self.t,
            &super::args::sizes_from_args(dims)?,
        )?))
    }

    // In-place layout changes: same tensor object, new geometry.
    fn t_<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let v = shape::t(&t)?;
        relayout(slf, &t, v)
    }
    fn transpose_<'py>(slf: &Bound<'py, Self>, dim0: i64, dim1: i64) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let v = shape::transpose(&t, dim0, dim1)?;
        relayout(slf, &t, v)
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze_<'py>(
        slf: &Bound<'py, Self>,
        dim: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let v = shape::squeeze(&t, opt_dims(dim)?.as_deref())?;
        relayout(slf, &t, v)
    }
    fn unsqueeze_<'py>(slf: &Bound<'py, Self>, dim: i64) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        let v = shape::unsqueeze(&t, dim)?;
        relayout(slf, &t, v)
    }
}

/// Give the tensor object `v`'s geometry (and, when it is in a graph, `v`'s history).
fn relayout<'py>(
    slf: &Bound<'py, PyTensor>,
    t: &Tensor,
    v: Tensor,
) -> PyResult<Bound<'py, PyTensor>> {
    if crate::autograd::mode::is_grad_enabled() && t.requires_grad() {
        crate::autograd::check_inplace(t)?;
        // A non-leaf: the view's history becomes the tensor's.
        let new = t.relayout_in_place(v.layout().clone());
        if let (Some(meta), Some(f)) = (new.meta(), v.grad_fn()) {
            let mut inner = meta.lock();
            inner.grad_fn = Some(f);
            inner.output_nr = 0;
        }
        slf.borrow_mut().t = new;
        return Ok(slf.clone());
    }
    let new = t.relayout_in_place(v.layout().clone());
    slf.borrow_mut().t = new;
    Ok(slf.clone())
}

fn scatter_source(
    src: Option<&Bound<'_, PyAny>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Tensor> {
    match (src, value) {
        (Some(s), None) | (None, Some(s)) => operand_any(s, "src"),
        _ => Err(type_error("scatter() expects exactly one of src or value")),
    }
}

fn extreme(
    py: Python<'_>,
    t: &Tensor,
    dim: Option<&Bound<'_, PyAny>>,
    keepdim: bool,
    want_max: bool,
) -> PyResult<Py<PyAny>> {
    match dim {
        None => Ok(PyTensor::new(reduce::max_all(t, want_max)?)
            .into_pyobject(py)?
            .into_any()
            .unbind()),
        Some(d) => {
            if let Ok(o) = d.cast::<PyTensor>() {
                let op = if want_max {
                    &bin::MAXIMUM
                } else {
                    &bin::MINIMUM
                };
                return Ok(PyTensor::new(binary(op, t, &o.borrow().t)?)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind());
            }
            let d =
                super::args::index_int(d).ok_or_else(|| type_error("max(): dim must be an int"))?;
            let (v, i) = reduce::max_dim(t, d, keepdim, want_max)?;
            Ok(PyTuple::new(py, [PyTensor::new(v), PyTensor::new(i)])?
                .into_any()
                .unbind())
        }
    }
}

fn pow_checked(a: &Tensor, b: &Tensor) -> PyResult<Tensor> {
    if a.dtype().is_int() && b.is_wrapped_number() {
        if let Scalar::Int(e) = b.get_flat(0) {
            if e < 0 {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "Integers to negative integer powers are not allowed.",
                ));
            }
        }
    }
    Ok(binary(&bin::POW, a, b)?)
}

fn to_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&v| v as i64).collect()
}

pub fn tensors_tuple(py: Python<'_>, ts: Vec<Tensor>) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(py, ts.into_iter().map(PyTensor::new))
}

/// A bound argument of clamp: None, a number, or a tensor.
fn bound(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Tensor>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(operand_any(o, "min/max")?)),
    }
}

/// In-place form of an out-of-place result: write it back into `slf` (dtype must fit).
fn write_back<'py>(slf: &Bound<'py, PyTensor>, r: Tensor) -> PyResult<Bound<'py, PyTensor>> {
    let t = slf.borrow().t.clone();
    if r.dtype() != t.dtype() && !crate::dtype::can_cast(r.dtype(), t.dtype()) {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
            "result type {} can't be cast to the desired output type {}",
            ops::capitalized(r.dtype()),
            ops::capitalized(t.dtype())
        )));
    }
    Ok(update(slf, ops::copy::copy_(&t, &r)?))
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (min=None, max=None, *, out=None))]
    fn clamp(
        &self,
        py: Python<'_>,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        let r = pointwise::clamp(&self.t, bound(min)?.as_ref(), bound(max)?.as_ref())?;
        finish(py, out, r)
    }
    #[pyo3(signature = (min=None, max=None, *, out=None))]
    fn clip(
        &self,
        py: Python<'_>,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        self.clamp(py, min, max, out)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp_<'py>(
        slf: &Bound<'py, Self>,
        min: Option<&Bound<'py, PyAny>>,
        max: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let r = pointwise::clamp(
            &slf.borrow().t.clone(),
            bound(min)?.as_ref(),
            bound(max)?.as_ref(),
        )?;
        write_back(slf, r)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip_<'py>(
        slf: &Bound<'py, Self>,
        min: Option<&Bound<'py, PyAny>>,
        max: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        Self::clamp_(slf, min, max)
    }
    fn clamp_min(&self, min: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(pointwise::clamp(
            &self.t,
            bound(Some(min))?.as_ref(),
            None,
        )?))
    }
    fn clamp_max(&self, max: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(pointwise::clamp(
            &self.t,
            None,
            bound(Some(max))?.as_ref(),
        )?))
    }
    fn clamp_min_<'py>(
        slf: &Bound<'py, Self>,
        min: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let r = pointwise::clamp(&slf.borrow().t.clone(), bound(Some(min))?.as_ref(), None)?;
        write_back(slf, r)
    }
    fn clamp_max_<'py>(
        slf: &Bound<'py, Self>,
        max: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let r = pointwise::clamp(&slf.borrow().t.clone(), None, bound(Some(max))?.as_ref())?;
        write_back(slf, r)
    }
    fn lerp(&self, end: PyRef<'_, PyTensor>, weight: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let w = operand_any(weight, "weight")?;
        Ok(PyTensor::new(pointwise::lerp(&self.t, &end.t, &w)?))
    }
    fn lerp_<'py>(
        slf: &Bound<'py, Self>,
        end: PyRef<'py, PyTensor>,
        weight: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let w = operand_any(weight, "weight")?;
        let r = pointwise::lerp(&slf.borrow().t.clone(), &end.t, &w)?;
        write_back(slf, r)
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcmul(
        &self,
        tensor1: PyRef<'_, PyTensor>,
        tensor2: PyRef<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let v = value
            .map(|v| require_scalar(v, "value"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        Ok(PyTensor::new(pointwise::addcmul(
            &self.t, &tensor1.t, &tensor2.t, v,
        )?))
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcmul_<'py>(
        slf: &Bound<'py, Self>,
        tensor1: PyRef<'py, PyTensor>,
        tensor2: PyRef<'py, PyTensor>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let v = value
            .map(|v| require_scalar(v, "value"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        let r = pointwise::addcmul(&slf.borrow().t.clone(), &tensor1.t, &tensor2.t, v)?;
        write_back(slf, r)
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcdiv(
        &self,
        tensor1: PyRef<'_, PyTensor>,
        tensor2: PyRef<'_, PyTensor>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let v = value
            .map(|v| require_scalar(v, "value"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        Ok(PyTensor::new(pointwise::addcdiv(
            &self.t, &tensor1.t, &tensor2.t, v,
        )?))
    }
    #[pyo3(signature = (tensor1, tensor2, *, value=None))]
    fn addcdiv_<'py>(
        slf: &Bound<'py, Self>,
        tensor1: PyRef<'py, PyTensor>,
        tensor2: PyRef<'py, PyTensor>,
        value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let v = value
            .map(|v| require_scalar(v, "value"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        let r = pointwise::addcdiv(&slf.borrow().t.clone(), &tensor1.t, &tensor2.t, v)?;
        write_back(slf, r)
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(pointwise::nan_to_num(
            &self.t, nan, posinf, neginf,
        )?))
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num_<'py>(
        slf: &Bound<'py, Self>,
        nan: f64,
        posinf: Option<f64>,
        neginf: Option<f64>,
    ) -> PyResult<Bound<'py, Self>> {
        let r = pointwise::nan_to_num(&slf.borrow().t.clone(), nan, posinf, neginf)?;
        write_back(slf, r)
    }
    #[pyo3(signature = (*, decimals=0))]
    fn round(&self, decimals: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(pointwise::round_decimals(&self.t, decimals)?))
    }
    #[pyo3(signature = (*, decimals=0))]
    fn round_<'py>(slf: &Bound<'py, Self>, decimals: i64) -> PyResult<Bound<'py, Self>> {
        if decimals == 0 {
            let t = slf.borrow().t.clone();
            return Ok(update(slf, unary_(&un::ROUND, &t)?));
        }
        let r = pointwise::round_decimals(&slf.borrow().t.clone(), decimals)?;
        write_back(slf, r)
    }
    #[pyo3(signature = (eps=None))]
    fn logit(&self, eps: Option<f64>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(pointwise::logit(&self.t, eps)?))
    }
    fn xlogy(&self, other: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let o = operand_any(other, "other")?;
        Ok(PyTensor::new(pointwise::xlogy(&self.t, &o)?))
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn isclose(
        &self,
        other: &Bound<'_, PyAny>,
        rtol: f64,
        atol: f64,
        equal_nan: bool,
    ) -> PyResult<PyTensor> {
        let o = operand_any(other, "other")?;
        Ok(PyTensor::new(pointwise::isclose(
            &self.t, &o, rtol, atol, equal_nan,
        )?))
    }
    #[pyo3(signature = (other, rtol=1e-05, atol=1e-08, equal_nan=false))]
    fn allclose(
        &self,
        other: &Bound<'_, PyAny>,
        rtol: f64,
        atol: f64,
        equal_nan: bool,
    ) -> PyResult<bool> {
        let o = operand_any(other, "other")?;
        let c = pointwise::isclose(&self.t, &o, rtol, atol, equal_nan)?;
        Ok(reduce::all_any(&c, None, false, true)?.get_flat(0).to_f64() != 0.0)
    }
    fn equal(&self, other: PyRef<'_, PyTensor>) -> PyResult<bool> {
        Ok(pointwise::equal(&self.t, &other.t)?)
    }
}

#[pymethods]
impl PyTensor {
    fn _cummax<'py>(&self, py: Python<'py>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        let (v, i) = reduce::cum_extreme(&self.t, dim, true)?;
        tensors_tuple(py, vec![v, i])
    }
    fn _cummin<'py>(&self, py: Python<'py>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        let (v, i) = reduce::cum_extreme(&self.t, dim, false)?;
        tensors_tuple(py, vec![v, i])
    }
}
