//! Shape ops. Views share storage and differentiate by re-viewing the gradient; joins,
//! flips and copies differentiate by slicing it.

use super::copy::{clone_contiguous, contiguous};
use crate::autograd::{self, needs_grad, record1};
use crate::error::{Error, Result};
use crate::layout::{wrap_dims, Layout};
use crate::shape::{fmt_sizes, infer_size, wrap_dim, Dims};
use crate::tensor::Tensor;
use std::sync::Arc;

pub(crate) type ViewFn = Arc<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// A view of `x` with `layout`, differentiating through `backward(g)`.
fn make_view(
    x: &Tensor,
    layout: Layout,
    name: &'static str,
    backward: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Tensor {
    let v = x.view_of(layout);
    if needs_grad(&[x]) {
        return record1(
            name,
            &[x],
            v,
            false,
            Box::new(move |g| Ok(vec![Some(backward(&g[0])?)])),
        );
    }
    v
}

/// The gradient of a view that selects part of its base: zeros of the base's shape with
/// `g` added where the view sits (overlapping views accumulate). Differentiable: its own
/// backward is the view again.
pub(crate) fn embed(
    g: &Tensor,
    base_sizes: &[usize],
    view: ViewFn,
    name: &'static str,
) -> Result<Tensor> {
    let out = Tensor::zeros(base_sizes, g.dtype());
    let region = view(&out.detach())?;
    if region.layout().has_internal_overlap() {
        accumulate_overlapping(&region, &g.detach());
    } else {
        crate::cpu::copy::copy_cast(&region, &g.detach());
    }
    if needs_grad(&[g]) {
        let v = view.clone();
        return Ok(record1(
            name,
            &[g],
            out,
            false,
            Box::new(move |gg| Ok(vec![Some(contiguous(&v(&gg[0])?))])),
        ));
    }
    Ok(out)
}

/// `dst[i] += src[i]` one element at a time, so repeated locations add up.
fn accumulate_overlapping(dst: &Tensor, src: &Tensor) {
    let src = super::cast(src, dst.dtype());
    let n = dst.numel();
    crate::dispatch_all!(dst.dtype(), T => {
        use crate::cpu::math::Arith;
        let nd = dst.ndim();
        for i in 0..n {
            let (mut rem, mut od, mut os) = (i, 0isize, 0isize);
            for d in (0..nd).rev() {
                let s = dst.sizes()[d];
                od += (rem % s) as isize * dst.strides()[d];
                os += (rem % s) as isize * src.strides()[d];
                rem /= s;
            }
            unsafe {
                let p = dst.data_ptr_mut::<T>().offset(od);
                *p = (*p).add(*src.data_ptr::<T>().offset(os));
            }
        }
    });
}

fn to_i64(sizes: &[usize]) -> Vec<i64> {
    sizes.iter().map(|&s| s as i64).collect()
}

pub fn view(x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let sizes = infer_size(shape, x.numel())?;
    let layout = x.layout().view(&sizes).ok_or_else(|| {
        Error::runtime(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
        )
    })?;
    let orig = to_i64(x.sizes());
    Ok(make_view(x, layout, "ViewBackward0", move |g| {
        reshape(g, &orig)
    }))
}

/// `reshape`: a view when the strides allow one, else a copy (PyTorch's rule).
pub fn reshape(x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let sizes = infer_size(shape, x.numel())?;
    if let Some(layout) = x.layout().view(&sizes) {
        let orig = to_i64(x.sizes());
        return Ok(make_view(x, layout, "ViewBackward0", move |g| {
            reshape(g, &orig)
        }));
    }
    let copy = clone_contiguous(x);
    let out = copy.with_layout(Layout::contiguous(&sizes));
    if needs_grad(&[x]) {
        let orig = to_i64(x.sizes());
        return Ok(record1(
            "UnsafeViewBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(reshape(&g[0], &orig)?)])),
        ));
    }
    Ok(out)
}

pub fn flatten(x: &Tensor, start: i64, end: i64) -> Result<Tensor> {
    if x.ndim() == 0 {
        wrap_dim(start, 0)?;
        wrap_dim(end, 0)?;
        return reshape(x, &[1]);
    }
    let s = wrap_dim(start, x.ndim())?;
    let e = wrap_dim(end, x.ndim())?;
    if s > e {
        return Err(Error::runtime(
            "flatten() has invalid args: start_dim cannot come after end_dim",
        ));
    }
    if s == e {
        return Ok(x.clone());
    }
    let mut shape: Vec<i64> = to_i64(&x.sizes()[..s]);
    shape.push(x.sizes()[s..=e].iter().product::<usize>() as i64);
    shape.extend(to_i64(&x.sizes()[e + 1..]));
    reshape(x, &shape)
}

pub fn unflatten(x: &Tensor, dim: i64, sizes: &[i64]) -> Result<Tensor> {
    if x.ndim() == 0 {
        return Err(Error::runtime(
            "unflatten: Dimension specified as 0 but tensor has no dimensions",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let inner = infer_size(sizes, x.sizes()[d]).map_err(|_| {
        Error::runtime(format!(
            "unflatten: Provided sizes {:?} don't multiply up to the size of dim {} ({}) in the input tensor",
            sizes,
            dim,
            x.sizes()[d]
        ))
    })?;
    let mut shape: Vec<i64> = to_i64(&x.sizes()[..d]);
    shape.extend(to_i64(&inner));
    shape.extend(to_i64(&x.sizes()[d + 1..]));
    view(x, &shape)
}

pub fn transpose(x: &Tensor, d0: i64, d1: i64) -> Result<Tensor> {
    if x.ndim() == 0 {
        wrap_dim(d0, 0)?;
        wrap_dim(d1, 0)?;
        return Ok(make_view(
            x,
            x.layout().clone(),
            "TransposeBackward0",
            |g| Ok(g.clone()),
        ));
    }
    let (a, b) = (wrap_dim(d0, x.ndim())?, wrap_dim(d1, x.ndim())?);
    let layout = x.layout().transpose(a, b);
    Ok(make_view(x, layout, "TransposeBackward0", move |g| {
        transpose(g, a as i64, b as i64)
    }))
}

/// `t()`: transpose of a tensor with at most 2 dims.
pub fn t(x: &Tensor) -> Result<Tensor> {
    if x.ndim() > 2 {
        return Err(Error::runtime(format!(
            "t() expects a tensor with <= 2 dimensions, but self is {}D",
            x.ndim()
        )));
    }
    let layout = if x.ndim() == 2 {
        x.layout().transpose(0, 1)
    } else {
        x.layout().clone()
    };
    Ok(make_view(x, layout, "TBackward0", t))
}

pub fn permute(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let w = wrap_dims(dims, x.ndim()).map_err(|e| {
        if e.message.contains("multiple times") {
            Error::runtime("permute(): duplicate dims are not allowed.")
        } else {
            e
        }
    })?;
    let layout = x.layout().permute(&w)?;
    let mut inv = vec![0i64; w.len()];
    for (i, &p) in w.iter().enumerate() {
        inv[p] = i as i64;
    }
    Ok(make_view(x, layout, "PermuteBackward0", move |g| {
        permute(g, &inv)
    }))
}

/// `movedim(source, destination)`.
pub fn movedim(x: &Tensor, src: &[i64], dst: &[i64]) -> Result<Tensor> {
    let n = x.ndim();
    if src.len() != dst.len() {
        return Err(Error::runtime(format!(
            "movedim: Invalid source or destination dims: source ({:?} dims) should contain the same number of dims as destination ({:?} dims)",
            src, dst
        )));
    }
    let s = wrap_dims(src, n)?;
    let d = wrap_dims(dst, n)?;
    if n == 0 {
        return permute(x, &[]);
    }
    let mut order: Vec<Option<usize>> = vec![None; n];
    for (&si, &di) in s.iter().zip(d.iter()) {
        order[di] = Some(si);
    }
    let mut rest = (0..n).filter(|i| !s.contains(i));
    let perm: Vec<i64> = order
        .into_iter()
        .map(|o| o.unwrap_or_else(|| rest.next().expect("enough dims")) as i64)
        .collect();
    permute(x, &perm)
}

pub fn squeeze(x: &Tensor, dims: Option<&[i64]>) -> Result<Tensor> {
    let wrapped = match dims {
        Some(ds) => Some(wrap_dims(ds, x.ndim())?),
        None => None,
    };
    let layout = x.layout().squeeze(wrapped.as_deref());
    let orig = to_i64(x.sizes());
    let name = match dims {
        None => "SqueezeBackward0",
        Some(d) if d.len() == 1 => "SqueezeBackward1",
        Some(_) => "SqueezeBackward2",
    };
    Ok(make_view(x, layout, name, move |g| reshape(g, &orig)))
}

pub fn unsqueeze(x: &Tensor, dim: i64) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim() + 1)?;
    let layout = x.layout().unsqueeze(d);
    Ok(make_view(x, layout, "UnsqueezeBackward0", move |g| {
        squeeze(g, Some(&[d as i64]))
    }))
}

pub fn expand(x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
    let layout = x.layout().expand(sizes)?;
    let orig: Dims = x.dims();
    Ok(make_view(x, layout, "ExpandBackward0", move |g| {
        super::reduce::sum_to_size(g, &orig)
    }))
}

pub fn narrow(x: &Tensor, dim: i64, start: i64, length: usize) -> Result<Tensor> {
    if x.ndim() == 0 {
        return Err(Error::runtime(
            "narrow() cannot be applied to a 0-dim tensor.",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let size = x.sizes()[d] as i64;
    if start < -size || start > size {
        return Err(Error::index(format!(
            "start out of range (expected to be in range of [{}, {}], but got {})",
            -size, size, start
        )));
    }
    let s = if start < 0 { start + size } else { start } as usize;
    let layout = x.layout().narrow(d, s, length)?;
    let base = x.dims();
    Ok(make_view(x, layout, "SliceBackward0", move |g| {
        let view: ViewFn = Arc::new(move |t| narrow(t, d as i64, s as i64, length));
        embed(g, &base, view, "SliceBackwardBackward0")
    }))
}

/// Basic slicing `x[start:end:step]` along `dim`.
pub fn slice(x: &Tensor, dim: i64, start: i64, end: i64, step: i64) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    let layout = x.layout().slice(d, start, end, step)?;
    let base = x.dims();
    Ok(make_view(x, layout, "SliceBackward0", move |g| {
        let view: ViewFn = Arc::new(move |t| slice(t, d as i64, start, end, step));
        embed(g, &base, view, "SliceBackwardBackward0")
    }))
}

pub fn select(x: &Tensor, dim: i64, index: i64) -> Result<Tensor> {
    if x.ndim() == 0 {
        return Err(Error::index(
            "select() cannot be applied to a 0-dim tensor.",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let layout = x.layout().select(d, index)?;
    let base = x.dims();
    Ok(make_view(x, layout, "SelectBackward0", move |g| {
        let view: ViewFn = Arc::new(move |t| select(t, d as i64, index));
        embed(g, &base, view, "SelectBackwardBackward0")
    }))
}

pub fn as_strided(
    x: &Tensor,
    sizes: &[i64],
    strides: &[i64],
    offset: Option<i64>,
) -> Result<Tensor> {
    if sizes.len() != strides.len() {
        return Err(Error::runtime(
            "mismatch in length of strides and shape".to_string(),
        ));
    }
    if sizes.iter().any(|&s| s < 0) || strides.iter().any(|&s| s < 0) {
        return Err(Error::runtime(
            "as_strided: Negative strides are not supported at the moment, got strides: "
                .to_string()
                + &format!("{:?}", strides),
        ));
    }
    if let Some(o) = offset.filter(|&o| o < 0) {
        return Err(Error::runtime(format!(
            "Tensor: invalid storage offset {o}"
        )));
    }
    let layout = Layout {
        sizes: sizes.iter().map(|&s| s as usize).collect(),
        strides: strides.iter().map(|&s| s as isize).collect(),
        offset: offset.map(|o| o as usize).unwrap_or(x.offset()),
    };
    let (_, hi) = layout.storage_span();
    let cap = x.storage().nbytes() / x.dtype().size();
    if layout.numel() > 0 && hi > cap {
        return Err(Error::runtime(format!(
            "setStorage: sizes {}, strides {}, storage offset {}, and itemsize {} requiring a storage size of {} are out of bounds for storage of size {}",
            fmt_sizes(&layout.sizes),
            format!("{:?}", strides).replace(' ', ""),
            layout.offset,
            x.dtype().size(),
            hi * x.dtype().size(),
            x.storage().nbytes()
        )));
    }
    // The gradient lives on the input's own geometry: view it the same way relative to it.
    let base_sizes = x.dims();
    let (sz, st) = (sizes.to_vec(), strides.to_vec());
    let off = layout.offset as i64 - x.offset() as i64;
    if !x.is_contiguous() && needs_grad(&[x]) {
        return Err(Error::not_implemented(
            "as_strided of a non-contiguous tensor that requires grad is not supported",
        ));
    }
    Ok(make_view(x, layout, "AsStridedBackward0", move |g| {
        let (sz, st) = (sz.clone(), st.clone());
        let view: ViewFn =
            Arc::new(move |t| as_strided(t, &sz, &st, Some(t.offset() as i64 + off)));
        embed(g, &base_sizes, view, "AsStridedBackwardBackward0")
    }))
}

pub fn unfold(x: &Tensor, dim: i64, size: usize, step: usize) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    let layout = x.layout().unfold(d, size, step)?;
    let base = x.dims();
    Ok(make_view(x, layout, "UnfoldBackward0", move |g| {
        let view: ViewFn = Arc::new(move |t| unfold(t, d as i64, size, step));
        embed(g, &base, view, "UnfoldBackwardBackward0")
    }))
}

pub fn diagonal(x: &Tensor, offset: i64, d1: i64, d2: i64) -> Result<Tensor> {
    let a = wrap_dim(d1, x.ndim())?;
    let b = wrap_dim(d2, x.ndim())?;
    let layout = x.layout().diagonal(offset, a, b)?;
    let base = x.dims();
    Ok(make_view(x, layout, "DiagonalBackward0", move |g| {
        let view: ViewFn = Arc::new(move |t| diagonal(t, offset, a as i64, b as i64));
        embed(g, &base, view, "DiagonalBackwardBackward0")
    }))
}

/// `split(split_size_or_sections, dim)`.
pub fn split_sizes(x: &Tensor, sizes: &[usize], dim: i64) -> Result<Vec<Tensor>> {
    require_dims(x, "split")?;
    let d = wrap_dim(dim, x.ndim())?;
    let total: usize = sizes.iter().sum();
    if total != x.sizes()[d] {
        return Err(Error::runtime(format!(
            "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {}), but got split_sizes={:?}",
            x.sizes()[d], d, sizes
        )));
    }
    let mut start = 0;
    sizes
        .iter()
        .map(|&s| {
            let p = narrow(x, d as i64, start as i64, s);
            start += s;
            p
        })
        .collect()
}

pub fn split(x: &Tensor, split_size: usize, dim: i64) -> Result<Vec<Tensor>> {
    require_dims(x, "split")?;
    let d = wrap_dim(dim, x.ndim())?;
    let n = x.sizes()[d];
    if split_size == 0 && n != 0 {
        return Err(Error::runtime(format!(
            "split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )));
    }
    let mut sizes = Vec::new();
    let mut left = n;
    while left > 0 {
        let s = split_size.min(left);
        sizes.push(s);
        left -= s;
    }
    if sizes.is_empty() {
        sizes.push(0);
    }
    split_sizes(x, &sizes, dim)
}

pub fn chunk(x: &Tensor, chunks: usize, dim: i64) -> Result<Vec<Tensor>> {
    if chunks == 0 {
        return Err(Error::runtime(
            "chunk expects `chunks` to be greater than 0, got: 0",
        ));
    }
    require_dims(x, "chunk")?;
    let d = wrap_dim(dim, x.ndim())?;
    let n = x.sizes()[d];
    split(x, n.div_ceil(chunks).max(if n == 0 { 0 } else { 1 }), dim)
}

/// Splitting needs a dimension to split along.
fn require_dims(x: &Tensor, op: &str) -> Result<()> {
    if x.ndim() == 0 {
        return Err(Error::runtime(format!(
            "{op} expects at least a 1-dimensional tensor"
        )));
    }
    Ok(())
}

pub fn unbind(x: &Tensor, dim: i64) -> Result<Vec<Tensor>> {
    if x.ndim() == 0 {
        return Err(Error::index(
            "Dimension specified as 0 but tensor has no dimensions",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    (0..x.sizes()[d])
        .map(|i| select(x, d as i64, i as i64))
        .collect()
}

/// `cat(tensors, dim)`: dtypes promote; 1-d empty tensors are skipped as in PyTorch.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        return Err(Error::value(
            "torch.cat(): expected a non-empty list of Tensors",
        ));
    }
    let parts: Vec<&Tensor> = tensors
        .iter()
        .filter(|t| !(t.ndim() == 1 && t.numel() == 0))
        .collect();
    let dtype = tensors
        .iter()
        .map(|t| t.dtype())
        .reduce(crate::dtype::promote_types)
        .expect("non-empty");
    if parts.is_empty() {
        return Ok(Tensor::empty(&[0], dtype));
    }
    let first = parts[0];
    if first.ndim() == 0 {
        return Err(Error::runtime(
            "zero-dimensional tensor (at position 0) cannot be concatenated",
        ));
    }
    let d = wrap_dim(dim, first.ndim())?;
    let mut sizes: Dims = first.dims();
    let mut total = 0;
    for (i, t) in parts.iter().enumerate() {
        if t.ndim() != first.ndim() {
            return Err(Error::runtime(format!(
                "Tensors must have same number of dimensions: got {} and {}",
                first.ndim(),
                t.ndim()
            )));
        }
        for k in 0..first.ndim() {
            if k != d && t.sizes()[k] != first.sizes()[k] {
                return Err(Error::runtime(format!(
                    "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.",
                    first.sizes()[k],
                    t.sizes()[k]
                )));
            }
        }
        total += t.sizes()[d];
    }
    sizes[d] = total;
    let out = Tensor::empty(&sizes, dtype);
    let mut start = 0;
    for t in &parts {
        let n = t.sizes()[d];
        let region = out.with_layout(out.layout().narrow(d, start, n)?);
        crate::cpu::copy::copy_cast(&region, t);
        start += n;
    }
    let inputs: Vec<&Tensor> = parts.clone();
    if needs_grad(&inputs) {
        let spans: Vec<(usize, usize, crate::dtype::DType)> = {
            let mut s = 0;
            parts
                .iter()
                .map(|t| {
                    let r = (s, t.sizes()[d], t.dtype());
                    s += t.sizes()[d];
                    r
                })
                .collect()
        };
        return Ok(autograd::record1(
            "CatBackward0",
            &inputs,
            out,
            false,
            Box::new(move |g| {
                spans
                    .iter()
                    .map(|&(s, n, dt)| {
                        let part = narrow(&g[0], d as i64, s as i64, n)?;
                        Ok(Some(super::copy::to_dtype(&part, dt)?))
                    })
                    .collect()
            }),
        ));
    }
    Ok(out)
}

/// `stack(tensors, dim)`: all the same shape, joined along a new dim.
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        return Err(Error::runtime("stack expects a non-empty TensorList"));
    }
    let shape = tensors[0].sizes();
    for (i, t) in tensors.iter().enumerate() {
        if t.sizes() != shape {
            return Err(Error::runtime(format!(
                "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {i}",
                fmt_sizes(shape),
                fmt_sizes(t.sizes())
            )));
        }
    }
    let d = wrap_dim(dim, shape.len() + 1)?;
    let parts: Result<Vec<Tensor>> = tensors.iter().map(|t| unsqueeze(t, d as i64)).collect();
    let out = {
        let _g = crate::autograd::mode::GradModeGuard::new(false);
        cat(&parts?, d as i64)?
    };
    let inputs: Vec<&Tensor> = tensors.iter().collect();
    if needs_grad(&inputs) {
        let dtypes: Vec<_> = tensors.iter().map(|t| t.dtype()).collect();
        return Ok(autograd::record1(
            "StackBackward0",
            &inputs,
            out,
            false,
            Box::new(move |g| {
                dtypes
                    .iter()
                    .enumerate()
                    .map(|(i, &dt)| {
                        Ok(Some(super::copy::to_dtype(
                            &select(&g[0], d as i64, i as i64)?,
                            dt,
                        )?))
                    })
                    .collect()
            }),
        ));
    }
    Ok(out)
}

/// `flip(dims)`: a reversed copy (PyTorch has no negative strides).
pub fn flip(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let w = wrap_dims(dims, x.ndim())?;
    if x.ndim() == 0 {
        return Ok(super::copy::clone(x));
    }
    let mut layout = x.layout().clone();
    for &d in &w {
        let n = layout.sizes[d];
        if n > 1 {
            layout.offset =
                (layout.offset as isize + (n as isize - 1) * layout.strides[d]) as usize;
        }
        layout.strides[d] = -layout.strides[d];
    }
    let out = Tensor::empty(x.sizes(), x.dtype());
    crate::cpu::copy::copy_cast(&out, &x.with_layout(layout));
    if needs_grad(&[x]) {
        let ds = dims.to_vec();
        return Ok(record1(
            "FlipBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(flip(&g[0], &ds)?)])),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize) -> Tensor {
        Tensor::from_vec((0..n as i64).collect(), &[n]).unwrap()
    }

    #[test]
    fn reshape_views_or_copies() {
        let x = reshape(&arange(6), &[2, 3]).unwrap();
        assert!(!x.shares_storage(&arange(1)));
        let tt = t(&x).unwrap();
        assert!(view(&tt, &[-1]).is_err());
        let r = reshape(&tt, &[-1]).unwrap();
        assert_eq!(r.to_f64_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert!(!r.shares_storage(&x));
        let v = reshape(&x, &[3, 2]).unwrap();
        assert!(v.shares_storage(&x));
    }

    #[test]
    fn cat_stack_flip() {
        let a = reshape(&arange(4), &[2, 2]).unwrap();
        let c = cat(&[a.clone(), a.clone()], 1).unwrap();
        assert_eq!(c.sizes(), &[2, 4]);
        assert_eq!(c.to_f64_vec(), vec![0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0]);
        let s = stack(&[a.clone(), a.clone()], 2).unwrap();
        assert_eq!(s.sizes(), &[2, 2, 2]);
        let f = flip(&a, &[0, 1]).unwrap();
        assert_eq!(f.to_f64_vec(), vec![3.0, 2.0, 1.0, 0.0]);
    }

    #[test]
    fn movedim_matches_numpy() {
        let x = reshape(&arange(24), &[2, 3, 4]).unwrap();
        let m = movedim(&x, &[0], &[2]).unwrap();
        assert_eq!(m.sizes(), &[3, 4, 2]);
    }
}
