//! Products beyond mm/bmm: vdot, the `beta * input + alpha * product` family (addmm,
//! addmv, addr, baddbmm, addbmm), tensordot and einsum.
//!
//! The add-products compute raw and record one node under PyTorch's name; tensordot and
//! einsum are compositions of permutes, reshapes, sums and bmm, so they differentiate
//! through those.

use super::binary::mul;
use super::matmul::{bmm, dot, mm, mv};
use super::reduce::{sum, sum_to_size};
use super::shape::{diagonal, expand, permute, reshape, transpose, unsqueeze};
use crate::autograd::mode::GradModeGuard;
use crate::autograd::{self, needs_grad, record1, SavedTensor};
use crate::dtype::{DType, Element, Scalar};
use crate::error::{Error, Result};
use crate::layout::wrap_dims;
use crate::shape::wrap_dim;
use crate::tensor::Tensor;

fn to_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&v| v as i64).collect()
}

fn raw<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let _g = GradModeGuard::new(false);
    f()
}

fn name(d: DType) -> &'static str {
    super::capitalized(d)
}

/// `vdot(other)`: the dot product (conjugating the first operand is a no-op on reals).
pub fn vdot(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.ndim() != 1 || b.ndim() != 1 {
        return Err(Error::runtime(format!(
            "1D tensors expected, but got {}D and {}D tensors",
            a.ndim(),
            b.ndim()
        )));
    }
    let out = raw(|| dot(a, b))?.detach();
    if needs_grad(&[a, b]) {
        let (sa, sb) = (SavedTensor::input(a), SavedTensor::input(b));
        let (na, nb) = (a.requires_grad(), b.requires_grad());
        return Ok(record1(
            "VdotBackward0",
            &[a, b],
            out,
            true,
            Box::new(move |g| {
                let ga = if na {
                    Some(mul(&g[0], &sb.unpack()?)?)
                } else {
                    None
                };
                let gb = if nb {
                    Some(mul(&g[0], &sa.unpack()?)?)
                } else {
                    None
                };
                Ok(vec![ga, gb])
            }),
        ));
    }
    Ok(out)
}

// --- beta * input + alpha * product ------------------------------------------------------

/// Which product an add-product op adds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Product {
    /// `addmm`: matrix @ matrix.
    Mm,
    /// `addmv`: matrix @ vector.
    Mv,
    /// `addr`: outer product of two vectors.
    Outer,
    /// `baddbmm`: batched matrix @ matrix.
    Bmm,
    /// `addbmm`: batched products summed over the batch.
    SumBmm,
}

impl Product {
    fn node_name(self) -> &'static str {
        match self {
            Product::Mm => "AddmmBackward0",
            Product::Mv => "AddmvBackward0",
            Product::Outer => "AddrBackward0",
            Product::Bmm => "BaddbmmBackward0",
            Product::SumBmm => "AddbmmBackward0",
        }
    }
}

fn same_dtype(a: &Tensor, b: &Tensor, what: &str) -> Result<()> {
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "{what} must have the same dtype, but got {} and {}",
            name(a.dtype()),
            name(b.dtype())
        )));
    }
    Ok(())
}

fn not_for_bool(d: DType) -> Result<()> {
    if d == DType::Bool {
        return Err(Error::not_implemented(
            "\"addmm_impl_cpu_\" not implemented for 'Bool'",
        ));
    }
    Ok(())
}

/// A batch operand of baddbmm/addbmm: 3-D; fewer dims fail on `size(2)` as in PyTorch.
fn require_batch(t: &Tensor, arg: &str) -> Result<()> {
    if t.ndim() < 3 {
        wrap_dim(2, t.ndim())?;
    }
    if t.ndim() != 3 {
        return Err(Error::runtime(format!("{arg} must be a 3D tensor")));
    }
    Ok(())
}

/// Argument checks; returns the shape of the product.
fn check_product(kind: Product, input: &Tensor, a: &Tensor, b: &Tensor) -> Result<Vec<usize>> {
    match kind {
        Product::Mm => {
            for (t, arg) in [(a, "mat1"), (b, "mat2")] {
                if t.ndim() != 2 {
                    return Err(Error::runtime(format!(
                        "{arg} must be a matrix, got {}-D tensor",
                        t.ndim()
                    )));
                }
            }
            if a.sizes()[1] != b.sizes()[0] {
                return Err(Error::runtime(format!(
                    "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                    a.sizes()[0],
                    a.sizes()[1],
                    b.sizes()[0],
                    b.sizes()[1]
                )));
            }
            same_dtype(input, b, "self and mat2")?;
            same_dtype(a, b, "mat1 and mat2")?;
            not_for_bool(a.dtype())?;
            Ok(vec![a.sizes()[0], b.sizes()[1]])
        }
        Product::Mv => {
            if input.ndim() > 1 || a.ndim() != 2 || b.ndim() != 1 {
                return Err(Error::runtime(format!(
                    "vector + matrix @ vector expected, got {}, {}, {}",
                    input.ndim(),
                    a.ndim(),
                    b.ndim()
                )));
            }
            if a.sizes()[1] != b.sizes()[0]
                || input.numel() != 1 && input.sizes().last() != Some(&a.sizes()[0])
            {
                return Err(Error::runtime(format!(
                    "size mismatch, got input ({}), mat ({}x{}), vec ({})",
                    input.sizes().first().copied().unwrap_or(1),
                    a.sizes()[0],
                    a.sizes()[1],
                    b.sizes()[0]
                )));
            }
            if input.dtype() != a.dtype() || a.dtype() != b.dtype() {
                return Err(Error::runtime(format!(
                    "addmv input tensors must have the same dtype, but got {}, {}, and {}",
                    name(input.dtype()),
                    name(a.dtype()),
                    name(b.dtype())
                )));
            }
            not_for_bool(a.dtype())?;
            Ok(vec![a.sizes()[0]])
        }
        Product::Outer => {
            for (t, arg) in [(a, "vec1"), (b, "vec2")] {
                if t.ndim() != 1 {
                    return Err(Error::runtime(format!(
                        "addr: Expected 1-D argument {arg}, but got {}-D",
                        t.ndim()
                    )));
                }
            }
            Ok(vec![a.numel(), b.numel()])
        }
        Product::Bmm | Product::SumBmm => {
            require_batch(a, "batch1")?;
            require_batch(b, "batch2")?;
            let (sa, sb) = (a.sizes(), b.sizes());
            // The input is broadcast to the result's shape before the operands are matched.
            let target: Vec<i64> = match kind {
                Product::Bmm => vec![sa[0] as i64, sa[1] as i64, sb[2] as i64],
                _ => vec![sa[1] as i64, sb[2] as i64],
            };
            input.layout().expand(&target)?;
            if kind == Product::SumBmm {
                if sa[0] != sb[0] {
                    return Err(Error::runtime(format!(
                        "batch1 and batch2 must have same number of batches, got {} and {}",
                        sa[0], sb[0]
                    )));
                }
                if sa[2] != sb[1] {
                    return Err(Error::runtime(format!(
                        "Incompatible matrix sizes for bmm ({}x{} and {}x{})",
                        sa[1], sa[2], sb[1], sb[2]
                    )));
                }
                same_dtype(input, b, "self and mat2")?;
                same_dtype(a, b, "mat1 and mat2")?;
                not_for_bool(a.dtype())?;
                return Ok(vec![sa[1], sb[2]]);
            }
            if sa[0] != sb[0] || sa[2] != sb[1] {
                return Err(Error::runtime(format!(
                    "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                    sa[0], sa[2], sb[0], sb[1]
                )));
            }
            if input.dtype() != a.dtype() {
                return Err(Error::runtime(format!(
                    "Input dtypes must be the same, got: input {}, batch1: {}, batch2: {}",
                    super::matmul::ctype(input.dtype()),
                    super::matmul::ctype(a.dtype()),
                    super::matmul::ctype(b.dtype())
                )));
            }
            if a.dtype() != b.dtype() {
                return Err(Error::runtime(format!(
                    "expected scalar type {} but found {}",
                    name(a.dtype()),
                    name(b.dtype())
                )));
            }
            not_for_bool(a.dtype())?;
            Ok(vec![sa[0], sa[1], sb[2]])
        }
    }
}

/// addr's scalar rules: floats need a floating result, bools a boolean one.
fn check_scalars_for(dtype: DType, beta: Scalar, alpha: Scalar) -> Result<()> {
    for (s, arg) in [(beta, "beta"), (alpha, "alpha")] {
        if s.is_float() && !dtype.is_float() {
            return Err(Error::runtime(format!(
                "For integral input tensors, argument {arg} must not be a floating point number."
            )));
        }
        if matches!(s, Scalar::Bool(_)) && dtype != DType::Bool {
            return Err(Error::runtime(format!(
                "Boolean {arg} only supported for Boolean results."
            )));
        }
    }
    Ok(())
}

/// The product, computed without history: in `dtype`, except that half types multiply in
/// float32 so the sum with the input is rounded once.
fn product_raw(kind: Product, a: &Tensor, b: &Tensor, dtype: DType) -> Result<Tensor> {
    if matches!(dtype, DType::F16 | DType::BF16) && kind != Product::Outer {
        return product_raw(
            kind,
            &super::cast(a, DType::F32),
            &super::cast(b, DType::F32),
            DType::F32,
        );
    }
    raw(|| match kind {
        Product::Mm => mm(a, b),
        Product::Mv => mv(a, b),
        Product::Outer => {
            let (a, b) = (super::cast(a, dtype), super::cast(b, dtype));
            let out = Tensor::empty(&[a.numel(), b.numel()], dtype);
            let (ae, be) = (
                unsqueeze(&a, 1)?.expand_to(out.sizes())?,
                unsqueeze(&b, 0)?.expand_to(out.sizes())?,
            );
            outer_kernel(&out, &ae, &be);
            Ok(out)
        }
        Product::Bmm => bmm(a, b),
        Product::SumBmm => {
            // sum_b a[b] @ b[b] is one product of (n, B*k) and (B*k, p).
            let (nb, n, k) = (a.sizes()[0], a.sizes()[1], a.sizes()[2]);
            let p = b.sizes()[2];
            let a2 = reshape(&permute(a, &[1, 0, 2])?, &[n as i64, (nb * k) as i64])?;
            let b2 = reshape(b, &[(nb * k) as i64, p as i64])?;
            mm(&a2, &b2)
        }
    })
}

fn outer_kernel(out: &Tensor, a: &Tensor, b: &Tensor) {
    crate::dispatch_all!(out.dtype(), T => {
        use crate::cpu::math::Arith;
        crate::cpu::elementwise::map2::<T, T, T>(out, a, b, |x, y| x.mul(y))
    });
}

trait ExpandTo {
    fn expand_to(&self, sizes: &[usize]) -> Result<Tensor>;
}

impl ExpandTo for Tensor {
    fn expand_to(&self, sizes: &[usize]) -> Result<Tensor> {
        super::broadcast_to(self, sizes)
    }
}

/// `out = beta * input + alpha * prod` elementwise; `beta == 0` ignores `input` entirely
/// (NaN and inf in it do not leak through), as PyTorch's BLAS-style contract says.
fn scale_add(input: &Tensor, prod: &Tensor, beta: Scalar, alpha: Scalar, dtype: DType) -> Tensor {
    if prod.dtype() != dtype {
        // A float32 product of half operands: combine in float32, round once.
        let out = scale_add(input, prod, beta, alpha, prod.dtype());
        return super::cast(&out, dtype);
    }
    let out = Tensor::empty(prod.sizes(), dtype);
    let beta_zero = beta.to_f64() == 0.0;
    let alpha_one = alpha.to_f64() == 1.0;
    if beta_zero && alpha_one {
        crate::cpu::copy::copy_cast(&out, prod);
        return out;
    }
    let inp = super::cast(input, dtype);
    let (b, a) = (beta.to_f64(), alpha.to_f64());
    crate::dispatch_float!(dtype, T => {
        let (ba, aa) = (b as Acc, a as Acc);
        crate::cpu::elementwise::map2::<T, T, T>(&out, &inp, prod, move |c, p| {
            let p = aa * <T as crate::dtype::FloatElement>::to_acc(p);
            let v = if beta_zero { p } else { ba * <T as crate::dtype::FloatElement>::to_acc(c) + p };
            <T as crate::dtype::FloatElement>::from_acc(v)
        })
    }, _ => {
        if dtype == DType::Bool {
            let (bb, ab) = (beta.to_f64() != 0.0, alpha.to_f64() != 0.0);
            crate::cpu::elementwise::map2::<bool, bool, bool>(&out, &inp, prod, move |c, p| (bb && c) || (ab && p));
        } else {
            // Integer results take the scalars truncated to integers.
            let (bi, ai) = (beta.to_i64(), alpha.to_i64());
            crate::dispatch_int!(dtype, T => {
                use crate::cpu::math::Arith;
                let (bt, at) = (T::from_i64(bi), T::from_i64(ai));
                crate::cpu::elementwise::map2::<T, T, T>(&out, &inp, prod, move |c, p| {
                    let p = at.mul(p);
                    if beta_zero { p } else { bt.mul(c).add(p) }
                })
            }, _ => unreachable!("bool handled above"))
        }
    });
    out
}

fn scaled(t: &Tensor, s: Scalar) -> Result<Tensor> {
    if s.to_f64() == 1.0 {
        return Ok(t.clone());
    }
    mul(t, &Tensor::wrapped_scalar(s))
}

/// Gradients of the two product operands for an output gradient `g`.
fn product_grads(
    kind: Product,
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    need: [bool; 2],
) -> Result<[Option<Tensor>; 2]> {
    let (ga, gb) = match kind {
        Product::Mm => (
            need[0].then(|| mm(g, &transpose(b, 0, 1)?)).transpose()?,
            need[1].then(|| mm(&transpose(a, 0, 1)?, g)).transpose()?,
        ),
        Product::Mv => (
            need[0]
                .then(|| mul(&unsqueeze(g, 1)?, &unsqueeze(b, 0)?))
                .transpose()?,
            need[1].then(|| mv(&transpose(a, 0, 1)?, g)).transpose()?,
        ),
        Product::Outer => {
            let (a2, b2) = (
                super::copy::to_dtype(a, g.dtype())?,
                super::copy::to_dtype(b, g.dtype())?,
            );
            (
                need[0]
                    .then(|| mv(g, &b2))
                    .transpose()?
                    .map(|t| super::copy::to_dtype(&t, a.dtype()))
                    .transpose()?,
                need[1]
                    .then(|| mv(&transpose(g, 0, 1)?, &a2))
                    .transpose()?
                    .map(|t| super::copy::to_dtype(&t, b.dtype()))
                    .transpose()?,
            )
        }
        Product::Bmm => (
            need[0].then(|| bmm(g, &transpose(b, 1, 2)?)).transpose()?,
            need[1].then(|| bmm(&transpose(a, 1, 2)?, g)).transpose()?,
        ),
        Product::SumBmm => {
            let nb = a.sizes()[0] as i64;
            let ge = expand(
                &unsqueeze(g, 0)?,
                &[nb, g.sizes()[0] as i64, g.sizes()[1] as i64],
            )?;
            (
                need[0]
                    .then(|| bmm(&ge, &transpose(b, 1, 2)?))
                    .transpose()?,
                need[1]
                    .then(|| bmm(&transpose(a, 1, 2)?, &ge))
                    .transpose()?,
            )
        }
    };
    Ok([ga, gb])
}

/// The backward shared by the out-of-place and in-place forms.
fn add_product_backward(
    kind: Product,
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> autograd::node::BackwardFn {
    let (sa, sb) = (SavedTensor::input(a), SavedTensor::input(b));
    let need = [input.requires_grad(), a.requires_grad(), b.requires_grad()];
    let (in_sizes, in_dtype) = (input.dims(), input.dtype());
    Box::new(move |g| {
        let g = &g[0];
        let gi = if need[0] {
            let r = sum_to_size(&scaled(g, beta)?, &in_sizes)?;
            Some(super::copy::to_dtype(&r, in_dtype)?)
        } else {
            None
        };
        let (a, b) = (sa.unpack()?, sb.unpack()?);
        let [ga, gb] = product_grads(kind, g, &a, &b, [need[1], need[2]])?;
        let ga = ga.map(|t| scaled(&t, alpha)).transpose()?;
        let gb = gb.map(|t| scaled(&t, alpha)).transpose()?;
        Ok(vec![gi, ga, gb])
    })
}

/// Checks, result dtype and product shape of an add-product.
fn prepare(
    kind: Product,
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> Result<(Vec<usize>, DType)> {
    let shape = check_product(kind, input, a, b)?;
    let dtype = if kind == Product::Outer {
        let dt = crate::dtype::promote_types(
            input.dtype(),
            crate::dtype::promote_types(a.dtype(), b.dtype()),
        );
        check_scalars_for(dt, beta, alpha)?;
        dt
    } else {
        a.dtype()
    };
    Ok((shape, dtype))
}

/// `addmm`, `addmv`, `addr`, `baddbmm`, `addbmm`: `beta * input + alpha * (a op b)`.
pub fn add_product(
    kind: Product,
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> Result<Tensor> {
    let (shape, dtype) = prepare(kind, input, a, b, beta, alpha)?;
    let inp = super::broadcast_to(input, &shape)?;
    let prod = product_raw(kind, a, b, dtype)?;
    let out = scale_add(&inp, &prod, beta, alpha, dtype);
    if needs_grad(&[input, a, b]) {
        let backward = add_product_backward(kind, input, a, b, beta, alpha);
        return Ok(record1(
            kind.node_name(),
            &[input, a, b],
            out,
            true,
            backward,
        ));
    }
    Ok(out)
}

/// The in-place forms (`addmm_`, ...): `input` must already have the result's shape.
pub fn add_product_(
    kind: Product,
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> Result<Tensor> {
    let (shape, dtype) = prepare(kind, input, a, b, beta, alpha)?;
    if input.sizes() != shape.as_slice() {
        return Err(Error::runtime(format!(
            "Bad in-place call: input tensor size {} and output tensor size {} should match",
            crate::shape::fmt_sizes(input.sizes()),
            crate::shape::fmt_sizes(&shape)
        )));
    }
    super::check_inplace_dtype(dtype, input.dtype())?;
    let grad = needs_grad(&[input, a, b]);
    super::copy::begin_inplace(input, grad)?;
    let prod = product_raw(kind, a, b, dtype)?;
    let out = scale_add(input, &prod, beta, alpha, dtype);
    crate::cpu::copy::copy_cast(input, &out);
    input.storage().bump_version();
    if grad {
        let backward = add_product_backward(kind, &input.detach(), a, b, beta, alpha);
        let need_input = input.requires_grad();
        // The node's first input is the tensor being overwritten: its gradient is beta * g.
        let wrapped: autograd::node::BackwardFn = Box::new(move |g| {
            let mut grads = backward(g)?;
            if need_input {
                grads[0] = Some(scaled(&g[0], beta)?);
            }
            Ok(grads)
        });
        return Ok(autograd::rebase_inplace(
            kind.node_name(),
            input,
            &[a, b],
            true,
            wrapped,
        ));
    }
    Ok(input.clone())
}

// --- tensordot -------------------------------------------------------------------------------

/// `tensordot(a, b, dims=([...], [...]))`: contract the listed dims pairwise.
pub fn tensordot(a: &Tensor, b: &Tensor, dims_a: &[i64], dims_b: &[i64]) -> Result<Tensor> {
    if dims_a.len() != dims_b.len() {
        return Err(Error::runtime(
            "both dimension lists should have same length",
        ));
    }
    if a.dtype() != b.dtype() {
        return Err(Error::runtime("both inputs should have same dtype"));
    }
    let da = wrap_dims(dims_a, a.ndim())?;
    let db = wrap_dims(dims_b, b.ndim())?;
    let (mut a, mut b) = (a.clone(), b.clone());
    for (&i, &j) in da.iter().zip(&db) {
        let (si, sj) = (a.sizes()[i], b.sizes()[j]);
        if si == sj {
            continue;
        }
        // A size-1 side broadcasts: contract the other side on its own first.
        if si == 1 {
            b = sum(&b, Some(&[j as i64]), true, None)?;
        } else if sj == 1 {
            a = sum(&a, Some(&[i as i64]), true, None)?;
        } else {
            return Err(Error::runtime(format!(
                "contracted dimensions need to match, but first has size {si} in dim {i} and second has size {sj} in dim {j}"
            )));
        }
    }
    let free_a: Vec<usize> = (0..a.ndim()).filter(|d| !da.contains(d)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|d| !db.contains(d)).collect();
    let size = |t: &Tensor, ds: &[usize]| ds.iter().map(|&d| t.sizes()[d]).product::<usize>();
    let (m, k, n) = (size(&a, &free_a), size(&a, &da), size(&b, &free_b));
    let pa: Vec<i64> = free_a.iter().chain(da.iter()).map(|&d| d as i64).collect();
    let pb: Vec<i64> = db.iter().chain(free_b.iter()).map(|&d| d as i64).collect();
    let am = reshape(&permute(&a, &pa)?, &[m as i64, k as i64])?;
    let bm = reshape(&permute(&b, &pb)?, &[k as i64, n as i64])?;
    let out_sizes: Vec<i64> = free_a
        .iter()
        .map(|&d| a.sizes()[d] as i64)
        .chain(free_b.iter().map(|&d| b.sizes()[d] as i64))
        .collect();
    reshape(&mm(&am, &bm)?, &out_sizes)
}

/// `tensordot(a, b, dims=n)`: the last `n` dims of `a` with the first `n` of `b`.
pub fn tensordot_n(a: &Tensor, b: &Tensor, n: i64) -> Result<Tensor> {
    if n < 0 {
        return Err(Error::runtime(format!(
            "tensordot expects dims >= 0, but got dims={n}"
        )));
    }
    if n as usize > a.ndim() || n as usize > b.ndim() {
        return Err(Error::runtime(format!(
            "tensordot expects dims < ndim_a or ndim_b, but got dims={n}"
        )));
    }
    let na = a.ndim() as i64;
    let dims_a: Vec<i64> = (na - n..na).collect();
    let dims_b: Vec<i64> = (0..n).collect();
    tensordot(a, b, &dims_a, &dims_b)
}

// --- einsum ------------------------------------------------------------------------------------

/// One subscript of an operand: a letter (0..52, 'A'..'Z' then 'a'..'z') or the ellipsis.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sub {
    Letter(u8),
    Ellipsis,
}

const LETTERS: usize = 52;

fn letter_index(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        _ => None,
    }
}

fn letter_char(i: u8) -> char {
    if i < 26 {
        (b'A' + i) as char
    } else {
        (b'a' + i - 26) as char
    }
}

fn einsum_err(msg: impl Into<String>) -> Error {
    Error::runtime(format!("einsum(): {}", msg.into()))
}

/// A parsed equation: subscripts per operand and the output's, if given.
#[derive(Debug)]
pub struct Equation {
    pub inputs: Vec<Vec<Sub>>,
    pub output: Option<Vec<Sub>>,
}

/// Parse the subscripts of one side; `who` names the operand in messages.
fn parse_terms(eq: &[u8], start: usize, end: usize, output: bool) -> Result<Vec<Vec<Sub>>> {
    let mut terms = vec![Vec::new()];
    let mut dots = 0;
    let mut has_ellipsis = false;
    let who = |n: usize| {
        if output {
            "output".to_string()
        } else {
            format!("operand {n}")
        }
    };
    let mut i = start;
    while i < end {
        let c = eq[i];
        let idx = terms.len() - 1;
        match c {
            b' ' => {}
            b'.' => {
                if has_ellipsis {
                    return Err(einsum_err(format!("found '.' for {} for which an ellipsis was already found", who(idx))));
                }
                dots += 1;
                if dots == 3 {
                    terms[idx].push(Sub::Ellipsis);
                    has_ellipsis = true;
                    dots = 0;
                }
            }
            b',' if !output => {
                terms.push(Vec::new());
                has_ellipsis = false;
            }
            _ => match letter_index(c) {
                Some(l) => terms[idx].push(Sub::Letter(l)),
                None => {
                    return Err(einsum_err(format!(
                        "invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]"
                    )))
                }
            },
        }
        if c != b'.' && dots != 0 {
            let tail = if output { " (...)" } else { "" };
            return Err(einsum_err(format!(
                "found '.' for {} that is not part of any ellipsis{tail}",
                who(idx)
            )));
        }
        i += 1;
    }
    if dots != 0 {
        let tail = if output { " (...)" } else { "" };
        return Err(einsum_err(format!(
            "found '.' for {} that is not part of any ellipsis{tail}",
            who(terms.len() - 1)
        )));
    }
    Ok(terms)
}

pub fn parse_equation(equation: &str) -> Result<Equation> {
    let eq = equation.as_bytes();
    let arrow = equation.find("->");
    let lhs_end = arrow.unwrap_or(eq.len());
    let inputs = parse_terms(eq, 0, lhs_end, false)?;
    let output = match arrow {
        Some(a) => Some(parse_terms(eq, a + 2, eq.len(), true)?.remove(0)),
        None => None,
    };
    Ok(Equation { inputs, output })
}

/// Per operand, the global label of each dim: ellipsis dims are labels `0..ell` (aligned
/// to the right), letters are `ell + letter`.
struct Labelled {
    dims: Vec<Vec<usize>>,
    ell: usize,
}

fn label_operands(eq: &Equation, ops: &[Tensor]) -> Result<Labelled> {
    let mut ell = 0;
    for (i, (subs, op)) in eq.inputs.iter().zip(ops).enumerate() {
        let letters = subs.iter().filter(|s| matches!(s, Sub::Letter(_))).count();
        let has_ell = subs.contains(&Sub::Ellipsis);
        if !has_ell && letters != op.ndim() {
            return Err(einsum_err(format!(
                "the number of subscripts in the equation ({letters}) does not match the number of dimensions ({}) for operand {i} and no ellipsis was given",
                op.ndim()
            )));
        }
        if has_ell && letters > op.ndim() {
            return Err(einsum_err(format!(
                "the number of subscripts in the equation ({letters}) is more than the number of dimensions ({}) for operand {i}",
                op.ndim()
            )));
        }
        if has_ell {
            ell = ell.max(op.ndim() - letters);
        }
    }
    let dims = eq
        .inputs
        .iter()
        .zip(ops)
        .map(|(subs, op)| {
            let n_ell = op.ndim() - subs.iter().filter(|s| matches!(s, Sub::Letter(_))).count();
            let mut labels = Vec::with_capacity(op.ndim());
            for s in subs {
                match *s {
                    Sub::Letter(l) => labels.push(ell + l as usize),
                    Sub::Ellipsis => labels.extend(ell - n_ell..ell),
                }
            }
            labels
        })
        .collect();
    Ok(Labelled { dims, ell })
}

/// The output labels: given, or the ellipsis then the letters used once, alphabetically.
fn output_labels(eq: &Equation, lab: &Labelled) -> Result<Vec<usize>> {
    let mut counts = [0usize; LETTERS];
    for subs in &eq.inputs {
        for s in subs {
            if let Sub::Letter(l) = s {
                counts[*l as usize] += 1;
            }
        }
    }
    let mut out = Vec::new();
    match &eq.output {
        Some(subs) => {
            let mut seen = [false; LETTERS];
            for s in subs {
                match *s {
                    Sub::Letter(l) => {
                        let c = letter_char(l);
                        if seen[l as usize] {
                            return Err(einsum_err(format!(
                                "output subscript {c} appears more than once in the output"
                            )));
                        }
                        if counts[l as usize] == 0 {
                            return Err(einsum_err(format!(
                                "output subscript {c} does not appear in the equation for any input operand"
                            )));
                        }
                        seen[l as usize] = true;
                        out.push(lab.ell + l as usize);
                    }
                    Sub::Ellipsis => out.extend(0..lab.ell),
                }
            }
        }
        None => {
            out.extend(0..lab.ell);
            out.extend(
                (0..LETTERS)
                    .filter(|&l| counts[l] == 1)
                    .map(|l| lab.ell + l),
            );
        }
    }
    Ok(out)
}

/// Take the diagonal of every label repeated within one operand.
fn merge_repeated(
    op: &Tensor,
    labels: &[usize],
    which: usize,
    ell: usize,
) -> Result<(Tensor, Vec<usize>)> {
    let (mut t, mut labels) = (op.clone(), labels.to_vec());
    loop {
        let dup = (0..labels.len()).find_map(|i| {
            (i + 1..labels.len())
                .find(|&j| labels[j] == labels[i])
                .map(|j| (i, j))
        });
        let Some((i, j)) = dup else {
            return Ok((t, labels));
        };
        let (si, sj) = (t.sizes()[i], t.sizes()[j]);
        if si != sj {
            let c = letter_char((labels[i] - ell) as u8);
            return Err(einsum_err(format!(
                "subscript {c} is repeated for operand {which} but the sizes don't match, {sj} != {si}"
            )));
        }
        t = diagonal(&t, 0, i as i64, j as i64)?;
        let l = labels[i];
        labels.remove(j);
        labels.remove(i);
        labels.push(l);
    }
}

/// The broadcast size of every label, with PyTorch's messages for mismatches.
fn label_sizes(ops: &[(Tensor, Vec<usize>)], n_labels: usize, ell: usize) -> Result<Vec<usize>> {
    let mut sizes = vec![1usize; n_labels];
    for (i, (t, labels)) in ops.iter().enumerate() {
        for (d, &l) in labels.iter().enumerate() {
            let s = t.sizes()[d];
            if sizes[l] == 1 {
                sizes[l] = s;
            } else if s != 1 && s != sizes[l] {
                let n_ell = labels.iter().filter(|&&x| x < ell).count();
                return Err(if l < ell {
                    einsum_err(format!(
                        "dimension {} covered by ellipsis in operand {i}has size {s} which does not broadcast with previously seen ellipsis with size {} for the respective dimension",
                        l + n_ell - ell,
                        sizes[l]
                    ))
                } else {
                    einsum_err(format!(
                        "subscript {} has size {s} for operand {i} which does not broadcast with previously seen size {}",
                        letter_char((l - ell) as u8),
                        sizes[l]
                    ))
                });
            }
        }
    }
    Ok(sizes)
}

/// Permute an operand into the canonical label order, with size-1 dims for labels it lacks.
fn align(t: &Tensor, labels: &[usize], order: &[usize]) -> Result<Tensor> {
    let present: Vec<usize> = order
        .iter()
        .filter(|l| labels.contains(l))
        .copied()
        .collect();
    let perm: Vec<i64> = present
        .iter()
        .map(|l| labels.iter().position(|x| x == l).expect("present") as i64)
        .collect();
    let mut t = if perm.iter().enumerate().all(|(i, &p)| p == i as i64) {
        t.clone()
    } else {
        permute(t, &perm)?
    };
    for (pos, l) in order.iter().enumerate() {
        if !labels.contains(l) {
            t = unsqueeze(&t, pos as i64)?;
        }
    }
    Ok(t)
}

/// `sum over sum_dims of left * right` for aligned operands, keeping every dim (summed
/// dims become size 1). Contractions go through one bmm.
fn sum_product_pair(left: &Tensor, right: &Tensor, sum_dims: &[usize]) -> Result<Tensor> {
    if sum_dims.is_empty() {
        return mul(left, right);
    }
    if left.dtype() != right.dtype() {
        return Err(Error::runtime(format!(
            "expected scalar type {} but found {}",
            name(left.dtype()),
            name(right.dtype())
        )));
    }
    if left.dtype() == DType::Bool {
        return Err(Error::not_implemented("\"bmm\" not implemented for 'Bool'"));
    }
    let (mut l, mut r) = (left.clone(), right.clone());
    let (mut batch, mut lo, mut ro, mut summed) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for d in 0..l.ndim() {
        let (ls, rs) = (l.sizes()[d], r.sizes()[d]);
        if sum_dims.contains(&d) {
            // A size-1 side broadcasts: sum the other side over this dim first.
            if ls == 1 && rs != 1 {
                r = sum(&r, Some(&[d as i64]), true, None)?;
            } else if rs == 1 && ls != 1 {
                l = sum(&l, Some(&[d as i64]), true, None)?;
            }
            summed.push(d);
        } else if ls != 1 && rs != 1 {
            batch.push(d);
        } else if rs == 1 {
            lo.push(d);
        } else {
            ro.push(d);
        }
    }
    if l.dtype() != r.dtype() {
        return Err(Error::runtime(format!(
            "expected scalar type {} but found {}",
            name(l.dtype()),
            name(r.dtype())
        )));
    }
    let size = |t: &Tensor, ds: &[usize]| ds.iter().map(|&d| t.sizes()[d]).product::<usize>();
    let (bs, ls, rs, ks) = (
        size(&l, &batch),
        size(&l, &lo),
        size(&r, &ro),
        size(&l, &summed),
    );
    let cat_dims = |parts: &[&[usize]]| -> Vec<i64> {
        parts
            .iter()
            .flat_map(|p| p.iter().map(|&d| d as i64))
            .collect()
    };
    let lm = reshape(
        &permute(&l, &cat_dims(&[&batch, &lo, &summed, &ro]))?,
        &[bs as i64, ls as i64, ks as i64],
    )?;
    let rm = reshape(
        &permute(&r, &cat_dims(&[&batch, &summed, &ro, &lo]))?,
        &[bs as i64, ks as i64, rs as i64],
    )?;
    let prod = bmm(&lm, &rm)?;
    let order = cat_dims(&[&batch, &lo, &ro, &summed]);
    let shape: Vec<i64> = batch
        .iter()
        .chain(&lo)
        .map(|&d| l.sizes()[d] as i64)
        .chain(ro.iter().map(|&d| r.sizes()[d] as i64))
        .chain(summed.iter().map(|_| 1))
        .collect();
    let out = reshape(&prod, &shape)?;
    let mut inverse = vec![0i64; order.len()];
    for (i, &d) in order.iter().enumerate() {
        inverse[d as usize] = i as i64;
    }
    permute(&out, &inverse)
}

/// `einsum(equation, *operands)`.
pub fn einsum(equation: &str, ops: &[Tensor]) -> Result<Tensor> {
    let eq = parse_equation(equation)?;
    if eq.inputs.len() > ops.len() {
        return Err(einsum_err(
            "fewer operands were provided than specified in the equation",
        ));
    }
    if eq.inputs.len() < ops.len() {
        return Err(einsum_err(
            "more operands were provided than specified in the equation",
        ));
    }
    let lab = label_operands(&eq, ops)?;
    let out_labels = output_labels(&eq, &lab)?;
    let n_labels = lab.ell + LETTERS;
    let merged: Vec<(Tensor, Vec<usize>)> = ops
        .iter()
        .zip(&lab.dims)
        .enumerate()
        .map(|(i, (t, labels))| merge_repeated(t, labels, i, lab.ell))
        .collect::<Result<_>>()?;
    label_sizes(&merged, n_labels, lab.ell)?;

    // Canonical order: the output labels, then the contracted ones by first appearance.
    let mut order = out_labels.clone();
    for (_, labels) in &merged {
        for &l in labels {
            if !order.contains(&l) {
                order.push(l);
            }
        }
    }
    let n_out = out_labels.len();
    let last_use = |l: usize| {
        merged
            .iter()
            .rposition(|(_, ls)| ls.contains(&l))
            .expect("used")
    };
    let uses = |l: usize| merged.iter().filter(|(_, ls)| ls.contains(&l)).count();

    if merged.len() == 1 {
        let (t, labels) = &merged[0];
        let t = align(t, labels, &order)?;
        if order.len() > n_out {
            let dims: Vec<i64> = (n_out as i64..order.len() as i64).collect();
            return sum(&t, Some(&dims), false, None);
        }
        if t.is_same(&ops[0]) {
            // Nothing to do but PyTorch still returns a (trivial) permuted view.
            return permute(&t, &(0..t.ndim() as i64).collect::<Vec<_>>());
        }
        return Ok(t);
    }

    // Labels used by one operand only and not kept are summed out of it first.
    let mut aligned = Vec::with_capacity(merged.len());
    for (t, labels) in &merged {
        let mut a = align(t, labels, &order)?;
        let own: Vec<i64> = (n_out..order.len())
            .filter(|&p| uses(order[p]) == 1 && labels.contains(&order[p]))
            .map(|p| p as i64)
            .collect();
        if !own.is_empty() {
            a = sum(&a, Some(&own), true, None)?;
        }
        aligned.push(a);
    }
    let mut result = aligned[0].clone();
    for (i, op) in aligned.iter().enumerate().skip(1) {
        let sum_dims: Vec<usize> = (n_out..order.len())
            .filter(|&p| uses(order[p]) > 1 && last_use(order[p]) == i)
            .collect();
        result = sum_product_pair(&result, op, &sum_dims)?;
    }
    if order.len() > n_out {
        let out_sizes: Vec<usize> = result.sizes()[..n_out].to_vec();
        return reshape(&result, &to_i64(&out_sizes));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: Vec<f64>, s: &[usize]) -> Tensor {
        Tensor::from_vec(v, s).unwrap()
    }

    #[test]
    fn einsum_matches_closed_forms() {
        let a = t((0..6).map(|v| v as f64).collect(), &[2, 3]);
        let b = t((0..12).map(|v| v as f64).collect(), &[3, 4]);
        let mmr = einsum("ij,jk->ik", &[a.clone(), b.clone()]).unwrap();
        assert_eq!(mmr.to_f64_vec(), mm(&a, &b).unwrap().to_f64_vec());
        let tr = einsum("ii", &[t(vec![1., 2., 3., 4.], &[2, 2])]).unwrap();
        assert_eq!(tr.to_f64_vec(), vec![5.]);
        let s = einsum("ij->", std::slice::from_ref(&a)).unwrap();
        assert_eq!(s.to_f64_vec(), vec![15.]);
        let tt = einsum("ij->ji", std::slice::from_ref(&a)).unwrap();
        assert_eq!(tt.sizes(), &[3, 2]);
        assert!(einsum("ij,jk->ik", std::slice::from_ref(&a)).is_err());
        assert!(einsum("i1->i", &[a]).is_err());
    }

    #[test]
    fn addmm_ignores_nan_input_when_beta_is_zero() {
        let nan = t(vec![f64::NAN; 4], &[2, 2]);
        let eye = t(vec![1., 0., 0., 1.], &[2, 2]);
        let r = add_product(
            Product::Mm,
            &nan,
            &eye,
            &eye,
            Scalar::Int(0),
            Scalar::Int(1),
        )
        .unwrap();
        assert_eq!(r.to_f64_vec(), vec![1., 0., 0., 1.]);
        let r = add_product(
            Product::Mm,
            &eye,
            &eye,
            &eye,
            Scalar::Float(0.5),
            Scalar::Int(2),
        )
        .unwrap();
        assert_eq!(r.to_f64_vec(), vec![2.5, 0., 0., 2.5]);
    }
}
