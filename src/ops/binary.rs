//! Binary elementwise ops. Each op is one `BinaryOp` entry: its result-dtype rule, its
//! kernel, and its backward, all written here together.

// Generic kernels test NaN as `v != v` (it works for every element type) and are also
// instantiated for bool, where ordering comparisons are meant.
#![allow(clippy::eq_op, clippy::bool_comparison)]

use super::copy::{begin_inplace, clone_contiguous};
use super::{
    broadcast_to, cast, check_inplace_dtype, may_overlap, new_output, same_elements, try_new_output,
};
use crate::autograd::{self, needs_grad, SavedTensor};
use crate::cpu::elementwise::map2;
use crate::cpu::math::{div_floor_float, fmod_floor, Arith, IntMath};
use crate::dtype::{default_float, result_type, DType, Element, FloatElement, Operand, Scalar};
use crate::error::{Error, Result};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

/// How the result dtype follows from the promoted dtype of the inputs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// The promoted dtype.
    Promote,
    /// The promoted dtype, or the default float dtype for integer/bool inputs.
    Float,
    /// Computed in the promoted dtype, result bool.
    Bool,
}

/// `out = f(a, b)`; `a` and `b` are broadcast to `out`'s shape and hold the compute dtype.
type Kernel = fn(&Tensor, &Tensor, &Tensor, DType) -> Result<()>;
/// Gradients of (a, b) from the output gradient, before reduction to the input shapes.
type Backward = fn(&Grads) -> Result<[Option<Tensor>; 2]>;

/// What a backward formula sees.
pub struct Grads {
    pub g: Tensor,
    pub a: Option<Tensor>,
    pub b: Option<Tensor>,
    pub out: Option<Tensor>,
    pub needs: [bool; 2],
}

impl Grads {
    fn a(&self) -> &Tensor {
        self.a.as_ref().expect("backward saves a")
    }
    fn b(&self) -> &Tensor {
        self.b.as_ref().expect("backward saves b")
    }
    fn out(&self) -> &Tensor {
        self.out.as_ref().expect("backward saves out")
    }
}

pub struct BinaryOp {
    pub name: &'static str,
    pub grad_name: &'static str,
    pub result: ResultKind,
    pub kernel: Kernel,
    pub backward: Option<Backward>,
    /// Which of (a, b, out) the backward reads.
    pub saves: (bool, bool, bool),
}

fn operand(t: &Tensor) -> Operand {
    if t.is_wrapped_number() {
        Operand::Wrapped(t.get_flat(0))
    } else if t.ndim() == 0 {
        Operand::ZeroDim(t.dtype())
    } else {
        Operand::Dim(t.dtype())
    }
}

/// (compute dtype, result dtype) for an op on `a` and `b`.
fn dtypes(op: &BinaryOp, a: &Tensor, b: &Tensor) -> (DType, DType) {
    let ct = result_type(&[operand(a), operand(b)]);
    match op.result {
        ResultKind::Promote => (ct, ct),
        ResultKind::Float => {
            let f = if ct.is_float() { ct } else { default_float() };
            (f, f)
        }
        ResultKind::Bool => (ct, DType::Bool),
    }
}

fn unsupported(op: &BinaryOp, dt: DType) -> Error {
    Error::not_implemented(format!(
        "\"{}_cpu\" not implemented for '{}'",
        op.name,
        super::capitalized(dt)
    ))
}

/// Run `op` out of place.
pub fn binary(op: &'static BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let sizes = broadcast_shapes(a.sizes(), b.sizes())?;
    check_bool_sub(op, a, b)?;
    if let Some(r) = bool_pow_shortcut(op, a, b)? {
        return Ok(r);
    }
    let (ct, rt) = dtypes(op, a, b);
    let ac = broadcast_to(&cast(a, ct), &sizes)?;
    let bc = broadcast_to(&cast(b, ct), &sizes)?;
    let out = try_new_output(&sizes, rt, &[a, b])?;
    (op.kernel)(&out, &ac, &bc, ct).map_err(|e| retag(e, op, ct))?;
    if op.backward.is_some() && rt.is_float() && needs_grad(&[a, b]) {
        return Ok(record(op, a, b, out));
    }
    Ok(out)
}

/// PyTorch refuses `-` when either operand is bool, Python's `True` included.
fn check_bool_sub(op: &BinaryOp, a: &Tensor, b: &Tensor) -> Result<()> {
    if !std::ptr::eq(op, &SUB) {
        return Ok(());
    }
    match (a.dtype() == DType::Bool, b.dtype() == DType::Bool) {
        (true, true) => Err(Error::runtime(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
        )),
        (true, false) | (false, true) => Err(Error::runtime(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
        )),
        (false, false) => Ok(()),
    }
}

/// A bool tensor to the power of a Python bool: PyTorch answers exponents 1 and 0 before
/// reaching its kernel (which has no bool version), giving a copy or ones.
fn bool_pow_shortcut(op: &BinaryOp, a: &Tensor, b: &Tensor) -> Result<Option<Tensor>> {
    if !std::ptr::eq(op, &POW)
        || a.dtype() != DType::Bool
        || !b.is_wrapped_number()
        || b.dtype() != DType::Bool
    {
        return Ok(None);
    }
    if b.get_flat(0) == Scalar::Bool(true) {
        return Ok(Some(clone_contiguous(a)));
    }
    Ok(Some(super::creation::full(
        a.sizes(),
        Scalar::Bool(true),
        DType::Bool,
    )?))
}

fn retag(e: Error, op: &BinaryOp, ct: DType) -> Error {
    if e.message.is_empty() {
        unsupported(op, ct)
    } else {
        e
    }
}

/// The node's name. PyTorch names pow's node after the overload that ran:
/// (Tensor, Scalar) PowBackward0, (Tensor, Tensor) PowBackward1, (Scalar, Tensor) PowBackward2;
/// `number - tensor` runs rsub(Tensor, Scalar): RsubBackward1.
fn node_name(op: &'static BinaryOp, a: &Tensor, b: &Tensor) -> &'static str {
    if std::ptr::eq(op, &SUB) && a.is_wrapped_number() && !b.is_wrapped_number() {
        return "RsubBackward1";
    }
    if std::ptr::eq(op, &POW) {
        if b.is_wrapped_number() {
            return "PowBackward0";
        }
        if a.is_wrapped_number() {
            return "PowBackward2";
        }
    }
    op.grad_name
}

/// Which operands the backward keeps. mul and div read an operand only for the other
/// operand's gradient; keeping it when that gradient is not wanted would make a later
/// in-place write to it fail the backward (`b = a * 2; a.add_(1)`), which PyTorch allows.
fn saves_for(op: &'static BinaryOp, a: &Tensor, b: &Tensor) -> (bool, bool) {
    let (mut sa, mut sb) = (op.saves.0, op.saves.1);
    if std::ptr::eq(op, &MUL) || std::ptr::eq(op, &DIV) {
        sa &= b.requires_grad();
    }
    if std::ptr::eq(op, &MUL) {
        sb &= a.requires_grad();
    }
    (sa, sb)
}

fn record(op: &'static BinaryOp, a: &Tensor, b: &Tensor, out: Tensor) -> Tensor {
    let name = node_name(op, a, b);
    let (save_a, save_b) = saves_for(op, a, b);
    let sa = save_a.then(|| SavedTensor::input(a));
    let sb = save_b.then(|| SavedTensor::input(b));
    let (a_sizes, b_sizes) = (a.dims(), b.dims());
    let needs = [a.requires_grad(), b.requires_grad()];
    let make = move |so: Option<SavedTensor>| -> crate::autograd::node::BackwardFn {
        Box::new(move |g| {
            let grads = Grads {
                g: g[0].clone(),
                a: sa.as_ref().map(|s| s.unpack()).transpose()?,
                b: sb.as_ref().map(|s| s.unpack()).transpose()?,
                out: so.as_ref().map(|s| s.unpack()).transpose()?,
                needs,
            };
            let [ga, gb] = (op.backward.expect("has backward"))(&grads)?;
            Ok(vec![
                reduce_grad(ga, needs[0], &a_sizes)?,
                reduce_grad(gb, needs[1], &b_sizes)?,
            ])
        })
    };
    if op.saves.2 {
        autograd::record1_with_output(name, &[a, b], out, |so| make(Some(so)))
    } else {
        let saves = save_a || save_b;
        autograd::record1(name, &[a, b], out, saves, make(None))
    }
}

fn reduce_grad(g: Option<Tensor>, needed: bool, sizes: &[usize]) -> Result<Option<Tensor>> {
    match g {
        Some(g) if needed => Ok(Some(super::reduce::sum_to_size(&g, sizes)?)),
        _ => Ok(None),
    }
}

/// Run `op` in place on `a` (`a.add_(b)`): the result must keep `a`'s shape and dtype.
pub fn binary_(op: &'static BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let sizes = broadcast_shapes(a.sizes(), b.sizes())?;
    if sizes.as_slice() != a.sizes() {
        return Err(Error::runtime(format!(
            "output with shape {} doesn't match the broadcast shape {}",
            crate::shape::fmt_sizes(a.sizes()),
            crate::shape::fmt_sizes(&sizes)
        )));
    }
    check_bool_sub(op, a, b)?;
    let (ct, rt) = dtypes(op, a, b);
    check_inplace_dtype(rt, a.dtype())?;
    let grad = needs_grad(&[a, b]) && op.backward.is_some() && a.dtype().is_float();
    begin_inplace(a, grad)?;
    // What the backward needs from before the write.
    // Cloned with its history, so a double backward reaches a's old value.
    let (save_a, save_b) = saves_for(op, a, b);
    let saved_a = (grad && save_a).then(|| super::copy::clone(a));
    let mut bc = broadcast_to(&cast(b, ct), &sizes)?;
    if may_overlap(a, &bc) && !same_elements(a, &bc) {
        bc = clone_contiguous(&bc);
    }
    if ct == a.dtype() && rt == a.dtype() {
        (op.kernel)(a, a, &bc, ct).map_err(|e| retag(e, op, ct))?;
    } else {
        let ac = cast(a, ct);
        let tmp = new_output(&sizes, rt, &[a]);
        (op.kernel)(&tmp, &ac, &bc, ct).map_err(|e| retag(e, op, ct))?;
        crate::cpu::copy::copy_cast(a, &tmp);
    }
    a.storage().bump_version();
    if !grad {
        return Ok(a.clone());
    }
    let sb = save_b.then(|| SavedTensor::input(b));
    let so = op.saves.2.then(|| SavedTensor::input(&a.detach()));
    let (a_sizes, b_sizes) = (a.dims(), b.dims());
    let needs = [a.requires_grad(), b.requires_grad()];
    Ok(autograd::rebase_inplace(
        node_name(op, a, b),
        a,
        &[b],
        true,
        Box::new(move |g| {
            let grads = Grads {
                g: g[0].clone(),
                a: saved_a.clone(),
                b: sb.as_ref().map(|s| s.unpack()).transpose()?,
                out: so.as_ref().map(|s| s.unpack()).transpose()?,
                needs,
            };
            let [ga, gb] = (op.backward.expect("has backward"))(&grads)?;
            Ok(vec![
                reduce_grad(ga, needs[0], &a_sizes)?,
                reduce_grad(gb, needs[1], &b_sizes)?,
            ])
        }),
    ))
}

// ---------------------------------------------------------------------------------------
// Kernel builders

/// Kernel for every dtype through `Arith`.
macro_rules! arith_kernel {
    ($f:expr) => {
        |out: &Tensor, a: &Tensor, b: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_all!(ct, T => map2::<T, T, T>(out, a, b, |x: T, y: T| $f(x, y)));
            Ok(())
        }
    };
}

/// Kernel for floating dtypes, computed in the accumulation type (f32 for halves).
macro_rules! float_kernel {
    ($f:expr) => {
        |out: &Tensor, a: &Tensor, b: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_float!(ct, T => {
                map2::<T, T, T>(out, a, b, |x: T, y: T| T::from_acc($f(x.to_acc(), y.to_acc())));
                Ok(())
            }, _ => Err(Error::runtime("")))
        }
    };
}

/// Kernel for floats (as `float_kernel!`) and integers (`$i`, which may reject zeros).
macro_rules! float_int_kernel {
    ($f:expr, $i:expr, $check_zero:expr) => {
        |out: &Tensor, a: &Tensor, b: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_float!(ct, T => {
                map2::<T, T, T>(out, a, b, |x: T, y: T| T::from_acc($f(x.to_acc(), y.to_acc())));
                Ok(())
            }, _ => crate::dispatch_int!(ct, T => {
                if $check_zero && any_zero::<T>(b) {
                    return Err(Error::runtime("ZeroDivisionError"));
                }
                map2::<T, T, T>(out, a, b, |x: T, y: T| $i(x, y));
                Ok(())
            }, _ => Err(Error::runtime(""))))
        }
    };
}

/// Kernel for integers and bool only.
macro_rules! int_bool_kernel {
    ($i:expr, $bool:expr) => {
        |out: &Tensor, a: &Tensor, b: &Tensor, ct: DType| -> Result<()> {
            if ct == DType::Bool {
                map2::<bool, bool, bool>(out, a, b, $bool);
                return Ok(());
            }
            crate::dispatch_int!(ct, T => {
                map2::<T, T, T>(out, a, b, |x: T, y: T| $i(x, y));
                Ok(())
            }, _ => Err(Error::runtime("")))
        }
    };
}

/// Comparison kernel: every dtype, bool result.
macro_rules! compare_kernel {
    ($f:expr) => {
        |out: &Tensor, a: &Tensor, b: &Tensor, ct: DType| -> Result<()> {
            crate::dispatch_all!(ct, T => map2::<T, T, bool>(out, a, b, |x: T, y: T| $f(x, y)));
            Ok(())
        }
    };
}

fn any_zero<T: IntMath>(t: &Tensor) -> bool {
    let mut found = false;
    crate::cpu::elementwise::for_each::<T>(t, |v| found |= v.is_zero());
    found
}

#[inline(always)]
pub fn add_elem<T: Arith>(x: T, y: T) -> T {
    x.add(y)
}

// ---------------------------------------------------------------------------------------
// The ops

pub static ADD: BinaryOp = BinaryOp {
    name: "add",
    grad_name: "AddBackward0",
    result: ResultKind::Promote,
    kernel: arith_kernel!(|x: T, y: T| x.add(y)),
    backward: Some(|c| Ok([Some(c.g.clone()), Some(c.g.clone())])),
    saves: (false, false, false),
};

pub static SUB: BinaryOp = BinaryOp {
    name: "sub",
    grad_name: "SubBackward0",
    result: ResultKind::Promote,
    kernel: |out, a, b, ct| {
        if ct == DType::Bool {
            return Err(Error::runtime(
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
            ));
        }
        crate::dispatch_all!(ct, T => map2::<T, T, T>(out, a, b, |x: T, y: T| x.sub(y)));
        Ok(())
    },
    backward: Some(|c| {
        let gb = if c.needs[1] {
            Some(super::unary::neg(&c.g)?)
        } else {
            None
        };
        Ok([Some(c.g.clone()), gb])
    }),
    saves: (false, false, false),
};

pub static MUL: BinaryOp = BinaryOp {
    name: "mul",
    grad_name: "MulBackward0",
    result: ResultKind::Promote,
    kernel: arith_kernel!(|x: T, y: T| x.mul(y)),
    backward: Some(|c| {
        let ga = if c.needs[0] {
            Some(mul(&c.g, c.b())?)
        } else {
            None
        };
        let gb = if c.needs[1] {
            Some(mul(&c.g, c.a())?)
        } else {
            None
        };
        Ok([ga, gb])
    }),
    saves: (true, true, false),
};

pub static DIV: BinaryOp = BinaryOp {
    name: "div",
    grad_name: "DivBackward0",
    result: ResultKind::Float,
    kernel: float_kernel!(|x, y| x / y),
    backward: Some(|c| {
        let ga = if c.needs[0] {
            Some(div(&c.g, c.b())?)
        } else {
            None
        };
        let gb = if c.needs[1] {
            // -g * a / b^2
            let q = div(&div(c.a(), c.b())?, c.b())?;
            Some(super::unary::neg(&mul(&c.g, &q)?)?)
        } else {
            None
        };
        Ok([ga, gb])
    }),
    saves: (true, true, false),
};

pub static DIV_TRUNC: BinaryOp = BinaryOp {
    name: "div_trunc",
    grad_name: "DivBackward1",
    result: ResultKind::Promote,
    kernel: float_int_kernel!(
        |x: Acc, y: Acc| (x / y).trunc(),
        |x: T, y: T| x.div_trunc(y),
        true
    ),
    backward: Some(|c| {
        Ok([
            c.needs[0].then(|| super::creation::zeros_like(&c.g)),
            c.needs[1].then(|| super::creation::zeros_like(&c.g)),
        ])
    }),
    saves: (false, false, false),
};

pub static DIV_FLOOR: BinaryOp = BinaryOp {
    name: "div_floor",
    grad_name: "DivBackward1",
    result: ResultKind::Promote,
    kernel: float_int_kernel!(div_floor_float, |x: T, y: T| x.floor_div(y), true),
    backward: Some(|c| {
        Ok([
            c.needs[0].then(|| super::creation::zeros_like(&c.g)),
            c.needs[1].then(|| super::creation::zeros_like(&c.g)),
        ])
    }),
    saves: (false, false, false),
};

pub static REMAINDER: BinaryOp = BinaryOp {
    name: "remainder",
    grad_name: "RemainderBackward0",
    result: ResultKind::Promote,
    kernel: float_int_kernel!(fmod_floor, |x: T, y: T| x.rem_floor(y), true),
    backward: Some(|c| {
        let gb = if c.needs[1] {
            let q = binary(&DIV_FLOOR, c.a(), c.b())?;
            Some(super::unary::neg(&mul(&c.g, &q)?)?)
        } else {
            None
        };
        Ok([Some(c.g.clone()), gb])
    }),
    saves: (true, true, false),
};

pub static FMOD: BinaryOp = BinaryOp {
    name: "fmod",
    grad_name: "FmodBackward0",
    result: ResultKind::Promote,
    kernel: float_int_kernel!(|x: Acc, y: Acc| x % y, |x: T, y: T| x.rem_trunc(y), true),
    backward: Some(|c| {
        let gb = if c.needs[1] {
            let q = binary(&DIV_TRUNC, c.a(), c.b())?;
            Some(super::unary::neg(&mul(&c.g, &q)?)?)
        } else {
            None
        };
        Ok([Some(c.g.clone()), gb])
    }),
    saves: (true, true, false),
};

pub static POW: BinaryOp = BinaryOp {
    name: "pow",
    grad_name: "PowBackward1",
    result: ResultKind::Promote,
    kernel: |out, a, b, ct| {
        crate::dispatch_float!(ct, T => {
            map2::<T, T, T>(out, a, b, |x: T, y: T| T::from_acc(x.to_acc().powf(y.to_acc())));
            Ok(())
        }, _ => crate::dispatch_int!(ct, T => {
            map2::<T, T, T>(out, a, b, |x: T, y: T| x.ipow(y));
            Ok(())
        }, _ => Err(Error::runtime(""))))
    },
    backward: Some(|c| {
        // d/da a^b = b a^(b-1); d/db a^b = a^b ln a (0 where a == 0 and b >= 0)
        let ga = if c.needs[0] {
            let bm1 = sub(c.b(), &Tensor::wrapped_scalar(Scalar::Int(1)))?;
            let t = mul(c.b(), &pow(c.a(), &bm1)?)?;
            let t = super::unary::masked_zero_where(
                &t,
                &eq(c.b(), &Tensor::wrapped_scalar(Scalar::Int(0)))?,
            )?;
            Some(mul(&c.g, &t)?)
        } else {
            None
        };
        let gb = if c.needs[1] {
            let ln = super::unary::log(c.a())?;
            let t = mul(c.out(), &ln)?;
            let zero_base = eq(c.a(), &Tensor::wrapped_scalar(Scalar::Int(0)))?;
            let nonneg = ge(c.b(), &Tensor::wrapped_scalar(Scalar::Int(0)))?;
            let mask = binary(&LOGICAL_AND, &zero_base, &nonneg)?;
            let t = super::unary::masked_zero_where(&t, &mask)?;
            Some(mul(&c.g, &t)?)
        } else {
            None
        };
        Ok([ga, gb])
    }),
    saves: (true, true, true),
};

pub static ATAN2: BinaryOp = BinaryOp {
    name: "atan2",
    grad_name: "Atan2Backward0",
    result: ResultKind::Float,
    kernel: float_kernel!(|x: Acc, y: Acc| x.atan2(y)),
    backward: Some(|c| {
        let den = add(&mul(c.a(), c.a())?, &mul(c.b(), c.b())?)?;
        let ga = if c.needs[0] {
            Some(mul(&c.g, &div(c.b(), &den)?)?)
        } else {
            None
        };
        let gb = if c.needs[1] {
            Some(super::unary::neg(&mul(&c.g, &div(c.a(), &den)?)?)?)
        } else {
            None
        };
        Ok([ga, gb])
    }),
    saves: (true, true, false),
};

pub static HYPOT: BinaryOp = BinaryOp {
    name: "hypot",
    grad_name: "HypotBackward0",
    result: ResultKind::Promote,
    kernel: float_kernel!(|x: Acc, y: Acc| x.hypot(y)),
    backward: Some(|c| {
        let ga = if c.needs[0] {
            Some(mul(&c.g, &div(c.a(), c.out())?)?)
        } else {
            None
        };
        let gb = if c.needs[1] {
            Some(mul(&c.g, &div(c.b(), c.out())?)?)
        } else {
            None
        };
        Ok([ga, gb])
    }),
    saves: (true, true, true),
};

fn minmax_backward(
    c: &Grads,
    pick_a: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<[Option<Tensor>; 2]> {
    // Ties split the gradient in half, as PyTorch does.
    let half = Tensor::wrapped_scalar(Scalar::Float(0.5));
    let wins_a = super::copy::to_dtype(&pick_a(c.a(), c.b())?, c.g.dtype())?;
    let tie = super::copy::to_dtype(&eq(c.a(), c.b())?, c.g.dtype())?;
    let share_a = add(&wins_a, &mul(&tie, &half)?)?;
    let ga = if c.needs[0] {
        Some(mul(&c.g, &share_a)?)
    } else {
        None
    };
    let gb = if c.needs[1] {
        let one = Tensor::wrapped_scalar(Scalar::Int(1));
        Some(mul(&c.g, &sub(&one, &share_a)?)?)
    } else {
        None
    };
    Ok([ga, gb])
}

pub static MAXIMUM: BinaryOp = BinaryOp {
    name: "maximum",
    grad_name: "MaximumBackward0",
    result: ResultKind::Promote,
    kernel: arith_kernel!(|x: T, y: T| x.max_nan(y)),
    backward: Some(|c| minmax_backward(c, gt)),
    saves: (true, true, false),
};

pub static MINIMUM: BinaryOp = BinaryOp {
    name: "minimum",
    grad_name: "MinimumBackward0",
    result: ResultKind::Promote,
    kernel: arith_kernel!(|x: T, y: T| x.min_nan(y)),
    backward: Some(|c| minmax_backward(c, lt)),
    saves: (true, true, false),
};

pub static FMAX: BinaryOp = BinaryOp {
    name: "fmax",
    grad_name: "FmaxBackward0",
    result: ResultKind::Promote,
    kernel: |out, a, b, ct| {
        crate::dispatch_float!(ct, T => {
            map2::<T, T, T>(out, a, b, |x: T, y: T| T::from_acc(x.to_acc().max(y.to_acc())));
            Ok(())
        }, _ => { crate::dispatch_all!(ct, T => map2::<T, T, T>(out, a, b, |x: T, y: T| x.max_nan(y))); Ok(()) })
    },
    backward: Some(|c| minmax_backward(c, gt)),
    saves: (true, true, false),
};

pub static FMIN: BinaryOp = BinaryOp {
    name: "fmin",
    grad_name: "FminBackward0",
    result: ResultKind::Promote,
    kernel: |out, a, b, ct| {
        crate::dispatch_float!(ct, T => {
            map2::<T, T, T>(out, a, b, |x: T, y: T| T::from_acc(x.to_acc().min(y.to_acc())));
            Ok(())
        }, _ => { crate::dispatch_all!(ct, T => map2::<T, T, T>(out, a, b, |x: T, y: T| x.min_nan(y))); Ok(()) })
    },
    backward: Some(|c| minmax_backward(c, lt)),
    saves: (true, true, false),
};

pub static COPYSIGN: BinaryOp = BinaryOp {
    name: "copysign",
    grad_name: "CopysignBackward0",
    result: ResultKind::Float,
    kernel: float_kernel!(|x: Acc, y: Acc| x.copysign(y)),
    backward: Some(|c| {
        // d/da copysign(a, b) = sign(a) * sign(out) (0 where a == 0)
        let ga = if c.needs[0] {
            let s = mul(&super::unary::sign(c.a())?, &super::unary::sign(c.out())?)?;
            Some(mul(&c.g, &s)?)
        } else {
            None
        };
        Ok([ga, c.needs[1].then(|| super::creation::zeros_like(&c.g))])
    }),
    saves: (true, false, true),
};

macro_rules! compare_op {
    ($name:ident, $s:literal, $f:expr) => {
        pub static $name: BinaryOp = BinaryOp {
            name: $s,
            grad_name: "",
            result: ResultKind::Bool,
            kernel: compare_kernel!($f),
            backward: None,
            saves: (false, false, false),
        };
    };
}
compare_op!(EQ, "eq", |x, y| x == y);
compare_op!(NE, "ne", |x, y| x != y);
compare_op!(LT, "lt", |x, y| x < y);
compare_op!(LE, "le", |x, y| x <= y);
compare_op!(GT, "gt", |x, y| x > y);
compare_op!(GE, "ge", |x, y| x >= y);

macro_rules! logical_op {
    ($name:ident, $s:literal, $f:expr) => {
        pub static $name: BinaryOp = BinaryOp {
            name: $s,
            grad_name: "",
            result: ResultKind::Bool,
            kernel: |out, a, b, ct| {
                crate::dispatch_all!(ct, T => map2::<T, T, bool>(out, a, b, |x: T, y: T| $f(x.to_bool(), y.to_bool())));
                Ok(())
            },
            backward: None,
            saves: (false, false, false),
        };
    };
}
logical_op!(LOGICAL_AND, "logical_and", |x: bool, y: bool| x && y);
logical_op!(LOGICAL_OR, "logical_or", |x: bool, y: bool| x || y);
logical_op!(LOGICAL_XOR, "logical_xor", |x: bool, y: bool| x != y);

macro_rules! bitwise_op {
    ($name:ident, $s:literal, $i:ident, $b:expr) => {
        pub static $name: BinaryOp = BinaryOp {
            name: $s,
            grad_name: "",
            result: ResultKind::Promote,
            kernel: int_bool_kernel!(|x: T, y: T| x.$i(y), $b),
            backward: None,
            saves: (false, false, false),
        };
    };
}
bitwise_op!(BITWISE_AND, "bitwise_and", bitand, |x: bool, y: bool| x & y);
bitwise_op!(BITWISE_OR, "bitwise_or", bitor, |x: bool, y: bool| x | y);
bitwise_op!(BITWISE_XOR, "bitwise_xor", bitxor, |x: bool, y: bool| x ^ y);
bitwise_op!(LSHIFT, "lshift", shl, |x: bool, y: bool| x & !y);
bitwise_op!(RSHIFT, "rshift", shr, |x: bool, y: bool| x & !y);

// Named entry points (the ones other Rust code calls).
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&ADD, a, b)
}
pub fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&SUB, a, b)
}
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&MUL, a, b)
}
pub fn div(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&DIV, a, b)
}
pub fn pow(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&POW, a, b)
}
pub fn eq(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&EQ, a, b)
}
pub fn gt(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&GT, a, b)
}
pub fn lt(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&LT, a, b)
}
pub fn ge(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(&GE, a, b)
}

/// `a * s` for a Python number.
pub fn mul_scalar(a: &Tensor, s: f64) -> Result<Tensor> {
    mul(a, &Tensor::wrapped_scalar(Scalar::Float(s)))
}

/// `add(a, b, alpha=alpha)` / `sub(...)`: alpha scales `b` first.
pub fn add_alpha(a: &Tensor, b: &Tensor, alpha: Scalar, subtract: bool) -> Result<Tensor> {
    let op = if subtract { &SUB } else { &ADD };
    if alpha == Scalar::Int(1) || alpha == Scalar::Float(1.0) {
        return binary(op, a, b);
    }
    check_alpha(a, b, alpha)?;
    binary(op, a, &mul(b, &Tensor::wrapped_scalar(alpha))?)
}

/// In-place `add_(b, alpha)` / `sub_`.
pub fn add_alpha_(a: &Tensor, b: &Tensor, alpha: Scalar, subtract: bool) -> Result<Tensor> {
    let op = if subtract { &SUB } else { &ADD };
    if alpha == Scalar::Int(1) || alpha == Scalar::Float(1.0) {
        return binary_(op, a, b);
    }
    check_alpha(a, b, alpha)?;
    binary_(op, a, &mul(b, &Tensor::wrapped_scalar(alpha))?)
}

fn check_alpha(a: &Tensor, b: &Tensor, alpha: Scalar) -> Result<()> {
    let rt = result_type(&[operand(a), operand(b)]);
    if alpha.is_float() && !rt.is_float() {
        return Err(Error::runtime(
            "For integral input tensors, argument alpha must not be a floating point number.",
        ));
    }
    if matches!(alpha, Scalar::Int(_)) && rt == DType::Bool {
        return Err(Error::runtime(
            "Boolean alpha only supported for Boolean results.",
        ));
    }
    Ok(())
}

/// `div(a, b, rounding_mode=...)`.
pub fn div_mode(a: &Tensor, b: &Tensor, mode: Option<&str>) -> Result<Tensor> {
    match mode {
        None => binary(&DIV, a, b),
        Some("trunc") => binary(&DIV_TRUNC, a, b),
        Some("floor") => binary(&DIV_FLOOR, a, b),
        Some(m) => Err(Error::value(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
        ))),
    }
}

pub fn div_mode_(a: &Tensor, b: &Tensor, mode: Option<&str>) -> Result<Tensor> {
    match mode {
        None => binary_(&DIV, a, b),
        Some("trunc") => binary_(&DIV_TRUNC, a, b),
        Some("floor") => binary_(&DIV_FLOOR, a, b),
        Some(m) => Err(Error::value(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
    }

    #[test]
    fn promotion_and_broadcast() {
        let a = Tensor::from_vec(vec![1i64, 2, 3], &[3, 1]).unwrap();
        let b = t(&[0.5, 1.5]);
        let c = add(&a, &b).unwrap();
        assert_eq!(c.sizes(), &[3, 2]);
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.to_f64_vec(), vec![1.5, 2.5, 2.5, 3.5, 3.5, 4.5]);
    }

    #[test]
    fn integer_true_division_gives_default_float() {
        let a = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let c = div(&a, &Tensor::wrapped_scalar(Scalar::Int(2))).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.to_f64_vec(), vec![0.5, 1.0]);
    }

    #[test]
    fn integer_division_by_zero_is_an_error() {
        let a = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let z = Tensor::from_vec(vec![1i64, 0], &[2]).unwrap();
        assert!(binary(&DIV_FLOOR, &a, &z).is_err());
    }

    #[test]
    fn inplace_checks_cast() {
        let a = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let e = binary_(&ADD, &a, &t(&[0.5, 0.5])).unwrap_err();
        assert_eq!(
            e.message,
            "result type Float can't be cast to the desired output type Long"
        );
        let f = t(&[1.0, 2.0]);
        binary_(&MUL, &f, &Tensor::wrapped_scalar(Scalar::Int(3))).unwrap();
        assert_eq!(f.to_f64_vec(), vec![3.0, 6.0]);
        assert_eq!(f.version(), 1);
    }
}
