//! The `lda` example's gradient ascent reaches the top generalised eigenvalue, and its
//! eigen-solver is right on a case with a known answer.

#[path = "../../examples/lda.rs"]
#[allow(dead_code)]
mod lda;

use std::path::PathBuf;

use approx::assert_relative_eq;
use lda::{Config, DIMS, run, scatter_matrices, three_classes, top_generalised_eigenpair};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn gradient_ascent_reaches_the_top_generalised_eigenvalue() {
    let config = Config {
        out: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_lda"),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(
        report.relative_gap <= 1e-4,
        "J {} vs eigenvalue {}",
        report.j_reached,
        report.top_eigenvalue
    );
    assert!(report.angle_degrees < 0.1, "angle {}", report.angle_degrees);
    // The data are built so that the naive direction is far from optimal.
    assert!(report.j_mean_difference < 0.5 * report.j_reached);
    assert!(config.out.join("lda_projections.svg").exists());
    assert!(config.out.join("lda_ascent.svg").exists());
}

#[test]
fn generalised_eigenpair_of_diagonal_scatters() {
    // S_B = diag(4, 1), S_W = diag(1, 2): the ratios are 4 and 0.5, the best direction e1.
    let (value, w) = top_generalised_eigenpair(&[4.0, 0.0, 0.0, 1.0], &[1.0, 0.0, 0.0, 2.0], 2);
    assert_relative_eq!(value, 4.0, epsilon = 1e-12);
    assert_relative_eq!(w[1] / w[0], 0.0, epsilon = 1e-12);
}

#[test]
fn generalised_eigenpair_satisfies_its_equation_on_the_data() {
    let (x, labels) = three_classes(300, &mut StdRng::seed_from_u64(3));
    let (between, within) = scatter_matrices(&x, &labels);
    let (lambda, w) = top_generalised_eigenpair(&between, &within, DIMS);
    let times = |m: &[f64]| -> Vec<f64> {
        (0..DIMS)
            .map(|i| (0..DIMS).map(|j| m[i * DIMS + j] * w[j]).sum())
            .collect()
    };
    for (b, s) in times(&between).iter().zip(times(&within)) {
        assert_relative_eq!(*b, lambda * s, max_relative = 1e-9, epsilon = 1e-9);
    }
}

#[test]
fn a_learning_rate_that_misses_the_eigenvalue_fails_the_run() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_lda_fail");
    let argv = ["--lr", "1e9", "--out", out.to_str().unwrap()].map(String::from);
    let err = lda::run_main(argv).unwrap_err();
    assert!(err.starts_with("relative gap "), "{err}");
    assert!(
        err.ends_with(" is not <= 1e-4: the requirement on the result line is not met"),
        "{err}"
    );
}
