//! Helpers shared by the integration tests: seeded random inputs that stay away from the kinks
//! of non-smooth operations, a fixed random "probe" that turns any output into a scalar, and a
//! gradcheck wrapper that also proves every partial derivative was compared.

// The engine's modules, and the binaries kept apart, each use a subset of these helpers.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use tape::{Shape, Tensor, Var, gradcheck};

/// The tolerance every gradcheck in this suite is held to (relative, see `GradCheck`).
pub const TOL: f64 = 1e-6;

/// A generator with a fixed seed, so every run sees the same inputs.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Uniform elements in `[lo, hi)`.
pub fn uniform(rng: &mut StdRng, shape: impl Into<Shape>, lo: f64, hi: f64) -> Tensor<f64> {
    let shape = shape.into();
    Tensor::from_fn(shape, |_| rng.random_range(lo..hi))
}

/// Elements with magnitude in `[lo, hi)` and a random sign: away from the kink at 0 of relu,
/// abs and sign, and from the pole of 1/x.
pub fn signed(rng: &mut StdRng, shape: impl Into<Shape>, lo: f64, hi: f64) -> Tensor<f64> {
    let shape = shape.into();
    Tensor::from_fn(shape, |_| {
        let m: f64 = rng.random_range(lo..hi);
        if rng.random_bool(0.5) { m } else { -m }
    })
}

/// Pairwise distinct elements at least 0.08 apart (a shuffled grid of step 0.1 plus jitter
/// below 0.02), centred on 0: max, min and their gradients never meet a tie.
pub fn distinct(rng: &mut StdRng, shape: impl Into<Shape>) -> Tensor<f64> {
    let shape = shape.into();
    let n = shape.numel();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let centre = n as f64 * 0.05;
    Tensor::from_fn(shape, |i| {
        order[i] as f64 * 0.1 - centre + rng.random_range(0.0..0.02)
    })
}

/// Fixed pseudo-random weights of a given shape (the same every call).
pub fn weights(shape: &Shape) -> Tensor<f64> {
    let mut r = rng(0x5eed);
    uniform(&mut r, shape.clone(), -1.0, 1.0)
}

/// `sum(y * W)` for fixed random weights `W`: a scalar whose gradient with respect to `y` is
/// `W`, so that every element of a non-scalar output is checked with a distinct weight.
pub fn probe<'t>(y: Var<'t, f64>) -> Var<'t, f64> {
    let w = y.tape().constant(weights(&y.shape()));
    (y * w).sum()
}

/// Runs `tape::gradcheck` and asserts that the tape agrees with central differences within
/// [`TOL`] and that every element of every input was compared.
pub fn check<F>(f: F, inputs: &[Tensor<f64>])
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let report = gradcheck(f, inputs);
    let total: usize = inputs.iter().map(Tensor::numel).sum();
    assert_eq!(report.checked, total, "gradcheck compared too few partials");
    report.assert_within(TOL);
}

/// Asserts two tensors have the same shape and elements within `eps` (absolute, plus relative
/// to the larger magnitude).
pub fn assert_close(actual: &Tensor<f64>, expected: &Tensor<f64>, eps: f64) {
    assert_eq!(actual.shape(), expected.shape(), "shapes differ");
    for (i, (&a, &e)) in actual.data().iter().zip(expected.data()).enumerate() {
        assert!(
            approx::relative_eq!(a, e, epsilon = eps, max_relative = eps),
            "element {i}: {a} vs expected {e} (actual {actual:?}, expected {expected:?})"
        );
    }
}

/// Asserts a tensor has the given shape and elements within `eps`.
pub fn assert_values(actual: &Tensor<f64>, shape: &[usize], expected: &[f64], eps: f64) {
    assert_close(actual, &Tensor::from_vec(expected.to_vec(), shape), eps);
}

/// The message of the panic that `f` must raise (fails the test if it returns normally).
pub fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    // Nothing observed after the panic is reused, so unwind safety is not a concern.
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .err()
        .expect("expected a panic, but the call returned");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        panic!("panic payload is not a string")
    }
}
