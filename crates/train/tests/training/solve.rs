//! The full-batch solvers (`train::solve`): L-BFGS and Newton-CG reach Rosenbrock's minimum
//! and a quadratic's exactly; FISTA's LASSO matches coordinate descent (same support, exact
//! zeros, same objective); constraints hold; every report is asserted.

use approx::assert_relative_eq;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Tensor, Var};
use train::solve::{Lbfgs, Method, NewtonCg, ProximalGradient, SolveError, Stop, minimize};
use train::{ParamId, ParamStore, Params};

/// Rosenbrock's function of a two-element parameter.
fn rosenbrock<'t>(p: &Params<'t, f64>, xy: ParamId) -> Var<'t, f64> {
    let (x, y) = (p.get(xy).narrow(0, 0, 1), p.get(xy).narrow(0, 1, 1));
    ((y - x.square()).square() * 100.0 + (-x + 1.0).square()).sum()
}

fn rosenbrock_store() -> (ParamStore<f64>, ParamId) {
    let mut store = ParamStore::new();
    let xy = store.add("xy", Tensor::from_vec(vec![-1.2, 1.0], [2]));
    (store, xy)
}

#[test]
fn lbfgs_reaches_rosenbrocks_minimum() {
    let (mut store, xy) = rosenbrock_store();
    let report = Lbfgs::new()
        .gtol(1e-11)
        .ftol(0.0)
        .minimize(&mut store, |p| rosenbrock(p, xy))
        .unwrap();
    assert_eq!(report.stop, Stop::GradientTolerance, "{report}");
    assert!(report.converged());
    for &v in store.value(xy).data() {
        assert!((v - 1.0).abs() < 1e-10, "{v}: {report}");
    }
    assert!(report.gradient_max <= 1e-11);
    assert!(report.value < 1e-20);
    assert!((20..200).contains(&report.iterations), "{report}");
    assert!(report.function_evals >= report.iterations);
    assert_eq!(report.function_evals, report.gradient_evals);
    assert_eq!(report.hessian_vector_products, 0);
}

#[test]
fn newton_cg_reaches_rosenbrocks_minimum_with_hessian_vector_products() {
    let (mut store, xy) = rosenbrock_store();
    let report = NewtonCg::new()
        .gtol(1e-11)
        .ftol(0.0)
        .minimize(&mut store, |p| rosenbrock(p, xy))
        .unwrap();
    assert_eq!(report.stop, Stop::GradientTolerance, "{report}");
    for &v in store.value(xy).data() {
        assert!((v - 1.0).abs() < 1e-10, "{v}: {report}");
    }
    assert!(report.hessian_vector_products >= report.iterations);
    assert!((10..100).contains(&report.iterations), "{report}");
}

/// `0.5 x^T A x - b^T x` with `A = M M^T + n I` (symmetric positive definite) and
/// `b = A x*`, so the minimiser is `x*`.
fn quadratic(n: usize) -> (Tensor<f64>, Tensor<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(3);
    let m: Vec<f64> = (0..n * n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let a = Tensor::from_fn([n, n], |i| {
        let (r, c) = (i / n, i % n);
        let mm: f64 = (0..n).map(|k| m[r * n + k] * m[c * n + k]).sum();
        mm + if r == c { n as f64 } else { 0.0 }
    });
    let x_star: Vec<f64> = (0..n).map(|i| (i as f64 - 3.5) / 2.0).collect();
    let b = a.matmul(&Tensor::from_vec(x_star.clone(), [n, 1]));
    (a, b, x_star)
}

#[test]
fn newton_cg_solves_a_quadratic_in_one_step_of_at_most_n_cg_steps() {
    let n = 8;
    let (a, b, x_star) = quadratic(n);
    let mut store = ParamStore::new();
    let x = store.add("x", Tensor::zeros([n, 1]));
    let report = NewtonCg::new()
        .cg_rtol(1e-15)
        .gtol(1e-10)
        .minimize(&mut store, |p| {
            let t = p.tape();
            let (a, b, x) = (t.constant(a.clone()), t.constant(b.clone()), p.get(x));
            (x * a.matmul(x)).sum() * 0.5 - (b * x).sum()
        })
        .unwrap();
    assert_eq!(report.stop, Stop::GradientTolerance, "{report}");
    assert_eq!(report.iterations, 1, "{report}");
    assert!(report.hessian_vector_products <= n, "{report}");
    for (got, want) in store.value(x).data().iter().zip(&x_star) {
        assert_relative_eq!(got, want, epsilon = 1e-10);
    }
}

/// `(1 / 2n) |X w - y|^2` and its data: 40 samples, 12 features, 4 of them informative.
fn lasso_data() -> (Tensor<f64>, Tensor<f64>) {
    let (n, d) = (40, 12);
    let mut rng = StdRng::seed_from_u64(11);
    let x = Tensor::from_fn([n, d], |_| rng.random_range(-1.0..1.0));
    let truth = [1.5, 0.0, -2.0, 0.0, 0.0, 0.7, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0];
    let y = Tensor::from_fn([n, 1], |i| {
        let row = &x.data()[i * d..(i + 1) * d];
        row.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>() + rng.random_range(-0.1..0.1)
    });
    (x, y)
}

/// Cyclic coordinate descent for the LASSO, to convergence: the reference.
fn coordinate_descent(x: &Tensor<f64>, y: &Tensor<f64>, lambda: f64) -> Vec<f64> {
    let (n, d) = (x.shape().dims()[0], x.shape().dims()[1]);
    let col = |j: usize| (0..n).map(move |i| x.data()[i * d + j]);
    let mut w = vec![0.0; d];
    let mut residual: Vec<f64> = y.data().to_vec();
    for _ in 0..10_000 {
        let mut change: f64 = 0.0;
        for (j, wj) in w.iter_mut().enumerate() {
            let norm: f64 = col(j).map(|v| v * v).sum::<f64>() / n as f64;
            let rho: f64 =
                col(j).zip(&residual).map(|(v, r)| v * r).sum::<f64>() / n as f64 + norm * *wj;
            let new = rho.signum() * (rho.abs() - lambda).max(0.0) / norm;
            let delta = new - *wj;
            if delta != 0.0 {
                for (r, v) in residual.iter_mut().zip(col(j)) {
                    *r -= delta * v;
                }
            }
            change = change.max(delta.abs());
            *wj = new;
        }
        if change < 1e-15 {
            break;
        }
    }
    w
}

fn lasso_objective(x: &Tensor<f64>, y: &Tensor<f64>, w: &[f64], lambda: f64) -> f64 {
    let n = x.shape().dims()[0];
    let wt = Tensor::from_vec(w.to_vec(), [w.len(), 1]);
    let r = &x.matmul(&wt) - y;
    r.data().iter().map(|v| v * v).sum::<f64>() / (2.0 * n as f64)
        + lambda * w.iter().map(|v| v.abs()).sum::<f64>()
}

#[test]
fn fista_lasso_matches_coordinate_descent_with_exact_zeros() {
    let (x, y) = lasso_data();
    let lambda = 0.05;
    let reference = coordinate_descent(&x, &y, lambda);
    let zeros = reference.iter().filter(|v| **v == 0.0).count();
    assert!((3..12).contains(&zeros), "the test needs a sparse optimum");
    let mut iterations = Vec::new();
    for solver in [ProximalGradient::new(), ProximalGradient::new().ista()] {
        let mut store = ParamStore::new();
        let w = store.add("w", Tensor::zeros([12, 1]));
        let n = 40.0;
        let report = solver
            .l1(w, lambda)
            .gtol(1e-12)
            .ftol(0.0)
            .max_iterations(50_000)
            .minimize(&mut store, |p| {
                let t = p.tape();
                let r = t.constant(x.clone()).matmul(p.get(w)) - t.constant(y.clone());
                r.square().sum() * (0.5 / n)
            })
            .unwrap();
        assert_eq!(report.stop, Stop::GradientTolerance, "{report}");
        let got = store.value(w).data();
        for (g, r) in got.iter().zip(&reference) {
            assert_eq!(
                *g == 0.0,
                *r == 0.0,
                "support differs: {got:?} vs {reference:?}"
            );
            assert!((g - r).abs() < 1e-9, "{g} vs {r}");
        }
        let objective = lasso_objective(&x, &y, got, lambda);
        let best = lasso_objective(&x, &y, &reference, lambda);
        assert_relative_eq!(objective, best, max_relative = 1e-10);
        assert_relative_eq!(report.value, objective, max_relative = 1e-12);
        iterations.push(report.iterations);
    }
    assert!(iterations[0] < iterations[1], "FISTA {iterations:?} ISTA");
}

#[test]
fn constraints_are_projections() {
    // min |x - c|^2 subject to x >= 0 (first parameter) and -0.5 <= z <= 0.5 (second).
    let c = Tensor::from_vec(vec![1.0, -2.0, 0.25, -0.1], [4]);
    let mut store = ParamStore::new();
    let x = store.add("x", Tensor::full([4], 3.0));
    let z = store.add("z", Tensor::zeros([4]));
    let report = ProximalGradient::new()
        .non_negative(x)
        .bounds(z, -0.5, 0.5)
        .gtol(1e-12)
        .minimize(&mut store, |p| {
            let c = p.tape().constant(c.clone());
            (p.get(x) - c).square().sum() + (p.get(z) - c).square().sum()
        })
        .unwrap();
    assert!(report.converged(), "{report}");
    assert_eq!(store.value(x).data(), &[1.0, 0.0, 0.25, 0.0]);
    let zs = store.value(z).data();
    for (got, want) in zs.iter().zip([0.5, -0.5, 0.25, -0.1]) {
        assert_relative_eq!(*got, want, epsilon = 1e-12);
    }
}

#[test]
fn a_non_finite_objective_is_an_error_naming_the_iteration() {
    let mut store = ParamStore::new();
    let x = store.add("x", Tensor::from_vec(vec![-1.0], [1]));
    let err = Lbfgs::new()
        .minimize(&mut store, |p| p.get(x).ln().sum())
        .unwrap_err();
    assert_eq!(
        err,
        SolveError::NonFinite {
            method: "L-BFGS",
            iteration: 0,
            what: "objective"
        }
    );
    assert!(err.to_string().contains("not finite at iteration 0"));
}

#[test]
fn the_iteration_limit_is_a_reported_stop() {
    let (mut store, xy) = rosenbrock_store();
    let report = Lbfgs::new()
        .max_iterations(3)
        .minimize(&mut store, |p| rosenbrock(p, xy))
        .unwrap();
    assert_eq!(report.stop, Stop::MaxIterations);
    assert_eq!(report.iterations, 3);
    assert!(!report.converged());
    // The store holds the returned point: its objective is the reported value.
    let (x, y) = (store.value(xy).data()[0], store.value(xy).data()[1]);
    let value = 100.0 * (y - x * x).powi(2) + (1.0 - x).powi(2);
    assert_relative_eq!(report.value, value, max_relative = 1e-14);
}

#[test]
fn f32_parameters_and_the_minimize_entry_point() {
    let mut store = ParamStore::<f32>::new();
    let w = store.add("w", Tensor::from_vec(vec![3.0f32, -4.0], [2]));
    let target = Tensor::from_vec(vec![0.5f32, 0.25], [2]);
    for method in [
        Method::Lbfgs(Lbfgs::new()),
        Method::NewtonCg(NewtonCg::new()),
        Method::ProximalGradient(ProximalGradient::new().initial_step(0.2)),
    ] {
        store.value_mut(w).data_mut().copy_from_slice(&[3.0, -4.0]);
        let report = minimize(&mut store, &method, |p| {
            let t = p.tape().constant(target.clone());
            ((p.get(w) - t).square() * 2.0).sum()
        })
        .unwrap();
        assert!(report.converged(), "{report}");
        for (got, want) in store.value(w).data().iter().zip(target.data()) {
            assert_relative_eq!(got, want, epsilon = 1e-5);
        }
    }
}
