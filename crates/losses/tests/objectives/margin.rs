//! The margin losses (catalogue C4): the hinge, the SVM primal, and the Huber-smoothed hinge
//! that second-order solvers minimise: gradient checks, hand-computed values and closed-form
//! derivatives.

use crate::common;

use approx::assert_relative_eq;
use common::{GRAD_TOL, assert_close, assert_near, rng, sign_labels, uniform};
use losses::Reduction;
use losses::classification::{hinge, smoothed_hinge, svm_primal};
use tape::{Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- C4 hinge and SVM

#[test]
fn hinge_gradcheck() {
    let mut r = rng(7);
    for (shape, reduction) in [(vec![9], Reduction::Mean), (vec![14, 1], Reduction::Sum)] {
        let scores = uniform(&mut r, &shape, -2.0, 2.0);
        let labels = sign_labels(&mut r, shape[0]);
        gradcheck(|v| hinge(v[0], &labels, reduction), &[scores]).assert_within(GRAD_TOL);
    }
}

#[test]
fn hinge_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![2.0, 0.5, 0.5, -3.0], [4]));
    let y = [1.0, 1.0, -1.0, -1.0];
    // max(0, 1 - y f): 0, 0.5, 1.5, 0
    assert_close(
        hinge(f, &y, Reduction::None).value().data(),
        &[0.0, 0.5, 1.5, 0.0],
        0.0,
    );
    assert_eq!(hinge(f, &y, Reduction::Sum).item(), 2.0);
    assert_eq!(hinge(f, &y, Reduction::Mean).item(), 0.5);
}

#[test]
fn hinge_gradient_is_minus_y_on_margin_violators() {
    let mut r = rng(8);
    let scores = uniform(&mut r, &[30], -2.0, 2.0);
    let labels = sign_labels(&mut r, 30);
    let tape = Tape::<f64>::new();
    let f = tape.var(scores.clone());
    hinge(f, &labels, Reduction::Sum).backward();
    let expected: Vec<f64> = scores
        .data()
        .iter()
        .zip(&labels)
        .map(|(&f, &y)| if y * f < 1.0 { -y } else { 0.0 })
        .collect();
    assert!(expected.iter().any(|&g| g != 0.0) && expected.contains(&0.0));
    assert_close(f.grad().unwrap().data(), &expected, 0.0);
}

#[test]
fn svm_primal_gradcheck() {
    let mut r = rng(9);
    for (n, d, reduction) in [(6, 2, Reduction::Sum), (11, 4, Reduction::Mean)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d], -1.0, 1.0);
        let b = uniform(&mut r, &[], -0.5, 0.5);
        let labels = sign_labels(&mut r, n);
        gradcheck(
            |v| svm_primal(v[0], v[1], v[2], &labels, 1.5, reduction),
            &[x, w, b],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn svm_primal_value() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(
        vec![1.0, 2.0, 0.0, -1.0, 2.0, 0.0],
        [3, 2],
    ));
    let w = tape.var(Tensor::from_vec(vec![0.5, -0.5], [2]));
    let b = tape.var(Tensor::scalar(0.25));
    let y = [1.0, -1.0, 1.0];
    // scores -0.25, 0.75, 1.25; hinges 1.25, 1.75, 0; penalty 0.5 (0.25 + 0.25)
    assert_near(
        svm_primal(x, w, b, &y, 2.0, Reduction::Sum).item(),
        2.0 * 3.0 + 0.25,
        1e-15,
    );
    assert_near(
        svm_primal(x, w, b, &y, 2.0, Reduction::Mean).item(),
        2.0 * 1.0 + 0.25,
        1e-15,
    );
    assert_close(
        svm_primal(x, w, b, &y, 2.0, Reduction::None).value().data(),
        &[2.75, 3.75, 0.25],
        1e-15,
    );
}

// ---------------------------------------------------------------- the smoothed hinge

#[test]
fn smoothed_hinge_is_huber_on_the_margin_violation() {
    let mu = 0.1;
    let signs = [1.0, 1.0, -1.0, 1.0];
    // Violations r = 1 - y f: -1 (beyond the margin), 0.05 (within mu), 2 (far inside), 0.2.
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![2.0, 0.95, 1.0, 0.8], [4]));
    let per_point = smoothed_hinge(f, &signs, mu, Reduction::None);
    let want = [
        0.0,
        0.05 * 0.05 / (2.0 * mu),
        2.0 - mu / 2.0,
        0.2 - mu / 2.0,
    ];
    assert_close(per_point.value().data(), &want, 1e-15);
    let mean = smoothed_hinge(f, &signs, mu, Reduction::Mean);
    assert_relative_eq!(
        mean.item(),
        want.iter().sum::<f64>() / 4.0,
        max_relative = 1e-15
    );
    // Its Hessian in the scores: 1 / (n mu) where the violation is within (0, mu), else 0.
    let hessian = tape.hessian_operator(mean, &[f]).matrix();
    for i in 0..4 {
        for j in 0..4 {
            let want = if i == 1 && j == 1 {
                1.0 / (4.0 * mu)
            } else {
                0.0
            };
            assert_relative_eq!(hessian.data()[i * 4 + j], want, max_relative = 1e-14);
        }
    }
}

#[test]
fn smoothed_hinge_gradcheck() {
    let mut r = rng(71);
    for (shape, mu, reduction) in [
        (vec![9], 0.5, Reduction::Mean),
        (vec![14, 1], 0.3, Reduction::Sum),
        (vec![6], 2.0, Reduction::Mean),
    ] {
        let scores = uniform(&mut r, &shape, -2.0, 2.0);
        let labels = sign_labels(&mut r, shape[0]);
        gradcheck(|v| smoothed_hinge(v[0], &labels, mu, reduction), &[scores])
            .assert_within(GRAD_TOL);
    }
}

#[test]
fn smoothed_hinge_gradient_is_minus_y_min_r_mu_over_mu() {
    let mut r = rng(72);
    let (n, mu) = (40, 0.4);
    let scores = uniform(&mut r, &[n], -2.0, 2.0);
    let labels = sign_labels(&mut r, n);
    let tape = Tape::<f64>::new();
    let f = tape.var(scores.clone());
    smoothed_hinge(f, &labels, mu, Reduction::Sum).backward();
    let expected: Vec<f64> = scores
        .data()
        .iter()
        .zip(&labels)
        .map(|(&f, &y)| -y * (1.0 - y * f).clamp(0.0, mu) / mu)
        .collect();
    // Every regime occurs: beyond the margin, within mu of it, further in.
    let slopes: Vec<f64> = expected.iter().map(|g| g.abs()).collect();
    assert!(slopes.contains(&0.0) && slopes.contains(&1.0));
    assert!(slopes.iter().any(|&s| 0.0 < s && s < 1.0));
    assert_close(f.grad().unwrap().data(), &expected, 1e-15);
}

#[test]
fn smoothed_hinge_lies_within_mu_over_two_below_the_hinge() {
    let mut r = rng(73);
    let scores = uniform(&mut r, &[200], -3.0, 3.0);
    let labels = sign_labels(&mut r, 200);
    let tape = Tape::<f64>::new();
    let f = tape.constant(scores);
    let exact = hinge(f, &labels, Reduction::None).value();
    for mu in [1.0, 1e-3, 1e-9] {
        let smooth = smoothed_hinge(f, &labels, mu, Reduction::None).value();
        for (&h, &s) in exact.data().iter().zip(smooth.data()) {
            // Up to the rounding of `r - mu / 2`: a few ulps of the hinge.
            let slack = 4.0 * f64::EPSILON * h;
            assert!(
                s <= h && h - s <= mu / 2.0 + slack,
                "{s} against {h}, mu {mu}"
            );
        }
    }
}

#[test]
#[should_panic(expected = "smoothed_hinge: mu must be positive and finite, found 0")]
fn smoothed_hinge_rejects_a_zero_mu() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::zeros([3]));
    smoothed_hinge(f, &[1.0, -1.0, 1.0], 0.0, Reduction::Mean);
}

#[test]
#[should_panic(expected = "smoothed_hinge: label 0 at position 1 is not -1 or +1")]
fn smoothed_hinge_rejects_zero_one_labels() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::zeros([3]));
    smoothed_hinge(f, &[1.0, 0.0, 1.0], 0.5, Reduction::Mean);
}

#[test]
fn smoothed_hinge_stays_finite_far_inside_the_margin_at_a_tiny_mu_in_f32() {
    // r = 1 + 1e15: r^2 / (2 mu) would overflow f32 at mu = 1e-11; only min(r, mu) is squared.
    let tape = Tape::<f32>::new();
    tape.detect_anomaly(true);
    let f = tape.var(Tensor::from_vec(vec![-1e15f32, 2.0], [2]));
    let loss = smoothed_hinge(f, &[1.0, 1.0], 1e-11, Reduction::Sum);
    loss.backward();
    assert_eq!(loss.item(), 1e15f32 + 1.0);
    assert_eq!(f.grad().unwrap().data(), &[-1.0, 0.0]);
    assert!(tape.anomaly().is_none());
}
