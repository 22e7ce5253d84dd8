//! Objective benchmarks: forward + backward with respect to the inputs, f32, fixed seed, one
//! tape reused across iterations.
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

use criterion::{Criterion, criterion_group, criterion_main};
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use losses::generative::{gan_discriminator, gan_generator_non_saturating};
use losses::multitask::{center_loss, deepid2, fast_rcnn};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Tape, Tensor, Var};

fn uniform(rng: &mut StdRng, shape: &[usize], scale: f32) -> Tensor<f32> {
    Tensor::from_fn(shape, |_| rng.random_range(-scale..scale))
}

fn labels(rng: &mut StdRng, n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..classes)).collect()
}

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

fn softmax_ce(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let logits = uniform(&mut rng, &[1024, 1000], 3.0);
    let y = labels(&mut rng, 1024, 1000);
    bench_steps(c, "softmax_ce", |tape| {
        let z = tape.var(logits.clone());
        let loss = softmax_cross_entropy(z, &y, Reduction::Mean);
        loss.backward();
        black_box(z.grad());
        loss.item()
    });
}

fn fast_rcnn_bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let (n, classes) = (512, 21);
    let cls = uniform(&mut rng, &[n, classes], 2.0);
    let boxes = uniform(&mut rng, &[n, 4 * classes], 1.0);
    let targets = uniform(&mut rng, &[n, 4], 1.0);
    // Every fourth RoI is background; the others belong to one of the 20 object classes.
    let y: Vec<usize> = (0..n)
        .map(|i| {
            if i % 4 == 0 {
                0
            } else {
                rng.random_range(1..classes)
            }
        })
        .collect();
    bench_steps(c, "fast_rcnn", |tape| {
        let cls = tape.var(cls.clone());
        let boxes = tape.var(boxes.clone());
        let targets = tape.constant(targets.clone());
        let loss = fast_rcnn(cls, boxes, &y, targets, 1.0, Reduction::Mean);
        loss.backward();
        black_box((cls.grad(), boxes.grad()));
        loss.item()
    });
}

fn deepid2_bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(3);
    let (n, d, identities) = (256, 160, 10_000);
    let features = uniform(&mut rng, &[n, d], 1.0);
    let weights = uniform(
        &mut rng,
        &[d, identities],
        (6.0 / (d + identities) as f32).sqrt(),
    );
    // Half the pairs share an identity, half do not.
    let mut y = labels(&mut rng, n, identities);
    for i in (0..n).step_by(4) {
        y[i + 1] = y[i];
    }
    let pairs: Vec<(usize, usize)> = (0..n / 2).map(|i| (2 * i, 2 * i + 1)).collect();
    bench_steps(c, "deepid2", |tape| {
        let f = tape.var(features.clone());
        let w = tape.var(weights.clone());
        let loss = deepid2(f, f.matmul(w), &y, &pairs, 1.0, 0.05);
        loss.backward();
        black_box((f.grad(), w.grad()));
        loss.item()
    });
}

fn center_loss_bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(4);
    let (n, d, classes) = (256, 512, 10);
    let features = uniform(&mut rng, &[n, d], 1.0);
    let weights = uniform(&mut rng, &[d, classes], (6.0 / (d + classes) as f32).sqrt());
    let centers = uniform(&mut rng, &[classes, d], 1.0);
    let y = labels(&mut rng, n, classes);
    bench_steps(c, "center_loss", |tape| {
        let f = tape.var(features.clone());
        let w = tape.var(weights.clone());
        let centers = tape.var(centers.clone());
        let loss = center_loss(f, f.matmul(w), &y, centers, 0.003, Reduction::Mean);
        loss.backward();
        black_box((f.grad(), w.grad(), centers.grad()));
        loss.item()
    });
}

/// Weights and biases of a fully connected network with the given widths.
fn layers(rng: &mut StdRng, widths: &[usize]) -> Vec<(Tensor<f32>, Tensor<f32>)> {
    widths
        .windows(2)
        .map(|w| {
            let scale = (6.0 / (w[0] + w[1]) as f32).sqrt();
            (uniform(rng, &[w[0], w[1]], scale), Tensor::zeros([w[1]]))
        })
        .collect()
}

/// The layers as differentiable leaves of this step's recording.
fn bind<'t>(
    tape: &'t Tape<f32>,
    layers: &[(Tensor<f32>, Tensor<f32>)],
) -> Vec<(Var<'t, f32>, Var<'t, f32>)> {
    layers
        .iter()
        .map(|(w, b)| (tape.var(w.clone()), tape.var(b.clone())))
        .collect()
}

/// The network's output: ReLU between layers, none after the last.
fn forward<'t>(x: Var<'t, f32>, params: &[(Var<'t, f32>, Var<'t, f32>)]) -> Var<'t, f32> {
    let mut h = x;
    for (i, &(w, b)) in params.iter().enumerate() {
        // ReLU between layers, fused into the product; none after the last.
        h = if i + 1 < params.len() {
            h.linear_relu(w, b)
        } else {
            h.linear(w, b)
        };
    }
    h
}

fn gan_step(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(5);
    let batch = 256;
    let generator = layers(&mut rng, &[64, 256, 256, 2]);
    let discriminator = layers(&mut rng, &[2, 256, 256, 1]);
    let data = uniform(&mut rng, &[batch, 2], 2.0);
    let noise = uniform(&mut rng, &[batch, 64], 1.0);
    bench_steps(c, "gan_step", |tape| {
        let g = bind(tape, &generator);
        let d = bind(tape, &discriminator);
        let fake = forward(tape.constant(noise.clone()), &g);

        let real_logits = forward(tape.constant(data.clone()), &d);
        let d_loss = gan_discriminator(real_logits, forward(fake.detach(), &d));
        d_loss.backward();
        for (w, b) in &d {
            black_box((w.grad(), b.grad()));
        }

        // The generator step differentiates with respect to G only: D's parameters enter as
        // constants (JAX differentiates `g_loss` with respect to G alone; PyTorch freezes D).
        let d_fixed: Vec<_> = d.iter().map(|&(w, b)| (w.detach(), b.detach())).collect();
        let g_loss = gan_generator_non_saturating(forward(fake, &d_fixed));
        g_loss.backward();
        for (w, b) in &g {
            black_box((w.grad(), b.grad()));
        }
        d_loss.item() + g_loss.item()
    });
}

criterion_group!(
    benches,
    softmax_ce,
    fast_rcnn_bench,
    deepid2_bench,
    center_loss_bench,
    gan_step
);
criterion_main!(benches);
