//! Element types, scalars, and PyTorch's type-promotion rules.

use crate::error::{Error, Result};
use half::{bf16, f16};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// The broad kind of a dtype; Python scalars and 0-dim tensors take part in promotion only by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Integral,
    Floating,
}

impl DType {
    pub const ALL: [DType; 10] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    pub fn is_int(self) -> bool {
        matches!(
            self,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64
        )
    }

    pub fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8)
    }

    pub fn category(self) -> Category {
        if self == DType::Bool {
            Category::Bool
        } else if self.is_float() {
            Category::Floating
        } else {
            Category::Integral
        }
    }

    /// PyTorch's name without the `torch.` prefix.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int8" => DType::I8,
            "int16" | "short" => DType::I16,
            "int32" | "int" => DType::I32,
            "int64" | "long" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => return None,
        })
    }

    /// The legacy tensor-type name (`FloatTensor` ...), as `Tensor.type()` reports it.
    pub fn legacy_type_name(self) -> &'static str {
        match self {
            DType::Bool => "BoolTensor",
            DType::U8 => "ByteTensor",
            DType::I8 => "CharTensor",
            DType::I16 => "ShortTensor",
            DType::I32 => "IntTensor",
            DType::I64 => "LongTensor",
            DType::F16 => "HalfTensor",
            DType::BF16 => "BFloat16Tensor",
            DType::F32 => "FloatTensor",
            DType::F64 => "DoubleTensor",
        }
    }

    /// Smallest and largest finite values, as f64 (for bounds checks and `finfo`/`iinfo`).
    pub fn min_max(self) -> (f64, f64) {
        match self {
            DType::Bool => (0.0, 1.0),
            DType::U8 => (0.0, 255.0),
            DType::I8 => (-128.0, 127.0),
            DType::I16 => (-32768.0, 32767.0),
            DType::I32 => (i32::MIN as f64, i32::MAX as f64),
            DType::I64 => (i64::MIN as f64, i64::MAX as f64),
            DType::F16 => (-65504.0, 65504.0),
            DType::BF16 => (f64::from(bf16::MIN), f64::from(bf16::MAX)),
            DType::F32 => (f32::MIN as f64, f32::MAX as f64),
            DType::F64 => (f64::MIN, f64::MAX),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.name())
    }
}

/// `torch.promote_types`: the smallest dtype both can be cast to without losing category.
pub fn promote_types(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    match (a.category(), b.category()) {
        (Category::Bool, _) => b,
        (_, Category::Bool) => a,
        (Category::Floating, Category::Floating) => {
            if (a == F16 && b == BF16) || (a == BF16 && b == F16) {
                F32
            } else if a.size() >= b.size() {
                a
            } else {
                b
            }
        }
        (Category::Floating, _) => a,
        (_, Category::Floating) => b,
        _ => promote_ints(a, b),
    }
}

fn promote_ints(a: DType, b: DType) -> DType {
    use DType::*;
    match (a, b) {
        (U8, x) | (x, U8) => {
            if x == I8 {
                I16
            } else {
                x
            }
        }
        _ => {
            if a.size() >= b.size() {
                a
            } else {
                b
            }
        }
    }
}

/// `torch.can_cast(from, to)`: casting may not lower the category (float to int, int to bool).
pub fn can_cast(from: DType, to: DType) -> bool {
    from.category() <= to.category()
}

static DEFAULT_DTYPE: AtomicU8 = AtomicU8::new(DType::F32 as u8);

/// The default floating dtype (`torch.get_default_dtype`), process-wide as in PyTorch.
pub fn default_float() -> DType {
    DType::ALL[DEFAULT_DTYPE.load(Ordering::Relaxed) as usize]
}

pub fn set_default_float(dt: DType) -> Result<()> {
    if !matches!(dt, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        return Err(Error::type_error(
            "only floating-point types are supported as the default type",
        ));
    }
    DEFAULT_DTYPE.store(dt as u8, Ordering::Relaxed);
    Ok(())
}

/// A Python number: the operand of `t + 1`, `fill_(v)`, `full(..., v)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    pub fn category(self) -> Category {
        match self {
            Scalar::Bool(_) => Category::Bool,
            Scalar::Int(_) => Category::Integral,
            Scalar::Float(_) => Category::Floating,
        }
    }
    /// The dtype `torch.tensor(scalar)` would get.
    pub fn natural_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => default_float(),
        }
    }
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as i64 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::Float(f) => f as i64,
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, Scalar::Float(_))
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
        }
    }
}

/// One operand of an operation, as far as type promotion is concerned.
#[derive(Clone, Copy, Debug)]
pub enum Operand {
    /// A tensor with at least one dimension.
    Dim(DType),
    /// A 0-dim tensor: takes part by category only, unless it is of a higher category.
    ZeroDim(DType),
    /// A Python scalar.
    Wrapped(Scalar),
}

/// `torch.result_type` over any number of operands (PyTorch's three-tier rule).
pub fn result_type(ops: &[Operand]) -> DType {
    let mut dim: Option<DType> = None;
    let mut zero: Option<DType> = None;
    let mut wrapped: Option<DType> = None;
    let merge = |acc: &mut Option<DType>, t: DType| {
        *acc = Some(match *acc {
            None => t,
            Some(a) => promote_types(a, t),
        })
    };
    for op in ops {
        match *op {
            Operand::Dim(t) => merge(&mut dim, t),
            Operand::ZeroDim(t) => merge(&mut zero, t),
            Operand::Wrapped(s) => merge(&mut wrapped, s.natural_dtype()),
        }
    }
    let lower = combine_categories(zero, wrapped);
    combine_categories(dim, lower).unwrap_or_else(default_float)
}

fn combine_categories(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.category() > h.category() {
                Some(promote_types(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// A Rust element type that a tensor can hold.
pub trait Element: Copy + Send + Sync + 'static + PartialEq + PartialOrd + Default {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    fn to_bool(self) -> bool;
    fn from_bool(v: bool) -> Self;
    fn zero() -> Self;
    fn one() -> Self;

    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Bool(b) => Self::from_bool(b),
            Scalar::Int(i) => Self::from_i64(i),
            Scalar::Float(f) => Self::from_f64(f),
        }
    }
    fn to_scalar(self) -> Scalar {
        match Self::DTYPE.category() {
            Category::Bool => Scalar::Bool(self.to_bool()),
            Category::Integral => Scalar::Int(self.to_i64()),
            Category::Floating => Scalar::Float(self.to_f64()),
        }
    }
}

macro_rules! impl_int_element {
    ($t:ty, $dt:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                // Through i64 so that negative floats wrap into unsigned types as C casts do.
                if v.is_finite() && v.abs() < 9.2e18 {
                    (v as i64) as $t
                } else {
                    v as $t
                }
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_bool(self) -> bool {
                self != 0
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                v as $t
            }
            #[inline(always)]
            fn zero() -> Self {
                0
            }
            #[inline(always)]
            fn one() -> Self {
                1
            }
        }
    };
}

impl_int_element!(u8, U8);
impl_int_element!(i8, I8);
impl_int_element!(i16, I16);
impl_int_element!(i32, I32);
impl_int_element!(i64, I64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline(always)]
    fn to_bool(self) -> bool {
        self
    }
    #[inline(always)]
    fn from_bool(v: bool) -> Self {
        v
    }
    fn zero() -> Self {
        false
    }
    fn one() -> Self {
        true
    }
}

macro_rules! impl_float_element {
    ($t:ty, $dt:ident, $from_f64:expr, $to_f64:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dt;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                $to_f64(self)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from_f64(v)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                $to_f64(self) as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                $from_f64(v as f64)
            }
            #[inline(always)]
            fn to_bool(self) -> bool {
                $to_f64(self) != 0.0
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                $from_f64(v as u8 as f64)
            }
            #[inline(always)]
            fn zero() -> Self {
                $from_f64(0.0)
            }
            #[inline(always)]
            fn one() -> Self {
                $from_f64(1.0)
            }
        }
    };
}

impl_float_element!(f32, F32, |v: f64| v as f32, |x: f32| x as f64);
impl_float_element!(f64, F64, |v: f64| v, |x: f64| x);
impl_float_element!(f16, F16, f16::from_f64, f64::from);
impl_float_element!(bf16, BF16, bf16::from_f64, f64::from);

/// Floating element types, with the type their math is done in (f32 for the half types,
/// as PyTorch's CPU kernels do).
pub trait FloatElement: Element {
    type Acc: num_traits::Float + num_traits::FloatConst + Send + Sync + 'static + Default;
    fn to_acc(self) -> Self::Acc;
    fn from_acc(v: Self::Acc) -> Self;
}

impl FloatElement for f32 {
    type Acc = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self
    }
    #[inline(always)]
    fn from_acc(v: f32) -> Self {
        v
    }
}
impl FloatElement for f64 {
    type Acc = f64;
    #[inline(always)]
    fn to_acc(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_acc(v: f64) -> Self {
        v
    }
}
impl FloatElement for f16 {
    type Acc = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_acc(v: f32) -> Self {
        f16::from_f32(v)
    }
}
impl FloatElement for bf16 {
    type Acc = f32;
    #[inline(always)]
    fn to_acc(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn from_acc(v: f32) -> Self {
        bf16::from_f32(v)
    }
}

/// Conversion between element types with C-cast semantics (what `Tensor.to(dtype)` does).
pub trait CastTo<U>: Copy {
    fn cast(self) -> U;
}

macro_rules! cast_as {
    ($($from:ty),* => $to:ty) => {
        $(impl CastTo<$to> for $from {
            #[inline(always)]
            fn cast(self) -> $to { self as $to }
        })*
    };
}

// Between integers and to floats `as` is the C cast. Floats go to narrow integers through
// int64 and then wrap, which is what PyTorch's CPU kernels (and numpy) give on x86:
// -1.5 as uint8 is 255. Out of int64's range, `as` saturates rather than being undefined.
cast_as!(u8, i8, i16, i32, i64 => u8);
cast_as!(u8, i8, i16, i32, i64 => i8);
cast_as!(u8, i8, i16, i32, i64 => i16);
cast_as!(u8, i8, i16, i32, i64 => i32);

macro_rules! cast_float_to_narrow_int {
    ($($from:ty),* => $to:ty) => {
        $(impl CastTo<$to> for $from {
            #[inline(always)]
            fn cast(self) -> $to { (self as i64) as $to }
        })*
    };
}
cast_float_to_narrow_int!(f32, f64 => u8);
cast_float_to_narrow_int!(f32, f64 => i8);
cast_float_to_narrow_int!(f32, f64 => i16);
cast_float_to_narrow_int!(f32, f64 => i32);
cast_as!(u8, i8, i16, i32, i64, f32, f64 => i64);
cast_as!(u8, i8, i16, i32, i64, f32, f64 => f32);
cast_as!(u8, i8, i16, i32, i64, f32, f64 => f64);

macro_rules! cast_bool {
    ($($t:ty),*) => {
        $(impl CastTo<bool> for $t {
            #[inline(always)]
            fn cast(self) -> bool { self.to_bool() }
        }
        impl CastTo<$t> for bool {
            #[inline(always)]
            fn cast(self) -> $t { <$t>::from_bool(self) }
        })*
    };
}
cast_bool!(u8, i8, i16, i32, i64, f32, f64, f16, bf16);
impl CastTo<bool> for bool {
    #[inline(always)]
    fn cast(self) -> bool {
        self
    }
}

macro_rules! cast_half {
    ($h:ty: $($t:ty),*) => {
        $(impl CastTo<$h> for $t {
            #[inline(always)]
            fn cast(self) -> $h { <$h>::from_f32(self as f32) }
        }
        impl CastTo<$t> for $h {
            #[inline(always)]
            fn cast(self) -> $t { CastTo::<$t>::cast(self.to_f32()) }
        })*
    };
}
cast_half!(f16: u8, i8, i16, i32, i64, f32);
cast_half!(bf16: u8, i8, i16, i32, i64, f32);
impl CastTo<f16> for f64 {
    #[inline(always)]
    fn cast(self) -> f16 {
        f16::from_f64(self)
    }
}
impl CastTo<f64> for f16 {
    #[inline(always)]
    fn cast(self) -> f64 {
        self.to_f64()
    }
}
impl CastTo<bf16> for f64 {
    #[inline(always)]
    fn cast(self) -> bf16 {
        bf16::from_f64(self)
    }
}
impl CastTo<f64> for bf16 {
    #[inline(always)]
    fn cast(self) -> f64 {
        self.to_f64()
    }
}
impl CastTo<f16> for f16 {
    #[inline(always)]
    fn cast(self) -> f16 {
        self
    }
}
impl CastTo<bf16> for bf16 {
    #[inline(always)]
    fn cast(self) -> bf16 {
        self
    }
}
impl CastTo<bf16> for f16 {
    #[inline(always)]
    fn cast(self) -> bf16 {
        bf16::from_f32(self.to_f32())
    }
}
impl CastTo<f16> for bf16 {
    #[inline(always)]
    fn cast(self) -> f16 {
        f16::from_f32(self.to_f32())
    }
}

/// Run `$body` with `$T` bound to the Rust element type of `$dt`.
#[macro_export]
macro_rules! dispatch_all {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::dtype::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::dtype::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::dtype::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::dtype::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::dtype::DType::F16 => {
                type $T = half::f16;
                $body
            }
            $crate::dtype::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            $crate::dtype::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// Like `dispatch_all!` for the floating dtypes, also binding `Acc` (the type the math is
/// done in); any other dtype runs `$other`.
#[macro_export]
macro_rules! dispatch_float {
    ($dt:expr, $T:ident => $body:expr, _ => $other:expr) => {
        match $dt {
            $crate::dtype::DType::F16 => {
                type $T = half::f16;
                /// The type the math of `$T` is done in.
                #[allow(dead_code)]
                type Acc = f32;
                $body
            }
            $crate::dtype::DType::BF16 => {
                type $T = half::bf16;
                /// The type the math of `$T` is done in.
                #[allow(dead_code)]
                type Acc = f32;
                $body
            }
            $crate::dtype::DType::F32 => {
                type $T = f32;
                /// The type the math of `$T` is done in.
                #[allow(dead_code)]
                type Acc = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $T = f64;
                /// The type the math of `$T` is done in.
                #[allow(dead_code)]
                type Acc = f64;
                $body
            }
            _ => $other,
        }
    };
}

/// Like `dispatch_all!` for the integer dtypes (bool excluded); any other dtype runs `$other`.
#[macro_export]
macro_rules! dispatch_int {
    ($dt:expr, $T:ident => $body:expr, _ => $other:expr) => {
        match $dt {
            $crate::dtype::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::dtype::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::dtype::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $T = i64;
                $body
            }
            _ => $other,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promote_table_matches_pytorch() {
        assert_eq!(promote_types(U8, I8), I16);
        assert_eq!(promote_types(U8, I32), I32);
        assert_eq!(promote_types(Bool, U8), U8);
        assert_eq!(promote_types(I64, F16), F16);
        assert_eq!(promote_types(F16, BF16), F32);
        assert_eq!(promote_types(F32, F64), F64);
        assert_eq!(promote_types(I32, I16), I32);
    }

    #[test]
    fn scalars_and_zero_dim_take_part_by_category() {
        let w = |s| Operand::Wrapped(s);
        assert_eq!(result_type(&[Operand::Dim(I32), w(Scalar::Int(5))]), I32);
        assert_eq!(result_type(&[Operand::Dim(U8), w(Scalar::Int(-5))]), U8);
        assert_eq!(
            result_type(&[Operand::Dim(I64), w(Scalar::Float(1.5))]),
            F32
        );
        assert_eq!(
            result_type(&[Operand::Dim(F16), w(Scalar::Float(1.5))]),
            F16
        );
        assert_eq!(result_type(&[Operand::Dim(Bool), w(Scalar::Int(1))]), I64);
        assert_eq!(
            result_type(&[Operand::Dim(F32), Operand::ZeroDim(F64)]),
            F32
        );
        assert_eq!(
            result_type(&[Operand::Dim(I64), Operand::ZeroDim(F64)]),
            F64
        );
        assert_eq!(
            result_type(&[Operand::Dim(I32), Operand::ZeroDim(I64)]),
            I32
        );
        assert_eq!(
            result_type(&[Operand::ZeroDim(I32), w(Scalar::Float(2.0))]),
            F32
        );
        assert_eq!(result_type(&[Operand::Dim(F32), Operand::Dim(F64)]), F64);
    }

    #[test]
    fn casts_follow_c_semantics() {
        let x: u8 = CastTo::<u8>::cast(-1i64);
        assert_eq!(x, 255);
        let y: i32 = CastTo::<i32>::cast(-2.7f64);
        assert_eq!(y, -2);
        let w: u8 = CastTo::<u8>::cast(-1.5f32);
        assert_eq!(w, 255);
        let h: u8 = CastTo::<u8>::cast(f16::from_f32(300.0));
        assert_eq!(h, 44);
        let b: bool = CastTo::<bool>::cast(0.5f32);
        assert!(b);
        let h: f16 = CastTo::<f16>::cast(1.0f64 / 3.0);
        assert_eq!(h, f16::from_f64(1.0 / 3.0));
    }
}
