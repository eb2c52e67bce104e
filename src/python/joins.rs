//! Bindings of the joining/shape ops (`ops::join`) and the products (`ops::products`):
//! Tensor methods here, module-level functions registered in `mod.rs`.

use super::args::{index_int, int_list, require_scalar, sizes_from_args};
use super::errors::type_error;
use super::ops::{finish, run, tensors_tuple};
use super::tensor::{update, PyTensor};
use crate::dtype::{DType, Scalar};
use crate::ops::join::{self, SplitBy};
use crate::ops::products::{self, Product};
use crate::tensor::Tensor;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyEllipsis, PySequence, PyString, PyTuple};

/// The tensors of a list/tuple argument.
fn tensor_seq(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Tensor>> {
    if obj.cast::<PyTensor>().is_ok() {
        return Err(type_error(format!(
            "{what}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )));
    }
    obj.try_iter()?
        .map(|item| {
            let item = item?;
            item.cast::<PyTensor>()
                .map(|t| t.borrow().t.clone())
                .map_err(|_| {
                    type_error(format!(
                        "expected Tensor as element in argument 0, but got {}",
                        item.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })
        })
        .collect()
}

/// Varargs tensors, or one list/tuple of them (`f(a, b)` and `f([a, b])`).
fn varargs_tensors(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<(Vec<Tensor>, bool)> {
    if args.len() == 1 {
        let first = args.get_item(0)?;
        if first.cast::<PyTensor>().is_err() {
            return Ok((tensor_seq(&first, what)?, true));
        }
    }
    Ok((tensor_seq(args.as_any(), what)?, false))
}

fn scalar_arg(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Scalar> {
    match obj {
        None => Ok(Scalar::Int(1)),
        Some(o) => require_scalar(o, what),
    }
}

/// `tensor_split`'s second argument: an int or 0-d tensor (sections), a list or 1-d tensor
/// (indices).
fn split_spec(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<(Option<i64>, Vec<i64>)> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = t.borrow().t.clone();
        if t.dtype() != DType::I64 {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "{op} expected tensor_indices_or_sections to have dtype of long, but got {}",
                crate::ops::capitalized(t.dtype())
            )));
        }
        return match t.ndim() {
            0 => Ok((Some(t.item()?.to_i64()), Vec::new())),
            1 => Ok((None, (0..t.numel()).map(|i| t.get_flat(i).to_i64()).collect())),
            n => Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "{op} expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, but got a tensor with {n} dims"
            ))),
        };
    }
    if let Some(s) = index_int(obj) {
        return Ok((Some(s), Vec::new()));
    }
    Ok((None, int_list(obj, "indices")?))
}

fn split_tuple<'py>(
    py: Python<'py>,
    parts: crate::Result<Vec<Tensor>>,
) -> PyResult<Bound<'py, PyTuple>> {
    tensors_tuple(py, parts?)
}

fn directional<'py>(
    slf: &PyTensor,
    py: Python<'py>,
    spec: &Bound<'_, PyAny>,
    name: &str,
    min_dims: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    let t = &slf.t;
    let dim = match name {
        "hsplit" => usize::from(t.ndim() > 1),
        "vsplit" => 0,
        _ => 2,
    };
    let (sections, indices) = split_spec(spec, &format!("torch.{name}"))?;
    let by = match sections {
        Some(s) => SplitBy::Sections(s),
        None => SplitBy::Indices(&indices),
    };
    split_tuple(py, join::directional_split(t, by, name, min_dims, dim))
}

macro_rules! add_product_methods {
    ($($name:ident, $inplace:ident, $a:ident, $b:ident => $kind:expr;)*) => {
        #[pymethods]
        impl PyTensor {
            $(
                #[pyo3(signature = ($a, $b, *, beta=None, alpha=None, out=None))]
                fn $name(&self, py: Python<'_>, $a: PyRef<'_, PyTensor>, $b: PyRef<'_, PyTensor>, beta: Option<&Bound<'_, PyAny>>, alpha: Option<&Bound<'_, PyAny>>, out: Option<&Bound<'_, PyTensor>>) -> PyResult<Py<PyAny>> {
                    let (beta, alpha) = (scalar_arg(beta, "beta")?, scalar_arg(alpha, "alpha")?);
                    let (i, a, b) = (self.t.clone(), $a.t.clone(), $b.t.clone());
                    let n = a.numel().max(b.numel());
                    let r = run(py, n, move || products::add_product($kind, &i, &a, &b, beta, alpha))?;
                    finish(py, out, r)
                }
                #[pyo3(signature = ($a, $b, *, beta=None, alpha=None))]
                fn $inplace<'py>(slf: &Bound<'py, Self>, $a: PyRef<'py, PyTensor>, $b: PyRef<'py, PyTensor>, beta: Option<&Bound<'py, PyAny>>, alpha: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, Self>> {
                    let (beta, alpha) = (scalar_arg(beta, "beta")?, scalar_arg(alpha, "alpha")?);
                    let (i, a, b) = (slf.borrow().t.clone(), $a.t.clone(), $b.t.clone());
                    let n = a.numel().max(b.numel());
                    let r = run(slf.py(), n, move || products::add_product_($kind, &i, &a, &b, beta, alpha))?;
                    Ok(update(slf, r))
                }
            )*
        }
    };
}

add_product_methods! {
    addmm, addmm_, mat1, mat2 => Product::Mm;
    addmv, addmv_, mat, vec => Product::Mv;
    addr, addr_, vec1, vec2 => Product::Outer;
    baddbmm, baddbmm_, batch1, batch2 => Product::Bmm;
    addbmm, addbmm_, batch1, batch2 => Product::SumBmm;
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (shifts, dims=None))]
    fn roll(
        &self,
        shifts: &Bound<'_, PyAny>,
        dims: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyTensor> {
        let shifts = int_list(shifts, "shifts")?;
        let dims = match dims {
            Some(d) if !d.is_none() => int_list(d, "dims")?,
            _ => Vec::new(),
        };
        Ok(PyTensor::new(join::roll(&self.t, &shifts, &dims)?))
    }
    #[pyo3(signature = (k=1, dims=None))]
    fn rot90(&self, k: i64, dims: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
        let dims = match dims {
            Some(d) => int_list(d, "dims")?,
            None => vec![0, 1],
        };
        Ok(PyTensor::new(join::rot90(&self.t, k, &dims)?))
    }
    #[pyo3(signature = (*repeats))]
    fn repeat(&self, py: Python<'_>, repeats: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        if repeats.is_empty() {
            return Err(type_error(
                "repeat() missing 1 required positional arguments: \"repeats\"",
            ));
        }
        let r = sizes_from_args(repeats)?;
        let t = self.t.clone();
        let n = t.numel() * r.iter().map(|&v| v.max(0) as usize).product::<usize>();
        Ok(PyTensor::new(run(py, n, move || join::repeat(&t, &r))?))
    }
    #[pyo3(signature = (*dims))]
    fn tile(&self, dims: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::tile(&self.t, &sizes_from_args(dims)?)?))
    }
    /// `x.repeat_interleave(repeats, dim)`; as `torch.repeat_interleave(repeats)` with no
    /// repeats given, `self` holds the counts.
    #[pyo3(signature = (repeats=None, dim=None, *, output_size=None))]
    fn repeat_interleave(
        &self,
        repeats: Option<&Bound<'_, PyAny>>,
        dim: Option<i64>,
        output_size: Option<i64>,
    ) -> PyResult<PyTensor> {
        let r = match repeats {
            None => join::repeat_interleave_counts(&self.t, output_size)?,
            Some(r) => match r.cast::<PyTensor>() {
                Ok(rt) => {
                    join::repeat_interleave_tensor(&self.t, &rt.borrow().t, dim, output_size)?
                }
                Err(_) => {
                    let n = index_int(r).ok_or_else(|| {
                        type_error("repeat_interleave(): argument 'repeats' must be Tensor or int")
                    })?;
                    join::repeat_interleave_int(&self.t, n, dim, output_size)?
                }
            },
        };
        Ok(PyTensor::new(r))
    }
    fn broadcast_to(&self, size: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::broadcast_to(
            &self.t,
            &int_list(size, "size")?,
        )?))
    }
    #[pyo3(signature = (diagonal=0, *, out=None))]
    fn tril(
        &self,
        py: Python<'_>,
        diagonal: i64,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::triangle(&self.t, diagonal, true)?)
    }
    #[pyo3(signature = (diagonal=0, *, out=None))]
    fn triu(
        &self,
        py: Python<'_>,
        diagonal: i64,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::triangle(&self.t, diagonal, false)?)
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril_<'py>(slf: &Bound<'py, Self>, diagonal: i64) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        Ok(update(slf, join::triangle_(&t, diagonal, true)?))
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu_<'py>(slf: &Bound<'py, Self>, diagonal: i64) -> PyResult<Bound<'py, Self>> {
        let t = slf.borrow().t.clone();
        Ok(update(slf, join::triangle_(&t, diagonal, false)?))
    }
    #[pyo3(signature = (diagonal=0, *, out=None))]
    fn diag(
        &self,
        py: Python<'_>,
        diagonal: i64,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::diag(&self.t, diagonal)?)
    }
    #[pyo3(signature = (offset=0, dim1=-2, dim2=-1))]
    fn diag_embed(&self, offset: i64, dim1: i64, dim2: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::diag_embed(
            &self.t, offset, dim1, dim2,
        )?))
    }
    #[pyo3(signature = (offset=0))]
    fn diagflat(&self, offset: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::diagflat(&self.t, offset)?))
    }
    fn trace(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::trace(&self.t)?))
    }
    #[pyo3(signature = (vec2, *, out=None))]
    fn outer(
        &self,
        py: Python<'_>,
        vec2: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::outer(&self.t, &vec2.t)?)
    }
    #[pyo3(signature = (vec2, *, out=None))]
    fn ger(
        &self,
        py: Python<'_>,
        vec2: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::outer(&self.t, &vec2.t)?)
    }
    #[pyo3(signature = (other, *, out=None))]
    fn kron(
        &self,
        py: Python<'_>,
        other: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, join::kron(&self.t, &other.t)?)
    }
    fn narrow_copy(&self, dim: i64, start: i64, length: i64) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::narrow_copy(
            &self.t, dim, start, length,
        )?))
    }
    fn fliplr(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::fliplr(&self.t)?))
    }
    fn flipud(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(join::flipud(&self.t)?))
    }
    #[pyo3(signature = (indices_or_sections, dim=0))]
    fn tensor_split<'py>(
        &self,
        py: Python<'py>,
        indices_or_sections: &Bound<'_, PyAny>,
        dim: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (sections, indices) = split_spec(indices_or_sections, "tensor_split")?;
        let parts = match sections {
            Some(s) => join::tensor_split_sections(&self.t, s, dim),
            None => join::tensor_split_indices(&self.t, &indices, dim),
        };
        split_tuple(py, parts)
    }
    fn hsplit<'py>(
        &self,
        py: Python<'py>,
        sections: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        directional(self, py, sections, "hsplit", 1)
    }
    fn vsplit<'py>(
        &self,
        py: Python<'py>,
        sections: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        directional(self, py, sections, "vsplit", 2)
    }
    fn dsplit<'py>(
        &self,
        py: Python<'py>,
        sections: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        directional(self, py, sections, "dsplit", 3)
    }
    #[pyo3(signature = (other, *, out=None))]
    fn vdot(
        &self,
        py: Python<'_>,
        other: PyRef<'_, PyTensor>,
        out: Option<&Bound<'_, PyTensor>>,
    ) -> PyResult<Py<PyAny>> {
        finish(py, out, products::vdot(&self.t, &other.t)?)
    }
}

// --- module-level functions ----------------------------------------------------------------

macro_rules! stack_functions {
    ($($name:ident, $label:literal => $op:path;)*) => {
        $(
            #[pyfunction]
            #[pyo3(signature = (tensors, *, out=None))]
            pub fn $name(py: Python<'_>, tensors: &Bound<'_, PyAny>, out: Option<&Bound<'_, PyTensor>>) -> PyResult<Py<PyAny>> {
                let ts = tensor_seq(tensors, $label)?;
                finish(py, out, $op(&ts)?)
            }
        )*
    };
}

stack_functions! {
    hstack, "hstack" => join::hstack;
    vstack, "vstack" => join::vstack;
    row_stack, "row_stack" => join::vstack;
    dstack, "dstack" => join::dstack;
    column_stack, "column_stack" => join::column_stack;
}

fn atleast<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyTuple>,
    f: fn(&Tensor) -> crate::Result<Tensor>,
    what: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let (ts, from_list) = varargs_tensors(args, what)?;
    if ts.len() == 1 && !from_list {
        return Ok(Bound::new(py, PyTensor::new(f(&ts[0])?))?.into_any());
    }
    let out: crate::Result<Vec<Tensor>> = ts.iter().map(f).collect();
    Ok(tensors_tuple(py, out?)?.into_any())
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn atleast_1d<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    atleast(py, tensors, join::atleast_1d, "atleast_1d")
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn atleast_2d<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    atleast(py, tensors, join::atleast_2d, "atleast_2d")
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn atleast_3d<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    atleast(py, tensors, join::atleast_3d, "atleast_3d")
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn broadcast_tensors<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let (ts, _) = varargs_tensors(tensors, "broadcast_tensors")?;
    tensors_tuple(py, join::broadcast_tensors(&ts)?)
}

#[pyfunction]
#[pyo3(signature = (*shapes))]
pub fn broadcast_shapes<'py>(
    py: Python<'py>,
    shapes: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let lists = shapes
        .iter()
        .map(|s| {
            if let Some(n) = index_int(&s) {
                return Ok(vec![n]);
            }
            let seq = s.cast::<PySequence>().map_err(|_| {
                type_error("broadcast_shapes(): each shape must be an int or a sequence of ints")
            })?;
            (0..seq.len()?)
                .map(|i| {
                    let item = seq.get_item(i)?;
                    index_int(&item).ok_or_else(|| {
                        type_error(format!(
                            "torch.Size() takes an iterable of 'int' (item {i} is '{}')",
                            item.get_type()
                                .name()
                                .map(|n| n.to_string())
                                .unwrap_or_default()
                        ))
                    })
                })
                .collect::<PyResult<Vec<i64>>>()
        })
        .collect::<PyResult<Vec<_>>>()?;
    super::size_object(py, &join::broadcast_shapes(&lists)?)
}

#[pyfunction]
#[pyo3(signature = (*tensors, indexing=None))]
pub fn meshgrid<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
    indexing: Option<String>,
) -> PyResult<Bound<'py, PyTuple>> {
    let (ts, _) = varargs_tensors(tensors, "meshgrid")?;
    let indexing = match indexing {
        Some(i) => i,
        None => {
            py.import("warnings")?.call_method1(
                "warn",
                (
                    "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                    py.get_type::<pyo3::exceptions::PyUserWarning>(),
                    2,
                ),
            )?;
            "ij".to_string()
        }
    };
    tensors_tuple(py, join::meshgrid(&ts, &indexing)?)
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn cartesian_prod(tensors: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
    let (ts, _) = varargs_tensors(tensors, "cartesian_prod")?;
    Ok(PyTensor::new(join::cartesian_prod(&ts)?))
}

#[pyfunction]
#[pyo3(signature = (input, r=2, with_replacement=false))]
pub fn combinations(
    input: PyRef<'_, PyTensor>,
    r: i64,
    with_replacement: bool,
) -> PyResult<PyTensor> {
    Ok(PyTensor::new(join::combinations(
        &input.t,
        r,
        with_replacement,
    )?))
}

/// `tensordot(a, b, dims=2)`: dims is an int, a pair of lists, or a tensor of either.
#[pyfunction]
#[pyo3(signature = (a, b, dims=None, out=None))]
pub fn tensordot(
    py: Python<'_>,
    a: PyRef<'_, PyTensor>,
    b: PyRef<'_, PyTensor>,
    dims: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let (a, b) = (a.t.clone(), b.t.clone());
    let r = match dims {
        None => products::tensordot_n(&a, &b, 2)?,
        Some(d) => {
            if let Ok(t) = d.cast::<PyTensor>() {
                let t = t.borrow().t.clone();
                if t.ndim() == 0 {
                    products::tensordot_n(&a, &b, t.item()?.to_i64())?
                } else {
                    let rows = crate::ops::shape::unbind(&t, 0)?;
                    if rows.len() != 2 {
                        return Err(PyValueError::new_err(
                            "tensordot expects dims to be a pair of lists",
                        ));
                    }
                    let list = |r: &Tensor| {
                        (0..r.numel())
                            .map(|i| r.get_flat(i).to_i64())
                            .collect::<Vec<_>>()
                    };
                    products::tensordot(&a, &b, &list(&rows[0]), &list(&rows[1]))?
                }
            } else if let Some(n) = index_int(d) {
                products::tensordot_n(&a, &b, n)?
            } else {
                let seq = d.cast::<PySequence>()?;
                if seq.len()? != 2 {
                    return Err(PyValueError::new_err(
                        "tensordot expects dims to be a pair of lists",
                    ));
                }
                let part = |i: usize, arg: &str| -> PyResult<Vec<i64>> {
                    let item = seq.get_item(i)?;
                    if index_int(&item).is_some() {
                        return Err(type_error(format!(
                            "tensordot(): argument '{arg}' (position {}) must be tuple of ints, not int",
                            i + 3
                        )));
                    }
                    int_list(&item, arg)
                };
                products::tensordot(&a, &b, &part(0, "dims_self")?, &part(1, "dims_other")?)?
            }
        }
    };
    finish(py, out, r)
}

/// Subscript letter for a sublist integer (`0..26` is 'A'..'Z', `26..52` is 'a'..'z').
fn sublist_equation(sub: &Bound<'_, PyAny>) -> PyResult<String> {
    let seq = sub.cast::<PySequence>().map_err(|_| {
        type_error("einsum(): subscripts must be given as a list of ints and Ellipsis")
    })?;
    let mut s = String::new();
    for i in 0..seq.len()? {
        let item = seq.get_item(i)?;
        if item.is_instance_of::<PyEllipsis>() {
            s.push_str("...");
            continue;
        }
        let v = index_int(&item)
            .ok_or_else(|| type_error("einsum(): expected subscripts to be ints or Ellipsis"))?;
        if !(0..52).contains(&v) {
            return Err(PyValueError::new_err(
                "einsum(): subscript in subscript list is not within the valid range [0, 52)",
            ));
        }
        let c = if v < 26 {
            b'A' + v as u8
        } else {
            b'a' + (v - 26) as u8
        };
        s.push(c as char);
    }
    Ok(s)
}

/// `einsum(equation, *operands)` or the sublist form `einsum(op0, sub0, op1, sub1, ..., [out])`.
#[pyfunction]
#[pyo3(signature = (*args))]
pub fn einsum(py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<PyTensor> {
    if args.len() < 2 {
        return Err(PyValueError::new_err(
            "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list",
        ));
    }
    let first = args.get_item(0)?;
    let (equation, ops) = if let Ok(s) = first.cast::<PyString>() {
        let rest = args.get_slice(1, args.len());
        let ops = if rest.len() == 1 && rest.get_item(0)?.cast::<PyTensor>().is_err() {
            tensor_seq(&rest.get_item(0)?, "einsum")?
        } else {
            tensor_seq(rest.as_any(), "einsum")?
        };
        (s.to_str()?.to_string(), ops)
    } else {
        let n = args.len();
        let mut ops = Vec::new();
        let mut terms = Vec::new();
        for i in (0..n - n % 2).step_by(2) {
            let op = args.get_item(i)?;
            let t = op.cast::<PyTensor>().map_err(|_| {
                type_error("einsum(): expected a Tensor operand before each subscripts list")
            })?;
            ops.push(t.borrow().t.clone());
            terms.push(sublist_equation(&args.get_item(i + 1)?)?);
        }
        let mut eq = terms.join(",");
        if n % 2 == 1 {
            eq.push_str("->");
            eq.push_str(&sublist_equation(&args.get_item(n - 1)?)?);
        }
        (eq, ops)
    };
    let n = ops.iter().map(|t| t.numel()).max().unwrap_or(0);
    Ok(PyTensor::new(run(py, n, move || {
        products::einsum(&equation, &ops)
    })?))
}

/// `torch.addmv_(input, mat, vec)` exists as a function too.
#[pyfunction]
#[pyo3(signature = (input, mat, vec, *, beta=None, alpha=None))]
pub fn addmv_<'py>(
    input: &Bound<'py, PyTensor>,
    mat: PyRef<'py, PyTensor>,
    vec: PyRef<'py, PyTensor>,
    beta: Option<&Bound<'py, PyAny>>,
    alpha: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTensor>> {
    let (beta, alpha) = (scalar_arg(beta, "beta")?, scalar_arg(alpha, "alpha")?);
    let t = input.borrow().t.clone();
    Ok(update(
        input,
        products::add_product_(Product::Mv, &t, &mat.t, &vec.t, beta, alpha)?,
    ))
}
