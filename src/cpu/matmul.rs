//! Matrix multiplication kernels: `gemm` for floating types (strided operands, no copies),
//! an axpy-ordered loop for integers.

use super::iter::SendPtr;
use crate::dtype::{DType, Element};
use crate::tensor::Tensor;
use half::f16;
use rayon::prelude::*;

/// Products smaller than this (m*n*k) run on one thread.
const PARALLEL_WORK: usize = 64 * 64 * 64;

/// Offsets of every matrix of a batch (dims `sizes` with `strides`), in row-major order.
pub fn batch_offsets(sizes: &[usize], strides: &[isize]) -> Vec<isize> {
    let mut offs = vec![0isize];
    for (&n, &s) in sizes.iter().zip(strides) {
        offs = offs
            .iter()
            .flat_map(|&o| (0..n as isize).map(move |i| o + i * s))
            .collect();
    }
    offs
}

/// Where the matrices of one operand live: batch offsets and (row, column) strides.
struct Operand {
    offs: Vec<isize>,
    rs: isize,
    cs: isize,
}

impl Operand {
    fn of(t: &Tensor, batch: &[usize]) -> Operand {
        let nd = t.ndim();
        Operand {
            offs: batch_offsets(batch, &t.strides()[..nd - 2]),
            rs: t.strides()[nd - 2],
            cs: t.strides()[nd - 1],
        }
    }
}

/// `out[..., :, :] = a[..., :, :] @ b[..., :, :]` for operands of one rank (>= 2) whose batch
/// dims (all but the last two) already equal `out`'s; any strides (a batch stride of 0
/// broadcasts). `out` must not alias the inputs.
pub fn matmul_into(out: &Tensor, a: &Tensor, b: &Tensor) {
    let nd = out.ndim();
    let (m, k, n) = (a.sizes()[nd - 2], a.sizes()[nd - 1], b.sizes()[nd - 1]);
    if out.numel() == 0 {
        return;
    }
    if k == 0 {
        crate::dispatch_all!(out.dtype(), T => crate::cpu::elementwise::fill::<T>(out, T::zero()));
        return;
    }
    let batch = &out.sizes()[..nd - 2];
    let (oo, oa, ob) = (
        Operand::of(out, batch),
        Operand::of(a, batch),
        Operand::of(b, batch),
    );
    let dims = (m, k, n);
    match out.dtype() {
        DType::F32 => gemm_batches::<f32>(out, a, b, &oo, &oa, &ob, dims),
        DType::F64 => gemm_batches::<f64>(out, a, b, &oo, &oa, &ob, dims),
        DType::F16 => gemm_batches::<f16>(out, a, b, &oo, &oa, &ob, dims),
        DType::BF16 => {
            // gemm has no bf16 kernel: multiply in f32 and round once.
            let (a32, b32) = (
                crate::ops::cast(a, DType::F32),
                crate::ops::cast(b, DType::F32),
            );
            let o32 = Tensor::empty(out.sizes(), DType::F32);
            matmul_into(&o32, &a32, &b32);
            super::copy::copy_cast(out, &o32);
        }
        dt => crate::dispatch_all!(dt, T => int_batches::<T>(out, a, b, &oo, &oa, &ob, dims)),
    }
}

/// `bmm` on 3-d operands (the batch is the first dim).
pub fn bmm_into(out: &Tensor, a: &Tensor, b: &Tensor) {
    matmul_into(out, a, b)
}

fn gemm_batches<T: Element + 'static>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    oo: &Operand,
    oa: &Operand,
    ob: &Operand,
    (m, k, n): (usize, usize, usize),
) {
    let pa = SendPtr(a.data_ptr::<T>() as *mut T);
    let pb = SendPtr(b.data_ptr::<T>() as *mut T);
    let po = SendPtr(out.data_ptr_mut::<T>());
    let one = |bi: usize, threads: gemm::Parallelism| {
        // Safety: strides and sizes describe valid views; out is fresh and unaliased, and
        // distinct batch entries of out never overlap. gemm computes
        // dst = alpha*dst + beta*lhs*rhs; with read_dst false alpha is unused.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                po.at(oo.offs[bi]),
                oo.cs,
                oo.rs,
                false,
                pa.at(oa.offs[bi]),
                oa.cs,
                oa.rs,
                pb.at(ob.offs[bi]),
                ob.cs,
                ob.rs,
                T::zero(),
                T::one(),
                false,
                false,
                false,
                threads,
            )
        }
    };
    let batch = oo.offs.len();
    if m * n * k >= PARALLEL_WORK || batch == 1 {
        let threads = if m * n * k >= PARALLEL_WORK {
            gemm::Parallelism::Rayon(0)
        } else {
            gemm::Parallelism::None
        };
        (0..batch).for_each(|bi| one(bi, threads));
    } else if batch * m * n * k >= PARALLEL_WORK {
        // Many small matrices: one thread per batch entry instead.
        (0..batch)
            .into_par_iter()
            .for_each(|bi| one(bi, gemm::Parallelism::None));
    } else {
        (0..batch).for_each(|bi| one(bi, gemm::Parallelism::None));
    }
}

/// Integer products, row by row: `out[i, :] += a[i, p] * b[p, :]` over `p`, so the inner
/// loop runs over a unit-stride row and vectorises. Wrapping arithmetic, as PyTorch's.
fn int_batches<T: crate::cpu::math::Arith>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    oo: &Operand,
    oa: &Operand,
    ob: &Operand,
    (m, k, n): (usize, usize, usize),
) {
    let pa = SendPtr(a.data_ptr::<T>() as *mut T);
    let pb = SendPtr(b.data_ptr::<T>() as *mut T);
    let po = SendPtr(out.data_ptr_mut::<T>());
    for bi in 0..oo.offs.len() {
        // Safety: every offset below addresses an element of the described matrices.
        let bmat: Vec<T> = unsafe {
            let base = pb.at(ob.offs[bi]);
            (0..k)
                .flat_map(|p| {
                    (0..n).map(move |j| *base.offset(p as isize * ob.rs + j as isize * ob.cs))
                })
                .collect()
        };
        let row = |i: usize| unsafe {
            let arow = pa.at(oa.offs[bi] + i as isize * oa.rs);
            let mut acc = vec![T::zero(); n];
            for p in 0..k {
                let x = *arow.offset(p as isize * oa.cs);
                let brow = &bmat[p * n..(p + 1) * n];
                for (s, &y) in acc.iter_mut().zip(brow) {
                    *s = s.add(x.mul(y));
                }
            }
            let orow = po.at(oo.offs[bi] + i as isize * oo.rs);
            for (j, v) in acc.into_iter().enumerate() {
                *orow.offset(j as isize * oo.cs) = v;
            }
        };
        if m * n * k >= PARALLEL_WORK {
            (0..m).into_par_iter().for_each(row);
        } else {
            (0..m).for_each(row);
        }
    }
}
