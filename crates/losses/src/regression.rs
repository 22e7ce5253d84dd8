//! Supervised regression (catalogue rows R1-R6).
//!
//! Predictions and targets are `Var`s of the same shape `[n, ...]`; the per-sample loss sums
//! over every axis but the first, and the [`Reduction`] then averages (`Mean`, dividing by `n`),
//! sums, or returns the `[n]` per-sample values. For `[n, d]` outputs `Mean` therefore divides by
//! `n`, not by `n d` as PyTorch's `MSELoss`, `L1Loss` and `SmoothL1Loss` do: their elementwise
//! conventions are [`pytorch::mse_loss`](crate::pytorch::mse_loss),
//! [`pytorch::l1_loss`](crate::pytorch::l1_loss) and
//! [`pytorch::smooth_l1_loss`](crate::pytorch::smooth_l1_loss).

use tape::{Cmp, Float, Var, where_};

use crate::Reduction;
use crate::linear::scores_in;
use crate::regularizers::{l1_penalty, l2_penalty};
use crate::support::{assert_same_shape, per_sample, vector_of};

fn residual<'t, T: Float>(op: &str, prediction: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    assert_same_shape(
        op,
        "prediction",
        &prediction.shape(),
        "target",
        &target.shape(),
    );
    prediction - target
}

/// Euclidean loss, catalogue R1: `(1/2n) sum_i ||f(x_i) - y_i||^2` under `Mean`.
///
/// Shapes: `prediction` and `target` both `[n, ...]`. Per sample: `(1/2) ||f_i - y_i||^2`.
/// `Mean` divides the sum by `n` (the catalogue formula, gradient `(f - y)/n`), `Sum` gives
/// `(1/2) sum_i ||f_i - y_i||^2` (gradient `f - y`), `None` the `[n]` per-sample values.
///
/// ```
/// use losses::{Reduction, regression::euclidean};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
/// let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 3.0, 2.0], [2, 2]));
/// let loss = euclidean(f, y, Reduction::Sum); // 0.5 * (1 + 4)
/// loss.backward();
/// assert_eq!(loss.item(), 2.5);
/// assert_eq!(f.grad().unwrap().data(), &[1.0, 0.0, 0.0, 2.0]);
/// ```
pub fn euclidean<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let d = residual("euclidean", prediction, target);
    reduction.apply(per_sample("euclidean", d.square()).scale(T::from_f64(0.5)))
}

/// Mean squared error without the 1/2, catalogue R1: `(1/n) sum_i ||f(x_i) - y_i||^2` under
/// `Mean`.
///
/// Shapes: `prediction` and `target` both `[n, ...]`. Per sample: `||f_i - y_i||^2` (summed
/// over the trailing axes, so for `[n, d]` outputs `Mean` divides by `n`, not `n d` as
/// PyTorch's `MSELoss` does; [`pytorch::mse_loss`](crate::pytorch::mse_loss) is that
/// elementwise mean). `Sum` gives the total squared error, `None` the `[n]` per-sample values.
/// Gradient under `Mean`: `2 (f - y) / n`.
///
/// ```
/// use losses::{Reduction, regression::mse};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 5.0], [3]));
/// let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 3.0], [3]));
/// assert_eq!(mse(f, y, Reduction::Mean).item(), 5.0 / 3.0);
/// ```
pub fn mse<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let d = residual("mse", prediction, target);
    reduction.apply(per_sample("mse", d.square()))
}

/// Absolute error, catalogue R2: `(1/n) sum_i |f(x_i) - y_i|` under `Mean`.
///
/// Shapes: `prediction` and `target` both `[n, ...]`. Per sample: `||f_i - y_i||_1`. `Sum`
/// gives the total, `None` the `[n]` values. Gradient under `Mean`: `sign(f - y) / n` (0 where
/// `f = y`).
///
/// ```
/// use losses::{Reduction, regression::l1};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 5.0, -1.0], [4]));
/// let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 3.0, 1.0], [4]));
/// let loss = l1(f, y, Reduction::Mean);
/// loss.backward();
/// assert_eq!(loss.item(), 5.0 / 4.0);
/// assert_eq!(f.grad().unwrap().data(), &[0.25, 0.0, 0.25, -0.25]);
/// ```
pub fn l1<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let d = residual("l1", prediction, target);
    reduction.apply(per_sample("l1", d.abs()))
}

/// Smooth L1 (Huber with parameter beta), catalogue R3.
///
/// Elementwise on `d = f - y`: `0.5 d^2 / beta` if `|d| < beta`, else `|d| - 0.5 beta`; the
/// per-sample loss sums over the trailing axes (Fast R-CNN sums over x, y, w, h). Its derivative
/// is `clamp(d / beta, -1, 1)`: quadratic near zero, constant-magnitude for outliers. Shapes:
/// `prediction` and `target` both `[n, ...]`; `beta > 0` (Fast R-CNN uses 1). `Mean` divides by
/// `n`, `Sum` adds, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, regression::smooth_l1};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.5, 3.0], [2]));
/// let y = tape.constant(Tensor::zeros([2]));
/// let loss = smooth_l1(f, y, 1.0, Reduction::Sum); // 0.5 * 0.25 + (3 - 0.5)
/// loss.backward();
/// assert_eq!(loss.item(), 2.625);
/// assert_eq!(f.grad().unwrap().data(), &[0.5, 1.0]);
/// ```
pub fn smooth_l1<'t, T: Float>(
    prediction: Var<'t, T>,
    target: Var<'t, T>,
    beta: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    assert!(beta > 0.0, "smooth_l1: beta must be positive, found {beta}");
    let d = residual("smooth_l1", prediction, target);
    reduction.apply(per_sample("smooth_l1", smooth_l1_elementwise(d, beta)))
}

/// The elementwise smooth L1 of a difference (shared with Fast R-CNN).
pub(crate) fn smooth_l1_elementwise<'t, T: Float>(d: Var<'t, T>, beta: f64) -> Var<'t, T> {
    let b = T::from_f64(beta);
    let abs = d.abs();
    let inside = abs.compare_scalar(b, Cmp::Lt);
    let quadratic = d.square().scale(T::from_f64(0.5 / beta));
    let linear = abs.add_scalar(T::from_f64(-0.5 * beta));
    where_(inside, quadratic, linear)
}

/// Linear regression, catalogue R4: `(1/2n) ||X w + b - y||^2` under `Mean`.
///
/// Shapes: `x [n, d]`, `w [d]` (or `[d, 1]`), `b` one element, `y [n]` (or `[n, 1]`). It is
/// [`euclidean`] applied to the predictions `X w + b`: per sample `(1/2)(x_i.w + b - y_i)^2`;
/// `Sum` drops the `1/n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, regression::linear_regression};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![2.0, 1.0], [2]));
/// let b = tape.var(Tensor::scalar(0.5));
/// let y = tape.constant(Tensor::from_vec(vec![2.5, 0.5], [2]));
/// // residuals 0 and 1: (1/4) * 1
/// assert_eq!(linear_regression(x, w, b, y, Reduction::Mean).item(), 0.25);
/// ```
pub fn linear_regression<'t, T: Float>(
    x: Var<'t, T>,
    w: Var<'t, T>,
    b: Var<'t, T>,
    y: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let prediction = scores_in("linear_regression", x, w, b);
    euclidean(
        prediction,
        vector_of("linear_regression", "y", y),
        reduction,
    )
}

/// Ridge regression, catalogue R5: `(1/2n) ||X w + b - y||^2 + (lambda/2) ||w||^2` under `Mean`.
///
/// Shapes as [`linear_regression`]; the bias is not penalised. The reduction applies to the
/// data term; under `None` the result is the `[n]` per-sample data terms each plus the whole
/// penalty (so their mean is the `Mean` objective).
///
/// ```
/// use losses::{Reduction, regression::ridge};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![2.0, 1.0], [2]));
/// let b = tape.var(Tensor::scalar(0.5));
/// let y = tape.constant(Tensor::from_vec(vec![2.5, 0.5], [2]));
/// // 0.25 + (0.1 / 2) * (4 + 1)
/// assert!((ridge(x, w, b, y, 0.1, Reduction::Mean).item() - 0.5).abs() < 1e-12);
/// ```
pub fn ridge<'t, T: Float>(
    x: Var<'t, T>,
    w: Var<'t, T>,
    b: Var<'t, T>,
    y: Var<'t, T>,
    lambda: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    linear_regression(x, w, b, y, reduction) + l2_penalty(&[w], lambda)
}

/// LASSO, catalogue R6: `(1/2n) ||X w + b - y||^2 + lambda ||w||_1` under `Mean`.
///
/// Shapes as [`linear_regression`]; the bias is not penalised. The reduction applies to the
/// data term; under `None` the result is the `[n]` per-sample data terms each plus the whole
/// penalty.
///
/// ```
/// use losses::{Reduction, regression::lasso};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![2.0, -1.0], [2]));
/// let b = tape.var(Tensor::scalar(0.0));
/// let y = tape.constant(Tensor::from_vec(vec![2.0, -1.0], [2]));
/// // a perfect fit: only the penalty 0.1 * (2 + 1) remains
/// assert!((lasso(x, w, b, y, 0.1, Reduction::Mean).item() - 0.3).abs() < 1e-12);
/// ```
pub fn lasso<'t, T: Float>(
    x: Var<'t, T>,
    w: Var<'t, T>,
    b: Var<'t, T>,
    y: Var<'t, T>,
    lambda: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    linear_regression(x, w, b, y, reduction) + l1_penalty(&[w], lambda)
}
