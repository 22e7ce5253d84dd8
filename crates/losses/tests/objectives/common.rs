//! Seeded random inputs and comparisons shared by the test files.

// The families use different subsets of the helpers.
#![allow(dead_code)]

use approx::assert_abs_diff_eq;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::Tensor;

/// The catalogue's bar for gradient checks: relative error at most 1e-6.
pub const GRAD_TOL: f64 = 1e-6;

/// A generator with a fixed seed, so every run sees the same inputs.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Uniform values in `[lo, hi)`.
pub fn uniform(rng: &mut StdRng, shape: &[usize], lo: f64, hi: f64) -> Tensor<f64> {
    Tensor::from_fn(shape, |_| rng.random_range(lo..hi))
}

/// Class indices below `classes`.
pub fn class_labels(rng: &mut StdRng, n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..classes)).collect()
}

/// Labels in {-1, +1}.
pub fn sign_labels(rng: &mut StdRng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| if rng.random_bool(0.5) { 1.0 } else { -1.0 })
        .collect()
}

/// Elementwise `|actual - expected| <= tol`, naming the first element that differs.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol || (a.is_infinite() && a == e),
            "element {i}: {a} vs expected {e} (tolerance {tol:e})\nactual:   {actual:?}\nexpected: {expected:?}"
        );
    }
}

/// `|actual - expected| <= tol` for one number.
pub fn assert_near(actual: f64, expected: f64, tol: f64) {
    assert_abs_diff_eq!(actual, expected, epsilon = tol);
}

/// The logistic function, for closed-form expectations.
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Row-wise softmax of a `[n, k]` tensor, for closed-form expectations.
pub fn softmax_rows(z: &Tensor<f64>) -> Vec<f64> {
    let k = z.dims()[1];
    z.data()
        .chunks_exact(k)
        .flat_map(|row| {
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = row.iter().map(|v| (v - m).exp()).collect();
            let s: f64 = e.iter().sum();
            e.into_iter().map(move |v| v / s)
        })
        .collect()
}
