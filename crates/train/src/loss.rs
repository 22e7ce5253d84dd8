//! The classification loss the training loop needs, and accuracy counting.

use losses::Reduction;
use tape::{Float, Tensor, Var};

/// Mean softmax cross-entropy of `logits` `[n, classes]` against integer `labels` (length `n`):
///
/// ```text
/// L = -(1/n) * sum_i log softmax(z_i)[y_i]
/// ```
///
/// A thin adapter, not a second implementation: it is
/// [`losses::classification::softmax_cross_entropy`] with the reduction fixed to
/// [`Reduction::Mean`], the loss [`fit_classifier`](crate::fit_classifier) trains and reports
/// (`losses` holds the objectives; `train` only picks this one for its classifier).
///
/// ```
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::zeros([2, 4])); // uniform prediction over 4 classes
/// let loss = train::softmax_cross_entropy(logits, &[1, 3]);
/// assert!((loss.item() - 4f64.ln()).abs() < 1e-12);
/// ```
pub fn softmax_cross_entropy<'t, T: Float>(logits: Var<'t, T>, labels: &[usize]) -> Var<'t, T> {
    losses::classification::softmax_cross_entropy(logits, labels, Reduction::Mean)
}

/// The number of rows of `scores` `[n, classes]` whose largest entry is at the row's label.
/// Ties go to the lowest index. Allocates nothing.
pub fn count_correct<T: Float>(scores: &Tensor<T>, labels: &[usize]) -> usize {
    let dims = scores.dims();
    assert!(
        dims.len() == 2 && dims[0] == labels.len(),
        "count_correct: scores of shape {} for {} labels",
        scores.shape(),
        labels.len()
    );
    let classes = dims[1];
    scores
        .data()
        .chunks_exact(classes.max(1))
        .zip(labels)
        .filter(|(row, label)| {
            let best = row
                .iter()
                .enumerate()
                .fold(
                    (0, T::NEG_INFINITY),
                    |(bi, bv), (i, &v)| {
                        if v > bv { (i, v) } else { (bi, bv) }
                    },
                )
                .0;
            best == **label
        })
        .count()
}
