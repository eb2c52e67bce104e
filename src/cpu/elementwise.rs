//! Elementwise loops over strided operands. Inner runs with unit strides are plain pointer
//! loops the compiler vectorises; anything else walks strides. Raw pointers throughout,
//! because in-place ops alias their output with an input.

use super::iter::{SendPtr, StridedIter, GRAIN};
use crate::tensor::Tensor;

/// `out[i] = f(inp[i])`; `inp` already has `out`'s shape (expanded if broadcast).
pub fn map1<I: Copy, O: Copy>(out: &Tensor, inp: &Tensor, f: impl Fn(I) -> O + Sync) {
    if out.is_contiguous() && inp.is_contiguous() && out.numel() < GRAIN {
        // Small dense operands: one plain loop, no iterator set-up.
        let (o, i) = (out.data_ptr_raw() as *mut O, inp.data_ptr_raw() as *const I);
        for k in 0..out.numel() {
            unsafe { *o.add(k) = f(*i.add(k)) };
        }
        return;
    }
    let it = StridedIter::new(out.sizes(), [out.strides(), inp.strides()]);
    let po = SendPtr(out.data_ptr_raw() as *mut O);
    let pi = SendPtr(inp.data_ptr_raw() as *mut I);
    let [so, si] = it.inner_strides();
    it.par_runs(|offs, len| unsafe {
        let o = po.at(offs[0]);
        let i = pi.at(offs[1]);
        if so == 1 && si == 1 {
            for k in 0..len {
                *o.add(k) = f(*i.add(k));
            }
        } else if so == 1 && si == 0 {
            let v = f(*i);
            for k in 0..len {
                *o.add(k) = v;
            }
        } else {
            for k in 0..len as isize {
                *o.offset(k * so) = f(*i.offset(k * si));
            }
        }
    });
}

/// `out[i] = f(a[i], b[i])`.
pub fn map2<A: Copy, B: Copy, O: Copy>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(A, B) -> O + Sync,
) {
    let n = out.numel();
    if n < GRAIN && out.is_contiguous() && a.is_contiguous() {
        let (o, x, y) = (
            out.data_ptr_raw() as *mut O,
            a.data_ptr_raw() as *const A,
            b.data_ptr_raw() as *const B,
        );
        if b.is_contiguous() {
            for k in 0..n {
                unsafe { *o.add(k) = f(*x.add(k), *y.add(k)) };
            }
            return;
        }
        if b.strides().iter().all(|&s| s == 0) {
            let yv = unsafe { *y };
            for k in 0..n {
                unsafe { *o.add(k) = f(*x.add(k), yv) };
            }
            return;
        }
    }
    let it = StridedIter::new(out.sizes(), [out.strides(), a.strides(), b.strides()]);
    let po = SendPtr(out.data_ptr_raw() as *mut O);
    let pa = SendPtr(a.data_ptr_raw() as *mut A);
    let pb = SendPtr(b.data_ptr_raw() as *mut B);
    let [so, sa, sb] = it.inner_strides();
    it.par_runs(|offs, len| unsafe {
        let o = po.at(offs[0]);
        let x = pa.at(offs[1]);
        let y = pb.at(offs[2]);
        if so == 1 && sa == 1 && sb == 1 {
            for k in 0..len {
                *o.add(k) = f(*x.add(k), *y.add(k));
            }
        } else if so == 1 && sa == 1 && sb == 0 {
            let yv = *y;
            for k in 0..len {
                *o.add(k) = f(*x.add(k), yv);
            }
        } else if so == 1 && sa == 0 && sb == 1 {
            let xv = *x;
            for k in 0..len {
                *o.add(k) = f(xv, *y.add(k));
            }
        } else {
            for k in 0..len as isize {
                *o.offset(k * so) = f(*x.offset(k * sa), *y.offset(k * sb));
            }
        }
    });
}

/// `out[i] = f(a[i], b[i], c[i])`.
pub fn map3<A: Copy, B: Copy, C: Copy, O: Copy>(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    f: impl Fn(A, B, C) -> O + Sync,
) {
    let it = StridedIter::new(
        out.sizes(),
        [out.strides(), a.strides(), b.strides(), c.strides()],
    );
    let po = SendPtr(out.data_ptr_raw() as *mut O);
    let pa = SendPtr(a.data_ptr_raw() as *mut A);
    let pb = SendPtr(b.data_ptr_raw() as *mut B);
    let pc = SendPtr(c.data_ptr_raw() as *mut C);
    let [so, sa, sb, sc] = it.inner_strides();
    it.par_runs(|offs, len| unsafe {
        let o = po.at(offs[0]);
        let x = pa.at(offs[1]);
        let y = pb.at(offs[2]);
        let z = pc.at(offs[3]);
        if so == 1 && sa == 1 && sb == 1 && sc == 1 {
            for k in 0..len {
                *o.add(k) = f(*x.add(k), *y.add(k), *z.add(k));
            }
        } else {
            for k in 0..len as isize {
                *o.offset(k * so) = f(*x.offset(k * sa), *y.offset(k * sb), *z.offset(k * sc));
            }
        }
    });
}

/// Write `v` into every element of `out`.
pub fn fill<T: Copy + Send + Sync>(out: &Tensor, v: T) {
    let it = StridedIter::new(out.sizes(), [out.strides()]);
    let po = SendPtr(out.data_ptr_raw() as *mut T);
    let [so] = it.inner_strides();
    it.par_runs(|offs, len| unsafe {
        let o = po.at(offs[0]);
        if so == 1 {
            for k in 0..len {
                *o.add(k) = v;
            }
        } else {
            for k in 0..len as isize {
                *o.offset(k * so) = v;
            }
        }
    });
}

/// Visit every element of `t` in memory order (read only, single thread).
pub fn for_each<T: Copy>(t: &Tensor, mut f: impl FnMut(T)) {
    let it = StridedIter::new(t.sizes(), [t.strides()]);
    let p = t.data_ptr_raw() as *const T;
    let [s] = it.inner_strides();
    it.for_each_run(0, it.numel(), |offs, len| unsafe {
        let q = p.offset(offs[0]);
        for k in 0..len as isize {
            f(*q.offset(k * s));
        }
    });
}
