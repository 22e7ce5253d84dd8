//! lossgraph's benchmark workloads timed from a crate that depends on it as a user's would:
//! a path dependency on the `lossgraph` facade and default build flags. `benches/compare/run.sh`
//! puts these times beside the workspace's own ("lossgraph as a dependency").

use std::hint::black_box;

use criterion::Criterion;
use lossgraph::tape::{ScalarTape, Tape};
use lossgraph::{losses, tape};

#[path = "../../workloads/mod.rs"]
mod workloads;

fn bench(c: &mut Criterion, name: &str, step: impl Fn(&Tape<f32>) -> f32) {
    let mut tape = Tape::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            tape.reset();
            black_box(step(&tape))
        })
    });
}

fn main() {
    eprintln!("lossgraph as a dependency: {}", tape::cpu_features());
    let mut c = Criterion::default().configure_from_args();
    let (mlp, mlp_b1) = (workloads::MlpStep::new(128), workloads::MlpStep::new(1));
    bench(&mut c, "mlp_step", |tape| mlp.step(tape));
    bench(&mut c, "mlp_step_b1", |tape| mlp_b1.step(tape));
    let mut scalar = ScalarTape::new();
    c.bench_function("scalar_chain", |b| {
        b.iter(|| {
            scalar.reset();
            black_box(workloads::scalar_chain(&scalar, 5_000))
        })
    });
    bench(&mut c, "scalar_chain_tensor", |tape| {
        workloads::scalar_chain_tensor(tape, 5_000)
    });
    let softmax_ce = workloads::SoftmaxCe::new();
    bench(&mut c, "softmax_ce", |tape| softmax_ce.step(tape));
    let fast_rcnn = workloads::FastRcnn::new();
    bench(&mut c, "fast_rcnn", |tape| fast_rcnn.step(tape));
    let deepid2 = workloads::DeepId2::new();
    bench(&mut c, "deepid2", |tape| deepid2.step(tape));
    let center_loss = workloads::CenterLoss::new();
    bench(&mut c, "center_loss", |tape| center_loss.step(tape));
    let gan_step = workloads::GanStep::new();
    bench(&mut c, "gan_step", |tape| gan_step.step(tape));
    c.final_summary();
}
