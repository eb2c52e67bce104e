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
                let t = t.with_meta(Some(AutogradMeta::with_grad_fn(node.clone(), i)));
                if t.base().is_some() {
                    t.ensure_meta().lock().view_version = Some(t.version());
                }
                t
            } else {
                t
            }
        })
        .collect()
}

/// A view whose storage was written after it took its history (`row = y[1]` then
/// `y.mul_(2)`) must see the base's new history. As PyTorch does, its grad_fn is then
/// rebuilt as an `AsStridedBackward0` of the base's current history.
pub fn refresh_view_history(t: &Tensor) {
    let Some(base) = t.base() else { return };
    let Some(meta) = t.meta() else { return };
    let now = t.version();
    {
        let inner = meta.lock();
        let stale = inner.grad_fn.is_some() && inner.view_version.is_some_and(|v| v != now);
        if !stale {
            return;
        }
    }
    if !base.requires_grad() {
        return;
    }
    let node = as_strided_node(base, t, gradient_edge(base));
    let mut inner = meta.lock();
    inner.grad_fn = Some(node);
    inner.output_nr = 0;
    inner.view_version = Some(now);
}

/// The node of `view` as a strided window onto `base`'s history `edge`.
fn as_strided_node(base: &Tensor, view: &Tensor, edge: Option<node::Edge>) -> Arc<Node> {
    let geom = ViewGeometry::new(base, view);
    Arc::new(Node::new_function(
        "AsStridedBackward0",
        vec![edge],
        output_infos(std::slice::from_ref(view)),
        false,
        Box::new(move |g| {
            if mode::is_grad_enabled() && geom.base_is_dense() {
                // create_graph: zeros with g in the view's place, itself differentiable.
                let name = "AsStridedBackwardBackward0";
                let put = crate::ops::shape::embed(&g[0], &geom.base_sizes, geom.view_fn(), name)?;
                return Ok(vec![Some(put)]);
            }
            let result = geom.base_buffer(g[0].dtype());
            crate::cpu::copy::copy_cast(&geom.region(&result), &g[0].detach());
            Ok(vec![Some(result)])
        }),
    ))
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

/// `record` for multi-output ops whose backward needs their own outputs (qr, eigh, svd):
/// `make` receives every output saved with a weak link to the node being built, so a
/// `create_graph` backward differentiates through them.
pub fn record_with_outputs(
    name: &'static str,
    inputs: &[&Tensor],
    outputs: Vec<Tensor>,
    make: impl FnOnce(Vec<SavedTensor>) -> BackwardFn,
) -> Vec<Tensor> {
    let edges: Vec<_> = inputs.iter().map(|t| gradient_edge(t)).collect();
    let infos = output_infos(&outputs);
    let node = Arc::new_cyclic(|weak: &Weak<Node>| {
        let saved = outputs
            .iter()
            .enumerate()
            .map(|(i, t)| SavedTensor::output(t, weak.clone(), i))
            .collect();
        Node::new_function(name, edges, infos, true, make(saved))
    });
    attach(&node, outputs)
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
/// `target` the new history. `backward` maps the gradient of the op's result to the
/// gradients of (target's old value, others...). Returns the handle to use from now on.
///
/// When `target` is a view, the write changed its base too: the base's history becomes a
/// `CopySlices` node (the base's old gradient outside the view, `backward` inside it) and
/// the view's history becomes a view of the base's new history, as PyTorch does.
pub fn rebase_inplace(
    name: &'static str,
    target: &Tensor,
    others: &[&Tensor],
    saves: bool,
    backward: BackwardFn,
) -> Tensor {
    if let Some(base) = target.base() {
        copy_slices(base, target, others, saves, backward);
        return target.clone();
    }
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
    set_history(target, node, 0);
    target.clone()
}

/// Make `node`'s output `nr` the history of `t` (attaching meta in place if needed).
fn set_history(t: &Tensor, node: Arc<Node>, nr: usize) {
    let meta = t.ensure_meta();
    {
        let mut inner = meta.lock();
        inner.grad_fn = Some(node);
        inner.output_nr = nr;
        if t.base().is_some() {
            inner.view_version = Some(t.version());
        }
    }
    meta.set_requires_grad(true);
}

/// Where a view sits inside a buffer laid out like its base (offset relative to the base).
#[derive(Clone)]
struct ViewGeometry {
    base_sizes: crate::shape::Dims,
    base_strides: crate::shape::Strides,
    view: crate::layout::Layout,
    /// Elements between the lowest storage position the base reaches and the base's offset.
    base_shift: usize,
}

impl ViewGeometry {
    fn new(base: &Tensor, view: &Tensor) -> ViewGeometry {
        let (lo, _) = base.layout().storage_span();
        let mut v = view.layout().clone();
        v.offset -= lo;
        ViewGeometry {
            base_sizes: base.dims(),
            base_strides: base.strides_vec(),
            view: v,
            base_shift: base.offset() - lo,
        }
    }

    /// A zeroed buffer with the base's strides, viewed as the base.
    fn base_buffer(&self, dtype: crate::dtype::DType) -> Tensor {
        let as_base = crate::layout::Layout {
            sizes: self.base_sizes.clone(),
            strides: self.base_strides.clone(),
            offset: self.base_shift,
        };
        let (_, hi) = as_base.storage_span();
        let storage = Arc::new(crate::storage::Storage::new_cpu(
            hi.max(1) * dtype.size(),
            true,
        ));
        Tensor::from_parts(storage, as_base, dtype)
    }

    /// Whether the base is row-major from its first element, so the view's layout applies
    /// as is to any row-major tensor of the base's shape.
    fn base_is_dense(&self) -> bool {
        self.base_shift == 0
            && self.base_strides == crate::shape::contiguous_strides(&self.base_sizes)
    }

    /// The view's window onto any tensor of the base's shape (read in row-major order), as
    /// a differentiable view; for a base that `base_is_dense`.
    fn view_fn(&self) -> crate::ops::shape::ViewFn {
        let sizes: Vec<i64> = self.view.sizes.iter().map(|&s| s as i64).collect();
        let strides: Vec<i64> = self.view.strides.iter().map(|&s| s as i64).collect();
        let offset = self.view.offset as i64;
        Arc::new(move |t| {
            let t = crate::ops::copy::contiguous(t);
            crate::ops::shape::as_strided(&t, &sizes, &strides, Some(t.offset() as i64 + offset))
        })
    }

    /// The view's elements inside a buffer made by `base_buffer`.
    fn region(&self, buffer: &Tensor) -> Tensor {
        buffer.with_layout(self.view.clone())
    }
}

fn copy_slices(
    base: &Tensor,
    view: &Tensor,
    others: &[&Tensor],
    saves: bool,
    backward: BackwardFn,
) {
    let geom = ViewGeometry::new(base, view);
    let mut inputs: Vec<&Tensor> = vec![base];
    inputs.extend_from_slice(others);
    let edges = inputs.iter().map(|t| gradient_edge(t)).collect();
    let node = Arc::new(Node::new_function(
        "CopySlices",
        edges,
        output_infos(std::slice::from_ref(base)),
        saves,
        Box::new(move |g| {
            // Outside the view the base passes its gradient through; inside, the op's
            // backward decides (and its first gradient is for the view's old value).
            if mode::is_grad_enabled() && geom.base_is_dense() {
                return copy_slices_graph(&geom, &g[0], &backward);
            }
            let result = geom.base_buffer(g[0].dtype());
            crate::cpu::copy::copy_cast(&result, &g[0].detach());
            let region = geom.region(&result);
            let grad_in = crate::ops::copy::clone_contiguous(&region);
            let mut res = backward(&[grad_in])?;
            match res.first_mut().and_then(|r| r.take()) {
                Some(gv) => crate::cpu::copy::copy_cast(
                    &region,
                    &crate::ops::cast(&gv.detach(), region.dtype()),
                ),
                None => crate::dispatch_all!(region.dtype(), T => {
                    crate::cpu::elementwise::fill::<T>(&region, <T as crate::dtype::Element>::zero())
                }),
            }
            let mut out = vec![Some(result)];
            out.extend(res.into_iter().skip(1));
            Ok(out)
        }),
    ));
    set_history(base, node.clone(), 0);
    // The view is now a view of the base's new history.
    let vnode = as_strided_node(base, view, Some(node::Edge { node, input_nr: 0 }));
    set_history(view, vnode, 0);
}

/// CopySlices' backward from differentiable ops, for `create_graph`:
/// `g + embed(inside - g[view])`, where `inside` is the op's gradient for the view.
fn copy_slices_graph(
    geom: &ViewGeometry,
    g: &Tensor,
    backward: &BackwardFn,
) -> Result<Vec<Option<Tensor>>> {
    use crate::ops::shape::embed;
    let view = geom.view_fn();
    let region = view(g)?;
    let mut res = backward(&[crate::ops::copy::clone(&region)])?;
    let inside = match res.first_mut().and_then(|r| r.take()) {
        Some(gv) => crate::ops::copy::to_dtype(&gv, g.dtype())?,
        None => Tensor::zeros(region.sizes(), g.dtype()),
    };
    let delta = crate::ops::binary::sub(&inside, &region)?;
    let put = embed(&delta, &geom.base_sizes, view, "AsStridedBackwardBackward0")?;
    let mut out = vec![Some(crate::ops::binary::add(g, &put)?)];
    out.extend(res.into_iter().skip(1));
    Ok(out)
}

/// Mark `t` as requiring grad (`requires_grad_()`); the handle keeps its identity.
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
    }
    if value || t.meta().is_some() {
        t.ensure_meta().set_requires_grad(value);
    }
    Ok(t.clone())
}
