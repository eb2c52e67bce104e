//! Core errors become the Python exceptions PyTorch raises.

use crate::error::{Error, ErrorKind};
use pyo3::exceptions::{
    PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;

pyo3::create_exception!(
    embertorch,
    LinAlgError,
    PyRuntimeError,
    "Error raised by embertorch.linalg functions (singular or ill-defined input)."
);

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e.kind {
            ErrorKind::Runtime => PyRuntimeError::new_err(e.message),
            ErrorKind::Index => PyIndexError::new_err(e.message),
            ErrorKind::Type => PyTypeError::new_err(e.message),
            ErrorKind::Value => PyValueError::new_err(e.message),
            ErrorKind::NotImplemented => PyNotImplementedError::new_err(e.message),
            ErrorKind::LinAlg => LinAlgError::new_err(e.message),
        }
    }
}

/// A TypeError with PyTorch's wording for a bad argument.
pub fn type_error(msg: impl Into<String>) -> PyErr {
    PyTypeError::new_err(msg.into())
}
