//! The scalar types the engine computes in.

use std::cell::RefCell;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use std::thread::LocalKey;

use crate::cpu::{Baseline, Isa};
use crate::storage::Pool;

/// A floating-point element type: `f32` for speed, `f64` for gradient checks.
///
/// The trait is sealed in spirit: it also carries the engine's per-type plumbing (the buffer
/// pool), which is why it is implemented for exactly these two types.
pub trait Float:
    Copy
    + Default
    + Debug
    + Display
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// The smallest positive normal number.
    const MIN_POSITIVE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// The type's name, for messages and checkpoints.
    const NAME: &'static str;

    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts a count.
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// x^p.
    fn powf(self, p: Self) -> Self;
    /// The larger of two numbers (NaN-ignoring, as `f64::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two numbers (NaN-ignoring, as `f64::min`).
    fn min(self, other: Self) -> Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// `self * a + b` with a single rounding (`f32::mul_add`): one instruction where the code
    /// is compiled for FMA, a slow library call elsewhere. Kernels use [`Float::mul_add_on`].
    fn fused_mul_add(self, a: Self, b: Self) -> Self;

    /// `self * a + b` as kernels compiled for `I` compute it: fused into one rounding where
    /// `I` has FMA instructions, a multiply and an add elsewhere.
    #[inline(always)]
    fn mul_add_on<I: Isa>(self, a: Self, b: Self) -> Self {
        if I::FMA {
            self.fused_mul_add(a, b)
        } else {
            self * a + b
        }
    }
    /// e^x as kernels compiled for `I` compute it (f32: a polynomial, within 1 ulp).
    fn exp_on<I: Isa>(self) -> Self;
    /// Natural logarithm as kernels compiled for `I` compute it.
    fn ln_on<I: Isa>(self) -> Self;
    /// ln(1 + x), accurate near 0, as kernels compiled for `I` compute it.
    fn ln_1p_on<I: Isa>(self) -> Self;
    /// Hyperbolic tangent as kernels compiled for `I` compute it.
    fn tanh_on<I: Isa>(self) -> Self;

    /// `self * a + b` as code outside the kernels computes it ([`Float::mul_add_on`] for the
    /// baseline: unfused on x86-64).
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        self.mul_add_on::<Baseline>(a, b)
    }
    /// e^x.
    #[inline(always)]
    fn exp(self) -> Self {
        self.exp_on::<Baseline>()
    }
    /// Natural logarithm.
    #[inline(always)]
    fn ln(self) -> Self {
        self.ln_on::<Baseline>()
    }
    /// ln(1 + x), accurate near 0.
    #[inline(always)]
    fn ln_1p(self) -> Self {
        self.ln_1p_on::<Baseline>()
    }
    /// Hyperbolic tangent.
    #[inline(always)]
    fn tanh(self) -> Self {
        self.tanh_on::<Baseline>()
    }

    /// The standard library's function for this type: `f32`'s for `f32`, `f64`'s for `f64`.
    /// A generic formula calls a function this trait does not list (`sin`, `cos`, ...) with it,
    /// `x.map_std(f32::sin, f64::sin)`, rather than each such function being a trait method.
    ///
    /// ```
    /// use tape::Float;
    /// fn sin<T: Float>(x: T) -> T {
    ///     x.map_std(f32::sin, f64::sin)
    /// }
    /// assert_eq!(sin(0.5f32), 0.5f32.sin());
    /// assert_eq!(sin(0.5f64), 0.5f64.sin());
    /// ```
    fn map_std(self, for_f32: impl Fn(f32) -> f32, for_f64: impl Fn(f64) -> f64) -> Self;

    #[doc(hidden)]
    fn pool() -> &'static LocalKey<RefCell<Pool<Self>>>;
}

macro_rules! impl_float {
    (@pick f32, $for_f32:expr, $for_f64:expr) => {
        $for_f32
    };
    (@pick f64, $for_f32:expr, $for_f64:expr) => {
        $for_f64
    };
    ($t:ident, $pool:ident, $exp:path, $ln:path, $ln_1p:path, $tanh:path) => {
        thread_local! {
            static $pool: RefCell<Pool<$t>> = RefCell::new(Pool::new());
        }

        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const MIN_POSITIVE: Self = $t::MIN_POSITIVE;
            const EPSILON: Self = $t::EPSILON;
            const NAME: &'static str = stringify!($t);

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp_on<I: Isa>(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln_on<I: Isa>(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn ln_1p_on<I: Isa>(self) -> Self {
                $ln_1p(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                $t::powf(self, p)
            }
            #[inline(always)]
            fn tanh_on<I: Isa>(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn fused_mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline(always)]
            #[allow(unused_variables)] // the other type's function
            fn map_std(self, for_f32: impl Fn(f32) -> f32, for_f64: impl Fn(f64) -> f64) -> Self {
                impl_float!(@pick $t, for_f32(self), for_f64(self))
            }
            fn pool() -> &'static LocalKey<RefCell<Pool<Self>>> {
                &$pool
            }
        }
    };
}

// f32 computes e^x, ln, ln(1 + x) and tanh with vectorisable polynomials; f64, the
// gradient-checking type, keeps the correctly rounded libm functions.
impl_float!(
    f32,
    POOL_F32,
    crate::math::exp_f32::<I>,
    crate::math::ln_f32::<I>,
    crate::math::ln_1p_f32::<I>,
    crate::math::tanh_f32::<I>
);
impl_float!(f64, POOL_F64, f64::exp, f64::ln, f64::ln_1p, f64::tanh);
