//! The matmul family: mm, bmm, mv, dot and matmul with batch broadcasting.

use super::shape::{expand, reshape, squeeze, transpose, unsqueeze};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

fn check_dtypes(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "expected m1 and m2 to have the same dtype, but got: {} != {}",
            ctype(a.dtype()),
            ctype(b.dtype())
        )));
    }
    if a.dtype() == DType::Bool {
        return Err(Error::not_implemented(
            "\"addmm_impl_cpu_\" not implemented for 'Bool'",
        ));
    }
    Ok(())
}

/// C type names used in PyTorch's matmul messages.
pub(crate) fn ctype(d: DType) -> &'static str {
    match d {
        DType::F32 => "float",
        DType::F64 => "double",
        DType::F16 => "c10::Half",
        DType::BF16 => "c10::BFloat16",
        DType::I64 => "long int",
        DType::I32 => "int",
        DType::I16 => "short int",
        DType::I8 => "signed char",
        DType::U8 => "unsigned char",
        DType::Bool => "bool",
    }
}

/// Batched product of 3-d operands with one backward node.
fn bmm_named(a: &Tensor, b: &Tensor, name: &'static str) -> Result<Tensor> {
    let (batch, m) = (a.sizes()[0], a.sizes()[1]);
    let n = b.sizes()[2];
    let out = Tensor::empty(&[batch, m, n], a.dtype());
    crate::cpu::matmul::bmm_into(&out, a, b);
    if needs_grad(&[a, b]) {
        let (sa, sb) = (SavedTensor::input(a), SavedTensor::input(b));
        let (na, nb) = (a.requires_grad(), b.requires_grad());
        return Ok(autograd::record1(
            name,
            &[a, b],
            out,
            true,
            Box::new(move |g| {
                let ga = if na {
                    Some(bmm_named(
                        &g[0],
                        &transpose(&sb.unpack()?, 1, 2)?,
                        "BmmBackward0",
                    )?)
                } else {
                    None
                };
                let gb = if nb {
                    Some(bmm_named(
                        &transpose(&sa.unpack()?, 1, 2)?,
                        &g[0],
                        "BmmBackward0",
                    )?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }),
        ));
    }
    Ok(out)
}

pub fn bmm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() != 3 {
        return Err(Error::runtime("batch1 must be a 3D tensor"));
    }
    if b.ndim() != 3 {
        return Err(Error::runtime("batch2 must be a 3D tensor"));
    }
    check_dtypes(a, b)?;
    if a.sizes()[0] != b.sizes()[0] || a.sizes()[2] != b.sizes()[1] {
        return Err(Error::runtime(format!(
            "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
            a.sizes()[0],
            a.sizes()[2],
            b.sizes()[0],
            b.sizes()[1]
        )));
    }
    bmm_named(a, b, "BmmBackward0")
}

pub fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() != 2 {
        return Err(Error::runtime("self must be a matrix"));
    }
    if b.ndim() != 2 {
        return Err(Error::runtime("mat2 must be a matrix"));
    }
    check_dtypes(a, b)?;
    if a.sizes()[1] != b.sizes()[0] {
        return Err(Error::runtime(format!(
            "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
            a.sizes()[0],
            a.sizes()[1],
            b.sizes()[0],
            b.sizes()[1]
        )));
    }
    let (m, n) = (a.sizes()[0], b.sizes()[1]);
    let out = Tensor::empty(&[m, n], a.dtype());
    crate::cpu::matmul::bmm_into(
        &out.with_layout(out.layout().unsqueeze(0)),
        &a.with_layout(a.layout().unsqueeze(0)),
        &b.with_layout(b.layout().unsqueeze(0)),
    );
    if needs_grad(&[a, b]) {
        let (sa, sb) = (SavedTensor::input(a), SavedTensor::input(b));
        let (na, nb) = (a.requires_grad(), b.requires_grad());
        return Ok(autograd::record1(
            "MmBackward0",
            &[a, b],
            out,
            true,
            Box::new(move |g| {
                let ga = if na {
                    Some(mm(&g[0], &super::shape::t(&sb.unpack()?)?)?)
                } else {
                    None
                };
                let gb = if nb {
                    Some(mm(&super::shape::t(&sa.unpack()?)?, &g[0])?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }),
        ));
    }
    Ok(out)
}

pub fn mv(a: &Tensor, v: &Tensor) -> Result<Tensor> {
    if a.ndim() != 2 || v.ndim() != 1 {
        return Err(Error::runtime(format!(
            "vector + matrix @ vector expected, got 1, {}, {}",
            a.ndim(),
            v.ndim()
        )));
    }
    if a.sizes()[1] != v.sizes()[0] {
        return Err(Error::runtime(format!(
            "size mismatch, got input ({}), mat ({}x{}), vec ({})",
            a.sizes()[0],
            a.sizes()[0],
            a.sizes()[1],
            v.sizes()[0]
        )));
    }
    check_dtypes(a, v)?;
    let out = {
        let _g = crate::autograd::mode::GradModeGuard::new(false);
        squeeze(&mm(a, &unsqueeze(v, 1)?)?, Some(&[1]))?.detach()
    };
    if needs_grad(&[a, v]) {
        let (sa, sv) = (SavedTensor::input(a), SavedTensor::input(v));
        let (na, nv) = (a.requires_grad(), v.requires_grad());
        return Ok(autograd::record1(
            "MvBackward0",
            &[a, v],
            out,
            true,
            Box::new(move |g| {
                let ga = if na {
                    Some(super::binary::mul(
                        &unsqueeze(&g[0], 1)?,
                        &unsqueeze(&sv.unpack()?, 0)?,
                    )?)
                } else {
                    None
                };
                let gv = if nv {
                    Some(mv(&super::shape::t(&sa.unpack()?)?, &g[0])?)
                } else {
                    None
                };
                Ok(vec![ga, gv])
            }),
        ));
    }
    Ok(out)
}

pub fn dot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() != 1 || b.ndim() != 1 {
        return Err(Error::runtime(format!(
            "1D tensors expected, but got {}D and {}D tensors",
            a.ndim(),
            b.ndim()
        )));
    }
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "dot : expected both vectors to have same dtype, but found {} and {}",
            super::capitalized(a.dtype()),
            super::capitalized(b.dtype())
        )));
    }
    if a.dtype() == DType::Bool {
        return Err(Error::not_implemented("\"dot\" not implemented for 'Bool'"));
    }
    if a.numel() != b.numel() {
        return Err(Error::runtime(format!(
            "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
            a.numel(),
            b.numel(),
            a.numel(),
            b.numel()
        )));
    }
    let out = {
        let _g = crate::autograd::mode::GradModeGuard::new(false);
        reshape(&mm(&unsqueeze(a, 0)?, &unsqueeze(b, 1)?)?, &[])?.detach()
    };
    if needs_grad(&[a, b]) {
        let (sa, sb) = (SavedTensor::input(a), SavedTensor::input(b));
        let (na, nb) = (a.requires_grad(), b.requires_grad());
        return Ok(autograd::record1(
            "DotBackward0",
            &[a, b],
            out,
            true,
            Box::new(move |g| {
                let ga = if na {
                    Some(super::binary::mul(&g[0], &sb.unpack()?)?)
                } else {
                    None
                };
                let gb = if nb {
                    Some(super::binary::mul(&g[0], &sa.unpack()?)?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }),
        ));
    }
    Ok(out)
}

/// `matmul`: numpy's rules, with batch dims broadcast.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (da, db) = (a.ndim(), b.ndim());
    if da == 0 || db == 0 {
        return Err(Error::runtime(format!(
            "both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )));
    }
    match (da, db) {
        (1, 1) => dot(a, b),
        (2, 1) => mv(a, b),
        (1, 2) => squeeze(&mm(&unsqueeze(a, 0)?, b)?, Some(&[0])),
        (2, 2) => mm(a, b),
        _ if should_fold(a, b) => folded(a, b),
        _ => batched(a, b),
    }
}

/// Whether a product of an N-d (N >= 3) and a 1-d or 2-d operand runs as one tall matrix
/// against the small operand (one mm/mv instead of a batch of small products).
fn should_fold(a: &Tensor, b: &Tensor) -> bool {
    let a_larger = a.ndim() >= b.ndim();
    let (big, small) = if a_larger { (a, b) } else { (b, a) };
    if big.ndim() < 3 || small.ndim() > 2 {
        return false;
    }
    // Folding also spares the backward an expanded copy of the small operand's gradient.
    if small.requires_grad() && crate::autograd::mode::is_grad_enabled() {
        return true;
    }
    // A 2-d left operand would fold only through a transposed, copied result.
    if a.ndim() == 2 {
        return false;
    }
    if big.numel() == 0 {
        return true;
    }
    // The big operand (transposed when it is on the right) must merge its leading dims
    // into rows without a copy.
    let layout = if a_larger {
        big.layout().clone()
    } else {
        big.layout().transpose(big.ndim() - 2, big.ndim() - 1)
    };
    let (s, st) = (&layout.sizes, &layout.strides);
    (0..s.len() - 2).all(|i| st[i] == st[i + 1] * s[i + 1] as isize)
}

/// N-d @ 2-d or 1-d as one mm/mv on the N-d operand with its leading dims merged.
fn folded(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let flip = b.ndim() > a.ndim();
    let t1 = if flip {
        transpose(b, -1, -2)?
    } else {
        a.clone()
    };
    let t2 = match (flip, a.ndim()) {
        (true, 2) => super::shape::t(a)?,
        (true, _) => a.clone(),
        (false, _) => b.clone(),
    };
    let s1 = t1.sizes().to_vec();
    let k = s1[s1.len() - 1];
    let rows: usize = s1[..s1.len() - 1].iter().product();
    let mut out_shape = s1[..s1.len() - 1].to_vec();
    if t2.ndim() == 2 {
        out_shape.push(t2.sizes()[1]);
    }
    let tall = reshape(&t1, &[rows as i64, k as i64])?;
    let out = if t2.ndim() == 2 {
        mm(&tall, &t2)?
    } else {
        mv(&tall, &t2)?
    };
    if flip && t2.ndim() == 2 {
        let shape: Vec<i64> = out_shape.iter().map(|&v| v as i64).collect();
        // Back to row-major, as PyTorch returns it.
        return Ok(super::copy::contiguous(&transpose(
            &super::shape::view(&out, &shape)?,
            -1,
            -2,
        )?));
    }
    super::join::unsafe_view(&out, &out_shape)
}

fn batched(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    check_dtypes(a, b)?;
    let a2 = if a.ndim() == 1 {
        unsqueeze(a, 0)?
    } else {
        a.clone()
    };
    let b2 = if b.ndim() == 1 {
        unsqueeze(b, 1)?
    } else {
        b.clone()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let (m, k) = (a2.sizes()[ra - 2], a2.sizes()[ra - 1]);
    let (k2, n) = (b2.sizes()[rb - 2], b2.sizes()[rb - 1]);
    let batch = broadcast_shapes(&a2.sizes()[..ra - 2], &b2.sizes()[..rb - 2])?;
    let nb: usize = batch.iter().product();
    if k != k2 {
        return Err(Error::runtime(format!(
            "Expected size for first two dimensions of batch2 tensor to be: [{nb}, {k}] but got: [{nb}, {k2}]."
        )));
    }
    let batch_i: Vec<i64> = batch.iter().map(|&s| s as i64).collect();
    let ea = expand(&a2, &[batch_i.as_slice(), &[m as i64, k as i64]].concat())?;
    let eb = expand(&b2, &[batch_i.as_slice(), &[k as i64, n as i64]].concat())?;
    let mut shape: Vec<usize> = batch.to_vec();
    if a.ndim() > 1 {
        shape.push(m);
    }
    if b.ndim() > 1 {
        shape.push(n);
    }
    if needs_grad(&[a, b]) {
        // PyTorch's composition (expand, reshape, bmm, view), so the graph has its nodes.
        let a3 = reshape(&ea, &[nb as i64, m as i64, k as i64])?;
        let b3 = reshape(&eb, &[nb as i64, k as i64, n as i64])?;
        let out = bmm_named(&a3, &b3, "BmmBackward0")?;
        return super::join::unsafe_view(&out, &shape);
    }
    // Without history the batch dims are walked by stride: no operand is copied.
    let full: Vec<usize> = [batch.as_slice(), &[m, n]].concat();
    let out = Tensor::empty(&full, a.dtype());
    crate::cpu::matmul::matmul_into(&out, &ea, &eb);
    Ok(out.with_layout(crate::layout::Layout::contiguous(&shape)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: Vec<f32>, s: &[usize]) -> Tensor {
        Tensor::from_vec(v, s).unwrap()
    }

    #[test]
    fn products() {
        let a = t(vec![1., 2., 3., 4., 5., 6.], &[2, 3]);
        let b = t(vec![1., 0., 0., 1., 1., 1.], &[3, 2]);
        assert_eq!(mm(&a, &b).unwrap().to_f64_vec(), vec![4., 5., 10., 11.]);
        let at = transpose(&a, 0, 1).unwrap();
        assert_eq!(mm(&at, &a).unwrap().to_f64_vec()[0], 17.0);
        let v = t(vec![1., 1., 1.], &[3]);
        assert_eq!(matmul(&a, &v).unwrap().to_f64_vec(), vec![6., 15.]);
        assert_eq!(dot(&v, &v).unwrap().to_f64_vec(), vec![3.]);
        assert!(mm(&a, &a).is_err());
        let ia = Tensor::from_vec(vec![1i64, 2, 3, 4], &[2, 2]).unwrap();
        assert_eq!(mm(&ia, &ia).unwrap().to_f64_vec(), vec![7., 10., 15., 22.]);
    }

    #[test]
    fn batched_broadcast() {
        let a = t((0..12).map(|v| v as f32).collect(), &[2, 2, 3]);
        let b = t(vec![1., 0., 0., 1., 1., 1.], &[3, 2]);
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.sizes(), &[2, 2, 2]);
        assert_eq!(c.to_f64_vec()[6..], [20., 21.]);
    }
}
