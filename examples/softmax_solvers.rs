//! L2-regularised softmax regression solved to the optimum: L-BFGS and Newton-CG, in f64.
//!
//! ```text
//! cargo run --release --example softmax_solvers                  # built-in digits, offline
//! cargo run --release --example softmax_solvers -- --data DIR    # MNIST t10k: 8,000 to train
//! cargo run --release --example softmax_solvers -- --train 500   # a quick run on 500 digits
//! ```
//!
//! The objective is `(1/n) sum_i -ln softmax(x_i W + b)[y_i] + (lambda/2) |W|^2` over 8,000
//! digits (784-10, 7,850 parameters; the bias is not penalised), strictly convex, so its
//! minimiser is unique: both solvers must reach it to `gtol` (the largest gradient entry), and
//! their objectives must agree. L-BFGS uses gradients only; Newton-CG solves each Newton step
//! by conjugate gradient on Hessian-vector products (the tape differentiating its own
//! recorded gradient). Validation accuracy is measured on the other 2,000.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement};
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tensor, Var};
use train::solve::{Lbfgs, Method, NewtonCg, Report, minimize};
use train::{Dataset, ParamId, ParamStore, Params, mnist};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "softmax_solvers",
    about = "L2 softmax regression solved to the optimum by L-BFGS and Newton-CG (f64)."
)]
pub struct Config {
    /// The MNIST folder, or `None` for the built-in digits.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The L2 weight on `W`.
    #[arg(long, value_name = "W", default_value_t = 1e-4, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Both solvers stop when the largest gradient entry is at most this.
    #[arg(long, value_name = "G", default_value_t = 1e-8, value_parser = cli::finite::<f64>)]
    pub gtol: f64,
    /// Train on the first N digits of the training split (at most its size).
    #[arg(long, value_name = "N", default_value_t = 8000)]
    pub train: usize,
    /// Seed of the built-in digits.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
    }
}

/// One solver's result.
#[derive(Clone, Debug)]
pub struct Solved {
    /// What the solver reported.
    pub report: Report,
    /// Wall time of the solve.
    pub seconds: f64,
    /// Accuracy on the validation digits.
    pub accuracy: f64,
}

/// The inputs as f64 and the labels.
fn as_f64(data: &Dataset) -> (Tensor<f64>, Vec<usize>) {
    let x = data.inputs.data().iter().map(|&v| f64::from(v)).collect();
    (
        Tensor::from_vec(x, data.inputs.shape().clone()),
        data.labels.clone(),
    )
}

/// The first `n` rows of `x` and their labels (all of them when there are fewer).
fn first_rows((x, labels): (Tensor<f64>, Vec<usize>), n: usize) -> (Tensor<f64>, Vec<usize>) {
    let n = n.min(labels.len());
    let d = x.shape().dims()[1];
    let rows = Tensor::from_vec(x.data()[..n * d].to_vec(), [n, d]);
    (rows, labels[..n].to_vec())
}

/// The regularised objective at the bound parameters.
fn objective<'t>(
    p: &Params<'t, f64>,
    (w, b): (ParamId, ParamId),
    x: &Tensor<f64>,
    labels: &[usize],
    lambda: f64,
) -> Var<'t, f64> {
    let logits = p.tape().constant(x.clone()).matmul(p.get(w)) + p.get(b);
    softmax_cross_entropy(logits, labels, Reduction::Mean)
        + p.get(w).square().sum() * (lambda / 2.0)
}

/// The fraction of `x`'s rows whose largest score is their label.
fn accuracy(
    store: &ParamStore<f64>,
    (w, b): (ParamId, ParamId),
    x: &Tensor<f64>,
    labels: &[usize],
) -> f64 {
    let scores = &x.matmul(store.value(w)) + store.value(b);
    let k = scores.shape().dims()[1];
    let right = scores
        .data()
        .chunks_exact(k)
        .zip(labels)
        .filter(|(row, label)| {
            let best = row
                .iter()
                .enumerate()
                .fold(0, |m, (i, v)| if *v > row[m] { i } else { m });
            best == **label
        })
        .count();
    right as f64 / labels.len() as f64
}

/// Solves the problem with both solvers from zero weights.
pub fn run(config: &Config) -> Result<Vec<(String, Solved)>, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let data = mnist::load_digits(config.data.as_deref(), &mut rng).map_err(|e| e.to_string())?;
    println!("data: {}", data.source);
    let (x, y) = first_rows(as_f64(&data.train), config.train);
    let (vx, vy) = (as_f64(&data.validation).0, data.validation.labels.clone());
    let (n, d) = (x.shape().dims()[0], x.shape().dims()[1]);
    println!(
        "softmax regression {d}-10 on {n} digits, lambda {}, f64, to max |grad| <= {:e}",
        config.lambda, config.gtol
    );
    let methods = [
        (
            "L-BFGS",
            Method::Lbfgs(Lbfgs::new().gtol(config.gtol).ftol(0.0)),
        ),
        (
            "Newton-CG",
            Method::NewtonCg(NewtonCg::new().gtol(config.gtol).ftol(0.0)),
        ),
    ];
    let mut results = Vec::new();
    for (name, method) in methods {
        let mut store = ParamStore::<f64>::new();
        let ids = (
            store.add("w", Tensor::zeros([d, 10])),
            store.add("b", Tensor::zeros([10])),
        );
        let started = Instant::now();
        let report = minimize(&mut store, &method, |p| {
            objective(p, ids, &x, &y, config.lambda)
        })
        .map_err(|e| e.to_string())?;
        let seconds = started.elapsed().as_secs_f64();
        let solved = Solved {
            accuracy: accuracy(&store, ids, &vx, &vy),
            report,
            seconds,
        };
        println!(
            "{name:9}: {} iterations, {} gradients, {} Hessian-vector products, {:.2} s, \
             objective {:.15e}, max |grad| {:.1e}, validation accuracy {:.4}",
            solved.report.iterations,
            solved.report.gradient_evals,
            solved.report.hessian_vector_products,
            seconds,
            solved.report.value,
            solved.report.gradient_max,
            solved.accuracy
        );
        results.push((name.to_string(), solved));
    }
    Ok(results)
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    if config.train == 0 {
        return Err("--train must be at least 1".to_string());
    }
    if config.lambda <= 0.0 || config.gtol <= 0.0 {
        return Err(format!(
            "--lambda and --gtol must be positive (a strictly convex problem with a reachable \
             tolerance), got {} and {}",
            config.lambda, config.gtol
        ));
    }
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Runs and checks: both solvers converge and their objectives agree to 1e-10 relative.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let results = run(&config)?;
    for (name, solved) in &results {
        if !solved.report.converged() {
            return Err(format!("{name} did not converge: {}", solved.report));
        }
    }
    let (a, b) = (results[0].1.report.value, results[1].1.report.value);
    let gap = (a - b).abs() / a.abs().max(b.abs());
    let required = Requirement::at_most("relative gap between the optima", gap, 1e-10);
    println!(
        "optima agree: relative gap {gap:.1e} ({})",
        required.label()
    );
    required.check()
}
