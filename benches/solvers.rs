//! Second-order and full-batch solver benchmarks (issue 20's comparison rows):
//!
//! - `hvp_mlp` (criterion): the Hessian-vector product of `mlp_step`'s loss (784-512-256-10,
//!   ReLU, batch 128, f32) along fixed directions, beside `grad_mlp`, the gradient alone,
//!   for the ratio of their costs; `hvp_mlp_at_point`, a further product at the same point
//!   (the forward pass and the recorded gradient reused, as each of Newton-CG's
//!   conjugate-gradient steps uses them).
//! - `lbfgs_softmax` (with `MNIST_DIR` set): L2 softmax regression on the first 8,000 MNIST
//!   t10k images, lambda = 1e-4 on the weights, f64, solved from zero by L-BFGS to a largest
//!   gradient entry of `LOSSGRAPH_GTOL` (default 1e-8; SciPy's `gtol`), three times; prints
//!   `RESULT<TAB>lossgraph<TAB>0<TAB>lbfgs_softmax<TAB>metric<TAB>value` lines (median
//!   seconds, iterations, final objective) for `benches/compare/run.sh`.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use lossgraph::{losses, tape, train};
use tape::{Tape, Tensor};
use train::ParamStore;
use train::solve::Lbfgs;

#[path = "workloads/mod.rs"]
mod workloads;

fn hvp_mlp(c: &mut Criterion) {
    let mlp = workloads::MlpStep::new(128);
    let directions = mlp.directions();
    let mut tape = Tape::new();
    c.bench_function("hvp_mlp", |b| {
        b.iter(|| {
            tape.reset();
            black_box(mlp.hvp(&tape, &directions))
        })
    });
    tape.reset();
    let (loss, params) = mlp.loss_and_params(&tape);
    let at_point = tape.hessian_operator(loss, &params);
    c.bench_function("hvp_mlp_at_point", |b| {
        b.iter(|| black_box(at_point.apply(&directions)))
    });
    drop(at_point);
    c.bench_function("grad_mlp", |b| {
        b.iter(|| {
            tape.reset();
            black_box(mlp.step(&tape))
        })
    });
}

/// The first 8,000 t10k images as f64 `[n, 784]` in [0, 1] and their labels.
fn mnist_train(dir: &Path) -> Result<(Tensor<f64>, Vec<usize>), String> {
    let data = train::mnist::read_mnist_set(dir, "t10k").map_err(|e| e.to_string())?;
    let n = 8000.min(data.len());
    let d = data.features();
    let x = data.inputs.data()[..n * d]
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    Ok((Tensor::from_vec(x, [n, d]), data.labels[..n].to_vec()))
}

/// Solves the problem three times; prints the median time, the iterations and the objective.
fn lbfgs_softmax(dir: &Path) -> Result<(), String> {
    let (x, labels) = mnist_train(dir)?;
    let (n, d) = (x.shape().dims()[0], x.shape().dims()[1]);
    let lambda = 1e-4;
    let gtol = match std::env::var("LOSSGRAPH_GTOL") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("LOSSGRAPH_GTOL must be a number, not {v:?}"))?,
        Err(_) => 1e-8,
    };
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let mut store = ParamStore::<f64>::new();
        let w = store.add("w", Tensor::zeros([d, 10]));
        let b = store.add("b", Tensor::zeros([10]));
        let started = Instant::now();
        let report = Lbfgs::new()
            .gtol(gtol)
            .ftol(0.0)
            .minimize(&mut store, |p| {
                let logits = p.tape().constant(x.clone()).matmul(p.get(w)) + p.get(b);
                softmax_cross_entropy(logits, &labels, Reduction::Mean)
                    + p.get(w).square().sum() * (lambda / 2.0)
            })
            .map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64());
        eprintln!("lbfgs_softmax ({n} images): {report}");
        last = Some(report);
    }
    times.sort_by(f64::total_cmp);
    let report = last.expect("three solves");
    let result = |metric: &str, value: String| {
        println!("RESULT\tlossgraph\t0\tlbfgs_softmax\t{metric}\t{value}");
    };
    result("seconds", format!("{:e}", times[1]));
    result("iterations", report.iterations.to_string());
    result("objective", format!("{:.17e}", report.value));
    result("gradient_max", format!("{:e}", report.gradient_max));
    Ok(())
}

criterion_group!(benches, hvp_mlp);

fn main() {
    eprintln!("lossgraph {}", tape::cpu_features());
    benches();
    Criterion::default().configure_from_args().final_summary();
    if let Some(dir) = std::env::var_os("MNIST_DIR") {
        if let Err(e) = lbfgs_softmax(Path::new(&dir)) {
            eprintln!("lbfgs_softmax: {e}");
            std::process::exit(1);
        }
    } else {
        eprintln!("lbfgs_softmax skipped: set MNIST_DIR to the folder with the MNIST t10k files");
    }
}
