//! `embertorch.dtype` and `embertorch.device` objects.

use super::errors::type_error;
use crate::device::Device;
use crate::dtype::DType;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};

#[pyclass(name = "dtype", module = "embertorch", frozen)]
pub struct PyDType {
    pub dtype: DType,
}

static DTYPES: PyOnceLock<Vec<Py<PyDType>>> = PyOnceLock::new();

/// The one Python object for each dtype (so `is` works as in PyTorch).
pub fn dtype_object(py: Python<'_>, d: DType) -> Py<PyDType> {
    let all = DTYPES.get_or_init(py, || {
        DType::ALL
            .iter()
            .map(|&dtype| Py::new(py, PyDType { dtype }).expect("dtype object"))
            .collect()
    });
    all[DType::ALL
        .iter()
        .position(|&x| x == d)
        .expect("known dtype")]
    .clone_ref(py)
}

#[pymethods]
impl PyDType {
    fn __repr__(&self) -> String {
        self.dtype.to_string()
    }
    fn __str__(&self) -> String {
        self.dtype.to_string()
    }
    fn __hash__(&self) -> u64 {
        self.dtype as u64 + 0x5eed
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyDType>()
            .is_ok_and(|o| o.get().dtype == self.dtype)
    }
    /// Pickled by name: unpickling finds `embertorch.<name>`, the one object per dtype.
    fn __reduce__(&self) -> &'static str {
        self.dtype.name()
    }
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.dtype.is_float()
    }
    #[getter]
    fn is_complex(&self) -> bool {
        false
    }
    #[getter]
    fn is_signed(&self) -> bool {
        self.dtype.is_signed()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.dtype.size()
    }
    /// The short name (`float32`), used by the Python layer.
    #[getter]
    fn _name(&self) -> &'static str {
        self.dtype.name()
    }
    fn to_real(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
}

/// A dtype argument: a dtype object, or the Python types `float`, `int`, `bool`.
pub fn extract_dtype(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
    if let Ok(d) = obj.cast::<PyDType>() {
        return Ok(d.get().dtype);
    }
    if let Ok(t) = obj.cast::<PyType>() {
        if t.is(obj.py().get_type::<PyFloat>()) {
            return Ok(DType::F64);
        }
        if t.is(obj.py().get_type::<PyBool>()) {
            return Ok(DType::Bool);
        }
        if t.is(obj.py().get_type::<PyInt>()) {
            return Ok(DType::I64);
        }
        // Legacy tensor types (torch.FloatTensor) carry their dtype.
        if let Ok(d) = t.getattr("dtype") {
            if let Ok(d) = d.cast::<PyDType>() {
                return Ok(d.get().dtype);
            }
        }
    }
    Err(type_error(format!(
        "dtype must be an embertorch.dtype, not {}",
        obj.get_type().name()?
    )))
}

pub fn extract_opt_dtype(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => extract_dtype(o).map(Some),
    }
}

#[pyclass(
    name = "device",
    module = "embertorch",
    frozen,
    eq,
    hash,
    skip_from_py_object
)]
#[derive(PartialEq, Eq, Hash, Clone)]
pub struct PyDevice {
    pub kind: String,
    pub index: Option<usize>,
}

#[pymethods]
impl PyDevice {
    #[new]
    #[pyo3(signature = (r#type, index=None))]
    fn new(r#type: &Bound<'_, PyAny>, index: Option<i64>) -> PyResult<PyDevice> {
        if let Ok(d) = r#type.cast::<PyDevice>() {
            return Ok(d.get().clone());
        }
        if let Ok(i) = r#type.extract::<i64>() {
            return device_from_index(i);
        }
        let s: String = r#type
            .cast::<PyString>()
            .map_err(|_| type_error("device() received an invalid combination of arguments"))?
            .to_string();
        let (kind, parsed) = Device::parse(&s)?;
        if parsed.is_some() && index.is_some() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                "type (string) must not include an index because index was passed explicitly: {s}"
            )));
        }
        let idx = match index {
            Some(i) if i < 0 => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "Device index must not be negative"
                )))
            }
            Some(i) => Some(i as usize),
            None => parsed,
        };
        Ok(PyDevice { kind, index: idx })
    }
    #[getter]
    fn r#type(&self) -> &str {
        &self.kind
    }
    #[getter]
    fn index(&self) -> Option<usize> {
        self.index
    }
    fn __repr__(&self) -> String {
        match self.index {
            Some(i) => format!("device(type='{}', index={})", self.kind, i),
            None => format!("device(type='{}')", self.kind),
        }
    }
    fn __str__(&self) -> String {
        match self.index {
            Some(i) => format!("{}:{}", self.kind, i),
            None => self.kind.clone(),
        }
    }
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyType>, (String,))> {
        Ok((slf.get_type(), (slf.get().__str__(),)))
    }
}

fn device_from_index(i: i64) -> PyResult<PyDevice> {
    if i < 0 {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "Device index must not be negative",
        ));
    }
    Ok(PyDevice {
        kind: "cuda".into(),
        index: Some(i as usize),
    })
}

impl PyDevice {
    pub fn from_device(d: Device) -> PyDevice {
        match d {
            Device::Cpu => PyDevice {
                kind: "cpu".into(),
                index: None,
            },
            Device::Cuda(i) => PyDevice {
                kind: "cuda".into(),
                index: Some(i),
            },
        }
    }
}

/// A device argument: a device object, a string like `"cuda:0"`, or an int (a CUDA index).
pub fn extract_device(obj: &Bound<'_, PyAny>) -> PyResult<Device> {
    let d = if let Ok(d) = obj.cast::<PyDevice>() {
        d.get().clone()
    } else if let Ok(s) = obj.extract::<String>() {
        let (kind, index) = Device::parse(&s)?;
        PyDevice { kind, index }
    } else if let Ok(i) = obj.extract::<i64>() {
        device_from_index(i)?
    } else {
        return Err(type_error(format!(
            "expected a device (str, int or embertorch.device), got {}",
            obj.get_type().name()?
        )));
    };
    match d.kind.as_str() {
        "cpu" => Ok(Device::Cpu),
        _ => Ok(Device::Cuda(d.index.unwrap_or(0))),
    }
}

/// Reject devices this build cannot place tensors on, with PyTorch's message.
pub fn require_cpu(d: Device) -> PyResult<()> {
    match d {
        Device::Cpu => Ok(()),
        Device::Cuda(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
            super::cuda_unavailable_message(),
        )),
    }
}
