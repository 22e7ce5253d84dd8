//! Shape checks and small graph fragments shared by the objectives.

use tape::{Float, Shape, Tensor, Var};

/// The batch size: the length of the first axis.
pub(crate) fn batch_len<T: Float>(op: &str, x: Var<'_, T>) -> usize {
    let shape = x.shape();
    assert!(
        shape.rank() >= 1,
        "{op}: expects a batch with samples along the first axis, found a scalar"
    );
    shape.dims()[0]
}

/// Sums over every axis but the first: the per-sample loss `[n]`.
pub(crate) fn per_sample<'t, T: Float>(op: &str, x: Var<'t, T>) -> Var<'t, T> {
    let n = batch_len(op, x);
    match x.shape().rank() {
        1 => x,
        _ => x
            .reshape([n, x.shape().numel() / n.max(1)])
            .sum_axis(1, false),
    }
}

/// Panics unless the two shapes are identical (broadcasting a target against a prediction of a
/// different shape silently computes the wrong loss, e.g. `[n] - [n, 1]` is `[n, n]`).
pub(crate) fn assert_same_shape(op: &str, a_name: &str, a: &Shape, b_name: &str, b: &Shape) {
    assert!(
        a == b,
        "{op}: {a_name} {a} and {b_name} {b} must have the same shape"
    );
}

/// Panics unless a matrix `[n, k]`.
pub(crate) fn matrix_dims<T: Float>(op: &str, what: &str, x: Var<'_, T>) -> (usize, usize) {
    let shape = x.shape();
    assert!(
        shape.rank() == 2,
        "{op}: {what} must be a matrix [n, k], found {shape}"
    );
    (shape.dims()[0], shape.dims()[1])
}

/// Panics unless `len` labels (or targets, returns, ...) accompany `n` samples.
pub(crate) fn assert_len(op: &str, what: &str, len: usize, n: usize) {
    assert!(len == n, "{op}: {len} {what} for a batch of {n} samples");
}

/// Panics unless every class label is below `classes`.
pub(crate) fn assert_labels(op: &str, labels: &[usize], classes: usize) {
    if let Some((i, &bad)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        panic!("{op}: label {bad} at position {i} is out of range for {classes} classes");
    }
}

/// One value per sample (scores of a one-output model, state values, targets) as a vector:
/// accepts `[n]` or `[n, 1]`.
pub(crate) fn vector_of<'t, T: Float>(op: &str, what: &str, x: Var<'t, T>) -> Var<'t, T> {
    let shape = x.shape();
    match shape.dims() {
        [_] => x,
        [n, 1] => x.reshape([*n]),
        _ => panic!("{op}: {what} must be [n] or [n, 1], found {shape}"),
    }
}

/// Labels in {-1, +1} as a constant `[n]`, checked: {0, 1} labels passed by mistake would turn a
/// margin loss into nonsense without any other symptom.
pub(crate) fn sign_labels<'t, T: Float>(
    op: &str,
    scores: Var<'t, T>,
    labels: &[f64],
) -> Var<'t, T> {
    assert_len(op, "labels", labels.len(), batch_len(op, scores));
    if let Some((i, &bad)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &y)| y != 1.0 && y != -1.0)
    {
        panic!("{op}: label {bad} at position {i} is not -1 or +1");
    }
    constant_vector(scores, labels)
}

/// Plain numbers as a constant `[len]` on the tape of `like`.
pub(crate) fn constant_vector<'t, T: Float>(like: Var<'t, T>, values: &[f64]) -> Var<'t, T> {
    let data = values.iter().map(|&v| T::from_f64(v)).collect();
    like.tape().constant(Tensor::from_vec(data, [values.len()]))
}
