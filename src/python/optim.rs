//! Fused optimizer steps for the Python optimizers (`embertorch.optim`).

use super::tensor::PyTensor;
use crate::ops::optim::{self, Adagrad, Adam, RmsProp, Sgd};
use pyo3::prelude::*;

fn t(x: &Option<PyRef<'_, PyTensor>>) -> Option<crate::tensor::Tensor> {
    x.as_ref().map(|v| v.t.clone())
}

#[pyfunction]
#[pyo3(signature = (param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step))]
#[allow(clippy::too_many_arguments)]
pub fn _sgd_step(
    param: PyRef<'_, PyTensor>,
    grad: PyRef<'_, PyTensor>,
    buf: Option<PyRef<'_, PyTensor>>,
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
    first_step: bool,
) -> PyResult<()> {
    let h = Sgd {
        lr,
        momentum,
        dampening,
        weight_decay,
        nesterov,
        maximize,
        first_step,
    };
    Ok(optim::sgd_step(&param.t, &grad.t, t(&buf).as_ref(), &h)?)
}

#[pyfunction]
#[pyo3(signature = (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled))]
#[allow(clippy::too_many_arguments)]
pub fn _adam_step(
    param: PyRef<'_, PyTensor>,
    grad: PyRef<'_, PyTensor>,
    exp_avg: PyRef<'_, PyTensor>,
    exp_avg_sq: PyRef<'_, PyTensor>,
    max_exp_avg_sq: Option<PyRef<'_, PyTensor>>,
    step: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    decoupled: bool,
) -> PyResult<()> {
    let h = Adam {
        lr,
        beta1,
        beta2,
        eps,
        weight_decay,
        amsgrad,
        maximize,
        decoupled,
        step,
    };
    Ok(optim::adam_step(
        &param.t,
        &grad.t,
        &exp_avg.t,
        &exp_avg_sq.t,
        t(&max_exp_avg_sq).as_ref(),
        &h,
    )?)
}

#[pyfunction]
#[pyo3(signature = (param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay, momentum, centered, maximize))]
#[allow(clippy::too_many_arguments)]
pub fn _rmsprop_step(
    param: PyRef<'_, PyTensor>,
    grad: PyRef<'_, PyTensor>,
    square_avg: PyRef<'_, PyTensor>,
    momentum_buffer: Option<PyRef<'_, PyTensor>>,
    grad_avg: Option<PyRef<'_, PyTensor>>,
    lr: f64,
    alpha: f64,
    eps: f64,
    weight_decay: f64,
    momentum: f64,
    centered: bool,
    maximize: bool,
) -> PyResult<()> {
    let h = RmsProp {
        lr,
        alpha,
        eps,
        weight_decay,
        momentum,
        centered,
        maximize,
    };
    Ok(optim::rmsprop_step(
        &param.t,
        &grad.t,
        &square_avg.t,
        t(&momentum_buffer).as_ref(),
        t(&grad_avg).as_ref(),
        &h,
    )?)
}

#[pyfunction]
#[pyo3(signature = (param, grad, state_sum, step, lr, lr_decay, weight_decay, eps, maximize))]
#[allow(clippy::too_many_arguments)]
pub fn _adagrad_step(
    param: PyRef<'_, PyTensor>,
    grad: PyRef<'_, PyTensor>,
    state_sum: PyRef<'_, PyTensor>,
    step: u64,
    lr: f64,
    lr_decay: f64,
    weight_decay: f64,
    eps: f64,
    maximize: bool,
) -> PyResult<()> {
    let h = Adagrad {
        lr,
        lr_decay,
        weight_decay,
        eps,
        maximize,
        step,
    };
    Ok(optim::adagrad_step(&param.t, &grad.t, &state_sum.t, &h)?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_sgd_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adam_step, m)?)?;
    m.add_function(wrap_pyfunction!(_rmsprop_step, m)?)?;
    m.add_function(wrap_pyfunction!(_adagrad_step, m)?)?;
    Ok(())
}
