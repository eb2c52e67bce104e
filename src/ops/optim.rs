//! Fused optimizer updates: one pass over a parameter and its state per step, following
//! PyTorch's documented update rules operation for operation (same rounding in float32).

use crate::dtype::FloatElement;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Hyper-parameters of one SGD step.
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
    /// No momentum buffer yet: it starts as the (decayed) gradient.
    pub first_step: bool,
}

/// Hyper-parameters of one Adam / AdamW step.
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub maximize: bool,
    /// AdamW: weight decay applied to the parameter, not added to the gradient.
    pub decoupled: bool,
    pub step: u64,
}

pub struct RmsProp {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

pub struct Adagrad {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub eps: f64,
    pub maximize: bool,
    pub step: u64,
}

/// Checks, then a slice view of each tensor (all contiguous, same length and dtype).
fn slices<'a, T: FloatElement>(ts: &[&'a Tensor]) -> Result<Vec<&'a mut [T]>> {
    let n = ts[0].numel();
    for t in ts {
        if t.numel() != n || !t.is_contiguous() || t.dtype() != T::DTYPE {
            return Err(Error::runtime(
                "optimizer step: parameter, gradient and state must be contiguous with the same shape and dtype",
            ));
        }
    }
    // Safety: distinct tensors own distinct contiguous buffers of n elements (the caller
    // passes a parameter, its gradient and its own state buffers).
    Ok(ts
        .iter()
        .map(|t| unsafe { std::slice::from_raw_parts_mut(t.data_ptr_mut::<T>(), n) })
        .collect())
}

fn check(param: &Tensor, grad: &Tensor) -> Result<()> {
    if !param.dtype().is_float() {
        return Err(Error::runtime(
            "optimizers only update floating point parameters",
        ));
    }
    if param.sizes() != grad.sizes() {
        return Err(Error::runtime(format!(
            "the gradient of a parameter of shape {} has shape {}",
            crate::shape::fmt_sizes(param.sizes()),
            crate::shape::fmt_sizes(grad.sizes())
        )));
    }
    Ok(())
}

/// `param -= lr * update` for SGD with momentum, dampening, Nesterov, weight decay.
pub fn sgd_step(param: &Tensor, grad: &Tensor, buf: Option<&Tensor>, h: &Sgd) -> Result<()> {
    check(param, grad)?;
    let grad = super::cast(grad, param.dtype());
    crate::dispatch_float!(param.dtype(), T => {
        let mut ts = vec![param, &grad];
        if let Some(b) = buf { ts.push(b); }
        let mut s = slices::<T>(&ts)?;
        let c = |v: f64| <Acc as num_traits::NumCast>::from(v).unwrap();
        let (lr, mom, damp, wd) = (c(h.lr), c(h.momentum), c(h.dampening), c(h.weight_decay));
        let (p, rest) = s.split_at_mut(1);
        let (g, rest) = rest.split_at_mut(1);
        for i in 0..p[0].len() {
            let pv = p[0][i].to_acc();
            let mut d = g[0][i].to_acc();
            if h.maximize { d = -d; }
            if h.weight_decay != 0.0 { d = d + wd * pv; }
            if let Some(b) = rest.first_mut() {
                let bv = if h.first_step { d } else { b[i].to_acc() * mom + d * (<Acc as num_traits::One>::one() - damp) };
                b[i] = T::from_acc(bv);
                let bv = b[i].to_acc();
                d = if h.nesterov { d + mom * bv } else { bv };
            }
            p[0][i] = T::from_acc(pv - lr * d);
        }
        Ok(())
    }, _ => unreachable!("checked float"))?;
    param.storage().bump_version();
    Ok(())
}

/// One Adam/AdamW step on `param` with state `m`, `v` (and `vmax` for amsgrad).
pub fn adam_step(
    param: &Tensor,
    grad: &Tensor,
    m: &Tensor,
    v: &Tensor,
    vmax: Option<&Tensor>,
    h: &Adam,
) -> Result<()> {
    check(param, grad)?;
    let grad = super::cast(grad, param.dtype());
    let bc1 = 1.0 - h.beta1.powi(h.step as i32);
    let bc2 = 1.0 - h.beta2.powi(h.step as i32);
    crate::dispatch_float!(param.dtype(), T => {
        let mut ts = vec![param, &grad, m, v];
        if let Some(x) = vmax { ts.push(x); }
        let mut s = slices::<T>(&ts)?;
        let c = |x: f64| <Acc as num_traits::NumCast>::from(x).unwrap();
        let (wd, eps) = (c(h.weight_decay), c(h.eps));
        let one_minus_b1 = c(1.0 - h.beta1);
        let (b2, one_minus_b2) = (c(h.beta2), c(1.0 - h.beta2));
        let step_size = c(h.lr / bc1);
        let bc2_sqrt = c(bc2.sqrt());
        let decay = c(1.0 - h.lr * h.weight_decay);
        let (pp, rest) = s.split_at_mut(1);
        let (gg, rest) = rest.split_at_mut(1);
        let (mm, rest) = rest.split_at_mut(1);
        let (vv, rest) = rest.split_at_mut(1);
        for i in 0..pp[0].len() {
            let mut p = pp[0][i].to_acc();
            let mut g = gg[0][i].to_acc();
            if h.maximize { g = -g; }
            if h.weight_decay != 0.0 {
                if h.decoupled { p = T::from_acc(p * decay).to_acc(); } else { g = g + wd * p; }
            }
            // exp_avg.lerp_(grad, 1 - beta1)
            let mv = mm[0][i].to_acc();
            mm[0][i] = T::from_acc(mv + one_minus_b1 * (g - mv));
            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            let vs = T::from_acc(vv[0][i].to_acc() * b2).to_acc();
            vv[0][i] = T::from_acc(vs + one_minus_b2 * g * g);
            let second = match rest.first_mut() {
                Some(mx) => {
                    let best = if vv[0][i].to_acc() > mx[i].to_acc() { vv[0][i] } else { mx[i] };
                    mx[i] = best;
                    best.to_acc()
                }
                None => vv[0][i].to_acc(),
            };
            let denom = T::from_acc(T::from_acc(second.sqrt()).to_acc() / bc2_sqrt).to_acc() + eps;
            let denom = T::from_acc(denom).to_acc();
            pp[0][i] = T::from_acc(p - step_size * T::from_acc(mm[0][i].to_acc() / denom).to_acc());
        }
        Ok(())
    }, _ => unreachable!("checked float"))?;
    param.storage().bump_version();
    Ok(())
}

/// One RMSprop step (state: square average, optional momentum buffer and grad average).
pub fn rmsprop_step(
    param: &Tensor,
    grad: &Tensor,
    square_avg: &Tensor,
    momentum_buf: Option<&Tensor>,
    grad_avg: Option<&Tensor>,
    h: &RmsProp,
) -> Result<()> {
    check(param, grad)?;
    let grad = super::cast(grad, param.dtype());
    crate::dispatch_float!(param.dtype(), T => {
        let mut ts = vec![param, &grad, square_avg];
        ts.extend(momentum_buf);
        ts.extend(grad_avg);
        let mut s = slices::<T>(&ts)?;
        let c = |x: f64| <Acc as num_traits::NumCast>::from(x).unwrap();
        let (lr, alpha, eps, wd, mom) = (c(h.lr), c(h.alpha), c(h.eps), c(h.weight_decay), c(h.momentum));
        let n = s[0].len();
        let has_mom = momentum_buf.is_some();
        for i in 0..n {
            let p = s[0][i].to_acc();
            let mut g = s[1][i].to_acc();
            if h.maximize { g = -g; }
            if h.weight_decay != 0.0 { g = g + wd * p; }
            let sq = T::from_acc(s[2][i].to_acc() * alpha).to_acc();
            s[2][i] = T::from_acc(sq + (<Acc as num_traits::One>::one() - alpha) * g * g);
            let mut avg = s[2][i].to_acc();
            if h.centered {
                let k = if has_mom { 4 } else { 3 };
                let ga = s[k][i].to_acc();
                s[k][i] = T::from_acc(ga + (<Acc as num_traits::One>::one() - alpha) * (g - ga));
                let ga = s[k][i].to_acc();
                avg = T::from_acc(avg - ga * ga).to_acc();
            }
            let denom = T::from_acc(T::from_acc(avg.sqrt()).to_acc() + eps).to_acc();
            if has_mom {
                let b = T::from_acc(s[3][i].to_acc() * mom).to_acc();
                s[3][i] = T::from_acc(b + g / denom);
                s[0][i] = T::from_acc(p - lr * s[3][i].to_acc());
            } else {
                s[0][i] = T::from_acc(p - lr * T::from_acc(g / denom).to_acc());
            }
        }
        Ok(())
    }, _ => unreachable!("checked float"))?;
    param.storage().bump_version();
    Ok(())
}

/// One Adagrad step (state: sum of squared gradients).
pub fn adagrad_step(param: &Tensor, grad: &Tensor, sum: &Tensor, h: &Adagrad) -> Result<()> {
    check(param, grad)?;
    let grad = super::cast(grad, param.dtype());
    crate::dispatch_float!(param.dtype(), T => {
        let mut s = slices::<T>(&[param, &grad, sum])?;
        let c = |x: f64| <Acc as num_traits::NumCast>::from(x).unwrap();
        let clr = c(h.lr / (1.0 + (h.step as f64 - 1.0) * h.lr_decay));
        let (wd, eps) = (c(h.weight_decay), c(h.eps));
        for i in 0..s[0].len() {
            let p = s[0][i].to_acc();
            let mut g = s[1][i].to_acc();
            if h.maximize { g = -g; }
            if h.weight_decay != 0.0 { g = g + wd * p; }
            s[2][i] = T::from_acc(s[2][i].to_acc() + g * g);
            let std = T::from_acc(T::from_acc(s[2][i].to_acc().sqrt()).to_acc() + eps).to_acc();
            s[0][i] = T::from_acc(p - clr * T::from_acc(g / std).to_acc());
        }
        Ok(())
    }, _ => unreachable!("checked float"))?;
    param.storage().bump_version();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::DType;

    #[test]
    fn sgd_momentum_matches_the_rule() {
        let p = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap();
        let g = Tensor::from_vec(vec![0.5f64, -1.0], &[2]).unwrap();
        let b = Tensor::zeros(&[2], DType::F64);
        let h = |first| Sgd {
            lr: 0.1,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
            first_step: first,
        };
        sgd_step(&p, &g, Some(&b), &h(true)).unwrap();
        assert_eq!(b.to_f64_vec(), vec![0.5, -1.0]);
        sgd_step(&p, &g, Some(&b), &h(false)).unwrap();
        // buf = 0.9 * buf + g
        assert!((b.to_f64_vec()[0] - 0.95).abs() < 1e-12);
        assert!((p.to_f64_vec()[0] - (1.0 - 0.05 - 0.095)).abs() < 1e-12);
    }
}
