//! Linear algebra (`torch.linalg` and the top-level names): the decompositions run in
//! `faer`, one matrix at a time, batched over the leading dims (rayon across the batch).
//!
//! Inputs may have any strides; each op reads a contiguous copy and returns contiguous
//! results. Backward formulas are written with differentiable tensor ops (matmul,
//! transpose, solve, ...), so double backward works through them too.

use super::binary::{add, div, mul, mul_scalar, sub};
use super::creation::eye;
use super::join::{diag_embed, triangle};
use super::matmul::matmul;
use super::shape::{expand, narrow, squeeze, transpose, unsqueeze};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::lu::partial_pivoting::{factor as lu_factor, inverse as lu_inverse};
use faer::linalg::solvers::Solve;
use faer::perm::PermRef;
use faer::{Mat, MatMut, MatRef, Par, Side};
use rayon::prelude::*;
use std::marker::PhantomData;

/// The element types the decompositions run in (PyTorch's CPU linalg: float and double).
pub(crate) trait Real: faer::traits::RealField + Element + Copy {}
impl Real for f32 {}
impl Real for f64 {}

/// Run `$body` with `$T` bound to the Rust type of a float32/float64 dtype.
macro_rules! with_real {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::F32 => {
                type $T = f32;
                $body
            }
            _ => {
                type $T = f64;
                $body
            }
        }
    };
}

// --- argument checks (PyTorch's wording) --------------------------------------------------

fn check_float(a: &Tensor, f: &str) -> Result<()> {
    match a.dtype() {
        DType::F32 | DType::F64 => Ok(()),
        DType::F16 | DType::BF16 => Err(Error::runtime(format!(
            "{f}: Low precision dtypes not supported. Got {}",
            super::capitalized(a.dtype())
        ))),
        d => Err(Error::runtime(format!(
            "{f}: Expected a floating point or complex tensor as input. Got {}",
            super::capitalized(d)
        ))),
    }
}

fn check_matrix(a: &Tensor, f: &str, name: &str) -> Result<()> {
    if a.ndim() < 2 {
        return Err(Error::runtime(format!(
            "{f}: The input tensor {name} must have at least 2 dimensions."
        )));
    }
    Ok(())
}

fn check_square(a: &Tensor, f: &str) -> Result<()> {
    check_matrix(a, f, "A")?;
    let (m, n) = rows_cols(a);
    if m != n {
        return Err(Error::runtime(format!(
            "{f}: A must be batches of square matrices, but they are {m} by {n} matrices"
        )));
    }
    Ok(())
}

/// Float input with at least two dims; square when asked.
fn check_input(a: &Tensor, f: &str, square: bool) -> Result<()> {
    if square {
        check_square(a, f)?;
    } else {
        check_matrix(a, f, "A")?;
    }
    check_float(a, f)
}

fn rows_cols(a: &Tensor) -> (usize, usize) {
    let s = a.sizes();
    (s[s.len() - 2], s[s.len() - 1])
}

fn batch_dims(a: &Tensor) -> Vec<usize> {
    a.sizes()[..a.ndim() - 2].to_vec()
}

/// `(Batch element i): ` for batched inputs, as PyTorch prefixes its messages.
fn batch_prefix(a: &Tensor, i: usize) -> String {
    if a.ndim() > 2 {
        format!("(Batch element {i}): ")
    } else {
        String::new()
    }
}

fn to_i64(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&v| v as i64).collect()
}

// --- batched kernel plumbing ---------------------------------------------------------------

/// The matrices of a (batched) tensor, read from a contiguous copy.
struct Mats<T> {
    data: Tensor,
    rows: usize,
    cols: usize,
    count: usize,
    _t: PhantomData<T>,
}

impl<T: Real> Mats<T> {
    fn new(t: &Tensor) -> Mats<T> {
        let data = if t.is_contiguous() {
            t.detach()
        } else {
            super::copy::clone_contiguous(t)
        };
        let (rows, cols) = rows_cols(t);
        let count = t.sizes()[..t.ndim() - 2].iter().product();
        Mats {
            data,
            rows,
            cols,
            count,
            _t: PhantomData,
        }
    }

    fn get(&self, i: usize) -> MatRef<'_, T> {
        let len = self.rows * self.cols;
        let slice: &[T] = if len == 0 {
            &[]
        } else {
            // Safety: the data is contiguous with `count * len` elements of T.
            unsafe { std::slice::from_raw_parts(self.data.data_ptr::<T>().add(i * len), len) }
        };
        MatRef::from_row_major_slice(slice, self.rows, self.cols)
    }

    /// `f` on every matrix, in parallel across the batch.
    fn map<R: Send>(&self, f: impl Fn(usize, MatRef<'_, T>) -> R + Sync + Send) -> Vec<R> {
        if self.count > 1 {
            (0..self.count)
                .into_par_iter()
                .map(|i| f(i, self.get(i)))
                .collect()
        } else {
            (0..self.count).map(|i| f(i, self.get(i))).collect()
        }
    }
}

/// Stack per-matrix results into a tensor of shape `batch + [rows, cols]`.
fn stack_mats<T: Real>(
    mats: &[Mat<T>],
    batch: &[usize],
    rows: usize,
    cols: usize,
) -> Result<Tensor> {
    let mut v = Vec::with_capacity(mats.len() * rows * cols);
    for m in mats {
        for i in 0..rows {
            for j in 0..cols {
                v.push(m[(i, j)]);
            }
        }
    }
    Tensor::from_vec(v, &[batch, &[rows, cols]].concat())
}

/// Stack per-matrix vectors into a tensor of shape `batch + [len]`.
fn stack_vecs<T: Real>(vecs: &[Vec<T>], batch: &[usize], len: usize) -> Result<Tensor> {
    let v: Vec<T> = vecs.iter().flat_map(|x| x.iter().copied()).collect();
    Tensor::from_vec(v, &[batch, &[len]].concat())
}

/// Per-matrix scalars as a tensor of shape `batch`.
fn stack_scalars<T: Element>(vals: Vec<T>, batch: &[usize]) -> Result<Tensor> {
    Tensor::from_vec(vals, batch)
}

/// `x.mT`: the last two dims swapped.
pub fn mt(x: &Tensor) -> Result<Tensor> {
    transpose(x, -2, -1)
}

/// `x[..., None, None]`: a per-matrix scalar broadcast over its matrix.
fn per_matrix_scalar(x: &Tensor) -> Result<Tensor> {
    unsqueeze(&unsqueeze(x, -1)?, -1)
}

/// The identity with `like`'s dtype, `n x n`.
fn identity(n: usize, like: &Tensor) -> Tensor {
    eye(n, n, like.dtype())
}

// --- LU: inv, det, slogdet, solve ----------------------------------------------------------

/// 1-based index of the first zero on U's diagonal (LAPACK's `info` for a singular matrix).
fn zero_pivot<T: Real>(u: MatRef<'_, T>) -> Option<usize> {
    let n = u.nrows().min(u.ncols());
    (0..n)
        .find(|&i| u[(i, i)] == <T as Element>::zero())
        .map(|i| i + 1)
}

/// Workspace of one n x n LU factorization, reused across the matrices a thread handles
/// (tiny matrices in big batches would otherwise spend their time allocating).
struct LuWork<T> {
    lu: Mat<T>,
    perm: Vec<usize>,
    perm_inv: Vec<usize>,
    buf: MemBuffer,
}

impl<T: Real> LuWork<T> {
    fn new(n: usize, par: Par) -> LuWork<T> {
        let req = StackReq::any_of(&[
            lu_factor::lu_in_place_scratch::<usize, T>(n, n, par, Default::default()),
            lu_inverse::inverse_scratch::<usize, T>(n, par),
        ]);
        LuWork {
            lu: Mat::zeros(n, n),
            perm: vec![0; n],
            perm_inv: vec![0; n],
            buf: MemBuffer::new(req),
        }
    }

    /// P A = L U with partial pivoting (L and U share `lu`, as LAPACK's getrf leaves
    /// them); returns the number of row swaps.
    fn factor(&mut self, a: MatRef<'_, T>, par: Par) -> usize {
        self.lu.as_mut().copy_from(a);
        let (info, _) = lu_factor::lu_in_place(
            self.lu.as_mut(),
            &mut self.perm,
            &mut self.perm_inv,
            par,
            MemStack::new(&mut self.buf),
            Default::default(),
        );
        info.transposition_count
    }

    /// A^-1 from the last factorization, written into `out`.
    fn inverse_into(&mut self, out: MatMut<'_, T>, par: Par) {
        let n = self.perm.len();
        let perm = PermRef::new_checked(&self.perm, &self.perm_inv, n);
        let lu = self.lu.as_ref();
        lu_inverse::inverse(out, lu, lu, perm, par, MemStack::new(&mut self.buf));
    }
}

/// `f` with a workspace on every matrix: batches in parallel (each factorization
/// sequential), a single matrix with faer's own parallelism.
fn with_lu<T: Real, R: Send>(
    mats: &Mats<T>,
    f: impl Fn(&mut LuWork<T>, usize, Par) -> R + Sync + Send,
) -> Vec<R> {
    let n = mats.rows;
    if mats.count > 1 {
        (0..mats.count)
            .into_par_iter()
            .map_init(|| LuWork::new(n, Par::Seq), |w, i| f(w, i, Par::Seq))
            .collect()
    } else {
        let par = faer::get_global_parallelism();
        let mut w = LuWork::new(n, par);
        (0..mats.count).map(|i| f(&mut w, i, par)).collect()
    }
}

/// Inverses and LAPACK-style `info` (0, or the 1-based zero pivot) for each matrix.
fn inv_kernel<T: Real>(a: &Tensor) -> Result<(Tensor, Vec<usize>)> {
    let mats = Mats::<T>::new(a);
    let n = mats.rows;
    let len = n * n;
    let mut out = vec![<T as Element>::zero(); mats.count * len];
    let base = SendPtr(out.as_mut_ptr());
    let infos = with_lu(&mats, |w, i, par| {
        w.factor(mats.get(i), par);
        if len > 0 {
            // Safety: each matrix writes only its own disjoint chunk of `out`.
            let chunk = unsafe { std::slice::from_raw_parts_mut(base.get().add(i * len), len) };
            w.inverse_into(MatMut::from_row_major_slice_mut(chunk, n, n), par);
        }
        zero_pivot(w.lu.as_ref()).unwrap_or(0)
    });
    Ok((Tensor::from_vec(out, a.sizes())?, infos))
}

/// A raw pointer handed to the batch workers (each writes a disjoint region).
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// Safety: the workers write disjoint regions of one live allocation.
unsafe impl<T> Send for SendPtr<T> {}
unsafe impl<T> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

fn first_failure(infos: &[usize]) -> Option<(usize, usize)> {
    infos
        .iter()
        .enumerate()
        .find(|(_, &v)| v != 0)
        .map(|(i, &v)| (i, v))
}

/// `linalg.inv_ex(A)`: the inverses and an int32 `info` per matrix (never raises on
/// singular input).
pub fn inv_ex(a: &Tensor) -> Result<(Tensor, Tensor)> {
    check_input(a, "linalg.inv", true)?;
    let (inv, infos) = with_real!(a.dtype(), T => inv_kernel::<T>(a))?;
    let info = stack_scalars(infos.iter().map(|&v| v as i32).collect(), &batch_dims(a))?;
    Ok((record_inv(a, inv), info))
}

/// `linalg.inv(A)`: raises `LinAlgError` on a singular matrix.
pub fn inv(a: &Tensor) -> Result<Tensor> {
    check_input(a, "linalg.inv", true)?;
    let (out, infos) = with_real!(a.dtype(), T => inv_kernel::<T>(a))?;
    if let Some((b, k)) = first_failure(&infos) {
        return Err(Error::linalg(format!(
            "linalg.inv: {}The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular.",
            batch_prefix(a, b)
        )));
    }
    Ok(record_inv(a, out))
}

/// d inv(A) = -inv(A) dA inv(A), so gA = -inv(A)^T g inv(A)^T.
fn record_inv(a: &Tensor, out: Tensor) -> Tensor {
    if !needs_grad(&[a]) {
        return out;
    }
    autograd::record1_with_output("LinalgInvExBackward0", &[a], out, |saved| {
        Box::new(move |g| {
            let inv_t = mt(&saved.unpack()?)?;
            let ga = matmul(&matmul(&inv_t, &g[0])?, &inv_t)?;
            Ok(vec![Some(super::unary::neg(&ga)?)])
        })
    })
}

/// Sign of the permutation and U's diagonal, per matrix (det = sign * prod(diag)).
fn lu_diag_kernel<T: Real>(a: &Tensor) -> Vec<(f64, Vec<T>)> {
    let mats = Mats::<T>::new(a);
    let n = mats.rows;
    with_lu(&mats, |w, i, par| {
        let swaps = w.factor(mats.get(i), par);
        let sign = if swaps % 2 == 0 { 1.0 } else { -1.0 };
        (sign, (0..n).map(|k| w.lu[(k, k)]).collect())
    })
}

/// `linalg.det(A)`.
pub fn det(a: &Tensor) -> Result<Tensor> {
    check_input(a, "linalg.det", true)?;
    let out = with_real!(a.dtype(), T => {
        let vals: Vec<T> = lu_diag_kernel::<T>(a)
            .into_iter()
            .map(|(s, d)| T::from_f64(s * d.iter().map(|v| v.to_f64()).product::<f64>()))
            .collect();
        stack_scalars(vals, &batch_dims(a))
    })?;
    if !needs_grad(&[a]) {
        return Ok(out);
    }
    let sa = SavedTensor::input(a);
    Ok(autograd::record1_with_output(
        "LinalgDetBackward0",
        &[a],
        out,
        move |saved| {
            Box::new(move |g| {
                // d det(A) = tr(adj(A) dA): gA = g adj(A)^T, which is g det(A) inv(A)^T
                // when no matrix is singular.
                let (a, d) = (sa.unpack()?, saved.unpack()?);
                if d.to_f64_vec().contains(&0.0) {
                    return Ok(vec![Some(mul(
                        &per_matrix_scalar(&g[0])?,
                        &adjugate_t(&a)?,
                    )?)]);
                }
                let scale = per_matrix_scalar(&mul(&g[0], &d)?)?;
                Ok(vec![Some(mul(&scale, &mt(&inv(&a)?)?)?)])
            })
        },
    ))
}

/// adj(A)^T for any square A, singular ones included: with A = U S V^T,
/// adj(A)^T = det(U) det(V) U diag(prod_{j != i} s_j) V^T.
fn adjugate_t(a: &Tensor) -> Result<Tensor> {
    let (u, s, vh) = svd(a, false)?;
    let sign = mul(&det(&u)?, &det(&vh)?)?;
    let scaled = mul(&u, &unsqueeze(&products_of_others(&s)?, -2)?)?;
    mul(&per_matrix_scalar(&sign)?, &matmul(&scaled, &vh)?)
}

/// `p_i = prod_{j != i} s_j` along the last dim, from exclusive cumulative products taken
/// from both ends (no division, so zeros are fine).
fn products_of_others(s: &Tensor) -> Result<Tensor> {
    let k = s.sizes()[s.ndim() - 1];
    if k == 0 {
        return Ok(s.clone());
    }
    let mut one_shape = s.sizes().to_vec();
    *one_shape.last_mut().expect("at least 1-d") = 1;
    let ones = super::creation::ones_like(&Tensor::empty(&one_shape, s.dtype()));
    let exclusive = |x: &Tensor| -> Result<Tensor> {
        let head = narrow(x, -1, 0, k - 1)?;
        super::shape::cat(&[ones.clone(), super::reduce::cumprod(&head, -1)?], -1)
    };
    let left = exclusive(s)?;
    let right = super::shape::flip(&exclusive(&super::shape::flip(s, &[-1])?)?, &[-1])?;
    mul(&left, &right)
}

/// `linalg.slogdet(A)`: (sign, log|det|).
pub fn slogdet(a: &Tensor) -> Result<(Tensor, Tensor)> {
    check_input(a, "linalg.slogdet", true)?;
    let (sign, logabs) = with_real!(a.dtype(), T => {
        let parts = lu_diag_kernel::<T>(a);
        let mut signs = Vec::with_capacity(parts.len());
        let mut logs = Vec::with_capacity(parts.len());
        for (s, d) in parts {
            let neg = d.iter().filter(|v| v.to_f64() < 0.0).count();
            let zero = d.iter().any(|v| v.to_f64() == 0.0);
            let sign = if zero { 0.0 } else if neg % 2 == 1 { -s } else { s };
            signs.push(T::from_f64(sign));
            logs.push(T::from_f64(d.iter().map(|v| v.to_f64().abs().ln()).sum::<f64>()));
        }
        let batch = batch_dims(a);
        (stack_scalars(signs, &batch)?, stack_scalars(logs, &batch)?)
    });
    if !needs_grad(&[a]) {
        return Ok((sign, logabs));
    }
    let sa = SavedTensor::input(a);
    let mut outs = autograd::record(
        "LinalgSlogdetBackward0",
        &[a],
        vec![sign, logabs],
        true,
        Box::new(move |g| {
            // The sign is piecewise constant; d log|det A| = tr(inv(A) dA).
            let a = sa.unpack()?;
            Ok(vec![Some(mul(
                &per_matrix_scalar(&g[1])?,
                &mt(&inv(&a)?)?,
            )?)])
        }),
    );
    let logabs = outs.pop().expect("two outputs");
    let sign = outs.pop().expect("two outputs").detach();
    Ok((sign, logabs))
}

/// `linalg.logdet(A)`: log(det A), nan for a negative determinant, -inf for a singular one.
pub fn logdet(a: &Tensor) -> Result<Tensor> {
    let (sign, logabs) = slogdet(a)?;
    add(&super::unary::log(&sign)?, &logabs)
}

/// Whether `b` is a (batch of) vector(s) for `A X = b` (PyTorch's rule).
fn is_vector_rhs(a: &Tensor, b: &Tensor) -> bool {
    b.ndim() == 1 || (b.ndim() + 1 == a.ndim() && b.sizes() == &a.sizes()[..a.ndim() - 1])
}

/// `linalg.solve(A, B, left=True)`.
pub fn solve(a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    check_input(a, "linalg.solve", true)?;
    check_float(b, "linalg.solve")?;
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type {} and B of type {} instead",
            super::capitalized(a.dtype()),
            super::capitalized(b.dtype())
        )));
    }
    let vector = is_vector_rhs(a, b);
    let b2 = if vector {
        unsqueeze(b, if left { -1 } else { -2 })?
    } else {
        b.clone()
    };
    let n = a.sizes()[a.ndim() - 1];
    let (br, bc) = rows_cols(&b2);
    if (left && br != n) || (!left && bc != n) {
        let eq = if left { "AX = B" } else { "XA = B" };
        return Err(Error::runtime(format!(
            "linalg.solve: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {br}x{bc})"
        )));
    }
    let x = if left {
        solve_left(a, &b2)?
    } else {
        mt(&solve_left(&mt(a)?, &mt(&b2)?)?)?
    };
    if vector {
        squeeze(&x, Some(&[if left { -1 } else { -2 }]))
    } else {
        Ok(x)
    }
}

/// `A X = B` with A's and B's batch dims broadcast together.
fn solve_left(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let batch = broadcast_shapes(&batch_dims(a), &batch_dims(b))?;
    let (n, k) = (a.sizes()[a.ndim() - 1], b.sizes()[b.ndim() - 1]);
    let ea = expand(a, &to_i64(&[batch.as_slice(), &[n, n]].concat()))?;
    let eb = expand(b, &to_i64(&[batch.as_slice(), &[n, k]].concat()))?;
    solve_same_batch(&ea, &eb)
}

fn solve_kernel<T: Real>(a: &Tensor, b: &Tensor) -> Result<(Tensor, Option<usize>)> {
    let (ma, mb) = (Mats::<T>::new(a), Mats::<T>::new(b));
    let res = ma.map(|i, m| {
        let lu = m.partial_piv_lu();
        let pivot = zero_pivot(lu.U());
        (lu.solve(mb.get(i)), pivot)
    });
    let failed = res.iter().position(|(_, p)| p.is_some());
    let xs: Vec<Mat<T>> = res.into_iter().map(|(x, _)| x).collect();
    Ok((stack_mats(&xs, &batch_dims(b), mb.rows, mb.cols)?, failed))
}

fn solve_same_batch(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (x, failed) = with_real!(a.dtype(), T => solve_kernel::<T>(a, b))?;
    if let Some(i) = failed {
        return Err(Error::linalg(format!(
            "torch.linalg.solve: {}The solver failed because the input matrix is singular.",
            batch_prefix(a, i)
        )));
    }
    if !needs_grad(&[a, b]) {
        return Ok(x);
    }
    let sa = SavedTensor::input(a);
    let (na, nb) = (a.requires_grad(), b.requires_grad());
    Ok(autograd::record1_with_output(
        "LinalgSolveExBackward0",
        &[a, b],
        x,
        move |saved| {
            Box::new(move |g| {
                // A X = B: gB = A^-T g, gA = -gB X^T.
                let gb = solve_left(&mt(&sa.unpack()?)?, &g[0])?;
                let ga = if na {
                    Some(super::unary::neg(&matmul(&gb, &mt(&saved.unpack()?)?)?)?)
                } else {
                    None
                };
                Ok(vec![ga, if nb { Some(gb) } else { None }])
            })
        },
    ))
}

// --- Cholesky ------------------------------------------------------------------------------

/// Lower factors and the 1-based order of the first non-positive leading minor (0 when fine).
fn cholesky_kernel<T: Real>(a: &Tensor) -> Result<(Tensor, Vec<usize>)> {
    let mats = Mats::<T>::new(a);
    let n = mats.rows;
    let res = mats.map(|_, m| match m.llt(Side::Lower) {
        Ok(llt) => (llt.L().to_owned(), 0),
        Err(faer::linalg::solvers::LltError::NonPositivePivot { index }) => {
            (Mat::zeros(n, n), index + 1)
        }
    });
    let (ls, infos): (Vec<_>, Vec<_>) = res.into_iter().unzip();
    Ok((stack_mats(&ls, &batch_dims(a), n, n)?, infos))
}

/// `linalg.cholesky_ex(A, upper)`: factor and int32 info, never raising on non-PD input.
pub fn cholesky_ex(a: &Tensor, upper: bool) -> Result<(Tensor, Tensor)> {
    check_input(a, "linalg.cholesky", true)?;
    let (l, infos) = with_real!(a.dtype(), T => cholesky_kernel::<T>(a))?;
    let info = stack_scalars(infos.iter().map(|&v| v as i32).collect(), &batch_dims(a))?;
    Ok((finish_cholesky(a, l, upper)?, info))
}

/// `linalg.cholesky(A, upper)`; `api` names the function in messages ("linalg.cholesky"
/// or the older "cholesky").
pub fn cholesky(a: &Tensor, upper: bool, api: &str) -> Result<Tensor> {
    check_input(a, api, true)?;
    let (l, infos) = with_real!(a.dtype(), T => cholesky_kernel::<T>(a))?;
    if let Some((b, k)) = first_failure(&infos) {
        return Err(Error::linalg(format!(
            "{api}: {}The factorization could not be completed because the input is not positive-definite (the leading minor of order {k} is not positive-definite).",
            batch_prefix(a, b)
        )));
    }
    finish_cholesky(a, l, upper)
}

fn finish_cholesky(a: &Tensor, l: Tensor, upper: bool) -> Result<Tensor> {
    let l = record_cholesky(a, l);
    if upper {
        return Ok(super::copy::contiguous(&mt(&l)?));
    }
    Ok(l)
}

/// gA = L^-T sym(Phi(L^T gL)) L^-1, Phi taking the lower triangle (PyTorch's formula).
fn record_cholesky(a: &Tensor, l: Tensor) -> Tensor {
    if !needs_grad(&[a]) {
        return l;
    }
    autograd::record1_with_output("LinalgCholeskyExBackward0", &[a], l, |saved| {
        Box::new(move |g| {
            let l = saved.unpack()?;
            let p = triangle(&matmul(&mt(&l)?, &g[0])?, 0, true)?;
            let s = mul_scalar(&add(&p, &mt(&triangle(&p, -1, true)?)?)?, 0.5)?;
            let left = solve_left(&mt(&l)?, &s)?;
            // (.) L^-1 = (L^-T (.)^T)^T
            let ga = mt(&solve_left(&mt(&l)?, &mt(&left)?)?)?;
            Ok(vec![Some(ga)])
        })
    })
}

// --- QR ------------------------------------------------------------------------------------

/// Which factors `linalg.qr` returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum QrMode {
    Reduced,
    Complete,
    R,
}

impl QrMode {
    pub fn parse(mode: &str) -> Result<QrMode> {
        match mode {
            "reduced" => Ok(QrMode::Reduced),
            "complete" => Ok(QrMode::Complete),
            "r" => Ok(QrMode::R),
            _ => Err(Error::runtime(format!(
                "qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
            ))),
        }
    }
}

fn qr_kernel<T: Real>(a: &Tensor, mode: QrMode) -> Result<(Tensor, Tensor)> {
    let mats = Mats::<T>::new(a);
    let (m, n) = (mats.rows, mats.cols);
    let k = m.min(n);
    let complete = mode == QrMode::Complete;
    let r_rows = if complete { m } else { k };
    let res = mats.map(|_, x| {
        let qr = x.qr();
        let r = qr.thin_R();
        let r_full = Mat::from_fn(r_rows, n, |i, j| {
            if i < k && j >= i {
                r[(i, j)]
            } else {
                <T as Element>::zero()
            }
        });
        let q = match mode {
            QrMode::Reduced => qr.compute_thin_Q(),
            QrMode::Complete => qr.compute_Q(),
            QrMode::R => Mat::zeros(0, 0),
        };
        (q, r_full)
    });
    let (qs, rs): (Vec<_>, Vec<_>) = res.into_iter().unzip();
    let batch = batch_dims(a);
    let q = match mode {
        QrMode::R => Tensor::zeros(&[0], a.dtype()),
        QrMode::Reduced => stack_mats(&qs, &batch, m, k)?,
        QrMode::Complete => stack_mats(&qs, &batch, m, m)?,
    };
    Ok((q, stack_mats(&rs, &batch, r_rows, n)?))
}

/// `linalg.qr(A, mode)`: (Q, R).
pub fn qr(a: &Tensor, mode: QrMode) -> Result<(Tensor, Tensor)> {
    check_input(a, "linalg.qr", false)?;
    let (q, r) = with_real!(a.dtype(), T => qr_kernel::<T>(a, mode))?;
    if !needs_grad(&[a]) {
        return Ok((q, r));
    }
    let (m, n) = rows_cols(a);
    let mut outs = autograd::record_with_outputs("LinalgQrBackward0", &[a], vec![q, r], |saved| {
        Box::new(move |g| {
            let (q, r) = (saved[0].unpack()?, saved[1].unpack()?);
            qr_backward(&g[0], &g[1], &q, &r, mode, m, n).map(|ga| vec![Some(ga)])
        })
    });
    let r = outs.pop().expect("two outputs");
    let q = outs.pop().expect("two outputs");
    Ok((q, r))
}

/// For m >= n: M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^-T, where copyltu mirrors
/// the lower triangle onto the upper one.
fn qr_backward(
    gq: &Tensor,
    gr: &Tensor,
    q: &Tensor,
    r: &Tensor,
    mode: QrMode,
    m: usize,
    n: usize,
) -> Result<Tensor> {
    if mode == QrMode::R {
        return Err(Error::runtime(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.",
        ));
    }
    if mode == QrMode::Complete && m > n {
        return Err(Error::runtime(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.",
        ));
    }
    if m < n {
        return Err(Error::not_implemented(
            "linalg.qr: the derivative is implemented only for matrices with at least as many rows as columns",
        ));
    }
    let mm = sub(&matmul(r, &mt(gr)?)?, &matmul(&mt(gq)?, q)?)?;
    let copyltu = add(&triangle(&mm, 0, true)?, &mt(&triangle(&mm, -1, true)?)?)?;
    let b = add(gq, &matmul(q, &copyltu)?)?;
    // B R^-T = (R^-1 B^T)^T
    mt(&solve_left(r, &mt(&b)?)?)
}

// --- symmetric eigendecomposition ------------------------------------------------------------

fn parse_uplo(uplo: &str) -> Result<Side> {
    match uplo {
        "L" | "l" => Ok(Side::Lower),
        "U" | "u" => Ok(Side::Upper),
        _ => Err(Error::runtime(format!(
            "Expected UPLO argument to be 'L' or 'U', but got {uplo}"
        ))),
    }
}

fn eigh_kernel<T: Real>(a: &Tensor, side: Side) -> Result<(Tensor, Tensor, bool)> {
    let mats = Mats::<T>::new(a);
    let n = mats.rows;
    let res = mats.map(|_, m| match m.self_adjoint_eigen(side) {
        Ok(e) => {
            let s = e.S().column_vector();
            (
                true,
                (0..n).map(|i| s[i]).collect::<Vec<T>>(),
                e.U().to_owned(),
            )
        }
        Err(_) => (false, vec![<T as Element>::zero(); n], Mat::zeros(n, n)),
    });
    let ok = res.iter().all(|(ok, _, _)| *ok);
    let batch = batch_dims(a);
    let vals: Vec<Vec<T>> = res.iter().map(|(_, v, _)| v.clone()).collect();
    let vecs: Vec<Mat<T>> = res.into_iter().map(|(_, _, u)| u).collect();
    Ok((
        stack_vecs(&vals, &batch, n)?,
        stack_mats(&vecs, &batch, n, n)?,
        ok,
    ))
}

/// `linalg.eigh(A, UPLO)`: ascending eigenvalues and orthonormal eigenvectors (columns).
pub fn eigh(a: &Tensor, uplo: &str) -> Result<(Tensor, Tensor)> {
    check_input(a, "linalg.eigh", true)?;
    let side = parse_uplo(uplo)?;
    let (w, v, ok) = with_real!(a.dtype(), T => eigh_kernel::<T>(a, side))?;
    if !ok {
        return Err(Error::linalg(
            "linalg.eigh: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues.",
        ));
    }
    if !needs_grad(&[a]) {
        return Ok((w, v));
    }
    let mut outs =
        autograd::record_with_outputs("LinalgEighBackward0", &[a], vec![w, v], |saved| {
            Box::new(move |g| {
                // gA = V (diag(gw) + F o skew(V^T gV)) V^T, F_ij = 1 / (w_j - w_i) off the
                // diagonal; skew(X) = (X - X^T) / 2 keeps the tangent directions of the
                // orthogonal group, so gA is symmetric as PyTorch's is.
                let (w, v) = (saved[0].unpack()?, saved[1].unpack()?);
                let f = inverse_gaps(&w)?;
                let vtgv = matmul(&mt(&v)?, &g[1])?;
                let skew = mul_scalar(&sub(&vtgv, &mt(&vtgv)?)?, 0.5)?;
                let inner = add(&diag_embed(&g[0], 0, -2, -1)?, &mul(&f, &skew)?)?;
                Ok(vec![Some(matmul(&matmul(&v, &inner)?, &mt(&v)?)?)])
            })
        });
    let v = outs.pop().expect("two outputs");
    let w = outs.pop().expect("two outputs");
    Ok((w, v))
}

/// `F_ij = 1 / (x_j - x_i)` for i != j and 0 on the diagonal (as `1 / (E + I) - I`, so it
/// stays differentiable in `x`).
fn inverse_gaps(x: &Tensor) -> Result<Tensor> {
    let e = sub(&unsqueeze(x, -2)?, &unsqueeze(x, -1)?)?;
    let i = identity(x.sizes()[x.ndim() - 1], x);
    sub(
        &super::unary::unary(&super::unary::RECIPROCAL, &add(&e, &i)?)?,
        &i,
    )
}

// --- SVD -----------------------------------------------------------------------------------

fn svd_kernel<T: Real>(a: &Tensor, full: bool) -> Result<(Tensor, Tensor, Tensor, bool)> {
    let mats = Mats::<T>::new(a);
    let (m, n) = (mats.rows, mats.cols);
    let k = m.min(n);
    let (ur, vr) = if full { (m, n) } else { (k, k) };
    let res = mats.map(|_, x| {
        let svd = if full { x.svd() } else { x.thin_svd() };
        match svd {
            Ok(s) => {
                let d = s.S().column_vector();
                let vals: Vec<T> = (0..k).map(|i| d[i]).collect();
                let vh = s.V().transpose().to_owned();
                (true, s.U().to_owned(), vals, vh)
            }
            Err(_) => (
                false,
                Mat::zeros(m, ur),
                vec![<T as Element>::zero(); k],
                Mat::zeros(vr, n),
            ),
        }
    });
    let ok = res.iter().all(|r| r.0);
    let batch = batch_dims(a);
    let us: Vec<Mat<T>> = res.iter().map(|r| r.1.clone()).collect();
    let ss: Vec<Vec<T>> = res.iter().map(|r| r.2.clone()).collect();
    let vhs: Vec<Mat<T>> = res.into_iter().map(|r| r.3).collect();
    Ok((
        stack_mats(&us, &batch, m, ur)?,
        stack_vecs(&ss, &batch, k)?,
        stack_mats(&vhs, &batch, vr, n)?,
        ok,
    ))
}

fn svd_failed() -> Error {
    Error::linalg(
        "linalg.svd: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated singular values.",
    )
}

/// `linalg.svd(A, full_matrices)`: (U, S, Vh) with S descending.
///
/// The singular vectors are defined up to a sign per pair (and any rotation inside a
/// repeated singular value), so only gauge-invariant functions of U and Vh have
/// well-defined gradients; the backward also divides by gaps between singular values and
/// is unstable when two of them (nearly) coincide, as PyTorch's is.
pub fn svd(a: &Tensor, full_matrices: bool) -> Result<(Tensor, Tensor, Tensor)> {
    check_input(a, "linalg.svd", false)?;
    let (u, s, vh, ok) = with_real!(a.dtype(), T => svd_kernel::<T>(a, full_matrices))?;
    if !ok {
        return Err(svd_failed());
    }
    if !needs_grad(&[a]) {
        return Ok((u, s, vh));
    }
    let k = s.sizes()[s.ndim() - 1];
    let (m, n) = rows_cols(a);
    let mut outs =
        autograd::record_with_outputs("LinalgSvdBackward0", &[a], vec![u, s, vh], |saved| {
            Box::new(move |g| {
                // Full factors: only their first k columns (rows of Vh) enter the gradient.
                let thin = |t: &Tensor, dim: i64| narrow(t, dim, 0, k);
                let (u, s, vh) = (saved[0].unpack()?, saved[1].unpack()?, saved[2].unpack()?);
                let ga = svd_backward(
                    &thin(&g[0], -1)?,
                    &g[1],
                    &thin(&g[2], -2)?,
                    &thin(&u, -1)?,
                    &s,
                    &thin(&vh, -2)?,
                    m,
                    n,
                )?;
                Ok(vec![Some(ga)])
            })
        });
    let vh = outs.pop().expect("three outputs");
    let s = outs.pop().expect("three outputs");
    let u = outs.pop().expect("three outputs");
    Ok((u, s, vh))
}

/// The real SVD's backward (thin factors, k = min(m, n)):
/// gA = U [J S + diag(gS) + S K] V^T + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),
/// J = F o (U^T gU - gU^T U), K = F o (V^T gV - gV^T V), F_ij = 1 / (s_j^2 - s_i^2).
#[allow(clippy::too_many_arguments)]
fn svd_backward(
    gu: &Tensor,
    gs: &Tensor,
    gvh: &Tensor,
    u: &Tensor,
    s: &Tensor,
    vh: &Tensor,
    m: usize,
    n: usize,
) -> Result<Tensor> {
    let k = s.sizes()[s.ndim() - 1];
    let v = mt(vh)?;
    let gv = mt(gvh)?;
    let f = inverse_gaps(&mul(s, s)?)?;
    let utgu = matmul(&mt(u)?, gu)?;
    let vtgv = matmul(vh, &gv)?;
    let j = mul(&f, &sub(&utgu, &mt(&utgu)?)?)?;
    let kk = mul(&f, &sub(&vtgv, &mt(&vtgv)?)?)?;
    let s_row = unsqueeze(s, -2)?; // scales columns
    let s_col = unsqueeze(s, -1)?; // scales rows
    let inner = add(
        &add(&mul(&j, &s_row)?, &diag_embed(gs, 0, -2, -1)?)?,
        &mul(&s_col, &kk)?,
    )?;
    let mut ga = matmul(&matmul(u, &inner)?, vh)?;
    if m > k {
        let proj = sub(gu, &matmul(u, &utgu)?)?;
        ga = add(&ga, &matmul(&div(&proj, &s_row)?, vh)?)?;
    }
    if n > k {
        let proj = sub(&gv, &matmul(&v, &vtgv)?)?;
        ga = add(&ga, &matmul(u, &mt(&div(&proj, &s_row)?)?)?)?;
    }
    Ok(ga)
}

/// `linalg.svdvals(A)`: singular values, descending.
pub fn svdvals(a: &Tensor) -> Result<Tensor> {
    check_input(a, "linalg.svd", false)?;
    if needs_grad(&[a]) {
        // The gradient U diag(gS) V^T needs the vectors.
        return Ok(svd(a, false)?.1);
    }
    let (vals, ok) = with_real!(a.dtype(), T => {
        let mats = Mats::<T>::new(a);
        let k = mats.rows.min(mats.cols);
        let res = mats.map(|_, x| x.singular_values().ok());
        let ok = res.iter().all(|r| r.is_some());
        let vals: Vec<Vec<T>> = res.into_iter().map(|r| r.unwrap_or_else(|| vec![<T as Element>::zero(); k])).collect();
        (stack_vecs(&vals, &batch_dims(a), k)?, ok)
    });
    if !ok {
        return Err(svd_failed());
    }
    Ok(vals)
}

/// `linalg.eig` / `eigvals`: their results are complex, which embertorch has no dtype for.
pub fn eig_unsupported(f: &str) -> Error {
    Error::not_implemented(format!(
        "{f}: complex dtypes are not supported by embertorch, and the eigenvalues and eigenvectors of a general real matrix are complex. For symmetric matrices use linalg.eigh / linalg.eigvalsh."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: Vec<f64>, s: &[usize]) -> Tensor {
        Tensor::from_vec(v, s).unwrap()
    }

    #[test]
    fn inverse_and_det() {
        let a = t(vec![4., 7., 2., 6.], &[2, 2]);
        let inv_a = inv(&a).unwrap().to_f64_vec();
        let expect = [0.6, -0.7, -0.2, 0.4];
        for (x, y) in inv_a.iter().zip(expect) {
            assert!((x - y).abs() < 1e-12);
        }
        assert!((det(&a).unwrap().to_f64_vec()[0] - 10.0).abs() < 1e-12);
        let singular = t(vec![1., 2., 2., 4.], &[2, 2]);
        let e = inv(&singular).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::LinAlg);
        assert!(
            e.message.contains("diagonal element 2 is zero"),
            "{}",
            e.message
        );
    }

    #[test]
    fn singular_values_of_diagonal() {
        let a = t(vec![3., 0., 0., -5.], &[2, 2]);
        let s = svdvals(&a).unwrap().to_f64_vec();
        assert!(
            (s[0] - 5.0).abs() < 1e-12 && (s[1] - 3.0).abs() < 1e-12,
            "{s:?}"
        );
    }
}
