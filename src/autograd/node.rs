//! Nodes of the tape: a backward function with edges to the nodes of its inputs.

use super::meta::AutogradMeta;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::Dims;
use crate::tensor::Tensor;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Computes the gradients of a node's inputs from the gradients of its outputs. Missing
/// output gradients arrive as zeros; `None` in the result means "no gradient".
pub type BackwardFn = Box<dyn Fn(&[Tensor]) -> Result<Vec<Option<Tensor>>> + Send + Sync>;

/// A tensor hook: may return a replacement gradient.
pub type Hook = Arc<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;

#[derive(Clone)]
pub struct Edge {
    pub node: Arc<Node>,
    /// Which output of `node` the gradient flows into.
    pub input_nr: usize,
}

/// Shape and dtype of one forward output, to make zeros when its gradient is missing.
#[derive(Clone, Debug)]
pub struct OutputInfo {
    pub sizes: Dims,
    pub dtype: DType,
}

pub enum NodeKind {
    Function {
        f: Mutex<Option<BackwardFn>>,
        /// The function holds saved tensors, so it is dropped after a backward without
        /// `retain_graph` and a second backward must fail as PyTorch's does.
        saves: bool,
    },
    /// The sink of a leaf: adds the gradient into the leaf's `.grad`.
    AccumulateGrad { leaf: Tensor },
}

pub struct Node {
    pub name: Cow<'static, str>,
    pub next_edges: Vec<Option<Edge>>,
    pub outputs: Vec<OutputInfo>,
    /// Creation order; the engine runs later nodes first, as PyTorch does.
    pub seq: u64,
    pub kind: NodeKind,
    /// Hooks registered on non-leaf tensors, keyed by output number.
    pub pre_hooks: Mutex<Vec<(u64, usize, Hook)>>,
    /// Non-leaf outputs that called `retain_grad()`.
    pub retained: Mutex<Vec<(usize, Weak<AutogradMeta>)>>,
}

static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);
static NEXT_HOOK_ID: AtomicU64 = AtomicU64::new(1);

pub fn next_hook_id() -> u64 {
    NEXT_HOOK_ID.fetch_add(1, Ordering::Relaxed)
}

pub const FREED_MESSAGE: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

impl Node {
    pub fn new_function(
        name: impl Into<Cow<'static, str>>,
        next_edges: Vec<Option<Edge>>,
        outputs: Vec<OutputInfo>,
        saves: bool,
        f: BackwardFn,
    ) -> Node {
        Node {
            name: name.into(),
            next_edges,
            outputs,
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            kind: NodeKind::Function {
                f: Mutex::new(Some(f)),
                saves,
            },
            pre_hooks: Mutex::new(Vec::new()),
            retained: Mutex::new(Vec::new()),
        }
    }

    pub fn new_accumulate(leaf: Tensor) -> Node {
        let info = OutputInfo {
            sizes: leaf.dims(),
            dtype: leaf.dtype(),
        };
        Node {
            name: Cow::Borrowed("AccumulateGrad"),
            next_edges: Vec::new(),
            outputs: vec![info],
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            kind: NodeKind::AccumulateGrad { leaf },
            pre_hooks: Mutex::new(Vec::new()),
            retained: Mutex::new(Vec::new()),
        }
    }

    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Run the backward function on `grads` (one per output, zeros filled in).
    pub fn call(&self, grads: &[Tensor]) -> Result<Vec<Option<Tensor>>> {
        match &self.kind {
            NodeKind::Function { f, .. } => {
                let guard = f.lock().unwrap_or_else(|e| e.into_inner());
                match guard.as_ref() {
                    Some(f) => f(grads),
                    None => Err(Error::runtime(FREED_MESSAGE)),
                }
            }
            NodeKind::AccumulateGrad { .. } => Ok(Vec::new()),
        }
    }

    /// Drop saved tensors after a backward pass without `retain_graph`.
    pub fn release(&self) {
        if let NodeKind::Function { f, saves: true } = &self.kind {
            *f.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    pub fn leaf(&self) -> Option<&Tensor> {
        match &self.kind {
            NodeKind::AccumulateGrad { leaf } => Some(leaf),
            _ => None,
        }
    }
}

/// The edge a gradient for `t` should flow into: its grad_fn, or its leaf accumulator.
pub fn gradient_edge(t: &Tensor) -> Option<Edge> {
    let meta = t.meta()?;
    super::refresh_view_history(t);
    if !meta.requires_grad() {
        return None;
    }
    let mut inner = meta.lock();
    if let Some(f) = &inner.grad_fn {
        return Some(Edge {
            node: f.clone(),
            input_nr: inner.output_nr,
        });
    }
    if let Some(acc) = inner.grad_accumulator.upgrade() {
        return Some(Edge {
            node: acc,
            input_nr: 0,
        });
    }
    let acc = Arc::new(Node::new_accumulate(t.clone()));
    inner.grad_accumulator = Arc::downgrade(&acc);
    Some(Edge {
        node: acc,
        input_nr: 0,
    })
}

thread_local! {
    /// Pieces of nodes waiting to be dropped; Some while a drop loop runs on this thread.
    static DROP_QUEUE: std::cell::RefCell<Option<Vec<Box<dyn std::any::Any>>>> =
        const { std::cell::RefCell::new(None) };
}

/// Dropping a node drops its edges and saved tensors, which drop their nodes, and so on: a
/// long chain would recurse once per node and overflow the stack. Instead the first drop on
/// a thread runs a loop, and nested drops hand their parts to it.
impl Drop for Node {
    fn drop(&mut self) {
        let mut parts: Vec<Box<dyn std::any::Any>> = Vec::new();
        parts.push(Box::new(std::mem::take(&mut self.next_edges)));
        if let NodeKind::Function { f, .. } = &mut self.kind {
            if let Some(f) = f.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
                parts.push(Box::new(f));
            }
        }
        let nested = DROP_QUEUE.with(|q| {
            let mut q = q.borrow_mut();
            match q.as_mut() {
                Some(queue) => {
                    queue.append(&mut parts);
                    true
                }
                None => {
                    *q = Some(Vec::new());
                    false
                }
            }
        });
        if nested {
            return;
        }
        drop(parts);
        loop {
            let next = DROP_QUEUE.with(|q| q.borrow_mut().as_mut().and_then(|v| v.pop()));
            match next {
                Some(item) => drop(item),
                None => break,
            }
        }
        DROP_QUEUE.with(|q| *q.borrow_mut() = None);
    }
}
