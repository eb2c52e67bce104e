//! Per-tensor autograd state: requires_grad, grad, grad_fn, hooks.

use super::node::{Hook, Node};
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

#[derive(Default)]
pub struct AutogradMeta {
    requires_grad: AtomicBool,
    inner: Mutex<MetaInner>,
}

#[derive(Default)]
pub struct MetaInner {
    pub grad: Option<Tensor>,
    pub grad_fn: Option<Arc<Node>>,
    /// Which output of `grad_fn` this tensor is.
    pub output_nr: usize,
    pub retains_grad: bool,
    /// Hooks of a leaf, run on its gradient before accumulation.
    pub hooks: Vec<(u64, Hook)>,
    pub grad_accumulator: Weak<Node>,
    /// For a view with history: the version of the shared storage when that history was
    /// set. A later write (through the base or another view) makes the history stale.
    pub view_version: Option<u64>,
}

impl AutogradMeta {
    pub fn leaf(requires_grad: bool) -> Arc<AutogradMeta> {
        Arc::new(AutogradMeta {
            requires_grad: AtomicBool::new(requires_grad),
            inner: Mutex::new(MetaInner::default()),
        })
    }

    pub fn with_grad_fn(node: Arc<Node>, output_nr: usize) -> Arc<AutogradMeta> {
        Arc::new(AutogradMeta {
            requires_grad: AtomicBool::new(true),
            inner: Mutex::new(MetaInner {
                grad_fn: Some(node),
                output_nr,
                ..Default::default()
            }),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, MetaInner> {
        // A poisoned lock only means a panic elsewhere; the state is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True for leaves that require grad and for every non-leaf (whoever sets a grad_fn
    /// also sets this flag, so the hot path reads one atomic, not the lock).
    pub fn requires_grad(&self) -> bool {
        self.requires_grad.load(Ordering::Relaxed)
    }

    pub fn set_requires_grad(&self, value: bool) {
        self.requires_grad.store(value, Ordering::Relaxed)
    }

    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.lock().grad_fn.clone()
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.lock().grad.clone()
    }

    pub fn set_grad(&self, grad: Option<Tensor>) {
        self.lock().grad = grad;
    }
}
