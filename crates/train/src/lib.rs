//! # train: what lives across training steps
//!
//! Parameters, layers, initialisers, optimisers, data, the training loop and checkpoints, on
//! top of the [`tape`] engine.
//!
//! ```
//! use rand::{SeedableRng, rngs::StdRng};
//! use tape::Tape;
//! use train::{Activation, Adam, Mlp, Module, Optimizer, ParamStore, softmax_cross_entropy};
//!
//! let mut rng = StdRng::seed_from_u64(0); // all randomness flows from here
//! let data = train::synth::GaussianMixture::ring(3, 2.0, 0.3).sample(300, &mut rng);
//! let mut store = ParamStore::new();
//! let model = Mlp::new(&mut store, "mlp", &[2, 16, 3], Activation::Tanh, &mut rng);
//! let mut opt = Adam::new(0.05);
//! let mut tape = Tape::new();
//! for _ in 0..100 {
//!     // bind -> forward -> backward -> collect gradients -> reset the tape ...
//!     let loss = store.compute_grads(&mut tape, |p| {
//!         let x = p.tape().constant(data.inputs.clone());
//!         softmax_cross_entropy(model.forward(p, x), &data.labels)
//!     });
//!     // ... then update the parameters in place.
//!     opt.step(&mut store);
//!     assert!(loss.is_finite());
//! }
//! let (_, accuracy) = train::evaluate(&model, &store, &data, 256);
//! assert!(accuracy > 0.95);
//! ```
//!
//! Training loops: [`fit()`] trains any objective (a closure of the parameters and a batch of
//! any [`Batches`]) in any float type, with user metrics, callbacks and early stopping
//! ([`Fit`]); [`fit_classifier`] is the softmax classifier on a [`Dataset`].
//!
//! Modules: [`params`] (the store and the step lifecycle), [`layers`] and [`init`],
//! [`optim`], [`loss`], [`data`] (IDX reader, batches, generators), [`fit`](mod@fit) (the loop),
//! [`solve`] (L-BFGS, Newton-CG and proximal gradient, run to the optimum) and [`checkpoint`]
//! (safetensors). The examples' flags, figures and reference solvers live in the repository's
//! unpublished `gallery` crate, not here.

pub mod checkpoint;
pub mod data;
pub mod fit;
pub mod init;
pub mod layers;
pub mod loss;
pub mod optim;
pub mod params;
pub mod solve;

pub use checkpoint::CheckpointError;
pub use data::{
    Batch, BatchLoader, Batches, DataError, Dataset, LabelledBatch, Supervised, SupervisedBatch,
    idx, mnist, synth,
};
pub use fit::{
    Divergence, EarlyStopping, EpochMetrics, Fit, FitConfig, FitError, Goal, History, OnNonFinite,
    checked_step, evaluate, fit, fit_classifier, train_step,
};
pub use init::Init;
pub use layers::{Activation, Linear, Mlp, Module};
pub use loss::{count_correct, softmax_cross_entropy};
pub use optim::{Adam, LrSchedule, Optimizer, OptimizerState, Sgd};
pub use params::{ParamId, ParamStore, Params, objective};
