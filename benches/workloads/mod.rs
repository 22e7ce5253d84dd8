//! The benchmark workloads, defined once. The workspace's criterion benches (`benches/tape.rs`,
//! `benches/losses.rs`) and the crate outside the workspace that depends on lossgraph as a user
//! would (`benches/downstream`) include this file, so both measure exactly the same steps.
//! Every step is a forward and a backward pass in f32 from a fixed seed, recorded on a tape
//! the caller resets between steps. The including crate brings `tape` and `losses` into scope
//! at its root (`use lossgraph::{losses, tape};`).

// Each bench binary runs some of the workloads.
#![allow(dead_code)]

use std::hint::black_box;

use crate::losses::Reduction;
use crate::losses::classification::softmax_cross_entropy;
use crate::losses::generative::{gan_discriminator, gan_generator_non_saturating};
use crate::losses::multitask::{center_loss, deepid2, fast_rcnn};
use crate::tape::{ScalarTape, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn uniform(rng: &mut StdRng, shape: &[usize], scale: f32) -> Tensor<f32> {
    Tensor::from_fn(shape, |_| rng.random_range(-scale..scale))
}

fn labels(rng: &mut StdRng, n: usize, classes: usize) -> Vec<usize> {
    (0..n).map(|_| rng.random_range(0..classes)).collect()
}

/// Weights (Glorot-uniform) and zero biases of a fully connected network with these widths.
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

/// The network's output: ReLU between layers, fused into the product; none after the last.
fn forward<'t>(x: Var<'t, f32>, params: &[(Var<'t, f32>, Var<'t, f32>)]) -> Var<'t, f32> {
    let mut h = x;
    for (i, &(w, b)) in params.iter().enumerate() {
        h = if i + 1 < params.len() {
            h.linear_relu(w, b)
        } else {
            h.linear(w, b)
        };
    }
    h
}

/// `mlp_step` (batch 128) and `mlp_step_b1` (batch 1): an MLP 784-512-256-10 with ReLU, mean
/// softmax cross-entropy, every parameter's gradient.
pub struct MlpStep {
    layers: Vec<(Tensor<f32>, Tensor<f32>)>,
    x: Tensor<f32>,
    labels: Vec<usize>,
}

impl MlpStep {
    /// The network, a batch of inputs and their labels, from a fixed seed.
    pub fn new(batch: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(42);
        let layers = layers(&mut rng, &[784, 512, 256, 10]);
        let x = uniform(&mut rng, &[batch, 784], 1.0);
        let labels = (0..batch).map(|_| rng.random_range(0..10)).collect();
        MlpStep { layers, x, labels }
    }

    /// One forward + backward step; returns the loss.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let params = bind(tape, &self.layers);
        let logits = forward(tape.constant(self.x.clone()), &params);
        let loss = -logits.log_softmax_gather(&self.labels).mean();
        loss.backward();
        for &(w, b) in &params {
            black_box((w.grad(), b.grad()));
        }
        loss.item()
    }

    /// `hvp_mlp`: the Hessian-vector product of the step's loss along `directions` (one
    /// tensor per weight and bias, layer by layer), from scratch: the forward pass, the
    /// gradient recorded on the tape, and one reverse sweep through it. Returns the loss.
    pub fn hvp(&self, tape: &Tape<f32>, directions: &[Tensor<f32>]) -> f32 {
        let (loss, params) = self.loss_and_params(tape);
        black_box(tape.hessian_operator(loss, &params).apply(directions));
        loss.item()
    }

    /// The step's loss recorded on `tape`, and its parameters (weight, bias, layer by layer).
    pub fn loss_and_params<'t>(&self, tape: &'t Tape<f32>) -> (Var<'t, f32>, Vec<Var<'t, f32>>) {
        let params = bind(tape, &self.layers);
        let logits = forward(tape.constant(self.x.clone()), &params);
        let loss = -logits.log_softmax_gather(&self.labels).mean();
        (loss, params.iter().flat_map(|&(w, b)| [w, b]).collect())
    }

    /// Fixed random directions for [`MlpStep::hvp`], U(-1, 1), shaped like the parameters.
    pub fn directions(&self) -> Vec<Tensor<f32>> {
        let mut rng = StdRng::seed_from_u64(7);
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.shape().clone(), b.shape().clone()])
            .map(|shape| Tensor::from_fn(shape, |_| rng.random_range(-1.0..1.0)))
            .collect()
    }
}

/// `scalar_chain`: x = tanh(x * 1.0001 + 0.1) `steps` times from x = 0.5 on a [`ScalarTape`],
/// then backward (3 recorded operations per step).
pub fn scalar_chain(tape: &ScalarTape<f32>, steps: usize) -> f32 {
    let x0 = tape.var(0.5);
    let mut x = x0;
    for _ in 0..steps {
        x = (x * 1.0001 + 0.1).tanh();
    }
    x.backward();
    x0.grad()
}

/// `scalar_chain_tensor`: the same chain on the tensor [`Tape`] with one-element tensors.
pub fn scalar_chain_tensor(tape: &Tape<f32>, steps: usize) -> f32 {
    let x0 = tape.var(Tensor::from_vec(vec![0.5], [1]));
    let mut x = x0;
    for _ in 0..steps {
        x = (x * 1.0001 + 0.1).tanh();
    }
    x.backward();
    x0.grad().map_or(0.0, |g| g.item())
}

/// `softmax_ce`: logits [1024, 1000], mean softmax cross-entropy, the logits' gradient.
pub struct SoftmaxCe {
    logits: Tensor<f32>,
    labels: Vec<usize>,
}

impl SoftmaxCe {
    /// Logits and labels from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(1);
        let logits = uniform(&mut rng, &[1024, 1000], 3.0);
        let labels = labels(&mut rng, 1024, 1000);
        SoftmaxCe { logits, labels }
    }

    /// One forward + backward step; returns the loss.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let z = tape.var(self.logits.clone());
        let loss = softmax_cross_entropy(z, &self.labels, Reduction::Mean);
        loss.backward();
        black_box(z.grad());
        loss.item()
    }
}

/// `fast_rcnn`: class logits [512, 21] (25% background), box deltas [512, 84], targets [512, 4].
pub struct FastRcnn {
    cls: Tensor<f32>,
    boxes: Tensor<f32>,
    targets: Tensor<f32>,
    labels: Vec<usize>,
}

impl FastRcnn {
    /// Logits, boxes and labels from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(2);
        let (n, classes) = (512, 21);
        let cls = uniform(&mut rng, &[n, classes], 2.0);
        let boxes = uniform(&mut rng, &[n, 4 * classes], 1.0);
        let targets = uniform(&mut rng, &[n, 4], 1.0);
        // Every fourth RoI is background; the others belong to one of the 20 object classes.
        let labels = (0..n)
            .map(|i| {
                if i % 4 == 0 {
                    0
                } else {
                    rng.random_range(1..classes)
                }
            })
            .collect();
        FastRcnn {
            cls,
            boxes,
            targets,
            labels,
        }
    }

    /// One forward + backward step; returns the loss.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let cls = tape.var(self.cls.clone());
        let boxes = tape.var(self.boxes.clone());
        let targets = tape.constant(self.targets.clone());
        let loss = fast_rcnn(cls, boxes, &self.labels, targets, 1.0, Reduction::Mean);
        loss.backward();
        black_box((cls.grad(), boxes.grad()));
        loss.item()
    }
}

/// `deepid2`: features [256, 160] through W [160, 10000], identification plus verification
/// over pairs (2i, 2i+1), margin 1.
pub struct DeepId2 {
    features: Tensor<f32>,
    weights: Tensor<f32>,
    labels: Vec<usize>,
    pairs: Vec<(usize, usize)>,
}

impl DeepId2 {
    /// Features, weights, identities and pairs from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(3);
        let (n, d, identities) = (256, 160, 10_000);
        let features = uniform(&mut rng, &[n, d], 1.0);
        let scale = (6.0 / (d + identities) as f32).sqrt();
        let weights = uniform(&mut rng, &[d, identities], scale);
        // Half the pairs share an identity, half do not.
        let mut labels = labels(&mut rng, n, identities);
        for i in (0..n).step_by(4) {
            labels[i + 1] = labels[i];
        }
        let pairs = (0..n / 2).map(|i| (2 * i, 2 * i + 1)).collect();
        DeepId2 {
            features,
            weights,
            labels,
            pairs,
        }
    }

    /// One forward + backward step; returns the loss.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let f = tape.var(self.features.clone());
        let w = tape.var(self.weights.clone());
        let loss = deepid2(f, f.matmul(w), &self.labels, &self.pairs, 1.0, 0.05);
        loss.backward();
        black_box((f.grad(), w.grad()));
        loss.item()
    }
}

/// `center_loss`: features [256, 512], 10 classes through W [512, 10], centres [10, 512].
pub struct CenterLoss {
    features: Tensor<f32>,
    weights: Tensor<f32>,
    centers: Tensor<f32>,
    labels: Vec<usize>,
}

impl CenterLoss {
    /// Features, weights, centres and labels from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(4);
        let (n, d, classes) = (256, 512, 10);
        let features = uniform(&mut rng, &[n, d], 1.0);
        let weights = uniform(&mut rng, &[d, classes], (6.0 / (d + classes) as f32).sqrt());
        let centers = uniform(&mut rng, &[classes, d], 1.0);
        let labels = labels(&mut rng, n, classes);
        CenterLoss {
            features,
            weights,
            centers,
            labels,
        }
    }

    /// One forward + backward step; returns the loss.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let f = tape.var(self.features.clone());
        let w = tape.var(self.weights.clone());
        let centers = tape.var(self.centers.clone());
        let loss = center_loss(
            f,
            f.matmul(w),
            &self.labels,
            centers,
            0.003,
            Reduction::Mean,
        );
        loss.backward();
        black_box((f.grad(), w.grad(), centers.grad()));
        loss.item()
    }
}

/// `gan_step`: G 64-256-256-2 and D 2-256-256-1 (ReLU), batch 256; the discriminator loss on
/// detached samples, then the non-saturating generator loss with D held fixed, each with its
/// backward pass.
pub struct GanStep {
    generator: Vec<(Tensor<f32>, Tensor<f32>)>,
    discriminator: Vec<(Tensor<f32>, Tensor<f32>)>,
    data: Tensor<f32>,
    noise: Tensor<f32>,
}

impl GanStep {
    /// Both networks, a batch of data and of noise from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(5);
        let batch = 256;
        let generator = layers(&mut rng, &[64, 256, 256, 2]);
        let discriminator = layers(&mut rng, &[2, 256, 256, 1]);
        let data = uniform(&mut rng, &[batch, 2], 2.0);
        let noise = uniform(&mut rng, &[batch, 64], 1.0);
        GanStep {
            generator,
            discriminator,
            data,
            noise,
        }
    }

    /// One discriminator and one generator step (forward + backward each); returns the sum of
    /// their losses.
    pub fn step(&self, tape: &Tape<f32>) -> f32 {
        let g = bind(tape, &self.generator);
        let d = bind(tape, &self.discriminator);
        let fake = forward(tape.constant(self.noise.clone()), &g);

        let real_logits = forward(tape.constant(self.data.clone()), &d);
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
    }
}
