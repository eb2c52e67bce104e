//! embertorch: a small tensor engine with a PyTorch-like Python API.
//!
//! The crate works without Python: [`tensor::Tensor`] and the functions in [`ops`] are the
//! public Rust API. The `python` feature adds the PyO3 bindings that build `embertorch._C`.

pub mod autograd;
pub mod cpu;
pub mod device;
pub mod dtype;
pub mod error;
pub mod layout;
pub mod ops;
pub mod random;
pub mod shape;
pub mod storage;
pub mod tensor;

#[cfg(feature = "python")]
mod python;

pub use device::Device;
pub use dtype::{DType, Scalar};
pub use error::{Error, Result};
pub use tensor::Tensor;
