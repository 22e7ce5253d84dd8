//! The hinge with its kink rounded off, for solvers that need a continuous derivative.

use tape::{Float, Var};

use super::margin_violation;
use crate::Reduction;

/// The Huber-smoothed hinge: with the margin violation `r_i = max(0, 1 - y_i f(x_i))`,
/// `h_mu(r) = r^2 / (2 mu)` if `r < mu`, else `r - mu / 2`; `y_i in {-1, +1}`.
///
/// It is the smooth L1 (catalogue R3, `beta = mu`) of the [`hinge`](super::hinge)'s violation:
/// 0 beyond the margin, quadratic within `mu` of it, the hinge less `mu / 2` further in, so
/// `hinge - mu / 2 <= h_mu <= hinge`. Its derivative, `-y_i min(r_i, mu) / mu`, is continuous,
/// which Newton's method and L-BFGS need (the hinge's derivative jumps from 0 to `-y_i` at the
/// margin); shrinking `mu` towards 0 (continuation) approaches the SVM's optimum. Its second
/// derivative is `1 / mu` where `0 < r_i < mu` and 0 elsewhere.
///
/// Computed as `q^2 / (2 mu) + (r - q)` with `q = min(r, mu)`: only `q` is squared, so a tiny
/// `mu` (continuation goes down to 1e-11) cannot overflow on points far inside the margin, in
/// f32 either.
///
/// Shapes: `scores [n]` or `[n, 1]`, `labels` `n` values in {-1, +1}, `mu > 0`. `Sum` adds,
/// `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::smoothed_hinge};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // violations 1 - y f: -1 (beyond the margin), 0.25 (within mu = 0.5), 2
/// let f = tape.var(Tensor::from_vec(vec![2.0, 0.75, 1.0], [3]));
/// let loss = smoothed_hinge(f, &[1.0, 1.0, -1.0], 0.5, Reduction::Sum);
/// loss.backward();
/// assert_eq!(loss.item(), 0.0 + 0.0625 + 1.75); // 0, 0.25^2 / 1, 2 - 0.25
/// assert_eq!(f.grad().unwrap().data(), &[0.0, -0.5, 1.0]);
/// ```
pub fn smoothed_hinge<'t, T: Float>(
    scores: Var<'t, T>,
    labels: &[f64],
    mu: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    assert!(
        mu > 0.0 && mu.is_finite(),
        "smoothed_hinge: mu must be positive and finite, found {mu}"
    );
    let r = margin_violation("smoothed_hinge", scores, labels);
    let q = r - r.add_scalar(T::from_f64(-mu)).relu();
    reduction.apply(q.square().scale(T::from_f64(0.5 / mu)) + (r - q))
}
