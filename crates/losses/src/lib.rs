//! # losses: the catalogue of objectives
//!
//! Every objective of lossgraph's catalogue, written only with [`tape`] operations: no derivative
//! code lives here, so every gradient comes from reverse-mode autodiff.
//!
//! | module | catalogue rows |
//! |--------|----------------|
//! | [`classification`] | C1-C9: perceptron, Euclidean on one-hot targets, Fisher criterion, hinge and SVM, logistic and softmax regression, cross-entropy, exponential loss, likelihoods |
//! | [`regularizers`] | C10: L1 and L2 penalties |
//! | [`regression`] | R1-R6: Euclidean / MSE, L1, smooth L1, linear, ridge and LASSO regression |
//! | [`multitask`] | M1-M3: Fast R-CNN, DeepID2, center loss |
//! | [`generative`] | G1: the GAN minimax game |
//! | [`unsupervised`] | U1-U4: k-means, PCA, autoencoder, Isomap |
//! | [`reinforcement`] | L1-L3: returns, REINFORCE, TD(0) and Q-learning |
//!
//! Conventions shared by every function:
//! - Differentiable inputs are [`Var`](tape::Var)s, generic over the float type (f64 for
//!   gradient checks, f32 for speed). Labels, indices and actions are plain slices;
//!   hyper-parameters are `f64`.
//! - The first axis is the batch. A per-sample loss sums over every other axis; a
//!   [`Reduction`] then chooses between the batch mean, the batch sum, or the per-sample vector.
//! - Numerical stability comes from how each graph is written: log-probabilities from logits go
//!   through `log_softmax` or `softplus`, distances use the safe `norm`, and targets that must not
//!   receive gradients (TD targets, baselines) are detached.
//! - Shape and label mismatches are programming errors and panic with a message naming the
//!   function and the shapes; data that can be legitimately bad (degenerate boxes, a disconnected
//!   neighbour graph) yields an [`Error`].
//!
//! ```
//! use losses::{Reduction, classification::softmax_cross_entropy};
//! use tape::{Tape, Tensor};
//!
//! let tape = Tape::<f64>::new();
//! let logits = tape.var(Tensor::from_vec(vec![2.0, 0.0, 0.0, 0.0, 2.0, 0.0], [2, 3]));
//! let loss = softmax_cross_entropy(logits, &[0, 1], Reduction::Mean);
//! loss.backward();
//! // Both rows put logit 2 on their label: -ln(e^2 / (e^2 + 2)).
//! let expected = -(2f64.exp() / (2f64.exp() + 2.0)).ln();
//! assert!((loss.item() - expected).abs() < 1e-12);
//! ```

pub mod classification;
mod error;
pub mod generative;
pub mod multitask;
mod reduction;
pub mod regression;
pub mod regularizers;
pub mod reinforcement;
mod support;
pub mod unsupervised;

pub use error::Error;
pub use reduction::Reduction;
