//! Nonlinear regression with `fit` in f64, stopped early on a validation metric (catalogue R1).
//!
//! ```text
//! cargo run --release --example regression
//! cargo run --release --example regression -- --help
//! ```
//!
//! An MLP 1-32-32-1 (tanh) learns `y = sin(3x) + e` on `x` in [-1, 1], with Gaussian noise `e`
//! of standard deviation `sigma`, by minimising the mean squared error `(1/n) sum_i (f(x_i) -
//! y_i)^2` with Adam in mini-batches. `fit` measures the validation MSE after each epoch,
//! stops once it has not improved for `--patience` epochs and puts back the best epoch's
//! parameters. No model can beat the noise: the smallest expected test MSE is `sigma^2`, which
//! is what the result is measured against.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Lines};
use losses::Reduction;
use losses::regression::mse;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use tape::{Tape, Tensor};
use train::fit::{EarlyStopping, Fit, FitConfig};
use train::{Activation, Adam, Mlp, Module, ParamStore, Supervised, SupervisedBatch};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "regression",
    about = "An MLP fits sin(3x) + noise in f64 with fit, stopped early on the validation MSE."
)]
pub struct Config {
    /// Training points.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub train: usize,
    /// Validation points (early stopping watches their MSE).
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub validation: usize,
    /// Test points the result is measured on.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub test: usize,
    /// Standard deviation of the noise.
    #[arg(long, value_name = "S", default_value_t = 0.1, value_parser = cli::finite::<f64>)]
    pub sigma: f64,
    /// At most this many epochs.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub epochs: usize,
    /// Points per step.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", default_value_t = 0.003, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Epochs without a better validation MSE before stopping.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub patience: usize,
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
    /// Epochs run before early stopping (or the last).
    pub epochs_run: usize,
    /// The epoch of the best validation MSE, whose parameters the model ends with.
    pub best_epoch: usize,
    /// Mean squared error on the test points.
    pub test_mse: f64,
    /// `test_mse / sigma^2`: 1 is the best any model can expect.
    pub ratio: f64,
}

/// `n` points `(x, sin(3x) + e)`, `x` uniform in [-1, 1], as `[n, 1]` inputs and targets.
fn sample(n: usize, sigma: f64, rng: &mut StdRng) -> Result<Supervised<f64>, String> {
    let noise = Normal::new(0.0, sigma).map_err(|e| e.to_string())?;
    let x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let y: Vec<f64> = x
        .iter()
        .map(|x| (3.0 * x).sin() + noise.sample(rng))
        .collect();
    Supervised::new(Tensor::from_vec(x, [n, 1]), Tensor::from_vec(y, [n, 1]))
}

/// The model's mean squared error on `data`, with the parameters bound frozen.
fn mean_squared_error(model: &Mlp, store: &ParamStore<f64>, data: &Supervised<f64>) -> f64 {
    let tape = Tape::new();
    let p = store.bind_frozen(&tape);
    let prediction = model.forward(&p, tape.constant(data.inputs.clone()));
    mse(
        prediction,
        tape.constant(data.targets.clone()),
        Reduction::Mean,
    )
    .item()
}

/// Trains with early stopping and measures the test MSE.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let train = sample(config.train, config.sigma, &mut rng)?;
    let validation = sample(config.validation, config.sigma, &mut rng)?;
    let test = sample(config.test, config.sigma, &mut rng)?;
    let mut store = ParamStore::<f64>::new();
    let model = Mlp::new(
        &mut store,
        "mlp",
        &[1, 32, 32, 1],
        Activation::Tanh,
        &mut rng,
    );
    println!(
        "{} training, {} validation and {} test points of sin(3x) + N(0, {}^2); MLP 1-32-32-1 \
         (tanh, f64), Adam lr {}, batch {}, at most {} epochs, patience {}",
        config.train,
        config.validation,
        config.test,
        config.sigma,
        config.lr,
        config.batch_size,
        config.epochs,
        config.patience
    );
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size,
        verbose: false,
        early_stopping: Some(
            EarlyStopping::minimize("val_loss", config.patience).restore_best(true),
        ),
        ..FitConfig::default()
    };
    let history = Fit::new(&fit_config)
        .metrics(|store| [("val_loss", mean_squared_error(&model, store, &validation))])
        .on_epoch(|m, _| {
            if m.epoch % 25 == 0 {
                println!(
                    "  epoch {:3}  train MSE {:.5}  validation MSE {:.5}",
                    m.epoch, m.train_loss, m.val_loss
                );
            }
            std::ops::ControlFlow::Continue(())
        })
        .run(
            &mut store,
            &mut Adam::new(config.lr),
            &train,
            |p, batch: &SupervisedBatch<f64>| {
                let prediction = model.forward(p, p.tape().constant(batch.inputs.clone()));
                mse(
                    prediction,
                    p.tape().constant(batch.targets.clone()),
                    Reduction::Mean,
                )
            },
            &mut rng,
        )
        .map_err(|e| e.to_string())?;
    let best = history
        .best("val_loss", train::Goal::Minimize)
        .ok_or("no epoch measured a finite validation MSE")?;
    let test_mse = mean_squared_error(&model, &store, &test);
    draw(config, &model, &store, &history)?;
    Ok(Report {
        epochs_run: history.epochs.len(),
        best_epoch: best.epoch,
        test_mse,
        ratio: test_mse / (config.sigma * config.sigma),
    })
}

/// Writes `regression.svg`: the fitted curve against `sin(3x)`, and the losses per epoch.
fn draw(
    config: &Config,
    model: &Mlp,
    store: &ParamStore<f64>,
    history: &train::History,
) -> Result<(), String> {
    let grid = Tensor::from_fn([201, 1], |i| -1.0 + i as f64 / 100.0);
    let tape = Tape::new();
    let p = store.bind_frozen(&tape);
    let fitted = model.forward(&p, tape.constant(grid.clone())).value();
    let xs = grid.data().iter().copied();
    let curve = |f: &dyn Fn(usize, f64) -> f64| -> Vec<(f64, f64)> {
        xs.clone().enumerate().map(|(i, x)| (x, f(i, x))).collect()
    };
    let losses =
        |f: fn(&train::EpochMetrics) -> f64| -> Vec<f64> { history.epochs.iter().map(f).collect() };
    plot::lines(
        config.out.join("regression.svg"),
        &[
            Lines::new("fitted MLP vs the noiseless function")
                .x_label("x")
                .series("sin(3x)", curve(&|_, x| (3.0 * x).sin()))
                .series("MLP (best epoch)", curve(&|i, _| fitted.data()[i])),
            Lines::new("mean squared error per epoch")
                .x_label("epoch")
                .log_y()
                .values("training", &losses(|m| m.train_loss))
                .values("validation", &losses(|m| m.val_loss)),
        ],
    )
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    let counts = [config.train, config.validation, config.test];
    if counts.contains(&0) || config.epochs == 0 || config.batch_size == 0 {
        return Err(
            "--train, --validation, --test, --epochs, --batch-size must be at least 1".into(),
        );
    }
    if config.sigma <= 0.0 || config.lr <= 0.0 {
        return Err(format!(
            "--sigma and --lr must be positive, got {} and {}",
            config.sigma, config.lr
        ));
    }
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// How close to the noise floor the test MSE must come: at most this many times `sigma^2`.
pub const REQUIRED_RATIO: f64 = 1.15;

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the test MSE is not close enough to the noise floor.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!("wrote regression.svg to {}", config.out.display());
    let required = Requirement::at_most("test MSE / sigma^2", report.ratio, REQUIRED_RATIO);
    let ended = if report.epochs_run < config.epochs {
        "stopped early after epoch"
    } else {
        "ran all epochs, to epoch"
    };
    println!(
        "{ended} {} (best validation MSE at epoch {}, restored); test MSE {:.5} vs noise \
         variance {:.5}: {:.3} times ({}; {:.1} s)",
        report.epochs_run,
        report.best_epoch,
        report.test_mse,
        config.sigma * config.sigma,
        report.ratio,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
