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
    let ellipses = items
        .iter()
        .filter(|i| matches!(i, IndexItem::Ellipsis))
        .count();
    if ellipses > 1 {
        return Err(Error::index(
            "an index can only have a single ellipsis ('...')",
        ));
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
    crate::dispatch_all!(t.dtype(), T => {
        let (dst, src) = (out.data_ptr_mut::<T>(), t.data_ptr::<T>());
        if plan.after_is_dense() {
            // Whole rows at a time: each (before, block) pair reads one dense run.
            let run = plan.after.len();
            let mut o = 0usize;
            for &b in &plan.before {
                for &k in &plan.block {
                    unsafe { std::ptr::copy_nonoverlapping(src.offset(b + k), dst.add(o), run) };
                    o += run;
                }
            }
        } else {
            plan.for_each(|o, off| unsafe { *dst.add(o) = *src.offset(off) });
        }
    });
    if needs_grad(&[t]) {
        let sizes = t.dims();
        let adv: Vec<(usize, Tensor)> = adv.to_vec();
        return Ok(record1(
            "IndexBackward0",
            &[t],
            out,
            true,
            Box::new(move |g| {
                // Repeated indices read one element several times: their gradients add up.
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                Ok(vec![Some(put_adv(&zeros, &adv, &g[0], true)?)])
            }),
        ));
    }
    Ok(out)
}

/// Out-of-place `index_put` at an advanced index (of `x` itself, no basic part), recording
/// IndexPutBackward0 so that gradients of gradients flow.
fn put_adv(
    x: &Tensor,
    adv: &[(usize, Tensor)],
    values: &Tensor,
    accumulate: bool,
) -> Result<Tensor> {
    let out = fresh_copy(x);
    index_put_adv(&out, adv, values, accumulate)?;
    if needs_grad(&[x, values]) {
        let adv: Vec<(usize, Tensor)> = adv.to_vec();
        let (nx, nv) = (x.requires_grad(), values.requires_grad());
        let (v_sizes, v_dtype) = (values.dims(), values.dtype());
        return Ok(record1(
            "IndexPutBackward0",
            &[x, values],
            out,
            true,
            Box::new(move |g| {
                let gx = if !nx {
                    None
                } else if accumulate {
                    Some(g[0].clone())
                } else {
                    let zero = Tensor::scalar(Scalar::Int(0), g[0].dtype());
                    Some(put_adv(&g[0], &adv, &zero, false)?)
                };
                let gv = if nv {
                    let picked = advanced_index(&g[0], &adv)?;
                    Some(super::copy::to_dtype(
                        &reduce_to_shape(&picked, &v_sizes)?,
                        v_dtype,
                    )?)
                } else {
                    None
                };
                Ok(vec![gx, gv])
            }),
        ));
    }
    Ok(out)
}

/// Sum a gradient of a broadcast value back to the value's shape (which may also have
/// extra leading size-1 dims that assignment strips).
fn reduce_to_shape(g: &Tensor, sizes: &[usize]) -> Result<Tensor> {
    let target: Vec<i64> = sizes.iter().map(|&s| s as i64).collect();
    if g.ndim() >= sizes.len() {
        let r = super::reduce::sum_to_size(g, sizes)?;
        return super::shape::reshape(&r, &target);
    }
    super::shape::reshape(g, &target)
}

/// A copy of `x` in the same memory order, without history (the target of an out-of-place
/// write).
pub(crate) fn fresh_copy(x: &Tensor) -> Tensor {
    let out = new_output(x.sizes(), x.dtype(), &[x]);
    crate::cpu::copy::copy_cast(&out, x);
    out
}

/// Geometry of an advanced index: the output is (dims before the index block, the block,
/// dims after it); each part's element offsets are listed once, so the walk over the output
/// is three plain nested loops.
struct AdvPlan {
    out_sizes: Vec<usize>,
    /// Source offset of each position of the (broadcast) index block.
    block: Vec<isize>,
    /// Source offsets of the sliced dims before and after the block, row-major.
    before: Vec<isize>,
    after: Vec<isize>,
}

/// Row-major offsets of all positions of `dims` (size, stride pairs).
fn offsets_of(dims: &[(usize, isize)]) -> Vec<isize> {
    let mut offs = vec![0isize];
    for &(size, stride) in dims {
        offs = offs
            .iter()
            .flat_map(|&o| (0..size).map(move |k| o + k as isize * stride))
            .collect();
    }
    offs
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
        let nblock: usize = idx_shape.iter().product();
        let mut block = vec![0isize; nblock];
        for (d, i) in adv {
            let size = t.sizes()[*d] as i64;
            let stride = t.strides()[*d];
            let b = super::copy::clone_contiguous(&broadcast_to(i, &idx_shape)?);
            for (slot, &k) in block.iter_mut().zip(b.to_vec::<i64>().iter()) {
                if k < -size || k >= size {
                    return Err(Error::index(format!(
                        "index {k} is out of bounds for dimension {d} with size {size}"
                    )));
                }
                *slot += (if k < 0 { k + size } else { k }) as isize * stride;
            }
        }
        let dims: Vec<usize> = adv.iter().map(|(d, _)| *d).collect();
        let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
        let rest: Vec<(usize, usize, isize)> = (0..t.ndim())
            .filter(|d| !dims.contains(d))
            .map(|d| (d, t.sizes()[d], t.strides()[d]))
            .collect();
        // Separated index tensors put the block first (numpy's rule, which PyTorch follows).
        let block_at = if adjacent {
            rest.iter().filter(|r| r.0 < dims[0]).count()
        } else {
            0
        };
        let mut out_sizes: Vec<usize> = rest.iter().map(|r| r.1).collect();
        for (k, &s) in idx_shape.iter().enumerate() {
            out_sizes.insert(block_at + k, s);
        }
        let part = |r: &[(usize, usize, isize)]| {
            offsets_of(&r.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>())
        };
        Ok(AdvPlan {
            out_sizes,
            block,
            before: part(&rest[..block_at]),
            after: part(&rest[block_at..]),
        })
    }

    /// Whether the dims after the block are one dense run (offsets 0, 1, 2, ...).
    fn after_is_dense(&self) -> bool {
        self.after.len() > 1 && self.after.iter().enumerate().all(|(i, &a)| a == i as isize)
    }

    /// Calls `f(output_linear_index, source_offset_in_elements)` for every output element,
    /// in output order.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize, isize)) {
        let mut o = 0usize;
        for &b in &self.before {
            for &k in &self.block {
                let base = b + k;
                for &a in &self.after {
                    f(o, base + a);
                    o += 1;
                }
            }
        }
    }
}

/// Write (or accumulate) `values` into `t` at an advanced index; returns `t` (out of place
/// when `accumulate` builds a gradient, in place otherwise).
fn index_put_adv(
    t: &Tensor,
    adv: &[(usize, Tensor)],
    values: &Tensor,
    accumulate: bool,
) -> Result<Tensor> {
    let plan = AdvPlan::new(t, adv)?;
    let values = &strip_leading_ones(values, plan.out_sizes.len());
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
        let dst = t.data_ptr_mut::<T>();
        plan.for_each(|o, off| unsafe {
            let p = dst.offset(off);
            let val = *src.add(o);
            *p = if accumulate { (*p).add(val) } else { val };
        });
    });
    Ok(t.clone())
}

/// `x[items] = value`, in place. With autograd the write records CopySlices (basic
/// indices) or IndexPutBackward0 (tensor indices) on `x`; returns the handle to keep.
pub fn index_put(x: &Tensor, items: &[IndexItem], value: &Tensor) -> Result<Tensor> {
    let (view, advanced) = apply_basic(x, items)?;
    if !advanced.is_empty() && !value.is_wrapped_number() && value.dtype() != x.dtype() {
        return Err(Error::runtime(format!(
            "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source.",
            super::capitalized(x.dtype()),
            super::capitalized(value.dtype())
        )));
    }
    let grad = needs_grad(&[x, value]);
    super::check_writable(&view)?;
    if grad {
        // PyTorch names the leaf in the message as it sees it: a view for basic indexing.
        autograd::check_inplace(if advanced.is_empty() { &view } else { x })?;
        check_not_a_view(x)?;
    }
    write_items(&view, &advanced, value, false)?;
    x.storage().bump_version();
    if !grad {
        return Ok(x.clone());
    }
    let name = if advanced.is_empty() {
        "CopySlices"
    } else {
        "IndexPutBackward0"
    };
    Ok(autograd::rebase_inplace(
        name,
        x,
        &[value],
        true,
        put_items_backward(items, value, false),
    ))
}

/// Write `values` into `view` (the basic part of an index already applied) at the advanced
/// indices `adv`, or into all of it when there are none.
fn write_items(
    view: &Tensor,
    adv: &[(usize, Tensor)],
    values: &Tensor,
    accumulate: bool,
) -> Result<()> {
    if !adv.is_empty() {
        index_put_adv(view, adv, values, accumulate)?;
        return Ok(());
    }
    let v = strip_leading_ones(values, view.ndim());
    let v = cast(&broadcast_to(&v, view.sizes())?, view.dtype());
    let v = if super::may_overlap(view, &v) {
        super::copy::clone_contiguous(&v)
    } else {
        v
    };
    if accumulate {
        crate::dispatch_all!(view.dtype(), T => {
            crate::cpu::elementwise::map2::<T, T, T>(view, view, &v, super::binary::add_elem::<T>)
        });
    } else {
        crate::cpu::copy::copy_cast(view, &v);
    }
    Ok(())
}

/// Assignment drops leading size-1 dims of a value with more dims than its target.
fn strip_leading_ones(v: &Tensor, ndim: usize) -> Tensor {
    let mut l = v.layout().clone();
    while l.sizes.len() > ndim && l.sizes[0] == 1 {
        l.sizes.remove(0);
        l.strides.remove(0);
    }
    if l.sizes.len() == v.ndim() {
        v.clone()
    } else {
        v.with_layout(l)
    }
}

/// The backward of writing `values` at `items`: the overwritten positions get no gradient
/// (unless accumulating), the values get the gradient read back at `items`.
fn put_items_backward(
    items: &[IndexItem],
    values: &Tensor,
    accumulate: bool,
) -> autograd::node::BackwardFn {
    let items = items.to_vec();
    let (v_sizes, v_dtype, nv) = (values.dims(), values.dtype(), values.requires_grad());
    Box::new(move |g| {
        let gx = if accumulate {
            g[0].clone()
        } else {
            let zero = Tensor::scalar(Scalar::Int(0), g[0].dtype());
            index_put_items(&g[0], &items, &zero, false)?
        };
        let gv = if nv && v_dtype.is_float() {
            let picked = index(&g[0], &items)?;
            Some(super::copy::to_dtype(
                &reduce_to_shape(&picked, &v_sizes)?,
                v_dtype,
            )?)
        } else {
            None
        };
        Ok(vec![Some(gx), gv])
    })
}

/// Out-of-place `x[items] = values` (or `+=` when accumulating), with autograd.
pub fn index_put_items(
    x: &Tensor,
    items: &[IndexItem],
    values: &Tensor,
    accumulate: bool,
) -> Result<Tensor> {
    let out = fresh_copy(x);
    let (view, adv) = apply_basic(&out, items)?;
    write_items(&view, &adv, values, accumulate)?;
    if needs_grad(&[x, values]) {
        return Ok(record1(
            "IndexPutBackward0",
            &[x, values],
            out,
            true,
            put_items_backward(items, values, accumulate),
        ));
    }
    Ok(out)
}

/// `index_put(indices, values, accumulate)` / `index_put_`: a tuple of index tensors.
pub fn index_put_tensors(
    x: &Tensor,
    indices: &[Tensor],
    values: &Tensor,
    accumulate: bool,
    inplace: bool,
) -> Result<Tensor> {
    if values.dtype() != x.dtype() {
        return Err(Error::runtime(format!(
            "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source.",
            super::capitalized(x.dtype()),
            super::capitalized(values.dtype())
        )));
    }
    if indices.len() > x.ndim() {
        return Err(Error::index(format!(
            "too many indices for tensor of dimension {} (got {})",
            x.ndim(),
            indices.len()
        )));
    }
    for i in indices {
        if !(i.dtype().is_int() || i.dtype() == DType::Bool) {
            return Err(Error::index(
                "tensors used as indices must be long, int, byte or bool tensors",
            ));
        }
    }
    let items: Vec<IndexItem> = indices
        .iter()
        .map(|t| IndexItem::Tensor(t.clone()))
        .collect();
    if !inplace {
        return index_put_items(x, &items, values, accumulate);
    }
    let grad = needs_grad(&[x, values]);
    if grad {
        super::check_writable(x)?;
        autograd::check_inplace(x)?;
        check_not_a_view(x)?;
        let r = index_put_items(&super::copy::clone(x), &items, values, accumulate)?;
        return adopt_result(x, &r);
    }
    super::check_writable(x)?;
    let (view, adv) = apply_basic(x, &items)?;
    write_items(&view, &adv, values, accumulate)?;
    x.storage().bump_version();
    Ok(x.clone())
}

/// Writes with autograd into a view would leave the viewed tensor's history unaware of
/// them (its gradient would silently be wrong), so they are refused.
fn check_not_a_view(x: &Tensor) -> Result<()> {
    if x.base().is_some() {
        return Err(Error::not_implemented(
            "an in-place indexing write with autograd into a view is not supported yet (the viewed tensor's history would miss it); write into the base tensor, or clone() the view first",
        ));
    }
    Ok(())
}

/// Finish an in-place op computed out of place for autograd: `r`'s values go into `x`,
/// and `x` takes `r`'s history (so its grad_fn is the op's own node). Returns the handle
/// to keep.
pub(crate) fn adopt_result(x: &Tensor, r: &Tensor) -> Result<Tensor> {
    crate::cpu::copy::copy_cast(x, r);
    x.storage().bump_version();
    let Some(node) = r.grad_fn() else {
        return Ok(x.clone());
    };
    match x.meta() {
        Some(meta) => {
            {
                let mut inner = meta.lock();
                inner.grad_fn = Some(node);
                inner.output_nr = 0;
            }
            meta.set_requires_grad(true);
            Ok(x.clone())
        }
        None => Ok(
            x.with_meta(Some(crate::autograd::meta::AutogradMeta::with_grad_fn(
                node, 0,
            ))),
        ),
    }
}

/// `x[items] = scalar`.
pub fn index_fill(x: &Tensor, items: &[IndexItem], value: Scalar) -> Result<Tensor> {
    let (view, advanced) = apply_basic(x, items)?;
    if advanced.is_empty() && !needs_grad(&[x]) {
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
    let out = super::try_new_output(&sizes, dt, &[a, b])?;
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
    let size_d = if t.ndim() == 0 {
        1
    } else {
        t.sizes()[d] as i64
    };
    let mut coord = vec![0usize; nd];
    // Unlike `x[idx]`, gather/scatter take no negative indices.
    for (i, &k) in iv.iter().enumerate() {
        if k < 0 || k >= size_d {
            return Err(Error::runtime(format!(
                "index {k} is out of bounds for dimension {d} with size {size_d}"
            )));
        }
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
                Ok(vec![Some(scatter(
                    &zeros,
                    d as i64,
                    &idx,
                    &g[0],
                    Some("add"),
                )?)])
            }),
        ));
    }
    Ok(out)
}

/// Out-of-place `scatter(dim, index, src, reduce)`; `reduce` is None, "add" or "multiply".
pub fn scatter(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    src: &Tensor,
    reduce: Option<&str>,
) -> Result<Tensor> {
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
        let name = if add {
            "ScatterAddBackward0"
        } else {
            "ScatterBackward0"
        };
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
                let gs = if ns {
                    Some(gather(&g[0], d, &idx)?)
                } else {
                    None
                };
                Ok(vec![gx, gs])
            }),
        ));
    }
    Ok(out)
}

/// In-place scatter kernel (no history).
pub fn scatter_into(
    out: &Tensor,
    dim: i64,
    index: &Tensor,
    src: &Tensor,
    reduce: Option<&str>,
) -> Result<()> {
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
        return Err(Error::index(
            "index_select(): Index is supposed to be a vector",
        ));
    }
    if !index.dtype().is_int() {
        return Err(Error::runtime(
            "index_select(): Expected dtype int32/int64 for index",
        ));
    }
    let d = wrap_dim(dim, x.ndim())?;
    let mut items: Vec<IndexItem> = (0..d).map(|_| IndexItem::Slice(None, None, 1)).collect();
    let idx = if index.ndim() == 0 {
        super::shape::reshape(index, &[1])?
    } else {
        index.clone()
    };
    items.push(IndexItem::Tensor(idx));
    // An index out of range is a RuntimeError here, unlike in `x[idx]` (PyTorch's kernels differ).
    let out = {
        let _g = crate::autograd::mode::GradModeGuard::new(false);
        self::index(&x.detach(), &items).map_err(|e| match e.kind {
            crate::error::ErrorKind::Index => Error::runtime(e.message),
            _ => e,
        })?
    };
    if needs_grad(&[x]) {
        let sizes = x.dims();
        let index = index.clone();
        return Ok(record1(
            "IndexSelectBackward0",
            &[x],
            out,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                Ok(vec![Some(index_add(
                    &zeros,
                    d as i64,
                    &index,
                    &g[0],
                    Scalar::Int(1),
                    false,
                )?)])
            }),
        ));
    }
    Ok(out)
}

// --- index_add / index_copy / index_fill along a dim ------------------------------------

/// `t` without dim `d`, at position `k` along it (a plain view: kernel plumbing).
fn slice_at(t: &Tensor, d: usize, k: usize) -> Tensor {
    let mut l = t.layout().clone();
    l.offset = (l.offset as isize + k as isize * l.strides[d]) as usize;
    l.sizes.remove(d);
    l.strides.remove(d);
    t.with_layout(l)
}

/// `t` as at least 1-d, sharing its memory (0-dim tensors index as one-element vectors).
fn as_1d(t: &Tensor) -> Tensor {
    if t.ndim() > 0 {
        return t.clone();
    }
    let mut l = t.layout().clone();
    l.sizes.push(1);
    l.strides.push(1);
    t.with_layout(l)
}

/// Index values of a vector index for an op along a dim.
fn index_vector(index: &Tensor, op: &str, allow_int32: bool) -> Result<Vec<i64>> {
    let ok = index.dtype() == DType::I64 || (allow_int32 && index.dtype() == DType::I32);
    if !ok {
        return Err(if allow_int32 {
            Error::runtime(format!(
                "{op}(): Expected dtype int32/int64 for index but got: {}",
                super::capitalized(index.dtype())
            ))
        } else if op == "index_fill_" {
            Error::index("index_fill_(): Expected dtype int64 for index.")
        } else {
            Error::runtime(format!(
                "{op}(): Expected a long tensor for index, but got {}",
                super::capitalized(index.dtype())
            ))
        });
    }
    if index.ndim() > 1 {
        return Err(if op == "index_fill_" {
            Error::runtime("Index has to be a vector/scalar")
        } else {
            Error::index(format!("{op}(): Index is supposed to be a vector"))
        });
    }
    Ok(cast(index, DType::I64).to_vec::<i64>())
}

/// Shared checks of index_add/index_copy: dtypes, the number of indices, the other dims.
fn check_index_source(x: &Tensor, d: usize, n: usize, source: &Tensor, op: &str) -> Result<()> {
    if source.dtype() != x.dtype() {
        return Err(Error::runtime(if op == "index_add_" {
            format!(
                "index_add_(): self ({}) and source ({}) must have the same scalar type",
                super::capitalized(x.dtype()),
                super::capitalized(source.dtype())
            )
        } else {
            format!(
                "index_copy_(): self and source expected to have the same dtype, but got (self) {} and (source) {}",
                super::capitalized(x.dtype()),
                super::capitalized(source.dtype())
            )
        }));
    }
    let src_n = if source.ndim() == 0 {
        1
    } else {
        source.sizes().get(d).copied().unwrap_or(1)
    };
    if src_n != n {
        return Err(if op == "index_add_" {
            Error::runtime(format!(
                "index_add_(): Number of indices ({n}) should be equal to source.size(dim): ({src_n}), for dim: {d}"
            ))
        } else {
            Error::index(format!(
                "index_copy_(): Number of indices ({n}) should be equal to source.size(dim) ({src_n})"
            ))
        });
    }
    let (xs, ss) = (as_1d(x), as_1d(source));
    let same =
        xs.ndim() == ss.ndim() && (0..xs.ndim()).all(|k| k == d || xs.sizes()[k] == ss.sizes()[k]);
    if !same {
        return Err(Error::runtime(if op == "index_add_" {
            format!(
                "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = {} source.shape = {}",
                crate::shape::fmt_sizes(x.sizes()),
                crate::shape::fmt_sizes(source.sizes())
            )
        } else {
            format!(
                "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: {} at dimension {d} and source slice shape: {} at dimension 0.",
                fmt_slice(&xs, d),
                fmt_slice(&ss, d.min(ss.ndim().saturating_sub(1)))
            )
        }));
    }
    Ok(())
}

fn fmt_slice(t: &Tensor, d: usize) -> String {
    let mut s: Vec<usize> = t.sizes().to_vec();
    if d < s.len() {
        s.remove(d);
    }
    s.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kernel of index_add_/index_copy_: `x[.., index[i], ..] (+)= alpha * source[.., i, ..]`.
fn index_accumulate(
    x: &Tensor,
    d: usize,
    idx: &[i64],
    source: &Tensor,
    alpha: Option<Scalar>,
) -> Result<()> {
    let (xs, ss) = (as_1d(x), as_1d(source));
    let ss = if super::may_overlap(&xs, &ss) {
        super::copy::clone_contiguous(&ss)
    } else {
        ss
    };
    let size = xs.sizes()[d];
    for &k in idx {
        if k < 0 || k as usize >= size {
            return Err(match alpha {
                Some(_) => Error::index("index out of range in self"),
                None => Error::index(format!(
                    "index_copy_(): index {k} is out of bounds for dimension {d} with size {size}"
                )),
            });
        }
    }
    for (i, &k) in idx.iter().enumerate() {
        let (dst, src) = (slice_at(&xs, d, k as usize), slice_at(&ss, d, i));
        match alpha {
            None => crate::cpu::copy::copy_cast(&dst, &src),
            Some(a) => crate::dispatch_all!(x.dtype(), T => {
                use crate::cpu::math::Arith;
                let a = T::from_scalar(a);
                crate::cpu::elementwise::map2::<T, T, T>(&dst, &dst, &src, move |u, v| u.add(a.mul(v)));
            }),
        }
    }
    Ok(())
}

/// Run an op in place on `x` or on a copy of it. With autograd, the in-place form runs the
/// out-of-place op on a clone and adopts its result and history, so the node has the op's
/// name and the saved inputs are never the overwritten ones.
fn in_or_out_of_place(
    x: &Tensor,
    others: &[&Tensor],
    inplace: bool,
    kernel: impl FnOnce(&Tensor) -> Result<()>,
    out_of_place: impl FnOnce(&Tensor) -> Result<Tensor>,
    record: impl FnOnce(Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let mut all = vec![x];
    all.extend_from_slice(others);
    let grad = needs_grad(&all);
    if inplace {
        super::copy::begin_inplace(x, grad)?;
        if grad {
            check_not_a_view(x)?;
            let r = out_of_place(&super::copy::clone(x))?;
            return adopt_result(x, &r);
        }
        kernel(x)?;
        x.storage().bump_version();
        return Ok(x.clone());
    }
    let out = fresh_copy(x);
    kernel(&out)?;
    if grad {
        return record(out);
    }
    Ok(out)
}

/// `index_add(dim, index, source, alpha)` / `index_add_`.
pub fn index_add(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    source: &Tensor,
    alpha: Scalar,
    inplace: bool,
) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    let idx = index_vector(index, "index_add_", true)?;
    check_index_source(x, d, idx.len(), source, "index_add_")?;
    in_or_out_of_place(
        x,
        &[source],
        inplace,
        |t| index_accumulate(t, d, &idx, source, Some(alpha)),
        |c| index_add(c, dim, index, source, alpha, false),
        |out| {
            let (index, s_sizes) = (cast(index, DType::I64), source.dims());
            let ns = source.requires_grad();
            Ok(record1(
                "IndexAddBackward0",
                &[x, source],
                out,
                true,
                Box::new(move |g| {
                    let gs = if ns {
                        let picked = index_select(&g[0], d as i64, &index)?;
                        let scaled = super::binary::mul(&picked, &Tensor::wrapped_scalar(alpha))?;
                        Some(super::shape::reshape(&scaled, &to_i64(&s_sizes))?)
                    } else {
                        None
                    };
                    Ok(vec![Some(g[0].clone()), gs])
                }),
            ))
        },
    )
}

/// `index_copy(dim, index, source)` / `index_copy_`.
pub fn index_copy(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    source: &Tensor,
    inplace: bool,
) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    let idx = index_vector(index, "index_copy_", false)?;
    check_index_source(x, d, idx.len(), source, "index_copy_")?;
    in_or_out_of_place(
        x,
        &[source],
        inplace,
        |t| index_accumulate(t, d, &idx, source, None),
        |c| index_copy(c, dim, index, source, false),
        |out| {
            let (index, s_sizes) = (index.clone(), source.dims());
            let ns = source.requires_grad();
            Ok(record1(
                "IndexCopyBackward0",
                &[x, source],
                out,
                true,
                Box::new(move |g| {
                    let gx = index_fill_dim(
                        &g[0],
                        d as i64,
                        &index,
                        &FillValue::Scalar(Scalar::Int(0)),
                        false,
                    )?;
                    let gs = if ns {
                        let picked = index_select(&g[0], d as i64, &index)?;
                        Some(super::shape::reshape(&picked, &to_i64(&s_sizes))?)
                    } else {
                        None
                    };
                    Ok(vec![Some(gx), gs])
                }),
            ))
        },
    )
}

fn to_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&v| v as i64).collect()
}

/// The value of index_fill: a number or a 0-dim tensor (differentiable).
#[derive(Clone)]
pub enum FillValue {
    Scalar(Scalar),
    Tensor(Tensor),
}

/// `index_fill(dim, index, value)` / `index_fill_`.
pub fn index_fill_dim(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    value: &FillValue,
    inplace: bool,
) -> Result<Tensor> {
    let d = wrap_dim(dim, x.ndim())?;
    let idx = index_vector(index, "index_fill_", false)?;
    let v = match value {
        FillValue::Scalar(s) => *s,
        FillValue::Tensor(t) => {
            if t.ndim() != 0 {
                return Err(Error::runtime(format!(
                    "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                    t.ndim()
                )));
            }
            t.item()?
        }
    };
    let size = if x.ndim() == 0 {
        1
    } else {
        x.sizes()[d] as i64
    };
    let mut wrapped = Vec::with_capacity(idx.len());
    for &k in &idx {
        if k < -size || k >= size {
            return Err(Error::index(format!(
                "index {k} is out of bounds for dimension {d} with size {size}"
            )));
        }
        wrapped.push(if k < 0 { k + size } else { k } as usize);
    }
    let vt = match value {
        FillValue::Tensor(t) => vec![t],
        FillValue::Scalar(_) => vec![],
    };
    in_or_out_of_place(
        x,
        &vt,
        inplace,
        |t| {
            let xs = as_1d(t);
            crate::dispatch_all!(t.dtype(), T => {
                let val = T::from_scalar(v);
                for &k in &wrapped {
                    crate::cpu::elementwise::fill::<T>(&slice_at(&xs, d, k), val);
                }
            });
            Ok(())
        },
        |c| index_fill_dim(c, dim, index, value, false),
        |out| {
            let index = index.clone();
            let value_needs = matches!(value, FillValue::Tensor(t) if t.requires_grad());
            let (name, inputs): (&'static str, Vec<&Tensor>) = match value {
                FillValue::Tensor(t) => ("IndexFillBackward1", vec![x, t]),
                FillValue::Scalar(_) => ("IndexFillBackward0", vec![x]),
            };
            Ok(record1(
                name,
                &inputs,
                out,
                true,
                Box::new(move |g| {
                    let gx = index_fill_dim(
                        &g[0],
                        d as i64,
                        &index,
                        &FillValue::Scalar(Scalar::Int(0)),
                        false,
                    )?;
                    let mut r = vec![Some(gx)];
                    if value_needs {
                        let picked = index_select(&g[0], d as i64, &index)?;
                        r.push(Some(super::reduce::sum(&picked, None, false, None)?));
                    }
                    Ok(r)
                }),
            ))
        },
    )
}

// --- masks --------------------------------------------------------------------------------

fn check_bool_mask(mask: &Tensor, op: &str) -> Result<()> {
    if mask.dtype() != DType::Bool {
        return Err(Error::runtime(match op {
            "masked_select" => "masked_select: expected BoolTensor for mask".to_string(),
            _ => format!(
                "masked_scatter_ only supports boolean masks, but got mask with dtype {}",
                super::capitalized(mask.dtype())
            ),
        }));
    }
    Ok(())
}

/// `masked_select(mask)`: the elements where the (broadcast) mask is true, as a vector.
pub fn masked_select(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    check_bool_mask(mask, "masked_select")?;
    let sizes = broadcast_all(&[x.sizes(), mask.sizes()])?;
    let xb = super::copy::clone_contiguous(&broadcast_to(x, &sizes)?);
    let mb = super::copy::clone_contiguous(&broadcast_to(mask, &sizes)?).to_vec::<bool>();
    let out = crate::dispatch_all!(x.dtype(), T => {
        let v = xb.to_vec::<T>();
        let picked: Vec<T> = v.iter().zip(&mb).filter(|(_, &m)| m).map(|(&e, _)| e).collect();
        let n = picked.len();
        Tensor::from_vec(picked, &[n])?
    });
    if needs_grad(&[x]) {
        let (mask, x_sizes) = (mask.clone(), x.dims());
        return Ok(record1(
            "MaskedSelectBackward0",
            &[x],
            out,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                let m = broadcast_to(&mask, &sizes)?;
                let spread = masked_scatter(&zeros, &m, &g[0], false)?;
                Ok(vec![Some(super::reduce::sum_to_size(&spread, &x_sizes)?)])
            }),
        ));
    }
    Ok(out)
}

/// `masked_scatter(mask, source)` / `masked_scatter_`: the positions where the mask is true
/// take the source's elements in order.
pub fn masked_scatter(x: &Tensor, mask: &Tensor, source: &Tensor, inplace: bool) -> Result<Tensor> {
    check_bool_mask(mask, "masked_scatter")?;
    if source.dtype() != x.dtype() {
        return Err(Error::runtime(format!(
            "masked_scatter: expected self and source to have same dtypes but got {} and {}",
            super::capitalized(x.dtype()),
            super::capitalized(source.dtype())
        )));
    }
    if !inplace {
        // The out-of-place form broadcasts self and mask together.
        let sizes = broadcast_all(&[x.sizes(), mask.sizes()])?;
        if sizes.as_slice() != x.sizes() {
            let xb = super::shape::expand(x, &to_i64(&sizes))?;
            return masked_scatter(&xb, mask, source, false);
        }
    }
    let m = broadcast_to(mask, x.sizes()).map_err(|_| {
        Error::runtime(format!(
            "masked_scatter_: expected mask of shape {} to be broadcastable to self of shape {}",
            crate::shape::fmt_sizes(mask.sizes()),
            crate::shape::fmt_sizes(x.sizes())
        ))
    })?;
    let mv = super::copy::clone_contiguous(&m).to_vec::<bool>();
    let count = mv.iter().filter(|&&b| b).count();
    if count > source.numel() {
        return Err(Error::runtime(
            "Number of elements of source < number of ones in mask",
        ));
    }
    let src = super::copy::clone_contiguous(source);
    in_or_out_of_place(
        x,
        &[source],
        inplace,
        |t| {
            crate::dispatch_all!(t.dtype(), T => {
                let ps = src.data_ptr::<T>();
                let mut k = 0usize;
                for_each_offset(t, |i, off| {
                    if mv[i] {
                        unsafe { *t.data_ptr_mut::<T>().offset(off) = *ps.add(k) };
                        k += 1;
                    }
                });
            });
            Ok(())
        },
        |c| masked_scatter(c, mask, source, false),
        |out| {
            let (m, s_sizes, n_src) = (m.clone(), source.dims(), source.numel());
            let ns = source.requires_grad();
            Ok(record1(
                "MaskedScatterBackward0",
                &[x, source],
                out,
                true,
                Box::new(move |g| {
                    let zero = Tensor::scalar(Scalar::Int(0), g[0].dtype());
                    let gx = masked_fill(&g[0], &m, &zero)?;
                    let gs = if ns {
                        let picked = masked_select(&g[0], &m)?;
                        let pad = Tensor::zeros(&[n_src - picked.numel()], g[0].dtype());
                        let full = super::shape::cat(&[picked, pad], 0)?;
                        Some(super::shape::reshape(&full, &to_i64(&s_sizes))?)
                    } else {
                        None
                    };
                    Ok(vec![Some(gx), gs])
                }),
            ))
        },
    )
}

/// Calls `f(row_major_index, offset)` for every element of `t`.
fn for_each_offset(t: &Tensor, mut f: impl FnMut(usize, isize)) {
    let nd = t.ndim();
    let mut coord = vec![0usize; nd];
    let mut off = 0isize;
    for i in 0..t.numel() {
        f(i, off);
        for k in (0..nd).rev() {
            coord[k] += 1;
            off += t.strides()[k];
            if coord[k] < t.sizes()[k] {
                break;
            }
            off -= coord[k] as isize * t.strides()[k];
            coord[k] = 0;
        }
    }
}

/// Offsets of the row-major positions `index` (negative ones counting from the end).
fn flat_offsets(t: &Tensor, index: &Tensor) -> Result<Vec<isize>> {
    let n = t.numel() as i64;
    let iv = super::copy::clone_contiguous(index).to_vec::<i64>();
    let contiguous = t.is_contiguous();
    iv.iter()
        .map(|&k| {
            if k < -n || k >= n {
                return Err(Error::index(format!(
                    "out of range: tried to access index {k} on a tensor of {n} elements."
                )));
            }
            let mut rem = if k < 0 { k + n } else { k } as usize;
            if contiguous {
                return Ok(rem as isize);
            }
            let mut off = 0isize;
            for d in (0..t.ndim()).rev() {
                let s = t.sizes()[d];
                off += (rem % s) as isize * t.strides()[d];
                rem /= s;
            }
            Ok(off)
        })
        .collect()
}

/// `take(index)`: elements at row-major positions, shaped like `index`.
pub fn take(x: &Tensor, index: &Tensor) -> Result<Tensor> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "take(): Expected a long tensor for index, but got {}",
            super::capitalized(index.dtype())
        )));
    }
    let offs = flat_offsets(x, index)?;
    let out = Tensor::empty(index.sizes(), x.dtype());
    crate::dispatch_all!(x.dtype(), T => {
        let (px, po) = (x.data_ptr::<T>(), out.data_ptr_mut::<T>());
        for (i, &o) in offs.iter().enumerate() {
            unsafe { *po.add(i) = *px.offset(o) };
        }
    });
    if needs_grad(&[x]) {
        let (index, sizes) = (index.clone(), x.dims());
        return Ok(record1(
            "TakeBackward0",
            &[x],
            out,
            true,
            Box::new(move |g| {
                let zeros = Tensor::zeros(&sizes, g[0].dtype());
                Ok(vec![Some(put(&zeros, &index, &g[0], true, false)?)])
            }),
        ));
    }
    Ok(out)
}

/// `put(index, source, accumulate)` / `put_`: write at row-major positions.
pub fn put(
    x: &Tensor,
    index: &Tensor,
    source: &Tensor,
    accumulate: bool,
    inplace: bool,
) -> Result<Tensor> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "put_(): Expected a long tensor for index, but got {}",
            super::capitalized(index.dtype())
        )));
    }
    if source.dtype() != x.dtype() {
        return Err(Error::runtime(format!(
            "put_(): self and source expected to have the same dtype, but got self.dtype = {} and source.dtype = {}",
            super::capitalized(x.dtype()),
            super::capitalized(source.dtype())
        )));
    }
    if source.numel() != index.numel() {
        return Err(Error::index(format!(
            "put_(): Expected source and index to have the same number of elements, but got source.numel() = {}, index.numel() = {}",
            source.numel(),
            index.numel()
        )));
    }
    let src = super::copy::clone_contiguous(source);
    in_or_out_of_place(
        x,
        &[source],
        inplace,
        |t| {
            let offs = flat_offsets(t, index)?;
            crate::dispatch_all!(t.dtype(), T => {
                use crate::cpu::math::Arith;
                let (pt, ps) = (t.data_ptr_mut::<T>(), src.data_ptr::<T>());
                for (i, &o) in offs.iter().enumerate() {
                    unsafe {
                        let p = pt.offset(o);
                        *p = if accumulate { (*p).add(*ps.add(i)) } else { *ps.add(i) };
                    }
                }
            });
            Ok(())
        },
        |c| put(c, index, source, accumulate, false),
        |out| {
            let (index, s_sizes) = (index.clone(), source.dims());
            let ns = source.requires_grad();
            Ok(record1(
                "PutBackward0",
                &[x, source],
                out,
                true,
                Box::new(move |g| {
                    let gx = if accumulate {
                        g[0].clone()
                    } else {
                        let zeros = Tensor::zeros(&s_sizes, g[0].dtype());
                        put(&g[0], &index, &zeros, false, false)?
                    };
                    let gs = if ns {
                        Some(super::shape::reshape(
                            &take(&g[0], &index)?,
                            &to_i64(&s_sizes),
                        )?)
                    } else {
                        None
                    };
                    Ok(vec![Some(gx), gs])
                }),
            ))
        },
    )
}

/// `take_along_dim(indices, dim)`: gather with broadcasting; the flattened input when
/// `dim` is None.
pub fn take_along_dim(x: &Tensor, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
    if indices.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "torch.take_along_dim(): dtype of indices should be Long but got {}",
            super::capitalized(indices.dtype())
        )));
    }
    let Some(dim) = dim else {
        let flat = super::shape::reshape(x, &[-1])?;
        let idx = super::shape::reshape(indices, &[-1])?;
        return gather(&flat, 0, &idx);
    };
    if x.ndim() != indices.ndim() {
        return Err(Error::runtime(format!(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices",
            x.ndim(),
            indices.ndim()
        )));
    }
    let d = wrap_dim(dim, x.ndim())?;
    if x.ndim() == 0 {
        return gather(x, dim, indices);
    }
    let mut want = x.dims();
    want[d] = indices.sizes()[d];
    let b = crate::shape::broadcast_shapes(&want, indices.sizes())?;
    let ib = broadcast_to(indices, &b)?;
    let mut xs = b.clone();
    xs[d] = x.sizes()[d];
    let xb = if xs.as_slice() == x.sizes() {
        x.clone()
    } else {
        super::shape::expand(x, &to_i64(&xs))?
    };
    gather(&xb, d as i64, &ib)
}

// --- scatter_reduce -----------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Reduction {
    Sum,
    Prod,
    Mean,
    Amax,
    Amin,
}

/// `scatter_reduce(dim, index, src, reduce, include_self)` / `scatter_reduce_`.
pub fn scatter_reduce(
    x: &Tensor,
    dim: i64,
    index: &Tensor,
    src: &Tensor,
    reduce: &str,
    include_self: bool,
    inplace: bool,
) -> Result<Tensor> {
    let r = match reduce {
        "sum" => Reduction::Sum,
        "prod" => Reduction::Prod,
        "mean" => Reduction::Mean,
        "amax" => Reduction::Amax,
        "amin" => Reduction::Amin,
        other => {
            return Err(Error::runtime(format!(
                "reduce argument must be either sum, prod, mean, amax or amin, got {other}"
            )))
        }
    };
    let d = wrap_dim(dim, x.ndim())?;
    if src.dtype() != x.dtype() {
        return Err(Error::runtime(
            "scatter(): Expected self.dtype to be equal to src.dtype",
        ));
    }
    if r == Reduction::Mean && x.dtype() == DType::Bool {
        return Err(Error::not_implemented(
            "\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'",
        ));
    }
    check_gather_shapes(x, d, index, "scatter")?;
    for k in 0..index.ndim() {
        if index.sizes()[k] > src.sizes().get(k).copied().unwrap_or(1) {
            return Err(Error::runtime(format!(
                "Expected index {} to be smaller than src {} apart from dimension {d}",
                crate::shape::fmt_sizes(index.sizes()),
                crate::shape::fmt_sizes(src.sizes())
            )));
        }
    }
    in_or_out_of_place(
        x,
        &[src],
        inplace,
        |t| scatter_reduce_kernel(t, d, index, src, r, include_self),
        |c| scatter_reduce(c, dim, index, src, reduce, include_self, false),
        |out| {
            let sx = autograd::SavedTensor::input(x);
            let ss = autograd::SavedTensor::input(src);
            let so = out.detach();
            let idx = index.clone();
            let (nx, ns) = (x.requires_grad(), src.requires_grad());
            Ok(record1(
                "ScatterReduceBackward0",
                &[x, src],
                out,
                true,
                Box::new(move |g| {
                    let (x, s) = (sx.unpack()?, ss.unpack()?);
                    // Under create_graph prod's gradient must differentiate through the
                    // result too: recompute it with history.
                    let result =
                        if matches!(r, Reduction::Prod) && autograd::mode::is_grad_enabled() {
                            scatter_reduce(&x, d as i64, &idx, &s, "prod", include_self, false)?
                        } else {
                            so.clone()
                        };
                    let (gx, gs) = scatter_reduce_backward(
                        &g[0],
                        &x,
                        &s,
                        &result,
                        d as i64,
                        &idx,
                        r,
                        include_self,
                    )?;
                    Ok(vec![
                        if nx { Some(gx) } else { None },
                        if ns { Some(gs) } else { None },
                    ])
                }),
            ))
        },
    )
}

/// Where `index` writes along `d` in a tensor of `sizes`: a bool mask.
fn scattered_mask(sizes: &[usize], d: i64, index: &Tensor) -> Result<Tensor> {
    let m = Tensor::zeros(sizes, DType::Bool);
    scatter_into(
        &m,
        d,
        index,
        &Tensor::wrapped_scalar(Scalar::Bool(true)),
        None,
    )?;
    Ok(m)
}

fn scatter_reduce_kernel(
    t: &Tensor,
    d: usize,
    index: &Tensor,
    src: &Tensor,
    r: Reduction,
    include_self: bool,
) -> Result<()> {
    let sv = super::copy::clone_contiguous(&src.with_layout(src_view_layout(src, index)));
    // On a contiguous buffer, element offsets are row-major positions.
    let c = if t.is_contiguous() {
        t.clone()
    } else {
        super::copy::clone_contiguous(t)
    };
    let n = c.numel();
    // Per target element: how many values it combines (for mean) and whether src reached it.
    let mut count = vec![u32::from(include_self); n];
    crate::dispatch_all!(c.dtype(), T => {
        use crate::cpu::math::Arith;
        let pt = c.data_ptr_mut::<T>();
        let ps = sv.data_ptr::<T>();
        for_each_indexed(&c, d, index, |i, off| {
            let li = off as usize;
            unsafe {
                let p = pt.add(li);
                let v = *ps.add(i);
                *p = if count[li] == 0 {
                    v
                } else {
                    match r {
                        Reduction::Sum | Reduction::Mean => (*p).add(v),
                        Reduction::Prod => (*p).mul(v),
                        Reduction::Amax => (*p).max_nan(v),
                        Reduction::Amin => (*p).min_nan(v),
                    }
                };
            }
            count[li] += 1;
            Ok(())
        })?;
        if r == Reduction::Mean {
            for (li, &k) in count.iter().enumerate() {
                if k > 1 {
                    unsafe {
                        let p = pt.add(li);
                        // Integer means round down, as PyTorch's floor division does.
                        *p = if T::DTYPE.is_float() {
                            T::from_f64((*p).to_f64() / k as f64)
                        } else {
                            T::from_i64((*p).to_i64().div_euclid(k as i64))
                        };
                    }
                }
            }
        }
    });
    if !t.is_contiguous() {
        crate::cpu::copy::copy_cast(t, &c);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn scatter_reduce_backward(
    g: &Tensor,
    x: &Tensor,
    src: &Tensor,
    result: &Tensor,
    d: i64,
    index: &Tensor,
    r: Reduction,
    include_self: bool,
) -> Result<(Tensor, Tensor)> {
    use super::binary::{div, eq, mul};
    let f = |t: &Tensor| super::copy::to_dtype(t, g.dtype());
    let zero = Tensor::wrapped_scalar(Scalar::Int(0));
    let one = Tensor::wrapped_scalar(Scalar::Int(1));
    let mask = scattered_mask(x.sizes(), d, index)?;
    let (gx, gs) = match r {
        Reduction::Sum => (g.clone(), gather(g, d, index)?),
        Reduction::Mean => {
            let base = if include_self {
                super::creation::ones_like(g)
            } else {
                Tensor::zeros(g.sizes(), g.dtype())
            };
            let ones = super::creation::full(index.sizes(), Scalar::Int(1), g.dtype())?;
            let n = scatter(&base, d, index, &ones, Some("add"))?;
            let n = where_(&eq(&n, &zero)?, &one, &n)?;
            (
                div(g, &n)?,
                div(&gather(g, d, index)?, &gather(&n, d, index)?)?,
            )
        }
        Reduction::Amax | Reduction::Amin => {
            // Ties share the gradient evenly.
            let value = gather(result, d, index)?;
            let mut self_hit = eq(x, result)?;
            if !include_self {
                self_hit = where_(
                    &mask,
                    &Tensor::wrapped_scalar(Scalar::Bool(false)),
                    &self_hit,
                )?;
            }
            let src_hit = eq(&src_part(src, index)?, &value)?;
            let n = scatter(&f(&self_hit)?, d, index, &f(&src_hit)?, Some("add"))?;
            let share = div(g, &n)?;
            (
                mul(&share, &f(&self_hit)?)?,
                mul(&gather(&share, d, index)?, &f(&src_hit)?)?,
            )
        }
        Reduction::Prod => {
            // grad * result / value, with zeros handled through products that skip them.
            let srcv = src_part(src, index)?;
            let x_zero = eq(x, &zero)?;
            let safe_x = where_(&x_zero, &one, x)?;
            let r_masked_self =
                scatter_reduce(&safe_x, d, index, &srcv, "prod", include_self, false)?;
            let gx = mul(g, &div(&r_masked_self, &safe_x)?)?;
            let s_zero = eq(&srcv, &zero)?;
            let zeros_per_slot = scatter(
                &Tensor::zeros(x.sizes(), g.dtype()),
                d,
                index,
                &f(&s_zero)?,
                Some("add"),
            )?;
            let s_zero_count = gather(&zeros_per_slot, d, index)?;
            let single = super::binary::binary(
                &super::binary::LOGICAL_AND,
                &s_zero,
                &eq(&s_zero_count, &one)?,
            )?;
            let safe_src = where_(&single, &one, &srcv)?;
            let r_masked_src = scatter_reduce(x, d, index, &safe_src, "prod", include_self, false)?;
            let via_zero = gather(&mul(g, &r_masked_src)?, d, index)?;
            let via_div = div(
                &gather(&mul(g, result)?, d, index)?,
                &where_(&s_zero, &one, &srcv)?,
            )?;
            (gx, where_(&single, &via_zero, &via_div)?)
        }
    };
    let gx = if include_self {
        gx
    } else {
        masked_fill(&gx, &mask, &Tensor::scalar(Scalar::Int(0), g.dtype()))?
    };
    // The gradient of src covers only the part the index reads; pad the rest with zeros.
    let gs = if gs.sizes() != src.sizes() {
        let part: Vec<IndexItem> = index
            .sizes()
            .iter()
            .map(|&k| IndexItem::Slice(Some(0), Some(k as i64), 1))
            .collect();
        index_put_items(&Tensor::zeros(src.sizes(), g.dtype()), &part, &gs, false)?
    } else {
        gs
    };
    Ok((gx, gs))
}

/// The part of `src` that an index of this shape reads (a view with the index's sizes).
/// The part of `src` that `index` reads, as a view that keeps `src`'s history (the
/// backward differentiates through it under create_graph).
fn src_part(src: &Tensor, index: &Tensor) -> Result<Tensor> {
    let mut part = src.clone();
    for (d, &k) in index.sizes().iter().enumerate() {
        if k != part.sizes()[d] {
            part = super::shape::narrow(&part, d as i64, 0, k)?;
        }
    }
    Ok(part)
}

fn src_view_layout(src: &Tensor, index: &Tensor) -> crate::layout::Layout {
    let mut l = src.layout().clone();
    l.sizes = index.dims();
    l
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
        let r = index(
            &x,
            &[IndexItem::Int(-1), IndexItem::Slice(Some(1), None, 2)],
        )
        .unwrap();
        assert_eq!(r.to_f64_vec(), vec![9.0, 11.0]);
        let i = m(vec![2, 0], &[2]);
        let r = index(
            &x,
            &[
                IndexItem::Slice(None, None, 1),
                IndexItem::Tensor(i.clone()),
            ],
        )
        .unwrap();
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
        assert_eq!(
            index(&x, &[IndexItem::Tensor(mask)]).unwrap().to_f64_vec(),
            vec![4.0, 5.0]
        );
        let idx = m(vec![2, 0], &[2, 1]);
        let g = gather(&x, 1, &idx).unwrap();
        assert_eq!(g.to_f64_vec(), vec![2.0, 3.0]);
        let z = m(vec![0; 6], &[2, 3]);
        let s = scatter(&z, 1, &idx, &m(vec![7, 8], &[2, 1]), None).unwrap();
        assert_eq!(s.to_f64_vec(), vec![0.0, 0.0, 7.0, 8.0, 0.0, 0.0]);
    }
}
