//! Reductions: sum, mean, prod, extremes and their indices, logical, statistics, norms.

// Generic kernels test NaN as `v != v` (it works for every element type) and are also
// instantiated for bool, where ordering comparisons are meant.
#![allow(clippy::eq_op, clippy::bool_comparison)]

use super::binary::{self as bin, div, mul, sub};
use super::cast;
use super::shape::{reshape, unsqueeze};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::cpu::reduce::{along_dim, reduce, ElemFold, Plan, SumF64, SumI64};
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::shape::{wrap_dim, Dims};
use crate::tensor::Tensor;
use smallvec::SmallVec;

/// The reduced dims as a mask, with the output sizes (keepdim applied or not).
pub struct Spec {
    pub mask: Vec<bool>,
    pub keepdim: bool,
    pub out_sizes: Dims,
}

impl Spec {
    pub fn new(x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Spec> {
        let nd = x.ndim();
        let mut mask = vec![false; nd];
        match dims {
            None => mask.iter_mut().for_each(|m| *m = true),
            Some([]) => mask.iter_mut().for_each(|m| *m = true),
            Some(ds) => {
                for &d in ds {
                    let w = wrap_dim(d, nd)?;
                    if nd == 0 {
                        continue;
                    }
                    if mask[w] {
                        return Err(Error::runtime(format!(
                            "dim {w} appears multiple times in the list of dims"
                        )));
                    }
                    mask[w] = true;
                }
            }
        }
        let out_sizes = (0..nd)
            .filter_map(|d| {
                if !mask[d] {
                    Some(x.sizes()[d])
                } else if keepdim {
                    Some(1)
                } else {
                    None
                }
            })
            .collect();
        Ok(Spec {
            mask,
            keepdim,
            out_sizes,
        })
    }

    pub fn count(&self, x: &Tensor) -> usize {
        (0..x.ndim())
            .filter(|&d| self.mask[d])
            .map(|d| x.sizes()[d])
            .product()
    }

    fn reduced_dims(&self) -> Vec<i64> {
        (0..self.mask.len())
            .filter(|&d| self.mask[d])
            .map(|d| d as i64)
            .collect()
    }
}

/// Bring a reduced gradient back to the input's shape (unsqueeze, then expand).
pub fn expand_back(g: &Tensor, x_sizes: &[usize], spec: &Spec) -> Result<Tensor> {
    let mut g = g.clone();
    if !spec.keepdim {
        for d in 0..x_sizes.len() {
            if spec.mask[d] {
                g = unsqueeze(&g, d as i64)?;
            }
        }
    }
    let target: Vec<i64> = x_sizes.iter().map(|&s| s as i64).collect();
    super::shape::expand(&g, &target)
}

fn empty_out(spec: &Spec, dtype: DType) -> Tensor {
    Tensor::empty(&spec.out_sizes, dtype)
}

/// Raw sum (no history) into `dtype`.
fn sum_raw(x: &Tensor, spec: &Spec, dtype: DType) -> Tensor {
    let plan = Plan::new(x, &spec.mask);
    let out = empty_out(spec, dtype);
    if dtype.is_float() {
        crate::dispatch_float!(dtype, O => {
            crate::dispatch_all!(x.dtype(), T => reduce::<T, O, _>(x, &plan, &out, &SumF64, O::from_f64))
        }, _ => unreachable!())
    } else {
        crate::dispatch_all!(x.dtype(), T => reduce::<T, i64, _>(x, &plan, &out, &SumI64, |a| a))
    }
    out
}

/// `sum(dim, keepdim, dtype)`: integers and bools sum to int64.
pub fn sum(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let spec = Spec::new(x, dims, keepdim)?;
    let x_in = match dtype {
        Some(d) => super::copy::to_dtype(x, d)?,
        None => x.clone(),
    };
    let out_dt = if x_in.dtype().is_float() {
        x_in.dtype()
    } else {
        DType::I64
    };
    let out = sum_raw(&x_in, &spec, out_dt);
    if out_dt.is_float() && needs_grad(&[&x_in]) {
        let sizes = x_in.dims();
        let name = if dims.is_none() {
            "SumBackward0"
        } else {
            "SumBackward1"
        };
        return Ok(autograd::record1(
            name,
            &[&x_in],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(expand_back(&g[0], &sizes, &spec)?)])),
        ));
    }
    Ok(out)
}

/// `nansum`: NaNs count as zero.
pub fn nansum(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return sum(x, dims, keepdim, dtype);
    }
    let nan = super::unary::unary(&super::unary::ISNAN, x)?;
    let cleaned = super::index::where_(&nan, &Tensor::wrapped_scalar(Scalar::Float(0.0)), x)?;
    sum(&cleaned, dims, keepdim, dtype)
}

pub fn mean(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let dt = dtype.unwrap_or(x.dtype());
    if !dt.is_float() {
        return Err(Error::runtime(format!(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
            super::capitalized(dt)
        )));
    }
    let x_in = super::copy::to_dtype(x, dt)?;
    let spec = Spec::new(&x_in, dims, keepdim)?;
    let count = spec.count(&x_in);
    let s = sum_raw(&x_in, &spec, dt);
    let out = cast(
        &bin::div(&s, &Tensor::wrapped_scalar(Scalar::Int(count as i64)))?,
        dt,
    );
    if needs_grad(&[&x_in]) {
        let sizes = x_in.dims();
        let name = if dims.is_none() {
            "MeanBackward0"
        } else {
            "MeanBackward1"
        };
        return Ok(autograd::record1(
            name,
            &[&x_in],
            out,
            false,
            Box::new(move |g| {
                let scaled = div(&g[0], &Tensor::wrapped_scalar(Scalar::Int(count as i64)))?;
                Ok(vec![Some(expand_back(&scaled, &sizes, &spec)?)])
            }),
        ));
    }
    Ok(out)
}

/// `nanmean`: mean over non-NaN values.
pub fn nanmean(x: &Tensor, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return mean(x, dims, keepdim, None);
    }
    let valid = super::unary::unary(
        &super::unary::LOGICAL_NOT,
        &super::unary::unary(&super::unary::ISNAN, x)?,
    )?;
    let total = nansum(x, dims, keepdim, None)?;
    let count = sum(&valid, dims, keepdim, None)?;
    div(&total, &count)
}

/// Sum `g` down to `sizes` (the broadcasting gradient rule).
pub fn sum_to_size(g: &Tensor, sizes: &[usize]) -> Result<Tensor> {
    if g.sizes() == sizes {
        return Ok(g.clone());
    }
    let lead = g.ndim() - sizes.len();
    let mut dims: Vec<i64> = (0..lead as i64).collect();
    for (i, &s) in sizes.iter().enumerate() {
        if s == 1 && g.sizes()[lead + i] != 1 {
            dims.push((lead + i) as i64);
        }
    }
    let r = if dims.is_empty() {
        g.clone()
    } else {
        sum(g, Some(&dims), true, None)?
    };
    let target: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
    reshape(&r, &target)
}

pub fn prod(
    x: &Tensor,
    dims: Option<&[i64]>,
    keepdim: bool,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let spec = Spec::new(x, dims, keepdim)?;
    let x_in = match dtype {
        Some(d) => super::copy::to_dtype(x, d)?,
        None => x.clone(),
    };
    let out_dt = if x_in.dtype().is_float() {
        x_in.dtype()
    } else {
        DType::I64
    };
    let plan = Plan::new(&x_in, &spec.mask);
    let out = empty_out(&spec, out_dt);
    if out_dt.is_float() {
        crate::dispatch_float!(out_dt, T => {
            let f = ElemFold { init: 1f64, step: |a: f64, v: T| a * v.to_f64(), merge: |a: f64, b: f64| a * b };
            reduce::<T, T, _>(&x_in, &plan, &out, &f, T::from_f64)
        }, _ => unreachable!())
    } else {
        crate::dispatch_all!(x_in.dtype(), T => {
            let f = ElemFold { init: 1i64, step: |a: i64, v: T| a.wrapping_mul(v.to_i64()), merge: |a: i64, b: i64| a.wrapping_mul(b) };
            reduce::<T, i64, _>(&x_in, &plan, &out, &f, |a| a)
        })
    }
    if out_dt.is_float() && needs_grad(&[&x_in]) {
        let sx = SavedTensor::input(&x_in);
        let sizes = x_in.dims();
        let name = if dims.is_none() {
            "ProdBackward0"
        } else {
            "ProdBackward1"
        };
        return Ok(autograd::record1_with_output(
            name,
            &[&x_in],
            out,
            move |so| {
                Box::new(move |g| {
                    let x = sx.unpack()?;
                    let out = so.unpack()?;
                    // d prod / dx_i = prod / x_i; where x_i == 0 use the product of the others.
                    let ge = expand_back(&mul(&g[0], &out)?, &sizes, &spec)?;
                    let zero = Tensor::wrapped_scalar(Scalar::Int(0));
                    let is_zero = bin::eq(&x, &zero)?;
                    let safe_x = super::index::where_(
                        &is_zero,
                        &Tensor::wrapped_scalar(Scalar::Int(1)),
                        &x,
                    )?;
                    let grad_nonzero = div(&ge, &safe_x)?;
                    let others = prod_excluding_self(&x, &spec)?;
                    let grad_zero = mul(&expand_back(&g[0], &sizes, &spec)?, &others)?;
                    Ok(vec![Some(super::index::where_(
                        &is_zero,
                        &grad_zero,
                        &grad_nonzero,
                    )?)])
                })
            },
        ));
    }
    Ok(out)
}

/// For each element, the product of the other elements of its reduction group.
fn prod_excluding_self(x: &Tensor, spec: &Spec) -> Result<Tensor> {
    // Flatten the reduced dims into one and use exclusive cumulative products both ways.
    let keep: Vec<usize> = (0..x.ndim()).filter(|&d| !spec.mask[d]).collect();
    let red: Vec<usize> = (0..x.ndim()).filter(|&d| spec.mask[d]).collect();
    let mut perm = keep.clone();
    perm.extend(&red);
    let xp = super::shape::permute(x, &perm.iter().map(|&d| d as i64).collect::<Vec<_>>())?;
    let mut flat_shape: Vec<i64> = keep.iter().map(|&d| x.sizes()[d] as i64).collect();
    flat_shape.push(-1);
    let xf = reshape(&xp, &flat_shape)?;
    let last = xf.ndim() as i64 - 1;
    let n = xf.sizes()[last as usize];
    let ones = super::creation::ones_like(&super::shape::narrow(&xf, last, 0, 1.min(n))?);
    let left = if n > 0 {
        let head = super::shape::narrow(&xf, last, 0, n - 1)?;
        super::shape::cat(&[ones.clone(), cumprod(&head, last)?], last)?
    } else {
        xf.clone()
    };
    let right = if n > 0 {
        let flipped = super::shape::flip(&xf, &[last])?;
        let head = super::shape::narrow(&flipped, last, 0, n - 1)?;
        let r = super::shape::cat(&[ones, cumprod(&head, last)?], last)?;
        super::shape::flip(&r, &[last])?
    } else {
        xf.clone()
    };
    let both = mul(&left, &right)?;
    let perm_sizes: Vec<i64> = perm.iter().map(|&d| x.sizes()[d] as i64).collect();
    let back = reshape(&both, &perm_sizes)?;
    let mut inv = vec![0i64; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i as i64;
    }
    super::shape::permute(&back, &inv)
}

fn check_nonempty(x: &Tensor, name: &str) -> Result<()> {
    if x.numel() == 0 {
        return Err(Error::index(format!(
            "{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
        )));
    }
    Ok(())
}

/// The extreme of a group, NaN winning (as torch.max / amax do).
#[allow(clippy::type_complexity)]
fn extreme_fold<T: Element>(
    want_max: bool,
) -> ElemFold<
    (T, bool),
    impl Fn((T, bool), T) -> (T, bool) + Sync,
    impl Fn((T, bool), (T, bool)) -> (T, bool) + Sync,
> {
    let better = move |a: T, b: T| -> bool {
        // Is b better than a?
        if b != b {
            return true;
        }
        if a != a {
            return false;
        }
        if want_max {
            b > a
        } else {
            b < a
        }
    };
    ElemFold {
        init: (T::zero(), false),
        step: move |acc: (T, bool), v: T| {
            if !acc.1 || better(acc.0, v) {
                (v, true)
            } else {
                acc
            }
        },
        merge: move |a: (T, bool), b: (T, bool)| {
            if !a.1 {
                b
            } else if !b.1 {
                a
            } else if better(a.0, b.0) {
                b
            } else {
                a
            }
        },
    }
}

fn extreme_raw(x: &Tensor, spec: &Spec, want_max: bool) -> Tensor {
    let plan = Plan::new(x, &spec.mask);
    let out = empty_out(spec, x.dtype());
    crate::dispatch_all!(x.dtype(), T => {
        reduce::<T, T, _>(x, &plan, &out, &extreme_fold::<T>(want_max), |a| a.0)
    });
    out
}

/// `amax`/`amin` over dims; the gradient is shared evenly among tied extremes.
pub fn amax(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, want_max: bool) -> Result<Tensor> {
    let spec = Spec::new(x, dims, keepdim)?;
    let name = if want_max { "amax" } else { "amin" };
    if x.numel() == 0 && (spec.count(x) == 0 || x.ndim() == 0) {
        return Err(Error::index(format!(
            "{name}(): Expected reduction dim {} to have non-zero size.",
            spec.reduced_dims().first().copied().unwrap_or(0)
        )));
    }
    let out = extreme_raw(x, &spec, want_max);
    if x.dtype().is_float() && needs_grad(&[x]) {
        let grad_name = if want_max {
            "AmaxBackward0"
        } else {
            "AminBackward0"
        };
        return Ok(record_even_split(grad_name, x, out, spec));
    }
    Ok(out)
}

/// Backward shared by max()/min()/amax/amin: gradient split evenly among the elements
/// equal to the result.
fn record_even_split(name: &'static str, x: &Tensor, out: Tensor, spec: Spec) -> Tensor {
    let sx = SavedTensor::input(x);
    let sizes = x.dims();
    autograd::record1_with_output(name, &[x], out, move |so| {
        Box::new(move |g| {
            let x = sx.unpack()?;
            let out = so.unpack()?;
            let oe = expand_back(&out, &sizes, &spec)?;
            let hit = super::copy::to_dtype(&bin::eq(&x, &oe)?, x.dtype())?;
            let count = sum(&hit, Some(&spec.reduced_dims()), spec.keepdim, None)?;
            let share = div(&g[0], &count)?;
            Ok(vec![Some(mul(&expand_back(&share, &sizes, &spec)?, &hit)?)])
        })
    })
}

/// `max()` / `min()` of all elements.
pub fn max_all(x: &Tensor, want_max: bool) -> Result<Tensor> {
    check_nonempty(x, if want_max { "max" } else { "min" })?;
    let spec = Spec::new(x, None, false)?;
    let out = extreme_raw(x, &spec, want_max);
    if x.dtype().is_float() && needs_grad(&[x]) {
        let name = if want_max {
            "MaxBackward1"
        } else {
            "MinBackward1"
        };
        return Ok(record_even_split(name, x, out, spec));
    }
    Ok(out)
}

/// `max(dim)` / `min(dim)`: values and the index of the first extreme.
pub fn max_dim(x: &Tensor, dim: i64, keepdim: bool, want_max: bool) -> Result<(Tensor, Tensor)> {
    let (values, indices) = arg_extreme(x, Some(dim), keepdim, want_max)?;
    if x.dtype().is_float() && needs_grad(&[x]) {
        let name = if want_max {
            "MaxBackward0"
        } else {
            "MinBackward0"
        };
        let values = record_index_select_back(name, x, values, &indices, dim, keepdim)?;
        return Ok((values, indices));
    }
    Ok((values, indices))
}

/// The backward of a reduction that picked one element per group by `indices` along `dim`.
pub fn record_index_select_back(
    name: &'static str,
    x: &Tensor,
    values: Tensor,
    indices: &Tensor,
    dim: i64,
    keepdim: bool,
) -> Result<Tensor> {
    let sizes = x.dims();
    let d = wrap_dim(dim, x.ndim())?;
    let idx = indices.clone();
    Ok(autograd::record1(
        name,
        &[x],
        values,
        true,
        Box::new(move |g| {
            let (mut g, mut i) = (g[0].clone(), idx.clone());
            if !keepdim && !sizes.is_empty() {
                g = unsqueeze(&g, d as i64)?;
                i = unsqueeze(&i, d as i64)?;
            }
            let zeros = Tensor::zeros(&sizes, g.dtype());
            Ok(vec![Some(super::index::scatter(
                &zeros, d as i64, &i, &g, None,
            )?)])
        }),
    ))
}

/// Values and indices of the max/min along `dim` (or of the flattened tensor when None).
pub fn arg_extreme(
    x: &Tensor,
    dim: Option<i64>,
    keepdim: bool,
    want_max: bool,
) -> Result<(Tensor, Tensor)> {
    let (src, d) = match dim {
        Some(d) => (x.clone(), wrap_dim(d, x.ndim())?),
        None => (reshape(&x.detach(), &[-1])?, 0),
    };
    let name = if want_max { "max" } else { "min" };
    if src.ndim() > 0 && src.sizes()[d] == 0 {
        return Err(Error::index(format!(
            "{name}(): Expected reduction dim {d} to have non-zero size."
        )));
    }
    let src0 = if src.ndim() == 0 {
        reshape(&src.detach(), &[1])?
    } else {
        src.detach()
    };
    let mut out_sizes: Dims = SmallVec::new();
    for (i, &s) in src0.sizes().iter().enumerate() {
        if i != d {
            out_sizes.push(s);
        } else if keepdim {
            out_sizes.push(1);
        }
    }
    if src.ndim() == 0 {
        out_sizes.clear();
    }
    if dim.is_none() && keepdim {
        out_sizes = SmallVec::from_elem(1, x.ndim());
    }
    let values = Tensor::empty(&out_sizes, x.dtype());
    let indices = Tensor::empty(&out_sizes, DType::I64);
    let pv = crate::cpu::iter::SendPtr(values.data_ptr_raw());
    let pi = crate::cpu::iter::SendPtr(indices.data_ptr_raw() as *mut i64);
    crate::dispatch_all!(x.dtype(), T => {
        along_dim(&src0, d, |p, stride, len, o| unsafe {
            let p = p as *const T;
            let mut best = *p;
            let mut at = 0usize;
            for k in 1..len {
                let v = *p.offset(k as isize * stride);
                if best != best {
                    break;
                }
                let better = v != v || if want_max { v > best } else { v < best };
                if better {
                    best = v;
                    at = k;
                }
            }
            *(pv.at(0) as *mut T).add(o) = best;
            *pi.at(o as isize) = at as i64;
        })
    });
    Ok((values, indices))
}

pub fn argmax(x: &Tensor, dim: Option<i64>, keepdim: bool, want_max: bool) -> Result<Tensor> {
    if x.numel() == 0 && dim.is_none() {
        return Err(Error::runtime(format!(
            "{}(): Expected reduction dim to be specified for input.numel() == 0.",
            if want_max { "argmax" } else { "argmin" }
        )));
    }
    Ok(arg_extreme(x, dim, keepdim, want_max)?.1)
}

/// `all` / `any` (uint8 inputs keep uint8, others give bool, as PyTorch).
pub fn all_any(x: &Tensor, dims: Option<&[i64]>, keepdim: bool, is_all: bool) -> Result<Tensor> {
    let spec = Spec::new(x, dims, keepdim)?;
    let plan = Plan::new(x, &spec.mask);
    let out = empty_out(&spec, DType::Bool);
    crate::dispatch_all!(x.dtype(), T => {
        let f = ElemFold {
            init: is_all,
            step: move |a: bool, v: T| if is_all { a && v.to_bool() } else { a || v.to_bool() },
            merge: move |a: bool, b: bool| if is_all { a && b } else { a || b },
        };
        reduce::<T, bool, _>(x, &plan, &out, &f, |a| a)
    });
    if x.dtype() == DType::U8 {
        return Ok(cast(&out, DType::U8));
    }
    Ok(out)
}

pub fn count_nonzero(x: &Tensor, dims: Option<&[i64]>) -> Result<Tensor> {
    let nz = bin::binary(&bin::NE, x, &Tensor::wrapped_scalar(Scalar::Int(0)))?;
    sum(&nz, dims, false, None)
}

/// `var` / `std` with Bessel's `correction`.
pub fn var(
    x: &Tensor,
    dims: Option<&[i64]>,
    correction: f64,
    keepdim: bool,
    take_sqrt: bool,
) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Err(Error::runtime(
            "std and var only support floating point and complex dtypes".to_string(),
        ));
    }
    let spec = Spec::new(x, dims, keepdim)?;
    let n = spec.count(x) as f64;
    let rdims = spec.reduced_dims();
    let out = {
        let _guard = crate::autograd::mode::GradModeGuard::new(false);
        let m = mean(x, Some(&rdims), true, None)?;
        let d = sub(x, &m)?;
        let ss = sum(&mul(&d, &d)?, Some(&rdims), keepdim, Some(DType::F64))?;
        let denom = (n - correction).max(0.0);
        let v = div(&ss, &Tensor::wrapped_scalar(Scalar::Float(denom)))?;
        let v = if take_sqrt {
            super::unary::sqrt(&v)?
        } else {
            v
        };
        cast(&v, x.dtype())
    };
    if needs_grad(&[x]) {
        let sx = SavedTensor::input(x);
        let sizes = x.dims();
        let name = if take_sqrt {
            "StdBackward0"
        } else {
            "VarBackward0"
        };
        return Ok(autograd::record1_with_output(name, &[x], out, move |so| {
            Box::new(move |g| {
                let x = sx.unpack()?;
                let m = mean(&x, Some(&rdims), true, None)?;
                let d = sub(&x, &m)?;
                let scale = 2.0 / (n - correction);
                let mut gv = g[0].clone();
                if take_sqrt {
                    // d std = d var / (2 std)
                    gv = div(&gv, &bin::mul_scalar(&so.unpack()?, 2.0)?)?;
                }
                let ge = expand_back(&gv, &sizes, &spec)?;
                Ok(vec![Some(mul(&ge, &bin::mul_scalar(&d, scale)?)?)])
            })
        }));
    }
    Ok(out)
}

/// `logsumexp(dim, keepdim)`, shifted by the maximum for stability.
pub fn logsumexp(x: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let xf = if x.dtype().is_float() {
        x.clone()
    } else {
        super::copy::to_dtype(x, crate::dtype::default_float())?
    };
    let spec = Spec::new(&xf, Some(dims), keepdim)?;
    let out = {
        let _guard = crate::autograd::mode::GradModeGuard::new(false);
        let m = amax(&xf, Some(dims), true, true)?;
        let finite = super::unary::unary(&super::unary::ISFINITE, &m)?;
        let m = super::index::where_(&finite, &m, &Tensor::wrapped_scalar(Scalar::Float(0.0)))?;
        let s = sum(&super::unary::exp(&sub(&xf, &m)?)?, Some(dims), true, None)?;
        let r = bin::add(&super::unary::log(&s)?, &m)?;
        if keepdim {
            r
        } else {
            reshape(
                &r,
                &spec.out_sizes.iter().map(|&s| s as i64).collect::<Vec<_>>(),
            )?
        }
    };
    if needs_grad(&[&xf]) {
        let sx = SavedTensor::input(&xf);
        let sizes = xf.dims();
        return Ok(autograd::record1_with_output(
            "LogsumexpBackward0",
            &[&xf],
            out,
            move |so| {
                Box::new(move |g| {
                    let x = sx.unpack()?;
                    let oe = expand_back(&so.unpack()?, &sizes, &spec)?;
                    let ge = expand_back(&g[0], &sizes, &spec)?;
                    Ok(vec![Some(mul(&ge, &super::unary::exp(&sub(&x, &oe)?)?)?)])
                })
            },
        ));
    }
    Ok(out)
}

/// `linalg.vector_norm(x, ord, dim, keepdim)`.
pub fn vector_norm(x: &Tensor, ord: f64, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Err(Error::runtime(format!(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
            super::capitalized(x.dtype())
        )));
    }
    let a = super::unary::abs(x)?;
    if ord == f64::INFINITY {
        return amax(&a, dims, keepdim, true);
    }
    if ord == f64::NEG_INFINITY {
        return amax(&a, dims, keepdim, false);
    }
    if ord == 0.0 {
        let nz = super::copy::to_dtype(
            &bin::binary(&bin::NE, x, &Tensor::wrapped_scalar(Scalar::Int(0)))?,
            x.dtype(),
        )?;
        return sum(&nz.detach(), dims, keepdim, None);
    }
    if ord == 1.0 {
        return sum(&a, dims, keepdim, None);
    }
    if ord == 2.0 {
        let spec = Spec::new(x, dims, keepdim)?;
        let out = {
            let _guard = crate::autograd::mode::GradModeGuard::new(false);
            let s = sum(&mul(x, x)?, dims, keepdim, Some(DType::F64))?;
            cast(&super::unary::sqrt(&s)?, x.dtype())
        };
        if needs_grad(&[x]) {
            let sx = SavedTensor::input(x);
            let sizes = x.dims();
            return Ok(autograd::record1_with_output(
                "LinalgVectorNormBackward0",
                &[x],
                out,
                move |so| {
                    Box::new(move |g| {
                        let x = sx.unpack()?;
                        let n = expand_back(&so.unpack()?, &sizes, &spec)?;
                        let ge = expand_back(&g[0], &sizes, &spec)?;
                        let zero = bin::eq(&n, &Tensor::wrapped_scalar(Scalar::Int(0)))?;
                        let safe = super::index::where_(
                            &zero,
                            &Tensor::wrapped_scalar(Scalar::Int(1)),
                            &n,
                        )?;
                        let r = mul(&ge, &div(&x, &safe)?)?;
                        Ok(vec![Some(super::unary::masked_zero_where(&r, &zero)?)])
                    })
                },
            ));
        }
        return Ok(out);
    }
    // General p: (sum |x|^p)^(1/p), composed of differentiable ops.
    let p = Tensor::wrapped_scalar(Scalar::Float(ord));
    let s = sum(&bin::pow(&a, &p)?, dims, keepdim, None)?;
    bin::pow(&s, &Tensor::wrapped_scalar(Scalar::Float(1.0 / ord)))
}

/// Cumulative sum/product along `dim` (no history; callers compose).
fn cumulative(x: &Tensor, dim: i64, product: bool, dtype: Option<DType>) -> Result<Tensor> {
    let src = match dtype {
        Some(d) => cast(x, d),
        None if !x.dtype().is_float() => cast(x, DType::I64),
        None => x.clone(),
    };
    let d = wrap_dim(dim, src.ndim())?;
    let src0 = if src.ndim() == 0 {
        reshape(&src.detach(), &[1])?
    } else {
        src.detach()
    };
    let out = Tensor::empty(src0.sizes(), src0.dtype());
    let out_t = out.clone();
    let ostride = out.strides().get(d).copied().unwrap_or(1);
    let po = crate::cpu::iter::SendPtr(out.data_ptr_raw());
    let plan_out = {
        let mut m = vec![false; out.ndim()];
        m[d] = true;
        Plan::new(&out_t, &m)
    };
    crate::dispatch_all!(src0.dtype(), T => {
        along_dim(&src0, d, |p, stride, len, o| unsafe {
            let p = p as *const T;
            // Position of output group `o`.
            let mut rem = o;
            let mut off = 0isize;
            for k in (0..plan_out.kept_sizes.len()).rev() {
                let s = plan_out.kept_sizes[k];
                off += (rem % s) as isize * plan_out.kept_strides[k];
                rem /= s;
            }
            let q = (po.at(0) as *mut T).offset(off);
            if T::DTYPE.is_float() {
                let mut acc = if product { 1f64 } else { 0f64 };
                for k in 0..len as isize {
                    let v = (*p.offset(k * stride)).to_f64();
                    acc = if product { acc * v } else { acc + v };
                    *q.offset(k * ostride) = T::from_f64(acc);
                }
            } else {
                let mut acc = if product { 1i64 } else { 0i64 };
                for k in 0..len as isize {
                    let v = (*p.offset(k * stride)).to_i64();
                    acc = if product { acc.wrapping_mul(v) } else { acc.wrapping_add(v) };
                    *q.offset(k * ostride) = T::from_i64(acc);
                }
            }
        })
    });
    if src.ndim() == 0 {
        return reshape(&out, &[]);
    }
    Ok(out)
}

pub fn cumsum(x: &Tensor, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
    let out = cumulative(x, dim, false, dtype)?;
    if out.dtype().is_float() && needs_grad(&[x]) {
        let d = wrap_dim(dim, x.ndim())? as i64;
        return Ok(autograd::record1(
            "CumsumBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| {
                // Reverse cumulative sum of the gradient.
                let f = super::shape::flip(&g[0], &[d])?;
                Ok(vec![Some(super::shape::flip(&cumsum(&f, d, None)?, &[d])?)])
            }),
        ));
    }
    Ok(out)
}

pub fn cumprod(x: &Tensor, dim: i64) -> Result<Tensor> {
    let out = cumulative(x, dim, true, None)?;
    if out.dtype().is_float() && needs_grad(&[x]) {
        let d = wrap_dim(dim, x.ndim())? as i64;
        let sx = SavedTensor::input(x);
        return Ok(autograd::record1_with_output(
            "CumprodBackward0",
            &[x],
            out,
            move |so| {
                Box::new(move |g| {
                    let x = sx.unpack()?;
                    Ok(vec![Some(cumprod_backward(&x, &so.unpack()?, &g[0], d)?)])
                })
            },
        ));
    }
    Ok(out)
}

/// Gradient of `cumprod` along `d`: grad_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j.
/// Without zeros that is sum_{k>=i} g_k out_k / x_i. With zeros the division is 0/0, so
/// grad_i = prod_{j<i} x_j * s_i with s_i = g_i + x_{i+1} s_{i+1}, run back along `d`
/// (slower, one step per position, but division-free). Both are written with tensor
/// ops, so double backward works.
fn cumprod_backward(x: &Tensor, out: &Tensor, g: &Tensor, d: i64) -> Result<Tensor> {
    use super::shape::{cat, flip, narrow};
    if x.ndim() == 0 {
        return Ok(g.clone());
    }
    let zero = Tensor::wrapped_scalar(Scalar::Float(0.0));
    let has_zero = all_any(&bin::eq(x, &zero)?, None, false, false)?;
    if has_zero.get_flat(0) != Scalar::Bool(true) {
        let go = flip(&mul(g, out)?, &[d])?;
        return div(&flip(&cumsum(&go, d, None)?, &[d])?, x);
    }
    let n = x.sizes()[d as usize];
    let ones = super::creation::ones_like(&narrow(x, d, 0, 1)?);
    let before = cumprod(&cat(&[ones, narrow(x, d, 0, n - 1)?], d)?, d)?;
    let mut s = narrow(g, d, n as i64 - 1, 1)?;
    let mut parts = vec![s.clone()];
    for i in (0..n as i64 - 1).rev() {
        s = bin::add(&narrow(g, d, i, 1)?, &mul(&narrow(x, d, i + 1, 1)?, &s)?)?;
        parts.push(s.clone());
    }
    parts.reverse();
    mul(&before, &cat(&parts, d)?)
}

/// `softmax` / `log_softmax` along `dim`.
pub fn softmax(x: &Tensor, dim: i64, log: bool, dtype: Option<DType>) -> Result<Tensor> {
    let x = match dtype {
        Some(d) => super::copy::to_dtype(x, d)?,
        None => x.clone(),
    };
    if !x.dtype().is_float() {
        return Err(Error::not_implemented(format!(
            "\"{}_lastdim_kernel_impl\" not implemented for '{}'",
            if log { "log_softmax" } else { "softmax" },
            super::capitalized(x.dtype())
        )));
    }
    let d = wrap_dim(dim, x.ndim())? as i64;
    let out = {
        let _guard = crate::autograd::mode::GradModeGuard::new(false);
        let m = if x.ndim() == 0 {
            x.clone()
        } else {
            amax(&x, Some(&[d]), true, true)?
        };
        let finite = super::unary::unary(&super::unary::ISFINITE, &m)?;
        let m = super::index::where_(&finite, &m, &Tensor::wrapped_scalar(Scalar::Float(0.0)))?;
        let shifted = sub(&x, &m)?;
        let e = super::unary::exp(&shifted)?;
        let s = if x.ndim() == 0 {
            e.clone()
        } else {
            sum(&e, Some(&[d]), true, None)?
        };
        let r = if log {
            sub(&shifted, &super::unary::log(&s)?)?
        } else {
            div(&e, &s)?
        };
        super::copy::contiguous(&r)
    };
    if needs_grad(&[&x]) {
        let name = if log {
            "LogSoftmaxBackward0"
        } else {
            "SoftmaxBackward0"
        };
        return Ok(autograd::record1_with_output(name, &[&x], out, move |so| {
            Box::new(move |g| {
                let y = so.unpack()?;
                let g = &g[0];
                let keep = |t: &Tensor| -> Result<Tensor> {
                    if t.ndim() == 0 {
                        Ok(t.clone())
                    } else {
                        sum(t, Some(&[d]), true, None)
                    }
                };
                let r = if log {
                    // g - exp(y) * sum(g)
                    sub(g, &mul(&super::unary::exp(&y)?, &keep(g)?)?)?
                } else {
                    // y * (g - sum(g * y))
                    mul(&y, &sub(g, &keep(&mul(g, &y)?)?)?)?
                };
                Ok(vec![Some(r)])
            })
        }));
    }
    Ok(out)
}

/// `cummax` / `cummin` along `dim`: running extreme and the index where it was reached
/// (the latest index among ties; NaN, once seen, stays).
pub fn cum_extreme(x: &Tensor, dim: i64, want_max: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, x.ndim())?;
    let src = super::copy::clone_contiguous(&if x.ndim() == 0 {
        reshape(&x.detach(), &[1])?
    } else {
        x.detach()
    });
    let values = Tensor::empty(src.sizes(), src.dtype());
    let indices = Tensor::empty(src.sizes(), DType::I64);
    let base = src.data_ptr_raw() as usize;
    let el = src.dtype().size();
    let pv = crate::cpu::iter::SendPtr(values.data_ptr_raw());
    let pi = crate::cpu::iter::SendPtr(indices.data_ptr_raw() as *mut i64);
    crate::dispatch_all!(src.dtype(), T => {
        along_dim(&src, d, |p, stride, len, _| unsafe {
            let off = ((p as usize - base) / el) as isize;
            let (p, q, r) = (p as *const T, (pv.at(0) as *mut T).offset(off), pi.at(off));
            let mut best = *p;
            let mut at = 0i64;
            for k in 0..len as isize {
                let v = *p.offset(k * stride);
                let take = best == best && (v != v || if want_max { v >= best } else { v <= best });
                if take {
                    best = v;
                    at = k as i64;
                }
                *q.offset(k * stride) = best;
                *r.offset(k * stride) = at;
            }
        })
    });
    let (values, indices) = if x.ndim() == 0 {
        (reshape(&values, &[])?, reshape(&indices, &[])?)
    } else {
        (values, indices)
    };
    if x.dtype().is_float() && needs_grad(&[x]) {
        let sizes = x.dims();
        let idx = indices.clone();
        let name = if want_max {
            "CummaxBackward0"
        } else {
            "CumminBackward0"
        };
        let values = autograd::record1(
            name,
            &[x],
            values,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                if sizes.is_empty() {
                    return Ok(vec![Some(g[0].clone())]);
                }
                Ok(vec![Some(super::index::scatter(
                    &zeros,
                    d as i64,
                    &idx,
                    &g[0],
                    Some("add"),
                )?)])
            }),
        );
        return Ok((values, indices));
    }
    Ok((values, indices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_means() {
        let x = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]).unwrap();
        assert_eq!(sum(&x, None, false, None).unwrap().to_f64_vec(), vec![15.0]);
        let s = sum(&x, Some(&[0]), false, None).unwrap();
        assert_eq!(s.to_f64_vec(), vec![3.0, 5.0, 7.0]);
        let m = mean(&x, Some(&[-1]), true, None).unwrap();
        assert_eq!(m.sizes(), &[2, 1]);
        assert_eq!(m.to_f64_vec(), vec![1.0, 4.0]);
        let i = Tensor::from_vec(vec![1i32, 2, 3], &[3]).unwrap();
        let si = sum(&i, None, false, None).unwrap();
        assert_eq!(si.dtype(), DType::I64);
        assert!(mean(&i, None, false, None).is_err());
    }

    #[test]
    fn large_sums_are_accurate() {
        let n = 10_000_000;
        let x = Tensor::from_vec(vec![0.1f32; n], &[n]).unwrap();
        let s = sum(&x, None, false, None).unwrap().to_f64_vec()[0];
        let exact = 0.1f32 as f64 * n as f64;
        assert!(((s - exact) / exact).abs() < 1e-6, "{s} vs {exact}");
    }

    #[test]
    fn extremes_with_nan_and_ties() {
        let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, f32::NAN, 2.0], &[5]).unwrap();
        assert!(max_all(&x, true).unwrap().to_f64_vec()[0].is_nan());
        let y = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[2, 2]).unwrap();
        let (v, i) = max_dim(&y, 1, false, true).unwrap();
        assert_eq!(v.to_f64_vec(), vec![3.0, 3.0]);
        assert_eq!(i.to_f64_vec(), vec![1.0, 0.0]);
    }
}
