//! Unary elementwise ops: one `UnaryOp` entry per op with its dtype rule, kernel and
//! backward.

use super::copy::{begin_inplace, clone_contiguous};
use super::{cast, check_inplace_dtype, new_output, try_new_output};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::cpu::elementwise::map1;
use crate::cpu::math::{Arith, IntMath};
use crate::dtype::{default_float, DType, Element, FloatElement, Scalar};
use crate::error::{Error, Result};
use crate::ops::binary::{self as bin, add, div, mul, sub};
use crate::tensor::Tensor;
use num_traits::Float;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UnaryKind {
    /// Floating result; integer and bool inputs compute in the default float dtype.
    Float,
    /// Same dtype as the input (numbers and, where the kernel allows, bool).
    Same,
    /// Bool result.
    Bool,
}

/// `out = f(x)`; `x` has the compute dtype.
type Kernel = fn(&Tensor, &Tensor, DType) -> Result<()>;
/// The input gradient from the output gradient.
type Backward = fn(&Grad) -> Result<Tensor>;

pub struct Grad {
    pub g: Tensor,
    pub x: Option<Tensor>,
    pub out: Option<Tensor>,
}

impl Grad {
    fn x(&self) -> &Tensor {
        self.x.as_ref().expect("backward saves x")
    }
    fn out(&self) -> &Tensor {
        self.out.as_ref().expect("backward saves out")
    }
}

pub struct UnaryOp {
    pub name: &'static str,
    pub grad_name: &'static str,
    pub kind: UnaryKind,
    pub kernel: Kernel,
    pub backward: Option<Backward>,
    /// Which of (x, out) the backward reads.
    pub saves: (bool, bool),
}

fn dtypes(op: &UnaryOp, x: &Tensor) -> (DType, DType) {
    let d = x.dtype();
    match op.kind {
        UnaryKind::Float => {
            let f = if d.is_float() { d } else { default_float() };
            (f, f)
        }
        UnaryKind::Same => (d, d),
        UnaryKind::Bool => (d, DType::Bool),
    }
}

fn not_implemented(op: &UnaryOp, dt: DType) -> Error {
    Error::not_implemented(format!(
        "\"{}_cpu\" not implemented for '{}'",
        op.name,
        super::capitalized(dt)
    ))
}

pub fn unary(op: &'static UnaryOp, x: &Tensor) -> Result<Tensor> {
    let (ct, rt) = dtypes(op, x);
    let xc = cast(x, ct);
    let out = try_new_output(x.sizes(), rt, &[x])?;
    (op.kernel)(&out, &xc, ct).map_err(|e| {
        if e.message.is_empty() {
            not_implemented(op, ct)
        } else {
            e
        }
    })?;
    if let Some(bw) = op.backward {
        if rt.is_float() && needs_grad(&[x]) {
            return Ok(record(op, bw, x, out));
        }
    }
    Ok(out)
}

fn record(op: &'static UnaryOp, bw: Backward, x: &Tensor, out: Tensor) -> Tensor {
    let sx = op.saves.0.then(|| SavedTensor::input(x));
    let make = move |so: Option<SavedTensor>| -> crate::autograd::node::BackwardFn {
        Box::new(move |g| {
            let grad = Grad {
                g: g[0].clone(),
                x: sx.as_ref().map(|s| s.unpack()).transpose()?,
                out: so.as_ref().map(|s| s.unpack()).transpose()?,
            };
            Ok(vec![Some(bw(&grad)?)])
        })
    };
    if op.saves.1 {
        autograd::record1_with_output(op.grad_name, &[x], out, |so| make(Some(so)))
    } else {
        autograd::record1(op.grad_name, &[x], out, op.saves.0, make(None))
    }
}

/// In place (`x.exp_()`): the result must fit `x`'s dtype.
pub fn unary_(op: &'static UnaryOp, x: &Tensor) -> Result<Tensor> {
    let (ct, rt) = dtypes(op, x);
    check_inplace_dtype(rt, x.dtype())?;
    let grad = op.backward.is_some() && x.dtype().is_float() && needs_grad(&[x]);
    begin_inplace(x, grad)?;
    let saved_x = (grad && op.saves.0).then(|| clone_contiguous(x));
    if ct == x.dtype() {
        (op.kernel)(x, x, ct)
    } else {
        let tmp = new_output(x.sizes(), rt, &[x]);
        let r = (op.kernel)(&tmp, &cast(x, ct), ct);
        crate::cpu::copy::copy_cast(x, &tmp);
        r
    }
    .map_err(|e| {
        if e.message.is_empty() {
            not_implemented(op, ct)
        } else {
            e
        }
    })?;
    x.storage().bump_version();
    if !grad {
        return Ok(x.clone());
    }
    let so = op.saves.1.then(|| SavedTensor::input(&x.detach()));
    let bw = op.backward.expect("checked");
    Ok(autograd::rebase_inplace(
        op.grad_name,
        x,
        &[],
        true,
        Box::new(move |g| {
            let grad = Grad {
                g: g[0].clone(),
                x: saved_x.clone(),
                out: so.as_ref().map(|s| s.unpack()).transpose()?,
            };
            Ok(vec![Some(bw(&grad)?)])
        }),
    ))
}

// ---------------------------------------------------------------------------------------
// Kernel builders

/// Floating kernel computed in the accumulation type.
macro_rules! float_kernel {
    ($f:expr) => {
        |out: &Tensor, x: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_float!(ct, T => {
                map1::<T, T>(out, x, |v: T| T::from_acc($f(v.to_acc())));
                Ok(())
            }, _ => Err(Error::runtime("")))
        }
    };
}

/// Kernel for floats (`$f`) and integers (`$i`); bool rejected.
macro_rules! num_kernel {
    ($f:expr, $i:expr) => {
        |out: &Tensor, x: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_float!(ct, T => {
                map1::<T, T>(out, x, |v: T| T::from_acc($f(v.to_acc())));
                Ok(())
            }, _ => crate::dispatch_int!(ct, T => {
                map1::<T, T>(out, x, |v: T| $i(v));
                Ok(())
            }, _ => Err(Error::runtime(""))))
        }
    };
}

/// Bool-valued predicate on floats; integers and bools give `$int_value`.
macro_rules! float_predicate {
    ($f:expr, $int_value:expr) => {
        |out: &Tensor, x: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_float!(ct, T => {
                map1::<T, bool>(out, x, |v: T| $f(v.to_acc()));
                Ok(())
            }, _ => {
                crate::cpu::elementwise::fill::<bool>(out, $int_value);
                Ok(())
            })
        }
    };
}

fn sigmoid_f<F: Float>(x: F) -> F {
    F::one() / (F::one() + (-x).exp())
}

fn erf_f<F: Float>(x: F) -> F {
    F::from(libm::erf(x.to_f64().unwrap_or(f64::NAN))).unwrap()
}

fn erfc_f<F: Float>(x: F) -> F {
    F::from(libm::erfc(x.to_f64().unwrap_or(f64::NAN))).unwrap()
}

/// Inverse error function: a rational first guess refined by Newton steps on erf.
fn erfinv_f<F: Float>(y: F) -> F {
    let y = y.to_f64().unwrap_or(f64::NAN);
    let r = if y <= -1.0 {
        if y == -1.0 {
            f64::NEG_INFINITY
        } else {
            f64::NAN
        }
    } else if y >= 1.0 {
        if y == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        }
    } else if y.is_nan() {
        f64::NAN
    } else {
        // Giles' single-precision approximation as the starting point.
        let w = -((1.0 - y) * (1.0 + y)).ln();
        let mut x = if w < 5.0 {
            let w = w - 2.5;
            let mut p = 2.810_226_36e-08;
            for c in [
                3.432_739_39e-07,
                -3.523_387_7e-06,
                -4.391_506_54e-06,
                0.000_218_580_87,
                -0.001_253_725_03,
                -0.004_177_681_64,
                0.246_640_727,
                1.501_409_41,
            ] {
                p = c + p * w;
            }
            p * y
        } else {
            let w = w.sqrt() - 3.0;
            let mut p = -0.000_200_214_257;
            for c in [
                0.000_100_950_558,
                0.001_349_343_22,
                -0.003_673_428_44,
                0.005_739_507_73,
                -0.007_622_461_3,
                0.009_438_870_47,
                1.001_674_06,
                2.832_976_82,
            ] {
                p = c + p * w;
            }
            p * y
        };
        for _ in 0..3 {
            let err = libm::erf(x) - y;
            x -= err / (std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp());
        }
        x
    };
    F::from(r).unwrap()
}

/// Round half to even, as torch.round does.
fn round_even<F: Float>(x: F) -> F {
    let r = x.round();
    if (x - x.trunc()).abs() == F::from(0.5).unwrap() {
        let half = r / F::from(2.0).unwrap();
        if half != half.trunc() {
            return r - x.signum();
        }
    }
    r
}

fn sign_f<F: Float>(x: F) -> F {
    if x > F::zero() {
        F::one()
    } else if x < F::zero() {
        -F::one()
    } else {
        x * F::zero() // keeps 0, -0 and nan
    }
}

fn sign_i<I: IntMath>(x: I) -> I {
    if x.is_negative() {
        I::zero().sub(I::one())
    } else if x.is_zero() {
        I::zero()
    } else {
        I::one()
    }
}

fn abs_i<I: IntMath>(x: I) -> I {
    if x.is_negative() {
        I::zero().sub(x)
    } else {
        x
    }
}

fn scalar(v: f64) -> Tensor {
    Tensor::wrapped_scalar(Scalar::Float(v))
}

// ---------------------------------------------------------------------------------------
// The ops

pub static NEG: UnaryOp = UnaryOp {
    name: "neg",
    grad_name: "NegBackward0",
    kind: UnaryKind::Same,
    kernel: |out, x, ct| {
        if ct == DType::Bool {
            return Err(Error::runtime(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
            ));
        }
        crate::dispatch_all!(ct, T => map1::<T, T>(out, x, |v: T| T::zero().sub(v)));
        Ok(())
    },
    backward: Some(|c| neg(&c.g)),
    saves: (false, false),
};

pub static POSITIVE: UnaryOp = UnaryOp {
    name: "positive",
    grad_name: "PositiveBackward0",
    kind: UnaryKind::Same,
    kernel: |out, x, _| {
        crate::cpu::copy::copy_cast(out, x);
        Ok(())
    },
    backward: Some(|c| Ok(c.g.clone())),
    saves: (false, false),
};

pub static ABS: UnaryOp = UnaryOp {
    name: "abs",
    grad_name: "AbsBackward0",
    kind: UnaryKind::Same,
    kernel: num_kernel!(|v: Acc| v.abs(), abs_i),
    backward: Some(|c| mul(&c.g, &sign(c.x())?)),
    saves: (true, false),
};

pub static SIGN: UnaryOp = UnaryOp {
    name: "sign",
    grad_name: "SignBackward0",
    kind: UnaryKind::Same,
    kernel: |out, x, ct| {
        if ct == DType::Bool {
            crate::cpu::copy::copy_cast(out, x);
            return Ok(());
        }
        crate::dispatch_float!(ct, T => {
            map1::<T, T>(out, x, |v: T| T::from_acc(sign_f(v.to_acc())));
            Ok(())
        }, _ => crate::dispatch_int!(ct, T => {
            map1::<T, T>(out, x, sign_i::<T>);
            Ok(())
        }, _ => Err(Error::runtime(""))))
    },
    backward: Some(|c| Ok(super::creation::zeros_like(&c.g))),
    saves: (false, false),
};

macro_rules! float_op {
    ($name:ident, $s:literal, $g:literal, $f:expr, $bw:expr, $saves:expr) => {
        pub static $name: UnaryOp = UnaryOp {
            name: $s,
            grad_name: $g,
            kind: UnaryKind::Float,
            kernel: float_kernel!($f),
            backward: Some($bw),
            saves: $saves,
        };
    };
}

float_op!(
    EXP,
    "exp",
    "ExpBackward0",
    |v: Acc| v.exp(),
    |c| mul(&c.g, c.out()),
    (false, true)
);
float_op!(
    EXP2,
    "exp2",
    "Exp2Backward0",
    |v: Acc| v.exp2(),
    |c| mul(&c.g, &bin::mul_scalar(c.out(), std::f64::consts::LN_2)?),
    (false, true)
);
float_op!(
    EXPM1,
    "expm1",
    "Expm1Backward0",
    |v: Acc| v.exp_m1(),
    |c| mul(&c.g, &add(c.out(), &scalar(1.0))?),
    (false, true)
);
float_op!(
    LOG,
    "log",
    "LogBackward0",
    |v: Acc| v.ln(),
    |c| div(&c.g, c.x()),
    (true, false)
);
float_op!(
    LOG2,
    "log2",
    "Log2Backward0",
    |v: Acc| v.log2(),
    |c| div(&c.g, &bin::mul_scalar(c.x(), std::f64::consts::LN_2)?),
    (true, false)
);
float_op!(
    LOG10,
    "log10",
    "Log10Backward0",
    |v: Acc| v.log10(),
    |c| div(&c.g, &bin::mul_scalar(c.x(), std::f64::consts::LN_10)?),
    (true, false)
);
float_op!(
    LOG1P,
    "log1p",
    "Log1PBackward0",
    |v: Acc| v.ln_1p(),
    |c| div(&c.g, &add(c.x(), &scalar(1.0))?),
    (true, false)
);
float_op!(
    SQRT,
    "sqrt",
    "SqrtBackward0",
    |v: Acc| v.sqrt(),
    |c| div(&c.g, &bin::mul_scalar(c.out(), 2.0)?),
    (false, true)
);
float_op!(
    RSQRT,
    "rsqrt",
    "RsqrtBackward0",
    |v: Acc| v.sqrt().recip(),
    // d/dx x^-1/2 = -1/2 out^3
    |c| mul(
        &c.g,
        &bin::mul_scalar(&mul(c.out(), &mul(c.out(), c.out())?)?, -0.5)?
    ),
    (false, true)
);
float_op!(
    RECIPROCAL,
    "reciprocal",
    "ReciprocalBackward0",
    |v: Acc| v.recip(),
    |c| neg(&mul(&c.g, &mul(c.out(), c.out())?)?),
    (false, true)
);
float_op!(
    SIN,
    "sin",
    "SinBackward0",
    |v: Acc| v.sin(),
    |c| mul(&c.g, &cos(c.x())?),
    (true, false)
);
float_op!(
    COS,
    "cos",
    "CosBackward0",
    |v: Acc| v.cos(),
    |c| neg(&mul(&c.g, &sin(c.x())?)?),
    (true, false)
);
float_op!(
    TAN,
    "tan",
    "TanBackward0",
    |v: Acc| v.tan(),
    |c| mul(&c.g, &add(&mul(c.out(), c.out())?, &scalar(1.0))?),
    (false, true)
);
float_op!(
    ASIN,
    "asin",
    "AsinBackward0",
    |v: Acc| v.asin(),
    |c| div(&c.g, &sqrt(&sub(&scalar(1.0), &mul(c.x(), c.x())?)?)?),
    (true, false)
);
float_op!(
    ACOS,
    "acos",
    "AcosBackward0",
    |v: Acc| v.acos(),
    |c| neg(&div(
        &c.g,
        &sqrt(&sub(&scalar(1.0), &mul(c.x(), c.x())?)?)?
    )?),
    (true, false)
);
float_op!(
    ATAN,
    "atan",
    "AtanBackward0",
    |v: Acc| v.atan(),
    |c| div(&c.g, &add(&mul(c.x(), c.x())?, &scalar(1.0))?),
    (true, false)
);
float_op!(
    SINH,
    "sinh",
    "SinhBackward0",
    |v: Acc| v.sinh(),
    |c| mul(&c.g, &cosh(c.x())?),
    (true, false)
);
float_op!(
    COSH,
    "cosh",
    "CoshBackward0",
    |v: Acc| v.cosh(),
    |c| mul(&c.g, &sinh(c.x())?),
    (true, false)
);
float_op!(
    TANH,
    "tanh",
    "TanhBackward0",
    |v: Acc| v.tanh(),
    |c| mul(&c.g, &sub(&scalar(1.0), &mul(c.out(), c.out())?)?),
    (false, true)
);
float_op!(
    ASINH,
    "asinh",
    "AsinhBackward0",
    |v: Acc| v.asinh(),
    |c| div(&c.g, &sqrt(&add(&mul(c.x(), c.x())?, &scalar(1.0))?)?),
    (true, false)
);
float_op!(
    ACOSH,
    "acosh",
    "AcoshBackward0",
    |v: Acc| v.acosh(),
    |c| div(&c.g, &sqrt(&sub(&mul(c.x(), c.x())?, &scalar(1.0))?)?),
    (true, false)
);
float_op!(
    ATANH,
    "atanh",
    "AtanhBackward0",
    |v: Acc| v.atanh(),
    |c| div(&c.g, &sub(&scalar(1.0), &mul(c.x(), c.x())?)?),
    (true, false)
);
float_op!(
    SIGMOID,
    "sigmoid",
    "SigmoidBackward0",
    sigmoid_f,
    |c| mul(&c.g, &mul(c.out(), &sub(&scalar(1.0), c.out())?)?),
    (false, true)
);
float_op!(
    ERF,
    "erf",
    "ErfBackward0",
    erf_f,
    // 2/sqrt(pi) exp(-x^2)
    |c| mul(
        &c.g,
        &bin::mul_scalar(
            &exp(&neg(&mul(c.x(), c.x())?)?)?,
            std::f64::consts::FRAC_2_SQRT_PI
        )?
    ),
    (true, false)
);
float_op!(
    ERFC,
    "erfc",
    "ErfcBackward0",
    erfc_f,
    |c| mul(
        &c.g,
        &bin::mul_scalar(
            &exp(&neg(&mul(c.x(), c.x())?)?)?,
            -std::f64::consts::FRAC_2_SQRT_PI
        )?
    ),
    (true, false)
);

float_op!(
    ERFINV,
    "erfinv",
    "ErfinvBackward0",
    erfinv_f,
    // sqrt(pi)/2 exp(erfinv(x)^2)
    |c| mul(
        &c.g,
        &bin::mul_scalar(
            &exp(&mul(c.out(), c.out())?)?,
            std::f64::consts::PI.sqrt() / 2.0
        )?
    ),
    (false, true)
);

pub static SQUARE: UnaryOp = UnaryOp {
    name: "square",
    grad_name: "PowBackward0",
    kind: UnaryKind::Same,
    kernel: |out, x, ct| {
        if ct == DType::Bool {
            return Err(Error::runtime(""));
        }
        crate::dispatch_all!(ct, T => map1::<T, T>(out, x, |v: T| v.mul(v)));
        Ok(())
    },
    backward: Some(|c| mul(&c.g, &bin::mul_scalar(c.x(), 2.0)?)),
    saves: (true, false),
};

pub static RELU: UnaryOp = UnaryOp {
    name: "relu",
    grad_name: "ReluBackward0",
    kind: UnaryKind::Same,
    kernel: |out, x, ct| {
        if ct == DType::Bool {
            return Err(Error::not_implemented(
                "\"clamp_min_cpu\" not implemented for 'Bool'",
            ));
        }
        crate::dispatch_all!(ct, T => map1::<T, T>(out, x, |v: T| if v > T::zero() { v } else if v != v { v } else { T::zero() }));
        Ok(())
    },
    backward: Some(|c| {
        let mask = bin::gt(c.out(), &Tensor::wrapped_scalar(Scalar::Int(0)))?;
        mul(&c.g, &super::copy::to_dtype(&mask, c.g.dtype())?)
    }),
    saves: (false, true),
};

macro_rules! rounding_op {
    ($name:ident, $s:literal, $g:literal, $f:expr) => {
        pub static $name: UnaryOp = UnaryOp {
            name: $s,
            grad_name: $g,
            kind: UnaryKind::Same,
            kernel: num_kernel!($f, |v: T| v),
            backward: Some(|c| Ok(super::creation::zeros_like(&c.g))),
            saves: (false, false),
        };
    };
}
rounding_op!(FLOOR, "floor", "FloorBackward0", |v: Acc| v.floor());
rounding_op!(CEIL, "ceil", "CeilBackward0", |v: Acc| v.ceil());
rounding_op!(TRUNC, "trunc", "TruncBackward0", |v: Acc| v.trunc());
rounding_op!(ROUND, "round", "RoundBackward0", round_even);

pub static FRAC: UnaryOp = UnaryOp {
    name: "frac",
    grad_name: "FracBackward0",
    kind: UnaryKind::Same,
    kernel: float_kernel!(|v: Acc| v - v.trunc()),
    backward: Some(|c| Ok(c.g.clone())),
    saves: (false, false),
};

macro_rules! predicate_op {
    ($name:ident, $s:literal, $f:expr, $int:expr) => {
        pub static $name: UnaryOp = UnaryOp {
            name: $s,
            grad_name: "",
            kind: UnaryKind::Bool,
            kernel: float_predicate!($f, $int),
            backward: None,
            saves: (false, false),
        };
    };
}
predicate_op!(ISNAN, "isnan", |v: Acc| v.is_nan(), false);
predicate_op!(ISINF, "isinf", |v: Acc| v.is_infinite(), false);
predicate_op!(ISFINITE, "isfinite", |v: Acc| v.is_finite(), true);
predicate_op!(
    ISPOSINF,
    "isposinf",
    |v: Acc| v.is_infinite() && v > Acc::zero(),
    false
);
predicate_op!(
    ISNEGINF,
    "isneginf",
    |v: Acc| v.is_infinite() && v < Acc::zero(),
    false
);

pub static LOGICAL_NOT: UnaryOp = UnaryOp {
    name: "logical_not",
    grad_name: "",
    kind: UnaryKind::Bool,
    kernel: |out, x, ct| {
        crate::dispatch_all!(ct, T => map1::<T, bool>(out, x, |v: T| !v.to_bool()));
        Ok(())
    },
    backward: None,
    saves: (false, false),
};

pub static BITWISE_NOT: UnaryOp = UnaryOp {
    name: "bitwise_not",
    grad_name: "",
    kind: UnaryKind::Same,
    kernel: |out, x, ct| {
        if ct == DType::Bool {
            map1::<bool, bool>(out, x, |v| !v);
            return Ok(());
        }
        crate::dispatch_int!(ct, T => {
            map1::<T, T>(out, x, |v: T| v.bitnot());
            Ok(())
        }, _ => Err(Error::runtime("")))
    },
    backward: None,
    saves: (false, false),
};

// Named entry points used across the crate.
pub fn neg(x: &Tensor) -> Result<Tensor> {
    unary(&NEG, x)
}
pub fn sign(x: &Tensor) -> Result<Tensor> {
    unary(&SIGN, x)
}
pub fn exp(x: &Tensor) -> Result<Tensor> {
    unary(&EXP, x)
}
pub fn log(x: &Tensor) -> Result<Tensor> {
    unary(&LOG, x)
}
pub fn sqrt(x: &Tensor) -> Result<Tensor> {
    unary(&SQRT, x)
}
pub fn sin(x: &Tensor) -> Result<Tensor> {
    unary(&SIN, x)
}
pub fn cos(x: &Tensor) -> Result<Tensor> {
    unary(&COS, x)
}
pub fn sinh(x: &Tensor) -> Result<Tensor> {
    unary(&SINH, x)
}
pub fn cosh(x: &Tensor) -> Result<Tensor> {
    unary(&COSH, x)
}
pub fn abs(x: &Tensor) -> Result<Tensor> {
    unary(&ABS, x)
}

/// `t` with zeros where `mask` is true (no history through the mask).
pub fn masked_zero_where(t: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let keep = super::copy::to_dtype(&unary(&LOGICAL_NOT, mask)?, t.dtype())?;
    mul(t, &keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_input_promotes_to_default_float() {
        let x = Tensor::from_vec(vec![0i64, 1], &[2]).unwrap();
        let y = exp(&x).unwrap();
        assert_eq!(y.dtype(), DType::F32);
        assert!((y.to_f64_vec()[1] - std::f64::consts::E).abs() < 1e-6);
    }

    #[test]
    fn round_half_to_even() {
        let x = Tensor::from_vec(vec![0.5f64, 1.5, 2.5, -0.5, -1.5, 2.4], &[6]).unwrap();
        let y = unary(&ROUND, &x).unwrap();
        assert_eq!(y.to_f64_vec(), vec![0.0, 2.0, 2.0, -0.0, -2.0, 2.0]);
    }

    #[test]
    fn bool_negation_is_an_error() {
        let x = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        assert!(neg(&x).is_err());
        let y = unary(&LOGICAL_NOT, &x).unwrap();
        assert_eq!(y.to_f64_vec(), vec![0.0, 1.0]);
    }
}
