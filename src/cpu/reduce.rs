//! Reduction loops: for each output element, fold the input over the reduced dims.
//! Folds see whole strided runs so sums can keep several accumulators.

use super::iter::{SendPtr, StridedIter, GRAIN};
use crate::shape::Dims;
use crate::tensor::Tensor;
use rayon::prelude::*;
use smallvec::SmallVec;

/// Which dims of `x` are reduced, and the geometry of both parts.
pub struct Plan {
    pub kept_sizes: Dims,
    pub kept_strides: SmallVec<[isize; 6]>,
    pub red_sizes: Dims,
    pub red_strides: SmallVec<[isize; 6]>,
}

impl Plan {
    pub fn new(x: &Tensor, reduce: &[bool]) -> Plan {
        let mut p = Plan {
            kept_sizes: SmallVec::new(),
            kept_strides: SmallVec::new(),
            red_sizes: SmallVec::new(),
            red_strides: SmallVec::new(),
        };
        for (d, &reduced) in reduce.iter().enumerate().take(x.ndim()) {
            if reduced {
                p.red_sizes.push(x.sizes()[d]);
                p.red_strides.push(x.strides()[d]);
            } else {
                p.kept_sizes.push(x.sizes()[d]);
                p.kept_strides.push(x.strides()[d]);
            }
        }
        p
    }

    pub fn reduced_count(&self) -> usize {
        self.red_sizes.iter().product()
    }
}

/// A fold over runs of `T`: `run(acc, ptr, len, stride)`, then `merge` for partial results.
pub trait Fold<T>: Sync {
    type Acc: Copy + Send + Sync;
    fn init(&self) -> Self::Acc;
    /// # Safety
    /// `p` must be valid for `len` elements at `stride`.
    unsafe fn run(&self, acc: Self::Acc, p: *const T, len: usize, stride: isize) -> Self::Acc;
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
}

/// Fold `x` per the plan; `out[i] = finish(acc_i)` written into a contiguous `out` whose
/// element order matches the kept dims.
pub fn reduce<T: Copy, O: Copy, F: Fold<T>>(
    x: &Tensor,
    plan: &Plan,
    out: &Tensor,
    fold: &F,
    finish: impl Fn(F::Acc) -> O + Sync,
) {
    let px = SendPtr(x.data_ptr_raw() as *mut T);
    let po = SendPtr(out.data_ptr_raw() as *mut O);
    let n_out: usize = plan.kept_sizes.iter().product();
    let n_red = plan.reduced_count();
    let red = StridedIter::new(&plan.red_sizes, [&plan.red_strides]);
    let [rs] = red.inner_strides();
    let fold_range = |base: isize, start: usize, end: usize| -> F::Acc {
        let mut acc = fold.init();
        red.for_each_run(start, end, |offs, len| unsafe {
            acc = fold.run(acc, px.at(base + offs[0]), len, rs);
        });
        acc
    };
    if n_out == 1 {
        let base = 0isize;
        let acc = if n_red >= 2 * GRAIN && rayon::current_num_threads() > 1 {
            let chunks = (n_red / GRAIN).min(rayon::current_num_threads() * 4);
            let per = n_red.div_ceil(chunks);
            (0..chunks)
                .into_par_iter()
                .map(|c| fold_range(base, c * per, ((c + 1) * per).min(n_red)))
                .reduce(|| fold.init(), |a, b| fold.merge(a, b))
        } else {
            fold_range(base, 0, n_red)
        };
        unsafe { *po.at(0) = finish(acc) };
        return;
    }
    // Offsets of each output's first input element, in output order.
    let kept_offset = |i: usize| -> isize {
        let mut rem = i;
        let mut off = 0isize;
        for d in (0..plan.kept_sizes.len()).rev() {
            let s = plan.kept_sizes[d];
            off += (rem % s) as isize * plan.kept_strides[d];
            rem /= s;
        }
        off
    };
    let work = |i: usize| unsafe {
        *po.at(i as isize) = finish(fold_range(kept_offset(i), 0, n_red));
    };
    if n_out * n_red >= 2 * GRAIN && rayon::current_num_threads() > 1 {
        let per = (GRAIN / n_red.max(1)).max(1);
        (0..n_out.div_ceil(per)).into_par_iter().for_each(|c| {
            for i in c * per..((c + 1) * per).min(n_out) {
                work(i);
            }
        });
    } else {
        (0..n_out).for_each(work);
    }
}

/// Sum in f64 with eight accumulators per contiguous run (vectorisable and accurate).
pub struct SumF64;

impl<T: crate::dtype::Element> Fold<T> for SumF64 {
    type Acc = f64;
    fn init(&self) -> f64 {
        0.0
    }
    unsafe fn run(&self, acc: f64, p: *const T, len: usize, stride: isize) -> f64 {
        if stride == 1 {
            let mut lanes = [0f64; 8];
            let chunks = len / 8;
            for c in 0..chunks {
                for (l, lane) in lanes.iter_mut().enumerate() {
                    *lane += (*p.add(c * 8 + l)).to_f64();
                }
            }
            let mut tail = 0f64;
            for k in chunks * 8..len {
                tail += (*p.add(k)).to_f64();
            }
            acc + pairwise8(lanes) + tail
        } else {
            let mut s = 0f64;
            for k in 0..len as isize {
                s += (*p.offset(k * stride)).to_f64();
            }
            acc + s
        }
    }
    fn merge(&self, a: f64, b: f64) -> f64 {
        a + b
    }
}

fn pairwise8(l: [f64; 8]) -> f64 {
    ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

/// Integer sum in i64 (wrapping, as PyTorch's).
pub struct SumI64;

impl<T: crate::dtype::Element> Fold<T> for SumI64 {
    type Acc = i64;
    fn init(&self) -> i64 {
        0
    }
    unsafe fn run(&self, acc: i64, p: *const T, len: usize, stride: isize) -> i64 {
        let mut s = acc;
        for k in 0..len as isize {
            s = s.wrapping_add((*p.offset(k * stride)).to_i64());
        }
        s
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
}

/// A fold from a per-element closure (products, extremes, logical reductions).
pub struct ElemFold<A, F, M> {
    pub init: A,
    pub step: F,
    pub merge: M,
}

impl<T: Copy, A: Copy + Send + Sync, F: Fn(A, T) -> A + Sync, M: Fn(A, A) -> A + Sync> Fold<T>
    for ElemFold<A, F, M>
{
    type Acc = A;
    fn init(&self) -> A {
        self.init
    }
    unsafe fn run(&self, acc: A, p: *const T, len: usize, stride: isize) -> A {
        let mut a = acc;
        for k in 0..len as isize {
            a = (self.step)(a, *p.offset(k * stride));
        }
        a
    }
    fn merge(&self, a: A, b: A) -> A {
        (self.merge)(a, b)
    }
}

/// Along one dim: for each output, scan the dim in index order (arg-reductions, cumulative
/// ops, sorting). `f(input_ptr, input_stride, len, out_index)` per output position.
pub fn along_dim(x: &Tensor, dim: usize, f: impl Fn(*const u8, isize, usize, usize) + Sync) {
    let mut reduce = vec![false; x.ndim()];
    reduce[dim] = true;
    let plan = Plan::new(x, &reduce);
    let n_out: usize = plan.kept_sizes.iter().product();
    let len = x.sizes()[dim];
    let stride = x.strides()[dim];
    let el = x.dtype().size() as isize;
    let px = SendPtr(x.data_ptr_raw());
    let run = |i: usize| {
        let mut rem = i;
        let mut off = 0isize;
        for d in (0..plan.kept_sizes.len()).rev() {
            let s = plan.kept_sizes[d];
            off += (rem % s) as isize * plan.kept_strides[d];
            rem /= s;
        }
        f(unsafe { px.at(off * el) }, stride, len, i);
    };
    if n_out * len >= 2 * GRAIN && n_out > 1 {
        (0..n_out).into_par_iter().for_each(run);
    } else {
        (0..n_out).for_each(run);
    }
}
