//! PyTorch's elementwise reduction (`losses::pytorch`): gradient checks, closed forms, and the
//! relation to the crate's per-sample convention stated in the reduction table.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, rng, sigmoid, uniform};
use losses::pytorch::{binary_cross_entropy_with_logits, l1_loss, mse_loss, smooth_l1_loss};
use losses::{Reduction, classification, regression};
use tape::{Tape, Tensor, Var, gradcheck};

/// Each alias with its crate counterpart (per-sample sums), by name.
type Pair = (
    &'static str,
    for<'t> fn(Var<'t, f64>, Var<'t, f64>, Reduction) -> Var<'t, f64>,
    for<'t> fn(Var<'t, f64>, Var<'t, f64>, Reduction) -> Var<'t, f64>,
);

fn pairs() -> [Pair; 4] {
    [
        ("mse_loss", mse_loss, regression::mse),
        ("l1_loss", l1_loss, regression::l1),
        (
            "smooth_l1_loss",
            |f, y, r| smooth_l1_loss(f, y, 0.5, r),
            |f, y, r| regression::smooth_l1(f, y, 0.5, r),
        ),
        (
            "binary_cross_entropy_with_logits",
            binary_cross_entropy_with_logits,
            classification::binary_cross_entropy_with_logits,
        ),
    ]
}

/// Inputs and targets for the pair: targets in (0, 1) for the cross-entropy.
fn inputs(name: &str, seed: u64, shape: &[usize]) -> (Tensor<f64>, Tensor<f64>) {
    let mut r = rng(seed);
    let f = uniform(&mut r, shape, -2.0, 2.0);
    let y = if name.starts_with("binary") {
        uniform(&mut r, shape, 0.05, 0.95)
    } else {
        uniform(&mut r, shape, -2.0, 2.0)
    };
    (f, y)
}

#[test]
fn every_alias_gradchecks_in_inputs_and_targets() {
    for (name, alias, _) in pairs() {
        let (f, y) = inputs(name, 701, &[4, 3]);
        let weights = uniform(&mut rng(702), &[4, 3], -1.0, 1.0);
        for reduction in [Reduction::Mean, Reduction::Sum] {
            gradcheck(|v| alias(v[0], v[1], reduction), &[f.clone(), y.clone()])
                .assert_within(GRAD_TOL);
        }
        // Elementwise values under None, weighted so that each one's gradient is checked.
        gradcheck(
            |v| (alias(v[0], v[1], Reduction::None) * v[0].tape().constant(weights.clone())).sum(),
            &[f.clone(), y.clone()],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn mean_divides_by_elements_sum_agrees_and_none_keeps_the_shape() {
    for (name, alias, per_sample) in pairs() {
        let (f0, y0) = inputs(name, 703, &[5, 4]);
        let tape = Tape::<f64>::new();
        let (f, y) = (tape.var(f0), tape.constant(y0));
        let elementwise = alias(f, y, Reduction::None);
        assert_eq!(elementwise.dims().as_slice(), &[5, 4], "{name}");
        let total: f64 = elementwise.value().data().iter().sum();
        assert_near(alias(f, y, Reduction::Sum).item(), total, 1e-12);
        assert_near(per_sample(f, y, Reduction::Sum).item(), total, 1e-12);
        assert_near(alias(f, y, Reduction::Mean).item(), total / 20.0, 1e-13);
        // The crate's Mean divides by the 5 samples: 4 times PyTorch's.
        assert_near(
            per_sample(f, y, Reduction::Mean).item(),
            4.0 * alias(f, y, Reduction::Mean).item(),
            1e-12,
        );
        // One value per sample: the two conventions agree.
        let (f1, y1) = inputs(name, 704, &[6]);
        let (f1, y1) = (tape.var(f1), tape.constant(y1));
        for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
            assert_close(
                alias(f1, y1, reduction).value().data(),
                per_sample(f1, y1, reduction).value().data(),
                1e-15,
            );
        }
    }
}

#[test]
fn closed_forms_of_values_and_gradients() {
    let f0 = [0.5, -3.0, 2.0, 0.0, 1.0, -0.25];
    let y0 = [0.0, -1.0, 0.5, 0.0, 2.5, 0.25];
    let n = f0.len() as f64;
    let diff: Vec<f64> = f0.iter().zip(&y0).map(|(f, y)| f - y).collect();
    let beta = 0.75;
    let huber = |d: f64| {
        if d.abs() < beta {
            0.5 * d * d / beta
        } else {
            d.abs() - 0.5 * beta
        }
    };
    let cases: [(&str, Vec<f64>, Vec<f64>); 3] = [
        (
            "mse_loss",
            diff.iter().map(|d| d * d).collect(),
            diff.iter().map(|d| 2.0 * d / n).collect(),
        ),
        (
            "l1_loss",
            diff.iter().map(|d| d.abs()).collect(),
            diff.iter()
                .map(|d| d.signum() * f64::from(*d != 0.0) / n)
                .collect(),
        ),
        (
            "smooth_l1_loss",
            diff.iter().map(|&d| huber(d)).collect(),
            diff.iter()
                .map(|d| (d / beta).clamp(-1.0, 1.0) / n)
                .collect(),
        ),
    ];
    for (name, values, gradient) in cases {
        let tape = Tape::<f64>::new();
        let f = tape.var(Tensor::from_vec(f0.to_vec(), [2, 3]));
        let y = tape.constant(Tensor::from_vec(y0.to_vec(), [2, 3]));
        let loss = |r| match name {
            "mse_loss" => mse_loss(f, y, r),
            "l1_loss" => l1_loss(f, y, r),
            _ => smooth_l1_loss(f, y, beta, r),
        };
        assert_close(loss(Reduction::None).value().data(), &values, 1e-15);
        let mean = loss(Reduction::Mean);
        assert_near(mean.item(), values.iter().sum::<f64>() / n, 1e-15);
        mean.backward();
        assert_close(f.grad().unwrap().data(), &gradient, 1e-15);
    }
    // The cross-entropy: sigma(z) - y per element, over the element count.
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::from_vec(f0.to_vec(), [3, 2]));
    let t = tape.constant(Tensor::from_vec(
        vec![1.0, 0.0, 0.5, 0.25, 0.0, 1.0],
        [3, 2],
    ));
    let loss = binary_cross_entropy_with_logits(z, t, Reduction::Mean);
    let expected: f64 = f0
        .iter()
        .zip(t.value().data())
        .map(|(&z, &y)| -(y * sigmoid(z).ln() + (1.0 - y) * (1.0 - sigmoid(z)).ln()))
        .sum::<f64>()
        / n;
    assert_near(loss.item(), expected, 1e-14);
    loss.backward();
    let gradient: Vec<f64> = f0
        .iter()
        .zip(t.value().data())
        .map(|(&z, &y)| (sigmoid(z) - y) / n)
        .collect();
    assert_close(z.grad().unwrap().data(), &gradient, 1e-15);
}

#[test]
#[should_panic(expected = "mse_loss: input [2, 3] and target [3, 2] must have the same shape")]
fn aliases_name_themselves_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::zeros([2, 3]));
    mse_loss(f, tape.constant(Tensor::zeros([3, 2])), Reduction::Mean);
}

#[test]
#[should_panic(expected = "pytorch::binary_cross_entropy_with_logits: target 2 at position 0")]
fn the_cross_entropy_alias_checks_its_targets() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros([2]));
    let y = tape.constant(Tensor::from_vec(vec![2.0, 0.0], [2]));
    binary_cross_entropy_with_logits(z, y, Reduction::Mean);
}
