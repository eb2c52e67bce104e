//! numpy interop without copies: arrays wrap as tensors over their own memory (kept alive
//! by the storage), and tensors export arrays over theirs (kept alive by the array's base).

use super::errors::type_error;
use super::tensor::PyTensor;
use crate::dtype::DType;
use crate::layout::Layout;
use crate::storage::Storage;
use crate::tensor::Tensor;
use numpy::npyffi::{self, NPY_ARRAY_WRITEABLE, PY_ARRAY_API};
use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use std::sync::Arc;

/// Keeps a tensor's storage alive for as long as a numpy array views it.
#[pyclass(frozen, module = "embertorch._C")]
pub struct StorageOwner {
    #[allow(dead_code)]
    storage: Arc<Storage>,
}

/// The numpy array behind a storage, held for as long as any tensor views it.
struct ArrayOwner(#[allow(dead_code)] Py<PyAny>);

pub fn is_ndarray(obj: &Bound<'_, PyAny>) -> bool {
    // Avoid importing numpy for objects that cannot be arrays.
    obj.get_type()
        .module()
        .is_ok_and(|m| m.to_str().is_ok_and(|m| m == "numpy"))
        && obj.cast::<PyUntypedArray>().is_ok()
}

fn dtype_of(arr: &Bound<'_, PyUntypedArray>) -> PyResult<DType> {
    let d = arr.dtype();
    let (kind, size) = (d.kind(), d.itemsize());
    let dt = match (kind, size) {
        (b'b', 1) => Some(DType::Bool),
        (b'u', 1) => Some(DType::U8),
        (b'i', 1) => Some(DType::I8),
        (b'i', 2) => Some(DType::I16),
        (b'i', 4) => Some(DType::I32),
        (b'i', 8) => Some(DType::I64),
        (b'f', 2) => Some(DType::F16),
        (b'f', 4) => Some(DType::F32),
        (b'f', 8) => Some(DType::F64),
        _ => None,
    };
    let Some(dt) = dt else {
        return Err(PyTypeError::new_err(format!(
            "can't convert np.ndarray of type numpy.{}. The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.",
            d.typeobj().name()?
        )));
    };
    if d.is_native_byteorder() == Some(false) {
        return Err(PyValueError::new_err(
            "given numpy array has byte order different from the native byte order. Conversion between byte orders is currently not supported.",
        ));
    }
    Ok(dt)
}

/// `from_numpy`: a tensor over the array's memory, sharing writes both ways.
pub fn from_numpy(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        type_error(format!(
            "expected np.ndarray (got {})",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let dt = dtype_of(arr)?;
    let item = dt.size() as isize;
    let mut strides = Vec::with_capacity(arr.ndim());
    for &s in arr.strides() {
        if s < 0 {
            return Err(PyValueError::new_err(
                "At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) ",
            ));
        }
        if s % item != 0 {
            return Err(PyValueError::new_err(
                "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory.",
            ));
        }
        strides.push(s / item);
    }
    let sizes: Vec<usize> = arr.shape().to_vec();
    let layout = Layout {
        sizes: sizes.iter().copied().collect(),
        strides: strides.iter().copied().collect(),
        offset: 0,
    };
    let (_, hi) = layout.storage_span();
    // Safety: numpy guarantees the buffer spans every element the strides reach.
    let raw = unsafe { &*arr.as_array_ptr() };
    let writable = raw.flags & NPY_ARRAY_WRITEABLE != 0;
    let data = raw.data as *mut u8;
    let owner = Box::new(ArrayOwner(obj.clone().unbind()));
    let storage = unsafe { Storage::from_foreign(data, hi * dt.size(), owner, writable) };
    if !writable {
        warn_not_writable(obj.py())?;
    }
    Ok(Tensor::from_parts(Arc::new(storage), layout, dt))
}

fn warn_not_writable(py: Python<'_>) -> PyResult<()> {
    let warnings = py.import("warnings")?;
    warnings.call_method1(
        "warn",
        (
            "The given NumPy array is not writable, and embertorch does not support non-writable tensors. Writing to this tensor will fail.",
            py.get_type::<pyo3::exceptions::PyUserWarning>(),
            2,
        ),
    )?;
    Ok(())
}

/// A numpy array converted to a tensor: shares memory when `dtype` matches and `share` is
/// allowed, else copies.
pub fn array_to_tensor(
    obj: &Bound<'_, PyAny>,
    dtype: Option<DType>,
    copy: bool,
) -> PyResult<Tensor> {
    let arr = obj.cast::<PyUntypedArray>()?;
    let t = match dtype_of(arr) {
        Ok(_) => from_numpy(obj)?,
        Err(e) => {
            // Unsupported numpy dtypes (uint16, ...) convert through int64/float64.
            let kind = arr.dtype().kind();
            let target = match kind {
                b'u' | b'i' => "int64",
                b'f' => "float64",
                _ => return Err(e),
            };
            from_numpy(&obj.call_method1("astype", (target,))?)?
        }
    };
    if t.layout().storage_span().0 > 0 || !t.storage().is_writable() || copy {
        let c = crate::ops::copy::clone_contiguous(&t);
        return Ok(match dtype {
            Some(d) => crate::ops::cast(&c, d),
            None => c,
        });
    }
    Ok(match dtype {
        Some(d) if d != t.dtype() => crate::ops::cast(&t, d),
        _ => t,
    })
}

fn npy_type(dt: DType) -> PyResult<std::os::raw::c_int> {
    use numpy::npyffi::NPY_TYPES::*;
    Ok(match dt {
        DType::Bool => NPY_BOOL,
        DType::U8 => NPY_UBYTE,
        DType::I8 => NPY_BYTE,
        DType::I16 => NPY_SHORT,
        DType::I32 => NPY_INT,
        DType::I64 => NPY_LONGLONG,
        DType::F16 => NPY_HALF,
        DType::F32 => NPY_FLOAT,
        DType::F64 => NPY_DOUBLE,
        DType::BF16 => {
            return Err(PyTypeError::new_err("Got unsupported ScalarType BFloat16"));
        }
    } as std::os::raw::c_int)
}

/// `Tensor.numpy()`: an array over the tensor's memory; its base keeps the storage alive.
pub fn to_numpy<'py>(py: Python<'py>, t: &Tensor, force: bool) -> PyResult<Bound<'py, PyAny>> {
    if t.requires_grad() && !force {
        return Err(PyRuntimeError::new_err(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        ));
    }
    if !matches!(t.device(), crate::device::Device::Cpu) {
        return Err(type_error(format!(
            "can't convert {} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.",
            t.device()
        )));
    }
    let typenum = npy_type(t.dtype())?;
    let item = t.dtype().size() as isize;
    let mut dims: Vec<npyffi::npy_intp> =
        t.sizes().iter().map(|&s| s as npyffi::npy_intp).collect();
    let mut strides: Vec<npyffi::npy_intp> = t
        .strides()
        .iter()
        .map(|&s| (s * item) as npyffi::npy_intp)
        .collect();
    let owner = Bound::new(
        py,
        StorageOwner {
            storage: t.storage().clone(),
        },
    )?;
    let flags = if t.storage().is_writable() {
        NPY_ARRAY_WRITEABLE
    } else {
        0
    };
    // Safety: data and strides describe memory inside the storage, which `owner` keeps alive;
    // numpy steals the descr reference and the owner reference (SetBaseObject).
    unsafe {
        let descr = PY_ARRAY_API.PyArray_DescrFromType(py, typenum);
        let raw = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type),
            descr,
            dims.len() as std::os::raw::c_int,
            dims.as_mut_ptr(),
            strides.as_mut_ptr(),
            t.data_ptr_raw() as *mut std::ffi::c_void,
            flags,
            std::ptr::null_mut(),
        );
        if raw.is_null() {
            return Err(PyErr::fetch(py));
        }
        if PY_ARRAY_API.PyArray_SetBaseObject(
            py,
            raw as *mut npyffi::PyArrayObject,
            owner.into_ptr(),
        ) < 0
        {
            pyo3::ffi::Py_DecRef(raw);
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, raw))
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (*, force=false))]
    fn numpy<'py>(&self, py: Python<'py>, force: bool) -> PyResult<Bound<'py, PyAny>> {
        to_numpy(py, &self.t, force)
    }
}
