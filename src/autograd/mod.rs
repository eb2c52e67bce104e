//! Reverse-mode automatic differentiation: a tape of nodes built as ops run.
//!
//! Ops call [`needs_grad`] and, when it is true, [`record`] with a closure that computes
//! their inputs' gradients with tensor ops (so `create_graph` differentiates the backward
//! pass itself). Kernels know nothing of this module.

pub mod engine;
pub mod meta;
pub mod mode;
pub mod node;
pub mod saved;

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use meta::AutogradMeta;
use node::{gradient_edge, BackwardFn, Node, OutputInfo};
pub use saved::SavedTensor;
use std::sync::{Arc, Weak};

/// Whether an op on these inputs must record a node.
#[inline]
pub fn needs_grad(inputs: &[&Tensor]) -> bool {
    inputs.iter().any(|t| t.requires_grad()) && mode::is_grad_enabled()
}

fn output_infos(outputs: &[Tensor]) -> Vec<OutputInfo> {
    outputs
        .iter()
        .map(|t| OutputInfo {
            sizes: t.dims(),
            dtype: t.dtype(),
        })
        .collect()
}

fn attach(node: &Arc<Node>, outputs: Vec<Tensor>) -> Vec<Tensor> {
    outputs
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            if t.dtype().is_float() {
                t.with_meta(Some(AutogradMeta::with_grad_fn(node.clone(), i)))
            } else {
                t
            }
        })
        .collect()
}

/// Record `name` producing `outputs` from `inputs`; `saves` says whether `backward` holds
/// saved tensors (freed after backward unless the graph is retained).
pub fn record(
    name: &'static str,
    inputs: &[&Tensor],
    outputs: Vec<Tensor>,
    saves: bool,
    backward: BackwardFn,
) -> Vec<Tensor> {
    let edges = inputs.iter().map(|t| gradient_edge(t)).collect();
    let node = Arc::new(Node::new_function(
        name,
        edges,
        output_infos(&outputs),
        saves,
        backward,
    ));
    attach(&node, outputs)
}

/// `record` for a single output.
pub fn record1(
    name: &'static str,
    inputs: &[&Tensor],
    output: Tensor,
    saves: bool,
    backward: BackwardFn,
) -> Tensor {
    record(name, inputs, vec![output], saves, backward)
        .pop()
        .expect("one output")
}

/// `record1` for ops whose backward needs their own output (exp, sigmoid, sqrt, ...):
/// `make` receives the output saved with a weak link to the node being built.
pub fn record1_with_output(
    name: &'static str,
    inputs: &[&Tensor],
    output: Tensor,
    make: impl FnOnce(SavedTensor) -> BackwardFn,
) -> Tensor {
    let edges: Vec<_> = inputs.iter().map(|t| gradient_edge(t)).collect();
    let infos = output_infos(std::slice::from_ref(&output));
    let node = Arc::new_cyclic(|weak: &Weak<Node>| {
        let saved = SavedTensor::output(&output, weak.clone(), 0);
        Node::new_function(name, edges, infos, true, make(saved))
    });
    attach(&node, vec![output]).pop().expect("one output")
}

/// PyTorch's checks before an in-place op writes into `t` while grad mode is on.
pub fn check_inplace(t: &Tensor) -> Result<()> {
    if !mode::is_grad_enabled() {
        return Ok(());
    }
    if let Some(base) = t.base() {
        if base.requires_grad() && base.is_leaf() {
            return Err(Error::runtime(
                "a view of a leaf Variable that requires grad is being used in an in-place operation.",
            ));
        }
    }
    if t.requires_grad() && t.is_leaf() {
        return Err(Error::runtime(
            "a leaf Variable that requires grad is being used in an in-place operation.",
        ));
    }
    Ok(())
}

/// After an in-place op wrote into `target` (with the other operands `others`), give
/// `target` the new history. Returns the handle the caller must use from now on (a new one
/// when `target` had no autograd meta yet).
pub fn rebase_inplace(
    name: &'static str,
    target: &Tensor,
    others: &[&Tensor],
    saves: bool,
    backward: BackwardFn,
) -> Tensor {
    let mut inputs: Vec<&Tensor> = vec![target];
    inputs.extend_from_slice(others);
    let edges = inputs.iter().map(|t| gradient_edge(t)).collect();
    let node = Arc::new(Node::new_function(
        name,
        edges,
        output_infos(std::slice::from_ref(target)),
        saves,
        backward,
    ));
    match target.meta() {
        Some(meta) => {
            {
                let mut inner = meta.lock();
                inner.grad_fn = Some(node);
                inner.output_nr = 0;
            }
            meta.set_requires_grad(true);
            target.clone()
        }
        None => target.with_meta(Some(AutogradMeta::with_grad_fn(node, 0))),
    }
}

/// Mark `t` as requiring grad (`requires_grad_()`), returning the handle to keep.
pub fn set_requires_grad(t: &Tensor, value: bool) -> Result<Tensor> {
    if value && !t.dtype().is_float() {
        return Err(Error::runtime(
            "only Tensors of floating point dtype can require gradients",
        ));
    }
    if let Some(meta) = t.meta() {
        if meta.grad_fn().is_some() {
            if !value {
                return Err(Error::runtime(
                    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
                ));
            }
            return Ok(t.clone());
        }
        meta.set_requires_grad(value);
        return Ok(t.clone());
    }
    if !value {
        return Ok(t.clone());
    }
    Ok(t.with_meta(Some(AutogradMeta::leaf(true))))
}
