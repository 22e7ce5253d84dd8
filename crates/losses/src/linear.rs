//! One-output linear models: the scores `X w + b` and the weight shapes every linear-model
//! objective accepts.

use tape::{Float, Shape, Var};

use crate::support::matrix_dims;

/// The weights of a one-output linear model on inputs `x [n, d]` as a column `[d, 1]`: accepts
/// `[d]` or `[d, 1]`, and panics otherwise naming `op` and both shapes.
pub(crate) fn weight_column<'t, T: Float>(op: &str, x: Var<'t, T>, w: Var<'t, T>) -> Var<'t, T> {
    let (_, d) = matrix_dims(op, "x", x);
    let ws = w.shape();
    assert!(
        ws.dims() == [d] || ws.dims() == [d, 1],
        "{op}: weights {ws} do not fit inputs {}: expected [{d}] or [{d}, 1]",
        x.shape()
    );
    if ws.rank() == 2 { w } else { w.reshape([d, 1]) }
}

/// [`linear_scores`] with the panic messages naming the objective `op` that called it.
pub(crate) fn scores_in<'t, T: Float>(
    op: &str,
    x: Var<'t, T>,
    w: Var<'t, T>,
    b: Var<'t, T>,
) -> Var<'t, T> {
    let n = matrix_dims(op, "x", x).0;
    let column = weight_column(op, x, w);
    let bs = b.shape();
    assert!(
        bs.numel() == 1,
        "{op}: the bias must have one element, found {bs} (for inputs {} and weights {})",
        x.shape(),
        w.shape()
    );
    x.matmul(column).reshape([n]) + b.reshape(Shape::scalar())
}

/// The scores of a one-output linear model, `f(x_i) = w.x_i + b`, as one vector `X w + b`.
///
/// Shapes: `x [n, d]`, `w [d]` or `[d, 1]` (every linear-model objective of this crate accepts
/// both), `b` any one-element shape (`[]`, `[1]`, `[1, 1]`); returns `[n]`. Gradients reach all
/// three. This is the score that [`svm_primal`](crate::classification::svm_primal),
/// [`linear_regression`](crate::regression::linear_regression), [`ridge`](crate::regression::ridge)
/// and [`lasso`](crate::regression::lasso) compute from `(x, w, b)`; pass it to the losses that
/// take scores ([`perceptron`](crate::classification::perceptron),
/// [`hinge`](crate::classification::hinge),
/// [`exponential`](crate::classification::exponential),
/// [`binary_cross_entropy_with_logits`](crate::classification::binary_cross_entropy_with_logits))
/// to train the same linear model under another criterion.
///
/// ```
/// use losses::classification::{hinge, perceptron, svm_primal};
/// use losses::regularizers::l2_penalty;
/// use losses::{Reduction, linear_scores};
/// use tape::{Tape, Tensor};
///
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5, 0.0, -2.0], [3, 2]));
/// let w = tape.var(Tensor::from_vec(vec![0.5, -1.0], [2]));
/// let b = tape.var(Tensor::scalar(0.25));
/// let labels = [1.0, -1.0, 1.0];
///
/// let f = linear_scores(x, w, b); // 0.5 - 2 + 0.25, -0.5 - 0.5 + 0.25, 0 + 2 + 0.25
/// assert_eq!(f.value().data(), &[-1.25, -0.75, 2.25]);
/// // The perceptron criterion on the same scores: only the first sample is misclassified.
/// assert_eq!(perceptron(f, &labels, Reduction::Sum).item(), 1.25);
/// // The SVM primal is C times the hinge on these scores plus (1/2)||w||^2.
/// let svm = svm_primal(x, w, b, &labels, 2.0, Reduction::Sum);
/// let composed = hinge(f, &labels, Reduction::Sum).scale(2.0) + l2_penalty(&[w], 1.0);
/// assert!((svm.item() - composed.item()).abs() < 1e-12);
/// ```
pub fn linear_scores<'t, T: Float>(x: Var<'t, T>, w: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
    scores_in("linear_scores", x, w, b)
}
