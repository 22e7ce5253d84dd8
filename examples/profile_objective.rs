//! Benchmark and profile your own objective: forward and backward medians with their spread,
//! the backward/forward ratio, the slowest operations, a Chrome trace and the graph.
//!
//! ```text
//! cargo run --release --example profile_objective
//! ```
//!
//! Copy this file and put your objective in `objective`: the closure given to
//! `time_backward` records it on the tape it is handed and returns the loss.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gallery::cli::{self, check};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::bench::{Bench, Timing};
use tape::{DotOptions, Tape, Tensor, Var};

/// The objective under test, InfoNCE on a batch of paired embeddings: with
/// `z = tanh(x W)` and `z' = tanh(x' W)` (`n` rows each) and similarities
/// `s_ij = z_i . z'_j / tau`, the loss is `-(1/n) sum_i log softmax(s_i)[i]`: each row's
/// partner must score above every other row.
pub fn objective<'t>(x: Var<'t, f32>, x2: Var<'t, f32>, w: Var<'t, f32>, tau: f32) -> Var<'t, f32> {
    let (z, z2) = (x.matmul(w).tanh(), x2.matmul(w).tanh());
    let s = z.matmul_t(z2, false, true) * (1.0 / tau);
    let diagonal: Vec<usize> = (0..s.dims()[0]).collect();
    -s.log_softmax_gather(&diagonal).mean()
}

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "profile_objective",
    about = "Times and profiles the forward and backward passes of an objective (InfoNCE here)."
)]
pub struct Config {
    /// Rows per batch.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub batch: usize,
    /// Input width.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub input: usize,
    /// Embedding width.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub embedding: usize,
    /// Seconds of warm-up before sampling.
    #[arg(long, value_name = "S", default_value_t = 1.0, value_parser = cli::finite::<f64>)]
    pub warm_up: f64,
    /// Seconds the samples take together, about.
    #[arg(long, value_name = "S", default_value_t = 2.0, value_parser = cli::finite::<f64>)]
    pub measurement: f64,
    /// How many samples.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub samples: usize,
    /// Where the trace and the graph go.
    #[arg(long, value_name = "DIR", default_value = cli::OUT_DIR, value_parser = cli::path)]
    pub out: PathBuf,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
    }
}

/// Times the objective on random data and writes its trace and graph into `config.out`.
pub fn run(config: &Config) -> Result<Timing, String> {
    check::output_dir("--out", &config.out)?;
    std::fs::create_dir_all(&config.out)
        .map_err(|err| format!("cannot create {}: {err}", config.out.display()))?;
    let mut rng = StdRng::seed_from_u64(0);
    let mut uniform =
        |shape: [usize; 2], a: f32| Tensor::from_fn(shape, |_| rng.random_range(-a..a));
    let (n, d, e) = (config.batch, config.input, config.embedding);
    let x = uniform([n, d], 1.0);
    let x2 = uniform([n, d], 1.0);
    let w = uniform([d, e], (6.0 / (d + e) as f32).sqrt());
    let seconds = |s: f64| Duration::from_secs_f64(s.max(0.0));
    let timing = Bench::new()
        .warm_up(seconds(config.warm_up))
        .measurement(seconds(config.measurement))
        .samples(config.samples)
        .time_backward(|tape| {
            let w = tape.var(w.clone());
            objective(tape.constant(x.clone()), tape.constant(x2.clone()), w, 0.1)
        });
    let trace = config.out.join("profile_objective.trace.json");
    timing
        .profile
        .write_chrome_trace(&trace)
        .map_err(|err| format!("cannot write {}: {err}", trace.display()))?;
    // The graph of one step, for `dot -Tsvg`.
    let tape = Tape::new();
    let loss = objective(
        tape.constant(x.clone()),
        tape.constant(x2.clone()),
        tape.var(w.clone()),
        0.1,
    );
    let dot = config.out.join("profile_objective.dot");
    std::fs::write(&dot, loss.to_dot(&DotOptions::new()))
        .map_err(|err| format!("cannot write {}: {err}", dot.display()))?;
    Ok(timing)
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the timing and the profile.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(());
    };
    println!(
        "InfoNCE, batch {} x {} -> {}, f32; {}",
        config.batch,
        config.input,
        config.embedding,
        tape::cpu_features()
    );
    let timing = run(&config)?;
    println!("{timing}");
    let out = config.out.display();
    println!("\nwrote {out}/profile_objective.trace.json (open in https://ui.perfetto.dev)");
    println!(
        "wrote {out}/profile_objective.dot (dot -Tsvg {out}/profile_objective.dot -o graph.svg)"
    );
    Ok(())
}
