//! Logistic regression (C5) and softmax regression (C6): gradient checks, hand-computed values,
//! the closed-form derivatives and extreme logits.

use crate::common;

use common::{
    GRAD_TOL, assert_close, assert_near, class_labels, rng, sigmoid, softmax_rows, uniform,
};
use losses::Reduction;
use losses::classification::*;
use tape::{Float, Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- C5 logistic regression

#[test]
fn binary_cross_entropy_gradcheck() {
    let mut r = rng(10);
    for (shape, reduction) in [(vec![6], Reduction::Mean), (vec![4, 3], Reduction::Sum)] {
        let z = uniform(&mut r, &shape, -4.0, 4.0);
        // Labels 0 and 1 sit on the edge of [0, 1], so the targets are constants here (their
        // own gradient is checked in `signatures.rs`).
        let y = Tensor::from_fn(shape.as_slice(), |i| [0.0, 1.0, 0.3][i % 3]);
        gradcheck(
            |v| binary_cross_entropy_with_logits(v[0], v[0].tape().constant(y.clone()), reduction),
            &[z],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn binary_cross_entropy_value() {
    let z = [0.0, 2.0, -1.0];
    let y = [1.0, 0.0, 0.25];
    let expected: Vec<f64> = z
        .iter()
        .zip(&y)
        .map(|(&z, &y)| -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln()))
        .collect();
    let tape = Tape::<f64>::new();
    let logits = tape.var(Tensor::from_vec(z.to_vec(), [3]));
    let targets = tape.constant(Tensor::from_vec(y.to_vec(), [3]));
    let per_sample = binary_cross_entropy_with_logits(logits, targets, Reduction::None);
    assert_close(per_sample.value().data(), &expected, 1e-14);
    let mean = binary_cross_entropy_with_logits(logits, targets, Reduction::Mean);
    assert_near(mean.item(), expected.iter().sum::<f64>() / 3.0, 1e-14);
}

#[test]
fn binary_cross_entropy_gradient_is_sigmoid_minus_y() {
    let mut r = rng(11);
    let z0 = uniform(&mut r, &[10], -5.0, 5.0);
    let y: Vec<f64> = (0..10).map(|i| (i % 2) as f64).collect();
    let tape = Tape::<f64>::new();
    let z = tape.var(z0.clone());
    let targets = tape.constant(Tensor::from_vec(y.clone(), [10]));
    binary_cross_entropy_with_logits(z, targets, Reduction::Sum).backward();
    let expected: Vec<f64> = z0
        .data()
        .iter()
        .zip(&y)
        .map(|(&z, &y)| sigmoid(z) - y)
        .collect();
    assert_close(z.grad().unwrap().data(), &expected, 1e-15);
    binary_cross_entropy_with_logits(z, targets, Reduction::Mean).backward();
    let per_n: Vec<f64> = expected.iter().map(|g| g / 10.0).collect();
    assert_close(z.grad().unwrap().data(), &per_n, 1e-15);
}

fn bce_at_extreme_logits<T: Float>() {
    let tape = Tape::<T>::new();
    let z = tape.var(Tensor::from_vec(
        [1e4, -1e4, 1e4, -1e4].map(T::from_f64).to_vec(),
        [4],
    ));
    let y = tape.constant(Tensor::from_vec(
        [1.0, 0.0, 0.0, 1.0].map(T::from_f64).to_vec(),
        [4],
    ));
    let loss = binary_cross_entropy_with_logits(z, y, Reduction::None);
    let values: Vec<f64> = loss.value().data().iter().map(|v| v.to_f64()).collect();
    assert_close(&values, &[0.0, 0.0, 1e4, 1e4], 0.0);
    loss.sum().backward();
    let grads: Vec<f64> = z
        .grad()
        .unwrap()
        .data()
        .iter()
        .map(|v| v.to_f64())
        .collect();
    assert_close(&grads, &[0.0, 0.0, 1.0, -1.0], 0.0);
}

#[test]
fn binary_cross_entropy_is_finite_at_extreme_logits_f32() {
    bce_at_extreme_logits::<f32>();
}

#[test]
fn binary_cross_entropy_is_finite_at_extreme_logits_f64() {
    bce_at_extreme_logits::<f64>();
}

// ---------------------------------------------------------------- C6 softmax regression

#[test]
fn softmax_cross_entropy_gradcheck() {
    let mut r = rng(12);
    for (n, k, reduction) in [(4, 3, Reduction::Mean), (6, 5, Reduction::Sum)] {
        let z = uniform(&mut r, &[n, k], -3.0, 3.0);
        let labels = class_labels(&mut r, n, k);
        gradcheck(|v| softmax_cross_entropy(v[0], &labels, reduction), &[z])
            .assert_within(GRAD_TOL);
    }
}

#[test]
fn softmax_cross_entropy_per_sample_gradcheck() {
    let mut r = rng(13);
    let z = uniform(&mut r, &[5, 4], -2.0, 2.0);
    let labels = class_labels(&mut r, 5, 4);
    let weights = uniform(&mut r, &[5], 0.0, 1.0);
    gradcheck(
        |v| {
            let w = v[0].tape().constant(weights.clone());
            (softmax_cross_entropy(v[0], &labels, Reduction::None) * w).sum()
        },
        &[z],
    )
    .assert_within(GRAD_TOL);
}

#[test]
fn softmax_cross_entropy_value() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0], [2, 3]));
    let e = std::f64::consts::E;
    let row0 = -(e.powi(3) / (e + e * e + e.powi(3))).ln();
    let row1 = 3f64.ln();
    let loss = softmax_cross_entropy(z, &[2, 1], Reduction::None);
    assert_close(loss.value().data(), &[row0, row1], 1e-14);
    assert_near(
        softmax_cross_entropy(z, &[2, 1], Reduction::Mean).item(),
        (row0 + row1) / 2.0,
        1e-14,
    );
}

#[test]
fn softmax_cross_entropy_gradient_is_softmax_minus_onehot_over_n() {
    let mut r = rng(14);
    let z0 = uniform(&mut r, &[8, 5], -3.0, 3.0);
    let labels = class_labels(&mut r, 8, 5);
    let onehot = Tensor::<f64>::one_hot(&labels, 5);
    let expected: Vec<f64> = softmax_rows(&z0)
        .iter()
        .zip(onehot.data())
        .map(|(s, t)| (s - t) / 8.0)
        .collect();
    let tape = Tape::<f64>::new();
    let z = tape.var(z0);
    softmax_cross_entropy(z, &labels, Reduction::Mean).backward();
    assert_close(z.grad().unwrap().data(), &expected, 1e-15);
}

fn softmax_cross_entropy_at_extreme_logits<T: Float>() {
    let tape = Tape::<T>::new();
    let z = tape.var(Tensor::from_vec(
        [1e4, -1e4, 0.0, -1e4, 1e4, 0.0].map(T::from_f64).to_vec(),
        [2, 3],
    ));
    let loss = softmax_cross_entropy(z, &[0, 0], Reduction::Sum);
    // Row 0 puts everything on its label (loss 0); row 1 is wrong by 2e4.
    assert_eq!(loss.item().to_f64(), 2e4);
    loss.backward();
    let grads: Vec<f64> = z
        .grad()
        .unwrap()
        .data()
        .iter()
        .map(|v| v.to_f64())
        .collect();
    assert_close(&grads, &[0.0, 0.0, 0.0, -1.0, 1.0, 0.0], 0.0);
}

#[test]
fn softmax_cross_entropy_is_finite_at_extreme_logits_f32() {
    softmax_cross_entropy_at_extreme_logits::<f32>();
}

#[test]
fn softmax_cross_entropy_is_finite_at_extreme_logits_f64() {
    softmax_cross_entropy_at_extreme_logits::<f64>();
}

#[test]
fn soft_cross_entropy_gradcheck() {
    let mut r = rng(15);
    for (n, k, reduction) in [(3, 4, Reduction::Mean), (7, 2, Reduction::Sum)] {
        let z = uniform(&mut r, &[n, k], -2.0, 2.0);
        let t = uniform(&mut r, &[n, k], 0.0, 1.0);
        gradcheck(|v| soft_cross_entropy(v[0], v[1], reduction), &[z, t]).assert_within(GRAD_TOL);
    }
}

#[test]
fn soft_cross_entropy_value_and_gradient() {
    let tape = Tape::<f64>::new();
    let z0 = Tensor::from_vec(vec![0.0, 3f64.ln(), 1.0, -1.0], [2, 2]);
    let t0 = Tensor::from_vec(vec![0.5, 0.5, 0.0, 1.0], [2, 2]);
    let z = tape.var(z0.clone());
    let t = tape.constant(t0.clone());
    // Row 0: softmax (1/4, 3/4); row 1: softmax (e/(e+1/e), ...).
    let p1 = sigmoid(-2.0);
    let expected = [-(0.5 * 0.25f64.ln() + 0.5 * 0.75f64.ln()), -p1.ln()];
    let loss = soft_cross_entropy(z, t, Reduction::None);
    assert_close(loss.value().data(), &expected, 1e-14);
    soft_cross_entropy(z, t, Reduction::Sum).backward();
    let softmax = softmax_rows(&z0);
    let closed: Vec<f64> = softmax.iter().zip(t0.data()).map(|(s, t)| s - t).collect();
    assert_close(z.grad().unwrap().data(), &closed, 1e-15);
}
