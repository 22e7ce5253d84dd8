//! The `linear_models` example: every model agrees with its independent answer, and the
//! reference solvers are right on cases with known answers.

#[path = "../examples/linear_models/main.rs"]
#[allow(dead_code)]
mod linear_models;

use std::path::PathBuf;

use approx::{assert_abs_diff_eq, assert_relative_eq};
use linear_models::{
    Config, exact_lad_line, lasso_coordinate_descent, normal_equations, run, svm_exact, tabular,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;

#[test]
fn every_model_agrees_with_its_independent_answer() {
    let config = Config {
        out: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_linear_models"),
        ..Config::default()
    };
    let r = run(&config).unwrap();
    assert!(r.linear_gap <= 1e-4, "linear regression {}", r.linear_gap);
    assert!(r.ridge_gap <= 1e-4, "ridge {}", r.ridge_gap);
    assert!(r.lasso_gap <= 1e-3, "LASSO {}", r.lasso_gap);
    assert_eq!(
        r.lasso_zeros.0, r.lasso_zeros.1,
        "zero weights (CD, gradient)"
    );
    assert!(r.lasso_zeros.0 >= 2, "the LASSO should zero some weights");
    assert!(r.one_hot_gap <= 1e-6, "one-hot Euclidean {}", r.one_hot_gap);
    assert!(r.logistic_gap <= 1e-6, "logistic {}", r.logistic_gap);
    assert!(r.alpha_gap <= 1e-6, "AdaBoost alpha {}", r.alpha_gap);
    assert!((-1e-12..=1e-4).contains(&r.l1_gap), "LAD line {}", r.l1_gap);
    assert!(r.mse_gap <= 1e-6, "squared-error line {}", r.mse_gap);
    for a in &r.accuracies {
        // Within two points of the Bayes classifier, the best possible on these blobs.
        assert!(
            a.test >= r.bayes_test_accuracy - 0.02,
            "{}: test accuracy {} vs Bayes {}",
            a.name,
            a.test,
            r.bayes_test_accuracy
        );
    }
    assert!(config.out.join("linear_models_classifiers.svg").exists());
    assert!(config.out.join("linear_models_regression.svg").exists());
}

#[test]
fn coordinate_descent_is_least_squares_without_penalty_and_zero_with_a_large_one() {
    let (x, y) = tabular(100, &mut StdRng::seed_from_u64(5));
    let exact = normal_equations(&x, &Tensor::from_vec(y.clone(), [100]), 0.0).remove(0);
    let (w, b) = lasso_coordinate_descent(&x, &y, 0.0);
    for (v, e) in w.iter().chain([&b]).zip(&exact) {
        assert_abs_diff_eq!(*v, *e, epsilon = 1e-9);
    }
    let (w, b) = lasso_coordinate_descent(&x, &y, 1e3);
    assert!(w.iter().all(|&v| v == 0.0));
    assert_abs_diff_eq!(b, y.iter().sum::<f64>() / 100.0, epsilon = 1e-12);
}

#[test]
fn the_exact_lad_line_ignores_a_single_outlier() {
    let x = [0.0, 1.0, 2.0, 3.0, 4.0];
    let y = [1.0, 3.0, 5.0, 100.0, 9.0]; // y = 2x + 1 but for one point
    let (slope, intercept, cost) = exact_lad_line(&x, &y);
    assert_abs_diff_eq!(slope, 2.0, epsilon = 1e-12);
    assert_abs_diff_eq!(intercept, 1.0, epsilon = 1e-12);
    assert_abs_diff_eq!(cost, 93.0 / 5.0, epsilon = 1e-12);
}

#[test]
fn the_exact_svm_is_the_maximum_margin_line_or_flat_in_the_bias() {
    // Two points on each side: with C large, the hard-margin line x0 = 0 (w = (1, 0)).
    let x = Tensor::from_vec(vec![1.0, 0.0, 2.0, 1.0, -1.0, 0.0, -2.0, -1.0], [4, 2]);
    let y = [1.0, 1.0, -1.0, -1.0];
    let hard = svm_exact(&x, &y, 10.0).unwrap();
    for (got, want) in hard.theta.iter().zip([1.0, 0.0, 0.0]) {
        assert_abs_diff_eq!(*got, want, epsilon = 1e-14);
    }
    assert_relative_eq!(hard.value, 0.5, max_relative = 1e-15);
    assert_eq!(hard.margin_points, 2);
    // Two points, C = 0.5: both inside the margin, P = w^2/2 + C (1 - w) for |b| <= 1 - w,
    // so w = C, P = C - C^2/2, and no point fixes b.
    let x = Tensor::from_vec(vec![1.0, 0.0, -1.0, 0.0], [2, 2]);
    let soft = svm_exact(&x, &[1.0, -1.0], 0.5).unwrap();
    assert_abs_diff_eq!(soft.theta[0], 0.5, epsilon = 1e-15);
    assert_abs_diff_eq!(soft.theta[1], 0.0, epsilon = 1e-15);
    assert!(soft.theta[2].abs() <= 0.5, "b = {}", soft.theta[2]);
    assert_relative_eq!(soft.value, 0.375, max_relative = 1e-15);
    assert_eq!(soft.margin_points, 0);
    assert!(soft.duality_gap.abs() <= 1e-15);
}
