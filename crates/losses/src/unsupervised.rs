//! Unsupervised objectives (catalogue rows U1-U4): the data are their own target.
//!
//! k-means comes with its discrete helpers (k-means++ seeding from a seeded generator, the
//! assignment step) and Isomap with its geodesic-distance builder; these work on plain
//! [`Tensor`]s, outside the tape.

use tape::{Float, Tensor, Var};

use crate::Reduction;
use crate::support::{assert_same_shape, matrix_dims, per_sample};

mod isomap;
mod kmeans;

pub use isomap::{geodesic_distances, isomap_stress};
pub use kmeans::{KMeansObjective, kmeans_assign, kmeans_objective, kmeans_plus_plus};

/// Checks a data tensor is `[n, d]` and returns `(n, d)`.
fn rows_of<T: Float>(op: &str, what: &str, x: &Tensor<T>) -> (usize, usize) {
    let dims = x.dims();
    assert!(
        dims.len() == 2,
        "{op}: {what} must be a matrix [n, d], found {}",
        x.shape()
    );
    (dims[0], dims[1])
}

/// The squared Euclidean distance of two rows, accumulated in f64.
fn squared_distance<T: Float>(a: &[T], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x.to_f64() - y.to_f64();
            d * d
        })
        .sum()
}

/// PCA as reconstruction error, catalogue U2: `(1/n) sum_i ||x_i - E E^T x_i||^2` over centred
/// `x`, for `E [d, k]` meant to satisfy `E^T E = I`.
///
/// Shapes: `x [n, d]` (centred inside: the column means are subtracted, so raw data is fine),
/// `e [d, k]`. Per sample: `||x_i - E E^T x_i||^2`. `Mean` is the formula, `Sum` drops the
/// `1/n`, `None` returns `[n]`. At the optimum (the top `k` eigenvectors of the covariance) the
/// `Sum` value is `n` times the sum of the trailing `d - k` eigenvalues of the (biased)
/// covariance. Add [`orthonormality_penalty`] to keep `E` orthonormal under gradient descent.
///
/// ```
/// use losses::{Reduction, unsupervised::pca_reconstruction};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Centred points (1, 2), (-1, -2); E keeps the first axis, so the second is the error.
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, -1.0, -2.0], [2, 2]));
/// let e = tape.var(Tensor::from_vec(vec![1.0, 0.0], [2, 1]));
/// assert_eq!(pca_reconstruction(x, e, Reduction::Mean).item(), 4.0);
/// ```
pub fn pca_reconstruction<'t, T: Float>(
    x: Var<'t, T>,
    e: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "pca_reconstruction";
    let (_, d) = matrix_dims(op, "x", x);
    let (de, _) = matrix_dims(op, "e", e);
    assert!(
        de == d,
        "{op}: basis {} does not fit data {}: expected [{d}, k]",
        e.shape(),
        x.shape()
    );
    let centred = x - x.mean_axis(0, true);
    let reconstruction = centred.matmul(e).matmul_t(e, false, true);
    reduction.apply((centred - reconstruction).square().sum_axis(1, false))
}

/// The orthonormality penalty for PCA, catalogue U2: `||E^T E - I||_F^2`.
///
/// Shape: `e [d, k]`; returns a scalar, zero exactly when the columns of `E` are orthonormal.
///
/// ```
/// use losses::unsupervised::orthonormality_penalty;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let e = tape.var(Tensor::from_vec(vec![2.0, 0.0, 0.0, 1.0], [2, 2]));
/// assert_eq!(orthonormality_penalty(e).item(), 9.0); // (4 - 1)^2
/// ```
pub fn orthonormality_penalty<'t, T: Float>(e: Var<'t, T>) -> Var<'t, T> {
    let (_, k) = matrix_dims("orthonormality_penalty", "e", e);
    let identity = e.tape().constant(Tensor::from_fn([k, k], |i| {
        if i / k == i % k { T::ONE } else { T::ZERO }
    }));
    (e.matmul_t(e, true, false) - identity).square().sum()
}

/// The autoencoder's reconstruction error, catalogue U3: `(1/n) sum_i ||x_i - g(h(x_i))||^2`.
///
/// Shapes: `input [n, ...]` and `reconstruction` (the decoder's output `g(h(x))`) of the same
/// shape; the label is the input itself. Per sample: `||x_i - g(h(x_i))||^2`. `Mean` is the
/// formula, `Sum` drops the `1/n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, unsupervised::autoencoder_reconstruction};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![0.5, 0.5], [2, 1]));
/// // A one-unit linear autoencoder with tied weights: h = x w, g(h) = h w^T.
/// let reconstruction = x.matmul(w).matmul_t(w, false, true);
/// let loss = autoencoder_reconstruction(x, reconstruction, Reduction::Mean);
/// assert_eq!(loss.item(), 0.625); // each row: 0.75^2 + 0.25^2
/// ```
pub fn autoencoder_reconstruction<'t, T: Float>(
    input: Var<'t, T>,
    reconstruction: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "autoencoder_reconstruction";
    assert_same_shape(
        op,
        "input",
        &input.shape(),
        "reconstruction",
        &reconstruction.shape(),
    );
    reduction.apply(per_sample(op, (input - reconstruction).square()))
}
