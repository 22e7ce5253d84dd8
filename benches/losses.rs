//! Objective benchmarks: forward + backward with respect to the inputs, f32, fixed seed, one
//! tape reused across iterations (the workloads are defined in `benches/workloads`).
//!
//! - `softmax_ce`: logits [1024, 1000], mean softmax cross-entropy.
//! - `fast_rcnn`: class logits [512, 21] (25% background), box deltas [512, 84], targets [512, 4].
//! - `deepid2`: features [256, 160] through W [160, 10000], identification plus verification over
//!   pairs (2i, 2i+1), margin 1.
//! - `center_loss`: features [256, 512], 10 classes through W [512, 10], centres [10, 512].
//! - `gan_step`: G 64-256-256-2 and D 2-256-256-1 (ReLU), batch 256; the discriminator loss on
//!   detached samples, then the non-saturating generator loss with D held fixed, each with its
//!   backward pass.

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use lossgraph::{losses, tape};
use tape::Tape;

#[path = "workloads/mod.rs"]
mod workloads;

/// Runs `step` on a fresh recording each iteration; `step` creates its Vars on the tape it is
/// given, so they are gone before the next `reset`.
fn bench_steps(c: &mut Criterion, name: &str, step: impl Fn(&Tape<f32>) -> f32) {
    let mut tape = Tape::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            tape.reset();
            black_box(step(&tape))
        })
    });
}

fn objectives(c: &mut Criterion) {
    let softmax_ce = workloads::SoftmaxCe::new();
    bench_steps(c, "softmax_ce", |tape| softmax_ce.step(tape));
    let fast_rcnn = workloads::FastRcnn::new();
    bench_steps(c, "fast_rcnn", |tape| fast_rcnn.step(tape));
    let deepid2 = workloads::DeepId2::new();
    bench_steps(c, "deepid2", |tape| deepid2.step(tape));
    let center_loss = workloads::CenterLoss::new();
    bench_steps(c, "center_loss", |tape| center_loss.step(tape));
    let gan_step = workloads::GanStep::new();
    bench_steps(c, "gan_step", |tape| gan_step.step(tape));
}

criterion_group!(benches, objectives);

fn main() {
    eprintln!("lossgraph {}", tape::cpu_features());
    benches();
    Criterion::default().configure_from_args().final_summary();
}
