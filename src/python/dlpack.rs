//! DLPack exchange (the `__dlpack__` protocol and `from_dlpack`), both the legacy
//! `dltensor` capsule and the versioned (1.x) one, without copies.

use super::tensor::PyTensor;
use crate::dtype::DType;
use crate::layout::Layout;
use crate::storage::Storage;
use crate::tensor::Tensor;
use pyo3::exceptions::{PyBufferError, PyRuntimeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::ffi::{c_void, CStr};
use std::sync::Arc;

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDevice {
    device_type: i32,
    device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct DLDataType {
    code: u8,
    bits: u8,
    lanes: u16,
}

#[repr(C)]
struct DLTensor {
    data: *mut c_void,
    device: DLDevice,
    ndim: i32,
    dtype: DLDataType,
    shape: *mut i64,
    strides: *mut i64,
    byte_offset: u64,
}

#[repr(C)]
struct DLManagedTensor {
    dl_tensor: DLTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensor)>,
}

#[repr(C)]
struct DLPackVersion {
    major: u32,
    minor: u32,
}

#[repr(C)]
struct DLManagedTensorVersioned {
    version: DLPackVersion,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DLManagedTensorVersioned)>,
    flags: u64,
    dl_tensor: DLTensor,
}

const KDL_CPU: i32 = 1;
const FLAG_READ_ONLY: u64 = 1;
const NAME: &CStr = c"dltensor";
const USED_NAME: &CStr = c"used_dltensor";
const NAME_V: &CStr = c"dltensor_versioned";
const USED_NAME_V: &CStr = c"used_dltensor_versioned";

fn dl_dtype(d: DType) -> DLDataType {
    let (code, bits) = match d {
        DType::Bool => (6, 8),
        DType::U8 => (1, 8),
        DType::I8 => (0, 8),
        DType::I16 => (0, 16),
        DType::I32 => (0, 32),
        DType::I64 => (0, 64),
        DType::F16 => (2, 16),
        DType::BF16 => (4, 16),
        DType::F32 => (2, 32),
        DType::F64 => (2, 64),
    };
    DLDataType {
        code,
        bits,
        lanes: 1,
    }
}

fn from_dl_dtype(t: DLDataType) -> PyResult<DType> {
    if t.lanes != 1 {
        return Err(PyBufferError::new_err(
            "DLPack: vector (lanes > 1) dtypes are not supported",
        ));
    }
    Ok(match (t.code, t.bits) {
        (6, 8) => DType::Bool,
        (1, 8) => DType::U8,
        (0, 8) => DType::I8,
        (0, 16) => DType::I16,
        (0, 32) => DType::I32,
        (0, 64) => DType::I64,
        (2, 16) => DType::F16,
        (4, 16) => DType::BF16,
        (2, 32) => DType::F32,
        (2, 64) => DType::F64,
        (c, b) => {
            return Err(PyBufferError::new_err(format!(
                "DLPack: unsupported data type (code {c}, bits {b})"
            )))
        }
    })
}

/// What an exported capsule owns: the storage and the shape/stride arrays it points to.
struct Export {
    _storage: Arc<Storage>,
    shape: Vec<i64>,
    strides: Vec<i64>,
}

fn export(t: &Tensor) -> (Box<Export>, DLTensor) {
    let mut ctx = Box::new(Export {
        _storage: t.storage().clone(),
        shape: t.sizes().iter().map(|&s| s as i64).collect(),
        strides: t.strides().iter().map(|&s| s as i64).collect(),
    });
    let dl = DLTensor {
        data: t.storage().ptr() as *mut c_void,
        device: DLDevice {
            device_type: KDL_CPU,
            device_id: 0,
        },
        ndim: t.ndim() as i32,
        dtype: dl_dtype(t.dtype()),
        shape: ctx.shape.as_mut_ptr(),
        strides: ctx.strides.as_mut_ptr(),
        byte_offset: (t.offset() * t.dtype().size()) as u64,
    };
    (ctx, dl)
}

unsafe extern "C" fn delete_legacy(m: *mut DLManagedTensor) {
    if m.is_null() {
        return;
    }
    let m = Box::from_raw(m);
    drop(Box::from_raw(m.manager_ctx as *mut Export));
}

unsafe extern "C" fn delete_versioned(m: *mut DLManagedTensorVersioned) {
    if m.is_null() {
        return;
    }
    let m = Box::from_raw(m);
    drop(Box::from_raw(m.manager_ctx as *mut Export));
}

/// Capsule destructor: only an unconsumed capsule still owns its tensor.
unsafe extern "C" fn capsule_legacy(cap: *mut ffi::PyObject) {
    if ffi::PyCapsule_IsValid(cap, NAME.as_ptr()) == 1 {
        let m = ffi::PyCapsule_GetPointer(cap, NAME.as_ptr()) as *mut DLManagedTensor;
        if let Some(d) = (*m).deleter {
            d(m);
        }
    }
}

unsafe extern "C" fn capsule_versioned(cap: *mut ffi::PyObject) {
    if ffi::PyCapsule_IsValid(cap, NAME_V.as_ptr()) == 1 {
        let m = ffi::PyCapsule_GetPointer(cap, NAME_V.as_ptr()) as *mut DLManagedTensorVersioned;
        if let Some(d) = (*m).deleter {
            d(m);
        }
    }
}

fn to_capsule(py: Python<'_>, t: &Tensor, versioned: bool) -> PyResult<Py<PyAny>> {
    let (ctx, dl) = export(t);
    let ctx = Box::into_raw(ctx) as *mut c_void;
    // Safety: the managed struct and its context are freed exactly once, by the deleter,
    // called either by the consumer or by the capsule destructor if never consumed.
    unsafe {
        let cap = if versioned {
            let m = Box::into_raw(Box::new(DLManagedTensorVersioned {
                version: DLPackVersion { major: 1, minor: 0 },
                manager_ctx: ctx,
                deleter: Some(delete_versioned),
                flags: if t.storage().is_writable() {
                    0
                } else {
                    FLAG_READ_ONLY
                },
                dl_tensor: dl,
            }));
            ffi::PyCapsule_New(m as *mut c_void, NAME_V.as_ptr(), Some(capsule_versioned))
        } else {
            let m = Box::into_raw(Box::new(DLManagedTensor {
                dl_tensor: dl,
                manager_ctx: ctx,
                deleter: Some(delete_legacy),
            }));
            ffi::PyCapsule_New(m as *mut c_void, NAME.as_ptr(), Some(capsule_legacy))
        };
        if cap.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap).unbind())
    }
}

/// Owns an imported DLPack tensor; dropping it calls the producer's deleter.
enum Imported {
    Legacy(*mut DLManagedTensor),
    Versioned(*mut DLManagedTensorVersioned),
}

// Safety: DLPack deleters may be called from any thread (producers that need the GIL take it).
unsafe impl Send for Imported {}
unsafe impl Sync for Imported {}

impl Drop for Imported {
    fn drop(&mut self) {
        unsafe {
            match *self {
                Imported::Legacy(m) => {
                    if let Some(d) = (*m).deleter {
                        d(m)
                    }
                }
                Imported::Versioned(m) => {
                    if let Some(d) = (*m).deleter {
                        d(m)
                    }
                }
            }
        }
    }
}

/// A tensor over a DLPack capsule's memory (the capsule is marked as used).
fn from_capsule(cap: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    let p = cap.as_ptr();
    // Safety: pointers come from a valid capsule of the named kind.
    unsafe {
        let (dl, owner, read_only): (*const DLTensor, Imported, bool) = if ffi::PyCapsule_IsValid(
            p,
            NAME_V.as_ptr(),
        ) == 1
        {
            let m = ffi::PyCapsule_GetPointer(p, NAME_V.as_ptr()) as *mut DLManagedTensorVersioned;
            if (*m).version.major > 1 {
                return Err(PyBufferError::new_err(format!(
                    "DLPack version {} is not supported",
                    (*m).version.major
                )));
            }
            ffi::PyCapsule_SetName(p, USED_NAME_V.as_ptr());
            (
                &(*m).dl_tensor,
                Imported::Versioned(m),
                (*m).flags & FLAG_READ_ONLY != 0,
            )
        } else if ffi::PyCapsule_IsValid(p, NAME.as_ptr()) == 1 {
            let m = ffi::PyCapsule_GetPointer(p, NAME.as_ptr()) as *mut DLManagedTensor;
            ffi::PyCapsule_SetName(p, USED_NAME.as_ptr());
            (&(*m).dl_tensor, Imported::Legacy(m), false)
        } else {
            return Err(PyRuntimeError::new_err(
                    "from_dlpack received an invalid capsule: it expects an object with __dlpack__ or an unused DLPack capsule (a capsule can be consumed only once)",
                ));
        };
        let dl = &*dl;
        if dl.device.device_type != KDL_CPU {
            drop(owner);
            return Err(PyRuntimeError::new_err(format!(
                "from_dlpack: device type {} is not supported (CPU only)",
                dl.device.device_type
            )));
        }
        let dt = match from_dl_dtype(dl.dtype) {
            Ok(d) => d,
            Err(e) => {
                drop(owner);
                return Err(e);
            }
        };
        let nd = dl.ndim as usize;
        let sizes: Vec<usize> = (0..nd).map(|i| *dl.shape.add(i) as usize).collect();
        let strides: Vec<isize> = if dl.strides.is_null() {
            crate::shape::contiguous_strides(&sizes).to_vec()
        } else {
            (0..nd).map(|i| *dl.strides.add(i) as isize).collect()
        };
        let layout = Layout {
            sizes: sizes.iter().copied().collect(),
            strides: strides.iter().copied().collect(),
            offset: 0,
        };
        if strides.iter().any(|&s| s < 0) {
            drop(owner);
            return Err(PyBufferError::new_err(
                "DLPack: negative strides are not supported",
            ));
        }
        let (_, hi) = layout.storage_span();
        let data = (dl.data as *mut u8).add(dl.byte_offset as usize);
        let storage = Storage::from_foreign(data, hi * dt.size(), Box::new(owner), !read_only);
        Ok(Tensor::from_parts(Arc::new(storage), layout, dt))
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (*, stream=None, max_version=None, dl_device=None, copy=None))]
    fn __dlpack__(
        &self,
        py: Python<'_>,
        stream: Option<&Bound<'_, PyAny>>,
        max_version: Option<(u32, u32)>,
        dl_device: Option<(i32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        let _ = stream;
        if self.t.requires_grad() {
            return Err(PyBufferError::new_err(
                "Can't export tensors that require gradient, use tensor.detach()",
            ));
        }
        if let Some((dev, _)) = dl_device {
            if dev != KDL_CPU {
                return Err(PyBufferError::new_err("only CPU export is supported"));
            }
        }
        let t = if copy == Some(true) {
            crate::ops::copy::clone_contiguous(&self.t)
        } else {
            self.t.clone()
        };
        let versioned = max_version.is_some_and(|(major, _)| major >= 1);
        to_capsule(py, &t, versioned)
    }

    fn __dlpack_device__(&self) -> (i32, i32) {
        (KDL_CPU, 0)
    }
}

/// `embertorch.from_dlpack(obj)`: any DLPack producer (numpy, other frameworks) or capsule.
#[pyfunction]
pub fn from_dlpack(obj: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    if obj.hasattr("__dlpack__")? {
        let kwargs = pyo3::types::PyDict::new(obj.py());
        kwargs.set_item("max_version", PyTuple::new(obj.py(), [1u32, 0])?)?;
        let cap = match obj.call_method("__dlpack__", (), Some(&kwargs)) {
            Ok(c) => c,
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyTypeError>(obj.py()) => {
                obj.call_method0("__dlpack__")?
            }
            Err(e) => return Err(e),
        };
        return Ok(PyTensor::new(from_capsule(&cap)?));
    }
    Ok(PyTensor::new(from_capsule(obj)?))
}
