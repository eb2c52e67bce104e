//! Indexing: `x[...]` reads and writes, where, gather/scatter along a dim.


use super::shape::{select, slice, unsqueeze};
use super::{broadcast_to, cast, new_output};
use crate::autograd::{self, needs_grad, record1};
use crate::cpu::elementwise::map3;
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::shape::{broadcast_all, wrap_dim};
use crate::tensor::Tensor;

/// One element of an index tuple.
#[derive(Clone)]
pub enum IndexItem {
    Int(i64),
    /// start, stop, step (Python slice; step must be positive).
    Slice(Option<i64>, Option<i64>, i64),
    NewAxis,
    Ellipsis,
    /// An integer or bool tensor (advanced indexing).
    Tensor(Tensor),
}

fn dims_consumed(item: &IndexItem) -> usize {
    match item {
        IndexItem::Int(_) | IndexItem::Slice(..) => 1,
        IndexItem::Tensor(t) if t.dtype() == DType::Bool || t.dtype() == DType::U8 => t.ndim(),
        IndexItem::Tensor(_) => 1,
        _ => 0,
    }
}

/// Replace `...` by full slices so every item lines up with a dim.
fn expand_ellipsis(x: &Tensor, items: &[IndexItem]) -> Result<Vec<IndexItem>> {
    let used: usize = items.iter().map(dims_consumed).sum();
    let ellipses = items.iter().filter(|i| matches!(i, IndexItem::Ellipsis)).count();
    if ellipses > 1 {
        return Err(Error::index("an index can only have a single ellipsis ('...')"));
    }
    if used > x.ndim() {
        return Err(Error::index(format!(
            "too many indices for tensor of dimension {}",
            x.ndim()
        )));
    }
    let mut out = Vec::with_capacity(items.len() + x.ndim());
    for it in items {
        if let IndexItem::Ellipsis = it {
            for _ in 0..x.ndim() - used {
                out.push(IndexItem::Slice(None, None, 1));
            }
        } else {
            out.push(it.clone());
        }
    }
    Ok(out)
}

/// The result of the basic part of an index, with the advanced index tensors that remain,
/// each paired with the dim of the result it applies to.
fn apply_basic(x: &Tensor, items: &[IndexItem]) -> Result<(Tensor, Vec<(usize, Tensor)>)> {
    let items = expand_ellipsis(x, items)?;
    let mut t = x.clone();
    let mut dim = 0usize;
    let mut advanced = Vec::new();
    for it in &items {
        match it {
            IndexItem::Int(i) => {
                let size = t.sizes()[dim] as i64;
                if *i < -size || *i >= size {
                    return Err(Error::index(format!(
                        "index {i} is out of bounds for dimension {dim} with size {size}"
                    )));
                }
                t = select(&t, dim as i64, *i)?;
            }
            IndexItem::Slice(start, stop, step) => {
                if *step <= 0 {
                    return Err(Error::value("step must be greater than zero"));
                }
                let s = start.unwrap_or(0);
                let e = stop.unwrap_or(i64::MAX);
                if !(s == 0 && e == i64::MAX && *step == 1) {
                    t = slice(&t, dim as i64, s, e.min(i64::MAX / 2), *step)?;
                }
                dim += 1;
            }
            IndexItem::NewAxis => {
                t = unsqueeze(&t, dim as i64)?;
                dim += 1;
            }
            IndexItem::Ellipsis => unreachable!("expanded"),
            IndexItem::Tensor(idx) => {
                if idx.dtype() == DType::Bool || idx.dtype() == DType::U8 {
                    for k in 0..idx.ndim() {
                        let (want, got) = (idx.sizes()[k], t.sizes()[dim + k]);
                        if want != got {
                            return Err(Error::index(format!(
                                "The shape of the mask [{}] at index {k} does not match the shape of the indexed tensor [{}] at index {}",
                                crate::shape::fmt_sizes(idx.sizes()).trim_matches(|c| c == '[' || c == ']'),
                                crate::shape::fmt_sizes(t.sizes()).trim_matches(|c| c == '[' || c == ']'),
                                dim + k
                            )));
                        }
                    }
                    // A mask is the tuple of its nonzero coordinates.
                    let coords = nonzero(&cast(idx, DType::Bool))?;
                    for k in 0..idx.ndim() {
                        advanced.push((dim + k, select(&coords, 1, k as i64)?));
                    }
                    dim += idx.ndim();
                } else if idx.dtype().is_int() {
                    advanced.push((dim, cast(idx, DType::I64)));
                    dim += 1;
                } else {
                    return Err(Error::index(
                        "tensors used as indices must be long, int, byte or bool tensors",
                    ));
                }
            }
        }
    }
    Ok((t, advanced))
}

/// `x[items]`.
pub fn index(x: &Tensor, items: &[IndexItem]) -> Result<Tensor> {
    let (t, advanced) = apply_basic(x, items)?;
    if advanced.is_empty() {
        return Ok(t);
    }
    advanced_index(&t, &advanced)
}

/// Gather by index tensors at `dims` (broadcast together): PyTorch/numpy placement — the
/// indexed dims are replaced by the broadcast index shape, in place when the dims are
/// adjacent, else in front.
fn advanced_index(t: &Tensor, adv: &[(usize, Tensor)]) -> Result<Tensor> {
    let plan = AdvPlan::new(t, adv)?;
    let out = Tensor::empty(&plan.out_sizes, t.dtype());
    plan.for_each(t, |out_i, src_off| unsafe {
        crate::dispatch_all!(t.dtype(), T => {
            *out.data_ptr_mut::<T>().add(out_i) = *t.data_ptr::<T>().offset(src_off);
        })
    })?;
    if needs_grad(&[t]) {
        let sizes = t.dims();
        let adv: Vec<(usize, Tensor)> = adv.to_vec();
        return Ok(record1(
            "IndexBackward0",
            &[t],
            out,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                Ok(vec![Some(index_put_adv(&zeros, &adv, &g[0], true)?)])
            }),
        ));
    }
    Ok(out)
}

/// Geometry of an advanced index.
struct AdvPlan {
    out_sizes: Vec<usize>,
    /// Index tensors broadcast to `idx_shape`, contiguous i64.
    idx: Vec<(usize, Vec<i64>)>,
    idx_shape: Vec<usize>,
    /// Where the index block sits in the output.
    block_at: usize,
    /// Remaining (sliced) dims of the source, in order, with their sizes and strides.
    rest: Vec<(usize, usize, isize)>,
}

impl AdvPlan {
    fn new(t: &Tensor, adv: &[(usize, Tensor)]) -> Result<AdvPlan> {
        let shapes: Vec<&[usize]> = adv.iter().map(|(_, i)| i.sizes()).collect();
        let idx_shape = broadcast_all(&shapes).map_err(|_| {
            Error::index(format!(
                "shape mismatch: indexing tensors could not be broadcast together with shapes {}",
                shapes
                    .iter()
                    .map(|s| crate::shape::fmt_sizes(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let mut idx = Vec::new();
        for (d, i) in adv {
            let size = t.sizes()[*d] as i64;
            let b = super::copy::clone_contiguous(&broadcast_to(i, &idx_shape)?);
            let v = b.to_vec::<i64>();
            let mut w = Vec::with_capacity(v.len());
            for &k in &v {
                if k < -size || k >= size {
                    return Err(Error::index(format!(
                        "index {k} is out of bounds for dimension {d} with size {size}"
                    )));
                }
                w.push(if k < 0 { k + size } else { k });
            }
            idx.push((*d, w));
        }
        let dims: Vec<usize> = adv.iter().map(|(d, _)| *d).collect();
        let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
        let rest: Vec<(usize, usize, isize)> = (0..t.ndim())
            .filter(|d| !dims.contains(d))
            .map(|d| (d, t.sizes()[d], t.strides()[d]))
            .collect();
        let block_at = if adjacent {
            rest.iter().filter(|r| r.0 < dims[0]).count()
        } else {
            0
        };
        let mut out_sizes: Vec<usize> = rest.iter().map(|r| r.1).collect();
        for (k, &s) in idx_shape.iter().enumerate() {
            out_sizes.insert(block_at + k, s);
        }
        Ok(AdvPlan {
            out_sizes,
            idx,
            idx_shape: idx_shape.to_vec(),
            block_at,
            rest,
        })
    }

    /// Calls `f(output_linear_index, source_offset_in_elements)` for every output element.
    fn for_each(&self, t: &Tensor, mut f: impl FnMut(usize, isize)) -> Result<()> {
        let nb = self.idx_shape.len();
        let n: usize = self.out_sizes.iter().product();
        let mut coord = vec![0usize; self.out_sizes.len()];
        for o in 0..n {
            // Split the output coordinate into rest dims and the index block position.
            let mut off = 0isize;
            let mut flat_idx = 0usize;
            let mut r = 0;
            for (p, &c) in coord.iter().enumerate() {
                if p >= self.block_at && p < self.block_at + nb {
                    flat_idx = flat_idx * self.idx_shape[p - self.block_at] + c;
                } else {
                    off += c as isize * self.rest[r].2;
                    r += 1;
                }
            }
            for (d, v) in &self.idx {
                off += v[flat_idx] as isize * t.strides()[*d];
            }
            f(o, off);
            // Next coordinate.
            for p in (0..coord.len()).rev() {
                coord[p] += 1;
                if coord[p] < self.out_sizes[p] {
                    break;
                }
                coord[p] = 0;
            }
        }
        Ok(())
    }
}

/// Write (or accumulate) `values` into `t` at an advanced index; returns `t` (out of place
/// when `accumulate` builds a gradient, in place otherwise).
fn index_put_adv(t: &Tensor, adv: &[(usize, Tensor)], values: &Tensor, accumulate: bool) -> Result<Tensor> {
    let plan = AdvPlan::new(t, adv)?;
    let v = cast(&broadcast_to(values, &plan.out_sizes).map_err(|_| {
        Error::runtime(format!(
            "shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
            crate::shape::fmt_sizes(values.sizes()),
            crate::shape::fmt_sizes(&plan.out_sizes)
        ))
    })?, t.dtype());
    let vc = super::copy::clone_contiguous(&v);
    crate::dispatch_all!(t.dtype(), T => {
        use crate::cpu::math::Arith;
        let src = vc.data_ptr::<T>();
        plan.for_each(t, |o, off| unsafe {
            let p = t.data_ptr_mut::<T>().offset(off);
            let val = *src.add(o);
            *p = if accumulate { (*p).add(val) } else { val };
        })?;
    });
    Ok(t.clone())
}

/// `x[items] = value`.
pub fn index_put(x: &Tensor, items: &[IndexItem], value: &Tensor) -> Result<Tensor> {
    let (view, advanced) = apply_basic(x, items)?;
    if advanced.is_empty() {
        super::copy::copy_(&view, value)?;
        return Ok(x.clone());
    }
    let grad = needs_grad(&[&view, value]);
    super::copy::begin_inplace(&view, grad)?;
    if grad {
        return Err(Error::not_implemented(
            "index assignment with tensor indices into a tensor that requires grad is not supported yet",
        ));
    }
    index_put_adv(&view, &advanced, value, false)?;
    x.storage().bump_version();
    Ok(x.clone())
}

/// `x[items] = scalar`.
pub fn index_fill(x: &Tensor, items: &[IndexItem], value: Scalar) -> Result<Tensor> {
    let (view, advanced) = apply_basic(x, items)?;
    if advanced.is_empty() {
        super::copy::fill_(&view, value)?;
        return Ok(x.clone());
    }
    index_put(x, items, &Tensor::wrapped_scalar(value))
}

/// Coordinates of nonzero elements, shape (n, ndim), row-major order.
pub fn nonzero(x: &Tensor) -> Result<Tensor> {
    let c = super::copy::clone_contiguous(x);
    let nd = x.ndim();
    let mut coords: Vec<i64> = Vec::new();
    let mut count = 0usize;
    crate::dispatch_all!(x.dtype(), T => {
        let p = c.data_ptr::<T>();
        let mut idx = vec![0i64; nd];
        for i in 0..c.numel() {
            if unsafe { *p.add(i) }.to_bool() {
                coords.extend_from_slice(&idx);
                count += 1;
            }
            for d in (0..nd).rev() {
                idx[d] += 1;
                if (idx[d] as usize) < x.sizes()[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    });
    Tensor::from_vec(coords, &[count, nd])
}

/// `where(cond, a, b)` with broadcasting and promotion.
pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if cond.dtype() != DType::Bool && cond.dtype() != DType::U8 {
        return Err(Error::runtime(format!(
            "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
            super::capitalized(cond.dtype())
        )));
    }
    let sizes = broadcast_all(&[cond.sizes(), a.sizes(), b.sizes()])?;
    let dt = promote_where(a, b);
    let c = broadcast_to(&cast(cond, DType::Bool), &sizes)?;
    let ac = broadcast_to(&cast(a, dt), &sizes)?;
    let bc = broadcast_to(&cast(b, dt), &sizes)?;
    let out = new_output(&sizes, dt, &[a, b]);
    crate::dispatch_all!(dt, T => map3::<bool, T, T, T>(&out, &c, &ac, &bc, |m, x, y| if m { x } else { y }));
    if needs_grad(&[a, b]) {
        let sc = cond.clone();
        let (sa, sb) = (a.dims(), b.dims());
        let (na, nb) = (a.requires_grad(), b.requires_grad());
        return Ok(autograd::record1(
            "WhereBackward0",
            &[a, b],
            out,
            true,
            Box::new(move |g| {
                let z = Tensor::wrapped_scalar(Scalar::Int(0));
                let ga = if na {
                    Some(super::reduce::sum_to_size(&where_(&sc, &g[0], &z)?, &sa)?)
                } else {
                    None
                };
                let gb = if nb {
                    Some(super::reduce::sum_to_size(&where_(&sc, &z, &g[0])?, &sb)?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }),
        ));
    }
    Ok(out)
}

fn promote_where(a: &Tensor, b: &Tensor) -> DType {
    let op = |t: &Tensor| {
        if t.is_wrapped_number() {
            crate::dtype::Operand::Wrapped(t.get_flat(0))
        } else if t.ndim() == 0 {
            crate::dtype::Operand::ZeroDim(t.dtype())
        } else {
            crate::dtype::Operand::Dim(t.dtype())
        }
    };
    crate::dtype::result_type(&[op(a), op(b)])
}

/// `masked_fill(mask, value)`.
pub fn masked_fill(x: &Tensor, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
    if mask.dtype() != DType::Bool {
        return Err(Error::runtime(format!(
            "masked_fill_ only supports boolean masks, but got mask with dtype {}",
            super::capitalized(mask.dtype())
        )));
    }
    let v = if value.is_wrapped_number() {
        Tensor::scalar(value.get_flat(0), x.dtype())
    } else {
        super::copy::to_dtype(value, x.dtype())?
    };
    let out = where_(mask, &v, x)?;
    if out.sizes() != x.sizes() {
        return Err(Error::runtime(format!(
            "masked_fill: mask of shape {} cannot be broadcast to the input shape {}",
            crate::shape::fmt_sizes(mask.sizes()),
            crate::shape::fmt_sizes(x.sizes())
        )));
    }
    Ok(out)
}

fn check_gather_shapes(x: &Tensor, d: usize, index: &Tensor, name: &str) -> Result<()> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "{name}(): Expected dtype int64 for index"
        )));
    }
    if index.ndim() != x.ndim() && !(index.ndim() <= 1 && x.ndim() <= 1) {
        return Err(Error::runtime(format!(
            "Index tensor must have the same number of dimensions as {} tensor",
            if name == "gather" { "input" } else { "self" }
        )));
    }
    for k in 0..index.ndim() {
        if k != d && index.sizes()[k] > x.sizes().get(k).copied().unwrap_or(1) {
            return Err(Error::runtime(format!(
                "Size does not match at dimension {k} expected index {} to be smaller than self {} apart from dimension {d}",
                crate::shape::fmt_sizes(index.sizes()),
                crate::shape::fmt_sizes(x.sizes())
            )));
        }
    }
    Ok(())
}

/// Visit (index position, source/target offset along all dims but `d` plus the indexed
/// position along `d`) for gather/scatter.
fn for_each_indexed(
    t: &Tensor,
    d: usize,
    index: &Tensor,
    mut f: impl FnMut(usize, isize) -> Result<()>,
) -> Result<()> {
    let idx = super::copy::clone_contiguous(index);
    let iv = idx.to_vec::<i64>();
    let nd = index.ndim();
    let size_d = if t.ndim() == 0 { 1 } else { t.sizes()[d] as i64 };
    let mut coord = vec![0usize; nd];
    for (i, &k) in iv.iter().enumerate() {
        if k < -size_d || k >= size_d {
            return Err(Error::index(format!(
                "index {k} is out of bounds for dimension {d} with size {size_d}"
            )));
        }
        let k = if k < 0 { k + size_d } else { k };
        let mut off = 0isize;
        for (p, &c) in coord.iter().enumerate() {
            let pos = if p == d { k as usize } else { c };
            off += pos as isize * t.strides().get(p).copied().unwrap_or(0);
        }
        f(i, off)?;
        for p in (0..nd).rev() {
            coord[p] += 1;
            if coord[p] < index.sizes()[p] {
                break;
            }
            coord[p] = 0;
        }
    }
    Ok(())
}

/// `gather(dim, index)`.
pub fn gather(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    check_gather_shapes(x, d, index, "gather")?;
    let out = Tensor::empty(index.sizes(), x.dtype());
    crate::dispatch_all!(x.dtype(), T => {
        let po = out.data_ptr_mut::<T>();
        let px = x.data_ptr::<T>();
        for_each_indexed(x, d, index, |i, off| {
            unsafe { *po.add(i) = *px.offset(off) };
            Ok(())
        })?;
    });
    if needs_grad(&[x]) {
        let sizes = x.dims();
        let idx = index.clone();
        return Ok(record1(
            "GatherBackward0",
            &[x],
            out,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                Ok(vec![Some(scatter(&zeros, d as i64, &idx, &g[0], Some("add"))?)])
            }),
        ));
    }
    Ok(out)
}

/// Out-of-place `scatter(dim, index, src, reduce)`; `reduce` is None, "add" or "multiply".
pub fn scatter(x: &Tensor, dim: i64, index: &Tensor, src: &Tensor, reduce: Option<&str>) -> Result<Tensor> {
    let out = super::copy::clone_contiguous(x);
    scatter_into(&out, dim, index, src, reduce)?;
    if needs_grad(&[x, src]) {
        let d = wrap_dim(dim, x.ndim())? as i64;
        let idx = index.clone();
        let (nx, ns) = (x.requires_grad(), src.requires_grad());
        if reduce.is_some() && reduce != Some("add") {
            return Err(Error::not_implemented(
                "scatter with reduce='multiply' does not support autograd",
            ));
        }
        let add = reduce == Some("add");
        let name = if add { "ScatterAddBackward0" } else { "ScatterBackward0" };
        return Ok(autograd::record1(
            name,
            &[x, src],
            out,
            true,
            Box::new(move |g| {
                let gx = if nx {
                    if add {
                        Some(g[0].clone())
                    } else {
                        let zeros = super::creation::full_like(&idx, Scalar::Int(0), g[0].dtype());
                        Some(scatter(&g[0], d, &idx, &zeros, None)?)
                    }
                } else {
                    None
                };
                let gs = if ns { Some(gather(&g[0], d, &idx)?) } else { None };
                Ok(vec![gx, gs])
            }),
        ));
    }
    Ok(out)
}

/// In-place scatter kernel (no history).
pub fn scatter_into(out: &Tensor, dim: i64, index: &Tensor, src: &Tensor, reduce: Option<&str>) -> Result<()> {
    let d = wrap_dim(dim, out.ndim())?;
    check_gather_shapes(out, d, index, "scatter")?;
    let s = if src.is_wrapped_number() || src.ndim() == 0 {
        broadcast_to(&cast(src, out.dtype()), index.sizes())?
    } else {
        for k in 0..index.ndim() {
            if index.sizes()[k] > src.sizes()[k] {
                return Err(Error::runtime(format!(
                    "Expected index {} to be smaller than src {} apart from dimension {d}",
                    crate::shape::fmt_sizes(index.sizes()),
                    crate::shape::fmt_sizes(src.sizes())
                )));
            }
        }
        let mut l = src.layout().clone();
        l.sizes = index.dims();
        cast(&src.with_layout(l), out.dtype())
    };
    let sv = super::copy::clone_contiguous(&s);
    crate::dispatch_all!(out.dtype(), T => {
        use crate::cpu::math::Arith;
        let po = out.data_ptr_mut::<T>();
        let ps = sv.data_ptr::<T>();
        let mode = match reduce {
            None => 0,
            Some("add") | Some("sum") => 1,
            Some("multiply") | Some("prod") => 2,
            Some(r) => return Err(Error::runtime(format!("reduce argument must be either add or multiply, got {r}"))),
        };
        for_each_indexed(out, d, index, |i, off| {
            unsafe {
                let p = po.offset(off);
                let v = *ps.add(i);
                *p = match mode { 0 => v, 1 => (*p).add(v), _ => (*p).mul(v) };
            }
            Ok(())
        })?;
    });
    out.storage().bump_version();
    Ok(())
}

/// `index_select(dim, index)`.
pub fn index_select(x: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    if index.ndim() > 1 {
        return Err(Error::index("index_select(): Index is supposed to be a vector"));
    }
    if !index.dtype().is_int() {
        return Err(Error::runtime(
            "index_select(): Expected dtype int32/int64 for index",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let mut items: Vec<IndexItem> = (0..d).map(|_| IndexItem::Slice(None, None, 1)).collect();
    let idx = if index.ndim() == 0 { super::shape::reshape(index, &[1])? } else { index.clone() };
    items.push(IndexItem::Tensor(idx));
    // An index out of range is a RuntimeError here, unlike in `x[idx]` (PyTorch's kernels differ).
    self::index(x, &items).map_err(|e| match e.kind {
        crate::error::ErrorKind::Index => Error::runtime(e.message),
        _ => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: Vec<i64>, s: &[usize]) -> Tensor {
        Tensor::from_vec(v, s).unwrap()
    }

    #[test]
    fn basic_and_advanced() {
        let x = m((0..12).collect(), &[3, 4]);
        let r = index(&x, &[IndexItem::Int(-1), IndexItem::Slice(Some(1), None, 2)]).unwrap();
        assert_eq!(r.to_f64_vec(), vec![9.0, 11.0]);
        let i = m(vec![2, 0], &[2]);
        let r = index(&x, &[IndexItem::Slice(None, None, 1), IndexItem::Tensor(i.clone())]).unwrap();
        assert_eq!(r.sizes(), &[3, 2]);
        assert_eq!(r.to_f64_vec(), vec![2.0, 0.0, 6.0, 4.0, 10.0, 8.0]);
        let r = index(&x, &[IndexItem::Tensor(i.clone()), IndexItem::Tensor(i)]).unwrap();
        assert_eq!(r.to_f64_vec(), vec![10.0, 0.0]);
        assert!(index(&x, &[IndexItem::Int(3)]).is_err());
    }

    #[test]
    fn masks_gather_scatter() {
        let x = m((0..6).collect(), &[2, 3]);
        let mask = crate::ops::binary::gt(&x, &Tensor::wrapped_scalar(Scalar::Int(3))).unwrap();
        assert_eq!(index(&x, &[IndexItem::Tensor(mask)]).unwrap().to_f64_vec(), vec![4.0, 5.0]);
        let idx = m(vec![2, 0], &[2, 1]);
        let g = gather(&x, 1, &idx).unwrap();
        assert_eq!(g.to_f64_vec(), vec![2.0, 3.0]);
        let z = m(vec![0; 6], &[2, 3]);
        let s = scatter(&z, 1, &idx, &m(vec![7, 8], &[2, 1]), None).unwrap();
        assert_eq!(s.to_f64_vec(), vec![0.0, 0.0, 7.0, 8.0, 0.0, 0.0]);
    }
}
