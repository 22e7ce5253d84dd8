//! Regularisers (catalogue row C10): penalties on parameters that can be added to any objective.
//!
//! They are not batch sums, so they take no [`Reduction`](crate::Reduction): add them to a
//! reduced data term.

use tape::{Float, Var};

fn assert_some(op: &str, params: &[Var<'_, impl Float>]) {
    assert!(
        !params.is_empty(),
        "{op}: no parameters given; pass the tensors to penalise"
    );
}

/// L2 penalty (weight decay), catalogue C10.
///
/// `(lambda / 2) sum_p ||theta_p||^2` over every parameter tensor in `params` (any shapes).
/// Returns a scalar; its gradient is `lambda theta`.
///
/// ```
/// use losses::regularizers::l2_penalty;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let w = tape.var(Tensor::from_vec(vec![1.0, -2.0], [2]));
/// let b = tape.var(Tensor::scalar(3.0));
/// let penalty = l2_penalty(&[w, b], 0.5); // 0.25 * (1 + 4 + 9)
/// penalty.backward();
/// assert_eq!(penalty.item(), 3.5);
/// assert_eq!(w.grad().unwrap().data(), &[0.5, -1.0]);
/// ```
pub fn l2_penalty<'t, T: Float>(params: &[Var<'t, T>], lambda: f64) -> Var<'t, T> {
    assert_some("l2_penalty", params);
    let total = params
        .iter()
        .map(|p| p.square().sum())
        .reduce(|a, b| a + b)
        .expect("checked non-empty");
    total.scale(T::from_f64(lambda / 2.0))
}

/// L1 penalty (sparsity), catalogue C10.
///
/// `lambda sum_p ||theta_p||_1` over every parameter tensor in `params` (any shapes).
/// Returns a scalar; its gradient is `lambda sign(theta)` (0 at exactly 0, the subgradient of
/// least norm).
///
/// ```
/// use losses::regularizers::l1_penalty;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let w = tape.var(Tensor::from_vec(vec![1.0, -2.0, 0.0], [3]));
/// let penalty = l1_penalty(&[w], 0.1);
/// penalty.backward();
/// assert!((penalty.item() - 0.3).abs() < 1e-12);
/// assert_eq!(w.grad().unwrap().data(), &[0.1, -0.1, 0.0]);
/// ```
pub fn l1_penalty<'t, T: Float>(params: &[Var<'t, T>], lambda: f64) -> Var<'t, T> {
    assert_some("l1_penalty", params);
    let total = params
        .iter()
        .map(|p| p.abs().sum())
        .reduce(|a, b| a + b)
        .expect("checked non-empty");
    total.scale(T::from_f64(lambda))
}
