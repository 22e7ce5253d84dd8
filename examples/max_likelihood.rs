//! Maximum likelihood and cross-entropy by gradient descent, checked against their closed
//! forms (catalogue C9 and C7).
//!
//! ```text
//! cargo run --release --example max_likelihood
//! cargo run --release --example max_likelihood -- --help
//! ```
//!
//! Three fits by plain gradient steps (`Sgd`, f64, gradients from the tape), each against its
//! optimum computed here without autodiff: (a) a Gaussian's mean and log-variance minimising
//! `gaussian_nll` of 1-D samples, whose MLE is the sample mean and the biased sample variance;
//! (b) a loaded die's face probabilities `p = softmax(theta)` minimising the
//! `negative_log_likelihood` of its rolls, whose MLE is the empirical frequencies; (c) one
//! predicted distribution `p = softmax(theta)` per input minimising `cross_entropy(p, t)` against
//! a teacher's soft targets `t`, whose optimum is `p = t`, where the loss is the entropy `H(t)`.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Lines};
use losses::Reduction;
use losses::classification::{cross_entropy, gaussian_nll, negative_log_likelihood};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Tape, Tensor, Var};
use train::synth::GaussianMixture;
use train::{Divergence, Optimizer, ParamStore, Params, Sgd};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "max_likelihood",
    about = "Maximum likelihood (C9) and cross-entropy (C7) fits vs their closed forms."
)]
pub struct Config {
    /// Samples drawn from the Gaussian `N(3, 2^2)`, and rolls of the loaded die.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub samples: usize,
    /// Gradient steps of each fit.
    #[arg(long, value_name = "N", default_value_t = 150)]
    pub steps: usize,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where the SVG goes.
    #[arg(long, value_name = "DIR", default_value = cli::OUT_DIR, value_parser = cli::path)]
    pub out: PathBuf,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
    }
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The larger relative error of the fitted Gaussian's mean and variance against the sample
    /// mean and the biased sample variance.
    pub gaussian_error: f64,
    /// The empirical frequencies of the die's faces.
    pub frequencies: Vec<f64>,
    /// `max_k |softmax(theta)_k - frequency_k|` after the fit.
    pub die_error: f64,
    /// `max |p - t|` over every input and class after minimising the cross-entropy.
    pub soft_target_error: f64,
    /// `|CE - H(t)| / H(t)`: the cross-entropy reached against the targets' entropy
    /// `H(t) = sum_i H(t_i)`, the smallest cross-entropy possible.
    pub cross_entropy_gap: f64,
    /// The largest of the four disagreements above.
    pub worst_error: f64,
    /// Each fit's loss minus its closed-form minimum, per step: Gaussian, die, soft targets.
    pub gaps: [Vec<f64>; 3],
}

/// The die's true face probabilities.
pub const DIE: [f64; 6] = [0.1, 0.1, 0.15, 0.15, 0.2, 0.3];
/// Inputs and classes of the soft targets.
pub const INPUTS_CLASSES: [usize; 2] = [8, 5];

/// The sample mean and the biased (divide by `n`) sample variance: the Gaussian MLE.
pub fn mean_and_variance(samples: &[f64]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n;
    (mean, variance)
}

/// The Shannon entropy `-sum_k p_k ln p_k` in nats (`0 ln 0 = 0`).
pub fn entropy(p: &[f64]) -> f64 {
    let terms = p.iter().filter(|&&v| v > 0.0);
    terms.map(|v| -v * v.ln()).sum()
}

/// Runs `steps` plain gradient steps of size `lr` on `loss_fn`; returns the loss before each
/// step and, last, at the parameters the store ends with (or the first non-finite step).
fn descend<F>(
    store: &mut ParamStore<f64>,
    lr: f64,
    steps: usize,
    loss_fn: F,
) -> Result<Vec<f64>, String>
where
    F: for<'t> Fn(&Params<'t, f64>) -> Var<'t, f64>,
{
    let mut optimizer = Sgd::new(lr);
    let mut tape = Tape::new();
    let mut curve = Vec::with_capacity(steps + 1);
    for step in 1..=steps {
        curve.push(store.compute_grads(&mut tape, &loss_fn));
        Divergence::check(store, curve[step - 1], None, step, lr).map_err(|d| {
            d.advice("the step sizes are fixed; another --seed or --samples may avoid it")
        })?;
        optimizer.step(store);
    }
    curve.push(store.compute_grads(&mut tape, &loss_fn));
    Ok(curve)
}

/// The three fits and their closed forms.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let n = config.samples;

    // (a) Gaussian: minimise the mean NLL over the mean and the log-variance.
    let draws = GaussianMixture::new(vec![vec![3.0]], 2.0).sample(n, &mut rng);
    let y: Tensor<f64> = draws.inputs.cast::<f64>().reshape([n]);
    let mle_gaussian = mean_and_variance(y.data());
    let mut store = ParamStore::new();
    let mean = store.add("mean", Tensor::from_vec(vec![0.0], [1]));
    let log_var = store.add("log_var", Tensor::scalar(0.0));
    // Near the optimum the NLL's curvature is 1 / sigma^2 along the mean and 1/2 along the
    // log-variance: a unit step contracts both errors by a constant factor each step.
    let gaussian_curve = descend(&mut store, 1.0, config.steps, |p| {
        let target = p.tape().constant(y.clone());
        let mu = p[mean].broadcast_to([n]);
        gaussian_nll(mu, p[log_var], target, Reduction::Mean)
    })?;
    let fitted_gaussian = (store.value(mean).item(), store.value(log_var).item().exp());
    let gaussian_error = f64::max(
        (fitted_gaussian.0 - mle_gaussian.0).abs() / mle_gaussian.0.abs(),
        (fitted_gaussian.1 - mle_gaussian.1).abs() / mle_gaussian.1,
    );
    println!(
        "(a) gaussian_nll, {n} samples of N(3, 4): mean {:.10} vs sample mean {:.10}, variance \
         {:.10} vs biased sample variance {:.10}: relative error {gaussian_error:.1e}",
        fitted_gaussian.0, mle_gaussian.0, fitted_gaussian.1, mle_gaussian.1
    );

    // (b) Loaded die: minimise the mean NLL of the rolls over the logits of its faces.
    let faces = WeightedIndex::new(DIE).map_err(|e| e.to_string())?;
    let rolls: Vec<usize> = (0..n).map(|_| faces.sample(&mut rng)).collect();
    let count = |k| rolls.iter().filter(|&&face| face == k).count() as f64;
    let frequencies: Vec<f64> = (0..DIE.len()).map(|k| count(k) / n as f64).collect();
    let mut store = ParamStore::new();
    let theta = store.add("theta", Tensor::zeros([DIE.len()]));
    // The Hessian in theta is diag(p) - p p^T, with eigenvalues below max p = 0.3 here, so
    // steps of 4 stay stable (4 * 0.3 < 2) and converge fast.
    let die_curve = descend(&mut store, 4.0, config.steps, |p| {
        negative_log_likelihood(p[theta].log_softmax(0).gather(0, &rolls), Reduction::Mean)
    })?;
    let fitted_die = store.value(theta).softmax(0);
    let die_error = fitted_die.max_abs_diff(&Tensor::from_slice(&frequencies, [DIE.len()]));
    println!(
        "(b) negative_log_likelihood, {n} rolls: fitted p {:.4?} vs empirical frequencies: \
         max |diff| {die_error:.1e}",
        fitted_die.data()
    );

    // (c) A teacher's soft targets for each input (a softmax of random logits); the student
    // predicts p = softmax(theta) per input and minimises the cross-entropy against them.
    let t: Tensor<f64> =
        Tensor::from_fn(INPUTS_CLASSES, |_| rng.random_range(-1.0..1.0)).softmax(1);
    let target_entropy: f64 = t.data().chunks_exact(INPUTS_CLASSES[1]).map(entropy).sum();
    let mut store = ParamStore::new();
    let logits = store.add("theta", Tensor::zeros(INPUTS_CLASSES));
    // Summed over the inputs, each row's Hessian is again diag(p) - p p^T: steps of 4.
    let soft_curve = descend(&mut store, 4.0, config.steps, |p| {
        let targets = p.tape().constant(t.clone());
        cross_entropy(p[logits].softmax(1), targets, Reduction::Sum)
    })?;
    let soft_target_error = store.value(logits).softmax(1).max_abs_diff(&t);
    let cross_entropy_reached = soft_curve[config.steps];
    let cross_entropy_gap = (cross_entropy_reached - target_entropy).abs() / target_entropy;
    println!(
        "(c) cross_entropy, soft targets {INPUTS_CLASSES:?}: max |p - t| \
         {soft_target_error:.1e}; cross-entropy {cross_entropy_reached:.10} vs entropy H(t) \
         {target_entropy:.10}: relative gap {cross_entropy_gap:.1e}"
    );

    // At the Gaussian MLE, (y - mean)^2 / sigma^2 averages to 1.
    let gaussian_min = 0.5 * (TAU.ln() + mle_gaussian.1.ln() + 1.0);
    let gap = |curve: &[f64], min: f64| curve.iter().map(|v| v - min).collect::<Vec<f64>>();
    let gaps = [
        gap(&gaussian_curve, gaussian_min),
        gap(&die_curve, entropy(&frequencies)),
        gap(&soft_curve, target_entropy),
    ];
    let worst_error = gaussian_error.max(die_error);
    let worst_error = worst_error.max(soft_target_error).max(cross_entropy_gap);
    let fits = (fitted_gaussian, &frequencies[..], fitted_die.data());
    draw(&config.out, y.data(), fits, &gaps)?;
    Ok(Report {
        gaussian_error,
        frequencies,
        die_error,
        soft_target_error,
        cross_entropy_gap,
        worst_error,
        gaps,
    })
}

/// Writes `max_likelihood.svg`: the samples' histogram with the fitted density, the die's
/// fitted and empirical probabilities, and each fit's distance to its closed-form minimum.
fn draw(
    out: &Path,
    samples: &[f64],
    ((mean, var), frequencies, fitted_die): ((f64, f64), &[f64], &[f64]),
    gaps: &[Vec<f64>; 3],
) -> Result<(), String> {
    let (lo, hi, bins) = (mean - 4.0 * var.sqrt(), mean + 4.0 * var.sqrt(), 40);
    let width = (hi - lo) / bins as f64;
    let mut density = vec![0.0; bins];
    for y in samples.iter().filter(|y| (lo..hi).contains(*y)) {
        density[(((y - lo) / width) as usize).min(bins - 1)] +=
            1.0 / (samples.len() as f64 * width);
    }
    // The histogram as a step curve, bar by bar.
    let left = |i: usize| lo + i as f64 * width;
    let histogram = density.iter().enumerate();
    let histogram = histogram.flat_map(|(i, &d)| [(left(i), d), (left(i + 1), d)]);
    let normal = |m: f64, v: f64| -> Vec<(f64, f64)> {
        let pdf = |x: f64| (-(x - m) * (x - m) / (2.0 * v)).exp() / (TAU * v).sqrt();
        let xs = (0..=200).map(|i| lo + (hi - lo) * f64::from(i) / 200.0);
        xs.map(|x| (x, pdf(x))).collect()
    };
    // Grouped bars drawn as outlines: series `slot` of three at each face, back to 0 between.
    let bars = |p: &[f64], slot: f64| -> Vec<(f64, f64)> {
        let bar = |(k, &v): (usize, &f64)| {
            let left = k as f64 + 0.6 + 0.27 * slot;
            [(left, 0.0), (left, v), (left + 0.27, v), (left + 0.27, 0.0)]
        };
        p.iter().enumerate().flat_map(bar).collect()
    };
    plot::lines(
        out.join("max_likelihood.svg"),
        &[
            Lines::new(format!("Gaussian MLE: mean {mean:.3}, variance {var:.3}"))
                .x_label("y")
                .y_label("density")
                .series("samples (histogram)", histogram.collect())
                .series("fitted N(mean, variance)", normal(mean, var))
                .series("true N(3, 4)", normal(3.0, 4.0)),
            Lines::new("loaded die: P(face)")
                .x_label("face")
                .y_label("probability")
                .series("empirical frequency", bars(frequencies, 0.0))
                .series("fitted softmax(theta)", bars(fitted_die, 1.0))
                .series("true", bars(&DIE, 2.0)),
            Lines::new("loss minus its closed-form minimum")
                .x_label("gradient step")
                .log_y()
                .values("gaussian_nll (C9)", &gaps[0])
                .values("negative_log_likelihood (C9)", &gaps[1])
                .values("cross_entropy (C7)", &gaps[2]),
        ],
    )
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.samples < 2 || config.steps == 0 {
        return Err("--samples must be at least 2 and --steps at least 1".into());
    }
    // The samples and rolls, f64, with a few same-sized temporaries of each loss's graph; and
    // the loss curves (three per step).
    let bytes = 8 * 16 * config.samples as u128 + 8 * 3 * config.steps as u128;
    let flags = format!("--samples {} and --steps {}", config.samples, config.steps);
    check::memory(&flags, bytes)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or a fit misses its closed form by more than required.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let worst = run(&config)?.worst_error;
    println!("wrote max_likelihood.svg to {}", config.out.display());
    let required = Requirement::at_most("the worst error of the three fits", worst, 1e-6);
    let verdict = if required.met() { "match" } else { "miss" };
    println!(
        "all three fits {verdict} their closed forms: worst error {worst:.1e} ({}; {:.2} s)",
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
