//! Regression objectives (R1-R6) and the regularisers (C10): gradient checks, hand-computed
//! values and closed-form derivatives.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, rng, uniform};
use losses::Reduction;
use losses::regression::*;
use losses::regularizers::{l1_penalty, l2_penalty};
use tape::{Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- R1 Euclidean / MSE

#[test]
fn euclidean_gradcheck() {
    let mut r = rng(101);
    for (shape, reduction) in [(vec![7], Reduction::Mean), (vec![5, 3], Reduction::Sum)] {
        let f = uniform(&mut r, &shape, -2.0, 2.0);
        let y = uniform(&mut r, &shape, -2.0, 2.0);
        gradcheck(|v| euclidean(v[0], v[1], reduction), &[f, y]).assert_within(GRAD_TOL);
    }
}

#[test]
fn euclidean_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
    let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 1.0, 1.0], [2, 2]));
    // Row 0: 0.5 * 1; row 1: 0.5 * (4 + 9).
    assert_close(
        euclidean(f, y, Reduction::None).value().data(),
        &[0.5, 6.5],
        0.0,
    );
    assert_eq!(euclidean(f, y, Reduction::Sum).item(), 7.0);
    assert_eq!(euclidean(f, y, Reduction::Mean).item(), 3.5);
}

#[test]
fn euclidean_gradient_is_f_minus_y() {
    let mut r = rng(102);
    let f0 = uniform(&mut r, &[6, 2], -2.0, 2.0);
    let y0 = uniform(&mut r, &[6, 2], -2.0, 2.0);
    let residual = f0.sub(&y0);
    let tape = Tape::<f64>::new();
    let f = tape.var(f0);
    let y = tape.constant(y0);
    euclidean(f, y, Reduction::Sum).backward();
    assert_close(f.grad().unwrap().data(), residual.data(), 1e-15);
    euclidean(f, y, Reduction::Mean).backward();
    let per_n: Vec<f64> = residual.data().iter().map(|d| d / 6.0).collect();
    assert_close(f.grad().unwrap().data(), &per_n, 1e-15);
}

#[test]
fn mse_gradcheck() {
    let mut r = rng(103);
    for (shape, reduction) in [(vec![9], Reduction::Sum), (vec![4, 2, 2], Reduction::Mean)] {
        let f = uniform(&mut r, &shape, -2.0, 2.0);
        let y = uniform(&mut r, &shape, -2.0, 2.0);
        gradcheck(|v| mse(v[0], v[1], reduction), &[f, y]).assert_within(GRAD_TOL);
    }
}

#[test]
fn mse_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
    let y = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 1.0, 1.0], [2, 2]));
    assert_close(mse(f, y, Reduction::None).value().data(), &[1.0, 13.0], 0.0);
    assert_eq!(mse(f, y, Reduction::Sum).item(), 14.0);
    assert_eq!(mse(f, y, Reduction::Mean).item(), 7.0);
}

#[test]
#[should_panic(expected = "mse: prediction [3, 1] and target [3] must have the same shape")]
fn mse_rejects_shapes_that_would_broadcast() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::zeros([3, 1]));
    let y = tape.constant(Tensor::zeros([3]));
    mse(f, y, Reduction::Mean);
}

// ---------------------------------------------------------------- R2 L1

#[test]
fn l1_gradcheck() {
    let mut r = rng(104);
    for (shape, reduction) in [(vec![8], Reduction::Mean), (vec![3, 4], Reduction::Sum)] {
        let f = uniform(&mut r, &shape, -2.0, 2.0);
        let y = uniform(&mut r, &shape, -2.0, 2.0);
        gradcheck(|v| l1(v[0], v[1], reduction), &[f, y]).assert_within(GRAD_TOL);
    }
}

#[test]
fn l1_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.0, -2.0, 3.0], [3]));
    let y = tape.constant(Tensor::from_vec(vec![0.0, 0.0, 3.0], [3]));
    assert_close(
        l1(f, y, Reduction::None).value().data(),
        &[1.0, 2.0, 0.0],
        0.0,
    );
    assert_eq!(l1(f, y, Reduction::Mean).item(), 1.0);
}

#[test]
fn l1_gradient_is_sign_over_n() {
    let mut r = rng(105);
    let f0 = uniform(&mut r, &[10], -2.0, 2.0);
    let y0 = uniform(&mut r, &[10], -2.0, 2.0);
    let tape = Tape::<f64>::new();
    let f = tape.var(f0.clone());
    l1(f, tape.constant(y0.clone()), Reduction::Mean).backward();
    let expected: Vec<f64> = f0
        .data()
        .iter()
        .zip(y0.data())
        .map(|(f, y)| (f - y).signum() / 10.0)
        .collect();
    assert_close(f.grad().unwrap().data(), &expected, 0.0);
}

// ---------------------------------------------------------------- R3 smooth L1

#[test]
fn smooth_l1_gradcheck() {
    let mut r = rng(106);
    for (shape, beta, reduction) in [
        (vec![10], 1.0, Reduction::Sum),
        (vec![6, 4], 0.5, Reduction::Mean),
    ] {
        let f = uniform(&mut r, &shape, -2.0, 2.0);
        let y = uniform(&mut r, &shape, -2.0, 2.0);
        gradcheck(|v| smooth_l1(v[0], v[1], beta, reduction), &[f, y]).assert_within(GRAD_TOL);
    }
}

#[test]
fn smooth_l1_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![0.5, -2.0, 1.0, 0.0], [4]));
    let zeros = tape.constant(Tensor::zeros([4]));
    // beta = 1: 0.5 * 0.25, 2 - 0.5, 1 - 0.5 (the boundary, where both pieces agree), 0.
    assert_close(
        smooth_l1(f, zeros, 1.0, Reduction::None).value().data(),
        &[0.125, 1.5, 0.5, 0.0],
        0.0,
    );
    // beta = 0.5: 0.5 - 0.25 (now on the boundary), 2 - 0.25, 1 - 0.25, 0.
    assert_eq!(
        smooth_l1(f, zeros, 0.5, Reduction::Sum).item(),
        0.25 + 1.75 + 0.75
    );
}

#[test]
fn smooth_l1_gradient_is_clamped_ratio() {
    let mut r = rng(107);
    for beta in [1.0, 0.3] {
        let f0 = uniform(&mut r, &[4, 5], -2.0, 2.0);
        let y0 = uniform(&mut r, &[4, 5], -2.0, 2.0);
        let tape = Tape::<f64>::new();
        let f = tape.var(f0.clone());
        smooth_l1(f, tape.constant(y0.clone()), beta, Reduction::Sum).backward();
        let expected: Vec<f64> = f0
            .data()
            .iter()
            .zip(y0.data())
            .map(|(f, y)| ((f - y) / beta).clamp(-1.0, 1.0))
            .collect();
        assert!(expected.iter().any(|g| g.abs() < 1.0) && expected.iter().any(|g| g.abs() == 1.0));
        assert_close(f.grad().unwrap().data(), &expected, 1e-15);
    }
}

// ---------------------------------------------------------------- R4-R6 linear, ridge, LASSO

/// The fixture of the value tests: predictions X w + b = (-0.5, -0.5, -0.5) against
/// y = (0, 0, 1), residuals -0.5, -0.5, -1.5, squared sum 2.75; ||w||^2 = ||w||_1 = 2.
fn linear_fixture(tape: &Tape<f64>) -> [tape::Var<'_, f64>; 4] {
    [
        tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 0.0, 1.0], [3, 2])),
        tape.var(Tensor::from_vec(vec![1.0, -1.0], [2])),
        tape.var(Tensor::scalar(0.5)),
        tape.constant(Tensor::from_vec(vec![0.0, 0.0, 1.0], [3])),
    ]
}

#[test]
fn linear_regression_gradcheck() {
    let mut r = rng(108);
    for (n, d, reduction) in [(6, 2, Reduction::Mean), (10, 4, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d], -1.0, 1.0);
        let b = uniform(&mut r, &[], -1.0, 1.0);
        let y = uniform(&mut r, &[n], -1.0, 1.0);
        gradcheck(
            |v| linear_regression(v[0], v[1], v[2], v[3], reduction),
            &[x, w, b, y],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn linear_regression_value() {
    let tape = Tape::<f64>::new();
    let [x, w, b, y] = linear_fixture(&tape);
    assert_near(
        linear_regression(x, w, b, y, Reduction::Mean).item(),
        2.75 / 6.0,
        1e-15,
    );
    assert_close(
        linear_regression(x, w, b, y, Reduction::None)
            .value()
            .data(),
        &[0.125, 0.125, 1.125],
        1e-15,
    );
    // Gradient of (1/2n)||Xw + b - y||^2: X^T r / n and mean(r).
    linear_regression(x, w, b, y, Reduction::Mean).backward();
    assert_close(
        w.grad().unwrap().data(),
        &[(-0.5 - 1.5) / 3.0, (-1.0 - 2.0 - 1.5) / 3.0],
        1e-15,
    );
    assert_near(b.grad().unwrap().item(), -2.5 / 3.0, 1e-15);
}

#[test]
fn ridge_gradcheck() {
    let mut r = rng(109);
    for (n, d, reduction) in [(5, 3, Reduction::Mean), (9, 2, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d, 1], -1.0, 1.0);
        let b = uniform(&mut r, &[1], -1.0, 1.0);
        let y = uniform(&mut r, &[n, 1], -1.0, 1.0);
        gradcheck(
            |v| ridge(v[0], v[1], v[2], v[3], 0.3, reduction),
            &[x, w, b, y],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn ridge_value_and_unpenalised_bias() {
    let tape = Tape::<f64>::new();
    let [x, w, b, y] = linear_fixture(&tape);
    let loss = ridge(x, w, b, y, 0.2, Reduction::Mean);
    assert_near(loss.item(), 2.75 / 6.0 + 0.1 * 2.0, 1e-15);
    loss.backward();
    // The penalty adds lambda w to the weight gradient and nothing to the bias gradient.
    assert_close(
        w.grad().unwrap().data(),
        &[-2.0 / 3.0 + 0.2, -4.5 / 3.0 - 0.2],
        1e-15,
    );
    assert_near(b.grad().unwrap().item(), -2.5 / 3.0, 1e-15);
}

#[test]
fn lasso_gradcheck() {
    let mut r = rng(110);
    for (n, d, reduction) in [(7, 3, Reduction::Mean), (4, 5, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d], 0.1, 1.0);
        let b = uniform(&mut r, &[], -1.0, 1.0);
        let y = uniform(&mut r, &[n], -1.0, 1.0);
        gradcheck(
            |v| lasso(v[0], v[1], v[2], v[3], 0.4, reduction),
            &[x, w, b, y],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn lasso_value_and_unpenalised_bias() {
    let tape = Tape::<f64>::new();
    let [x, w, b, y] = linear_fixture(&tape);
    let loss = lasso(x, w, b, y, 0.2, Reduction::Mean);
    assert_near(loss.item(), 2.75 / 6.0 + 0.2 * 2.0, 1e-15);
    loss.backward();
    assert_close(
        w.grad().unwrap().data(),
        &[-2.0 / 3.0 + 0.2, -4.5 / 3.0 - 0.2],
        1e-15,
    );
    assert_near(b.grad().unwrap().item(), -2.5 / 3.0, 1e-15);
}

// ---------------------------------------------------------------- C10 regularisers

#[test]
fn l2_penalty_gradcheck() {
    let mut r = rng(111);
    for shapes in [vec![vec![4]], vec![vec![3, 2], vec![5], vec![]]] {
        let params: Vec<Tensor<f64>> = shapes
            .iter()
            .map(|s| uniform(&mut r, s, -2.0, 2.0))
            .collect();
        gradcheck(|v| l2_penalty(v, 0.7), &params).assert_within(GRAD_TOL);
    }
}

#[test]
fn l2_penalty_value_and_gradient_is_lambda_theta() {
    let tape = Tape::<f64>::new();
    let w = tape.var(Tensor::from_vec(vec![1.0, -2.0, 0.5, 0.0], [2, 2]));
    let b = tape.var(Tensor::from_vec(vec![3.0], [1]));
    let penalty = l2_penalty(&[w, b], 0.1);
    assert_near(penalty.item(), 0.05 * (1.0 + 4.0 + 0.25 + 9.0), 1e-15);
    penalty.backward();
    assert_close(w.grad().unwrap().data(), &[0.1, -0.2, 0.05, 0.0], 1e-15);
    assert_close(b.grad().unwrap().data(), &[0.3], 1e-15);
}

#[test]
fn l1_penalty_gradcheck() {
    let mut r = rng(112);
    // Away from 0, where |theta| is differentiable.
    for shapes in [vec![vec![6]], vec![vec![2, 3], vec![4]]] {
        let params: Vec<Tensor<f64>> = shapes
            .iter()
            .map(|s| uniform(&mut r, s, 0.1, 2.0).map(|v| if v > 1.0 { v - 2.1 } else { v }))
            .collect();
        gradcheck(|v| l1_penalty(v, 0.3), &params).assert_within(GRAD_TOL);
    }
}

#[test]
fn l1_penalty_value_and_gradient_is_lambda_sign() {
    let tape = Tape::<f64>::new();
    let w = tape.var(Tensor::from_vec(vec![1.5, -2.0, 0.0, 0.25], [4]));
    let penalty = l1_penalty(&[w], 0.2);
    assert_near(penalty.item(), 0.2 * 3.75, 1e-15);
    penalty.backward();
    assert_close(w.grad().unwrap().data(), &[0.2, -0.2, 0.0, 0.2], 1e-15);
}

#[test]
fn penalties_add_to_any_objective() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let y = tape.constant(Tensor::zeros([2]));
    let loss = mse(f, y, Reduction::Mean) + l2_penalty(&[f], 1.0) + l1_penalty(&[f], 1.0);
    // 2.5 + 0.5 * 5 + 3
    assert_eq!(loss.item(), 8.0);
}
