//! Engine benchmarks: forward + backward producing every parameter gradient, f32, fixed seed
//! (the workloads are defined in `benches/workloads`).
//!
//! - `mlp_step`: MLP 784-512-256-10, ReLU, mean softmax cross-entropy over batch 128.
//! - `mlp_step_b1`: the same with batch 1.
//! - `scalar_chain`: x = tanh(x * 1.0001 + 0.1) 5,000 times from x = 0.5 on a `ScalarTape`,
//!   then backward (15,000 recorded operations).
//! - `scalar_chain_tensor`: the same chain on the tensor `Tape` with one-element tensors.
//!
//! With `LOSSGRAPH_BARE_STEPS=N` in the environment the binary runs `mlp_step` N times in a
//! plain loop instead, prints the median step time and exits: `benches/compare/run.sh` reads
//! that process's peak RSS as the engine's own footprint, without criterion's (about 5 MB).

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use lossgraph::{losses, tape};
use tape::{ScalarTape, Tape};

#[path = "workloads/mod.rs"]
mod workloads;

fn mlp_bench(c: &mut Criterion, name: &str, batch: usize) {
    let mlp = workloads::MlpStep::new(batch);
    let mut tape = Tape::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            tape.reset();
            black_box(mlp.step(&tape))
        })
    });
}

fn mlp_step(c: &mut Criterion) {
    mlp_bench(c, "mlp_step", 128);
}

fn mlp_step_b1(c: &mut Criterion) {
    mlp_bench(c, "mlp_step_b1", 1);
}

fn scalar_chain(c: &mut Criterion) {
    let mut tape = ScalarTape::new();
    c.bench_function("scalar_chain", |b| {
        b.iter(|| {
            tape.reset();
            black_box(workloads::scalar_chain(&tape, 5_000))
        })
    });
    let mut tape = Tape::new();
    c.bench_function("scalar_chain_tensor", |b| {
        b.iter(|| {
            tape.reset();
            black_box(workloads::scalar_chain_tensor(&tape, 5_000))
        })
    });
}

/// `mlp_step` `steps` times with no harness; prints the median step time.
fn bare_mlp_steps(steps: usize) {
    let mlp = workloads::MlpStep::new(128);
    let mut tape = Tape::new();
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps {
        tape.reset();
        let start = std::time::Instant::now();
        black_box(mlp.step(&tape));
        times.push(start.elapsed());
    }
    times.sort();
    if let Some(median) = times.get(steps / 2) {
        println!("mlp_step, bare loop of {steps} steps: median {median:?}");
    }
}

criterion_group!(benches, mlp_step, mlp_step_b1, scalar_chain);

fn main() {
    eprintln!("lossgraph {}", tape::cpu_features());
    match std::env::var("LOSSGRAPH_BARE_STEPS") {
        Ok(steps) => match steps.parse() {
            Ok(steps) => bare_mlp_steps(steps),
            Err(_) => {
                eprintln!("LOSSGRAPH_BARE_STEPS must be a step count, not {steps:?}");
                std::process::exit(2);
            }
        },
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
