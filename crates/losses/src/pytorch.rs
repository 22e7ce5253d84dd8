//! PyTorch's reduction convention, under PyTorch's names, for the losses where this crate's
//! convention differs.
//!
//! The rest of this crate sums each sample's loss over its trailing axes and then reduces over
//! the batch, so `Reduction::Mean` divides by the number of samples `n` (the catalogue's
//! formulas). PyTorch's `MSELoss`, `L1Loss`, `SmoothL1Loss` and `BCEWithLogitsLoss` reduce
//! elementwise instead: `'mean'` divides by the number of elements, and `'none'` returns one
//! value per element. The functions here do exactly that, so a result can be checked against
//! PyTorch (or a loss ported from it) without a stray factor of `d`:
//!
//! | here | `Reduction::Mean` | `Reduction::Sum` | `Reduction::None` | crate counterpart (`Mean` divides by `n`) |
//! |------|-------------------|------------------|-------------------|-------------------------------------------|
//! | [`mse_loss`] | `mean((f - y)^2)` over all elements | sum of the elements | elementwise, the input's shape | [`regression::mse`](crate::regression::mse) |
//! | [`l1_loss`] | `mean(abs(f - y))` | sum | elementwise | [`regression::l1`](crate::regression::l1) |
//! | [`smooth_l1_loss`] | mean of the elementwise smooth L1 | sum | elementwise | [`regression::smooth_l1`](crate::regression::smooth_l1) |
//! | [`binary_cross_entropy_with_logits`] | mean of `softplus(z) - y z` | sum | elementwise | [`classification::binary_cross_entropy_with_logits`](crate::classification::binary_cross_entropy_with_logits) |
//!
//! For inputs of shape `[n]` (one value per sample) both conventions agree, and `Sum` always
//! does. Losses whose conventions already match PyTorch's (softmax cross-entropy with class
//! indices or with probability targets: a mean over samples) have no alias; see the table in the
//! [crate documentation](crate#reductions) for every objective.
//!
//! ```
//! use losses::{Reduction, pytorch, regression};
//! use tape::{Tape, Tensor};
//! let tape = Tape::<f64>::new();
//! let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
//! let y = tape.constant(Tensor::zeros([2, 2]));
//! // 30 squared error over 2 samples of 2 elements:
//! assert_eq!(pytorch::mse_loss(f, y, Reduction::Mean).item(), 7.5); // / 4 elements
//! assert_eq!(regression::mse(f, y, Reduction::Mean).item(), 15.0); // / 2 samples
//! ```

use tape::{Float, Var};

use crate::Reduction;
use crate::classification::check_probability_targets;
use crate::regression::smooth_l1_elementwise;
use crate::support::assert_same_shape;

/// PyTorch's reduction of elementwise losses: the mean or the sum of every element, or the
/// elements themselves.
fn elementwise<'t, T: Float>(losses: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    match reduction {
        Reduction::Mean => losses.mean(),
        Reduction::Sum => losses.sum(),
        Reduction::None => losses,
    }
}

fn difference<'t, T: Float>(op: &str, input: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    assert_same_shape(op, "input", &input.shape(), "target", &target.shape());
    input - target
}

/// The squared error with PyTorch's `MSELoss` convention: `(1/N) sum_j (f_j - y_j)^2` over all
/// `N` elements under `Mean`.
///
/// Shapes: `input` and `target` the same, any shape. `Sum` adds every squared error, `None`
/// returns them with the input's shape. Gradient under `Mean`: `2 (f - y) / N`. Under `Mean` it
/// is [`regression::mse`](crate::regression::mse) divided by the number of elements per sample.
///
/// ```
/// use losses::{Reduction, pytorch::mse_loss};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 5.0, 0.0], [2, 2]));
/// let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 3.0, 0.0], [2, 2]));
/// let loss = mse_loss(f, y, Reduction::Mean); // (1 + 0 + 4 + 0) / 4
/// loss.backward();
/// assert_eq!(loss.item(), 1.25);
/// assert_eq!(f.grad().unwrap().data(), &[0.5, 0.0, 1.0, 0.0]);
/// assert_eq!(mse_loss(f, y, Reduction::None).value().data(), &[1.0, 0.0, 4.0, 0.0]);
/// ```
pub fn mse_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    elementwise(difference("mse_loss", input, target).square(), reduction)
}

/// The absolute error with PyTorch's `L1Loss` convention: `(1/N) sum_j |f_j - y_j|` over all `N`
/// elements under `Mean`.
///
/// Shapes: `input` and `target` the same, any shape. `Sum` adds, `None` returns the elementwise
/// errors with the input's shape. Gradient under `Mean`: `sign(f - y) / N` (0 where `f = y`).
///
/// ```
/// use losses::{Reduction, pytorch::l1_loss};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 5.0, -1.0], [2, 2]));
/// let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 3.0, 1.0], [2, 2]));
/// let loss = l1_loss(f, y, Reduction::Mean); // (1 + 0 + 2 + 2) / 4
/// loss.backward();
/// assert_eq!(loss.item(), 1.25);
/// assert_eq!(f.grad().unwrap().data(), &[0.25, 0.0, 0.25, -0.25]);
/// ```
pub fn l1_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    elementwise(difference("l1_loss", input, target).abs(), reduction)
}

/// Smooth L1 with PyTorch's `SmoothL1Loss` convention: the mean over all elements of
/// `0.5 d^2 / beta` if `|d| < beta`, else `|d| - 0.5 beta`, with `d = f - y`, under `Mean`.
///
/// Shapes: `input` and `target` the same, any shape; `beta > 0` (PyTorch's default is 1). `Sum`
/// adds, `None` returns the elementwise values with the input's shape. Derivative per element:
/// `clamp(d / beta, -1, 1)` (divided by `N` under `Mean`). The argument order follows
/// [`regression::smooth_l1`](crate::regression::smooth_l1), which sums each sample's elements.
///
/// ```
/// use losses::{Reduction, pytorch::smooth_l1_loss};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.5, 3.0, 0.0, -2.0], [2, 2]));
/// let y = tape.constant(Tensor::zeros([2, 2]));
/// let loss = smooth_l1_loss(f, y, 1.0, Reduction::Mean); // (0.125 + 2.5 + 0 + 1.5) / 4
/// loss.backward();
/// assert_eq!(loss.item(), 1.03125);
/// assert_eq!(f.grad().unwrap().data(), &[0.125, 0.25, 0.0, -0.25]);
/// ```
pub fn smooth_l1_loss<'t, T: Float>(
    input: Var<'t, T>,
    target: Var<'t, T>,
    beta: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "smooth_l1_loss";
    assert!(beta > 0.0, "{op}: beta must be positive, found {beta}");
    let d = difference(op, input, target);
    elementwise(smooth_l1_elementwise(d, beta), reduction)
}

/// Binary cross-entropy from logits with PyTorch's `BCEWithLogitsLoss` convention: the mean over
/// all `N` elements of `-[y ln sigma(z) + (1 - y) ln(1 - sigma(z))]` under `Mean`.
///
/// Computed as `softplus(z) - y z`, finite for any logit. Shapes: `logits [n, ...]`, `targets`
/// the same shape, values in [0, 1] (a constant when they take no gradient). `Sum` adds, `None`
/// returns the elementwise values with the logits' shape. Gradients under `Mean`:
/// `(sigma(z) - y) / N` for the logits, `-z / N` for the targets.
///
/// ```
/// use losses::{Reduction, classification, pytorch};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Two samples with two labels each.
/// let z = tape.var(Tensor::zeros([2, 2]));
/// let y = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let ln2 = 2f64.ln();
/// let elementwise = pytorch::binary_cross_entropy_with_logits(z, y, Reduction::Mean);
/// assert!((elementwise.item() - ln2).abs() < 1e-12); // 4 ln 2 / 4 elements
/// let per_sample = classification::binary_cross_entropy_with_logits(z, y, Reduction::Mean);
/// assert!((per_sample.item() - 2.0 * ln2).abs() < 1e-12); // 4 ln 2 / 2 samples
/// ```
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: Var<'t, T>,
    targets: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    check_probability_targets("pytorch::binary_cross_entropy_with_logits", logits, targets);
    elementwise(logits.softplus() - targets * logits, reduction)
}
