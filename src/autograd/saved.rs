//! Tensors a backward function keeps, with the version check that catches in-place writes.

use super::meta::AutogradMeta;
use super::node::Node;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Weak;

pub struct SavedTensor {
    data: Tensor,
    version: u64,
    /// For a saved output: the node that produced it (weak, or the tape would own itself),
    /// so that unpacking under `create_graph` reconnects the output to its history.
    output_of: Option<(Weak<Node>, usize)>,
}

impl SavedTensor {
    /// Save an input of the op (keeps its history: double backward flows through it).
    pub fn input(t: &Tensor) -> SavedTensor {
        SavedTensor {
            data: t.clone(),
            version: t.version(),
            output_of: None,
        }
    }

    /// Save output `nr` of the node being built.
    pub fn output(t: &Tensor, node: Weak<Node>, nr: usize) -> SavedTensor {
        SavedTensor {
            data: t.detach(),
            version: t.version(),
            output_of: Some((node, nr)),
        }
    }

    pub fn unpack(&self) -> Result<Tensor> {
        let now = self.data.version();
        if now != self.version {
            return Err(self.modified_error(now));
        }
        if let Some((node, nr)) = &self.output_of {
            if let Some(node) = node.upgrade() {
                if super::mode::is_grad_enabled() {
                    return Ok(self
                        .data
                        .with_meta(Some(AutogradMeta::with_grad_fn(node, *nr))));
                }
            }
        }
        Ok(self.data.clone())
    }

    fn modified_error(&self, now: u64) -> Error {
        let t = &self.data;
        let sizes: Vec<String> = t.sizes().iter().map(|s| s.to_string()).collect();
        let producer = match (&self.output_of, t.grad_fn()) {
            (Some((node, nr)), _) => node
                .upgrade()
                .map(|n| format!(", which is output {nr} of {},", n.name)),
            (None, Some(f)) => {
                let nr = t.meta().map(|m| m.lock().output_nr).unwrap_or(0);
                Some(format!(", which is output {nr} of {},", f.name))
            }
            _ => None,
        };
        Error::runtime(format!(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.{} [{}]]{} is at version {}; expected version {} instead. Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!",
            t.dtype().legacy_type_name(),
            sizes.join(", "),
            producer.unwrap_or_default(),
            now,
            self.version
        ))
    }
}
