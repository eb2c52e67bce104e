//! Copies and conversions: contiguous, clone, to(dtype), copy_, fill_, zero_.

use super::{broadcast_to, cast, check_inplace_dtype, check_writable, may_overlap, new_output};
use crate::autograd::{self, needs_grad, record1};
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::tensor::Tensor;

/// A contiguous copy, no history (kernel plumbing).
pub fn clone_contiguous(t: &Tensor) -> Tensor {
    let out = Tensor::empty(t.sizes(), t.dtype());
    crate::cpu::copy::copy_cast(&out, t);
    out
}

/// Row-major data: `t` itself when already contiguous (as PyTorch returns self).
pub fn contiguous(t: &Tensor) -> Tensor {
    if t.is_contiguous() {
        return t.clone();
    }
    let out = clone_contiguous(t);
    if needs_grad(&[t]) {
        return record1(
            "CloneBackward0",
            &[t],
            out,
            false,
            Box::new(|g| Ok(vec![Some(g[0].clone())])),
        );
    }
    out
}

/// `clone()`: a copy keeping the memory order of dense inputs.
pub fn clone(t: &Tensor) -> Tensor {
    let out = new_output(t.sizes(), t.dtype(), &[t]);
    crate::cpu::copy::copy_cast(&out, t);
    if needs_grad(&[t]) {
        return record1(
            "CloneBackward0",
            &[t],
            out,
            false,
            Box::new(|g| Ok(vec![Some(g[0].clone())])),
        );
    }
    out
}

/// `to(dtype)`: the tensor itself when the dtype already matches.
pub fn to_dtype(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.dtype() == dtype {
        return Ok(t.clone());
    }
    let out = cast(t, dtype);
    if needs_grad(&[t]) && dtype.is_float() {
        let src = t.dtype();
        return Ok(record1(
            "ToCopyBackward0",
            &[t],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(to_dtype(&g[0], src)?)])),
        ));
    }
    Ok(out)
}

/// Prepare an in-place write into `dst`: the checks PyTorch makes first.
pub(crate) fn begin_inplace(dst: &Tensor, grad: bool) -> Result<()> {
    check_writable(dst)?;
    if grad {
        autograd::check_inplace(dst)?;
    }
    Ok(())
}

/// `dst.copy_(src)`: broadcast, cast, and tolerate overlap by copying through a temporary.
pub fn copy_(dst: &Tensor, src: &Tensor) -> Result<Tensor> {
    let grad = needs_grad(&[dst, src]);
    begin_inplace(dst, grad)?;
    let mut s = broadcast_to(src, dst.sizes())?;
    if may_overlap(dst, &s) && !super::same_elements(dst, &s) {
        s = clone_contiguous(&s);
    }
    crate::cpu::copy::copy_cast(dst, &s);
    dst.storage().bump_version();
    if grad {
        let src_dtype = src.dtype();
        let src_sizes = src.dims();
        let src_needs = src.requires_grad();
        return Ok(autograd::rebase_inplace(
            "CopyBackwards",
            dst,
            &[src],
            false,
            Box::new(move |g| {
                let g = &g[0];
                let for_src = if src_needs {
                    let r = super::reduce::sum_to_size(g, &src_sizes)?;
                    Some(to_dtype(&r, src_dtype)?)
                } else {
                    None
                };
                Ok(vec![Some(super::creation::zeros_like(g)), for_src])
            }),
        ));
    }
    Ok(dst.clone())
}

/// `fill_(value)`.
pub fn fill_(dst: &Tensor, value: Scalar) -> Result<Tensor> {
    let grad = needs_grad(&[dst]);
    begin_inplace(dst, grad)?;
    if dst.dtype().is_int() && value.is_float() && !value.to_f64().is_finite() {
        return Err(crate::error::Error::runtime(format!(
            "value cannot be converted to type {} without overflow",
            dst.dtype().name()
        )));
    }
    crate::dispatch_all!(dst.dtype(), T => {
        crate::cpu::elementwise::fill::<T>(dst, <T as crate::dtype::Element>::from_scalar(value))
    });
    dst.storage().bump_version();
    if grad {
        return Ok(autograd::rebase_inplace(
            "FillBackward0",
            dst,
            &[],
            false,
            Box::new(|g| Ok(vec![Some(super::creation::zeros_like(&g[0]))])),
        ));
    }
    Ok(dst.clone())
}

/// `fill_(tensor)` with a 0-dim tensor value (differentiable in the value).
pub fn fill_tensor_(dst: &Tensor, value: &Tensor) -> Result<Tensor> {
    if value.ndim() != 0 {
        return Err(crate::error::Error::runtime(format!(
            "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
            value.ndim()
        )));
    }
    copy_(dst, value)
}

pub fn zero_(dst: &Tensor) -> Result<Tensor> {
    fill_(dst, Scalar::Int(0))
}

/// `dst += src` without history (gradient accumulation).
pub fn add_into(dst: &Tensor, src: &Tensor) -> Result<()> {
    check_inplace_dtype(src.dtype(), dst.dtype())?;
    let s = cast(&broadcast_to(src, dst.sizes())?, dst.dtype());
    crate::dispatch_all!(dst.dtype(), T => {
        crate::cpu::elementwise::map2::<T, T, T>(dst, dst, &s, super::binary::add_elem::<T>)
    });
    dst.storage().bump_version();
    Ok(())
}
