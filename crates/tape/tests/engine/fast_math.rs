//! f32 `exp`, `ln`, `ln_1p` and `tanh` are vectorisable polynomials, not libm calls: check them
//! against f64 over their whole range, including the overflow, underflow and special values.
//!
//! Each is checked as every kernel path computes it: with fused multiply-adds (as the `Avx2`
//! path does) and with separate multiplies and adds (the x86-64 baseline). The fused variant
//! called here, outside a kernel, is a library call but gives the same bits, so both variants
//! are tested on any CPU.

use tape::cpu::{Avx2, Baseline, Isa};
use tape::{Float, Tensor};

/// The four functions as the kernels of one path compute them.
struct Path {
    name: &'static str,
    exp: fn(f32) -> f32,
    ln: fn(f32) -> f32,
    ln_1p: fn(f32) -> f32,
    tanh: fn(f32) -> f32,
}

fn path<I: Isa>(name: &'static str) -> Path {
    Path {
        name,
        exp: |x| x.exp_on::<I>(),
        ln: |x| x.ln_on::<I>(),
        ln_1p: |x| x.ln_1p_on::<I>(),
        tanh: |x| x.tanh_on::<I>(),
    }
}

fn paths() -> [Path; 2] {
    [path::<Baseline>("unfused"), path::<Avx2>("fused")]
}

/// Units in the last place between an f32 result and the exact (f64) value.
fn ulps(got: f32, exact: f64) -> f64 {
    let spacing = f64::from(f32::EPSILON) * exact.abs().max(f64::from(f32::MIN_POSITIVE));
    (f64::from(got) - exact).abs() / spacing
}

fn sweep(lo: f32, hi: f32, steps: usize) -> impl Iterator<Item = f32> {
    (0..=steps).map(move |i| lo + (hi - lo) * i as f32 / steps as f32)
}

#[test]
fn exp_is_within_one_ulp_over_the_normal_range() {
    for p in paths() {
        let worst = sweep(-87.0, 88.5, 2_000_000)
            .map(|x| ulps((p.exp)(x), f64::from(x).exp()))
            .fold(0.0, f64::max);
        assert!(worst <= 1.0, "{}: worst exp error {worst} ulp", p.name);
    }
}

#[test]
fn exp_limits_and_special_values() {
    for p in paths() {
        assert_eq!((p.exp)(0.0f32), 1.0);
        assert_eq!((p.exp)(89.0f32), f32::INFINITY);
        assert_eq!((p.exp)(1000.0f32), f32::INFINITY);
        assert_eq!((p.exp)(f32::INFINITY), f32::INFINITY);
        assert_eq!((p.exp)(f32::NEG_INFINITY), 0.0);
        assert_eq!((p.exp)(-1000.0f32), 0.0);
        assert!((p.exp)(f32::NAN).is_nan());
        // Denormal results keep their magnitude (relative error grows as precision runs out).
        let d = (p.exp)(-95.0f32);
        assert!((f64::from(d) / (-95.0f64).exp() - 1.0).abs() < 1e-3, "{d}");
        // The largest finite results stay finite and accurate.
        let x = 88.72f32;
        assert!(ulps((p.exp)(x), f64::from(x).exp()) <= 2.0);
    }
}

#[test]
fn tanh_is_within_one_and_a_half_ulp_everywhere() {
    for p in paths() {
        let worst = sweep(-12.0, 12.0, 2_000_000)
            .chain(sweep(-1e-3, 1e-3, 100_000))
            .map(|x| ulps((p.tanh)(x), f64::from(x).tanh()))
            .fold(0.0, f64::max);
        assert!(worst <= 1.5, "{}: worst tanh error {worst} ulp", p.name);
        assert_eq!((p.tanh)(50.0f32), 1.0);
        assert_eq!((p.tanh)(-50.0f32), -1.0);
        assert_eq!((p.tanh)(0.0f32), 0.0);
        assert!((p.tanh)(f32::NAN).is_nan());
    }
}

/// `count` values spread evenly in the exponent from `lo` to `hi` (both positive).
fn log_sweep(lo: f64, hi: f64, count: usize) -> impl Iterator<Item = f32> {
    let (a, b) = (lo.ln(), hi.ln());
    (0..=count).map(move |i| (a + (b - a) * i as f64 / count as f64).exp() as f32)
}

#[test]
fn ln_is_within_one_ulp_from_subnormals_to_the_largest_float() {
    for p in paths() {
        let worst = log_sweep(1e-45, 3.4e38, 2_000_000)
            .chain(sweep(0.5, 2.0, 1_000_000))
            .filter(|&x| x != 1.0)
            .map(|x| ulps((p.ln)(x), f64::from(x).ln()))
            .fold(0.0, f64::max);
        assert!(worst <= 1.0, "{}: worst ln error {worst} ulp", p.name);
        assert_eq!((p.ln)(1.0f32), 0.0);
        assert_eq!((p.ln)(f32::MAX), f32::MAX.ln());
    }
}

#[test]
fn ln_special_values() {
    for p in paths() {
        assert_eq!((p.ln)(0.0f32), f32::NEG_INFINITY);
        assert_eq!((p.ln)(-0.0f32), f32::NEG_INFINITY);
        assert_eq!((p.ln)(f32::INFINITY), f32::INFINITY);
        assert!((p.ln)(-1.0f32).is_nan());
        assert!((p.ln)(f32::NEG_INFINITY).is_nan());
        assert!((p.ln)(f32::NAN).is_nan());
        let smallest = f32::from_bits(1); // 2^-149
        assert!(ulps((p.ln)(smallest), f64::from(smallest).ln()) <= 1.0);
    }
}

#[test]
fn ln_1p_keeps_the_digits_of_small_arguments() {
    for p in paths() {
        let exact = |x: f32| f64::from(x).ln_1p();
        let worst = sweep(-0.999, 10.0, 1_000_000)
            .chain(log_sweep(1e-30, 1e30, 1_000_000))
            .chain(log_sweep(1e-30, 0.5, 200_000).map(|x| -x))
            .map(|x| ulps((p.ln_1p)(x), exact(x)))
            .fold(0.0, f64::max);
        assert!(worst <= 2.0, "{}: worst ln_1p error {worst} ulp", p.name);
        assert_eq!((p.ln_1p)(0.0f32), 0.0);
        assert_eq!((p.ln_1p)(1e-30f32), 1e-30);
        assert_eq!((p.ln_1p)(-1.0f32), f32::NEG_INFINITY);
        assert_eq!((p.ln_1p)(f32::INFINITY), f32::INFINITY);
        assert!((p.ln_1p)(-2.0f32).is_nan());
        assert!((p.ln_1p)(f32::NAN).is_nan());
    }
}

#[test]
fn tensor_kernels_use_the_same_functions() {
    let x = Tensor::<f32>::from_vec(vec![-3.0, -0.1, 0.0, 0.7, 2.5, 10.0], [6]);
    for (y, &v) in x.exp().data().iter().zip(x.data()) {
        assert!(ulps(*y, f64::from(v).exp()) <= 2.0);
    }
    for (y, &v) in x.tanh().data().iter().zip(x.data()) {
        assert!(ulps(*y, f64::from(v).tanh()) <= 3.0);
    }
    for (y, &v) in x.softplus().data().iter().zip(x.data()) {
        assert!(
            ulps(*y, f64::from(v).exp().ln_1p()) <= 3.0,
            "softplus({v}) = {y}"
        );
    }
    let positive = x.abs().add_scalar(1e-3);
    for (y, &v) in positive.ln().data().iter().zip(positive.data()) {
        assert!(ulps(*y, f64::from(v).ln()) <= 1.0, "ln({v}) = {y}");
    }
}
