//! Supervised classification (catalogue rows C1-C9; the C10 regularisers are in
//! [`regularizers`](crate::regularizers)).
//!
//! Models output scores or logits as `Var`s. Labels are plain slices: `&[f64]` in {-1, +1} for
//! the margin losses, `&[usize]` class indices for the multi-class ones. Targets that are
//! numbers rather than classes (probabilities for logistic regression, soft labels, the target
//! distribution of a cross-entropy) are `Var`s, constants when they take no gradient. A linear
//! model's scores come from [`linear_scores`](crate::linear_scores). Log-probabilities are always
//! computed from logits (`log_softmax`, `softplus`), never as the logarithm of a probability, so
//! logits of any size stay finite.

use tape::{Float, Var, where_};

use crate::Reduction;
use crate::linear::scores_in;
use crate::regression::euclidean;
use crate::support::{
    assert_labels, assert_len, assert_same_shape, batch_len, matrix_dims, per_sample, sign_labels,
    vector_of,
};

mod fisher;
mod smoothed_hinge;

pub use fisher::{fisher_ratio, fisher_trace_ratio};
pub use smoothed_hinge::smoothed_hinge;

/// The perceptron criterion, catalogue C1: `sum_i max(0, -y_i f(x_i))`, `y_i in {-1, +1}`.
///
/// Shapes: `scores` (the model's `f(x_i) = w.x_i + b`, e.g. from
/// [`linear_scores`](crate::linear_scores)) `[n]` or `[n, 1]`; `labels` `n` values in {-1, +1}.
/// Per sample: `max(0, -y_i f_i)`. `Sum` is the textbook criterion (gradient `-y_i` on
/// misclassified samples, `y_i f_i < 0`, else 0); `Mean` divides by `n`; `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::perceptron};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![2.0, -0.5, 1.0], [3]));
/// let loss = perceptron(f, &[1.0, 1.0, -1.0], Reduction::Sum); // 0 + 0.5 + 1
/// loss.backward();
/// assert_eq!(loss.item(), 1.5);
/// assert_eq!(f.grad().unwrap().data(), &[0.0, -1.0, 1.0]);
/// ```
pub fn perceptron<'t, T: Float>(
    scores: Var<'t, T>,
    labels: &[f64],
    reduction: Reduction,
) -> Var<'t, T> {
    let f = vector_of("perceptron", "scores", scores);
    let y = sign_labels("perceptron", f, labels);
    reduction.apply((y * f).neg().relu())
}

/// Euclidean loss on one-hot targets, catalogue C2: `(1/2) sum_i ||f(x_i) - onehot(y_i)||^2`.
///
/// Shapes: `outputs [n, k]`, `labels` `n` class indices below `k`. Per sample:
/// `(1/2) ||f_i - onehot(y_i)||^2`, gradient `f - onehot(y)`. `Sum` is the formula above,
/// `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::euclidean_one_hot};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.5, 0.5, 0.0, 2.0], [2, 2]));
/// let loss = euclidean_one_hot(f, &[0, 1], Reduction::Sum); // 0.5 * (0.5 + 1)
/// loss.backward();
/// assert_eq!(loss.item(), 0.75);
/// assert_eq!(f.grad().unwrap().data(), &[-0.5, 0.5, 0.0, 1.0]);
/// ```
pub fn euclidean_one_hot<'t, T: Float>(
    outputs: Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    let (n, k) = matrix_dims("euclidean_one_hot", "outputs", outputs);
    assert_len("euclidean_one_hot", "labels", labels.len(), n);
    assert_labels("euclidean_one_hot", labels, k);
    euclidean(outputs, outputs.tape().one_hot(labels, k), reduction)
}

/// The hinge loss: `max(0, 1 - y_i f(x_i))`, `y_i in {-1, +1}` (the data term of C4).
///
/// Shapes: `scores [n]` or `[n, 1]` (for a linear model,
/// [`linear_scores`](crate::linear_scores)), `labels` `n` values in {-1, +1}. Per sample:
/// `max(0, 1 - y_i f_i)`, gradient `-y_i` on margin violators (`y_i f_i < 1`) and 0 elsewhere.
/// `Sum` adds, `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::hinge};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![2.0, 0.5, 0.5], [3]));
/// let loss = hinge(f, &[1.0, 1.0, -1.0], Reduction::Sum); // 0 + 0.5 + 1.5
/// loss.backward();
/// assert_eq!(loss.item(), 2.0);
/// assert_eq!(f.grad().unwrap().data(), &[0.0, -1.0, 1.0]);
/// ```
pub fn hinge<'t, T: Float>(scores: Var<'t, T>, labels: &[f64], reduction: Reduction) -> Var<'t, T> {
    reduction.apply(margin_violation("hinge", scores, labels))
}

/// `max(0, 1 - y_i f_i)` per sample, the scores `[n]` or `[n, 1]` and the labels checked in
/// {-1, +1}: the hinge, and what [`smoothed_hinge`] smooths.
pub(crate) fn margin_violation<'t, T: Float>(
    op: &str,
    scores: Var<'t, T>,
    labels: &[f64],
) -> Var<'t, T> {
    let f = vector_of(op, "scores", scores);
    let y = sign_labels(op, f, labels);
    (y * f).neg().add_scalar(T::ONE).relu()
}

/// The soft-margin SVM primal, catalogue C4:
/// `(1/2) ||w||^2 + C sum_i max(0, 1 - y_i (w.x_i + b))`.
///
/// Shapes: `x [n, d]`, `w [d]` (or `[d, 1]`), `b` one element, `labels` `n` values in {-1, +1}.
/// It is [`hinge`] on the scores [`linear_scores`](crate::linear_scores)`(x, w, b)` plus the
/// penalty.
/// The reduction applies to the hinge term: `Sum` is the formula above, `Mean` replaces the sum
/// by a mean (C then does not scale with `n`), `None` returns `[n]` values
/// `C hinge_i + (1/2)||w||^2` (each carries the whole penalty). The bias is not penalised.
///
/// ```
/// use losses::{Reduction, classification::svm_primal};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 1.0, -1.0, 0.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![1.0, 0.0], [2]));
/// let b = tape.var(Tensor::scalar(0.0));
/// // scores 1 and -1, both at the margin: only the penalty 0.5 * 1 remains
/// assert_eq!(svm_primal(x, w, b, &[1.0, -1.0], 10.0, Reduction::Sum).item(), 0.5);
/// ```
pub fn svm_primal<'t, T: Float>(
    x: Var<'t, T>,
    w: Var<'t, T>,
    b: Var<'t, T>,
    labels: &[f64],
    c: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let scores = scores_in("svm_primal", x, w, b);
    let data = hinge(scores, labels, reduction).scale(T::from_f64(c));
    data + w.square().sum().scale(T::from_f64(0.5))
}

/// Logistic regression (binary cross-entropy from logits), catalogue C5:
/// `-(1/n) sum_i [y_i ln s_i + (1 - y_i) ln(1 - s_i)]`, `s_i = sigma(z_i)`, under `Mean`.
///
/// Computed as `softplus(z) - y z`, which equals the formula and stays finite for any logit
/// (`ln sigma(z)` is never formed). Shapes: `logits [n]` or `[n, ...]`; `targets` a `Var` of the
/// same shape holding values in [0, 1] (make it with `tape.constant` when it takes no gradient).
/// Per sample: the sum over the sample's logits (one per label of a multi-label sample). Gradient:
/// `sigma(z) - y` for the logits and `-z` for the targets (divided by `n` under `Mean`). `Sum`
/// adds, `None` returns `[n]`. For `[n, k]` logits `Mean` divides by `n`, not by `n k` as
/// PyTorch does; [`pytorch::binary_cross_entropy_with_logits`] is the elementwise mean.
///
/// [`pytorch::binary_cross_entropy_with_logits`]: crate::pytorch::binary_cross_entropy_with_logits
///
/// ```
/// use losses::{Reduction, classification::binary_cross_entropy_with_logits};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::from_vec(vec![0.0, 1e4, -1e4], [3]));
/// let y = tape.constant(Tensor::from_vec(vec![1.0, 1.0, 1.0], [3]));
/// let loss = binary_cross_entropy_with_logits(z, y, Reduction::Sum);
/// loss.backward();
/// assert!((loss.item() - (2f64.ln() + 1e4)).abs() < 1e-9); // ln 2 + 0 + 1e4
/// assert_eq!(z.grad().unwrap().data(), &[-0.5, 0.0, -1.0]);
/// assert!(y.grad().is_none()); // a constant takes no gradient
/// ```
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "binary_cross_entropy_with_logits";
    check_probability_targets(op, logits, targets);
    reduction.apply(per_sample(op, logits.softplus() - targets * logits))
}

/// Panics unless `targets` has the shape of `logits` (which holds a batch) and values in [0, 1]:
/// labels in {-1, +1} passed by mistake would otherwise train towards nonsense silently.
pub(crate) fn check_probability_targets<T: Float>(
    op: &str,
    logits: Var<'_, T>,
    targets: Var<'_, T>,
) {
    batch_len(op, logits);
    assert_same_shape(op, "logits", &logits.shape(), "targets", &targets.shape());
    let values = targets.value();
    if let Some((i, &bad)) = values
        .data()
        .iter()
        .enumerate()
        .find(|&(_, &t)| !(t >= T::ZERO && t <= T::ONE))
    {
        panic!("{op}: target {bad} at position {i} is not in [0, 1]");
    }
}

/// Softmax regression (softmax cross-entropy with integer labels), catalogue C6:
/// `-(1/n) sum_i ln softmax(z_i)[y_i]` under `Mean`.
///
/// Shapes: `logits [n, k]`, `labels` `n` class indices below `k`. Uses the fused, stable
/// `log_softmax`, so logits of any magnitude give finite values. Per sample:
/// `-ln softmax(z_i)[y_i]`; gradient `softmax(z) - onehot(y)` (divided by `n` under `Mean`).
/// `Sum` adds, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::softmax_cross_entropy};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::from_vec(vec![0.0, 0.0, 1e4, -1e4], [2, 2]));
/// let loss = softmax_cross_entropy(z, &[0, 0], Reduction::Sum);
/// loss.backward();
/// assert!((loss.item() - 2f64.ln()).abs() < 1e-12); // ln 2 + 0
/// assert_eq!(z.grad().unwrap().data(), &[-0.5, 0.5, 0.0, 0.0]);
/// ```
pub fn softmax_cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    labels: &[usize],
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "softmax_cross_entropy";
    let (n, k) = matrix_dims(op, "logits", logits);
    assert_len(op, "labels", labels.len(), n);
    assert_labels(op, labels, k);
    let picked = logits.log_softmax_gather(labels);
    reduction.apply(picked.neg())
}

/// Softmax cross-entropy with probability targets (soft labels), catalogue C6:
/// `-(1/n) sum_i sum_k t_ik ln softmax(z_i)[k]` under `Mean`.
///
/// Shapes: `logits [n, k]`, `targets [n, k]` (rows are distributions; usually a constant).
/// Per sample: `-sum_k t_ik ln softmax(z_i)_k`; gradient `softmax(z) - t` for rows of `t` that
/// sum to 1. `Sum` adds, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::soft_cross_entropy};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let z = tape.var(Tensor::from_vec(vec![0.0, 0.0], [1, 2]));
/// let t = tape.constant(Tensor::from_vec(vec![0.25, 0.75], [1, 2]));
/// let loss = soft_cross_entropy(z, t, Reduction::Mean);
/// loss.backward();
/// assert!((loss.item() - 2f64.ln()).abs() < 1e-12);
/// assert_eq!(z.grad().unwrap().data(), &[0.25, -0.25]);
/// ```
pub fn soft_cross_entropy<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "soft_cross_entropy";
    matrix_dims(op, "logits", logits);
    assert_same_shape(op, "logits", &logits.shape(), "targets", &targets.shape());
    let log_p = logits.log_softmax(1);
    reduction.apply((targets * log_p).sum_axis(1, false).neg())
}

/// Cross-entropy of a predicted distribution, catalogue C7: `-sum_k t_k ln p_k` per sample.
///
/// Shapes: `probs [n, k]` (rows are probabilities, e.g. a softmax output), `targets [n, k]`.
/// Gradient with respect to `p`: `-t_k / p_k`. Terms with `t_k = 0` and `p_k = 0` count as 0
/// (the limit of `t ln p`), with no NaN in value or gradient; a positive target on `p_k = 0`
/// gives `+inf`, the true value. Prefer [`soft_cross_entropy`] on logits when you have them.
/// `Mean` averages the per-sample sums over `n`, `Sum` adds, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::cross_entropy};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let p = tape.var(Tensor::from_vec(vec![0.5, 0.5, 0.0, 1.0], [2, 2]));
/// let t = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let loss = cross_entropy(p, t, Reduction::Sum);
/// loss.backward();
/// assert!((loss.item() - 2f64.ln()).abs() < 1e-12); // ln 2 + 0
/// assert_eq!(p.grad().unwrap().data(), &[-2.0, 0.0, 0.0, -1.0]);
/// ```
pub fn cross_entropy<'t, T: Float>(
    probs: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "cross_entropy";
    matrix_dims(op, "probs", probs);
    assert_same_shape(op, "probs", &probs.shape(), "targets", &targets.shape());
    // Where both p and t are 0, take the logarithm of 1 instead: ln 0 would turn 0 * ln 0 into
    // NaN in the value, and 0 / 0 into NaN in the gradient.
    let used = probs.value().zip_map(&targets.value(), op, |p, t| {
        if p > T::ZERO || t > T::ZERO {
            T::ONE
        } else {
            T::ZERO
        }
    });
    let safe_probs = where_(
        probs.tape().constant(used),
        probs,
        probs.tape().scalar(T::ONE),
    );
    reduction.apply((targets * safe_probs.ln()).sum_axis(1, false).neg())
}

/// AdaBoost's exponential loss, catalogue C8: `sum_i exp(-y_i F(x_i))`, `y_i in {-1, +1}`.
///
/// Shapes: `scores [n]` or `[n, 1]` (the ensemble score `F = sum_t alpha_t f_t(x)`), `labels`
/// `n` values in {-1, +1}. Per sample: `exp(-y_i F_i)`, gradient `-y_i exp(-y_i F_i)`. `Sum` is
/// the formula, `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::exponential};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.0, 2f64.ln()], [2]));
/// let loss = exponential(f, &[1.0, -1.0], Reduction::Sum); // 1 + 2
/// loss.backward();
/// assert!((loss.item() - 3.0).abs() < 1e-12);
/// ```
pub fn exponential<'t, T: Float>(
    scores: Var<'t, T>,
    labels: &[f64],
    reduction: Reduction,
) -> Var<'t, T> {
    let f = vector_of("exponential", "scores", scores);
    let y = sign_labels("exponential", f, labels);
    reduction.apply((y * f).neg().exp())
}

/// Maximum likelihood as a loss, catalogue C9: the negative log-likelihood
/// `-sum_i ln p(x_i; theta)`, given the log-probabilities.
///
/// Shapes: `log_probs [n]` (one log-likelihood per sample) or `[n, ...]` (independent factors,
/// summed per sample). `Sum` is the formula, `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::negative_log_likelihood};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let log_p = tape.var(Tensor::from_vec(vec![0.5f64.ln(), 0.25f64.ln()], [2]));
/// let nll = negative_log_likelihood(log_p, Reduction::Sum);
/// assert!((nll.item() - 8f64.ln()).abs() < 1e-12);
/// ```
pub fn negative_log_likelihood<'t, T: Float>(
    log_probs: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    reduction.apply(per_sample("negative_log_likelihood", log_probs).neg())
}

/// The Gaussian negative log-likelihood, catalogue C9's worked case:
/// `-ln N(y; mu, sigma^2) = (1/2) [ln(2 pi) + ln sigma^2 + (y - mu)^2 / sigma^2]` per element.
///
/// Shapes: `mean [n, ...]` and `target` of the same shape; `log_var` (the log-variance
/// `ln sigma^2`, which keeps the variance positive without constraints) broadcasts to `mean`'s
/// shape: per element, per feature `[d]`, or one scalar. Per sample: the sum over the sample's
/// elements. `Sum` is the total NLL, `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, classification::gaussian_nll};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let mu = tape.var(Tensor::from_vec(vec![1.0, 0.0], [2]));
/// let log_var = tape.var(Tensor::scalar(0.0)); // sigma = 1
/// let y = tape.constant(Tensor::from_vec(vec![1.0, 2.0], [2]));
/// let nll = gaussian_nll(mu, log_var, y, Reduction::Sum);
/// let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
/// assert!((nll.item() - (2.0 * half_ln_2pi + 2.0)).abs() < 1e-12);
/// ```
pub fn gaussian_nll<'t, T: Float>(
    mean: Var<'t, T>,
    log_var: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "gaussian_nll";
    assert_same_shape(op, "mean", &mean.shape(), "target", &target.shape());
    assert!(
        log_var.shape().broadcasts_to(&mean.shape()),
        "gaussian_nll: log_var {} does not broadcast to mean {}",
        log_var.shape(),
        mean.shape()
    );
    let ln_2pi = T::from_f64((2.0 * std::f64::consts::PI).ln());
    let squared = (target - mean).square() * log_var.neg().exp();
    let per_element = (squared + log_var)
        .add_scalar(ln_2pi)
        .scale(T::from_f64(0.5));
    reduction.apply(per_sample(op, per_element))
}
