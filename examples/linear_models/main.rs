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

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Var};
use train::{Divergence, Optimizer, ParamStore, Params};

mod boosting;
mod classifiers;
mod data;
mod exact;
mod figures;
mod regression;
mod smoothed;
mod solvers;

pub use data::tabular;
pub use exact::Optima;
pub use solvers::{exact_lad_line, lasso_coordinate_descent, normal_equations, svm_exact};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "linear_models",
    about = "Linear classifiers and regressions from their objectives, each compared with an independent answer."
)]
pub struct Config {
    /// Training points of the 2-D classification data.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub train_points: usize,
    /// Test points of the 2-D classification data.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub test_points: usize,
    /// Rows of the tabular regression data.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub rows: usize,
    /// Full-batch gradient steps for each smooth model.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub steps: usize,
    /// Boosting rounds.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub rounds: usize,
    /// Penalty weight of ridge and LASSO.
    #[arg(long, value_name = "L", default_value_t = 0.1, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where the SVGs go.
    #[arg(long, value_name = "DIR", default_value = cli::OUT_DIR, value_parser = cli::path)]
    pub out: PathBuf,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
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
    /// Logistic regression, the SVM, ridge and LASSO solved to their optimum by `train::solve`.
    pub optima: Optima,
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

/// The largest absolute difference between two sequences.
fn max_gap(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Trains every model, compares each with its reference and draws the figures.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let train = data::blobs(config.train_points, &mut rng);
    let test = data::blobs(config.test_points, &mut rng);
    println!(
        "classification: two Gaussian blobs in 2-D, {} training and {} test points",
        config.train_points, config.test_points
    );
    let c = classifiers::classify(&train, &test, config.steps, config.rounds, &mut rng)?;
    let tabular = regression::regressions(config.rows, config.steps, config.lambda, &mut rng)?;
    let (l1_gap, mse_gap) = regression::line_fits(config.steps, &mut rng)?;
    let optima = exact::solve_all(&train, &c, &tabular, config.lambda, config.steps)?;
    figures::draw_classifiers(&config.out, &train, &c)?;
    figures::draw_regression(&config.out, &tabular, config.lambda)?;
    let [linear_gap, ridge_gap, lasso_gap] = tabular.gaps;
    Ok(Report {
        accuracies: c.accuracies,
        bayes_test_accuracy: c.bayes_test_accuracy,
        one_hot_gap: c.one_hot_gap,
        logistic_gap: c.logistic_gap,
        alpha_gap: c.alpha_gap,
        linear_gap,
        ridge_gap,
        lasso_gap,
        lasso_zeros: tabular.lasso_zeros,
        l1_gap,
        mse_gap,
        optima,
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
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
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
    cli::exit_code(run_main(std::env::args().skip(1)))
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
    exact::print(&r.optima);
    let mut all = required.to_vec();
    all.extend(r.optima.rows.iter().map(|o| {
        let name = format!("{} by {}: relative objective gap", o.objective, o.solver);
        Requirement::at_most(name, o.gap.abs(), 1e-10)
    }));
    let same = f64::from(u8::from(r.optima.lasso_supports_equal));
    all.push(Requirement::at_least(
        "LASSO: FISTA's support is coordinate descent's",
        same,
        1.0,
    ));
    Requirement::check_all(&all)
}
