//! The backward pass: order the reachable nodes by dependency counts, run each once (latest
//! first), sum the gradients flowing into each, and deliver them to leaves or to callers.

use super::mode::GradModeGuard;
use super::node::{gradient_edge, Edge, Node, NodeKind};
use crate::error::{Error, Result};
use crate::ops;
use crate::tensor::Tensor;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

pub struct BackwardRequest<'a> {
    pub roots: &'a [Tensor],
    /// One gradient per root (same shape).
    pub grad_roots: Vec<Tensor>,
    pub retain_graph: bool,
    pub create_graph: bool,
    /// `autograd.grad`: gradients w.r.t. these tensors are returned, not accumulated.
    pub inputs: Option<&'a [Tensor]>,
    /// With `inputs`: accumulate into their `.grad` (`backward(inputs=...)`) instead of returning.
    pub accumulate_inputs: bool,
    pub allow_unused: bool,
}

type NodeKey = *const Node;

fn key(n: &Arc<Node>) -> NodeKey {
    Arc::as_ptr(n)
}

struct Ready(Arc<Node>);

impl PartialEq for Ready {
    fn eq(&self, o: &Self) -> bool {
        self.0.seq == o.0.seq
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ready {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.seq.cmp(&o.0.seq)
    }
}

/// Run the backward pass; returns the gradients of `inputs` when they were given.
pub fn run_backward(req: BackwardRequest<'_>) -> Result<Vec<Option<Tensor>>> {
    let mut root_edges = Vec::with_capacity(req.roots.len());
    for (i, r) in req.roots.iter().enumerate() {
        match gradient_edge(r) {
            Some(e) => root_edges.push(e),
            None => {
                return Err(Error::runtime(format!(
                    "element {i} of tensors does not require grad and does not have a grad_fn"
                )))
            }
        }
    }
    // Where to capture gradients: (node, input_nr) -> index into the result.
    let mut captures: Vec<(NodeKey, usize)> = Vec::new();
    let mut keep_alive: Vec<Arc<Node>> = Vec::new();
    if let Some(inputs) = req.inputs {
        for t in inputs {
            if !t.requires_grad() {
                return Err(Error::runtime(
                    "One of the differentiated Tensors does not require grad",
                ));
            }
            let e = gradient_edge(t).expect("requires grad");
            captures.push((key(&e.node), e.input_nr));
            keep_alive.push(e.node);
        }
    }

    let graph = Graph::build(&root_edges, &captures);
    let _mode = GradModeGuard::new(req.create_graph);

    let mut buffers: HashMap<NodeKey, Vec<Option<Tensor>>> = HashMap::new();
    for (e, g) in root_edges.iter().zip(req.grad_roots) {
        add_to_buffer(&mut buffers, &e.node, e.input_nr, g)?;
    }
    let mut deps = graph.dependencies.clone();
    let mut heap = BinaryHeap::new();
    let mut queued: std::collections::HashSet<NodeKey> = std::collections::HashSet::new();
    for e in &root_edges {
        let k = key(&e.node);
        if graph.needed(k) && deps.get(&k).copied().unwrap_or(0) == 0 && queued.insert(k) {
            heap.push(Ready(e.node.clone()));
        }
    }

    let mut results: Vec<Option<Tensor>> = vec![None; captures.len()];
    let capturing = req.inputs.is_some();
    while let Some(Ready(node)) = heap.pop() {
        let k = key(&node);
        let mut grads = buffers
            .remove(&k)
            .unwrap_or_else(|| vec![None; node.num_outputs()]);
        run_tensor_hooks(&node, &mut grads)?;
        for (ci, (ck, nr)) in captures.iter().enumerate() {
            if *ck == k {
                if let Some(g) = &grads[*nr] {
                    results[ci] = Some(g.clone());
                }
            }
        }
        let outputs = match &node.kind {
            NodeKind::AccumulateGrad { leaf } => {
                if !capturing {
                    if let Some(g) = grads.pop().flatten() {
                        accumulate_grad(leaf, g, req.create_graph)?;
                    }
                }
                Vec::new()
            }
            NodeKind::Function { .. } => {
                let feeds_nothing = node
                    .next_edges
                    .iter()
                    .flatten()
                    .all(|e| !graph.needed(key(&e.node)));
                let out = if feeds_nothing || grads.iter().all(|g| g.is_none()) {
                    vec![None; node.next_edges.len()]
                } else {
                    let filled = fill_missing(&node, grads);
                    let out = node.call(&filled)?;
                    if out.len() != node.next_edges.len() {
                        return Err(Error::runtime(format!(
                            "function {} returned an incorrect number of gradients (expected {}, got {})",
                            node.name,
                            node.next_edges.len(),
                            out.len()
                        )));
                    }
                    out
                };
                if !req.retain_graph {
                    node.release();
                }
                out
            }
        };
        for (i, (edge, g)) in node.next_edges.iter().zip(outputs).enumerate() {
            let Some(edge) = edge else { continue };
            let nk = key(&edge.node);
            if !graph.needed(nk) {
                continue;
            }
            if let Some(g) = g {
                let g = validate(&node, i, edge, g)?;
                add_to_buffer(&mut buffers, &edge.node, edge.input_nr, g)?;
            }
            let d = deps.get_mut(&nk).expect("counted");
            *d -= 1;
            if *d == 0 && queued.insert(nk) {
                heap.push(Ready(edge.node.clone()));
            }
        }
    }

    if let Some(inputs) = req.inputs {
        if !req.allow_unused && !req.accumulate_inputs && results.iter().any(|r| r.is_none()) {
            return Err(Error::runtime(
                "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
            ));
        }
        if req.accumulate_inputs {
            for (t, g) in inputs.iter().zip(results.iter()) {
                if let Some(g) = g {
                    accumulate_grad(t, g.clone(), req.create_graph)?;
                }
            }
            return Ok(Vec::new());
        }
    }
    drop(keep_alive);
    Ok(results)
}

/// The nodes reachable from the roots, which of them lead to a capture, and how many
/// edges enter each needed node from needed nodes.
struct Graph {
    dependencies: HashMap<NodeKey, usize>,
    needed: Option<std::collections::HashSet<NodeKey>>,
}

impl Graph {
    fn build(roots: &[Edge], captures: &[(NodeKey, usize)]) -> Graph {
        let mut order: Vec<Arc<Node>> = Vec::new();
        let mut seen: std::collections::HashSet<NodeKey> = std::collections::HashSet::new();
        let mut stack: Vec<Arc<Node>> = Vec::new();
        for e in roots {
            if seen.insert(key(&e.node)) {
                stack.push(e.node.clone());
            }
        }
        while let Some(n) = stack.pop() {
            for e in n.next_edges.iter().flatten() {
                if seen.insert(key(&e.node)) {
                    stack.push(e.node.clone());
                }
            }
            order.push(n);
        }
        let needed = if captures.is_empty() {
            None
        } else {
            Some(Self::leading_to(&order, captures))
        };
        let is_needed = |k: NodeKey| needed.as_ref().is_none_or(|s| s.contains(&k));
        let mut dependencies: HashMap<NodeKey, usize> = HashMap::new();
        for n in &order {
            if !is_needed(key(n)) {
                continue;
            }
            dependencies.entry(key(n)).or_insert(0);
            for e in n.next_edges.iter().flatten() {
                if is_needed(key(&e.node)) {
                    *dependencies.entry(key(&e.node)).or_insert(0) += 1;
                }
            }
        }
        Graph {
            dependencies,
            needed,
        }
    }

    /// Nodes from which a captured node can be reached (fixpoint over the edge list, so no
    /// recursion however deep the graph).
    fn leading_to(
        order: &[Arc<Node>],
        captures: &[(NodeKey, usize)],
    ) -> std::collections::HashSet<NodeKey> {
        let mut parents: HashMap<NodeKey, Vec<NodeKey>> = HashMap::new();
        for n in order {
            for e in n.next_edges.iter().flatten() {
                parents.entry(key(&e.node)).or_default().push(key(n));
            }
        }
        let mut needed: std::collections::HashSet<NodeKey> = std::collections::HashSet::new();
        let mut stack: Vec<NodeKey> = captures.iter().map(|c| c.0).collect();
        while let Some(k) = stack.pop() {
            if needed.insert(k) {
                if let Some(ps) = parents.get(&k) {
                    stack.extend(ps.iter().copied());
                }
            }
        }
        needed
    }

    fn needed(&self, k: NodeKey) -> bool {
        self.needed.as_ref().is_none_or(|s| s.contains(&k))
    }
}

fn add_to_buffer(
    buffers: &mut HashMap<NodeKey, Vec<Option<Tensor>>>,
    node: &Arc<Node>,
    nr: usize,
    g: Tensor,
) -> Result<()> {
    let slot = buffers
        .entry(key(node))
        .or_insert_with(|| vec![None; node.num_outputs()]);
    slot[nr] = Some(match slot[nr].take() {
        None => g,
        Some(prev) => ops::binary::add(&prev, &g)?,
    });
    Ok(())
}

/// Zeros for outputs that received no gradient.
fn fill_missing(node: &Node, grads: Vec<Option<Tensor>>) -> Vec<Tensor> {
    grads
        .into_iter()
        .zip(node.outputs.iter())
        .map(|(g, info)| g.unwrap_or_else(|| Tensor::zeros(&info.sizes, info.dtype)))
        .collect()
}

/// PyTorch's validate_outputs: the gradient must have the input's shape; cast its dtype.
fn validate(node: &Node, i: usize, edge: &Edge, g: Tensor) -> Result<Tensor> {
    let info = &edge.node.outputs[edge.input_nr];
    if g.sizes() != info.sizes.as_slice() {
        return Err(Error::runtime(format!(
            "Function {} returned an invalid gradient at index {i} - got {} but expected shape compatible with {}",
            node.name,
            crate::shape::fmt_sizes(g.sizes()),
            crate::shape::fmt_sizes(&info.sizes)
        )));
    }
    if g.dtype() != info.dtype {
        return ops::copy::to_dtype(&g, info.dtype);
    }
    Ok(g)
}

/// Tensor hooks and retain_grad of non-leaf outputs, run on the gradient before use.
fn run_tensor_hooks(node: &Node, grads: &mut [Option<Tensor>]) -> Result<()> {
    let hooks: Vec<_> = node
        .pre_hooks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for (_, nr, hook) in hooks {
        if let Some(g) = &grads[nr] {
            if let Some(new) = hook(g)? {
                grads[nr] = Some(new);
            }
        }
    }
    let retained: Vec<_> = node
        .retained
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for (nr, meta) in retained {
        if let (Some(g), Some(meta)) = (&grads[nr], meta.upgrade()) {
            let prev = meta.grad();
            let new = match prev {
                None => ops::copy::clone_contiguous(&g.detach()),
                Some(p) => ops::binary::add(&p, g)?,
            };
            meta.set_grad(Some(new));
        }
    }
    Ok(())
}

/// Add `g` into `leaf.grad` (after the leaf's hooks), in place when not building a graph.
pub fn accumulate_grad(leaf: &Tensor, g: Tensor, create_graph: bool) -> Result<()> {
    let Some(meta) = leaf.meta() else {
        return Ok(());
    };
    let hooks: Vec<_> = meta.lock().hooks.clone();
    let mut g = g;
    for (_, hook) in hooks {
        if let Some(new) = hook(&g)? {
            g = new;
        }
    }
    let prev = meta.lock().grad.clone();
    let new = match prev {
        None => {
            // A gradient nobody else holds can become .grad as is; otherwise copy it so
            // later in-place accumulation cannot write into another tensor.
            let reusable = g.is_uniquely_owned() && g.meta().is_none() && g.is_contiguous();
            if create_graph || reusable {
                g
            } else {
                ops::copy::clone_contiguous(&g.detach())
            }
        }
        Some(p) => {
            if create_graph || p.requires_grad() {
                ops::binary::add(&p, &g)?
            } else if p.sizes() == g.sizes() && !p.layout().has_internal_overlap() {
                ops::copy::add_into(&p, &g)?;
                p
            } else {
                ops::binary::add(&p, &g)?
            }
        }
    };
    meta.set_grad(Some(new));
    Ok(())
}
