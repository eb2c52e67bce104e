//! Autograd from Python: backward/grad, grad_fn objects, tensor hooks, grad mode, and
//! nodes for `autograd.Function` subclasses.

use super::tensor::{update, PyTensor};
use crate::autograd::engine::{run_backward, BackwardRequest};
use crate::autograd::node::{gradient_edge, next_hook_id, Hook, Node};
use crate::autograd::{self, mode};
use crate::error::Error;
use crate::tensor::Tensor;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// A Python exception raised inside a hook or custom backward, re-raised as is once
    /// the engine returns.
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

fn stash(e: PyErr) -> Error {
    let msg = e.to_string();
    PENDING.with(|p| *p.borrow_mut() = Some(e));
    Error::runtime(msg)
}

/// Turn an engine error into the Python exception that caused it, if there was one.
fn raise(e: Error) -> PyErr {
    PENDING
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| e.into())
}

/// `grad_fn` objects.
#[pyclass(name = "Node", module = "embertorch.autograd.graph", frozen)]
pub struct PyNode {
    pub node: Arc<Node>,
}

impl PyNode {
    pub fn new(node: Arc<Node>) -> PyNode {
        PyNode { node }
    }
}

#[pymethods]
impl PyNode {
    fn name(&self) -> String {
        self.node.name.to_string()
    }
    #[getter]
    fn next_functions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items: Vec<Bound<'py, PyTuple>> = self
            .node
            .next_edges
            .iter()
            .map(|e| match e {
                Some(e) => PyTuple::new(
                    py,
                    [
                        Bound::new(py, PyNode::new(e.node.clone()))?.into_any(),
                        e.input_nr.into_pyobject(py)?.into_any(),
                    ],
                ),
                None => PyTuple::new(
                    py,
                    [
                        py.None().into_bound(py),
                        0usize.into_pyobject(py)?.into_any(),
                    ],
                ),
            })
            .collect::<PyResult<_>>()?;
        PyTuple::new(py, items)
    }
    /// The leaf an `AccumulateGrad` node feeds.
    #[getter]
    fn variable(&self) -> Option<PyTensor> {
        self.node.leaf().map(|t| PyTensor::new(t.clone()))
    }
    fn __repr__(&self) -> String {
        format!(
            "<{} object at {:#x}>",
            self.node.name,
            Arc::as_ptr(&self.node) as usize
        )
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyNode>()
            .is_ok_and(|o| Arc::ptr_eq(&o.get().node, &self.node))
    }
    fn __hash__(&self) -> usize {
        Arc::as_ptr(&self.node) as usize
    }
    fn register_hook(&self, _hook: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(pyo3::exceptions::PyNotImplementedError::new_err(
            "Node.register_hook is not supported; use Tensor.register_hook",
        ))
    }
}

/// The handle `register_hook` returns.
#[pyclass(module = "embertorch.utils.hooks", frozen)]
pub struct RemovableHandle {
    id: u64,
    target: HookTarget,
}

enum HookTarget {
    Leaf(Arc<crate::autograd::meta::AutogradMeta>),
    Node(Arc<Node>),
}

#[pymethods]
impl RemovableHandle {
    fn remove(&self) {
        match &self.target {
            HookTarget::Leaf(m) => m.lock().hooks.retain(|(i, _)| *i != self.id),
            HookTarget::Node(n) => n
                .pre_hooks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(i, _, _)| *i != self.id),
        }
    }
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }
    fn __exit__(&self, _a: &Bound<'_, PyAny>, _b: &Bound<'_, PyAny>, _c: &Bound<'_, PyAny>) {
        self.remove();
    }
}

fn python_hook(f: Py<PyAny>) -> Hook {
    Arc::new(move |g: &Tensor| {
        Python::attach(|py| {
            let r = f.call1(py, (PyTensor::new(g.clone()),)).map_err(stash)?;
            if r.is_none(py) {
                return Ok(None);
            }
            let t = r
                .cast_bound::<PyTensor>(py)
                .map_err(|_| Error::type_error("hook must return None or a Tensor"))?
                .borrow()
                .t
                .clone();
            if t.sizes() != g.sizes() {
                return Err(Error::runtime(
                    "hook 'hook' has changed the size of value".to_string(),
                ));
            }
            Ok(Some(t))
        })
    })
}

#[pymethods]
impl PyTensor {
    fn register_hook(&self, hook: Py<PyAny>) -> PyResult<RemovableHandle> {
        if !self.t.requires_grad() {
            return Err(PyRuntimeError::new_err(
                "cannot register a hook on a tensor that doesn't require gradient",
            ));
        }
        let id = next_hook_id();
        let h = python_hook(hook);
        let meta = self.t.meta().expect("requires grad");
        if let Some(f) = self.t.grad_fn() {
            let nr = meta.lock().output_nr;
            f.pre_hooks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id, nr, h));
            return Ok(RemovableHandle {
                id,
                target: HookTarget::Node(f),
            });
        }
        meta.lock().hooks.push((id, h));
        Ok(RemovableHandle {
            id,
            target: HookTarget::Leaf(meta.clone()),
        })
    }

    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    fn backward(
        &self,
        py: Python<'_>,
        gradient: Option<PyRef<'_, PyTensor>>,
        retain_graph: Option<bool>,
        create_graph: bool,
        inputs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let roots = vec![self.t.clone()];
        let grads = vec![gradient.map(|g| g.t.clone())];
        let inputs = match inputs {
            None => None,
            Some(i) => Some(tensor_seq(i)?),
        };
        run(
            py,
            roots,
            grads,
            retain_graph.unwrap_or(create_graph),
            create_graph,
            inputs,
            true,
            false,
        )?;
        Ok(())
    }
}

fn tensor_seq(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(vec![t.borrow().t.clone()]);
    }
    obj.try_iter()?
        .map(|i| Ok(i?.cast::<PyTensor>()?.borrow().t.clone()))
        .collect()
}

/// Fill in implicit gradients (ones for scalars) and run the engine.
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    roots: Vec<Tensor>,
    grads: Vec<Option<Tensor>>,
    retain_graph: bool,
    create_graph: bool,
    inputs: Option<Vec<Tensor>>,
    accumulate: bool,
    allow_unused: bool,
) -> PyResult<Vec<Option<Tensor>>> {
    let mut grad_roots = Vec::with_capacity(roots.len());
    for (i, (r, g)) in roots.iter().zip(grads).enumerate() {
        if !r.requires_grad() {
            return Err(PyRuntimeError::new_err(format!(
                "element {i} of tensors does not require grad and does not have a grad_fn"
            )));
        }
        let g = match g {
            Some(g) => {
                if g.sizes() != r.sizes() {
                    return Err(PyRuntimeError::new_err(format!(
                        "Mismatch in shape: grad_output[{i}] has a shape of {} and output[{i}] has a shape of {}.",
                        super::size_repr(g.sizes()),
                        super::size_repr(r.sizes())
                    )));
                }
                g
            }
            None => {
                if r.numel() != 1 {
                    return Err(PyRuntimeError::new_err(
                        "grad can be implicitly created only for scalar outputs",
                    ));
                }
                crate::ops::creation::ones_like(r)
            }
        };
        grad_roots.push(g);
    }
    let req = BackwardRequest {
        roots: &roots,
        grad_roots,
        retain_graph,
        create_graph,
        inputs: inputs.as_deref(),
        accumulate_inputs: accumulate,
        allow_unused,
    };
    py.detach(|| run_backward(req)).map_err(raise)
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused, accumulate_grad))]
#[allow(clippy::too_many_arguments)]
pub fn _run_backward<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyAny>,
    grad_tensors: &Bound<'py, PyAny>,
    retain_graph: bool,
    create_graph: bool,
    inputs: Option<&Bound<'py, PyAny>>,
    allow_unused: bool,
    accumulate_grad: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let roots = tensor_seq(tensors)?;
    let grads: Vec<Option<Tensor>> = grad_tensors
        .try_iter()?
        .map(|g| {
            let g = g?;
            if g.is_none() {
                Ok(None)
            } else {
                Ok(Some(g.cast::<PyTensor>()?.borrow().t.clone()))
            }
        })
        .collect::<PyResult<_>>()?;
    let inputs = match inputs {
        Some(i) if !i.is_none() => Some(tensor_seq(i)?),
        _ => None,
    };
    let out = run(
        py,
        roots,
        grads,
        retain_graph,
        create_graph,
        inputs,
        accumulate_grad,
        allow_unused,
    )?;
    PyTuple::new(py, out.into_iter().map(|g| g.map(PyTensor::new)))
}

#[pyfunction]
pub fn is_grad_enabled() -> bool {
    mode::is_grad_enabled()
}

#[pyfunction]
pub fn _set_grad_enabled(enabled: bool) {
    mode::set_grad_enabled(enabled)
}

#[pyfunction]
pub fn is_inference_mode_enabled() -> bool {
    mode::is_inference_mode()
}

#[pyfunction]
pub fn _set_inference_mode(enabled: bool) {
    mode::set_inference_mode(enabled)
}

/// Attach a node for an `autograd.Function` call. `backward(*grads)` is called with the
/// output gradients and must return one gradient (or None) per entry of `inputs`.
#[pyfunction]
pub fn _record_function<'py>(
    py: Python<'py>,
    name: String,
    inputs: &Bound<'py, PyList>,
    outputs: &Bound<'py, PyList>,
    differentiable: Vec<bool>,
    backward: Py<PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let ins: Vec<Option<Tensor>> = inputs
        .iter()
        .map(|i| i.cast::<PyTensor>().ok().map(|t| t.borrow().t.clone()))
        .collect();
    let outs: Vec<Tensor> = outputs
        .iter()
        .map(|o| Ok(o.cast::<PyTensor>()?.borrow().t.clone()))
        .collect::<PyResult<_>>()?;
    let edges = ins
        .iter()
        .map(|t| t.as_ref().and_then(gradient_edge))
        .collect();
    let infos = outs
        .iter()
        .map(|t| crate::autograd::node::OutputInfo {
            sizes: t.dims(),
            dtype: t.dtype(),
        })
        .collect();
    let input_sizes: Vec<Option<crate::shape::Dims>> =
        ins.iter().map(|t| t.as_ref().map(|t| t.dims())).collect();
    let node_name = format!("{name}Backward");
    let f: crate::autograd::node::BackwardFn = Box::new(move |grads: &[Tensor]| {
        Python::attach(|py| {
            let args =
                PyTuple::new(py, grads.iter().map(|g| PyTensor::new(g.clone()))).map_err(stash)?;
            let r = backward.call1(py, args).map_err(stash)?;
            let r = r.bind(py);
            let items: Vec<Bound<'_, PyAny>> = if let Ok(t) = r.cast::<PyTuple>() {
                t.iter().collect()
            } else {
                vec![r.clone()]
            };
            if items.len() != input_sizes.len() {
                return Err(Error::runtime(format!(
                    "function {name}Backward returned an incorrect number of gradients (expected {}, got {})",
                    input_sizes.len(),
                    items.len()
                )));
            }
            items
                .iter()
                .zip(input_sizes.iter())
                .map(|(g, sizes)| {
                    if g.is_none() || sizes.is_none() {
                        return Ok(None);
                    }
                    let t = g
                        .cast::<PyTensor>()
                        .map_err(|_| Error::type_error("backward must return Tensors or None"))?
                        .borrow()
                        .t
                        .clone();
                    Ok(Some(t))
                })
                .collect()
        })
    });
    let node = Arc::new(Node::new_function(node_name, edges, infos, true, f));
    let result: Vec<PyTensor> =
        outs.into_iter()
            .enumerate()
            .map(|(i, t)| {
                if differentiable.get(i).copied().unwrap_or(true) && t.dtype().is_float() {
                    PyTensor::new(t.with_meta(Some(
                        crate::autograd::meta::AutogradMeta::with_grad_fn(node.clone(), i),
                    )))
                } else {
                    PyTensor::new(t)
                }
            })
            .collect();
    PyList::new(py, result)
}

/// An output of an `autograd.Function` kept by `ctx.save_for_backward`. It links to its
/// node weakly (a strong link would make the node own itself) and, unpacked while grad
/// mode is on (`create_graph`), carries that node as history so double backward works.
#[pyclass(module = "embertorch.autograd.function", frozen)]
pub struct SavedOutput {
    saved: crate::autograd::SavedTensor,
}

#[pymethods]
impl SavedOutput {
    fn unpack(&self) -> PyResult<PyTensor> {
        Ok(PyTensor::new(self.saved.unpack()?))
    }
}

/// Save `t`, an output recorded by `_record_function`.
#[pyfunction]
pub fn _save_output(t: PyRef<'_, PyTensor>) -> PyResult<SavedOutput> {
    let Some(node) = t.t.grad_fn() else {
        return Err(PyRuntimeError::new_err(
            "_save_output expects a tensor with a grad_fn",
        ));
    };
    let nr = t.t.meta().map(|m| m.lock().output_nr).unwrap_or(0);
    Ok(SavedOutput {
        saved: crate::autograd::SavedTensor::output(&t.t, Arc::downgrade(&node), nr),
    })
}

/// `x.requires_grad_()` for the Python layer's Parameter construction (keeps the object).
#[pyfunction]
pub fn _set_requires_grad(t: &Bound<'_, PyTensor>, value: bool) -> PyResult<()> {
    let cur = t.borrow().t.clone();
    update(t, autograd::set_requires_grad(&cur, value)?);
    Ok(())
}
