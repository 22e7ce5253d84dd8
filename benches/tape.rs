//! Engine benchmarks: forward + backward producing every parameter gradient, f32, fixed seed.
//!
//! - `mlp_step`: MLP 784-512-256-10, ReLU, mean softmax cross-entropy over batch 128.
//! - `mlp_step_b1`: the same with batch 1.
//! - `scalar_chain`: x = tanh(x * 1.0001 + 0.1) 5,000 times from x = 0.5 on a [`ScalarTape`],
//!   then backward (15,000 recorded operations).
//! - `scalar_chain_tensor`: the same chain on the tensor [`Tape`] with one-element tensors.
//!
//! With `LOSSGRAPH_BARE_STEPS=N` in the environment the binary runs `mlp_step` N times in a
//! plain loop instead, prints the median step time and exits: `benches/compare/run.sh` reads
//! that process's peak RSS as the engine's own footprint, without criterion's (about 5 MB).

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{ScalarTape, Tape, Tensor, Var};

const WIDTHS: [usize; 4] = [784, 512, 256, 10];

fn uniform(rng: &mut StdRng, shape: &[usize], scale: f32) -> Tensor<f32> {
    Tensor::from_fn(shape, |_| rng.random_range(-scale..scale))
}

struct Mlp {
    weights: Vec<Tensor<f32>>,
    biases: Vec<Tensor<f32>>,
}

impl Mlp {
    fn new(rng: &mut StdRng) -> Self {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for w in WIDTHS.windows(2) {
            let scale = (6.0 / (w[0] + w[1]) as f32).sqrt();
            weights.push(uniform(rng, &[w[0], w[1]], scale));
            biases.push(Tensor::zeros([w[1]]));
        }
        Mlp { weights, biases }
    }

    /// One forward + backward step; returns the loss.
    fn step(&self, tape: &Tape<f32>, x: &Tensor<f32>, labels: &[usize]) -> f32 {
        let params: Vec<(Var<f32>, Var<f32>)> = self
            .weights
            .iter()
            .zip(&self.biases)
            .map(|(w, b)| (tape.var(w.clone()), tape.var(b.clone())))
            .collect();
        let mut h = tape.constant(x.clone());
        for (i, &(w, b)) in params.iter().enumerate() {
            // ReLU between layers, fused into the product; none after the last.
            h = if i + 1 < params.len() {
                h.linear_relu(w, b)
            } else {
                h.linear(w, b)
            };
        }
        let loss = -h.log_softmax_gather(labels).mean();
        loss.backward();
        for &(w, b) in &params {
            black_box((w.grad(), b.grad()));
        }
        loss.item()
    }
}

/// The network, a batch of inputs and their labels, from a fixed seed.
fn mlp_setup(batch: usize) -> (Mlp, Tensor<f32>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(42);
    let mlp = Mlp::new(&mut rng);
    let x = uniform(&mut rng, &[batch, WIDTHS[0]], 1.0);
    let labels: Vec<usize> = (0..batch).map(|_| rng.random_range(0..10)).collect();
    (mlp, x, labels)
}

fn mlp_bench(c: &mut Criterion, name: &str, batch: usize) {
    let (mlp, x, labels) = mlp_setup(batch);
    let mut tape = Tape::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            tape.reset();
            black_box(mlp.step(&tape, &x, &labels))
        })
    });
}

fn mlp_step(c: &mut Criterion) {
    mlp_bench(c, "mlp_step", 128);
}

fn mlp_step_b1(c: &mut Criterion) {
    mlp_bench(c, "mlp_step_b1", 1);
}

/// Records x = tanh(x * 1.0001 + 0.1) `steps` times and sweeps back; 3 nodes per step.
fn scalar_chain_step(tape: &ScalarTape<f32>, steps: usize) -> f32 {
    let x0 = tape.var(0.5);
    let mut x = x0;
    for _ in 0..steps {
        x = (x * 1.0001 + 0.1).tanh();
    }
    x.backward();
    x0.grad()
}

fn tensor_chain_step(tape: &Tape<f32>, steps: usize) -> f32 {
    let x0 = tape.var(Tensor::from_vec(vec![0.5], [1]));
    let mut x = x0;
    for _ in 0..steps {
        x = (x * 1.0001 + 0.1).tanh();
    }
    x.backward();
    x0.grad().map_or(0.0, |g| g.item())
}

fn scalar_chain(c: &mut Criterion) {
    let mut tape = ScalarTape::new();
    c.bench_function("scalar_chain", |b| {
        b.iter(|| {
            tape.reset();
            black_box(scalar_chain_step(&tape, 5_000))
        })
    });
    let mut tape = Tape::new();
    c.bench_function("scalar_chain_tensor", |b| {
        b.iter(|| {
            tape.reset();
            black_box(tensor_chain_step(&tape, 5_000))
        })
    });
}

/// `mlp_step` `steps` times with no harness; prints the median step time.
fn bare_mlp_steps(steps: usize) {
    let (mlp, x, labels) = mlp_setup(128);
    let mut tape = Tape::new();
    let mut times = Vec::with_capacity(steps);
    for _ in 0..steps {
        tape.reset();
        let start = std::time::Instant::now();
        black_box(mlp.step(&tape, &x, &labels));
        times.push(start.elapsed());
    }
    times.sort();
    if let Some(median) = times.get(steps / 2) {
        println!("mlp_step, bare loop of {steps} steps: median {median:?}");
    }
}

criterion_group!(benches, mlp_step, mlp_step_b1, scalar_chain);

fn main() {
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
