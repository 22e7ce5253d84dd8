//! The `unsupervised` example: k-means by gradient descent meets Lloyd, PCA by gradient descent
//! meets the eigenvalues, and the autoencoder beats PCA; its reference solvers are right on
//! cases with known answers.

#[path = "../../examples/unsupervised/main.rs"]
#[allow(dead_code)]
mod unsupervised;

use std::path::PathBuf;

use approx::assert_relative_eq;
use tape::Tensor;
use unsupervised::{Config, kmeans_gradient_descent, lloyd, run, top_eigenvalues};

#[test]
fn gradient_descent_matches_lloyd_and_the_eigenvalues_and_the_autoencoder_beats_pca() {
    // Smaller than the default run (1,000 digits) to keep the test short.
    let config = Config {
        cluster_points: 600,
        max_clusters: 6,
        kmeans_restarts: 3,
        digits: 300,
        ae_epochs: 200,
        out: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_unsupervised"),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(
        report.lloyd_fixed_point_gap <= 1e-9,
        "{}",
        report.lloyd_fixed_point_gap
    );
    // With five true blobs, both methods find the same best clustering at K = 5.
    assert!(
        report.kmeans_relative_gaps[4] <= 1e-9,
        "{:?}",
        report.kmeans_relative_gaps
    );
    assert!(
        report.pca_relative_gap <= 1e-3,
        "PCA error {} vs trailing eigenvalues {}",
        report.pca_error,
        report.trailing_eigenvalue_sum
    );
    assert!(report.orthonormality <= 1e-6, "{}", report.orthonormality);
    assert!(
        report.ae_error < report.pca_error,
        "autoencoder {} vs PCA {}",
        report.ae_error,
        report.pca_error
    );
    for name in ["curves", "clusters", "reconstructions"] {
        assert!(config.out.join(format!("unsupervised_{name}.svg")).exists());
    }
}

#[test]
fn subspace_iteration_finds_the_top_eigenvalues_of_a_rotated_diagonal() {
    // M = R diag(10, 9, ..., 1) R^T with R a rotation in the (0, 1) and (2, 3) planes.
    let d = 10;
    let (c, s) = (0.6, 0.8);
    let rotation = Tensor::from_fn([d, d], |idx| {
        let (i, j) = (idx / d, idx % d);
        match (i, j) {
            (0, 0) | (1, 1) | (2, 2) | (3, 3) => c,
            (0, 1) | (2, 3) => -s,
            (1, 0) | (3, 2) => s,
            _ if i == j => 1.0,
            _ => 0.0,
        }
    });
    let diagonal = Tensor::from_fn([d, d], |idx| {
        if idx / d == idx % d {
            (d - idx / d) as f64
        } else {
            0.0
        }
    });
    let m = rotation.matmul(&diagonal).matmul_t(&rotation, false, true);
    let top = top_eigenvalues(&m, 3);
    for (value, expected) in top.iter().zip([10.0, 9.0, 8.0]) {
        assert_relative_eq!(*value, expected, max_relative = 1e-10);
    }
}

#[test]
fn lloyd_and_gradient_descent_find_the_means_of_two_clusters() {
    let points = Tensor::from_vec(vec![0.0, 0.0, 0.0, 2.0, 10.0, 0.0, 12.0, 0.0], [4, 2]);
    let start = Tensor::from_vec(vec![1.0, 5.0, 9.0, 1.0], [2, 2]);
    let (centres, costs) = lloyd(&points, &start);
    assert_eq!(centres.data(), &[0.0, 1.0, 11.0, 0.0]);
    // Each cluster's squared distances to its mean: 1 + 1 and 1 + 1.
    assert_relative_eq!(*costs.last().unwrap(), 4.0);
    let by_gradient = kmeans_gradient_descent(&points, &start, 200).unwrap();
    for (a, b) in by_gradient.data().iter().zip(centres.data()) {
        assert_relative_eq!(*a, *b, epsilon = 1e-12);
    }
}
