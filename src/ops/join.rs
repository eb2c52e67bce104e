//! Joining, splitting, tiling, rolling and triangle/diagonal ops, built on the views and
//! copies of `shape.rs`. Ops PyTorch composes from other ops are composed here too (so
//! their autograd comes for free); ops PyTorch computes directly are computed raw and
//! record one node under PyTorch's name.

use super::copy::{clone, clone_contiguous, contiguous};
use super::reduce::{sum, sum_to_size};
use super::shape::{
    cat, diagonal, expand, flatten, flip, reshape, slice, stack, transpose, unsqueeze, view,
};
use crate::autograd::mode::GradModeGuard;
use crate::autograd::{self, needs_grad, record1};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::shape::{broadcast_all, fmt_sizes, wrap_dim};
use crate::tensor::Tensor;

fn to_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&v| v as i64).collect()
}

/// Run `f` with grad mode off: the forward of an op that records its own node.
fn raw<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let _g = GradModeGuard::new(false);
    f()
}

/// A reshape recorded as `UnsafeViewBackward0`: the result owns the data of a fresh
/// intermediate, so it is not a view of anything (PyTorch's `_unsafe_view`).
pub(crate) fn unsafe_view(x: &Tensor, sizes: &[usize]) -> Result<Tensor> {
    let Some(layout) = x.layout().view(sizes) else {
        return reshape(x, &to_i64(sizes));
    };
    let out = x.with_layout(layout);
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

// --- at least n dims, stacks ---------------------------------------------------------

pub fn atleast_1d(x: &Tensor) -> Result<Tensor> {
    match x.ndim() {
        0 => reshape(x, &[1]),
        _ => Ok(x.clone()),
    }
}

pub fn atleast_2d(x: &Tensor) -> Result<Tensor> {
    match x.ndim() {
        0 => reshape(x, &[1, 1]),
        1 => unsqueeze(x, 0),
        _ => Ok(x.clone()),
    }
}

pub fn atleast_3d(x: &Tensor) -> Result<Tensor> {
    match x.ndim() {
        0 => reshape(x, &[1, 1, 1]),
        1 => unsqueeze(&unsqueeze(x, 0)?, -1),
        2 => unsqueeze(x, -1),
        _ => Ok(x.clone()),
    }
}

fn require_nonempty(ts: &[Tensor], name: &str) -> Result<()> {
    if ts.is_empty() {
        return Err(Error::runtime(format!(
            "{name} expects a non-empty TensorList"
        )));
    }
    Ok(())
}

fn all_of(ts: &[Tensor], f: fn(&Tensor) -> Result<Tensor>) -> Result<Vec<Tensor>> {
    ts.iter().map(f).collect()
}

pub fn hstack(ts: &[Tensor]) -> Result<Tensor> {
    require_nonempty(ts, "hstack")?;
    let parts = all_of(ts, atleast_1d)?;
    let dim = if parts[0].ndim() == 1 { 0 } else { 1 };
    cat(&parts, dim)
}

pub fn vstack(ts: &[Tensor]) -> Result<Tensor> {
    require_nonempty(ts, "vstack")?;
    cat(&all_of(ts, atleast_2d)?, 0)
}

pub fn dstack(ts: &[Tensor]) -> Result<Tensor> {
    require_nonempty(ts, "dstack")?;
    cat(&all_of(ts, atleast_3d)?, 2)
}

pub fn column_stack(ts: &[Tensor]) -> Result<Tensor> {
    require_nonempty(ts, "column_stack")?;
    let parts: Result<Vec<Tensor>> = ts
        .iter()
        .map(|t| {
            if t.ndim() <= 1 {
                reshape(t, &[t.numel() as i64, 1])
            } else {
                Ok(t.clone())
            }
        })
        .collect();
    cat(&parts?, 1)
}

// --- splits ------------------------------------------------------------------------------

fn split_dim(x: &Tensor, dim: i64) -> Result<usize> {
    if x.ndim() == 0 {
        return Err(Error::runtime(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
        ));
    }
    wrap_dim(dim, x.ndim())
}

/// `tensor_split(sections)`: the first `size % sections` parts get one extra element.
pub fn tensor_split_sections(x: &Tensor, sections: i64, dim: i64) -> Result<Vec<Tensor>> {
    let d = split_dim(x, dim)?;
    if sections <= 0 {
        return Err(Error::runtime(format!(
            "number of sections must be larger than 0, got {sections}"
        )));
    }
    let (n, s) = (x.sizes()[d], sections as usize);
    let (base, extra) = (n / s, n % s);
    let mut start = 0usize;
    (0..s)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let part = slice(x, d as i64, start as i64, (start + len) as i64, 1);
            start += len;
            part
        })
        .collect()
}

/// `tensor_split(indices)`: Python slicing between consecutive indices.
pub fn tensor_split_indices(x: &Tensor, indices: &[i64], dim: i64) -> Result<Vec<Tensor>> {
    let d = split_dim(x, dim)? as i64;
    let mut parts = Vec::with_capacity(indices.len() + 1);
    let mut start = 0i64;
    for &end in indices {
        parts.push(slice(x, d, start, end, 1)?);
        start = end;
    }
    parts.push(slice(x, d, start, i64::MAX, 1)?);
    Ok(parts)
}

/// What `hsplit`/`vsplit`/`dsplit` split by.
pub enum SplitBy<'a> {
    Sections(i64),
    Indices(&'a [i64]),
}

/// `hsplit`/`vsplit`/`dsplit`: `min_dims` is 1, 2 or 3; `dim` the split dim.
pub fn directional_split(
    x: &Tensor,
    by: SplitBy<'_>,
    name: &str,
    min_dims: usize,
    dim: usize,
) -> Result<Vec<Tensor>> {
    if x.ndim() < min_dims {
        return Err(Error::runtime(format!(
            "torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor with {} dimensions!",
            x.ndim()
        )));
    }
    match by {
        SplitBy::Sections(s) => {
            let size = x.sizes()[dim] as i64;
            if s == 0 || size % s != 0 {
                return Err(Error::runtime(format!(
                    "torch.{name} attempted to split along dimension {dim}, but the size of the dimension {size} is not divisible by the split_size {s}!"
                )));
            }
            tensor_split_sections(x, s, dim as i64)
        }
        SplitBy::Indices(idx) => tensor_split_indices(x, idx, dim as i64),
    }
}

// --- flips, rolls, rotations --------------------------------------------------------------

pub fn fliplr(x: &Tensor) -> Result<Tensor> {
    if x.ndim() < 2 {
        return Err(Error::runtime("Input must be >= 2-d."));
    }
    flip(x, &[1])
}

pub fn flipud(x: &Tensor) -> Result<Tensor> {
    if x.ndim() < 1 {
        return Err(Error::runtime("Input must be >= 1-d."));
    }
    flip(x, &[0])
}

/// Roll `x` (no history) by each shift along its dim, one dim at a time.
fn roll_raw(x: &Tensor, shifts: &[i64], dims: &[usize]) -> Result<Tensor> {
    let mut cur = x.detach();
    for (&shift, &d) in shifts.iter().zip(dims) {
        let n = cur.sizes()[d];
        let out = Tensor::empty(cur.sizes(), cur.dtype());
        let s = if n == 0 {
            0
        } else {
            shift.rem_euclid(n as i64) as usize
        };
        // out[s..] = cur[..n-s] and out[..s] = cur[n-s..]
        let pieces = [(s, 0, n - s), (0, n - s, s)];
        for (dst_start, src_start, len) in pieces {
            let dst = out.with_layout(out.layout().narrow(d, dst_start, len)?);
            let src = cur.with_layout(cur.layout().narrow(d, src_start, len)?);
            crate::cpu::copy::copy_cast(&dst, &src);
        }
        cur = out;
    }
    Ok(cur)
}

/// `roll(shifts, dims)`; without dims the flattened tensor rolls and keeps its shape.
pub fn roll(x: &Tensor, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
    if shifts.is_empty() {
        return Err(Error::runtime("`shifts` required"));
    }
    let out = if dims.is_empty() && shifts.len() == 1 {
        let flat = clone_contiguous(x);
        let flat = flat.with_layout(Layout::contiguous(&[x.numel()]));
        let rolled = roll_raw(&flat, shifts, &[0])?;
        rolled.with_layout(Layout::contiguous(x.sizes()))
    } else {
        if shifts.len() != dims.len() {
            return Err(Error::runtime(format!(
                "shifts and dimensions must align. shifts: {}, dims:{}",
                shifts.len(),
                dims.len()
            )));
        }
        if x.ndim() == 0 {
            return Err(Error::index(format!(
                "Dimension specified as {} but tensor has no dimensions",
                dims[0]
            )));
        }
        let wrapped: Result<Vec<usize>> = dims.iter().map(|&d| wrap_dim(d, x.ndim())).collect();
        roll_raw(x, shifts, &wrapped?)?
    };
    if needs_grad(&[x]) {
        let back: Vec<i64> = shifts.iter().map(|s| s.wrapping_neg()).collect();
        let dims = dims.to_vec();
        return Ok(record1(
            "RollBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(roll(&g[0], &back, &dims)?)])),
        ));
    }
    Ok(out)
}

/// `rot90(k, dims)`: rotation from the first towards the second dim.
pub fn rot90(x: &Tensor, k: i64, dims: &[i64]) -> Result<Tensor> {
    if dims.len() != 2 {
        return Err(Error::runtime(format!(
            "expected total rotation dims == 2, but got dims = {}",
            dims.len()
        )));
    }
    if x.ndim() < 2 {
        return Err(Error::runtime(format!(
            "expected total dims >= 2, but got total dims = {}",
            x.ndim()
        )));
    }
    let (d0, d1) = (
        wrap_dim(dims[0], x.ndim())? as i64,
        wrap_dim(dims[1], x.ndim())? as i64,
    );
    if d0 == d1 {
        return Err(Error::runtime(format!(
            "expected rotation dims to be different, but got dim0 = {} and dim1 = {}",
            dims[0], dims[1]
        )));
    }
    let out = raw(|| match k.rem_euclid(4) {
        1 => transpose(&flip(x, &[d1])?, d0, d1),
        2 => flip(x, &[d0, d1]),
        3 => transpose(&flip(x, &[d0])?, d0, d1),
        _ => Ok(clone(x)),
    })?
    .detach();
    if needs_grad(&[x]) {
        let dims = dims.to_vec();
        return Ok(record1(
            "Rot90Backward0",
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(rot90(&g[0], k.wrapping_neg(), &dims)?)])),
        ));
    }
    Ok(out)
}

// --- repeats -----------------------------------------------------------------------------

/// `repeat(*sizes)`: tile the whole tensor; extra leading repeats add dims.
pub fn repeat(x: &Tensor, repeats: &[i64]) -> Result<Tensor> {
    let (nd, r) = (x.ndim(), repeats.len());
    if r < nd {
        return Err(Error::runtime(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
        ));
    }
    let pad = r - nd;
    let padded: Vec<usize> = std::iter::repeat_n(1, pad)
        .chain(x.sizes().iter().copied())
        .collect();
    let target: Vec<i64> = repeats
        .iter()
        .zip(&padded)
        .map(|(&n, &s)| n * s as i64)
        .collect();
    if let Some(&bad) = target.iter().find(|&&t| t < 0) {
        let list: Vec<String> = target.iter().map(|t| t.to_string()).collect();
        return Err(Error::runtime(format!(
            "Trying to create tensor with negative dimension {bad}: [{}]",
            list.join(", ")
        )));
    }
    // Copy from a view shaped [r0, s0, r1, s1, ...] whose repeat dims have stride 0.
    let mut src = Layout {
        sizes: Default::default(),
        strides: Default::default(),
        offset: x.offset(),
    };
    for i in 0..r {
        src.sizes.extend([repeats[i] as usize, padded[i]]);
        let st = if i < pad { 0 } else { x.strides()[i - pad] };
        src.strides.extend([0, st]);
    }
    let out_sizes: Vec<usize> = target.iter().map(|&t| t as usize).collect();
    let out = Tensor::empty(&out_sizes, x.dtype());
    let staged = out.with_layout(Layout::contiguous(&src.sizes));
    crate::cpu::copy::copy_cast(&staged, &x.with_layout(src.clone()));
    if needs_grad(&[x]) {
        let interleaved = to_i64(&src.sizes);
        let orig = to_i64(x.sizes());
        return Ok(record1(
            "RepeatBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| {
                if interleaved.is_empty() {
                    return Ok(vec![Some(g[0].clone())]);
                }
                let repeat_dims: Vec<i64> = (0..interleaved.len() as i64).step_by(2).collect();
                let split = reshape(&g[0], &interleaved)?;
                let summed = sum(&split, Some(&repeat_dims), false, None)?;
                Ok(vec![Some(reshape(&summed, &orig)?)])
            }),
        ));
    }
    Ok(out)
}

/// `tile(dims)`: `repeat` with missing leading repeats taken as 1.
pub fn tile(x: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let nd = x.ndim();
    if dims.len() >= nd {
        return repeat(x, dims);
    }
    let full: Vec<i64> = std::iter::repeat_n(1, nd - dims.len())
        .chain(dims.iter().copied())
        .collect();
    repeat(x, &full)
}

fn interleave_source(x: &Tensor, dim: Option<i64>) -> Result<(Tensor, usize)> {
    match dim {
        None => Ok((flatten(x, 0, -1)?, 0)),
        Some(d) => Ok((x.clone(), wrap_dim(d, x.ndim())?)),
    }
}

/// `repeat_interleave(int repeats, dim)`: each element repeated in place.
pub fn repeat_interleave_int(
    x: &Tensor,
    repeats: i64,
    dim: Option<i64>,
    output_size: Option<i64>,
) -> Result<Tensor> {
    if repeats < 0 {
        return Err(Error::runtime("Repeats must be non-negative"));
    }
    let (src, d) = interleave_source(x, dim)?;
    let src = atleast_1d(&src)?;
    let expected = src.sizes()[d] as i64 * repeats;
    if let Some(o) = output_size {
        if o != expected {
            return Err(Error::runtime(format!(
                "repeat_interleave: Invalid output_size, expected {expected} but got {o}"
            )));
        }
    }
    let u = unsqueeze(&src, d as i64 + 1)?;
    let mut sizes = to_i64(u.sizes());
    sizes[d + 1] = repeats;
    let e = expand(&u, &sizes)?;
    let dense = if e.is_contiguous() {
        clone(&e)
    } else {
        contiguous(&e)
    };
    let mut shape = to_i64(src.sizes());
    shape[d] = expected;
    view(&dense, &shape)
}

fn repeat_counts(repeats: &Tensor) -> Result<Vec<i64>> {
    if !matches!(repeats.dtype(), DType::I64 | DType::I32) {
        return Err(Error::not_implemented(format!(
            "\"repeat_interleave_cpu\" not implemented for '{}'",
            super::capitalized(repeats.dtype())
        )));
    }
    if repeats.ndim() > 1 {
        return Err(Error::runtime(
            "repeat_interleave only accept 1D vector as repeat",
        ));
    }
    let counts: Vec<i64> = (0..repeats.numel())
        .map(|i| repeats.get_flat(i).to_i64())
        .collect();
    if counts.iter().any(|&c| c < 0) {
        return Err(Error::runtime("repeats can not be negative"));
    }
    Ok(counts)
}

/// `0, 0, 1, 2, 2, 2` for counts `2, 1, 3`.
fn indices_from_counts(counts: &[i64], output_size: Option<i64>) -> Result<Vec<i64>> {
    let total: i64 = counts.iter().sum();
    if output_size.is_some_and(|o| o != total) {
        return Err(Error::runtime(
            "allocated size does not match required size",
        ));
    }
    let mut idx = Vec::with_capacity(total as usize);
    for (i, &c) in counts.iter().enumerate() {
        idx.extend(std::iter::repeat_n(i as i64, c as usize));
    }
    Ok(idx)
}

/// `repeat_interleave(tensor repeats, dim)`: per-element counts (or one count for all).
pub fn repeat_interleave_tensor(
    x: &Tensor,
    repeats: &Tensor,
    dim: Option<i64>,
    output_size: Option<i64>,
) -> Result<Tensor> {
    let mut counts = repeat_counts(repeats)?;
    let (src, d) = interleave_source(x, dim)?;
    let src = atleast_1d(&src)?;
    let n = src.sizes()[d];
    if counts.len() == 1 && (repeats.ndim() == 0 || n != 1) {
        counts = vec![counts[0]; n];
    }
    if counts.len() != n {
        return Err(Error::runtime(format!(
            "repeats must have the same size as input along dim, but got repeats.size(0) = {} and input.size({d}) = {n}",
            counts.len()
        )));
    }
    let idx = indices_from_counts(&counts, output_size)?;
    let len = idx.len();
    super::index::index_select(&src, d as i64, &Tensor::from_vec(idx, &[len])?)
}

/// `repeat_interleave(repeats)`: index `i` repeated `repeats[i]` times.
pub fn repeat_interleave_counts(repeats: &Tensor, output_size: Option<i64>) -> Result<Tensor> {
    if repeats.ndim() != 1 {
        return Err(Error::runtime(
            "repeat_interleave only accept 1D vector as repeat",
        ));
    }
    let idx = indices_from_counts(&repeat_counts(repeats)?, output_size)?;
    let len = idx.len();
    Ok(super::cast(
        &Tensor::from_vec(idx, &[len])?,
        repeats.dtype(),
    ))
}

// --- broadcasting ----------------------------------------------------------------------

pub fn broadcast_to(x: &Tensor, sizes: &[i64]) -> Result<Tensor> {
    expand(x, sizes)
}

/// `broadcast_tensors`: operands already of the common shape come back as they are.
pub fn broadcast_tensors(ts: &[Tensor]) -> Result<Vec<Tensor>> {
    let shapes: Vec<&[usize]> = ts.iter().map(|t| t.sizes()).collect();
    let target = broadcast_all(&shapes)?;
    let target_i = to_i64(&target);
    ts.iter()
        .map(|t| {
            if t.sizes() == target.as_slice() {
                Ok(t.clone())
            } else {
                expand(t, &target_i)
            }
        })
        .collect()
}

fn tuple_repr(s: &[i64]) -> String {
    match s.len() {
        1 => format!("({},)", s[0]),
        _ => format!(
            "({})",
            s.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `broadcast_shapes(*shapes)` with PyTorch's wording of the failures.
pub fn broadcast_shapes(shapes: &[Vec<i64>]) -> Result<Vec<usize>> {
    if shapes.iter().flatten().any(|&s| s < 0) {
        return Err(Error::value(
            "Attempting to broadcast a dimension with negative length!",
        ));
    }
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for (i, shape) in shapes.iter().enumerate() {
        for (k, &size) in shape.iter().rev().enumerate() {
            let slot = &mut out[rank - 1 - k];
            let size = size as usize;
            if *slot == 1 || *slot == size {
                *slot = size;
            } else if size != 1 {
                return Err(Error::runtime(format!(
                    "Attempting to broadcast a dimension of length {size} at -{}! Mismatching argument at index {i} had {}; but expected shape should be broadcastable to {}",
                    k + 1,
                    tuple_repr(shape),
                    fmt_sizes(&out)
                )));
            }
        }
    }
    Ok(out)
}

/// `meshgrid(*tensors, indexing)`: 'ij' is matrix indexing, 'xy' swaps the first two axes.
pub fn meshgrid(ts: &[Tensor], indexing: &str) -> Result<Vec<Tensor>> {
    if ts.is_empty() {
        return Err(Error::runtime("meshgrid expects a non-empty TensorList"));
    }
    if let Some(t) = ts.iter().find(|t| t.ndim() > 1) {
        return Err(Error::runtime(format!(
            "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a {}D tensor of shape {}",
            t.ndim(),
            fmt_sizes(t.sizes())
        )));
    }
    if ts.iter().any(|t| t.dtype() != ts[0].dtype()) {
        return Err(Error::runtime(
            "meshgrid expects all tensors to have the same dtype",
        ));
    }
    if indexing != "ij" && indexing != "xy" {
        return Err(Error::runtime(format!(
            "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}"
        )));
    }
    let swap = indexing == "xy" && ts.len() >= 2;
    let mut order: Vec<&Tensor> = ts.iter().collect();
    if swap {
        order.swap(0, 1);
    }
    let shape: Vec<i64> = order.iter().map(|t| t.numel() as i64).collect();
    let mut grids = order
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v = vec![1i64; order.len()];
            v[i] = -1;
            expand(&view(t, &v)?, &shape)
        })
        .collect::<Result<Vec<_>>>()?;
    if swap {
        grids.swap(0, 1);
    }
    Ok(grids)
}

pub fn cartesian_prod(ts: &[Tensor]) -> Result<Tensor> {
    for t in ts {
        if t.ndim() != 1 {
            return Err(Error::runtime(format!(
                "Expect a 1D vector, but got shape {}",
                fmt_sizes(t.sizes())
            )));
        }
    }
    if ts.len() == 1 {
        return Ok(ts[0].clone());
    }
    let grids = meshgrid(ts, "ij")?;
    let flat: Result<Vec<Tensor>> = grids.iter().map(|g| flatten(g, 0, -1)).collect();
    stack(&flat?, 1)
}

/// Index tuples of `combinations`, in lexicographic order, one column per position.
fn combination_columns(n: usize, r: usize, with_replacement: bool) -> Vec<Vec<i64>> {
    let mut cols = vec![Vec::new(); r];
    let mut cur = vec![0usize; r];
    fn rec(pos: usize, lo: usize, n: usize, rep: bool, cur: &mut [usize], cols: &mut [Vec<i64>]) {
        if pos == cur.len() {
            for (c, &v) in cols.iter_mut().zip(cur.iter()) {
                c.push(v as i64);
            }
            return;
        }
        for v in lo..n {
            cur[pos] = v;
            rec(pos + 1, if rep { v } else { v + 1 }, n, rep, cur, cols);
        }
    }
    rec(0, 0, n, with_replacement, &mut cur, &mut cols);
    cols
}

pub fn combinations(x: &Tensor, r: i64, with_replacement: bool) -> Result<Tensor> {
    if x.ndim() != 1 {
        return Err(Error::runtime(format!(
            "Expect a 1D vector, but got shape {}",
            fmt_sizes(x.sizes())
        )));
    }
    if r < 0 {
        return Err(Error::runtime(format!(
            "Expect a non-negative number, but got {r}"
        )));
    }
    if r == 0 {
        return Ok(Tensor::empty(&[0], x.dtype()));
    }
    let cols = combination_columns(x.numel(), r as usize, with_replacement);
    let picked: Result<Vec<Tensor>> = cols
        .into_iter()
        .map(|c| {
            let len = c.len();
            super::index::index_select(x, 0, &Tensor::from_vec(c, &[len])?)
        })
        .collect();
    stack(&picked?, 1)
}

// --- triangles and diagonals --------------------------------------------------------------

/// Zero each matrix of `t` outside its lower (`j <= i + k`) or upper (`j >= i + k`)
/// triangle, in place.
fn zero_outside_triangle(t: &Tensor, k: i64, lower: bool) {
    let nd = t.ndim();
    let (rows, cols) = (t.sizes()[nd - 2], t.sizes()[nd - 1] as i64);
    let (rs, cs) = (t.strides()[nd - 2], t.strides()[nd - 1]);
    let offs = crate::cpu::matmul::batch_offsets(&t.sizes()[..nd - 2], &t.strides()[..nd - 2]);
    crate::dispatch_all!(t.dtype(), T => {
        let base = t.data_ptr_mut::<T>();
        for &o in &offs {
            for i in 0..rows as i64 {
                let (lo, hi) = if lower { ((i + k + 1).clamp(0, cols), cols) } else { (0, (i + k).clamp(0, cols)) };
                for j in lo..hi {
                    // Safety: (i, j) lies inside the described matrix.
                    unsafe { *base.offset(o + i as isize * rs + j as isize * cs) = T::zero() };
                }
            }
        }
    });
}

fn check_triangle_input(x: &Tensor, name: &str) -> Result<()> {
    if x.ndim() < 2 {
        return Err(Error::runtime(format!(
            "{name}: input tensor must have at least 2 dimensions"
        )));
    }
    Ok(())
}

/// `tril(diagonal)` / `triu(diagonal)`.
pub fn triangle(x: &Tensor, k: i64, lower: bool) -> Result<Tensor> {
    let name = if lower { "tril" } else { "triu" };
    check_triangle_input(x, name)?;
    let out = clone_contiguous(x);
    zero_outside_triangle(&out, k, lower);
    if needs_grad(&[x]) {
        let node = if lower {
            "TrilBackward0"
        } else {
            "TriuBackward0"
        };
        return Ok(record1(
            node,
            &[x],
            out,
            false,
            Box::new(move |g| Ok(vec![Some(triangle(&g[0], k, lower)?)])),
        ));
    }
    Ok(out)
}

/// `tril_(diagonal)` / `triu_(diagonal)`.
pub fn triangle_(x: &Tensor, k: i64, lower: bool) -> Result<Tensor> {
    check_triangle_input(x, if lower { "tril" } else { "triu" })?;
    let grad = needs_grad(&[x]);
    super::copy::begin_inplace(x, grad)?;
    zero_outside_triangle(x, k, lower);
    x.storage().bump_version();
    if grad {
        let node = if lower {
            "TrilBackward0"
        } else {
            "TriuBackward0"
        };
        return Ok(autograd::rebase_inplace(
            node,
            x,
            &[],
            false,
            Box::new(move |g| Ok(vec![Some(triangle(&g[0], k, lower)?)])),
        ));
    }
    Ok(x.clone())
}

/// Zeros of `out_sizes` with `src` (broadcast) written on the diagonal `(offset, d1, d2)`;
/// the inverse of `diagonal`, which is its backward.
fn embed_diagonal(
    src: &Tensor,
    out_sizes: &[usize],
    offset: i64,
    d1: usize,
    d2: usize,
    name: &'static str,
) -> Result<Tensor> {
    let out = Tensor::zeros(out_sizes, src.dtype());
    let region = out.with_layout(out.layout().diagonal(offset, d1, d2)?);
    let s = super::broadcast_to(&src.detach(), region.sizes())?;
    crate::cpu::copy::copy_cast(&region, &s);
    if needs_grad(&[src]) {
        let src_sizes = src.dims();
        return Ok(record1(
            name,
            &[src],
            out,
            false,
            Box::new(move |g| {
                let d = diagonal(&g[0], offset, d1 as i64, d2 as i64)?;
                let d = if d.sizes() == src_sizes.as_slice() {
                    d
                } else {
                    sum_to_size(&d, &src_sizes)?
                };
                Ok(vec![Some(d)])
            }),
        ));
    }
    Ok(out)
}

/// `diag_embed(offset, dim1, dim2)`: the last dim of `x` becomes a diagonal.
pub fn diag_embed(x: &Tensor, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
    let nd = x.ndim() + 1;
    let (a, b) = (wrap_dim(dim1, nd)?, wrap_dim(dim2, nd)?);
    if a == b {
        return Err(Error::runtime(format!(
            "diagonal dimensions cannot be identical {dim1}, {dim2}"
        )));
    }
    let x1 = if x.ndim() == 0 {
        reshape(x, &[1])?
    } else {
        x.clone()
    };
    let n = x1.sizes()[x1.ndim() - 1] + offset.unsigned_abs() as usize;
    let mut sizes: Vec<usize> = x1.sizes()[..x1.ndim() - 1].to_vec();
    sizes.insert(a.min(b), n);
    sizes.insert(a.max(b), n);
    embed_diagonal(&x1, &sizes, offset, a, b, "DiagEmbedBackward0")
}

/// `diag(diagonal)`: a vector becomes a square matrix, a matrix gives its diagonal.
pub fn diag(x: &Tensor, k: i64) -> Result<Tensor> {
    match x.ndim() {
        1 => diag_embed(x, k, 0, 1),
        2 => {
            let out = clone_contiguous(&x.with_layout(x.layout().diagonal(k, 0, 1)?));
            if needs_grad(&[x]) {
                let sizes = x.dims();
                return Ok(record1(
                    "DiagonalBackward0_copy",
                    &[x],
                    out,
                    false,
                    Box::new(move |g| {
                        Ok(vec![Some(embed_diagonal(
                            &g[0],
                            &sizes,
                            k,
                            0,
                            1,
                            "DiagonalBackwardBackward0",
                        )?)])
                    }),
                ));
            }
            Ok(out)
        }
        n => Err(Error::runtime(format!(
            "diag(): Supports 1D or 2D tensors. Got {n}D"
        ))),
    }
}

pub fn diagflat(x: &Tensor, offset: i64) -> Result<Tensor> {
    diag_embed(&reshape(&contiguous(x), &[-1])?, offset, 0, 1)
}

/// `trace()`: the sum of the main diagonal (integers sum to int64, as `sum` does).
pub fn trace(x: &Tensor) -> Result<Tensor> {
    if x.ndim() != 2 {
        return Err(Error::runtime(format!(
            "trace: expected a matrix, but got tensor with dim {}",
            x.ndim()
        )));
    }
    if x.dtype() == DType::Bool {
        return Err(Error::not_implemented(
            "\"trace\" not implemented for 'Bool'",
        ));
    }
    let out = raw(|| sum(&diagonal(x, 0, 0, 1)?, None, false, None))?.detach();
    if needs_grad(&[x]) {
        let sizes = x.dims();
        return Ok(record1(
            "TraceBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| {
                Ok(vec![Some(embed_diagonal(
                    &g[0],
                    &sizes,
                    0,
                    0,
                    1,
                    "TraceBackwardBackward0",
                )?)])
            }),
        ));
    }
    Ok(out)
}

// --- products that are really broadcasts ------------------------------------------------------

fn require_vector(t: &Tensor, op: &str, arg: &str) -> Result<()> {
    if t.ndim() != 1 {
        return Err(Error::runtime(format!(
            "{op}: Expected 1-D argument {arg}, but got {}-D",
            t.ndim()
        )));
    }
    Ok(())
}

/// `outer(vec2)` (and `ger`): dtypes promote as in `mul`.
pub fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    require_vector(a, "outer", "self")?;
    require_vector(b, "outer", "vec2")?;
    super::binary::mul(&reshape(a, &[a.numel() as i64, 1])?, b)
}

/// `kron(other)`: every element of `a` scales a copy of `b`.
pub fn kron(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let nd = a.ndim().max(b.ndim());
    let pad = |t: &Tensor| -> Vec<usize> {
        std::iter::repeat_n(1, nd - t.ndim())
            .chain(t.sizes().iter().copied())
            .collect()
    };
    let (pa, pb) = (pad(a), pad(b));
    let mut sa = Vec::with_capacity(2 * nd);
    let mut sb = Vec::with_capacity(2 * nd);
    for i in 0..nd {
        sa.extend([pa[i] as i64, 1]);
        sb.extend([1, pb[i] as i64]);
    }
    let prod = super::binary::mul(&reshape(a, &sa)?, &reshape(b, &sb)?)?;
    let sizes: Vec<usize> = (0..nd).map(|i| pa[i] * pb[i]).collect();
    unsafe_view(&prod, &sizes)
}

/// `narrow_copy(dim, start, length)`: a fresh contiguous copy of the narrowed part.
pub fn narrow_copy(x: &Tensor, dim: i64, start: i64, length: i64) -> Result<Tensor> {
    if x.ndim() == 0 {
        return Err(Error::runtime(
            "narrow() cannot be applied to a 0-dim tensor.",
        ));
    }
    if dim < -(x.ndim() as i64) || dim >= x.ndim() as i64 {
        return Err(Error::runtime(format!(
            "narrow_copy(): dim {dim} is out of range for a tensor with {} dimensions",
            x.ndim()
        )));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let size = x.sizes()[d] as i64;
    if start < -size || start > size {
        return Err(Error::index(format!(
            "start out of range (expected to be in range of [{}, {}], but got {start})",
            -size, size
        )));
    }
    if length < 0 {
        return Err(Error::runtime("narrow(): length must be non-negative."));
    }
    let s = if start < 0 { start + size } else { start };
    let out =
        clone_contiguous(&x.with_layout(x.layout().narrow(d, s as usize, length as usize)?));
    if needs_grad(&[x]) {
        return Ok(record1(
            "NarrowCopyBackward0",
            &[x],
            out,
            false,
            Box::new(move |g| {
                let g = &g[0];
                let mut before = g.dims();
                before[d] = s as usize;
                let mut after = g.dims();
                after[d] = (size - s - length) as usize;
                let parts = [
                    Tensor::zeros(&before, g.dtype()),
                    g.clone(),
                    Tensor::zeros(&after, g.dtype()),
                ];
                Ok(vec![Some(cat(&parts, d as i64)?)])
            }),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, sizes: &[usize]) -> Tensor {
        Tensor::from_vec((0..n as i64).collect(), sizes).unwrap()
    }

    #[test]
    fn roll_and_rot90() {
        let x = arange(6, &[2, 3]);
        assert_eq!(
            roll(&x, &[1], &[]).unwrap().to_f64_vec(),
            vec![5., 0., 1., 2., 3., 4.]
        );
        assert_eq!(
            roll(&x, &[1], &[1]).unwrap().to_f64_vec(),
            vec![2., 0., 1., 5., 3., 4.]
        );
        assert_eq!(
            roll(&x, &[-1, 1], &[0, 1]).unwrap().to_f64_vec(),
            vec![5., 3., 4., 2., 0., 1.]
        );
        let r = rot90(&x, 1, &[0, 1]).unwrap();
        assert_eq!(r.sizes(), &[3, 2]);
        assert_eq!(r.to_f64_vec(), vec![2., 5., 1., 4., 0., 3.]);
    }

    #[test]
    fn repeat_and_interleave() {
        let x = arange(2, &[2]);
        let r = repeat(&x, &[2, 2]).unwrap();
        assert_eq!(r.sizes(), &[2, 4]);
        assert_eq!(r.to_f64_vec(), vec![0., 1., 0., 1., 0., 1., 0., 1.]);
        let i = repeat_interleave_int(&x, 3, None, None).unwrap();
        assert_eq!(i.to_f64_vec(), vec![0., 0., 0., 1., 1., 1.]);
        let c = Tensor::from_vec(vec![2i64, 0, 1], &[3]).unwrap();
        assert_eq!(
            repeat_interleave_counts(&c, None).unwrap().to_f64_vec(),
            vec![0., 0., 2.]
        );
    }

    #[test]
    fn triangles_and_diagonals() {
        let x = arange(9, &[3, 3]);
        assert_eq!(
            triangle(&x, 0, true).unwrap().to_f64_vec(),
            vec![0., 0., 0., 3., 4., 0., 6., 7., 8.]
        );
        assert_eq!(
            triangle(&x, 1, false).unwrap().to_f64_vec(),
            vec![0., 1., 2., 0., 0., 5., 0., 0., 0.]
        );
        assert_eq!(trace(&x).unwrap().to_f64_vec(), vec![12.]);
        let v = arange(2, &[2]);
        assert_eq!(
            diag(&v, 1).unwrap().to_f64_vec(),
            vec![0., 0., 0., 0., 0., 1., 0., 0., 0.]
        );
        assert_eq!(diag(&x, -1).unwrap().to_f64_vec(), vec![3., 7.]);
    }

    #[test]
    fn broadcast_shapes_messages() {
        assert_eq!(
            broadcast_shapes(&[vec![3, 1], vec![4]]).unwrap(),
            vec![3, 4]
        );
        let e = broadcast_shapes(&[vec![3, 2], vec![4]]).unwrap_err();
        assert!(e
            .message
            .contains("Mismatching argument at index 1 had (4,)"));
    }
}
