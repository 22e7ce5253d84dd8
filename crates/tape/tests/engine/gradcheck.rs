//! Gradient checks, in f64 against central finite differences with relative tolerance 1e-6,
//! for the elementwise primitives: unary, scalar and binary (with broadcasting), `where_`, and
//! the reductions. (Shape movements, indexing, products and composites:
//! `gradcheck_structured.rs`.)
//!
//! Non-scalar outputs are reduced with `crate::common::probe` (a dot product with fixed random
//! weights), so each output element enters the check with its own weight.

use crate::common::{check, distinct, probe, rng, signed, uniform};
use tape::{Reduce, Shape, Tape, Tensor, Var, where_};

// ---------------------------------------------------------------------------------------------
// Unary

#[test]
fn neg_exp_tanh_sigmoid_softplus_square() {
    let mut r = rng(1);
    let x = uniform(&mut r, [3, 4], -2.0, 2.0);
    let x = &[x];
    check(|v| probe(v[0].neg()), x);
    check(|v| probe(-v[0]), x);
    check(|v| probe(v[0].exp()), x);
    check(|v| probe(v[0].tanh()), x);
    check(|v| probe(v[0].sigmoid()), x);
    check(|v| probe(v[0].softplus()), x);
    check(|v| probe(v[0].square()), x);
}

#[test]
fn ln_and_sqrt_on_positive_inputs() {
    let mut r = rng(2);
    let x = &[uniform(&mut r, [3, 4], 0.3, 3.0)];
    check(|v| probe(v[0].ln()), x);
    check(|v| probe(v[0].sqrt()), x);
}

#[test]
fn recip_away_from_zero() {
    let mut r = rng(3);
    let x = &[signed(&mut r, [3, 4], 0.5, 2.0)];
    check(|v| probe(v[0].recip()), x);
}

#[test]
fn powf_for_several_exponents() {
    let mut r = rng(4);
    let x = &[uniform(&mut r, [2, 5], 0.4, 2.5)];
    check(|v| probe(v[0].powf(2.0)), x);
    check(|v| probe(v[0].powf(3.0)), x);
    check(|v| probe(v[0].powf(0.5)), x);
    check(|v| probe(v[0].powf(-1.5)), x);
    check(|v| probe(v[0].powf(1.7)), x);
}

#[test]
fn abs_and_relu_away_from_the_kink() {
    let mut r = rng(5);
    let x = signed(&mut r, [4, 5], 0.1, 2.0);
    assert!(x.data().iter().any(|&v| v < 0.0) && x.data().iter().any(|&v| v > 0.0));
    let x = &[x];
    check(|v| probe(v[0].abs()), x);
    check(|v| probe(v[0].relu()), x);
}

#[test]
fn softplus_at_large_magnitudes() {
    let xs = [30.0, 35.0, 40.0, 50.0, -30.0, -35.0, -40.0, -50.0];
    let x = Tensor::from_vec(xs.to_vec(), [8]);
    check(|v| probe(v[0].softplus()), std::slice::from_ref(&x));

    let tape = Tape::<f64>::new();
    let xv = tape.var(x);
    let y = xv.softplus();
    y.sum().backward();
    let (value, grad) = (y.value(), xv.grad().unwrap());
    for (i, &x) in xs.iter().enumerate() {
        let (v, g) = (value.data()[i], grad.data()[i]);
        assert!(
            v.is_finite() && g.is_finite(),
            "softplus({x}) = {v}, grad {g}"
        );
        // ln(1 + e^x) = x + ln(1 + e^-x) ~ x + e^-x for x >> 0, and ~ e^x for x << 0; the
        // naive form returns exactly 0 for x = -40 (1 + e^-40 rounds to 1).
        let (want_v, want_g) = if x > 0.0 {
            (x + (-x).exp(), 1.0 / (1.0 + (-x).exp()))
        } else {
            (x.exp(), x.exp() / (1.0 + x.exp()))
        };
        approx::assert_relative_eq!(v, want_v, max_relative = 1e-12);
        approx::assert_relative_eq!(g, want_g, max_relative = 1e-12);
    }
}

#[test]
fn clamp_inside_and_outside_the_interval() {
    let (lo, hi) = (-0.5, 0.7);
    let mut r = rng(6);
    // Keep every point at least 0.05 from the bounds so no difference step crosses one.
    let x = uniform(&mut r, [4, 6], -2.0, 2.0).map(|v| {
        if (v - lo).abs() < 0.05 || (v - hi).abs() < 0.05 {
            v + 0.1
        } else {
            v
        }
    });
    let inside = x.data().iter().filter(|&&v| v > lo && v < hi).count();
    assert!(
        inside > 0 && inside < x.numel(),
        "need points on both sides"
    );
    let x = &[x];
    check(|v| probe(v[0].clamp(lo, hi)), x);
    check(|v| probe(v[0].maximum_scalar(0.3)), x);
    check(|v| probe(v[0].minimum_scalar(-0.2)), x);
}

#[test]
fn scalar_operands_on_both_sides() {
    let mut r = rng(7);
    let x = &[signed(&mut r, [3, 3], 0.4, 2.0)];
    check(|v| probe(v[0].scale(2.5)), x);
    check(|v| probe(v[0].add_scalar(-0.7)), x);
    check(|v| probe(v[0] * 2.0), x);
    check(|v| probe(2.0 * v[0]), x);
    check(|v| probe(1.0 - v[0]), x);
    check(|v| probe(v[0] - 1.0), x);
    check(|v| probe(2.0 / v[0]), x);
    check(|v| probe(v[0] / 3.0), x);
    check(|v| probe(v[0] + 1.5), x);
    check(|v| probe(1.5 + v[0]), x);
}

// ---------------------------------------------------------------------------------------------
// Binary, with broadcasting

#[derive(Clone, Copy, Debug)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

impl Bin {
    const ALL: [Bin; 6] = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Max, Bin::Min];

    fn apply<'t>(self, a: Var<'t, f64>, b: Var<'t, f64>) -> Var<'t, f64> {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Max => a.maximum(b),
            Bin::Min => a.minimum(b),
        }
    }

    /// Operands for this op: divisors away from 0, and no ties for max/min (the operands
    /// are drawn from one set of distinct values).
    fn operands(self, seed: u64, sa: &[usize], sb: &[usize]) -> [Tensor<f64>; 2] {
        let mut r = rng(seed);
        match self {
            Bin::Max | Bin::Min => {
                let (na, nb) = (Shape::new(sa).numel(), Shape::new(sb).numel());
                let all = distinct(&mut r, [na + nb]);
                [
                    Tensor::from_slice(&all.data()[..na], sa),
                    Tensor::from_slice(&all.data()[na..], sb),
                ]
            }
            Bin::Div => [uniform(&mut r, sa, -2.0, 2.0), signed(&mut r, sb, 0.5, 2.0)],
            _ => [
                uniform(&mut r, sa, -2.0, 2.0),
                uniform(&mut r, sb, -2.0, 2.0),
            ],
        }
    }
}

/// `(a shape, b shape, result shape)`: equal shapes and every broadcasting pattern.
const BROADCAST_CASES: &[(&[usize], &[usize], &[usize])] = &[
    (&[3, 4], &[3, 4], &[3, 4]),
    (&[3, 1], &[1, 4], &[3, 4]),
    (&[2, 3, 4], &[4], &[2, 3, 4]),
    (&[4], &[2, 3, 4], &[2, 3, 4]),
    (&[], &[2, 3], &[2, 3]),
    (&[2, 3], &[], &[2, 3]),
    (&[2, 1, 4], &[3, 1], &[2, 3, 4]),
    (&[3, 1], &[2, 1, 4], &[2, 3, 4]),
    (&[1, 1], &[2, 3], &[2, 3]),
    (&[2, 3, 1], &[1, 3, 4], &[2, 3, 4]),
];

#[test]
fn binary_ops_same_shape_and_broadcast() {
    for (k, op) in Bin::ALL.into_iter().enumerate() {
        for (c, &(sa, sb, sout)) in BROADCAST_CASES.iter().enumerate() {
            let inputs = op.operands(100 + 10 * k as u64 + c as u64, sa, sb);
            let tape = Tape::<f64>::new();
            let y = op.apply(tape.var(inputs[0].clone()), tape.var(inputs[1].clone()));
            assert_eq!(y.dims().as_slice(), sout, "{op:?} {sa:?} {sb:?}");
            let report = tape::gradcheck(|v| probe(op.apply(v[0], v[1])), &inputs);
            assert!(
                report.max_rel_error <= crate::common::TOL,
                "{op:?} of {sa:?} and {sb:?}: {report}"
            );
        }
    }
}

#[test]
fn binary_methods_match_operators() {
    let [a, b] = Bin::Div.operands(9, &[3, 1], &[1, 4]);
    let ab = &[a, b];
    check(|v| probe(v[0].add(v[1])), ab);
    check(|v| probe(v[0].sub(v[1])), ab);
    check(|v| probe(v[0].mul(v[1])), ab);
    check(|v| probe(v[0].div(v[1])), ab);
}

#[test]
fn the_issue_broadcast_examples() {
    let mut r = rng(10);
    check(
        |v| probe(v[0] + v[1]),
        &[
            uniform(&mut r, [3, 1], -1.0, 1.0),
            uniform(&mut r, [1, 4], -1.0, 1.0),
        ],
    );
    check(
        |v| probe(v[0] * v[1]),
        &[
            uniform(&mut r, [2, 3, 4], -1.0, 1.0),
            uniform(&mut r, [4], -1.0, 1.0),
        ],
    );
}

#[test]
fn where_with_masks_and_broadcasting() {
    let mut r = rng(11);
    let mask = Tensor::from_fn([3, 4], |i| if i % 3 == 0 { 1.0 } else { 0.0 });
    check(
        |v| probe(where_(v[0].tape().constant(mask.clone()), v[0], v[1])),
        &[
            uniform(&mut r, [3, 4], -1.0, 1.0),
            uniform(&mut r, [3, 4], -1.0, 1.0),
        ],
    );
    // mask [3, 1], a [3, 4], b [4]
    let row_mask = Tensor::from_vec(vec![1.0, 0.0, 1.0], [3, 1]);
    check(
        |v| probe(where_(v[0].tape().constant(row_mask.clone()), v[0], v[1])),
        &[
            uniform(&mut r, [3, 4], -1.0, 1.0),
            uniform(&mut r, [4], -1.0, 1.0),
        ],
    );
    // mask [4], a [2, 3, 4], b scalar: b collects the gradient of every unmasked element.
    let col_mask = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], [4]);
    check(
        |v| probe(where_(v[0].tape().constant(col_mask.clone()), v[0], v[1])),
        &[uniform(&mut r, [2, 3, 4], -1.0, 1.0), Tensor::scalar(0.3)],
    );
    // A mask computed from the operands themselves: where(a > b, a, b) is maximum.
    let [a, b] = Bin::Max.operands(12, &[3, 4], &[3, 4]);
    check(|v| probe(where_(v[0].gt(v[1]), v[0], v[1])), &[a, b]);
}

// ---------------------------------------------------------------------------------------------
// Reductions

#[test]
fn every_reduction_over_all_and_along_each_axis() {
    let kinds = [
        Reduce::Sum,
        Reduce::Mean,
        Reduce::Max,
        Reduce::Min,
        Reduce::LogSumExp,
        Reduce::Norm,
    ];
    let mut r = rng(20);
    let x = distinct(&mut r, [2, 3, 4]);
    for kind in kinds {
        for axis in [None, Some(0), Some(1), Some(2)] {
            for keepdim in [false, true] {
                let tape = Tape::<f64>::new();
                let y = tape.var(x.clone()).reduce(kind, axis, keepdim);
                let want: Vec<usize> = match (axis, keepdim) {
                    (None, false) => vec![],
                    (None, true) => vec![1, 1, 1],
                    (Some(a), true) => (0..3)
                        .map(|i| if i == a { 1 } else { [2, 3, 4][i] })
                        .collect(),
                    (Some(a), false) => (0..3).filter(|&i| i != a).map(|i| [2, 3, 4][i]).collect(),
                };
                assert_eq!(
                    y.dims().as_slice(),
                    want.as_slice(),
                    "{kind:?} {axis:?} {keepdim}"
                );
                let report = tape::gradcheck(
                    |v| probe(v[0].reduce(kind, axis, keepdim)),
                    std::slice::from_ref(&x),
                );
                assert!(
                    report.max_rel_error <= crate::common::TOL,
                    "{kind:?} axis {axis:?} keepdim {keepdim}: {report}"
                );
            }
        }
    }
}

#[test]
fn reduction_methods() {
    let mut r = rng(21);
    let x = &[distinct(&mut r, [3, 5])];
    check(|v| v[0].sum(), x);
    check(|v| v[0].mean(), x);
    check(|v| v[0].max(), x);
    check(|v| v[0].min(), x);
    check(|v| v[0].logsumexp(), x);
    check(|v| v[0].norm(None, false), x);
    check(|v| probe(v[0].sum_axis(1, false)), x);
    check(|v| probe(v[0].mean_axis(0, true)), x);
    check(|v| probe(v[0].max_axis(1, true)), x);
    check(|v| probe(v[0].min_axis(0, false)), x);
    check(|v| probe(v[0].logsumexp_axis(1, false)), x);
    check(|v| probe(v[0].norm(Some(1), true)), x);
}
