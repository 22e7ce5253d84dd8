//! Linear models from their objectives, each compared with an independent answer (catalogue
//! C1, C2, C4, C5, C8, C10, R1, R2, R4, R5, R6).
//!
//! ```text
//! cargo run --release --example linear_models
//! cargo run --release --example linear_models -- --help
//! ```
//!
//! **Classifiers** on 2-D data (two Gaussian blobs that overlap a little), every gradient from
//! the tape:
//! - the perceptron criterion `sum_i max(0, -y_i f(x_i))` (C1), one sample at a time (the
//!   classic mistake-driven rule), with weight averaging;
//! - a linear map to two outputs under the Euclidean loss on one-hot targets (C2), against its
//!   closed-form least-squares solution;
//! - the soft-margin SVM primal `(1/2)||w||^2 + C mean_i max(0, 1 - y_i f(x_i))` (C4);
//! - logistic regression with an L2 penalty (C5, C10), against Newton's method;
//! - an AdaBoost-style additive model of decision stumps under the exponential loss
//!   `sum_i exp(-y_i F(x_i))` (C8): each round picks the stump with the least weighted error
//!   and finds its weight `alpha` by gradient descent on the loss, against the closed form
//!   `alpha = (1/2) ln((1 - err) / err)`.
//!
//! Their test accuracies are compared with the Bayes classifier's, the best any classifier can
//! do on these blobs.
//!
//! **Regression** on tabular data (8 correlated features, a sparse true weight vector, noise):
//! least squares (R4, built on the Euclidean loss R1) and ridge (R5) against the normal
//! equations, LASSO (R6) against coordinate descent, and a line through data with outliers fit
//! under the absolute error (R2) against the exact least-absolute-deviations line and under
//! the mean squared error (R1) against its closed form.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use losses::Reduction;
use losses::classification::{
    binary_cross_entropy_with_logits, euclidean_one_hot, exponential, perceptron, svm_primal,
};
use losses::regression::{l1, lasso, linear_regression, mse, ridge};
use losses::regularizers::l2_penalty;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;
use tape::{Tape, Tensor, Var};
use train::cli::{Args, Requirement, check};
use train::plot::{self, Lines, Regions};
use train::synth::GaussianMixture;
use train::{Adam, Divergence, Init, LrSchedule, Optimizer, ParamStore, Params, Sgd};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug)]
pub struct Config {
    /// Training points of the 2-D classification data.
    pub train_points: usize,
    /// Test points of the 2-D classification data.
    pub test_points: usize,
    /// Rows of the tabular regression data.
    pub rows: usize,
    /// Full-batch gradient steps for each smooth model.
    pub steps: usize,
    /// Boosting rounds.
    pub rounds: usize,
    /// Penalty weight of ridge and LASSO.
    pub lambda: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Where the SVGs go.
    pub out: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            train_points: 300,
            test_points: 2000,
            rows: 200,
            steps: 3000,
            rounds: 40,
            lambda: 0.1,
            seed: 0,
            out: PathBuf::from("target/examples-out"),
        }
    }
}

/// Train and test accuracy of one classifier.
#[derive(Clone, Debug)]
pub struct Accuracy {
    /// The classifier's name.
    pub name: &'static str,
    /// Fraction of training points classified correctly.
    pub train: f64,
    /// Fraction of test points classified correctly.
    pub test: f64,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Accuracies of the five classifiers.
    pub accuracies: Vec<Accuracy>,
    /// Test accuracy of the Bayes classifier (knowing the true blobs).
    pub bayes_test_accuracy: f64,
    /// One-hot Euclidean: largest difference from the least-squares solution.
    pub one_hot_gap: f64,
    /// Logistic regression: largest difference from Newton's solution.
    pub logistic_gap: f64,
    /// AdaBoost: largest difference between a line-searched `alpha` and the closed form.
    pub alpha_gap: f64,
    /// Linear regression: largest difference from the normal-equation solution.
    pub linear_gap: f64,
    /// Ridge: largest difference from the normal-equation solution.
    pub ridge_gap: f64,
    /// LASSO: largest difference from the coordinate-descent solution.
    pub lasso_gap: f64,
    /// LASSO: weights coordinate descent sets exactly to zero, and how many of them gradient
    /// descent brought below 1e-3.
    pub lasso_zeros: (usize, usize),
    /// Line fit under the absolute error: relative excess of its objective over the exact
    /// least-absolute-deviations line's.
    pub l1_gap: f64,
    /// Line fit under the mean squared error: largest difference from the closed form.
    pub mse_gap: f64,
}

/// Full-batch minimisation: `steps` optimiser steps on `loss`; returns the loss of each step,
/// or the first step whose loss or gradient is not finite.
fn minimise<O, F>(
    store: &mut ParamStore<f64>,
    optimizer: &mut O,
    steps: usize,
    loss: F,
) -> Result<Vec<f64>, String>
where
    O: Optimizer<f64>,
    F: for<'t> Fn(&Params<'t, f64>) -> Var<'t, f64>,
{
    let mut tape = Tape::new();
    (1..=steps)
        .map(|step| {
            let value = store.compute_grads(&mut tape, |p| loss(p));
            Divergence::check(store, value, None, step, optimizer.learning_rate())
                .map_err(|d| d.advice("try a smaller --lambda"))?;
            optimizer.step(store);
            Ok(value)
        })
        .collect()
}

/// Gives a closure the higher-ranked signature `minimise` needs (closure signatures are only
/// inferred as higher-ranked when an expected bound says so).
fn objective<F>(f: F) -> F
where
    F: for<'t> Fn(&Params<'t, f64>) -> Var<'t, f64>,
{
    f
}

/// Solves the small dense system `a x = b` (`n x n`, row-major) by Gaussian elimination with
/// partial pivoting.
pub fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Vec<f64> {
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .expect("non-empty");
        for k in 0..n {
            a.swap(col * n + k, pivot * n + k);
        }
        b.swap(col, pivot);
        for row in col + 1..n {
            let factor = a[row * n + col] / a[col * n + col];
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row * n + row];
    }
    x
}

/// The regularised normal equations of `(1/2n)||X w + b - y||^2 + (lambda/2)||w||^2` (the bias
/// unpenalised): `(X1^T X1 / n + lambda D) theta = X1^T y / n` with `X1 = [X 1]`,
/// `theta = (w, b)` and `D = diag(1, ..., 1, 0)`. `lambda = 0` is ordinary least squares.
/// `targets` may hold several columns (`[n, m]`), solved for together.
pub fn normal_equations(x: &Tensor<f64>, targets: &Tensor<f64>, lambda: f64) -> Vec<Vec<f64>> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let m = targets.numel() / n;
    let p = d + 1;
    let row = |i: usize, j: usize| if j < d { x.data()[i * d + j] } else { 1.0 };
    let mut gram = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            gram[a * p + b] = (0..n).map(|i| row(i, a) * row(i, b)).sum::<f64>() / n as f64;
        }
        if a < d {
            gram[a * p + a] += lambda;
        }
    }
    (0..m)
        .map(|c| {
            let rhs = (0..p)
                .map(|a| {
                    (0..n)
                        .map(|i| row(i, a) * targets.data()[i * m + c])
                        .sum::<f64>()
                        / n as f64
                })
                .collect();
            solve(gram.clone(), rhs, p)
        })
        .collect()
}

/// LASSO by cyclic coordinate descent on `(1/2n)||X w + b - y||^2 + lambda ||w||_1`: each weight
/// in turn is set to its exact minimiser with the others fixed (a soft threshold), and the
/// unpenalised bias to the mean residual, until nothing moves. Returns `(w, b)`.
pub fn lasso_coordinate_descent(x: &Tensor<f64>, y: &[f64], lambda: f64) -> (Vec<f64>, f64) {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let column = |j: usize| (0..n).map(move |i| x.data()[i * d + j]);
    let scale: Vec<f64> = (0..d)
        .map(|j| column(j).map(|v| v * v).sum::<f64>() / n as f64)
        .collect();
    let (mut w, mut b) = (vec![0.0; d], y.iter().sum::<f64>() / n as f64);
    let mut residual: Vec<f64> = y.iter().map(|v| v - b).collect();
    for _sweep in 0..100_000 {
        let mut largest_move: f64 = 0.0;
        for j in 0..d {
            // rho = (1/n) x_j . (residual + x_j w_j): the fit x_j would make on its own.
            let rho = column(j)
                .zip(&residual)
                .map(|(v, r)| v * (r + v * w[j]))
                .sum::<f64>()
                / n as f64;
            let updated = rho.signum() * (rho.abs() - lambda).max(0.0) / scale[j];
            let step = updated - w[j];
            for (r, v) in residual.iter_mut().zip(column(j)) {
                *r -= step * v;
            }
            w[j] = updated;
            largest_move = largest_move.max(step.abs());
        }
        let shift = residual.iter().sum::<f64>() / n as f64;
        residual.iter_mut().for_each(|r| *r -= shift);
        b += shift;
        largest_move = largest_move.max(shift.abs());
        if largest_move < 1e-15 {
            break;
        }
    }
    (w, b)
}

/// Penalised logistic regression `mean_i [softplus(z_i) - y_i z_i] + (lambda/2)||w||^2`,
/// `z = X w + b`, by Newton's method with the gradient and Hessian written out by hand.
pub fn logistic_newton(x: &Tensor<f64>, y01: &[f64], lambda: f64) -> Vec<f64> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let p = d + 1;
    let row = |i: usize, j: usize| if j < d { x.data()[i * d + j] } else { 1.0 };
    let mut theta = vec![0.0; p];
    for _ in 0..100 {
        let mut gradient = vec![0.0; p];
        let mut hessian = vec![0.0; p * p];
        for (i, &target) in y01.iter().enumerate() {
            let z: f64 = (0..p).map(|j| row(i, j) * theta[j]).sum();
            let s = 1.0 / (1.0 + (-z).exp());
            for a in 0..p {
                gradient[a] += (s - target) * row(i, a) / n as f64;
                for b in 0..p {
                    hessian[a * p + b] += s * (1.0 - s) * row(i, a) * row(i, b) / n as f64;
                }
            }
        }
        for a in 0..d {
            gradient[a] += lambda * theta[a];
            hessian[a * p + a] += lambda;
        }
        let step = solve(hessian, gradient, p);
        theta.iter_mut().zip(&step).for_each(|(t, s)| *t -= s);
        if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-15 {
            break;
        }
    }
    theta
}

/// A decision stump `sign * (x[feature] > threshold ? 1 : -1)`.
#[derive(Clone, Copy, Debug)]
pub struct Stump {
    feature: usize,
    threshold: f64,
    sign: f64,
}

impl Stump {
    /// The stump's vote, +1 or -1.
    pub fn predict(&self, point: &[f64]) -> f64 {
        if point[self.feature] > self.threshold {
            self.sign
        } else {
            -self.sign
        }
    }
}

/// The stump with the least weighted error on `points [n, 2]`, and that error: every
/// feature, every threshold between consecutive values, both signs.
fn best_stump(points: &Tensor<f64>, y: &[f64], weights: &[f64]) -> (Stump, f64) {
    let n = y.len();
    let total: f64 = weights.iter().sum();
    let mut best = (
        Stump {
            feature: 0,
            threshold: 0.0,
            sign: 1.0,
        },
        f64::INFINITY,
    );
    for feature in 0..2 {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| {
            points.data()[2 * i + feature].total_cmp(&points.data()[2 * j + feature])
        });
        // Error of "+1 above the threshold" with the threshold below every point: the
        // weight of the negatives; moving it past a point flips that point's vote.
        let mut error: f64 = (0..n).filter(|&i| y[i] < 0.0).map(|i| weights[i]).sum();
        for (rank, &i) in order.iter().enumerate() {
            error += y[i] * weights[i];
            let value = points.data()[2 * i + feature];
            let next = order.get(rank + 1).map(|&j| points.data()[2 * j + feature]);
            if next == Some(value) {
                continue; // a threshold cannot separate equal values
            }
            let threshold = next.map_or(value + 1.0, |v| 0.5 * (value + v));
            for (sign, err) in [(1.0, error), (-1.0, total - error)] {
                if err < best.1 {
                    best = (
                        Stump {
                            feature,
                            threshold,
                            sign,
                        },
                        err,
                    );
                }
            }
        }
    }
    (best.0, best.1 / total)
}

/// AdaBoost as stagewise minimisation of the exponential loss: each round adds the stump with
/// the least weighted error and a weight `alpha` found by gradient descent on
/// `sum_i exp(-y_i (F(x_i) + alpha h(x_i)))`. Returns the stumps, their weights and the
/// largest difference between a found `alpha` and the closed form `(1/2) ln((1 - e) / e)`.
fn adaboost(
    points: &Tensor<f64>,
    y: &[f64],
    rounds: usize,
) -> Result<(Vec<(Stump, f64)>, f64), String> {
    let n = y.len();
    let mut scores = vec![0.0; n];
    let mut ensemble = Vec::with_capacity(rounds);
    let mut alpha_gap: f64 = 0.0;
    for _ in 0..rounds {
        let weights: Vec<f64> = scores.iter().zip(y).map(|(f, y)| (-y * f).exp()).collect();
        let (stump, error) = best_stump(points, y, &weights);
        if error <= 0.0 || error >= 0.5 {
            break; // a perfect stump (infinite alpha) or none better than chance
        }
        let votes: Vec<f64> = points
            .data()
            .chunks_exact(2)
            .map(|p| stump.predict(p))
            .collect();
        // Dividing by the current total keeps the loss, and so its curvature, near 1 (it is
        // at most 1 in alpha), so a unit step never overshoots.
        let total: f64 = weights.iter().sum();
        let mut store = ParamStore::<f64>::new();
        let alpha = store.add("alpha", Tensor::zeros([1]));
        let previous = Tensor::from_vec(scores.clone(), [n]);
        let h = Tensor::from_vec(votes.clone(), [n]);
        minimise(&mut store, &mut Sgd::new(1.0), 100, |p| {
            let tape = p.tape();
            let f = tape.constant(previous.clone()) + tape.constant(h.clone()) * p[alpha];
            exponential(f, y, Reduction::Sum).scale(1.0 / total)
        })?;
        let found = store.value(alpha).item();
        alpha_gap = alpha_gap.max((found - 0.5 * ((1.0 - error) / error).ln()).abs());
        scores
            .iter_mut()
            .zip(&votes)
            .for_each(|(f, v)| *f += found * v);
        ensemble.push((stump, found));
    }
    Ok((ensemble, alpha_gap))
}

/// The fraction of points whose predicted sign matches the label.
fn accuracy(scores: &[f64], y: &[f64]) -> f64 {
    scores.iter().zip(y).filter(|(s, y)| *s * *y > 0.0).count() as f64 / y.len() as f64
}

/// Scores `x w + b` of a linear model on rows `[n, d]`.
fn linear_scores(x: &Tensor<f64>, w: &[f64], b: f64) -> Vec<f64> {
    x.data()
        .chunks_exact(w.len())
        .map(|r| r.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b)
        .collect()
}

/// The largest absolute difference between two sequences.
fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The 2-D classification data: points and labels in {-1, +1}.
struct Blobs {
    points: Tensor<f64>,
    labels: Vec<usize>,
    signs: Vec<f64>,
}

/// The two blobs' centres and common standard deviation.
const CENTRES: [[f64; 2]; 2] = [[-1.0, -0.5], [1.0, 0.5]];
const SPREAD: f64 = 0.6;

fn blobs(n: usize, rng: &mut StdRng) -> Blobs {
    let means = CENTRES
        .iter()
        .map(|c| c.iter().map(|&v| v as f32).collect())
        .collect();
    let data = GaussianMixture::new(means, SPREAD as f32).sample(n, rng);
    let signs = data
        .labels
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    Blobs {
        points: data.inputs.cast(),
        labels: data.labels,
        signs,
    }
}

/// The penalty on the weights of a linear regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Penalty {
    /// Least squares (R4).
    None,
    /// `(lambda/2) ||w||^2`: ridge regression (R5).
    Ridge,
    /// `lambda ||w||_1`: LASSO (R6).
    Lasso,
}

/// The weights the regression targets are made with (and a bias of 1).
pub const TRUE_WEIGHTS: [f64; 8] = [3.0, -2.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.5];

/// The tabular regression data: `[n, 8]` correlated features and targets from sparse weights.
pub fn tabular(n: usize, rng: &mut impl Rng) -> (Tensor<f64>, Vec<f64>) {
    let d = TRUE_WEIGHTS.len();
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let z: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        // Each feature leans on its neighbour, so the columns are correlated.
        let row: Vec<f64> = (0..d)
            .map(|j| z[j] + if j > 0 { 0.6 * z[j - 1] } else { 0.0 })
            .collect();
        let noise: f64 = rng.sample(StandardNormal);
        y.push(
            1.0 + row
                .iter()
                .zip(TRUE_WEIGHTS)
                .map(|(a, w)| a * w)
                .sum::<f64>()
                + 0.5 * noise,
        );
        x.extend(row);
    }
    (Tensor::from_vec(x, [n, d]), y)
}

/// Points on the line `y = 2x + 1` with noise, a tenth of them pushed far up (outliers).
fn line_with_outliers(n: usize, rng: &mut impl Rng) -> (Vec<f64>, Vec<f64>) {
    (0..n)
        .map(|i| {
            let x = rng.random_range(0.0..10.0);
            let noise: f64 = rng.sample(StandardNormal);
            let outlier = if i % 10 == 0 {
                rng.random_range(15.0..30.0)
            } else {
                0.0
            };
            (x, 2.0 * x + 1.0 + 0.5 * noise + outlier)
        })
        .unzip()
}

/// The exact least-absolute-deviations line: an optimal line passes through two of the points,
/// so trying every pair finds it. Returns `(slope, intercept, mean absolute error)`.
pub fn exact_lad_line(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len();
    let cost = |a: f64, c: f64| {
        x.iter()
            .zip(y)
            .map(|(x, y)| (y - a * x - c).abs())
            .sum::<f64>()
            / n as f64
    };
    let mut best = (0.0, 0.0, f64::INFINITY);
    for i in 0..n {
        for j in i + 1..n {
            if x[i] == x[j] {
                continue;
            }
            let a = (y[j] - y[i]) / (x[j] - x[i]);
            let c = y[i] - a * x[i];
            let value = cost(a, c);
            if value < best.2 {
                best = (a, c, value);
            }
        }
    }
    best
}

/// A linear classifier's regions: class 1 where `w . p + b > 0`.
fn linear_regions(w: [f64; 2], b: f64) -> impl Fn(&[(f64, f64)]) -> Vec<usize> {
    move |grid| {
        grid.iter()
            .map(|&(x, y)| usize::from(w[0] * x + w[1] * y + b > 0.0))
            .collect()
    }
}

/// Trains every model, compares each with its reference and draws the figures.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let train = blobs(config.train_points, &mut rng);
    let test = blobs(config.test_points, &mut rng);
    let (x, y) = (&train.points, &train.signs);
    let y01: Vec<f64> = y.iter().map(|&s| f64::from(u8::from(s > 0.0))).collect();
    println!(
        "classification: two Gaussian blobs in 2-D, {} training and {} test points",
        config.train_points, config.test_points
    );
    let mut accuracies = Vec::new();
    let mut record = |name: &'static str, w: [f64; 2], b: f64| {
        let train_acc = accuracy(&linear_scores(x, &w, b), y);
        let test_acc = accuracy(&linear_scores(&test.points, &w, b), &test.signs);
        accuracies.push(Accuracy {
            name,
            train: train_acc,
            test: test_acc,
        });
        (w, b)
    };
    let two = |t: &Tensor<f64>| [t.data()[0], t.data()[1]];
    let smooth_steps = config.steps;

    // The perceptron (C1): one sample at a time; a mistake moves w by y x (step 1). The
    // average of all iterates is far steadier than the last one on overlapping classes.
    let perceptron_model = {
        let mut store = ParamStore::<f64>::new();
        let w = store.add("w", Init::Normal(0.01).sample([2], 2, 1, &mut rng));
        let b = store.add("b", Tensor::zeros([1]));
        let mut optimizer = Sgd::new(1.0);
        let mut tape = Tape::new();
        let (mut sum_w, mut sum_b, mut count) = ([0.0; 2], 0.0, 0.0);
        let mut order: Vec<usize> = (0..y.len()).collect();
        for _epoch in 0..10 {
            order.shuffle(&mut rng);
            for &i in &order {
                let xi = Tensor::from_vec(x.data()[2 * i..2 * i + 2].to_vec(), [1, 2]);
                store.compute_grads(&mut tape, |p| {
                    let f = tape_linear(p.tape().constant(xi.clone()), p[w], p[b]);
                    perceptron(f, &[y[i]], Reduction::Sum)
                });
                optimizer.step(&mut store);
                let now = two(store.value(w));
                sum_w = [sum_w[0] + now[0], sum_w[1] + now[1]];
                sum_b += store.value(b).item();
                count += 1.0;
            }
        }
        record(
            "perceptron (averaged)",
            sum_w.map(|s| s / count),
            sum_b / count,
        )
    };

    // Euclidean loss on one-hot targets (C2): outputs x W + b, class = argmax; least squares.
    let (one_hot_model, one_hot_gap) = {
        let mut store = ParamStore::<f64>::new();
        let w = store.add("W", Tensor::zeros([2, 2]));
        let b = store.add("b", Tensor::zeros([2]));
        let xs = x.clone();
        let labels = train.labels.clone();
        let mut optimizer = Sgd::new(0.5).momentum(0.9);
        minimise(&mut store, &mut optimizer, smooth_steps, |p| {
            let outputs = p.tape().constant(xs.clone()).linear(p[w], p[b]);
            euclidean_one_hot(outputs, &labels, Reduction::Mean)
        })?;
        let (wv, bv) = (store.value(w).to_vec(), store.value(b).to_vec());
        let onehot = Tensor::one_hot(&train.labels, 2);
        let exact = normal_equations(x, &onehot, 0.0);
        // Column c of the solution is (W[0][c], W[1][c], b[c]).
        let gap = (0..2)
            .map(|c| max_gap(&[wv[c], wv[2 + c], bv[c]], &exact[c]))
            .fold(0.0, f64::max);
        // Class 1 wins where output 1 exceeds output 0: a linear rule.
        let model = record(
            "one-hot Euclidean",
            [wv[1] - wv[0], wv[3] - wv[2]],
            bv[1] - bv[0],
        );
        (model, gap)
    };

    // The SVM primal (C4) with C = 1 on the mean hinge; the hinge has kinks, so Adam's steps
    // decay to zero to settle on the minimum.
    let svm_model = {
        let mut store = ParamStore::<f64>::new();
        let w = store.add("w", Tensor::zeros([2]));
        let b = store.add("b", Tensor::zeros([1]));
        let xs = x.clone();
        let mut optimizer = Adam::new(0.05).schedule(LrSchedule::Cosine {
            warmup: 0,
            total: smooth_steps,
            min_factor: 0.0,
        });
        minimise(&mut store, &mut optimizer, smooth_steps, |p| {
            svm_primal(
                p.tape().constant(xs.clone()),
                p[w],
                p[b],
                y,
                1.0,
                Reduction::Mean,
            )
        })?;
        record(
            "SVM (hinge + L2)",
            two(store.value(w)),
            store.value(b).item(),
        )
    };

    // Logistic regression (C5) with an L2 penalty (C10), against Newton's method.
    let (logistic_model, logistic_gap) = {
        let lambda = 0.01;
        let mut store = ParamStore::<f64>::new();
        let w = store.add("w", Tensor::zeros([2]));
        let b = store.add("b", Tensor::zeros([1]));
        let xs = x.clone();
        let targets = Tensor::from_vec(y01.clone(), [y01.len()]);
        let mut optimizer = Sgd::new(1.0).momentum(0.9);
        minimise(&mut store, &mut optimizer, smooth_steps, |p| {
            let z = tape_linear(p.tape().constant(xs.clone()), p[w], p[b]);
            let y = p.tape().constant(targets.clone());
            binary_cross_entropy_with_logits(z, y, Reduction::Mean) + l2_penalty(&[p[w]], lambda)
        })?;
        let (wv, bv) = (two(store.value(w)), store.value(b).item());
        let exact = logistic_newton(x, &y01, lambda);
        let gap = max_gap(&[wv[0], wv[1], bv], &exact);
        (record("logistic + L2", wv, bv), gap)
    };

    // AdaBoost with stumps under the exponential loss (C8).
    let (ensemble, alpha_gap) = adaboost(x, y, config.rounds)?;
    let boost_scores = |points: &Tensor<f64>| -> Vec<f64> {
        points
            .data()
            .chunks_exact(2)
            .map(|p| ensemble.iter().map(|(s, a)| a * s.predict(p)).sum())
            .collect()
    };
    accuracies.push(Accuracy {
        name: "AdaBoost (stumps)",
        train: accuracy(&boost_scores(x), y),
        test: accuracy(&boost_scores(&test.points), &test.signs),
    });

    // The Bayes classifier: with equal, isotropic blobs, the perpendicular bisector of the centres.
    let bayes_w = [CENTRES[1][0] - CENTRES[0][0], CENTRES[1][1] - CENTRES[0][1]];
    let midpoint = [
        0.5 * (CENTRES[0][0] + CENTRES[1][0]),
        0.5 * (CENTRES[0][1] + CENTRES[1][1]),
    ];
    let bayes_b = -(bayes_w[0] * midpoint[0] + bayes_w[1] * midpoint[1]);
    let bayes_test_accuracy =
        accuracy(&linear_scores(&test.points, &bayes_w, bayes_b), &test.signs);
    for a in &accuracies {
        println!(
            "{:<22} train accuracy {:.3}  test accuracy {:.3}",
            a.name, a.train, a.test
        );
    }
    println!(
        "{:<22} test accuracy {bayes_test_accuracy:.3}",
        "Bayes classifier"
    );

    // Regression on tabular data.
    let (features, targets) = tabular(config.rows, &mut rng);
    let d = features.dims()[1];
    println!(
        "regression: {} rows of {d} correlated features, sparse true weights",
        config.rows
    );
    let target_tensor = Tensor::from_vec(targets.clone(), [config.rows]);
    let regress = |penalty: Penalty, rng: &mut StdRng| -> Result<(Vec<f64>, Vec<f64>), String> {
        let mut store = ParamStore::<f64>::new();
        let w = store.add("w", Init::Normal(0.1).sample([d], d, 1, rng));
        let b = store.add("b", Tensor::zeros([1]));
        let (xs, ys) = (features.clone(), target_tensor.clone());
        let lambda = config.lambda;
        let objective = objective(|p| {
            let tape = p.tape();
            let (xv, yv) = (tape.constant(xs.clone()), tape.constant(ys.clone()));
            match penalty {
                Penalty::None => linear_regression(xv, p[w], p[b], yv, Reduction::Mean),
                Penalty::Ridge => ridge(xv, p[w], p[b], yv, lambda, Reduction::Mean),
                Penalty::Lasso => lasso(xv, p[w], p[b], yv, lambda, Reduction::Mean),
            }
        });
        let curve = if penalty == Penalty::Lasso {
            // The L1 term has a kink at 0: steps decaying to zero let zero weights settle.
            let mut optimizer = Adam::new(0.05).schedule(LrSchedule::Cosine {
                warmup: 0,
                total: 2 * smooth_steps,
                min_factor: 0.0,
            });
            minimise(&mut store, &mut optimizer, 2 * smooth_steps, objective)?
        } else {
            let mut optimizer = Sgd::new(0.1).momentum(0.9);
            minimise(&mut store, &mut optimizer, smooth_steps, objective)?
        };
        let mut theta = store.value(w).to_vec();
        theta.push(store.value(b).item());
        Ok((theta, curve))
    };
    let (linear_theta, _) = regress(Penalty::None, &mut rng)?;
    let linear_exact = normal_equations(&features, &target_tensor, 0.0).remove(0);
    let linear_gap = max_gap(&linear_theta, &linear_exact);
    let (ridge_theta, _) = regress(Penalty::Ridge, &mut rng)?;
    let ridge_exact = normal_equations(&features, &target_tensor, config.lambda).remove(0);
    let ridge_gap = max_gap(&ridge_theta, &ridge_exact);
    let (lasso_theta, lasso_curve) = regress(Penalty::Lasso, &mut rng)?;
    let (cd_w, cd_b) = lasso_coordinate_descent(&features, &targets, config.lambda);
    let mut lasso_exact = cd_w.clone();
    lasso_exact.push(cd_b);
    let lasso_gap = max_gap(&lasso_theta, &lasso_exact);
    let lasso_zeros = (
        cd_w.iter().filter(|&&v| v == 0.0).count(),
        lasso_theta[..d].iter().filter(|v| v.abs() < 1e-3).count(),
    );
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:7.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("least squares  w, b: {}", show(&linear_theta));
    println!("ridge          w, b: {}", show(&ridge_theta));
    println!("LASSO          w, b: {}", show(&lasso_theta));

    // A line through outliers: absolute error (R2) against the exact LAD line, squared error
    // (R1) against its closed form.
    let (line_x, line_y) = line_with_outliers(60, &mut rng);
    let (lad_slope, lad_intercept, lad_cost) = exact_lad_line(&line_x, &line_y);
    let line_inputs = Tensor::from_vec(line_x.clone(), [line_x.len(), 1]);
    let line_targets = Tensor::from_vec(line_y.clone(), [line_y.len(), 1]);
    let fit_line = |absolute: bool| -> Result<(f64, f64), String> {
        let mut store = ParamStore::<f64>::new();
        let a = store.add("slope", Tensor::zeros([1, 1]));
        let c = store.add("intercept", Tensor::zeros([1]));
        let objective = objective(|p| {
            let tape = p.tape();
            let prediction = tape.constant(line_inputs.clone()).linear(p[a], p[c]);
            let target = tape.constant(line_targets.clone());
            if absolute {
                l1(prediction, target, Reduction::Mean)
            } else {
                mse(prediction, target, Reduction::Mean)
            }
        });
        if absolute {
            let mut optimizer = Adam::new(0.1).schedule(LrSchedule::Cosine {
                warmup: 0,
                total: 2 * smooth_steps,
                min_factor: 0.0,
            });
            minimise(&mut store, &mut optimizer, 2 * smooth_steps, objective)?;
        } else {
            minimise(
                &mut store,
                &mut Sgd::new(0.01).momentum(0.9),
                smooth_steps,
                objective,
            )?;
        }
        Ok((store.value(a).item(), store.value(c).item()))
    };
    let (l1_slope, l1_intercept) = fit_line(true)?;
    let l1_cost = line_x
        .iter()
        .zip(&line_y)
        .map(|(x, y)| (y - l1_slope * x - l1_intercept).abs())
        .sum::<f64>()
        / line_x.len() as f64;
    let l1_gap = (l1_cost - lad_cost) / lad_cost;
    let (mse_slope, mse_intercept) = fit_line(false)?;
    let mse_exact = normal_equations(&line_inputs, &line_targets, 0.0).remove(0);
    let mse_gap = max_gap(&[mse_slope, mse_intercept], &mse_exact);
    println!(
        "line y = 2x + 1 with 10% outliers: absolute error fit {l1_slope:.3}x + {l1_intercept:.3} \
         (exact LAD {lad_slope:.3}x + {lad_intercept:.3}), squared error fit {mse_slope:.3}x + \
         {mse_intercept:.3}"
    );

    // Figures.
    let points = plot::points(x);
    let names = ["y = -1", "y = +1"];
    let boost_regions = |grid: &[(f64, f64)]| {
        grid.iter()
            .map(|&(a, b)| {
                let score: f64 = ensemble
                    .iter()
                    .map(|(s, alpha)| alpha * s.predict(&[a, b]))
                    .sum();
                usize::from(score > 0.0)
            })
            .collect()
    };
    let title = |i: usize| format!("{} (test {:.3})", accuracies[i].name, accuracies[i].test);
    plot::decision_regions(
        config.out.join("linear_models_classifiers.svg"),
        &[
            Regions::new(
                title(0),
                points.clone(),
                &train.labels,
                linear_regions(perceptron_model.0, perceptron_model.1),
            )
            .legend(&names)
            .resolution(80),
            Regions::new(
                title(1),
                points.clone(),
                &train.labels,
                linear_regions(one_hot_model.0, one_hot_model.1),
            )
            .legend(&names)
            .resolution(80),
            Regions::new(
                title(2),
                points.clone(),
                &train.labels,
                linear_regions(svm_model.0, svm_model.1),
            )
            .legend(&names)
            .resolution(80),
            Regions::new(
                title(3),
                points.clone(),
                &train.labels,
                linear_regions(logistic_model.0, logistic_model.1),
            )
            .legend(&names)
            .resolution(80),
            Regions::new(title(4), points.clone(), &train.labels, boost_regions)
                .legend(&names)
                .resolution(80),
            Regions::new(
                format!("Bayes classifier (test {bayes_test_accuracy:.3})"),
                points,
                &train.labels,
                linear_regions(bayes_w, bayes_b),
            )
            .legend(&names)
            .resolution(80),
        ],
    )?;
    let lasso_optimum = {
        let tape = Tape::<f64>::new();
        let w = tape.constant(Tensor::from_vec(cd_w.clone(), [d]));
        let b = tape.constant(Tensor::from_vec(vec![cd_b], [1]));
        let (xv, yv) = (
            tape.constant(features.clone()),
            tape.constant(target_tensor.clone()),
        );
        lasso(xv, w, b, yv, config.lambda, Reduction::Mean).item()
    };
    let index = |v: &[f64]| {
        v[..d]
            .iter()
            .enumerate()
            .map(|(i, &w)| (i as f64, w))
            .collect::<Vec<_>>()
    };
    plot::lines(
        config.out.join("linear_models_regression.svg"),
        &[
            Lines::new("weights of the 8 features")
                .x_label("feature")
                .y_label("weight")
                .series("true", index(&TRUE_WEIGHTS))
                .series("least squares", index(&linear_theta))
                .series(
                    format!("ridge (lambda {})", config.lambda),
                    index(&ridge_theta),
                )
                .series(
                    format!("LASSO (lambda {})", config.lambda),
                    index(&lasso_theta),
                ),
            Lines::new("LASSO: objective - coordinate-descent optimum")
                .x_label("step")
                .log_y()
                .values(
                    "Adam on the LASSO objective",
                    &lasso_curve
                        .iter()
                        .map(|v| v - lasso_optimum)
                        .collect::<Vec<_>>(),
                ),
        ],
    )?;
    Ok(Report {
        accuracies,
        bayes_test_accuracy,
        one_hot_gap,
        logistic_gap,
        alpha_gap,
        linear_gap,
        ridge_gap,
        lasso_gap,
        lasso_zeros,
        l1_gap,
        mse_gap,
    })
}

/// `x w + b` on the tape for `x [n, d]`, `w [d]`, `b [1]`; returns `[n]`.
fn tape_linear<'t>(x: Var<'t, f64>, w: Var<'t, f64>, b: Var<'t, f64>) -> Var<'t, f64> {
    let d = w.shape().numel();
    let n = x.dims()[0];
    x.matmul(w.reshape([d, 1])).reshape([n]) + b
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let mut args = Args::parse(
        "linear_models",
        "Linear classifiers and regressions from their objectives, each compared with an \
         independent answer.",
        argv,
    );
    let d = Config::default();
    let config = Config {
        train_points: args.value("--train-points", "N", d.train_points, "2-D training points")?,
        test_points: args.value("--test-points", "N", d.test_points, "2-D test points")?,
        rows: args.value("--rows", "N", d.rows, "rows of the regression data")?,
        steps: args.value("--steps", "N", d.steps, "gradient steps per smooth model")?,
        rounds: args.value("--rounds", "N", d.rounds, "boosting rounds")?,
        lambda: args.value("--lambda", "L", d.lambda, "ridge and LASSO penalty weight")?,
        seed: args.value("--seed", "N", d.seed, "seed of every random choice")?,
        out: args.out_dir(&d.out)?,
    };
    if !args.finish()? {
        return Ok(None);
    }
    if config.train_points < 10 || config.test_points == 0 || config.rows < 10 || config.steps == 0
    {
        return Err("need at least 10 training points, 10 rows, 1 test point and 1 step".into());
    }
    if config.lambda < 0.0 {
        return Err(format!(
            "--lambda must be non-negative, got {}",
            config.lambda
        ));
    }
    // The points and rows (a few f64 features each) and their per-step temporaries.
    let rows = config.train_points as u128 + config.test_points as u128 + config.rows as u128;
    let flags = format!(
        "--train-points {}, --test-points {} and --rows {}",
        config.train_points, config.test_points, config.rows
    );
    check::memory(&flags, 8 * 64 * rows)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    train::cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or a regression misses its independent answer by more than required.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let r = run(&config)?;
    println!(
        "wrote linear_models_classifiers.svg and linear_models_regression.svg to {}",
        config.out.display()
    );
    let svm = &r.accuracies[2];
    let logistic = &r.accuracies[3];
    println!(
        "classifiers: SVM test accuracy {:.3}, logistic {:.3}, Bayes {:.3}",
        svm.test, logistic.test, r.bayes_test_accuracy
    );
    println!(
        "one-hot Euclidean vs least squares: {:.1e}; logistic vs Newton: {:.1e}; \
         AdaBoost alpha vs closed form: {:.1e}",
        r.one_hot_gap, r.logistic_gap, r.alpha_gap
    );
    let required = [
        Requirement::at_most("linear regression's gap", r.linear_gap, 1e-4),
        Requirement::at_most("ridge's gap", r.ridge_gap, 1e-4),
        Requirement::at_most("LASSO's gap", r.lasso_gap, 1e-3),
    ];
    let both = if required[0].met() {
        &required[1]
    } else {
        &required[0]
    };
    println!(
        "regression: linear vs normal equations {:.1e}, ridge vs normal equations {:.1e} \
         ({}); LASSO vs coordinate descent {:.1e} ({}), zero weights {} (CD) / {} (gradient)",
        r.linear_gap,
        r.ridge_gap,
        both.label(),
        r.lasso_gap,
        required[2].label(),
        r.lasso_zeros.0,
        r.lasso_zeros.1
    );
    println!(
        "line fits: absolute error {:.1e} above the exact LAD line, squared error {:.1e} from \
         the closed form ({:.1} s)",
        r.l1_gap,
        r.mse_gap,
        started.elapsed().as_secs_f64()
    );
    Requirement::check_all(&required)
}
