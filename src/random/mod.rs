//! PyTorch-compatible CPU random number generation for embertorch.
pub mod generator;
pub mod mt19937;
