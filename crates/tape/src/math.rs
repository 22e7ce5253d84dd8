//! Branch-free `exp`, `ln`, `ln_1p` and `tanh` for f32 that the compiler can vectorise.
//!
//! The libm functions are scalar calls: in a softmax over a million logits they cost more than
//! everything else together. These follow the classic Cephes single-precision algorithms (range
//! reduction, then a short polynomial), written without branches so that a loop over a slice
//! compiles to vector instructions. All stay within a few ulp of the exact result (tested in
//! `tests/engine/fast_math.rs`); f64, the gradient-checking type, keeps the libm functions.
//!
//! Each is generic over the kernel path `I` it is compiled into: with FMA, each polynomial step
//! is one fused multiply-add, without it a multiply and an add (both within the stated ulp).

use crate::Float;
use crate::cpu::Isa;

/// `a * b + c` as [`Float::mul_add_on`]: one fused instruction where the path has FMA.
#[inline(always)]
fn fma<I: Isa>(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add_on::<I>(b, c)
}

/// e^x: range reduction `x = n ln2 + r`, a degree-6 polynomial for e^r, and the power of two
/// applied in two halves so that results near the overflow and denormal limits stay exact.
#[inline(always)]
pub(crate) fn exp_f32<I: Isa>(x: f32) -> f32 {
    // Beyond these limits the result is already inf or 0.
    let (q, n) = exp_reduced::<I>(x.clamp(-104.0, 88.73));
    let half = n >> 1;
    (q + 1.0) * pow2(half) * pow2(n - half)
}

/// `(e^r - 1, n)` with `e^x = e^r 2^n`, for `x` in [-104, 88.73] (or NaN). The caller adds
/// the 1, where it can fuse with other work (see `tanh_f32`).
#[inline(always)]
fn exp_reduced<I: Isa>(x: f32) -> (f32, i32) {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two, so that n * LN2_HI is exact for every n in range.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to a whole number, which then sits in the low mantissa bits.
    // Unlike `floor` and `n as i32` (a saturating conversion, done one lane at a time) this
    // is two vector instructions and gives the integer for free.
    const SHIFT: f32 = 12_582_912.0;
    let t = fma::<I>(x, LOG2E, SHIFT);
    let n = t - SHIFT;
    let r = fma::<I>(n, -LN2_HI, x);
    let r = fma::<I>(n, -LN2_LO, r);
    // The polynomial in Estrin's form: three independent pairs, then two steps in r^2, a
    // shorter dependency chain than Horner's five steps (scalar code waits on it).
    let r2 = r * r;
    let p45 = fma::<I>(1.987_569_1e-4, r, 1.398_199_9e-3);
    let p23 = fma::<I>(8.333_452e-3, r, 4.166_579_6e-2);
    let p01 = fma::<I>(1.666_666_5e-1, r, 0.5);
    let p = fma::<I>(fma::<I>(p45, r2, p23), r2, p01);
    // n is a whole number in [-150, 128].
    (fma::<I>(p, r2, r), t.to_bits() as i32 - 0x4B40_0000)
}

/// 2^k for k in [-126, 127].
#[inline(always)]
fn pow2(k: i32) -> f32 {
    f32::from_bits(((k + 127) as u32) << 23)
}

/// ln x: x = m 2^e with m in [sqrt(1/2), sqrt 2), then ln m = ln(1 + f) from a degree-9
/// polynomial in f (Cephes `logf`), and e ln 2 added in two parts. Special values are selected
/// at the end rather than branched on: ln 0 = -inf, ln inf = inf, NaN for negative inputs and NaN.
#[inline(always)]
pub(crate) fn ln_f32<I: Isa>(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Subnormal inputs are scaled into the normal range first (by 2^23, taken back from e).
    let subnormal = x < f32::MIN_POSITIVE;
    let bits = if subnormal { x * 8_388_608.0 } else { x }.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - if subnormal { 126 + 23 } else { 126 };
    // The mantissa in [0.5, 1), then moved to [sqrt(1/2), sqrt 2) so that f is small.
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = m < std::f32::consts::FRAC_1_SQRT_2;
    let e = (e - i32::from(low)) as f32;
    let f = if low { m + m - 1.0 } else { m - 1.0 };
    let z = f * f;
    let mut p = 7.037_683_6e-2;
    for c in [
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_5e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ] {
        p = fma::<I>(p, f, c);
    }
    let y = fma::<I>(p * f, z, fma::<I>(e, LN2_LO, -0.5 * z));
    let r = fma::<I>(e, LN2_HI, f + y);
    if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else if x > 0.0 {
        r
    } else {
        f32::NAN // negative or NaN
    }
}

/// ln(1 + x), accurate for small x: with u = 1 + x rounded, ln u (u - 1) / x corrects the
/// rounding of u to first order (Goldberg's method), so the result keeps x's digits.
#[inline(always)]
pub(crate) fn ln_1p_f32<I: Isa>(x: f32) -> f32 {
    let u = 1.0 + x;
    let d = u - 1.0;
    if d == 0.0 {
        x // |x| below half an ulp of 1: ln(1 + x) = x to within its own rounding
    } else if u == f32::INFINITY {
        u
    } else {
        ln_f32::<I>(u) * (x / d)
    }
}

/// tanh x: an odd polynomial near 0 (where (e^2x - 1) / (e^2x + 1) would lose digits to
/// cancellation) and the exponential form elsewhere, both computed and one selected.
#[inline(always)]
pub(crate) fn tanh_f32<I: Isa>(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = fma::<I>(-5.704_988_7e-3, z, 2.063_909e-2);
    let p = fma::<I>(p, z, -5.373_971_6e-2);
    let p = fma::<I>(p, z, 1.333_144_2e-1);
    let p = fma::<I>(p, z, -3.333_328e-1);
    let small = fma::<I>(p * z, x, x);
    // (e - 1) / (e + 1) with e = e^2x, 2x clamped to [-20, 20] (tanh rounds to +-1 from
    // |x| = 9.01 on; NaN passes the clamp) so that one power of two scales e. Not
    // 1 - 2 / (e^2|x| + 1) with the sign copied after: the two sums run side by side and
    // there is no sign fix-up, a shorter dependency chain for scalar code. With
    // e = (1 + q) 2^n, e -+ 1 = q 2^n + (2^n -+ 1): one fused step each, the sums 2^n -+ 1
    // computed while the polynomial runs.
    let (q, n) = exp_reduced::<I>((2.0 * x).clamp(-20.0, 20.0));
    let s = pow2(n);
    let large = fma::<I>(q, s, s - 1.0) / fma::<I>(q, s, s + 1.0);
    if a < 0.625 { small } else { large }
}
