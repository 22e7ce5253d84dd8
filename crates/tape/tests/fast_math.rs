//! f32 `exp` and `tanh` are vectorisable polynomials, not libm calls: check them against f64
//! over their whole range, including the overflow, underflow and special values.

use tape::{Float, Tensor};

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
    let worst = sweep(-87.0, 88.5, 2_000_000)
        .map(|x| ulps(Float::exp(x), f64::from(x).exp()))
        .fold(0.0, f64::max);
    assert!(worst <= 1.0, "worst exp error {worst} ulp");
}

#[test]
fn exp_limits_and_special_values() {
    assert_eq!(Float::exp(0.0f32), 1.0);
    assert_eq!(Float::exp(89.0f32), f32::INFINITY);
    assert_eq!(Float::exp(1000.0f32), f32::INFINITY);
    assert_eq!(Float::exp(f32::INFINITY), f32::INFINITY);
    assert_eq!(Float::exp(f32::NEG_INFINITY), 0.0);
    assert_eq!(Float::exp(-1000.0f32), 0.0);
    assert!(Float::exp(f32::NAN).is_nan());
    // Denormal results keep their magnitude (relative error grows as precision runs out).
    let d = Float::exp(-95.0f32);
    assert!((f64::from(d) / (-95.0f64).exp() - 1.0).abs() < 1e-3, "{d}");
    // The largest finite results stay finite and accurate.
    let x = 88.72f32;
    assert!(ulps(Float::exp(x), f64::from(x).exp()) <= 2.0);
}

#[test]
fn tanh_is_within_one_and_a_half_ulp_everywhere() {
    let worst = sweep(-12.0, 12.0, 2_000_000)
        .chain(sweep(-1e-3, 1e-3, 100_000))
        .map(|x| ulps(Float::tanh(x), f64::from(x).tanh()))
        .fold(0.0, f64::max);
    assert!(worst <= 1.5, "worst tanh error {worst} ulp");
    assert_eq!(Float::tanh(50.0f32), 1.0);
    assert_eq!(Float::tanh(-50.0f32), -1.0);
    assert_eq!(Float::tanh(0.0f32), 0.0);
    assert!(Float::tanh(f32::NAN).is_nan());
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
}
