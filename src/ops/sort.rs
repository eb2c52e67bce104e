//! Sorting and searching: sort, topk, kthvalue, median, mode, quantile, unique,
//! searchsorted, bincount, histc.
//!
//! Every comparison goes through an order-preserving integer key per element (NaN largest,
//! -0 equal to +0), sorted together with the element's position so ties always keep their
//! original order: the sorts are stable, whatever `stable` says.

use super::binary::{add, mul, sub};
use super::index::{gather, scatter, where_};
use super::shape::{movedim, reshape};
use super::{cast, new_output};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::cpu::iter::{SendPtr, GRAIN};
use crate::dtype::{DType, Element, FloatElement, Operand, Scalar};
use crate::error::{Error, Result};
use crate::shape::{fmt_sizes, wrap_dim};
use crate::tensor::Tensor;
use half::{bf16, f16};
use rayon::prelude::*;

// --- keys -------------------------------------------------------------------------------

/// An element type with an unsigned key whose integer order is PyTorch's sort order.
pub(crate) trait SortKey: Element {
    /// How many low bits the key uses.
    const BITS: u32;
    fn key(self) -> u64;
    #[inline(always)]
    fn is_nan(self) -> bool {
        #[allow(clippy::eq_op)]
        let nan = self != self;
        nan
    }
}

impl SortKey for bool {
    const BITS: u32 = 1;
    #[inline(always)]
    fn key(self) -> u64 {
        self as u64
    }
}

macro_rules! unsigned_key {
    ($($t:ty),*) => {$(
        impl SortKey for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)]
            fn key(self) -> u64 {
                self as u64
            }
        }
    )*};
}
unsigned_key!(u8);

macro_rules! signed_key {
    ($($t:ty => $u:ty),*) => {$(
        impl SortKey for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)]
            fn key(self) -> u64 {
                // Flipping the sign bit maps two's complement order onto unsigned order.
                ((self as $u) ^ (1 << (<$t>::BITS - 1))) as u64
            }
        }
    )*};
}
signed_key!(i8 => u8, i16 => u16, i32 => u32, i64 => u64);

#[inline(always)]
fn f32_key(v: f32) -> u64 {
    if v.is_nan() {
        return u32::MAX as u64;
    }
    // +0.0 for -0.0, so the two compare equal.
    let bits = (v + 0.0).to_bits();
    (if bits >> 31 == 1 {
        !bits
    } else {
        bits | (1 << 31)
    }) as u64
}

impl SortKey for f32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn key(self) -> u64 {
        f32_key(self)
    }
}

impl SortKey for f64 {
    const BITS: u32 = 64;
    #[inline(always)]
    fn key(self) -> u64 {
        if self.is_nan() {
            return u64::MAX;
        }
        let bits = (self + 0.0).to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    }
}

impl SortKey for f16 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn key(self) -> u64 {
        f32_key(self.to_f32())
    }
}

impl SortKey for bf16 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn key(self) -> u64 {
        f32_key(self.to_f32())
    }
}

/// Run `$body` with `$T` bound to the element type of `$dt` (all dtypes implement SortKey).
macro_rules! dispatch_key {
    ($dt:expr, $T:ident => $body:expr) => {
        crate::dispatch_all!($dt, $T => $body)
    };
}

/// Positions of one lane in key order (ties by position). Keys and positions are packed into
/// one u64 when they fit, which makes the sort a plain integer sort.
enum Order {
    Packed { items: Vec<u64>, shift: u32 },
    Pairs(Vec<(u64, u64)>),
}

impl Order {
    fn new<T: SortKey>(vals: &[T], descending: bool) -> Order {
        let n = vals.len();
        let shift = usize::BITS - n.leading_zeros();
        let mask = if T::BITS == 64 {
            u64::MAX
        } else {
            (1u64 << T::BITS) - 1
        };
        let key = |v: T| if descending { !v.key() & mask } else { v.key() };
        if T::BITS + shift <= 64 {
            let items = vals
                .iter()
                .enumerate()
                .map(|(i, &v)| (key(v) << shift) | i as u64)
                .collect();
            Order::Packed { items, shift }
        } else {
            Order::Pairs(
                vals.iter()
                    .enumerate()
                    .map(|(i, &v)| (key(v), i as u64))
                    .collect(),
            )
        }
    }

    fn sort(&mut self) {
        match self {
            Order::Packed { items, .. } => items.sort_unstable(),
            Order::Pairs(items) => items.sort_unstable(),
        }
    }

    /// Put the `k` first positions in order, leaving the rest unordered.
    fn sort_first(&mut self, k: usize) {
        let n = self.len();
        if k == 0 {
            return;
        }
        if k >= n / 2 {
            return self.sort();
        }
        match self {
            Order::Packed { items, .. } => {
                items.select_nth_unstable(k - 1);
                items[..k].sort_unstable();
            }
            Order::Pairs(items) => {
                items.select_nth_unstable(k - 1);
                items[..k].sort_unstable();
            }
        }
    }

    /// Place the `k`-th position correctly (quickselect).
    fn select(&mut self, k: usize) {
        match self {
            Order::Packed { items, .. } => {
                items.select_nth_unstable(k);
            }
            Order::Pairs(items) => {
                items.select_nth_unstable(k);
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Order::Packed { items, .. } => items.len(),
            Order::Pairs(items) => items.len(),
        }
    }

    #[inline(always)]
    fn pos(&self, i: usize) -> usize {
        match self {
            Order::Packed { items, shift } => (items[i] & ((1u64 << *shift) - 1)) as usize,
            Order::Pairs(items) => items[i].1 as usize,
        }
    }
}

// --- lanes ------------------------------------------------------------------------------

/// Calls `f(offsets)` for every lane along `d` of `sizes`: one base offset per operand
/// (in elements). Large jobs run lanes on several threads.
fn for_lanes<const N: usize>(
    sizes: &[usize],
    d: usize,
    strides: [&[isize]; N],
    f: impl Fn([isize; N]) + Sync,
) {
    let kept: Vec<usize> = (0..sizes.len()).filter(|&k| k != d).collect();
    let lanes: usize = kept.iter().map(|&k| sizes[k]).product();
    let len = sizes.get(d).copied().unwrap_or(1);
    let base = |mut i: usize| {
        let mut off = [0isize; N];
        for &k in kept.iter().rev() {
            let c = (i % sizes[k]) as isize;
            i /= sizes[k];
            for n in 0..N {
                off[n] += c * strides[n][k];
            }
        }
        off
    };
    if lanes > 1 && lanes * len >= GRAIN {
        (0..lanes).into_par_iter().for_each(|i| f(base(i)));
    } else {
        (0..lanes).for_each(|i| f(base(i)));
    }
}

/// Read one strided lane.
///
/// # Safety
/// `p` must be valid for `len` elements at `stride`.
unsafe fn read_lane<T: Copy>(p: *const T, stride: isize, len: usize) -> Vec<T> {
    (0..len).map(|i| *p.offset(i as isize * stride)).collect()
}

/// `x` as at least 1-d (0-dim tensors sort as one-element lanes).
fn at_least_1d(x: &Tensor) -> Result<Tensor> {
    if x.ndim() == 0 {
        reshape(&x.detach(), &[1])
    } else {
        Ok(x.detach())
    }
}

/// Strides of a contiguous tensor of `out_sizes` seen over the full `sizes`: the reduced dim
/// `d` gets stride 0 (keepdim or not, the element order is the same).
fn reduced_strides(sizes: &[usize], d: usize) -> Vec<isize> {
    let mut strides = vec![0isize; sizes.len()];
    let mut s = 1isize;
    for k in (0..sizes.len()).rev() {
        if k != d {
            strides[k] = s;
            s *= sizes[k] as isize;
        }
    }
    strides
}

fn reduced_sizes(x: &Tensor, d: usize, keepdim: bool) -> Vec<usize> {
    (0..x.ndim())
        .filter_map(|k| {
            if k != d {
                Some(x.sizes()[k])
            } else if keepdim {
                Some(1)
            } else {
                None
            }
        })
        .collect()
}

// --- sort and topk ----------------------------------------------------------------------

/// `sort(dim, descending, stable)`: values and the positions they came from. `stable` only
/// chooses the autograd node's name: every sort here is stable.
pub fn sort(
    x: &Tensor,
    dim: i64,
    descending: bool,
    stable: Option<bool>,
) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, x.ndim())?;
    let values = new_output(x.sizes(), x.dtype(), &[x]);
    let indices = new_output(x.sizes(), DType::I64, &[x]);
    if x.numel() > 0 {
        let (src, vo, io) = (
            at_least_1d(x)?,
            at_least_1d(&values)?,
            at_least_1d(&indices)?,
        );
        let len = src.sizes()[d];
        dispatch_key!(x.dtype(), T => {
            let (ps, pv, pi) = (SendPtr(src.data_ptr::<T>() as *mut T), SendPtr(vo.data_ptr_mut::<T>()), SendPtr(io.data_ptr_mut::<i64>()));
            let (ss, vs, is) = (src.strides()[d], vo.strides()[d], io.strides()[d]);
            for_lanes(src.sizes(), d, [src.strides(), vo.strides(), io.strides()], |[a, b, c]| unsafe {
                let vals = read_lane(ps.at(a), ss, len);
                let mut order = Order::new(&vals, descending);
                order.sort();
                for j in 0..len {
                    let p = order.pos(j);
                    *pv.at(b + j as isize * vs) = vals[p];
                    *pi.at(c + j as isize * is) = p as i64;
                }
            });
        });
    }
    if x.dtype().is_float() && needs_grad(&[x]) {
        let name = if stable.is_some() {
            "SortBackward1"
        } else {
            "SortBackward0"
        };
        let values = record_scatter_back(name, x, values, &indices, d)?;
        return Ok((values, indices));
    }
    Ok((values, indices))
}

/// The backward of an op whose output holds the input's elements at `indices` along `d`
/// (sort, topk): the gradient goes back to those positions.
fn record_scatter_back(
    name: &'static str,
    x: &Tensor,
    values: Tensor,
    indices: &Tensor,
    d: usize,
) -> Result<Tensor> {
    let sizes = x.dims();
    let idx = indices.clone();
    Ok(autograd::record1(
        name,
        &[x],
        values,
        true,
        Box::new(move |g| {
            let zeros = Tensor::zeros(&sizes, g[0].dtype());
            Ok(vec![Some(scatter(&zeros, d as i64, &idx, &g[0], None)?)])
        }),
    ))
}

/// `argsort(dim, descending, stable)`.
pub fn argsort(x: &Tensor, dim: i64, descending: bool) -> Result<Tensor> {
    let _guard = crate::autograd::mode::GradModeGuard::new(false);
    Ok(sort(x, dim, descending, None)?.1)
}

/// `msort`: sorted along the first dim.
pub fn msort(x: &Tensor) -> Result<Tensor> {
    Ok(sort(x, 0, false, None)?.0)
}

/// `topk(k, dim, largest, sorted)`: results are always sorted.
pub fn topk(x: &Tensor, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, x.ndim())?;
    if x.dtype() == DType::Bool {
        return Err(Error::runtime("topk does not support bool dtypes on CPU"));
    }
    let size = if x.ndim() == 0 { 1 } else { x.sizes()[d] };
    if k < 0 || k as usize > size {
        return Err(Error::runtime("selected index k out of range"));
    }
    let k = k as usize;
    let mut out_sizes = x.dims();
    if x.ndim() > 0 {
        out_sizes[d] = k;
    }
    let values = Tensor::empty(&out_sizes, x.dtype());
    let indices = Tensor::empty(&out_sizes, DType::I64);
    if values.numel() > 0 {
        let (src, vo, io) = (
            at_least_1d(x)?,
            at_least_1d(&values)?,
            at_least_1d(&indices)?,
        );
        dispatch_key!(x.dtype(), T => {
            let (ps, pv, pi) = (SendPtr(src.data_ptr::<T>() as *mut T), SendPtr(vo.data_ptr_mut::<T>()), SendPtr(io.data_ptr_mut::<i64>()));
            let (ss, vs, is) = (src.strides()[d], vo.strides()[d], io.strides()[d]);
            let mut out_strides = vo.strides().to_vec();
            out_strides[d] = 0;
            // Lanes are enumerated over the input's sizes; the outputs have `k` along `d`.
            for_lanes(src.sizes(), d, [src.strides(), &out_strides, &out_strides], |[a, b, _]| unsafe {
                let vals = read_lane(ps.at(a), ss, size);
                let mut order = Order::new(&vals, largest);
                order.sort_first(k);
                for j in 0..k {
                    let p = order.pos(j);
                    *pv.at(b + j as isize * vs) = vals[p];
                    *pi.at(b + j as isize * is) = p as i64;
                }
            });
        });
    }
    if x.dtype().is_float() && needs_grad(&[x]) {
        let values = record_scatter_back("TopkBackward0", x, values, &indices, d)?;
        return Ok((values, indices));
    }
    Ok((values, indices))
}

// --- one element per lane: kthvalue, median, mode ---------------------------------------

#[derive(Clone, Copy)]
enum Pick {
    /// The k-th smallest (0-based).
    Kth(usize),
    /// The lower median; NaN (the first one) when the lane has any.
    Median,
    /// The lower median of the non-NaN values.
    NanMedian,
    /// The most frequent value (the smallest among equally frequent ones), at its last
    /// position.
    Mode,
}

fn pick_lane<T: SortKey>(vals: &[T], pick: Pick) -> (T, i64) {
    let n = vals.len();
    let mut order = Order::new(vals, false);
    let at = |order: &Order, j: usize| {
        let p = order.pos(j);
        (vals[p], p as i64)
    };
    match pick {
        Pick::Kth(k) => {
            order.select(k);
            at(&order, k)
        }
        Pick::Median | Pick::NanMedian => {
            let nans = vals.iter().filter(|v| v.is_nan()).count();
            let j = match pick {
                Pick::Median if nans > 0 => n - nans,
                Pick::NanMedian if nans == n => 0,
                _ => (n - nans - 1) / 2,
            };
            if nans > 0 && j == n - nans {
                // NaNs sit last in position order: the answer is the first NaN.
                let p = vals.iter().position(|v| v.is_nan()).expect("a NaN");
                return (vals[p], p as i64);
            }
            order.select(j);
            at(&order, j)
        }
        Pick::Mode => {
            order.sort();
            let (mut best, mut best_count) = (0usize, 0usize);
            let mut start = 0;
            while start < n {
                let v = vals[order.pos(start)];
                let mut end = start + 1;
                // Every NaN is a value of its own, as `==` sees it.
                while end < n && !v.is_nan() && vals[order.pos(end)].key() == v.key() {
                    end += 1;
                }
                if end - start > best_count {
                    best_count = end - start;
                    best = end - 1;
                }
                start = end;
            }
            at(&order, best)
        }
    }
}

/// Apply `pick` to every lane along `d`: values and indices with `d` reduced.
fn pick_along(x: &Tensor, d: usize, keepdim: bool, pick: Pick) -> Result<(Tensor, Tensor)> {
    let out_sizes = reduced_sizes(x, d, keepdim);
    let values = Tensor::empty(&out_sizes, x.dtype());
    let indices = Tensor::empty(&out_sizes, DType::I64);
    if values.numel() == 0 {
        return Ok((values, indices));
    }
    let src = at_least_1d(x)?;
    let len = src.sizes()[d];
    let ostr = reduced_strides(src.sizes(), d);
    dispatch_key!(x.dtype(), T => {
        let (ps, pv, pi) = (SendPtr(src.data_ptr::<T>() as *mut T), SendPtr(values.data_ptr_mut::<T>()), SendPtr(indices.data_ptr_mut::<i64>()));
        let ss = src.strides()[d];
        for_lanes(src.sizes(), d, [src.strides(), &ostr], |[a, b]| unsafe {
            let vals = read_lane(ps.at(a), ss, len);
            let (v, i) = pick_lane(&vals, pick);
            *pv.at(b) = v;
            *pi.at(b) = i;
        });
    });
    Ok((values, indices))
}

fn check_not_bool(x: &Tensor, kernel: &str) -> Result<()> {
    if x.dtype() == DType::Bool {
        return Err(Error::not_implemented(format!(
            "\"{kernel}\" not implemented for 'Bool'"
        )));
    }
    Ok(())
}

fn check_reduction_dim(x: &Tensor, d: usize, name: &str) -> Result<()> {
    if x.ndim() > 0 && x.sizes()[d] == 0 {
        return Err(Error::index(format!(
            "{name}(): Expected reduction dim {d} to have non-zero size."
        )));
    }
    Ok(())
}

/// Values/indices reductions along a dim with the backward routed through the indices.
fn pick_op(
    x: &Tensor,
    dim: i64,
    keepdim: bool,
    pick: Pick,
    grad_name: &'static str,
) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, x.ndim())?;
    let (values, indices) = pick_along(x, d, keepdim, pick)?;
    if x.dtype().is_float() && needs_grad(&[x]) {
        let values = super::reduce::record_index_select_back(
            grad_name, x, values, &indices, d as i64, keepdim,
        )?;
        return Ok((values, indices));
    }
    Ok((values, indices))
}

/// `kthvalue(k, dim, keepdim)`: the k-th smallest (1-based).
pub fn kthvalue(x: &Tensor, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    check_not_bool(x, "kthvalue_cpu")?;
    let d = wrap_dim(dim, x.ndim())?;
    check_reduction_dim(x, d, "kthvalue")?;
    let size = if x.ndim() == 0 {
        1
    } else {
        x.sizes()[d] as i64
    };
    if k < 1 || k > size {
        return Err(Error::runtime(format!(
            "kthvalue(): selected number k out of range for dimension {d}"
        )));
    }
    pick_op(
        x,
        dim,
        keepdim,
        Pick::Kth(k as usize - 1),
        "KthvalueBackward0",
    )
}

/// `median(dim, keepdim)` (`ignore_nan` for nanmedian).
pub fn median_dim(
    x: &Tensor,
    dim: i64,
    keepdim: bool,
    ignore_nan: bool,
) -> Result<(Tensor, Tensor)> {
    check_not_bool(x, "median_out")?;
    let d = wrap_dim(dim, x.ndim())?;
    let name = if ignore_nan { "nanmedian" } else { "median" };
    check_reduction_dim(x, d, name)?;
    if ignore_nan {
        pick_op(x, dim, keepdim, Pick::NanMedian, "NanmedianBackward1")
    } else {
        pick_op(x, dim, keepdim, Pick::Median, "MedianBackward1")
    }
}

/// `median()` of all elements (the lower of the two middle values).
pub fn median_all(x: &Tensor, ignore_nan: bool) -> Result<Tensor> {
    check_not_bool(x, "median_cpu")?;
    if x.numel() == 0 {
        // PyTorch answers NaN (or the lowest integer) rather than raising.
        let v = if x.dtype().is_float() {
            Scalar::Float(f64::NAN)
        } else {
            Scalar::Float(x.dtype().min_max().0)
        };
        return Ok(Tensor::scalar(v, x.dtype()));
    }
    let flat = reshape(&x.detach(), &[-1])?;
    let pick = if ignore_nan {
        Pick::NanMedian
    } else {
        Pick::Median
    };
    let (values, _) = pick_along(&flat, 0, false, pick)?;
    if x.dtype().is_float() && needs_grad(&[x]) {
        let name = if ignore_nan {
            "NanmedianBackward0"
        } else {
            "MedianBackward0"
        };
        return Ok(record_evenly_distributed(name, x, values));
    }
    Ok(values)
}

/// The backward of a full reduction to one of the input's values: the gradient is shared
/// by every element equal to it (NaN matching NaN).
fn record_evenly_distributed(name: &'static str, x: &Tensor, out: Tensor) -> Tensor {
    let sx = SavedTensor::input(x);
    autograd::record1_with_output(name, &[x], out, move |so| {
        Box::new(move |g| {
            let x = sx.unpack()?.detach();
            let v = so.unpack()?.detach();
            let mask = if v.item()?.to_f64().is_nan() {
                super::unary::unary(&super::unary::ISNAN, &x)?
            } else {
                super::binary::eq(&x, &v)?
            };
            let count = super::reduce::sum(&mask, None, false, None)?;
            let share = super::binary::div(&g[0], &count)?;
            let zero = Tensor::wrapped_scalar(Scalar::Int(0));
            Ok(vec![Some(where_(&mask, &share, &zero)?)])
        })
    })
}

/// `mode(dim, keepdim)`.
pub fn mode(x: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, x.ndim())?;
    check_reduction_dim(x, d, "mode")?;
    pick_op(x, dim, keepdim, Pick::Mode, "ModeBackward0")
}

// --- quantile ---------------------------------------------------------------------------

/// The `q` of quantile: one number or a 0-/1-d tensor.
pub enum Quantiles {
    Scalar(f64),
    Tensor(Tensor),
}

#[derive(Clone, Copy, PartialEq)]
enum Interpolation {
    Linear,
    Lower,
    Higher,
    Midpoint,
    Nearest,
}

/// `quantile(q, dim, keepdim, interpolation)`; `ignore_nan` for nanquantile. Built from
/// sort, gather and arithmetic, so it is differentiable through them.
pub fn quantile(
    x: &Tensor,
    q: &Quantiles,
    dim: Option<i64>,
    keepdim: bool,
    interpolation: &str,
    ignore_nan: bool,
) -> Result<Tensor> {
    let name = if ignore_nan {
        "nanquantile"
    } else {
        "quantile"
    };
    if x.numel() == 0 {
        return Err(Error::runtime(format!(
            "{name}() input tensor must be non-empty"
        )));
    }
    if !matches!(x.dtype(), DType::F32 | DType::F64) {
        return Err(Error::runtime(format!(
            "{name}() input tensor must be either float or double dtype"
        )));
    }
    let (qs, q_is_scalar) = quantile_values(x, q, name)?;
    let interp = match interpolation {
        "linear" => Interpolation::Linear,
        "lower" => Interpolation::Lower,
        "higher" => Interpolation::Higher,
        "midpoint" => Interpolation::Midpoint,
        "nearest" => Interpolation::Nearest,
        other => {
            return Err(Error::runtime(format!(
                "{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {other}"
            )))
        }
    };
    // Rows of values to take quantiles of, one per output position.
    let (rows, out_sizes) = match dim {
        None => {
            let out: Vec<usize> = if keepdim { vec![1; x.ndim()] } else { vec![] };
            (reshape(x, &[1, -1])?, out)
        }
        Some(dim) => {
            let d = wrap_dim(dim, x.ndim())?;
            let out = reduced_sizes(x, d, keepdim);
            let moved = if x.ndim() == 0 {
                x.clone()
            } else {
                movedim(x, &[d as i64], &[-1])?
            };
            let n = if x.ndim() == 0 {
                1
            } else {
                x.sizes()[d] as i64
            };
            (reshape(&moved, &[-1, n])?, out)
        }
    };
    let sorted = sort(&rows, 1, false, None)?.0;
    let (lo, hi, w) = quantile_ranks(&sorted, &qs, interp, ignore_nan)?;
    let below = gather(&sorted, 1, &lo)?;
    let r = match interp {
        Interpolation::Linear | Interpolation::Midpoint => {
            let above = gather(&sorted, 1, &hi)?;
            add(&below, &mul(&w, &sub(&above, &below)?)?)?
        }
        _ => below,
    };
    // (rows, q) -> (q, *out_sizes)
    let mut shape: Vec<i64> = if q_is_scalar {
        vec![]
    } else {
        vec![qs.len() as i64]
    };
    shape.extend(out_sizes.iter().map(|&s| s as i64));
    let t = super::shape::transpose(&r, 0, 1)?;
    reshape(&t, &shape)
}

/// The checked q values, and whether q was a scalar (no q dim in the result).
fn quantile_values(x: &Tensor, q: &Quantiles, name: &str) -> Result<(Vec<f64>, bool)> {
    match q {
        Quantiles::Scalar(v) => {
            if !(0.0..=1.0).contains(v) {
                return Err(Error::runtime(format!(
                    "{name}() q must be in the range [0, 1] but got {v}"
                )));
            }
            Ok((vec![*v], true))
        }
        Quantiles::Tensor(t) => {
            if t.ndim() > 1 {
                return Err(Error::runtime(format!(
                    "{name}() q must be a scalar or 1D tensor"
                )));
            }
            if t.dtype() != x.dtype() {
                return Err(Error::runtime(format!(
                    "{name}() q tensor must be same dtype as the input tensor"
                )));
            }
            let v = t.to_f64_vec();
            if v.iter().any(|q| !(0.0..=1.0).contains(q)) {
                return Err(Error::runtime(format!(
                    "{name}() q values must be in the range [0, 1]"
                )));
            }
            Ok((v, t.ndim() == 0))
        }
    }
}

/// For each row of `sorted` and each q: the positions below and above the rank, and the
/// interpolation weight (in the input's dtype, as PyTorch computes it).
fn quantile_ranks(
    sorted: &Tensor,
    qs: &[f64],
    interp: Interpolation,
    ignore_nan: bool,
) -> Result<(Tensor, Tensor, Tensor)> {
    let (rows, n) = (sorted.sizes()[0], sorted.sizes()[1]);
    let m = qs.len();
    let vals = sorted.detach().to_f64_vec();
    let single = sorted.dtype() == DType::F32;
    let (mut lo, mut hi, mut w) = (
        Vec::with_capacity(rows * m),
        Vec::with_capacity(rows * m),
        Vec::with_capacity(rows * m),
    );
    for r in 0..rows {
        let row = &vals[r * n..(r + 1) * n];
        let valid = row.iter().filter(|v| !v.is_nan()).count();
        for &q in qs {
            // With NaNs and `quantile`, every q answers NaN (the last sorted value).
            let rank = if valid == n || ignore_nan {
                rank_of(q, valid, single)
            } else {
                (n - 1) as f64
            };
            let rank = rank.max(0.0);
            let r = match interp {
                Interpolation::Lower => rank.floor(),
                Interpolation::Higher => rank.ceil(),
                Interpolation::Nearest => rank.round_ties_even(),
                _ => rank,
            };
            let below = r.floor();
            lo.push(below as i64);
            hi.push(r.ceil() as i64);
            w.push(match interp {
                Interpolation::Midpoint => 0.5,
                _ => {
                    let d = r - below;
                    if single {
                        d as f32 as f64
                    } else {
                        d
                    }
                }
            });
        }
    }
    let weights = cast(&Tensor::from_vec(w, &[rows, m])?, sorted.dtype());
    Ok((
        Tensor::from_vec(lo, &[rows, m])?,
        Tensor::from_vec(hi, &[rows, m])?,
        weights,
    ))
}

/// `q * (count - 1)` in the input's precision.
fn rank_of(q: f64, count: usize, single: bool) -> f64 {
    let c = count as f64 - 1.0;
    if single {
        (q as f32 * c as f32) as f64
    } else {
        q * c
    }
}

/// `nanquantile`: quantile over the non-NaN values of each row.
pub fn nanquantile(
    x: &Tensor,
    q: &Quantiles,
    dim: Option<i64>,
    keepdim: bool,
    interpolation: &str,
) -> Result<Tensor> {
    quantile(x, q, dim, keepdim, interpolation, true)
}

// --- unique -----------------------------------------------------------------------------

/// `unique` / `unique_consecutive` results: values, inverse indices, counts.
pub struct Unique {
    pub values: Tensor,
    pub inverse: Tensor,
    pub counts: Tensor,
}

/// `unique(sorted, return_inverse, return_counts, dim)`: results are always sorted, as on
/// PyTorch's CPU. Every NaN is a value of its own.
pub fn unique(x: &Tensor, dim: Option<i64>) -> Result<Unique> {
    match dim {
        None => unique_flat(x, true),
        Some(d) => unique_dim(x, d, true),
    }
}

/// `unique_consecutive(return_inverse, return_counts, dim)`.
pub fn unique_consecutive(x: &Tensor, dim: Option<i64>) -> Result<Unique> {
    match dim {
        None => unique_flat(x, false),
        Some(d) => unique_dim(x, d, false),
    }
}

fn unique_flat(x: &Tensor, sorted: bool) -> Result<Unique> {
    let n = x.numel();
    let mut inverse = vec![0i64; n];
    let mut counts: Vec<i64> = Vec::new();
    let values = dispatch_key!(x.dtype(), T => {
        let vals: Vec<T> = x.detach().to_vec::<T>();
        let order: Vec<usize> = if sorted {
            let mut o = Order::new(&vals, false);
            o.sort();
            (0..n).map(|j| o.pos(j)).collect()
        } else {
            (0..n).collect()
        };
        let mut out: Vec<T> = Vec::new();
        for (j, &p) in order.iter().enumerate() {
            let v = vals[p];
            let same = j > 0 && {
                let prev = vals[order[j - 1]];
                !v.is_nan() && !prev.is_nan() && v.key() == prev.key()
            };
            if same {
                *counts.last_mut().expect("a run") += 1;
            } else {
                out.push(v);
                counts.push(1);
            }
            inverse[p] = out.len() as i64 - 1;
        }
        let len = out.len();
        Tensor::from_vec(out, &[len])?
    });
    let ncounts = counts.len();
    Ok(Unique {
        values,
        inverse: Tensor::from_vec(inverse, x.sizes())?,
        counts: Tensor::from_vec(counts, &[ncounts])?,
    })
}

fn unique_dim(x: &Tensor, dim: i64, sorted: bool) -> Result<Unique> {
    let d = wrap_dim(dim, x.ndim())?;
    let x = at_least_1d(x)?;
    let n = x.sizes()[d];
    let rest: usize = x.numel().checked_div(n).unwrap_or(0);
    if n == 0 {
        return Ok(Unique {
            values: x.clone(),
            inverse: Tensor::empty(&[0], DType::I64),
            counts: Tensor::empty(&[0], DType::I64),
        });
    }
    if rest == 0 {
        return Err(Error::runtime(
            "There are 0 sized dimensions, and they aren't selected, so unique cannot be applied",
        ));
    }
    // Slices along `d` as rows of a contiguous (n, rest) block.
    let moved = super::copy::clone_contiguous(&movedim(&x, &[d as i64], &[0])?);
    let mut inverse = vec![0i64; n];
    let mut counts: Vec<i64> = Vec::new();
    let mut firsts: Vec<i64> = Vec::new();
    dispatch_key!(x.dtype(), T => {
        let vals: Vec<T> = moved.to_vec::<T>();
        let row = |i: usize| &vals[i * rest..(i + 1) * rest];
        let mut order: Vec<usize> = (0..n).collect();
        if sorted {
            // Lexicographic by key, ties by position (a stable sort).
            order.sort_by(|&a, &b| {
                row(a).iter().map(|v| v.key()).cmp(row(b).iter().map(|v| v.key()))
            });
        }
        let equal = |a: usize, b: usize| row(a).iter().zip(row(b)).all(|(u, v)| !u.is_nan() && u.key() == v.key() && !v.is_nan());
        for (j, &p) in order.iter().enumerate() {
            if j > 0 && equal(order[j - 1], p) {
                *counts.last_mut().expect("a run") += 1;
            } else {
                firsts.push(p as i64);
                counts.push(1);
            }
            inverse[p] = firsts.len() as i64 - 1;
        }
    });
    let picked = Tensor::from_vec(firsts.clone(), &[firsts.len()])?;
    let rows = super::index::index_select(&moved, 0, &picked)?;
    let values = super::copy::clone_contiguous(&movedim(&rows, &[0], &[d as i64])?);
    let ncounts = counts.len();
    Ok(Unique {
        values,
        inverse: Tensor::from_vec(inverse, &[n])?,
        counts: Tensor::from_vec(counts, &[ncounts])?,
    })
}

// --- searchsorted, bucketize ------------------------------------------------------------

/// First position whose boundary is not below `v` (`right`: above `v`). The negated
/// comparisons are PyTorch's NaN rule: a comparison with NaN is false, so the search moves
/// past NaN boundaries and a NaN value lands after every boundary.
#[inline]
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn bound<T: PartialOrd + Copy>(row: impl Fn(usize) -> T, len: usize, v: T, right: bool) -> usize {
    let (mut lo, mut hi) = (0usize, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let b = row(mid);
        let go_right = if right { !(b > v) } else { !(b >= v) };
        if go_right {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// `searchsorted(sorted_sequence, input, out_int32, right, side, sorter)`.
pub fn searchsorted(
    boundaries: &Tensor,
    input: &Tensor,
    out_int32: bool,
    right: bool,
    side: Option<&str>,
    sorter: Option<&Tensor>,
) -> Result<Tensor> {
    let right = match side {
        None => right,
        Some("left") if right => {
            return Err(Error::runtime(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True",
            ))
        }
        Some("left") => false,
        Some("right") => true,
        Some(s) => {
            return Err(Error::runtime(format!(
                "torch.searchsorted(): side can only be 'left' or 'right' but got {s}"
            )))
        }
    };
    if boundaries.dtype() == DType::Bool || input.dtype() == DType::Bool {
        return Err(Error::not_implemented(
            "\"searchsorted_out_cpu\" not implemented for 'Bool'",
        ));
    }
    let bnd = boundaries.ndim();
    if input.is_wrapped_number() && bnd != 1 {
        return Err(Error::runtime(format!(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim({bnd}) and input value's dim(0) numel(1)"
        )));
    }
    if bnd == 0 {
        return Err(Error::runtime(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension",
        ));
    }
    if bnd != 1
        && (input.ndim() != bnd || input.sizes()[..bnd - 1] != boundaries.sizes()[..bnd - 1])
    {
        return Err(Error::runtime(format!(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor {} and input value tensor {}",
            fmt_sizes(boundaries.sizes()),
            fmt_sizes(input.sizes())
        )));
    }
    let len = boundaries.sizes()[bnd - 1];
    let sorted_pos = match sorter {
        None => None,
        Some(s) => Some(check_sorter(s, boundaries, len)?),
    };
    let op = |t: &Tensor| {
        if t.is_wrapped_number() {
            Operand::Wrapped(t.get_flat(0))
        } else {
            Operand::Dim(t.dtype())
        }
    };
    let common = crate::dtype::result_type(&[Operand::Dim(boundaries.dtype()), op(input)]);
    let bv = super::copy::clone_contiguous(&cast(boundaries, common));
    let iv = super::copy::clone_contiguous(&cast(input, common));
    let n = iv.numel();
    let row_len_in = if input.ndim() == 0 {
        1
    } else {
        input.sizes()[input.ndim() - 1]
    };
    let mut out = vec![0i64; n];
    crate::dispatch_all!(common, T => {
        let b = bv.to_vec::<T>();
        let v = iv.to_vec::<T>();
        for (i, o) in out.iter_mut().enumerate() {
            let r = if bnd == 1 { 0 } else { i / row_len_in.max(1) };
            let base = r * len;
            *o = match &sorted_pos {
                None => bound(|j| b[base + j], len, v[i], right),
                Some(sp) => bound(|j| b[base + sp[base + j] as usize], len, v[i], right),
            } as i64;
        }
    });
    let t = Tensor::from_vec(out, input.sizes())?;
    Ok(if out_int32 { cast(&t, DType::I32) } else { t })
}

fn check_sorter(s: &Tensor, boundaries: &Tensor, len: usize) -> Result<Vec<i64>> {
    if s.sizes() != boundaries.sizes() {
        return Err(Error::runtime(format!(
            "torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor {}and got sorter tensor {}",
            fmt_sizes(boundaries.sizes()),
            fmt_sizes(s.sizes())
        )));
    }
    if s.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "torch.searchsorted(): sorter must be a tensor of long dtype but got {}",
            s.dtype()
        )));
    }
    let v = s.to_vec::<i64>();
    if v.iter().any(|&p| p < 0 || p as usize >= len) {
        return Err(Error::runtime(
            "torch.searchsorted(): sorter index out of range",
        ));
    }
    Ok(v)
}

/// `bucketize(input, boundaries, out_int32, right)`.
pub fn bucketize(
    input: &Tensor,
    boundaries: &Tensor,
    out_int32: bool,
    right: bool,
) -> Result<Tensor> {
    if boundaries.ndim() != 1 {
        return Err(Error::runtime(format!(
            "boundaries tensor must be 1 dimension, but got dim({})",
            boundaries.ndim()
        )));
    }
    searchsorted(boundaries, input, out_int32, right, None, None)
}

// --- counting ---------------------------------------------------------------------------

/// `bincount(weights, minlength)`.
pub fn bincount(x: &Tensor, weights: Option<&Tensor>, minlength: i64) -> Result<Tensor> {
    if !x.dtype().is_int() {
        return Err(Error::not_implemented(format!(
            "\"bincount_cpu\" not implemented for '{}'",
            super::capitalized(x.dtype())
        )));
    }
    if minlength < 0 {
        return Err(Error::runtime("minlength should be >= 0"));
    }
    let bad = || Error::runtime("bincount only supports 1-d non-negative integral inputs.");
    if x.ndim() != 1 {
        return Err(bad());
    }
    let idx: Vec<i64> = cast(x, DType::I64).to_vec::<i64>();
    if idx.iter().any(|&i| i < 0) {
        return Err(bad());
    }
    let bins = idx
        .iter()
        .map(|&i| i as usize + 1)
        .max()
        .unwrap_or(0)
        .max(minlength as usize);
    match weights {
        None => {
            let mut counts = vec![0i64; bins];
            idx.iter().for_each(|&i| counts[i as usize] += 1);
            Tensor::from_vec(counts, &[bins])
        }
        Some(w) => {
            if w.ndim() != 1 || w.numel() != x.numel() {
                return Err(Error::runtime(
                    "weights should be 1-d and have the same length as input",
                ));
            }
            // float32 weights sum in float32; everything else in float64.
            if w.dtype() == DType::F32 {
                let wv = w.detach().to_vec::<f32>();
                let mut sums = vec![0f32; bins];
                idx.iter()
                    .zip(&wv)
                    .for_each(|(&i, &v)| sums[i as usize] += v);
                return Tensor::from_vec(sums, &[bins]);
            }
            let wv = cast(w, DType::F64).to_vec::<f64>();
            let mut sums = vec![0f64; bins];
            idx.iter()
                .zip(&wv)
                .for_each(|(&i, &v)| sums[i as usize] += v);
            Tensor::from_vec(sums, &[bins])
        }
    }
}

/// `histc(bins, min, max)`: equal-width bins over [min, max] (the data's range when both
/// are 0); values outside are ignored, the last bin includes `max`.
pub fn histc(x: &Tensor, bins: i64, min: f64, max: f64) -> Result<Tensor> {
    if !x.dtype().is_float() {
        return Err(Error::not_implemented(format!(
            "\"histogram_cpu\" not implemented for '{}'",
            super::capitalized(x.dtype())
        )));
    }
    if bins <= 0 {
        return Err(Error::runtime(format!(
            "torch.histogram(): bins must be > 0, but got {bins} for dimension 0"
        )));
    }
    let bins = bins as usize;
    let vals = x.detach().to_f64_vec();
    let (mut lo, mut hi) = (min, max);
    if lo == hi && !vals.is_empty() {
        lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if vals.iter().any(|v| v.is_nan()) {
            lo = f64::NAN;
            hi = f64::NAN;
        }
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    if !lo.is_finite() || !hi.is_finite() {
        let show = |v: f64| {
            if v.is_nan() {
                "-nan".to_string()
            } else {
                format!("{v}")
            }
        };
        return Err(Error::runtime(format!(
            "torch.histc: range of [{}, {}] is not finite",
            show(lo),
            show(hi)
        )));
    }
    if lo > hi {
        return Err(Error::runtime("torch.histc: max must be larger than min"));
    }
    let mut counts = vec![0f64; bins];
    crate::dispatch_float!(x.dtype(), T => {
        // Bin positions in the input's precision, as PyTorch computes them.
        let (l, h) = (T::from_f64(lo).to_acc(), T::from_f64(hi).to_acc());
        let nb = <Acc as num_traits::NumCast>::from(bins).expect("bin count");
        for &v in &vals {
            let e = T::from_f64(v).to_acc();
            if !(e >= l && e <= h) {
                continue;
            }
            let pos = ((e - l) * nb / (h - l)).to_usize().unwrap_or(0).min(bins - 1);
            counts[pos] += 1.0;
        }
    }, _ => unreachable!("checked float"));
    Ok(cast(&Tensor::from_vec(counts, &[bins])?, x.dtype()))
}

use num_traits::ToPrimitive;

/// `argwhere`: the coordinates of nonzero elements, one row each.
pub fn argwhere(x: &Tensor) -> Result<Tensor> {
    super::index::nonzero(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s(v: &[f32]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn sort_is_stable_with_nan_last() {
        let n = f32::NAN;
        let x = f32s(&[3.0, n, 1.0, 3.0, -0.0, 0.0, n, 2.0]);
        let (v, i) = sort(&x, -1, false, None).unwrap();
        assert_eq!(i.to_vec::<i64>(), vec![4, 5, 2, 7, 0, 3, 1, 6]);
        assert!(v.to_f64_vec()[6].is_nan());
        let (_, i) = sort(&x, -1, true, None).unwrap();
        assert_eq!(i.to_vec::<i64>(), vec![1, 6, 0, 3, 7, 2, 4, 5]);
    }

    #[test]
    fn keys_order_every_dtype() {
        assert!((-3i8).key() < 2i8.key());
        assert!((-1i64).key() < 0i64.key());
        assert!(f64::NEG_INFINITY.key() < (-1.0f64).key());
        assert_eq!((-0.0f32).key(), 0.0f32.key());
        assert!(f32::INFINITY.key() < f32::NAN.key());
        assert!(f16::from_f32(-2.0).key() < f16::from_f32(1.0).key());
    }

    #[test]
    fn topk_kth_median_mode() {
        let x = Tensor::from_vec(vec![1i64, 3, 3, 2, 3, 1, 1], &[7]).unwrap();
        let (v, _) = topk(&x, 3, -1, true).unwrap();
        assert_eq!(v.to_vec::<i64>(), vec![3, 3, 3]);
        let (v, _) = kthvalue(&x, 4, -1, false).unwrap();
        assert_eq!(v.to_vec::<i64>(), vec![2]);
        assert_eq!(median_all(&x, false).unwrap().to_vec::<i64>(), vec![2]);
        let (v, i) = mode(&x, -1, false).unwrap();
        assert_eq!((v.to_vec::<i64>(), i.to_vec::<i64>()), (vec![1], vec![6]));
    }

    #[test]
    fn searchsorted_sides() {
        let b = f32s(&[1.0, 3.0, 3.0, 5.0]);
        let v = f32s(&[3.0, 0.0, 6.0]);
        let l = searchsorted(&b, &v, false, false, None, None).unwrap();
        assert_eq!(l.to_vec::<i64>(), vec![1, 0, 4]);
        let r = searchsorted(&b, &v, false, true, None, None).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![3, 0, 4]);
    }
}
