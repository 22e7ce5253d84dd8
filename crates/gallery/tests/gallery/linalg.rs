//! The examples' independent solvers: eigenpairs reconstruct the matrix, orthonormalisation
//! yields orthonormal columns spanning the same space.

use approx::assert_abs_diff_eq;
use gallery::linalg::{orthonormalise_columns, solve, symmetric_eigen};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

fn random_symmetric(p: usize, rng: &mut StdRng) -> Vec<f64> {
    let mut a = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            let x = rng.random_range(-1.0..1.0);
            a[i * p + j] = x;
            a[j * p + i] = x;
        }
    }
    a
}

#[test]
fn symmetric_eigen_reconstructs_the_matrix_with_orthonormal_vectors() {
    let mut rng = StdRng::seed_from_u64(3);
    for p in [1, 2, 5, 12] {
        let a = random_symmetric(p, &mut rng);
        let (values, v) = symmetric_eigen(&a, p);
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
        for i in 0..p {
            for j in 0..p {
                let rebuilt: f64 = (0..p)
                    .map(|k| v[i * p + k] * values[k] * v[j * p + k])
                    .sum();
                assert_abs_diff_eq!(rebuilt, a[i * p + j], epsilon = 1e-12);
                let gram: f64 = (0..p).map(|k| v[k * p + i] * v[k * p + j]).sum();
                assert_abs_diff_eq!(gram, f64::from(u8::from(i == j)), epsilon = 1e-12);
            }
        }
    }
}

#[test]
fn orthonormalise_columns_keeps_the_span_and_the_first_direction() {
    let (n, p) = (6, 3);
    let mut rng = StdRng::seed_from_u64(5);
    let original: Vec<f64> = (0..n * p).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut q = original.clone();
    orthonormalise_columns(&mut q, n, p);
    for i in 0..p {
        for j in 0..p {
            let dot: f64 = (0..n).map(|r| q[r * p + i] * q[r * p + j]).sum();
            assert_abs_diff_eq!(dot, f64::from(u8::from(i == j)), epsilon = 1e-12);
        }
    }
    // Each original column is a combination of the new ones: its projection loses nothing.
    for j in 0..p {
        let column: Vec<f64> = (0..n).map(|r| original[r * p + j]).collect();
        let norm2: f64 = column.iter().map(|x| x * x).sum();
        let projected2: f64 = (0..p)
            .map(|i| {
                (0..n)
                    .map(|r| q[r * p + i] * column[r])
                    .sum::<f64>()
                    .powi(2)
            })
            .sum();
        assert_abs_diff_eq!(projected2, norm2, epsilon = 1e-12);
    }
    // The first column keeps its direction.
    let norm0 = (0..n).map(|r| original[r * p].powi(2)).sum::<f64>().sqrt();
    for r in 0..n {
        assert_abs_diff_eq!(q[r * p], original[r * p] / norm0, epsilon = 1e-12);
    }
}

#[test]
fn eigenvectors_have_a_fixed_sign_and_descending_values() {
    // diag(1, 3, 2): the eigenvectors are the axes, each with its 1 positive.
    let (values, v) = symmetric_eigen(&[1.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 2.0], 3);
    assert_eq!(values.len(), 3);
    for (got, want) in values.iter().zip([3.0, 2.0, 1.0]) {
        assert_abs_diff_eq!(*got, want, epsilon = 1e-12);
    }
    let expected = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    for (got, want) in v.iter().zip(expected) {
        assert_abs_diff_eq!(*got, want, epsilon = 1e-12);
    }
}

#[test]
fn solve_matches_the_system_and_rejects_a_singular_one() {
    let mut rng = StdRng::seed_from_u64(7);
    let n = 6;
    // Diagonally dominant, so well conditioned.
    let a: Vec<f64> = (0..n * n)
        .map(|i| rng.random_range(-1.0..1.0) + if i / n == i % n { 8.0 } else { 0.0 })
        .collect();
    let b: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let x = solve(&a, &b, n).unwrap();
    for i in 0..n {
        let ax: f64 = (0..n).map(|k| a[i * n + k] * x[k]).sum();
        assert_abs_diff_eq!(ax, b[i], epsilon = 1e-12);
    }
    assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0], 2).is_none());
}

#[test]
fn solve_finds_the_solution_of_a_system_that_needs_pivoting() {
    // The zero in the top-left corner forces a row swap.
    let a = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 3.0];
    let x = solve(&a, &[7.0, 3.0, 11.0], 3).unwrap();
    for (v, expected) in x.iter().zip([1.0, 2.0, 3.0]) {
        assert_abs_diff_eq!(*v, expected, epsilon = 1e-12);
    }
}
