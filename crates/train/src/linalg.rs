//! Small dense linear algebra in f64 for the examples' independent answers: eigenpairs of a
//! symmetric matrix (cyclic Jacobi) and Gram-Schmidt. The examples check what gradient descent
//! on an objective reaches against these classical solvers, so they use no autodiff at all.
//!
//! Matrices are row-major slices; sizes are small (tens to a few hundred rows), where Jacobi's
//! `O(p^3)` sweeps are fast and accurate to rounding.

/// Eigenvalues (descending) and eigenvectors (columns, in the same order) of a small symmetric
/// `p x p` matrix by cyclic Jacobi rotations.
///
/// ```
/// // [[2, 1], [1, 2]] has eigenvalues 3 and 1, eigenvectors (1, 1) and (1, -1) over sqrt 2.
/// let (values, vectors) = train::linalg::symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
/// assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
/// assert!((vectors[0].abs() - 0.5f64.sqrt()).abs() < 1e-12); // column 0 = (1, 1) / sqrt 2
/// assert!((vectors[0] - vectors[2]).abs() < 1e-12);
/// ```
pub fn symmetric_eigen(matrix: &[f64], p: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = matrix.to_vec();
    let mut v: Vec<f64> = (0..p * p)
        .map(|i| f64::from(u8::from(i / p == i % p)))
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..p * p)
            .filter(|i| i / p != i % p)
            .map(|i| a[i] * a[i])
            .sum();
        let scale: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-30 * scale {
            break;
        }
        for i in 0..p {
            for j in i + 1..p {
                if a[i * p + j] == 0.0 {
                    continue;
                }
                // The rotation angle that zeroes a[i][j] (Golub & Van Loan, algorithm 8.4.1).
                let theta = (a[j * p + j] - a[i * p + i]) / (2.0 * a[i * p + j]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                for k in 0..p {
                    let (ki, kj) = (a[k * p + i], a[k * p + j]);
                    a[k * p + i] = c * ki - s * kj;
                    a[k * p + j] = s * ki + c * kj;
                }
                for k in 0..p {
                    let (ik, jk) = (a[i * p + k], a[j * p + k]);
                    a[i * p + k] = c * ik - s * jk;
                    a[j * p + k] = s * ik + c * jk;
                    let (vi, vj) = (v[k * p + i], v[k * p + j]);
                    v[k * p + i] = c * vi - s * vj;
                    v[k * p + j] = s * vi + c * vj;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&x, &y| a[y * p + y].total_cmp(&a[x * p + x]));
    let values = order.iter().map(|&i| a[i * p + i]).collect();
    let vectors = (0..p * p)
        .map(|idx| v[(idx / p) * p + order[idx % p]])
        .collect();
    (values, vectors)
}

/// Orthonormalises the columns of `q [n, p]` (row-major) in place, by modified Gram-Schmidt.
///
/// ```
/// let mut q = vec![1.0, 1.0, 0.0, 1.0]; // columns (1, 0) and (1, 1)
/// train::linalg::orthonormalise_columns(&mut q, 2, 2);
/// assert_eq!(q, vec![1.0, 0.0, 0.0, 1.0]);
/// ```
pub fn orthonormalise_columns(q: &mut [f64], n: usize, p: usize) {
    for j in 0..p {
        // Twice: when a column is nearly in the span of the previous ones (a rank-deficient
        // matrix), one pass leaves a remainder that is not orthogonal to them.
        for _pass in 0..2 {
            for i in 0..j {
                let dot: f64 = (0..n).map(|r| q[r * p + i] * q[r * p + j]).sum();
                for r in 0..n {
                    q[r * p + j] -= dot * q[r * p + i];
                }
            }
        }
        let norm = (0..n).map(|r| q[r * p + j].powi(2)).sum::<f64>().sqrt();
        for r in 0..n {
            q[r * p + j] /= norm;
        }
    }
}
