//! The reference solvers' linear algebra, on `nalgebra`: eigenpairs of a symmetric matrix,
//! orthonormal bases and linear solves. The examples check what gradient descent on an
//! objective reaches against these classical answers, which use no autodiff at all.
//!
//! Matrices are row-major `f64` slices, as the engine's tensors store them; [`nalgebra`] is
//! re-exported for the solvers that need more (a Cholesky factor, triangular solves).

pub use nalgebra;

use nalgebra::{DMatrix, DVector};

/// Eigenvalues (descending) and eigenvectors (columns of a row-major `p x p` matrix, in the
/// same order) of a symmetric `p x p` matrix. Each eigenvector's sign is chosen so that its
/// largest component (in magnitude) is positive: the same matrix always gives the same vectors.
///
/// ```
/// // [[2, 1], [1, 2]] has eigenvalues 3 and 1, eigenvectors (1, 1) and (-1, 1) over sqrt 2.
/// let (values, vectors) = gallery::linalg::symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
/// assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
/// assert!((vectors[0] - 0.5f64.sqrt()).abs() < 1e-12); // column 0 = (1, 1) / sqrt 2
/// assert!((vectors[0] - vectors[2]).abs() < 1e-12);
/// ```
pub fn symmetric_eigen(matrix: &[f64], p: usize) -> (Vec<f64>, Vec<f64>) {
    let eigen = DMatrix::from_row_slice(p, p, matrix).symmetric_eigen();
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| eigen.eigenvalues[y].total_cmp(&eigen.eigenvalues[x]));
    let values = order.iter().map(|&i| eigen.eigenvalues[i]).collect();
    let mut vectors = vec![0.0; p * p];
    for (c, &i) in order.iter().enumerate() {
        let v = eigen.eigenvectors.column(i);
        // An eigenvector's sign is arbitrary: fix it, so that results are reproducible.
        let largest = v
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        let sign = if largest < 0.0 { -1.0 } else { 1.0 };
        for r in 0..p {
            vectors[r * p + c] = sign * v[r];
        }
    }
    (values, vectors)
}

/// Orthonormalises the columns of `q [n, p]` (row-major, `n >= p`) in place: the `Q` of its
/// QR factorisation, with signs chosen as Gram-Schmidt's (a positive diagonal of `R`), so that
/// column `j` spans what the first `j + 1` columns spanned.
///
/// ```
/// let mut q = vec![1.0, 1.0, 0.0, 1.0]; // columns (1, 0) and (1, 1)
/// gallery::linalg::orthonormalise_columns(&mut q, 2, 2);
/// let expected = [1.0, 0.0, 0.0, 1.0];
/// assert!(q.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-12), "{q:?}");
/// ```
pub fn orthonormalise_columns(q: &mut [f64], n: usize, p: usize) {
    let qr = DMatrix::from_row_slice(n, p, q).qr();
    let (basis, r) = (qr.q(), qr.r());
    for c in 0..p {
        let sign = if r[(c, c)] < 0.0 { -1.0 } else { 1.0 };
        for row in 0..n {
            q[row * p + c] = sign * basis[(row, c)];
        }
    }
}

/// Solves the dense system `a x = b` (`a` is `n x n`, row-major) by LU with partial pivoting;
/// `None` when `a` is singular.
///
/// ```
/// let x = gallery::linalg::solve(&[2.0, 1.0, 1.0, 3.0], &[3.0, 5.0], 2).unwrap();
/// assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
/// assert!(gallery::linalg::solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 1.0], 2).is_none());
/// ```
pub fn solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let x = DMatrix::from_row_slice(n, n, a)
        .lu()
        .solve(&DVector::from_column_slice(b))?;
    Some(x.iter().copied().collect())
}
