//! The shared signatures: targets and distances as `Var`s, weights `[d]` or `[d, 1]` wherever a
//! linear model appears, and the public linear score that composes the losses taking scores
//! with the objectives taking `(x, w, b)`.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, rng, sign_labels, uniform};
use losses::classification::{
    binary_cross_entropy_with_logits, exponential, fisher_ratio, fisher_trace_ratio, hinge,
    perceptron, svm_primal,
};
use losses::regression::{euclidean, lasso, linear_regression, ridge};
use losses::regularizers::l2_penalty;
use losses::unsupervised::isomap_stress;
use losses::{Reduction, linear_scores};
use tape::{Tape, Tensor, Var, gradcheck};

// ---------------------------------------------------------------- targets as Vars

#[test]
fn binary_cross_entropy_gradcheck_through_the_targets() {
    let mut r = rng(601);
    for (shape, reduction) in [(vec![6], Reduction::Mean), (vec![4, 3], Reduction::Sum)] {
        let z = uniform(&mut r, &shape, -4.0, 4.0);
        // Inside (0, 1), so the finite differences stay in the targets' domain.
        let y = uniform(&mut r, &shape, 0.05, 0.95);
        gradcheck(
            |v| binary_cross_entropy_with_logits(v[0], v[1], reduction),
            &[z, y],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn binary_cross_entropy_target_gradient_is_minus_z() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::from_vec(vec![0.5, -2.0, 3.0, 0.0], [2, 2]));
    let y = tape.var(Tensor::from_vec(vec![0.25, 1.0, 0.0, 0.5], [2, 2]));
    let loss = binary_cross_entropy_with_logits(z, y, Reduction::Mean);
    loss.backward();
    // Per sample, softplus(z) - y z summed over the row; the mean divides by the 2 rows.
    let softplus = |v: f64| (1.0 + v.exp()).ln();
    let expected =
        (softplus(0.5) - 0.125 + softplus(-2.0) + 2.0 + softplus(3.0) + softplus(0.0)) / 2.0;
    assert_near(loss.item(), expected, 1e-14);
    assert_close(y.grad().unwrap().data(), &[-0.25, 1.0, -1.5, 0.0], 1e-15);
}

#[test]
#[should_panic(
    expected = "binary_cross_entropy_with_logits: logits [3] and targets [3, 1] must have the same shape"
)]
fn binary_cross_entropy_names_both_shapes() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros([3]));
    binary_cross_entropy_with_logits(z, tape.constant(Tensor::zeros([3, 1])), Reduction::Sum);
}

#[test]
#[should_panic(
    expected = "binary_cross_entropy_with_logits: target -1 at position 1 is not in [0, 1]"
)]
fn binary_cross_entropy_rejects_sign_labels() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::zeros([2]));
    let y = tape.constant(Tensor::from_vec(vec![1.0, -1.0], [2]));
    binary_cross_entropy_with_logits(z, y, Reduction::Sum);
}

#[test]
fn isomap_stress_gradient_of_the_distances_is_read_from_the_upper_triangle() {
    let tape = Tape::<f64>::new();
    let y = tape.constant(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0, 0.0, 1.0], [3, 2]));
    let geodesic = tape.var(Tensor::from_vec(
        vec![0.0, 6.0, 2.0, 6.0, 0.0, 4.0, 2.0, 4.0, 0.0],
        [3, 3],
    ));
    let stress = isomap_stress(y, geodesic, Reduction::Sum);
    stress.backward();
    // Pairs (0, 1): 6 vs 5; (0, 2): 2 vs 1; (1, 2): 4 vs sqrt 18. Gradient 2 (d_G - ||y_i - y_j||).
    let d12 = 18f64.sqrt();
    assert_near(stress.item(), 1.0 + 1.0 + (4.0 - d12).powi(2), 1e-14);
    let expected = [0.0, 2.0, 2.0, 0.0, 0.0, 2.0 * (4.0 - d12), 0.0, 0.0, 0.0];
    assert_close(geodesic.grad().unwrap().data(), &expected, 1e-14);
}

#[test]
#[should_panic(
    expected = "isomap_stress: geodesic distances [3, 2] must be [3, 3] for embedding [3, 1]"
)]
fn isomap_stress_names_both_shapes() {
    let tape = Tape::<f64>::new();
    let y = tape.var(Tensor::zeros([3, 1]));
    isomap_stress(y, tape.constant(Tensor::zeros([3, 2])), Reduction::Sum);
}

// ---------------------------------------------------------------- weights [d] or [d, 1]

/// How many objectives [`linear_objectives`] returns.
const LINEAR_OBJECTIVES: usize = 7;

/// Every linear-model objective, evaluated with the weights as given.
fn linear_objectives<'t>(
    x: Var<'t, f64>,
    w: Var<'t, f64>,
    b: Var<'t, f64>,
    y: Var<'t, f64>,
    signs: &[f64],
    classes: &[usize],
) -> Vec<Var<'t, f64>> {
    vec![
        svm_primal(x, w, b, signs, 2.0, Reduction::Sum),
        linear_regression(x, w, b, y, Reduction::Mean),
        ridge(x, w, b, y, 0.3, Reduction::Mean),
        lasso(x, w, b, y, 0.3, Reduction::Sum),
        fisher_ratio(x, w, classes),
        fisher_trace_ratio(x, w, classes),
        linear_scores(x, w, b).sum(),
    ]
}

#[test]
fn every_linear_objective_takes_weights_as_d_or_d_by_1_alike() {
    let mut r = rng(602);
    let (n, d) = (9, 3);
    let x0 = uniform(&mut r, &[n, d], -1.0, 1.0);
    let w0 = uniform(&mut r, &[d], -1.0, 1.0);
    let y0 = uniform(&mut r, &[n], -1.0, 1.0);
    let signs = sign_labels(&mut r, n);
    let classes: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let run = |shape: &[usize]| -> Vec<(f64, Vec<f64>)> {
        (0..LINEAR_OBJECTIVES)
            .map(|k| {
                let tape = Tape::new();
                let w = tape.var(w0.reshape(shape));
                let b = tape.var(Tensor::scalar(0.2));
                let (x, y) = (tape.constant(x0.clone()), tape.constant(y0.clone()));
                let loss = linear_objectives(x, w, b, y, &signs, &classes)[k];
                loss.backward();
                (loss.item(), w.grad().unwrap().data().to_vec())
            })
            .collect()
    };
    let (vector, column) = (run(&[d]), run(&[d, 1]));
    for (k, ((v, gv), (c, gc))) in vector.iter().zip(&column).enumerate() {
        assert!(v.is_finite() && *v != 0.0, "objective {k}: {v}");
        assert_near(*v, *c, 1e-14);
        assert_close(gv, gc, 1e-14);
    }
}

#[test]
fn fisher_ratio_gradcheck_with_a_weight_vector() {
    let mut r = rng(603);
    let x = uniform(&mut r, &[12, 4], -1.0, 1.0);
    let w = uniform(&mut r, &[4], -1.0, 1.0);
    let labels: Vec<usize> = (0..12).map(|i| i % 3).collect();
    gradcheck(
        |v| fisher_ratio(v[0], v[1], &labels),
        &[x.clone(), w.clone()],
    )
    .assert_within(GRAD_TOL);
    gradcheck(|v| fisher_trace_ratio(v[0], v[1], &labels), &[x, w]).assert_within(GRAD_TOL);
}

#[test]
#[should_panic(
    expected = "fisher_ratio: weights [3, 2] hold 2 directions for inputs [5, 3]; fisher_ratio takes one ([3] or [3, 1]), fisher_trace_ratio several"
)]
fn fisher_ratio_points_several_directions_to_the_trace_ratio() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([5, 3]));
    fisher_ratio(x, tape.var(Tensor::zeros([3, 2])), &[0, 1, 0, 1, 0]);
}

#[test]
#[should_panic(
    expected = "fisher_ratio: weights [2] do not fit inputs [5, 3]: expected [3] or [3, 1]"
)]
fn fisher_ratio_names_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([5, 3]));
    fisher_ratio(x, tape.var(Tensor::zeros([2])), &[0, 1, 0, 1, 0]);
}

#[test]
#[should_panic(
    expected = "svm_primal: weights [3, 2] do not fit inputs [4, 3]: expected [3] or [3, 1]"
)]
fn svm_primal_names_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([4, 3]));
    let (w, b) = (
        tape.var(Tensor::zeros([3, 2])),
        tape.var(Tensor::scalar(0.0)),
    );
    svm_primal(x, w, b, &[1.0, -1.0, 1.0, -1.0], 1.0, Reduction::Sum);
}

// ---------------------------------------------------------------- the linear score

#[test]
fn linear_scores_gradcheck() {
    let mut r = rng(604);
    for (w_shape, b_shape) in [(vec![3], vec![]), (vec![3, 1], vec![1])] {
        let x = uniform(&mut r, &[5, 3], -1.0, 1.0);
        let w = uniform(&mut r, &w_shape, -1.0, 1.0);
        let b = uniform(&mut r, &b_shape, -1.0, 1.0);
        let weights = uniform(&mut r, &[5], -1.0, 1.0);
        // A weighted sum, so every score's gradient is distinct.
        gradcheck(
            |v| (linear_scores(v[0], v[1], v[2]) * v[0].tape().constant(weights.clone())).sum(),
            &[x, w, b],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn linear_scores_compose_with_the_losses_that_take_scores() {
    let mut r = rng(605);
    let tape = Tape::<f64>::new();
    let x = tape.constant(uniform(&mut r, &[8, 2], -2.0, 2.0));
    let w = tape.var(Tensor::from_vec(vec![1.5, -0.5], [2, 1]));
    let b = tape.var(Tensor::from_vec(vec![0.25], [1]));
    let y = tape.constant(uniform(&mut r, &[8], -1.0, 1.0));
    let signs = sign_labels(&mut r, 8);
    let f = linear_scores(x, w, b);
    let scores: Vec<f64> = (0..8)
        .map(|i| 1.5 * x.value().at(&[i, 0]) - 0.5 * x.value().at(&[i, 1]) + 0.25)
        .collect();
    assert_close(f.value().data(), &scores, 1e-14);
    // Each loss on the scores, against its formula.
    let sum = |g: &dyn Fn(f64, f64) -> f64| -> f64 {
        scores.iter().zip(&signs).map(|(&f, &y)| g(f, y)).sum()
    };
    let cases = [
        (
            perceptron(f, &signs, Reduction::Sum),
            sum(&|f, y| (-y * f).max(0.0)),
        ),
        (
            hinge(f, &signs, Reduction::Sum),
            sum(&|f, y| (1.0 - y * f).max(0.0)),
        ),
        (
            exponential(f, &signs, Reduction::Sum),
            sum(&|f, y| (-y * f).exp()),
        ),
    ];
    for (loss, expected) in cases {
        assert_near(loss.item(), expected, 1e-12);
    }
    // The objectives that take (x, w, b) are these losses on the same scores.
    let svm = svm_primal(x, w, b, &signs, 3.0, Reduction::Mean);
    let composed = hinge(f, &signs, Reduction::Mean).scale(3.0) + l2_penalty(&[w], 1.0);
    assert_near(svm.item(), composed.item(), 1e-14);
    let regression = linear_regression(x, w, b, y, Reduction::Sum);
    assert_near(
        regression.item(),
        euclidean(f, y, Reduction::Sum).item(),
        1e-14,
    );
}

#[test]
#[should_panic(
    expected = "linear_scores: weights [3] do not fit inputs [4, 2]: expected [2] or [2, 1]"
)]
fn linear_scores_names_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([4, 2]));
    linear_scores(
        x,
        tape.var(Tensor::zeros([3])),
        tape.var(Tensor::scalar(0.0)),
    );
}

#[test]
#[should_panic(expected = "linear_scores: the bias must have one element, found [2]")]
fn linear_scores_wants_one_bias() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([4, 2]));
    linear_scores(
        x,
        tape.var(Tensor::zeros([2])),
        tape.var(Tensor::zeros([2])),
    );
}
