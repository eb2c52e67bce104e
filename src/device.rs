//! Devices: an enum, not a fork; every op dispatches on its storage's device.

use crate::error::{Error, Result};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Device {
    Cpu,
    Cuda(usize),
}

impl Device {
    pub fn type_name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda(_) => "cuda",
        }
    }

    /// Parse `cpu`, `cuda`, `cuda:1` (PyTorch's device strings).
    pub fn parse(s: &str) -> Result<(String, Option<usize>)> {
        let (ty, idx) = match s.split_once(':') {
            Some((t, i)) => {
                let i: usize = i
                    .parse()
                    .map_err(|_| Error::runtime(format!("Invalid device string: '{s}'")))?;
                (t, Some(i))
            }
            None => (s, None),
        };
        match ty {
            "cpu" | "cuda" => Ok((ty.to_string(), idx)),
            _ => Err(Error::runtime(format!(
                "Expected one of cpu, cuda device type at start of device string: {s}"
            ))),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}
