//! Matrix multiplication kernels: `gemm` for floating types (strided operands, no copies),
//! a blocked loop for integers.

use crate::dtype::{DType, Element};
use crate::tensor::Tensor;
use half::f16;

/// `out[b] = a[b] @ bm[b]` for 3-d operands of shapes (B, m, k), (B, k, n), (B, m, n);
/// any strides (a batch stride of 0 broadcasts). `out` must not alias the inputs.
pub fn bmm_into(out: &Tensor, a: &Tensor, b: &Tensor) {
    let (batch, m, k) = (a.sizes()[0], a.sizes()[1], a.sizes()[2]);
    let n = b.sizes()[2];
    if m == 0 || n == 0 || batch == 0 {
        return;
    }
    if k == 0 {
        crate::dispatch_all!(out.dtype(), T => crate::cpu::elementwise::fill::<T>(out, T::zero()));
        return;
    }
    match out.dtype() {
        DType::F32 => gemm_batches::<f32>(out, a, b, batch, m, k, n),
        DType::F64 => gemm_batches::<f64>(out, a, b, batch, m, k, n),
        DType::F16 => gemm_batches::<f16>(out, a, b, batch, m, k, n),
        DType::BF16 => {
            // gemm has no bf16 kernel: multiply in f32 and round once.
            let (a32, b32) = (crate::ops::cast(a, DType::F32), crate::ops::cast(b, DType::F32));
            let o32 = Tensor::empty(out.sizes(), DType::F32);
            gemm_batches::<f32>(&o32, &a32, &b32, batch, m, k, n);
            super::copy::copy_cast(out, &o32);
        }
        dt => crate::dispatch_all!(dt, T => int_batches::<T>(out, a, b, batch, m, k, n)),
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_batches<T: Element + 'static>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) {
    let (sa, sb, so) = (a.strides(), b.strides(), out.strides());
    let pa = a.data_ptr::<T>();
    let pb = b.data_ptr::<T>();
    let po = out.data_ptr_mut::<T>();
    // Small products do not pay for thread start-up.
    let work = m * n * k;
    let threads = if work >= 64 * 64 * 64 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    for bi in 0..batch {
        // Safety: strides and sizes describe valid views; out is fresh and unaliased.
        // gemm computes dst = alpha*dst + beta*lhs*rhs; with read_dst false alpha is unused.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                po.offset(bi as isize * so[0]),
                so[2],
                so[1],
                false,
                pa.offset(bi as isize * sa[0]),
                sa[2],
                sa[1],
                pb.offset(bi as isize * sb[0]),
                sb[2],
                sb[1],
                T::zero(),
                T::one(),
                false,
                false,
                false,
                threads,
            )
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn int_batches<T: crate::cpu::math::Arith>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
) {
    let (sa, sb, so) = (a.strides(), b.strides(), out.strides());
    let (pa, pb, po) = (a.data_ptr::<T>(), b.data_ptr::<T>(), out.data_ptr_mut::<T>());
    for bi in 0..batch as isize {
        for i in 0..m as isize {
            for j in 0..n as isize {
                let mut acc = T::zero();
                for p in 0..k as isize {
                    // Safety: indices within the described views.
                    unsafe {
                        let x = *pa.offset(bi * sa[0] + i * sa[1] + p * sa[2]);
                        let y = *pb.offset(bi * sb[0] + p * sb[1] + j * sb[2]);
                        acc = acc.add(x.mul(y));
                    }
                }
                unsafe { *po.offset(bi * so[0] + i * so[1] + j * so[2]) = acc };
            }
        }
    }
}
