//! Write your own objective: the focal loss in a dozen lines of tape operations, checked
//! against finite differences, then trained.
//!
//! ```text
//! cargo run --release --example custom_objective
//! ```
//!
//! Copy `focal_loss` and change its body to try any idea: every operation records itself on
//! the tape, so the gradient comes for free, in f32 for speed and in f64 for checking.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Lines};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Float, Tape, Tensor, Var, gradcheck};
use train::{Activation, Adam, BatchLoader, Divergence, Mlp, Module, Optimizer, ParamStore};

/// The focal loss of Lin et al. (2017), for `logits [n, classes]` and integer `labels`:
///
/// `FL = -(1/n) sum_i (1 - p_i)^gamma ln p_i`, with `p_i = softmax(z_i)[y_i]`.
///
/// `gamma = 0` is softmax cross-entropy; `gamma > 0` down-weights the examples the model
/// already classifies well, so training concentrates on the hard ones.
pub fn focal_loss<'t, T: Float>(logits: Var<'t, T>, labels: &[usize], gamma: f64) -> Var<'t, T> {
    // ln p_i from the fused, stable log-softmax: finite for logits of any size.
    let log_p = logits.log_softmax_gather(labels);
    let weight = (-log_p.exp() + T::ONE).powf(T::from_f64(gamma)); // (1 - p_i)^gamma
    -(weight * log_p).mean()
}

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "custom_objective",
    about = "A new objective (the focal loss) in a dozen lines: gradient-checked, then trained."
)]
pub struct Config {
    /// The focusing parameter `gamma` the model is trained with.
    #[arg(long, value_name = "G", default_value_t = 2.0, value_parser = cli::finite::<f64>)]
    pub gamma: f64,
    /// Training digits.
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub train: usize,
    /// Held-out digits.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub test: usize,
    /// Passes over the training digits.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub epochs: usize,
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
    /// The gradient check's largest relative error, `|analytic - numeric| / max(1, |.|)`.
    pub gradcheck_error: f64,
    /// Accuracy on the held-out digits after training.
    pub accuracy: f64,
    /// The training loss at every step.
    pub losses: Vec<f64>,
}

/// The loss of one example against the probability `p` its class gets, for several `gamma`
/// (the focal loss paper's first figure): two classes with logits `(ln p, ln(1 - p))`.
fn loss_against_probability() -> Lines {
    let tape = Tape::<f64>::new();
    let mut panel = Lines::new("focal loss of one example")
        .x_label("probability of the true class")
        .y_label("loss");
    for gamma in [0.0, 0.5, 1.0, 2.0, 5.0] {
        let curve = (1..100).map(|k| {
            let p = k as f64 / 100.0;
            let z = tape.constant(Tensor::from_vec(vec![p.ln(), (1.0 - p).ln()], [1, 2]));
            (p, focal_loss(z, &[0], gamma).item())
        });
        panel = panel.series(format!("gamma = {gamma}"), curve.collect());
    }
    panel
}

/// Checks, draws and trains the focal loss.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);

    // 1. Check the tape's gradient against central differences, in f64.
    let logits = Tensor::from_fn([8, 5], |_| rng.random_range(-3.0..3.0));
    let labels: Vec<usize> = (0..8).map(|_| rng.random_range(0..5)).collect();
    let check = gradcheck(|v| focal_loss(v[0], &labels, config.gamma), &[logits]);
    println!(
        "gradient check: max relative error {:.1e}",
        check.max_rel_error
    );
    // A NaN error fails too.
    if check.max_rel_error.is_nan() || check.max_rel_error > 1e-6 {
        return Err(format!(
            "the gradient check failed (more than 1e-6 allowed): {check}"
        ));
    }

    // 2. Draw it.
    let shapes = loss_against_probability();

    // 3. Train a digit classifier with it, exactly like any built-in loss.
    let train = train::synth::digits(config.train, &mut rng);
    let test = train::synth::digits(config.test, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(
        &mut store,
        "mlp",
        &[784, 128, 10],
        Activation::Relu,
        &mut rng,
    );
    let mut optimizer = Adam::new(1e-3);
    let mut loader = BatchLoader::new(64);
    let mut tape = Tape::new();
    let mut losses = Vec::new();
    for epoch in 1..=config.epochs {
        loader.shuffle(train.len(), &mut rng);
        let mut step = 0;
        while let Some(batch) = loader.next_batch(&train) {
            step += 1;
            let loss = store.compute_grads(&mut tape, |p| {
                let logits = model.forward(p, p.tape().constant(batch.inputs.clone()));
                focal_loss(logits, batch.labels, config.gamma)
            });
            Divergence::check(
                &store,
                loss.into(),
                Some(epoch),
                step,
                optimizer.learning_rate(),
            )
            .map_err(|d| d.advice("try a smaller --gamma"))?;
            optimizer.step(&mut store);
            losses.push(f64::from(loss));
        }
        let recent = &losses[losses.len() - loader.batches_per_epoch(train.len())..];
        let mean = recent.iter().sum::<f64>() / recent.len() as f64;
        println!(
            "epoch {epoch}  focal loss (gamma = {}) {mean:.4}",
            config.gamma
        );
    }
    let (_, accuracy) = train::evaluate(&model, &store, &test, 256);

    let steps = Lines::new(format!("training with gamma = {}", config.gamma))
        .x_label("step")
        .y_label("focal loss")
        .values("per step", &losses)
        .values("moving average", &plot::moving_average(&losses, 50))
        .log_y();
    plot::lines(config.out.join("custom_objective.svg"), &[shapes, steps])?;
    Ok(Report {
        gradcheck_error: check.max_rel_error,
        accuracy,
        losses,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.gamma < 0.0 || config.train == 0 || config.test == 0 || config.epochs == 0 {
        return Err("--gamma must be >= 0; --train, --test and --epochs at least 1".into());
    }
    // The digits: 784 f32 pixels each.
    let digits = config.train as u128 + config.test as u128;
    let flags = format!("--train {} and --test {}", config.train, config.test);
    check::memory(&flags, 4 * 784 * digits)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the gradient check or the accuracy misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!("wrote custom_objective.svg to {}", config.out.display());
    let required = [
        Requirement::at_most("the gradient check's error", report.gradcheck_error, 1e-6),
        Requirement::at_least("the held-out accuracy", report.accuracy, 0.9),
    ];
    println!(
        "focal loss: gradient check error {:.1e} ({}), held-out accuracy {:.3} ({}; {:.1} s)",
        report.gradcheck_error,
        required[0].label(),
        report.accuracy,
        required[1].label(),
        started.elapsed().as_secs_f64()
    );
    Requirement::check_all(&required)
}
