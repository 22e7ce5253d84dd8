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
//! | [`pytorch`] | PyTorch's elementwise reduction for the losses where this crate's differs |
//!
//! ## Conventions
//!
//! Shared by every function:
//! - Differentiable inputs are [`Var`](tape::Var)s, generic over the float type (f64 for
//!   gradient checks, f32 for speed); hyper-parameters are `f64`.
//! - Targets that are numbers are `Var`s too: regression targets, probability targets
//!   (`binary_cross_entropy_with_logits`, `soft_cross_entropy`, `cross_entropy`), box targets,
//!   Isomap's geodesic distances. Make them with `tape.constant(tensor)` when they take no
//!   gradient, or pass a variable to differentiate through them.
//! - Discrete data stay plain slices: class labels and identities (`&[usize]`), the {-1, +1}
//!   labels of the margin losses (`&[f64]`), actions, index pairs, and the sampled rewards,
//!   returns and done flags of reinforcement learning. This is deliberate for the latter too:
//!   catalogue rows L2 and L3 hold them (and the bootstrapped targets built from them) constant,
//!   so no gradient may reach them; a baseline or a next-state value that comes from a network
//!   is a `Var` and is detached inside.
//! - A one-output linear model's weights are `[d]` or `[d, 1]` wherever they appear
//!   ([`linear_scores`], `svm_primal`, `linear_regression`, `ridge`, `lasso`, `fisher_ratio`);
//!   [`linear_scores`] gives the scores `X w + b` that the losses taking scores (`perceptron`,
//!   `hinge`, `exponential`, `binary_cross_entropy_with_logits`) expect.
//! - The first axis is the batch. A per-sample loss sums over every other axis; a
//!   [`Reduction`] then chooses between the batch mean, the batch sum, or the per-sample vector.
//! - Numerical stability comes from how each graph is written: log-probabilities from logits go
//!   through `log_softmax` or `softplus`, distances use the safe `norm`, and targets that must not
//!   receive gradients (TD targets, baselines) are detached.
//! - Shape and label mismatches are programming errors and panic with a message naming the
//!   function and the shapes; data that can be legitimately bad (degenerate boxes, a disconnected
//!   neighbour graph) yields an [`Error`].
//!
//! ## Reductions
//!
//! Every objective that is a sum over samples (or pairs, or steps) takes a [`Reduction`]:
//! `Sum` adds the per-sample terms, `Mean` divides that sum by the number of samples `n` (not by
//! the number of elements), `None` returns the per-sample terms. PyTorch's regression and
//! binary cross-entropy losses divide by the number of elements instead; the [`pytorch`] module
//! has those conventions under PyTorch's names. Shapes: `n` samples, `k` classes or outputs.
//!
//! | function | per-sample term (summed over trailing axes) | `Mean` divides by | `None` returns | PyTorch |
//! |----------|---------------------------------------------|-------------------|----------------|---------|
//! | `classification::perceptron` | `max(0, -y f)` | `n` | `[n]` | - |
//! | `classification::euclidean_one_hot` | `(1/2) \|\|f - onehot(y)\|\|^2` | `n` | `[n]` | - |
//! | `classification::hinge` | `max(0, 1 - y f)` | `n` | `[n]` | - |
//! | `classification::svm_primal` | `C hinge`, plus `(1/2) \|\|w\|\|^2` once | `n` (hinge term only) | `[n]`, each with the whole penalty | - |
//! | `classification::binary_cross_entropy_with_logits` | `softplus(z) - y z`, summed over a sample's `k` labels | `n` | `[n]` | `BCEWithLogitsLoss` divides by `n k`: [`pytorch::binary_cross_entropy_with_logits`]; the same for `[n]` logits |
//! | `classification::softmax_cross_entropy` | `-ln softmax(z)[y]` | `n` | `[n]` | the same as `cross_entropy` with class indices |
//! | `classification::soft_cross_entropy` | `-sum_k t_k ln softmax(z)_k` | `n` | `[n]` | the same as `cross_entropy` with probabilities |
//! | `classification::cross_entropy` | `-sum_k t_k ln p_k` of probabilities, not logits | `n` | `[n]` | PyTorch's `cross_entropy` takes logits: `softmax_cross_entropy` / `soft_cross_entropy` |
//! | `classification::exponential` | `exp(-y F)` | `n` | `[n]` | - |
//! | `classification::negative_log_likelihood` | `-ln p`, summed over a sample's factors | `n` | `[n]` | `nll_loss` picks log-probabilities by class: `softmax_cross_entropy` on logits |
//! | `classification::gaussian_nll` | `(1/2) [ln 2 pi + ln s^2 + (y - mu)^2 / s^2]` | `n` | `[n]` | `gaussian_nll_loss` takes `s^2`, drops `ln 2 pi` unless `full`, divides by elements |
//! | `regression::euclidean` | `(1/2) \|\|f - y\|\|^2` | `n` | `[n]` | - |
//! | `regression::mse` | `\|\|f - y\|\|^2` | `n` | `[n]` | `MSELoss` divides by elements: [`pytorch::mse_loss`] |
//! | `regression::l1` | `\|\|f - y\|\|_1` | `n` | `[n]` | `L1Loss`: [`pytorch::l1_loss`] |
//! | `regression::smooth_l1` | elementwise smooth L1, summed | `n` | `[n]` | `SmoothL1Loss`: [`pytorch::smooth_l1_loss`] |
//! | `regression::linear_regression` | `(1/2) (w.x + b - y)^2` | `n` | `[n]` | - |
//! | `regression::ridge`, `regression::lasso` | as `linear_regression`, plus the penalty once | `n` (data term only) | `[n]`, each with the whole penalty | - |
//! | `multitask::fast_rcnn` | `L_cls + lambda [u >= 1] L_loc` per RoI | `N` RoIs | `[N]` | - |
//! | `multitask::verification` | one term per pair | the number of pairs | `[pairs]` | - |
//! | `multitask::center_loss` | `CE + (lambda/2) \|\|x - c_y\|\|^2`: one reduction for both terms | `n` | `[n]` | - |
//! | `multitask::center_compactness` | `(1/2) \|\|x - c_y\|\|^2` | `n` | `[n]` | - |
//! | `unsupervised::kmeans_objective` | `\|\|x - mu_a\|\|^2` | `n` | `[n]` | - |
//! | `unsupervised::pca_reconstruction` | `\|\|x - E E^T x\|\|^2`, `x` centred | `n` | `[n]` | - |
//! | `unsupervised::autoencoder_reconstruction` | `\|\|x - g(h(x))\|\|^2` | `n` | `[n]` | `MSELoss` divides by elements: [`pytorch::mse_loss`] |
//! | `unsupervised::isomap_stress` | `(d_G - \|\|y_i - y_j\|\|)^2` per pair `i < j` | `n (n - 1) / 2` pairs | `[n (n - 1) / 2]` | - |
//! | `reinforcement::reinforce` | `-ln pi(a_t) (G_t - b_t)` per step | `T` steps | `[T]` | - |
//! | `reinforcement::td_error`, `reinforcement::q_learning` | the squared Bellman error per step | `T` | `[T]` | the same as `MSELoss` on `[T]` |
//!
//! No reduction, by their definition: `fisher_ratio` and `fisher_trace_ratio` (ratios),
//! `multitask::deepid2` (a mean over samples plus a mean over pairs; combine
//! `softmax_cross_entropy` and `verification` for others), the GAN losses (batch means, the
//! estimates of `E`; on `[n]` logits the same as `BCEWithLogitsLoss`), the orthonormality
//! penalty and the [`regularizers`] (added once to a reduced data term).
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
mod linear;
pub mod multitask;
pub mod pytorch;
mod reduction;
pub mod regression;
pub mod regularizers;
pub mod reinforcement;
mod support;
pub mod unsupervised;

pub use error::Error;
pub use linear::linear_scores;
pub use reduction::Reduction;
