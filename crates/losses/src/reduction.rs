//! How per-sample losses become the value an objective returns.

use tape::{Float, Var};

/// How a batch of per-sample losses `l_i` (shape `[n]`) is reduced.
///
/// Every objective with a sum over samples takes one; each function's documentation says what
/// the per-sample term is and which choice reproduces the textbook formula.
///
/// ```
/// use losses::Reduction;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let per_sample = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 6.0], [3]));
/// assert_eq!(Reduction::Mean.apply(per_sample).item(), 3.0);
/// assert_eq!(Reduction::Sum.apply(per_sample).item(), 9.0);
/// assert_eq!(Reduction::None.apply(per_sample).dims().as_slice(), &[3]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// `(1/n) sum_i l_i`: a scalar whose scale does not grow with the batch size.
    #[default]
    Mean,
    /// `sum_i l_i`: a scalar, the form most textbook criteria are written in.
    Sum,
    /// The per-sample losses `l_i` themselves, shape `[n]` (for weighting or inspection).
    None,
}

impl Reduction {
    /// Reduces per-sample losses `[n]` to a scalar (`Mean`, `Sum`) or returns them (`None`).
    pub fn apply<'t, T: Float>(self, per_sample: Var<'t, T>) -> Var<'t, T> {
        match self {
            Reduction::Mean => per_sample.mean(),
            Reduction::Sum => per_sample.sum(),
            Reduction::None => per_sample,
        }
    }
}
