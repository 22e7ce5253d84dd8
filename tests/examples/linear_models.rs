//! The `linear_models` example: every model agrees with its independent answer, every convex
//! objective is solved to its reference optimum (1e-10 relative) by `train::solve`, and the
//! reference solvers are right on cases with known answers.

#[path = "../../examples/linear_models/main.rs"]
#[allow(dead_code)]
mod linear_models;

use std::path::PathBuf;

use approx::{assert_abs_diff_eq, assert_relative_eq};
use linear_models::{
    Config, Optima, exact_lad_line, lasso_coordinate_descent, normal_equations, run, svm_exact,
    tabular,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::solve::Stop;

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
    every_objective_reaches_its_optimum(&r.optima, r.lasso_zeros.0);
}

/// The second-order and proximal solvers end within 1e-10 relative of each reference optimum.
fn every_objective_reaches_its_optimum(o: &Optima, cd_zeros: usize) {
    let names: Vec<(&str, &str)> = o
        .rows
        .iter()
        .map(|r| (r.objective, r.report.method))
        .collect();
    assert_eq!(
        names,
        [
            ("logistic + L2", "Newton-CG"),
            ("logistic + L2", "L-BFGS"),
            ("SVM (hinge + L2)", "Newton-CG"),
            ("ridge", "Newton-CG"),
            ("LASSO", "FISTA"),
        ]
    );
    for r in &o.rows {
        let s = &r.report;
        assert!(
            r.gap.abs() <= 1e-10,
            "{} by {}: relative gap {:e} ({s})",
            r.objective,
            r.solver,
            r.gap
        );
        assert!(s.iterations >= 1 && s.function_evals >= s.iterations, "{s}");
        // The first-order runs took thousands of steps; the solvers, a few dozen iterations.
        assert!(s.iterations * 20 <= r.first_order.1, "{}: {s}", r.objective);
        assert!(r.first_order_gap.abs() < 1e-6, "{}", r.first_order_gap);
    }
    let [newton, lbfgs, svm, ridge, lasso] = &o.rows[..] else {
        unreachable!()
    };
    assert_eq!(
        newton.report.stop,
        Stop::GradientTolerance,
        "{}",
        newton.report
    );
    assert!(newton.report.hessian_vector_products >= newton.report.iterations);
    assert_eq!(lbfgs.report.hessian_vector_products, 0);
    // Ridge is a quadratic in 9 parameters: one Newton step of at most 9 CG steps.
    assert_eq!(ridge.report.iterations, 1, "{}", ridge.report);
    assert!(
        ridge.report.hessian_vector_products <= 9,
        "{}",
        ridge.report
    );
    assert_eq!(ridge.report.stop, Stop::GradientTolerance);
    assert!(
        svm.solver.starts_with("Newton-CG, 12 smoothings"),
        "{}",
        svm.solver
    );
    assert_eq!(
        lasso.report.stop,
        Stop::GradientTolerance,
        "{}",
        lasso.report
    );
    assert!(
        o.lasso_supports_equal,
        "FISTA's zeros differ from coordinate descent's"
    );
    assert_eq!(o.lasso_zeros, cd_zeros);
    assert!(o.lasso_zeros >= 2);
    assert!(o.svm_duality_gap.abs() <= 1e-13, "{}", o.svm_duality_gap);
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
