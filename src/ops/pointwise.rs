//! Pointwise ops with extra arguments: clamp, lerp, addcmul/addcdiv, nan_to_num, rounding
//! to decimals, logit, xlogy, closeness tests.

use super::binary::{self as bin, add, binary, div, mul, sub};
use super::index::where_;
use super::unary::{self as un, unary};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::dtype::{result_type, DType, Operand, Scalar};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

fn operand(t: &Tensor) -> Operand {
    if t.is_wrapped_number() {
        Operand::Wrapped(t.get_flat(0))
    } else if t.ndim() == 0 {
        Operand::ZeroDim(t.dtype())
    } else {
        Operand::Dim(t.dtype())
    }
}

fn scalar_t(v: f64) -> Tensor {
    Tensor::wrapped_scalar(Scalar::Float(v))
}

/// `clamp(min, max)`; bounds are numbers (wrapped) or tensors; at least one is given.
pub fn clamp(x: &Tensor, min: Option<&Tensor>, max: Option<&Tensor>) -> Result<Tensor> {
    if min.is_none() && max.is_none() {
        return Err(Error::runtime(
            "torch.clamp: At least one of 'min' or 'max' must not be None",
        ));
    }
    if x.dtype() == DType::Bool {
        return Err(Error::runtime("\"clamp_cpu\" not implemented for 'Bool'"));
    }
    let mut ops = vec![operand(x)];
    ops.extend(min.map(operand));
    ops.extend(max.map(operand));
    let dt = result_type(&ops);
    let scalar_bounds =
        min.is_none_or(|m| m.is_wrapped_number()) && max.is_none_or(|m| m.is_wrapped_number());
    // Forward without history; the scalar-bound case records one ClampBackward1 node.
    let out = {
        let _g =
            autograd::mode::GradModeGuard::new(!scalar_bounds && autograd::mode::is_grad_enabled());
        let xc = super::copy::to_dtype(x, dt)?;
        let lo = match min {
            Some(m) => binary(&bin::MAXIMUM, &xc, m)?,
            None => xc,
        };
        let hi = match max {
            Some(m) => binary(&bin::MINIMUM, &lo, m)?,
            None => lo,
        };
        // NaN inputs stay NaN (maximum/minimum propagate them already).
        hi
    };
    if !scalar_bounds || !dt.is_float() || !needs_grad(&[x]) {
        return Ok(out);
    }
    let sx = SavedTensor::input(x);
    let (lo, hi) = (min.cloned(), max.cloned());
    Ok(autograd::record1(
        "ClampBackward1",
        &[x],
        out,
        true,
        Box::new(move |g| {
            let x = sx.unpack()?;
            let mut keep = super::creation::full(x.sizes(), Scalar::Bool(true), DType::Bool)?;
            if let Some(l) = &lo {
                keep = binary(&bin::LOGICAL_AND, &keep, &binary(&bin::GE, &x, l)?)?;
            }
            if let Some(h) = &hi {
                keep = binary(&bin::LOGICAL_AND, &keep, &binary(&bin::LE, &x, h)?)?;
            }
            Ok(vec![Some(mul(
                &g[0],
                &super::copy::to_dtype(&keep, g[0].dtype())?,
            )?)])
        }),
    ))
}

/// `lerp(start, end, weight)` with PyTorch's two-sided formula (exact at both ends).
pub fn lerp(start: &Tensor, end: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let diff = sub(end, start)?;
    let half = scalar_t(0.5);
    let low = bin::lt(weight, &half)?;
    let from_start = add(start, &mul(weight, &diff)?)?;
    let from_end = sub(end, &mul(&diff, &sub(&scalar_t(1.0), weight)?)?)?;
    where_(&low, &from_start, &from_end)
}

/// `addcmul(input, t1, t2, value)`: input + value * t1 * t2.
pub fn addcmul(input: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    let p = mul(t1, t2)?;
    add(input, &mul(&p, &Tensor::wrapped_scalar(value))?)
}

/// `addcdiv(input, t1, t2, value)`: input + value * t1 / t2.
pub fn addcdiv(input: &Tensor, t1: &Tensor, t2: &Tensor, value: Scalar) -> Result<Tensor> {
    if !t1.dtype().is_float() && !t2.dtype().is_float() {
        return Err(Error::runtime(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.",
        ));
    }
    let q = div(t1, t2)?;
    add(input, &mul(&q, &Tensor::wrapped_scalar(value))?)
}

/// `nan_to_num(nan, posinf, neginf)`: infinities default to the dtype's extremes.
pub fn nan_to_num(
    x: &Tensor,
    nan: f64,
    posinf: Option<f64>,
    neginf: Option<f64>,
) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Ok(super::copy::clone(x));
    }
    let (lo, hi) = x.dtype().min_max();
    let p = Tensor::scalar(Scalar::Float(posinf.unwrap_or(hi)), x.dtype());
    let n = Tensor::scalar(Scalar::Float(neginf.unwrap_or(lo)), x.dtype());
    let nanv = Tensor::scalar(Scalar::Float(nan), x.dtype());
    let out = {
        let _g = autograd::mode::GradModeGuard::new(false);
        let r = where_(&unary(&un::ISNAN, x)?, &nanv, x)?;
        let r = where_(&unary(&un::ISPOSINF, x)?, &p, &r)?;
        where_(&unary(&un::ISNEGINF, x)?, &n, &r)?
    };
    if needs_grad(&[x]) {
        let sx = SavedTensor::input(x);
        return Ok(autograd::record1(
            "NanToNumBackward0",
            &[x],
            out,
            true,
            Box::new(move |g| {
                let finite = unary(&un::ISFINITE, &sx.unpack()?)?;
                Ok(vec![Some(mul(
                    &g[0],
                    &super::copy::to_dtype(&finite, g[0].dtype())?,
                )?)])
            }),
        ));
    }
    Ok(out)
}

/// `round(decimals=d)`: scale, round half to even, scale back (as PyTorch).
pub fn round_decimals(x: &Tensor, decimals: i64) -> Result<Tensor> {
    if decimals == 0 || !x.dtype().is_float() {
        return unary(&un::ROUND, x);
    }
    let scale = 10f64.powi(decimals.unsigned_abs() as i32);
    let s = Tensor::wrapped_scalar(Scalar::Float(scale));
    if decimals > 0 {
        div(&unary(&un::ROUND, &mul(x, &s)?)?, &s)
    } else {
        mul(&unary(&un::ROUND, &div(x, &s)?)?, &s)
    }
}

/// `logit(x, eps)`: log(x / (1 - x)), with x clamped to [eps, 1 - eps] when eps is given.
pub fn logit(x: &Tensor, eps: Option<f64>) -> Result<Tensor> {
    let xf = if x.dtype().is_float() {
        x.clone()
    } else {
        super::copy::to_dtype(x, crate::dtype::default_float())?
    };
    let z = match eps {
        Some(e) => clamp(&xf, Some(&scalar_t(e)), Some(&scalar_t(1.0 - e)))?,
        None => xf,
    };
    unary(&un::LOG, &div(&z, &sub(&scalar_t(1.0), &z)?)?)
}

/// `xlogy(x, y)`: x * log(y), 0 where x == 0 (unless y is NaN).
pub fn xlogy(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let prod = mul(x, &unary(&un::LOG, y)?)?;
    let zero_x = bin::eq(x, &Tensor::wrapped_scalar(Scalar::Int(0)))?;
    let y_nan = unary(&un::ISNAN, y)?;
    let use_zero = binary(
        &bin::LOGICAL_AND,
        &zero_x,
        &unary(&un::LOGICAL_NOT, &y_nan)?,
    )?;
    where_(
        &use_zero,
        &Tensor::wrapped_scalar(Scalar::Float(0.0)),
        &prod,
    )
}

/// `isclose`: |a - b| <= atol + rtol * |b|, equal infinities close, NaNs per `equal_nan`.
pub fn isclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> Result<Tensor> {
    if a.dtype() != b.dtype() && !(a.is_wrapped_number() || b.is_wrapped_number()) {
        return Err(Error::runtime(format!(
            "{} did not match {}",
            super::capitalized(a.dtype()),
            super::capitalized(b.dtype())
        )));
    }
    if rtol < 0.0 || atol < 0.0 {
        return Err(Error::runtime(
            "rtol and atol must be greater than or equal to zero",
        ));
    }
    let _g = autograd::mode::GradModeGuard::new(false);
    let eq = bin::eq(a, b)?;
    if !a.dtype().is_float() && !b.dtype().is_float() {
        let af = super::cast(a, DType::F64);
        let bf = super::cast(b, DType::F64);
        return isclose(&af, &bf, rtol, atol, equal_nan);
    }
    let diff = unary(&un::ABS, &sub(a, b)?)?;
    let tol = add(
        &scalar_t(atol),
        &mul(&scalar_t(rtol), &unary(&un::ABS, b)?)?,
    )?;
    let finite = binary(
        &bin::LOGICAL_AND,
        &unary(&un::ISFINITE, a)?,
        &unary(&un::ISFINITE, b)?,
    )?;
    let close = binary(&bin::LOGICAL_AND, &finite, &binary(&bin::LE, &diff, &tol)?)?;
    let mut r = binary(&bin::LOGICAL_OR, &eq, &close)?;
    if equal_nan {
        let both = binary(
            &bin::LOGICAL_AND,
            &unary(&un::ISNAN, a)?,
            &unary(&un::ISNAN, b)?,
        )?;
        r = binary(&bin::LOGICAL_OR, &r, &both)?;
    }
    Ok(r)
}

/// `equal(a, b)`: same shape and all elements equal.
pub fn equal(a: &Tensor, b: &Tensor) -> Result<bool> {
    if a.sizes() != b.sizes() {
        return Ok(false);
    }
    let e = bin::eq(a, b)?;
    Ok(super::reduce::all_any(&e, None, false, true)?
        .get_flat(0)
        .to_f64()
        != 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_and_promotion() {
        let x = Tensor::from_vec(vec![-2i64, 0, 5], &[3]).unwrap();
        let c = clamp(
            &x,
            Some(&Tensor::wrapped_scalar(Scalar::Int(-1))),
            Some(&Tensor::wrapped_scalar(Scalar::Int(3))),
        )
        .unwrap();
        assert_eq!(c.dtype(), DType::I64);
        assert_eq!(c.to_f64_vec(), vec![-1.0, 0.0, 3.0]);
        let f = clamp(&x, Some(&scalar_t(0.5)), None).unwrap();
        assert_eq!(f.dtype(), DType::F32);
        assert!(clamp(&x, None, None).is_err());
    }

    #[test]
    fn rounding_and_closeness() {
        let x = Tensor::from_vec(vec![1.2345f64, -2.5, 125.0], &[3]).unwrap();
        assert_eq!(
            round_decimals(&x, 2).unwrap().to_f64_vec(),
            vec![1.23, -2.5, 125.0]
        );
        assert_eq!(
            round_decimals(&x, -1).unwrap().to_f64_vec(),
            vec![0.0, -0.0, 120.0]
        );
        let a = Tensor::from_vec(vec![1.0f64, f64::INFINITY, f64::NAN], &[3]).unwrap();
        let b = Tensor::from_vec(vec![1.0 + 1e-9, f64::INFINITY, f64::NAN], &[3]).unwrap();
        assert_eq!(
            isclose(&a, &b, 1e-5, 1e-8, false).unwrap().to_f64_vec(),
            vec![1.0, 1.0, 0.0]
        );
        assert_eq!(
            isclose(&a, &b, 1e-5, 1e-8, true).unwrap().to_f64_vec(),
            vec![1.0, 1.0, 1.0]
        );
    }
}
