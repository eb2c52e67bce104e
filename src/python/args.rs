//! Argument conversion: sizes, dims, scalars, nested Python data, index tuples.

use super::errors::type_error;
use super::tensor::PyTensor;
use crate::dtype::{default_float, DType, Scalar};
use crate::ops::index::IndexItem;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PyFloat, PyInt, PyList, PySequence, PySlice, PyTuple};

/// A Python number as a Scalar (bool before int: bool is an int subclass).
pub fn scalar(obj: &Bound<'_, PyAny>) -> Option<Scalar> {
    if obj.is_instance_of::<PyBool>() {
        return Some(Scalar::Bool(obj.is_truthy().ok()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().ok().map(Scalar::Int);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Some(Scalar::Float(f.value()));
    }
    numpy_scalar(obj)
}

/// numpy scalars (`np.int64(3)`, `np.float32(0.5)`, `np.bool_`): not Python ints.
fn numpy_scalar(obj: &Bound<'_, PyAny>) -> Option<Scalar> {
    let ty = obj.get_type();
    let module = ty.module().ok()?;
    if module.to_str().ok()? != "numpy" {
        return None;
    }
    let kind: String = obj
        .getattr("dtype")
        .ok()?
        .getattr("kind")
        .ok()?
        .extract()
        .ok()?;
    match kind.as_str() {
        "b" => Some(Scalar::Bool(obj.is_truthy().ok()?)),
        "i" | "u" => obj
            .call_method0("__int__")
            .ok()?
            .extract::<i64>()
            .ok()
            .map(Scalar::Int),
        "f" => obj
            .call_method0("__float__")
            .ok()?
            .extract::<f64>()
            .ok()
            .map(Scalar::Float),
        _ => None,
    }
}

/// A scalar argument or a TypeError naming it.
pub fn require_scalar(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Scalar> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.borrow().t;
        if t.numel() == 1 {
            return Ok(t.item()?);
        }
    }
    if let Some(s) = scalar(obj) {
        return Ok(s);
    }
    if obj.is_instance_of::<PyInt>() {
        return Err(PyOverflowError::new_err(format!(
            "value cannot be converted to type int64 without overflow: {what}"
        )));
    }
    scalar(obj).ok_or_else(|| {
        type_error(format!(
            "{what} must be a Number, not {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// A tensor operand: a tensor, or a Python number as a wrapped scalar.
pub fn operand(obj: &Bound<'_, PyAny>) -> Option<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Some(t.borrow().t.clone());
    }
    scalar(obj).map(Tensor::wrapped_scalar)
}

/// Like `operand`, but nested lists and numpy arrays are converted too (named methods).
pub fn operand_any(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor> {
    if let Some(t) = operand(obj) {
        return Ok(t);
    }
    if super::numpy::is_ndarray(obj) {
        return super::numpy::array_to_tensor(obj, None, true);
    }
    Err(type_error(format!(
        "{what} must be Tensor, not {}",
        obj.get_type().name()?
    )))
}

/// Sizes from varargs: `f(2, 3)`, `f((2, 3))`, `f([2, 3])`, `f(torch.Size([2, 3]))`, `f()`.
pub fn sizes_from_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        let a = args.get_item(0)?;
        if !a.is_instance_of::<PyInt>() && a.cast::<PySequence>().is_ok() {
            return int_list(&a, "size");
        }
    }
    int_list(args.as_any(), "size")
}

/// A list of ints (tuple, list, Size); one int counts as a list of one.
pub fn int_list(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<i64>> {
    if let Some(i) = index_int(obj) {
        return Ok(vec![i]);
    }
    let seq = obj.cast::<PySequence>().map_err(|_| {
        type_error(format!(
            "{what} must be tuple of ints, but got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let n = seq.len()?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let item = seq.get_item(i)?;
        match index_int(&item) {
            Some(v) => out.push(v),
            None => {
                return Err(type_error(format!(
                    "{what} must be tuple of ints, but found element of type {} at pos {i}",
                    item.get_type().name()?
                )))
            }
        }
    }
    Ok(out)
}

/// An int, or anything with `__index__` (numpy ints, one-element integer tensors); not bool
/// or float.
pub fn index_int(obj: &Bound<'_, PyAny>) -> Option<i64> {
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().ok();
    }
    if obj.is_instance_of::<PyFloat>() {
        return None;
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.borrow().t;
        if t.numel() == 1 && t.dtype().is_int() {
            return Some(t.item().ok()?.to_i64());
        }
        return None;
    }
    if obj.hasattr("__index__").unwrap_or(false) && obj.cast::<PySequence>().is_err() {
        return obj.call_method0("__index__").ok()?.extract::<i64>().ok();
    }
    None
}

/// `dim` arguments: None, an int, or a sequence of ints.
pub fn opt_dims(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => int_list(o, "dim").map(Some),
    }
}

/// Nested Python data converted to a tensor (`torch.tensor(data)`).
pub fn data_to_tensor(obj: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = t.borrow().t.detach();
        let c = crate::ops::copy::clone_contiguous(&t);
        return Ok(match dtype {
            Some(d) => crate::ops::cast(&c, d),
            None => c,
        });
    }
    if super::numpy::is_ndarray(obj) {
        return super::numpy::array_to_tensor(obj, dtype, true);
    }
    let mut shape: Vec<usize> = Vec::new();
    let mut values: Vec<Scalar> = Vec::new();
    let mut kind = DType::Bool;
    let mut saw_any = false;
    collect(obj, 0, &mut shape, &mut values, &mut kind, &mut saw_any)?;
    let inferred = if !saw_any { default_float() } else { kind };
    let dt = dtype.unwrap_or(inferred);
    let t = Tensor::empty(&shape, dt);
    crate::dispatch_all!(dt, T => {
        let p = t.data_ptr_mut::<T>();
        for (i, v) in values.iter().enumerate() {
            check_fits(*v, dt)?;
            unsafe { *p.add(i) = <T as crate::dtype::Element>::from_scalar(*v) };
        }
    });
    Ok(t)
}

/// PyTorch refuses Python numbers that an integer dtype cannot hold (unsigned types take
/// negatives down to -max, wrapping them, as PyTorch's check allows).
fn check_fits(v: Scalar, dt: DType) -> PyResult<()> {
    let (lo, hi): (i128, i128) = match dt {
        DType::U8 => (-255, 255),
        DType::I8 => (i8::MIN.into(), i8::MAX.into()),
        DType::I16 => (i16::MIN.into(), i16::MAX.into()),
        DType::I32 => (i32::MIN.into(), i32::MAX.into()),
        DType::I64 => (i64::MIN.into(), i64::MAX.into()),
        _ => return Ok(()),
    };
    let fits = match v {
        Scalar::Int(i) => (lo..=hi).contains(&i128::from(i)),
        Scalar::Float(f) => f.is_finite(),
        Scalar::Bool(_) => true,
    };
    if fits {
        return Ok(());
    }
    Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
        "value cannot be converted to type {} without overflow",
        dt.name()
    )))
}

/// The dtype a numpy scalar carries (`np.float64(1.5)` makes a float64 tensor).
fn numpy_scalar_dtype(obj: &Bound<'_, PyAny>) -> Option<DType> {
    // np.float64 subclasses float, so look at the type's module, not at isinstance.
    let module = obj.get_type().module().ok()?;
    if module.to_str().ok()? != "numpy" {
        return None;
    }
    let d = obj.getattr("dtype").ok()?;
    let kind: String = d.getattr("kind").ok()?.extract().ok()?;
    let size: usize = d.getattr("itemsize").ok()?.extract().ok()?;
    match (kind.as_str(), size) {
        ("b", 1) => Some(DType::Bool),
        ("u", 1) => Some(DType::U8),
        ("i", 1) => Some(DType::I8),
        ("i", 2) => Some(DType::I16),
        ("i", 4) => Some(DType::I32),
        ("i", 8) => Some(DType::I64),
        ("f", 2) => Some(DType::F16),
        ("f", 4) => Some(DType::F32),
        ("f", 8) => Some(DType::F64),
        _ => None,
    }
}

fn collect(
    obj: &Bound<'_, PyAny>,
    depth: usize,
    shape: &mut Vec<usize>,
    values: &mut Vec<Scalar>,
    kind: &mut DType,
    saw_any: &mut bool,
) -> PyResult<()> {
    if let Some(s) = scalar(obj) {
        if depth < shape.len() {
            return Err(type_error("not a sequence"));
        }
        if depth > shape.len() {
            unreachable!("depth grows with shape");
        }
        match numpy_scalar_dtype(obj) {
            Some(d) => note_dtype(kind, d),
            None => note_kind(kind, s),
        }
        *saw_any = true;
        values.push(s);
        return Ok(());
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if t.ndim() == 0 {
            let s = t.item()?;
            note_dtype(kind, t.dtype());
            *saw_any = true;
            values.push(s);
            return Ok(());
        }
        let list = super::tensor::to_pylist(obj.py(), &t)?;
        return collect(list.bind(obj.py()), depth, shape, values, kind, saw_any);
    }
    if super::numpy::is_ndarray(obj) {
        let list = obj.call_method0("tolist")?;
        return collect(&list, depth, shape, values, kind, saw_any);
    }
    let is_str = obj.is_instance_of::<pyo3::types::PyString>();
    let seq = match obj.cast::<PySequence>() {
        Ok(s) if !is_str => s,
        _ => {
            let name = obj.get_type().name()?;
            if is_str && depth > 0 {
                return Err(PyValueError::new_err(format!(
                    "too many dimensions '{name}'"
                )));
            }
            if is_str {
                return Err(type_error(format!("new(): invalid data type '{name}'")));
            }
            if obj.is_instance_of::<PyInt>() {
                return Err(PyValueError::new_err("Overflow when unpacking long long"));
            }
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "Could not infer dtype of {name}"
            )));
        }
    };
    let n = seq.len()?;
    if depth == shape.len() {
        if !values.is_empty() {
            return Err(type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                obj.get_type().name()?
            )));
        }
        shape.push(n);
    } else if shape[depth] != n {
        return Err(PyValueError::new_err(format!(
            "expected sequence of length {} at dim {} (got {})",
            shape[depth], depth, n
        )));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        for item in list.iter() {
            collect(&item, depth + 1, shape, values, kind, saw_any)?;
        }
    } else {
        for i in 0..n {
            collect(&seq.get_item(i)?, depth + 1, shape, values, kind, saw_any)?;
        }
    }
    // An empty list at this depth fixes the remaining shape.
    Ok(())
}

fn note_kind(kind: &mut DType, s: Scalar) {
    let d = match s {
        Scalar::Bool(_) => DType::Bool,
        Scalar::Int(_) => DType::I64,
        Scalar::Float(_) => default_float(),
    };
    note_dtype(kind, d);
}

fn note_dtype(kind: &mut DType, d: DType) {
    *kind = crate::dtype::promote_types(*kind, d);
}

/// Parse an index expression (`x[...]`) into items.
pub fn index_items(obj: &Bound<'_, PyAny>) -> PyResult<Vec<IndexItem>> {
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t.iter().map(|i| index_item(&i)).collect();
    }
    // A list of ints is an index tensor (a list holding slices is a legacy tuple).
    if let Ok(l) = obj.cast::<PyList>() {
        let has_special = l.iter().any(|i| {
            i.is_instance_of::<PySlice>()
                || i.is_none()
                || i.is(obj.py().Ellipsis())
                || i.cast::<PySequence>().is_ok()
        });
        if has_special
            && l.iter()
                .any(|i| i.is_instance_of::<PySlice>() || i.is(obj.py().Ellipsis()))
        {
            return l.iter().map(|i| index_item(&i)).collect();
        }
    }
    Ok(vec![index_item(obj)?])
}

fn index_item(obj: &Bound<'_, PyAny>) -> PyResult<IndexItem> {
    if obj.is_none() {
        return Ok(IndexItem::NewAxis);
    }
    if obj.is_instance_of::<PyEllipsis>() {
        return Ok(IndexItem::Ellipsis);
    }
    if let Ok(s) = obj.cast::<PySlice>() {
        let get = |name: &str| -> PyResult<Option<i64>> {
            let v = s.getattr(name)?;
            if v.is_none() {
                Ok(None)
            } else {
                index_int(&v).map(Some).ok_or_else(|| {
                    type_error("slice indices must be integers or None or have an __index__ method")
                })
            }
        };
        let step = get("step")?.unwrap_or(1);
        return Ok(IndexItem::Slice(get("start")?, get("stop")?, step));
    }
    if obj.is_instance_of::<PyBool>() {
        let t = Tensor::from_vec(vec![obj.is_truthy()?], &[])?;
        return Ok(IndexItem::Tensor(t));
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if t.ndim() == 0 && t.dtype().is_int() {
            return Ok(IndexItem::Int(t.item()?.to_i64()));
        }
        return Ok(IndexItem::Tensor(t));
    }
    if let Some(i) = index_int(obj) {
        return Ok(IndexItem::Int(i));
    }
    if obj.cast::<PySequence>().is_ok() || super::numpy::is_ndarray(obj) {
        let t = data_to_tensor(obj, None)?;
        if t.dtype().is_float() {
            return Err(pyo3::exceptions::PyIndexError::new_err(
                "tensors used as indices must be long, int, byte or bool tensors",
            ));
        }
        return Ok(IndexItem::Tensor(t));
    }
    Err(pyo3::exceptions::PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {})",
        obj.get_type().name()?
    )))
}
