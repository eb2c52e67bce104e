//! Creation ops: full, *_like, arange, linspace, logspace, eye.

use crate::dtype::{default_float, DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A tensor of `sizes` filled with `value`.
pub fn full(sizes: &[usize], value: Scalar, dtype: DType) -> Result<Tensor> {
    if dtype.is_int() && value.is_float() && !value.to_f64().is_finite() {
        return Err(Error::runtime(format!(
            "value cannot be converted to type {} without overflow",
            dtype.name()
        )));
    }
    if value.to_f64() == 0.0 {
        return Tensor::try_zeros(sizes, dtype);
    }
    let t = Tensor::try_empty(sizes, dtype)?;
    crate::dispatch_all!(dtype, T => crate::cpu::elementwise::fill::<T>(&t, T::from_scalar(value)));
    Ok(t)
}

/// The dtype `full` infers from its fill value (bool, int64 or the default float).
pub fn full_dtype(value: Scalar) -> DType {
    value.natural_dtype()
}

pub fn zeros_like(t: &Tensor) -> Tensor {
    Tensor::zeros(t.sizes(), t.dtype())
}

pub fn ones_like(t: &Tensor) -> Tensor {
    full(t.sizes(), Scalar::Int(1), t.dtype()).expect("1 fits every dtype")
}

pub fn full_like(t: &Tensor, value: Scalar, dtype: DType) -> Tensor {
    full(t.sizes(), value, dtype).unwrap_or_else(|_| Tensor::zeros(t.sizes(), dtype))
}

/// `arange(start, end, step)`; the dtype is int64 when all three are integers.
pub fn arange(start: Scalar, end: Scalar, step: Scalar, dtype: Option<DType>) -> Result<Tensor> {
    let all_int = !start.is_float() && !end.is_float() && !step.is_float();
    let dtype = dtype.unwrap_or(if all_int { DType::I64 } else { default_float() });
    let (s, e, st) = (start.to_f64(), end.to_f64(), step.to_f64());
    if st == 0.0 {
        return Err(Error::runtime("step must be nonzero"));
    }
    if !s.is_finite() || !e.is_finite() {
        return Err(Error::runtime(format!("unsupported range: {s} -> {e}")));
    }
    if (st > 0.0 && e < s) || (st < 0.0 && e > s) {
        return Err(Error::runtime(
            "upper bound and lower bound inconsistent with step sign",
        ));
    }
    let n = if all_int {
        let (si, ei, sti) = (start.to_i64(), end.to_i64(), step.to_i64());
        let span = (ei - si) as i128;
        ((span + sti as i128 - sti.signum() as i128) / sti as i128).max(0) as usize
    } else {
        ((e - s) / st).ceil().max(0.0) as usize
    };
    let t = Tensor::try_empty(&[n], dtype)?;
    crate::dispatch_all!(dtype, T => {
        let p = t.data_ptr_mut::<T>();
        for i in 0..n {
            let v = if all_int {
                T::from_i64(start.to_i64() + i as i64 * step.to_i64())
            } else {
                T::from_f64(s + i as f64 * st)
            };
            unsafe { *p.add(i) = v };
        }
    });
    Ok(t)
}

/// `linspace(start, end, steps)`: symmetric from both ends like PyTorch's kernel.
pub fn linspace(start: f64, end: f64, steps: i64, dtype: DType) -> Result<Tensor> {
    if steps < 0 {
        return Err(Error::runtime("number of steps must be non-negative"));
    }
    let n = steps as usize;
    let t = Tensor::empty(&[n], dtype);
    let step = if n > 1 {
        (end - start) / (n - 1) as f64
    } else {
        0.0
    };
    // One step gives `start`, as PyTorch does (the upper half counts back from `end`).
    let half = if n == 1 { 1 } else { n / 2 };
    crate::dispatch_all!(dtype, T => {
        let p = t.data_ptr_mut::<T>();
        for i in 0..n {
            let v = if i < half { start + step * i as f64 } else { end - step * (n - 1 - i) as f64 };
            unsafe { *p.add(i) = T::from_f64(v) };
        }
    });
    Ok(t)
}

pub fn logspace(start: f64, end: f64, steps: i64, base: f64, dtype: DType) -> Result<Tensor> {
    let lin = linspace(start, end, steps, DType::F64)?;
    let v: Vec<f64> = lin
        .to_vec::<f64>()
        .into_iter()
        .map(|e| base.powf(e))
        .collect();
    let t = Tensor::from_vec(v, &[steps as usize])?;
    Ok(super::cast(&t, dtype))
}

pub fn eye(n: usize, m: usize, dtype: DType) -> Tensor {
    let t = Tensor::zeros(&[n, m], dtype);
    crate::dispatch_all!(dtype, T => {
        let p = t.data_ptr_mut::<T>();
        for i in 0..n.min(m) {
            unsafe { *p.add(i * m + i) = T::one() };
        }
    });
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aranges() {
        let a = arange(Scalar::Int(0), Scalar::Int(10), Scalar::Int(3), None).unwrap();
        assert_eq!(a.dtype(), DType::I64);
        assert_eq!(a.to_f64_vec(), vec![0.0, 3.0, 6.0, 9.0]);
        let b = arange(
            Scalar::Int(0),
            Scalar::Float(1.0),
            Scalar::Float(0.25),
            None,
        )
        .unwrap();
        assert_eq!(b.dtype(), DType::F32);
        assert_eq!(b.numel(), 4);
        let c = arange(Scalar::Int(5), Scalar::Int(0), Scalar::Int(-2), None).unwrap();
        assert_eq!(c.to_f64_vec(), vec![5.0, 3.0, 1.0]);
        assert!(arange(Scalar::Int(0), Scalar::Int(5), Scalar::Int(-1), None).is_err());
    }

    #[test]
    fn linspace_ends_exact() {
        let l = linspace(0.0, 1.0, 5, DType::F64).unwrap();
        assert_eq!(l.to_f64_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    }
}
