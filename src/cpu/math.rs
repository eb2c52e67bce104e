//! Scalar arithmetic per element type, with PyTorch's integer semantics (wrapping, Python
//! style floor division and remainder) and bool as logical arithmetic.

use crate::dtype::Element;
use half::{bf16, f16};

/// What every dtype can do.
pub trait Arith: Element {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn max_nan(self, o: Self) -> Self;
    fn min_nan(self, o: Self) -> Self;
}

macro_rules! arith_int {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
            #[inline(always)] fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn max_nan(self, o: Self) -> Self { if self > o { self } else { o } }
            #[inline(always)] fn min_nan(self, o: Self) -> Self { if self < o { self } else { o } }
        }
    )*};
}
arith_int!(u8, i8, i16, i32, i64);

macro_rules! arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            // NaN propagates, as torch.maximum does.
            #[inline(always)] fn max_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if self > o { self } else { o }
            }
            #[inline(always)] fn min_nan(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else if self < o { self } else { o }
            }
        }
    )*};
}
arith_float!(f32, f64, f16, bf16);

impl Arith for bool {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self & o
    }
    #[inline(always)]
    fn max_nan(self, o: Self) -> Self {
        self | o
    }
    #[inline(always)]
    fn min_nan(self, o: Self) -> Self {
        self & o
    }
}

/// Integer-only operations.
pub trait IntMath: Arith + Ord {
    fn is_zero(self) -> bool;
    /// Truncating division (`rounding_mode='trunc'`), wrapping on overflow.
    fn div_trunc(self, o: Self) -> Self;
    /// Python floor division.
    fn floor_div(self, o: Self) -> Self;
    /// Python remainder (sign of the divisor), `torch.remainder`.
    fn rem_floor(self, o: Self) -> Self;
    /// C remainder (sign of the dividend), `torch.fmod`.
    fn rem_trunc(self, o: Self) -> Self;
    fn bitand(self, o: Self) -> Self;
    fn bitor(self, o: Self) -> Self;
    fn bitxor(self, o: Self) -> Self;
    fn bitnot(self) -> Self;
    fn shl(self, o: Self) -> Self;
    fn shr(self, o: Self) -> Self;
    /// Power with torch's rules for negative exponents (0 unless the base is ±1).
    fn ipow(self, e: Self) -> Self;
    fn is_negative(self) -> bool;
}

macro_rules! int_math {
    ($($t:ty),*) => {$(
        impl IntMath for $t {
            #[inline(always)] fn is_zero(self) -> bool { self == 0 }
            #[inline(always)] fn div_trunc(self, o: Self) -> Self { self.wrapping_div(o) }
            #[inline(always)] fn floor_div(self, o: Self) -> Self {
                let q = self.wrapping_div(o);
                #[allow(unused_comparisons)]
                let adjust = (self.wrapping_rem(o) != 0) && ((self < 0) != (o < 0));
                if adjust { q.wrapping_sub(1) } else { q }
            }
            #[inline(always)] fn rem_floor(self, o: Self) -> Self {
                let r = self.wrapping_rem(o);
                #[allow(unused_comparisons)]
                let adjust = r != 0 && ((r < 0) != (o < 0));
                if adjust { r.wrapping_add(o) } else { r }
            }
            #[inline(always)] fn rem_trunc(self, o: Self) -> Self { self.wrapping_rem(o) }
            #[inline(always)] fn bitand(self, o: Self) -> Self { self & o }
            #[inline(always)] fn bitor(self, o: Self) -> Self { self | o }
            #[inline(always)] fn bitxor(self, o: Self) -> Self { self ^ o }
            #[inline(always)] fn bitnot(self) -> Self { !self }
            #[inline(always)] fn shl(self, o: Self) -> Self {
                let bits = (std::mem::size_of::<Self>() * 8) as i64;
                let s = o as i64;
                if s < 0 || s >= bits { 0 } else { self.wrapping_shl(s as u32) }
            }
            #[inline(always)] fn shr(self, o: Self) -> Self {
                let bits = (std::mem::size_of::<Self>() * 8) as i64;
                let s = o as i64;
                #[allow(unused_comparisons)]
                let neg = self < 0;
                if s < 0 || s >= bits { if neg { self.wrapping_shr(bits as u32 - 1) } else { 0 } }
                else { self.wrapping_shr(s as u32) }
            }
            #[inline(always)] fn ipow(self, e: Self) -> Self {
                #[allow(unused_comparisons)]
                if e < 0 {
                    return match self as i64 {
                        1 => 1 as $t,
                        -1 => if (e as i64) % 2 == 0 { 1 as $t } else { self },
                        _ => 0,
                    };
                }
                let mut base = self;
                let mut e = e as u64;
                let mut acc: $t = 1;
                while e > 0 {
                    if e & 1 == 1 { acc = acc.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline(always)] fn is_negative(self) -> bool {
                #[allow(unused_comparisons)]
                { self < 0 }
            }
        }
    )*};
}
int_math!(u8, i8, i16, i32, i64);

/// Python-style float remainder (sign of the divisor).
#[inline(always)]
pub fn fmod_floor<F: num_traits::Float>(a: F, b: F) -> F {
    let r = a % b;
    if r != F::zero() && ((r < F::zero()) != (b < F::zero())) {
        r + b
    } else {
        r
    }
}

/// Python-style float floor division, as torch.floor_divide computes it.
#[inline(always)]
pub fn div_floor_float<F: num_traits::Float>(a: F, b: F) -> F {
    if b == F::zero() {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != F::zero() && ((b < F::zero()) != (m < F::zero())) {
        div = div - F::one();
    }
    if div != F::zero() {
        let fl = div.floor();
        if div - fl > F::from(0.5).unwrap() {
            fl + F::one()
        } else {
            fl
        }
    } else {
        F::zero().copysign(a / b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_integer_semantics() {
        assert_eq!((-7i64).floor_div(2), -4);
        assert_eq!((7i64).floor_div(-2), -4);
        assert_eq!((-7i64).rem_floor(3), 2);
        assert_eq!((7i64).rem_floor(-3), -2);
        assert_eq!((-7i64).rem_trunc(3), -1);
        assert_eq!(i64::MIN.floor_div(-1), i64::MIN);
        assert_eq!(2i64.ipow(10), 1024);
        assert_eq!(2i64.ipow(-1), 0);
        assert_eq!((-1i64).ipow(-3), -1);
        assert_eq!(200u8.add(100), 44);
        assert_eq!(1i32.shl(40), 0);
        assert_eq!((-8i32).shr(40), -1);
    }

    #[test]
    fn float_floor_ops() {
        assert_eq!(fmod_floor(-7.0f64, 3.0), 2.0);
        assert_eq!(div_floor_float(-7.0f64, 2.0), -4.0);
        assert_eq!(div_floor_float(7.5f64, 2.0), 3.0);
        assert!(div_floor_float(1.0f64, 0.0).is_infinite());
    }
}
