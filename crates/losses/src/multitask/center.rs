//! The center loss (catalogue row M3): its two terms, the compactness term alone, and the
//! paper's centre update.

use tape::{Float, Tensor, Var};

use crate::Reduction;
use crate::classification::softmax_cross_entropy;
use crate::support::{assert_labels, assert_len, matrix_dims};

/// `||x_i - c_{y_i}||^2` per sample, `[n]`, with `c_{y_i}` gathered from `centers [C, d]` by
/// label after checking the shapes against `features [n, d]`.
fn squared_distances_to_centres<'t, T: Float>(
    op: &str,
    features: Var<'t, T>,
    labels: &[usize],
    centers: Var<'t, T>,
) -> Var<'t, T> {
    let (n, d) = matrix_dims(op, "features", features);
    let (classes, cd) = matrix_dims(op, "centers", centers);
    assert!(
        cd == d,
        "{op}: centers {} do not match features {}: expected [C, {d}]",
        centers.shape(),
        features.shape()
    );
    assert_len(op, "labels", labels.len(), n);
    assert_labels(op, labels, classes);
    let own_centers = centers.index_select(0, labels);
    (features - own_centers).square().sum_axis(1, false)
}

/// The center loss's compactness term alone, catalogue M3: `(1/2) sum_i ||x_i - c_{y_i}||^2`
/// under `Sum` (the paper's `L_C`).
///
/// Shapes: `features [n, d]` (the `x_i`), `labels` their classes, `centers [C, d]` (one centre
/// per class). Per sample: `(1/2) ||x_i - c_{y_i}||^2`, gradient `x_i - c_{y_i}` for the
/// features and its negation, summed over the class's samples, for the centres. `Sum` is the
/// paper's `L_C`, `Mean` divides by `n`, `None` returns `[n]`. [`center_loss`] adds it, times
/// `lambda`, to the softmax cross-entropy under one reduction; combine the two yourself to
/// reduce them differently.
///
/// ```
/// use losses::classification::softmax_cross_entropy;
/// use losses::{Reduction, multitask::center_compactness};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![1.0, 1.0, 0.0, 2.0], [2, 2]));
/// let centers = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0], [2, 2]));
/// let compact = center_compactness(x, &[0, 1], centers, Reduction::Sum);
/// compact.backward();
/// assert_eq!(compact.item(), 2.5); // 0.5 * (||(0, 1)||^2 + ||(0, 2)||^2)
/// assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 0.0, 2.0]);
/// assert_eq!(centers.grad().unwrap().data(), &[0.0, -1.0, 0.0, -2.0]);
///
/// // The batch-mean cross-entropy with the summed compactness term, as some implementations do:
/// let logits = tape.var(Tensor::zeros([2, 2]));
/// let loss = softmax_cross_entropy(logits, &[0, 1], Reduction::Mean)
///     + center_compactness(x, &[0, 1], centers, Reduction::Sum).scale(0.1);
/// assert!((loss.item() - (2f64.ln() + 0.25)).abs() < 1e-12);
/// ```
pub fn center_compactness<'t, T: Float>(
    features: Var<'t, T>,
    labels: &[usize],
    centers: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "center_compactness";
    let squared = squared_distances_to_centres(op, features, labels, centers);
    reduction.apply(squared.scale(T::from_f64(0.5)))
}

/// The center loss, catalogue M3: `L = L_softmax + (lambda/2) sum_i ||x_i - c_{y_i}||^2`.
///
/// Shapes: `features [n, d]` (the `x_i`), `logits [n, C]` (the classifier on them), `labels` the
/// classes, `centers [C, d]` (one centre per class, looked up by label with `index_select`).
/// Per sample: `-ln softmax(z_i)[y_i] + (lambda/2) ||x_i - c_{y_i}||^2`. `Sum` is the paper's
/// formula, `Mean` divides both terms by `n`, `None` returns `[n]`.
///
/// One reduction for both terms, deliberately: the paper writes both `L_softmax` and the
/// compactness term as sums over the same mini-batch, so `L` is a sum of per-sample losses and
/// `Mean` is `L / n`, with the balance `lambda` between the terms the same under every reduction
/// and batch size. To weigh the terms another way (a mean cross-entropy with a summed centre
/// term, say, which makes `lambda` grow with the batch), add
/// [`softmax_cross_entropy`] and [`center_compactness`] with their own reductions.
///
/// Two ways to move the centres: pass them as a `tape.var` to update them by their gradient like
/// any parameter, or as a `tape.constant` and apply the paper's own rule with
/// [`update_centers`] after each step.
///
/// ```
/// use losses::{Reduction, multitask::center_loss};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![1.0, 1.0, 0.0, 2.0], [2, 2]));
/// let logits = tape.var(Tensor::zeros([2, 2])); // L_softmax = ln 2 per sample
/// let centers = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0], [2, 2]));
/// let loss = center_loss(x, logits, &[0, 1], centers, 0.5, Reduction::Sum);
/// // 2 ln 2 + 0.25 * (||(0, 1)||^2 + ||(0, 2)||^2)
/// assert!((loss.item() - (2.0 * 2f64.ln() + 1.25)).abs() < 1e-12);
/// ```
pub fn center_loss<'t, T: Float>(
    features: Var<'t, T>,
    logits: Var<'t, T>,
    labels: &[usize],
    centers: Var<'t, T>,
    lambda: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "center_loss";
    let (n, _) = matrix_dims(op, "features", features);
    let (rows, _) = matrix_dims(op, "logits", logits);
    assert!(
        rows == n,
        "{op}: logits {} and features {} must have one row per sample",
        logits.shape(),
        features.shape()
    );
    let compactness = squared_distances_to_centres(op, features, labels, centers);
    let classification = softmax_cross_entropy(logits, labels, Reduction::None);
    reduction.apply(classification + compactness.scale(T::from_f64(lambda / 2.0)))
}

/// The center-loss paper's own centre update, catalogue M3:
/// `delta_c_j = sum_i [y_i = j] (c_j - x_i) / (1 + sum_i [y_i = j])`, then
/// `c_j <- c_j - alpha delta_c_j`, for every class `j`.
///
/// Shapes: `centers [C, d]` (updated in place), `features [n, d]` (the mini-batch's `x_i`),
/// `labels` their classes; `alpha` the centre learning rate (the paper uses 0.5). The `1 +` keeps
/// classes absent from the batch still; it is not a gradient step, so it lives outside the tape.
///
/// ```
/// use losses::multitask::update_centers;
/// use tape::Tensor;
/// let mut centers = Tensor::from_vec(vec![0.0, 0.0, 5.0, 5.0], [2, 2]);
/// let x = Tensor::from_vec(vec![2.0, 0.0, 4.0, 0.0], [2, 2]);
/// update_centers(&mut centers, &x, &[0, 0], 0.5);
/// // delta_c_0 = ((0 - 2) + (0 - 4), 0) / 3 = (-2, 0); class 1 is not in the batch
/// assert_eq!(centers.data(), &[1.0, 0.0, 5.0, 5.0]);
/// ```
pub fn update_centers<T: Float>(
    centers: &mut Tensor<T>,
    features: &Tensor<T>,
    labels: &[usize],
    alpha: f64,
) {
    let op = "update_centers";
    let (cdims, fdims) = (centers.dims(), features.dims());
    assert!(
        cdims.len() == 2 && fdims.len() == 2 && cdims[1] == fdims[1],
        "{op}: centers {} and features {} must be [C, d] and [n, d]",
        centers.shape(),
        features.shape()
    );
    let (classes, d) = (cdims[0], cdims[1]);
    assert_len(op, "labels", labels.len(), fdims[0]);
    assert_labels(op, labels, classes);

    let mut delta = vec![T::ZERO; classes * d];
    let mut counts = vec![0usize; classes];
    {
        let c = centers.data();
        for (x, &j) in features.data().chunks_exact(d).zip(labels) {
            counts[j] += 1;
            for k in 0..d {
                delta[j * d + k] += c[j * d + k] - x[k];
            }
        }
    }
    let alpha = T::from_f64(alpha);
    for (j, (row, step)) in centers
        .data_mut()
        .chunks_exact_mut(d)
        .zip(delta.chunks_exact(d))
        .enumerate()
    {
        let denominator = T::from_usize(1 + counts[j]);
        for (c, &s) in row.iter_mut().zip(step) {
            *c -= alpha * s / denominator;
        }
    }
}
