//! Classification objectives (C1-C3, C7-C9; C4 is in `margin.rs`, C5 and C6 in `logistic.rs`):
//! gradient checks, hand-computed values, closed-form derivatives and extreme logits.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, class_labels, rng, sign_labels, uniform};
use losses::Reduction;
use losses::classification::*;
use tape::{Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- C1 perceptron

#[test]
fn perceptron_gradcheck() {
    let mut r = rng(1);
    for (shape, reduction) in [(vec![7], Reduction::Sum), (vec![12, 1], Reduction::Mean)] {
        let scores = uniform(&mut r, &shape, -2.0, 2.0);
        let labels = sign_labels(&mut r, shape[0]);
        gradcheck(|v| perceptron(v[0], &labels, reduction), &[scores]).assert_within(GRAD_TOL);
    }
}

#[test]
fn perceptron_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.5, -2.0, 0.5, -0.25], [4]));
    let y = [1.0, 1.0, -1.0, -1.0];
    // max(0, -y f): 0, 2, 0.5, 0
    assert_close(
        perceptron(f, &y, Reduction::None).value().data(),
        &[0.0, 2.0, 0.5, 0.0],
        0.0,
    );
    assert_eq!(perceptron(f, &y, Reduction::Sum).item(), 2.5);
    assert_eq!(perceptron(f, &y, Reduction::Mean).item(), 0.625);
}

#[test]
fn perceptron_gradient_is_minus_y_on_misclassified() {
    let mut r = rng(2);
    let scores = uniform(&mut r, &[20], -1.0, 1.0);
    let labels = sign_labels(&mut r, 20);
    let tape = Tape::<f64>::new();
    let f = tape.var(scores.clone());
    perceptron(f, &labels, Reduction::Sum).backward();
    let expected: Vec<f64> = scores
        .data()
        .iter()
        .zip(&labels)
        .map(|(&f, &y)| if y * f < 0.0 { -y } else { 0.0 })
        .collect();
    assert!(expected.iter().any(|&g| g != 0.0) && expected.contains(&0.0));
    assert_close(f.grad().unwrap().data(), &expected, 0.0);
}

#[test]
#[should_panic(expected = "perceptron: label 0 at position 1 is not -1 or +1")]
fn perceptron_rejects_zero_one_labels() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::zeros([2]));
    perceptron(f, &[1.0, 0.0], Reduction::Sum);
}

// ---------------------------------------------------------------- C2 Euclidean on one-hot

#[test]
fn euclidean_one_hot_gradcheck() {
    let mut r = rng(3);
    for (n, k, reduction) in [(5, 3, Reduction::Sum), (8, 4, Reduction::Mean)] {
        let f = uniform(&mut r, &[n, k], -1.0, 2.0);
        let labels = class_labels(&mut r, n, k);
        gradcheck(|v| euclidean_one_hot(v[0], &labels, reduction), &[f]).assert_within(GRAD_TOL);
    }
}

#[test]
fn euclidean_one_hot_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(
        vec![0.2, 0.9, -0.1, 1.0, 0.0, 0.5],
        [2, 3],
    ));
    // row 0 against (0, 1, 0): 0.5 (0.04 + 0.01 + 0.01); row 1 against (0, 0, 1): 0.5 (1 + 0.25)
    assert_close(
        euclidean_one_hot(f, &[1, 2], Reduction::None)
            .value()
            .data(),
        &[0.03, 0.625],
        1e-15,
    );
    assert_near(
        euclidean_one_hot(f, &[1, 2], Reduction::Sum).item(),
        0.655,
        1e-15,
    );
    assert_near(
        euclidean_one_hot(f, &[1, 2], Reduction::Mean).item(),
        0.3275,
        1e-15,
    );
}

#[test]
fn euclidean_one_hot_gradient_is_f_minus_onehot() {
    let mut r = rng(4);
    let f0 = uniform(&mut r, &[6, 4], -1.0, 1.0);
    let labels = class_labels(&mut r, 6, 4);
    let tape = Tape::<f64>::new();
    let f = tape.var(f0.clone());
    euclidean_one_hot(f, &labels, Reduction::Sum).backward();
    let expected = f0.sub(&Tensor::one_hot(&labels, 4));
    assert_close(f.grad().unwrap().data(), expected.data(), 1e-15);
}

// ---------------------------------------------------------------- C3 Fisher criterion

#[test]
fn fisher_ratio_gradcheck() {
    let mut r = rng(5);
    for (n, d, classes) in [(10, 3, 3), (16, 4, 2)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d, 1], -1.0, 1.0);
        let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
        gradcheck(|v| fisher_ratio(v[0], v[1], &labels), &[x, w]).assert_within(GRAD_TOL);
    }
}

#[test]
fn fisher_ratio_value() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(
        vec![0.0, 1.0, 3.0, 4.0, 8.0, 10.0],
        [6, 1],
    ));
    let w = tape.var(Tensor::from_vec(vec![2.0], [1, 1]));
    // Class means 0.5, 3.5, 9 and grand mean 13/3: S_B = 2 ((23/6)^2 + (5/6)^2 + (28/6)^2),
    // S_W = 0.25 + 0.25 + 0.25 + 0.25 + 1 + 1; w^2 cancels in the ratio.
    let between = 2.0 * (529.0 + 25.0 + 784.0) / 36.0;
    let within = 3.0;
    let j = fisher_ratio(x, w, &[0, 0, 1, 1, 2, 2]);
    assert_near(j.item(), between / within, 1e-12);
}

/// For two classes, the Fisher direction is `S_W^-1 (mu_1 - mu_0)` and the maximum of `J` is the
/// only non-zero generalised eigenvalue `(n_0 n_1 / n) d^T S_W^-1 d`, `d = mu_1 - mu_0`.
#[test]
fn fisher_ratio_is_maximal_at_the_generalised_eigenvector() {
    let points = [
        [0.0, 0.0],
        [1.0, 1.5],
        [2.0, 0.5],
        [0.5, 2.0],
        [3.0, 2.0],
        [4.0, 4.5],
        [5.0, 2.5],
    ];
    let labels = [0, 0, 0, 0, 1, 1, 1];
    let mean = |class: usize| {
        let members: Vec<&[f64; 2]> = points
            .iter()
            .zip(&labels)
            .filter(|&(_, &l)| l == class)
            .map(|(p, _)| p)
            .collect();
        let n = members.len() as f64;
        [
            members.iter().map(|p| p[0]).sum::<f64>() / n,
            members.iter().map(|p| p[1]).sum::<f64>() / n,
        ]
    };
    let (mu0, mu1) = (mean(0), mean(1));
    let mut sw = [[0.0; 2]; 2];
    for (p, &l) in points.iter().zip(&labels) {
        let mu = if l == 0 { mu0 } else { mu1 };
        let c = [p[0] - mu[0], p[1] - mu[1]];
        for a in 0..2 {
            for b in 0..2 {
                sw[a][b] += c[a] * c[b];
            }
        }
    }
    let det = sw[0][0] * sw[1][1] - sw[0][1] * sw[1][0];
    let inv = [
        [sw[1][1] / det, -sw[0][1] / det],
        [-sw[1][0] / det, sw[0][0] / det],
    ];
    let d = [mu1[0] - mu0[0], mu1[1] - mu0[1]];
    let w_star = [
        inv[0][0] * d[0] + inv[0][1] * d[1],
        inv[1][0] * d[0] + inv[1][1] * d[1],
    ];
    let eigenvalue = (4.0 * 3.0 / 7.0) * (d[0] * w_star[0] + d[1] * w_star[1]);

    let x = Tensor::from_vec(points.iter().flatten().copied().collect(), [7, 2]);
    let tape = Tape::<f64>::new();
    let w = tape.var(Tensor::from_vec(w_star.to_vec(), [2, 1]));
    let j = fisher_ratio(tape.constant(x.clone()), w, &labels);
    j.backward();
    assert_near(j.item(), eigenvalue, 1e-12);
    // A stationary point, and any other direction does worse.
    assert!(w.grad().unwrap().data().iter().all(|g| g.abs() < 1e-12));
    for other in [[1.0, 0.0], [0.0, 1.0], [w_star[0], w_star[1] * 1.1]] {
        let tape = Tape::<f64>::new();
        let w = tape.var(Tensor::from_vec(other.to_vec(), [2, 1]));
        assert!(fisher_ratio(tape.constant(x.clone()), w, &labels).item() < eigenvalue);
    }
}

#[test]
fn fisher_trace_ratio_gradcheck() {
    let mut r = rng(6);
    for (n, d, m, classes) in [(12, 3, 2, 3), (15, 5, 3, 4)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d, m], -1.0, 1.0);
        let labels: Vec<usize> = (0..n).map(|i| i % classes).collect();
        gradcheck(|v| fisher_trace_ratio(v[0], v[1], &labels), &[x, w]).assert_within(GRAD_TOL);
    }
}

#[test]
fn fisher_trace_ratio_value_and_single_direction_case() {
    let tape = Tape::<f64>::new();
    // Axis 0 separates the classes (tr S_B 16, tr S_W 4); axis 1 only scatters (0 and 4).
    let x = tape.constant(Tensor::from_vec(
        vec![0.0, 1.0, 2.0, -1.0, 4.0, 1.0, 6.0, -1.0],
        [4, 2],
    ));
    let labels = [0, 0, 1, 1];
    let identity = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
    assert_near(fisher_trace_ratio(x, identity, &labels).item(), 2.0, 1e-12);
    let w = tape.var(Tensor::from_vec(vec![0.6, -0.8], [2, 1]));
    assert_near(
        fisher_trace_ratio(x, w, &labels).item(),
        fisher_ratio(x, w, &labels).item(),
        1e-12,
    );
}

// ---------------------------------------------------------------- C7 cross-entropy on probabilities

#[test]
fn cross_entropy_gradcheck() {
    let mut r = rng(16);
    for (n, k, reduction) in [(4, 3, Reduction::Sum), (6, 5, Reduction::Mean)] {
        let p = uniform(&mut r, &[n, k], 0.1, 1.0);
        let t = uniform(&mut r, &[n, k], 0.0, 1.0);
        gradcheck(|v| cross_entropy(v[0], v[1], reduction), &[p, t]).assert_within(GRAD_TOL);
    }
}

#[test]
fn cross_entropy_value() {
    let tape = Tape::<f64>::new();
    let p = tape.var(Tensor::from_vec(vec![0.2, 0.8, 0.5, 0.5], [2, 2]));
    let t = tape.constant(Tensor::from_vec(vec![0.0, 1.0, 0.3, 0.7], [2, 2]));
    let expected = [-0.8f64.ln(), 2f64.ln()];
    assert_close(
        cross_entropy(p, t, Reduction::None).value().data(),
        &expected,
        1e-15,
    );
    assert_near(
        cross_entropy(p, t, Reduction::Sum).item(),
        expected[0] + expected[1],
        1e-15,
    );
}

#[test]
fn cross_entropy_gradient_is_minus_t_over_p() {
    let mut r = rng(17);
    let p0 = uniform(&mut r, &[5, 3], 0.05, 1.0);
    let t0 = uniform(&mut r, &[5, 3], 0.0, 1.0);
    let tape = Tape::<f64>::new();
    let p = tape.var(p0.clone());
    cross_entropy(p, tape.constant(t0.clone()), Reduction::Sum).backward();
    let expected: Vec<f64> = t0
        .data()
        .iter()
        .zip(p0.data())
        .map(|(t, p)| -t / p)
        .collect();
    assert_close(p.grad().unwrap().data(), &expected, 1e-12);
}

#[test]
fn cross_entropy_is_finite_at_p_zero_and_one() {
    let tape = Tape::<f64>::new();
    // A one-hot prediction matching a one-hot target: p = 0 and p = 1 both occur.
    let p = tape.var(Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0], [2, 3]));
    let t = tape.constant(Tensor::from_vec(vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0], [2, 3]));
    let loss = cross_entropy(p, t, Reduction::Sum);
    loss.backward();
    assert_eq!(loss.item(), 0.0);
    assert_close(
        p.grad().unwrap().data(),
        &[0.0, -1.0, 0.0, 0.0, 0.0, -1.0],
        0.0,
    );
}

// ---------------------------------------------------------------- C8 exponential loss

#[test]
fn exponential_gradcheck() {
    let mut r = rng(18);
    for (shape, reduction) in [(vec![8], Reduction::Sum), (vec![13, 1], Reduction::Mean)] {
        let f = uniform(&mut r, &shape, -2.0, 2.0);
        let labels = sign_labels(&mut r, shape[0]);
        gradcheck(|v| exponential(v[0], &labels, reduction), &[f]).assert_within(GRAD_TOL);
    }
}

#[test]
fn exponential_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![1.0, -0.5, 0.0], [3]));
    let y = [1.0, 1.0, -1.0];
    let expected = [(-1f64).exp(), 0.5f64.exp(), 1.0];
    assert_close(
        exponential(f, &y, Reduction::None).value().data(),
        &expected,
        1e-15,
    );
    assert_near(
        exponential(f, &y, Reduction::Mean).item(),
        expected.iter().sum::<f64>() / 3.0,
        1e-15,
    );
}

#[test]
fn exponential_gradient_is_minus_y_exp_minus_y_f() {
    let mut r = rng(19);
    let f0 = uniform(&mut r, &[12], -2.0, 2.0);
    let labels = sign_labels(&mut r, 12);
    let tape = Tape::<f64>::new();
    let f = tape.var(f0.clone());
    exponential(f, &labels, Reduction::Sum).backward();
    let expected: Vec<f64> = f0
        .data()
        .iter()
        .zip(&labels)
        .map(|(&f, &y)| -y * (-y * f).exp())
        .collect();
    assert_close(f.grad().unwrap().data(), &expected, 1e-14);
}

// ---------------------------------------------------------------- C9 likelihoods

#[test]
fn negative_log_likelihood_gradcheck() {
    let mut r = rng(20);
    for (shape, reduction) in [(vec![6], Reduction::Sum), (vec![4, 3], Reduction::Mean)] {
        let log_p = uniform(&mut r, &shape, -3.0, 0.0);
        gradcheck(|v| negative_log_likelihood(v[0], reduction), &[log_p]).assert_within(GRAD_TOL);
    }
}

#[test]
fn negative_log_likelihood_value() {
    let tape = Tape::<f64>::new();
    let log_p = tape.var(Tensor::from_vec(
        vec![0.5f64.ln(), 0.5f64.ln(), 0.1f64.ln(), 0.0],
        [2, 2],
    ));
    // Per sample: -(ln 0.5 + ln 0.5) = 2 ln 2 and -(ln 0.1 + ln 1) = ln 10.
    let expected = [2.0 * 2f64.ln(), 10f64.ln()];
    assert_close(
        negative_log_likelihood(log_p, Reduction::None)
            .value()
            .data(),
        &expected,
        1e-15,
    );
    assert_near(
        negative_log_likelihood(log_p, Reduction::Sum).item(),
        expected[0] + expected[1],
        1e-14,
    );
}

#[test]
fn gaussian_nll_gradcheck() {
    let mut r = rng(21);
    // Per-element log-variances on [5, 3]; one per feature on [8, 2].
    for (n, d, per_feature, reduction) in
        [(5, 3, false, Reduction::Mean), (8, 2, true, Reduction::Sum)]
    {
        let mean = uniform(&mut r, &[n, d], -1.0, 1.0);
        let lv_shape = if per_feature { vec![d] } else { vec![n, d] };
        let log_var = uniform(&mut r, &lv_shape, -1.0, 1.0);
        let target = uniform(&mut r, &[n, d], -1.0, 1.0);
        gradcheck(
            |v| gaussian_nll(v[0], v[1], v[2], reduction),
            &[mean, log_var, target],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn gaussian_nll_value() {
    let tape = Tape::<f64>::new();
    let mean = tape.var(Tensor::from_vec(vec![0.0, 1.0, 2.0, 2.0], [2, 2]));
    let log_var = tape.var(Tensor::from_vec(vec![4f64.ln(), 0.0], [2])); // sigma^2 = 4, 1
    let target = tape.constant(Tensor::from_vec(vec![2.0, 1.0, 2.0, 0.0], [2, 2]));
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    // Sample 0: (2 - 0)^2 / 4 and (1 - 1)^2 / 1; sample 1: 0 / 4 and (0 - 2)^2 / 1.
    let s0 = 0.5 * (ln_2pi + 4f64.ln() + 1.0) + 0.5 * ln_2pi;
    let s1 = 0.5 * (ln_2pi + 4f64.ln()) + 0.5 * (ln_2pi + 4.0);
    assert_close(
        gaussian_nll(mean, log_var, target, Reduction::None)
            .value()
            .data(),
        &[s0, s1],
        1e-14,
    );
    assert_near(
        gaussian_nll(mean, log_var, target, Reduction::Mean).item(),
        (s0 + s1) / 2.0,
        1e-14,
    );
}
