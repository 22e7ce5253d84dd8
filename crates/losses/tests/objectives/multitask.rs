//! Multi-task objectives (M1-M3): Fast R-CNN, DeepID2, center loss.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, class_labels, rng, uniform};
use losses::multitask::*;
use losses::{Error, Reduction};
use tape::{Float, Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- M1 Fast R-CNN

#[test]
fn fast_rcnn_gradcheck() {
    let mut r = rng(201);
    for (n, classes, reduction) in [(5, 3, Reduction::Mean), (8, 4, Reduction::Sum)] {
        let cls = uniform(&mut r, &[n, classes], -2.0, 2.0);
        let boxes = uniform(&mut r, &[n, 4 * classes], -2.0, 2.0);
        let targets = uniform(&mut r, &[n, 4], -2.0, 2.0);
        let mut labels = class_labels(&mut r, n, classes);
        labels[0] = 0; // at least one background and one object RoI
        labels[1] = 1;
        gradcheck(
            |v| fast_rcnn(v[0], v[1], &labels, v[2], 2.0, reduction),
            &[cls, boxes, targets],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn fast_rcnn_value() {
    let tape = Tape::<f64>::new();
    // Three RoIs, K = 2 object classes; uniform class scores give L_cls = ln 3 each.
    let cls = tape.var(Tensor::zeros([3, 3]));
    let mut deltas = vec![9.0; 3 * 12]; // outputs of other classes must not matter
    deltas[12 + 8..12 + 12].copy_from_slice(&[0.1, 0.2, 0.3, 0.4]); // RoI 1, class 2
    deltas[24 + 4..24 + 8].copy_from_slice(&[0.5, 0.0, 0.0, 0.0]); // RoI 2, class 1
    let boxes = tape.var(Tensor::from_vec(deltas, [3, 12]));
    let targets = tape.constant(Tensor::from_vec(
        vec![
            7.0, 7.0, 7.0, 7.0, // background: ignored
            0.1, -0.8, 2.3, 0.4, // d = (0, 1, -2, 0): 0 + 0.5 + 1.5 + 0
            0.0, 0.0, 0.0, 0.0, // d = (0.5, 0, 0, 0): 0.125
        ],
        [3, 4],
    ));
    let labels = [0, 2, 1];
    let ln3 = 3f64.ln();
    let per_roi = fast_rcnn(cls, boxes, &labels, targets, 2.0, Reduction::None);
    assert_close(
        per_roi.value().data(),
        &[ln3, ln3 + 2.0 * 2.0, ln3 + 2.0 * 0.125],
        1e-12,
    );
    let mean = fast_rcnn(cls, boxes, &labels, targets, 2.0, Reduction::Mean);
    assert_near(mean.item(), (3.0 * ln3 + 4.25) / 3.0, 1e-12);
}

#[test]
fn fast_rcnn_localisation_gradient_reaches_only_true_class_of_objects() {
    let mut r = rng(202);
    let (n, classes) = (12, 5);
    let cls0 = uniform(&mut r, &[n, classes], -1.0, 1.0);
    let boxes0 = uniform(&mut r, &[n, 4 * classes], -2.0, 2.0);
    let targets0 = uniform(&mut r, &[n, 4], -2.0, 2.0);
    // A quarter background, the rest objects of various classes.
    let labels = [0, 3, 1, 0, 4, 2, 2, 0, 1, 3, 4, 1];
    let tape = Tape::<f64>::new();
    let cls = tape.var(cls0);
    let boxes = tape.var(boxes0);
    let targets = tape.var(targets0);
    fast_rcnn(cls, boxes, &labels, targets, 1.0, Reduction::Mean).backward();
    let g = boxes.grad().unwrap();
    let gt = targets.grad().unwrap();
    for (i, &u) in labels.iter().enumerate() {
        for c in 0..4 * classes {
            let gij = g.at(&[i, c]);
            let in_true_class = u >= 1 && c / 4 == u;
            assert_eq!(
                gij != 0.0,
                in_true_class,
                "RoI {i} (class {u}), column {c}: gradient {gij}"
            );
        }
        // Background targets are ignored altogether.
        for j in 0..4 {
            assert_eq!(gt.at(&[i, j]) != 0.0, u >= 1, "target gradient of RoI {i}");
        }
    }
    // The classification term still trains background RoIs.
    assert!((0..classes).any(|c| cls.grad().unwrap().at(&[0, c]) != 0.0));
}

#[test]
fn fast_rcnn_with_only_background_is_the_classification_loss() {
    let tape = Tape::<f64>::new();
    let cls = tape.var(Tensor::zeros([2, 2]));
    let boxes = tape.var(Tensor::ones([2, 8]));
    let targets = tape.constant(Tensor::zeros([2, 4]));
    let loss = fast_rcnn(cls, boxes, &[0, 0], targets, 1.0, Reduction::Sum);
    assert_near(loss.item(), 2.0 * 2f64.ln(), 1e-15);
}

#[test]
fn encode_and_decode_boxes_invert_each_other() {
    let mut r = rng(203);
    let n = 20;
    let centres = uniform(&mut r, &[n, 2], -50.0, 50.0);
    let sizes = uniform(&mut r, &[n, 2], 1.0, 30.0);
    let boxes = |c: &Tensor<f64>, s: &Tensor<f64>| {
        let data = (0..n)
            .flat_map(|i| [c.at(&[i, 0]), c.at(&[i, 1]), s.at(&[i, 0]), s.at(&[i, 1])])
            .collect();
        Tensor::from_vec(data, [n, 4])
    };
    let proposals = boxes(&centres, &sizes);
    let truth = boxes(
        &uniform(&mut r, &[n, 2], -50.0, 50.0),
        &uniform(&mut r, &[n, 2], 1.0, 30.0),
    );
    let deltas = encode_boxes(&proposals, &truth).unwrap();
    assert!(decode_boxes(&proposals, &deltas).max_abs_diff(&truth) < 1e-12);
    let random_deltas = uniform(&mut r, &[n, 4], -1.0, 1.0);
    let decoded = decode_boxes(&proposals, &random_deltas);
    assert!(
        encode_boxes(&proposals, &decoded)
            .unwrap()
            .max_abs_diff(&random_deltas)
            < 1e-12
    );
}

#[test]
fn encode_boxes_value() {
    let p = Tensor::from_vec(vec![10.0, 20.0, 4.0, 8.0], [1, 4]);
    let g = Tensor::from_vec(vec![12.0, 16.0, 2.0, 8.0], [1, 4]);
    let t = encode_boxes(&p, &g).unwrap();
    assert_close(t.data(), &[0.5, -0.5, 0.5f64.ln(), 0.0], 1e-15);
}

#[test]
fn encode_boxes_reports_degenerate_boxes() {
    let p = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0, 1.0], [2, 4]);
    let g = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0], [2, 4]);
    let err = encode_boxes(&p, &g).unwrap_err();
    assert_eq!(
        err,
        Error::DegenerateBox {
            op: "encode_boxes",
            role: "ground truth",
            row: 1,
            width: 0.0,
            height: 1.0
        }
    );
    assert!(err.to_string().contains("row 1 has width 0"));
}

// ---------------------------------------------------------------- M2 DeepID2

#[test]
fn verification_gradcheck() {
    let mut r = rng(204);
    for (n, d, reduction) in [(6, 3, Reduction::Mean), (10, 5, Reduction::Sum)] {
        let f = uniform(&mut r, &[n, d], -1.0, 1.0);
        let labels: Vec<usize> = (0..n).map(|i| (i / 2) % 2 + (i % 3)).collect();
        let pairs: Vec<(usize, usize)> = (0..n).map(|i| (i, (i * 7 + 1) % n)).collect();
        assert!(pairs.iter().any(|&(i, j)| labels[i] == labels[j]));
        assert!(pairs.iter().any(|&(i, j)| labels[i] != labels[j]));
        gradcheck(
            |v| verification(v[0], &labels, &pairs, 1.5, reduction),
            &[f],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn verification_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(
        vec![0.0, 0.0, 3.0, 4.0, 0.0, 0.5, 6.0, 8.0],
        [4, 2],
    ));
    let labels = [1, 1, 2, 3];
    // (0, 1) same, distance 5: 12.5; (0, 2) different, distance 0.5: 0.5 (2 - 0.5)^2;
    // (0, 3) different, distance 10 beyond the margin: 0.
    let pairs = [(0, 1), (0, 2), (0, 3)];
    let loss = verification(f, &labels, &pairs, 2.0, Reduction::None);
    assert_close(loss.value().data(), &[12.5, 1.125, 0.0], 1e-15);
    let mean = verification(f, &labels, &pairs, 2.0, Reduction::Mean);
    assert_near(mean.item(), 13.625 / 3.0, 1e-14);
}

/// Rows 0, 1 and 2 coincide; (0, 1) is a same-identity pair and (0, 2) a different one, with a
/// margin of 10 so the gradient reaching their distance is large (-10).
fn verification_with_coinciding_features<T: Float>() {
    let tape = Tape::<T>::new();
    let f = tape.var(Tensor::from_vec(
        [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 0.0, 0.0]
            .map(T::from_f64)
            .to_vec(),
        [4, 2],
    ));
    let pairs = [(0, 1), (0, 2), (2, 3)];
    let loss = verification(f, &[5, 5, 6, 7], &pairs, 10.0, Reduction::Sum);
    loss.backward();
    // 0 + (1/2)(10 - 0)^2 + (1/2)(10 - sqrt 5)^2
    let expected = 50.0 + 0.5 * (10.0 - 5f64.sqrt()).powi(2);
    assert_near(loss.item().to_f64(), expected, 1e-4);
    let g = f.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()), "gradient {g:?}");
}

#[test]
fn verification_gradient_is_finite_when_features_coincide_f32() {
    verification_with_coinciding_features::<f32>();
}

#[test]
fn verification_gradient_is_finite_when_features_coincide_f64() {
    verification_with_coinciding_features::<f64>();
}

#[test]
fn deepid2_gradcheck() {
    let mut r = rng(205);
    for (n, d, ids) in [(6, 3, 3), (8, 4, 2)] {
        let f = uniform(&mut r, &[n, d], -1.0, 1.0);
        let w = uniform(&mut r, &[d, ids], -1.0, 1.0);
        let labels = class_labels(&mut r, n, ids);
        let pairs: Vec<(usize, usize)> = (0..n / 2).map(|i| (2 * i, 2 * i + 1)).collect();
        gradcheck(
            |v| deepid2(v[0], v[0].matmul(v[1]), &labels, &pairs, 1.0, 0.05),
            &[f, w],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn deepid2_value() {
    let tape = Tape::<f64>::new();
    let f = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0, 3.0, 4.5], [3, 2]));
    let logits = tape.var(Tensor::zeros([3, 4]));
    let labels = [0, 0, 1];
    // Ident: ln 4 per sample. Verif: (0, 1) same -> 12.5; (1, 2) different, distance 0.5
    // with margin 1 -> 0.125; mean 6.3125.
    let loss = deepid2(f, logits, &labels, &[(0, 1), (1, 2)], 1.0, 0.2);
    assert_near(loss.item(), 4f64.ln() + 0.2 * 6.3125, 1e-14);
}

// ---------------------------------------------------------------- M3 center loss

#[test]
fn center_loss_gradcheck() {
    let mut r = rng(206);
    for (n, d, classes, reduction) in [(6, 3, 2, Reduction::Mean), (9, 2, 4, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let logits = uniform(&mut r, &[n, classes], -1.0, 1.0);
        let centers = uniform(&mut r, &[classes, d], -1.0, 1.0);
        let labels = class_labels(&mut r, n, classes);
        gradcheck(
            |v| center_loss(v[0], v[1], &labels, v[2], 0.3, reduction),
            &[x, logits, centers],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn center_loss_value_and_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 2.0, 2.0], [3, 2]));
    let logits = tape.var(Tensor::zeros([3, 2]));
    let centers = tape.var(Tensor::from_vec(vec![1.0, 1.0, 0.0, 0.0], [2, 2]));
    let labels = [0, 1, 0];
    // ||x - c_y||^2: (0, -1) -> 1, (0, 1) -> 1, (1, 1) -> 2; (lambda / 2) * 4 = 1.
    let loss = center_loss(x, logits, &labels, centers, 0.5, Reduction::Sum);
    assert_near(loss.item(), 3.0 * 2f64.ln() + 1.0, 1e-15);
    loss.backward();
    // d/dx_i of the centre term: lambda (x_i - c_{y_i}); d/dc_j: lambda sum_{y_i = j} (c_j - x_i).
    let softmax_part = [-0.5, 0.5];
    let x_grad = x.grad().unwrap();
    assert_close(x_grad.data(), &[0.0, -0.5, 0.0, 0.5, 0.5, 0.5], 1e-15);
    assert_close(
        centers.grad().unwrap().data(),
        &[-0.5, 0.0, 0.0, -0.5],
        1e-15,
    );
    let logit_grad = logits.grad().unwrap();
    assert_close(&logit_grad.data()[..2], &softmax_part, 1e-15);
    let mean = center_loss(x, logits, &labels, centers, 0.5, Reduction::Mean);
    assert_near(mean.item(), 2f64.ln() + 1.0 / 3.0, 1e-15);
}

#[test]
fn center_compactness_gradcheck() {
    let mut r = rng(208);
    for (n, d, classes, reduction) in [(7, 3, 3, Reduction::Mean), (5, 4, 2, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let centers = uniform(&mut r, &[classes, d], -1.0, 1.0);
        let labels = class_labels(&mut r, n, classes);
        gradcheck(
            |v| center_compactness(v[0], &labels, v[1], reduction),
            &[x, centers],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn center_compactness_value_and_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 2.0, 2.0], [3, 2]));
    let centers = tape.var(Tensor::from_vec(vec![1.0, 1.0, 0.0, 0.0], [2, 2]));
    let labels = [0, 1, 0];
    // (1/2) ||x - c_y||^2: 0.5, 0.5, 1.
    let per_sample = center_compactness(x, &labels, centers, Reduction::None);
    assert_close(per_sample.value().data(), &[0.5, 0.5, 1.0], 0.0);
    assert_near(
        center_compactness(x, &labels, centers, Reduction::Mean).item(),
        2.0 / 3.0,
        1e-15,
    );
    let total = center_compactness(x, &labels, centers, Reduction::Sum);
    assert_eq!(total.item(), 2.0);
    total.backward();
    // x_i - c_{y_i}, and for each centre the sum of c_j - x_i over its samples.
    assert_close(
        x.grad().unwrap().data(),
        &[0.0, -1.0, 0.0, 1.0, 1.0, 1.0],
        0.0,
    );
    assert_close(centers.grad().unwrap().data(), &[-1.0, 0.0, 0.0, -1.0], 0.0);
}

/// `center_loss` is the cross-entropy plus lambda times the compactness term, both under the
/// same reduction; the two parts also combine under different reductions.
#[test]
fn center_loss_is_cross_entropy_plus_lambda_compactness_under_each_reduction() {
    use losses::classification::softmax_cross_entropy;
    let mut r = rng(209);
    let (n, d, classes, lambda) = (8, 3, 4, 0.7);
    let tape = Tape::<f64>::new();
    let x = tape.var(uniform(&mut r, &[n, d], -1.0, 1.0));
    let logits = tape.var(uniform(&mut r, &[n, classes], -2.0, 2.0));
    let centers = tape.var(uniform(&mut r, &[classes, d], -1.0, 1.0));
    let labels = class_labels(&mut r, n, classes);
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let whole = center_loss(x, logits, &labels, centers, lambda, reduction);
        let parts = softmax_cross_entropy(logits, &labels, reduction)
            + center_compactness(x, &labels, centers, reduction).scale(lambda);
        assert_close(whole.value().data(), parts.value().data(), 1e-14);
    }
    // Mean cross-entropy with the summed centre term: n - 1 of n compactness terms more than
    // center_loss's Mean.
    let compact_sum = center_compactness(x, &labels, centers, Reduction::Sum).item();
    let mixed = softmax_cross_entropy(logits, &labels, Reduction::Mean)
        + center_compactness(x, &labels, centers, Reduction::Sum).scale(lambda);
    let mean = center_loss(x, logits, &labels, centers, lambda, Reduction::Mean).item();
    assert_near(
        mixed.item() - mean,
        lambda * compact_sum * (n as f64 - 1.0) / n as f64,
        1e-14,
    );
}

#[test]
#[should_panic(expected = "center_compactness: centers [2, 3] do not match features [4, 2]")]
fn center_compactness_names_itself_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([4, 2]));
    center_compactness(
        x,
        &[0, 1, 0, 1],
        tape.var(Tensor::zeros([2, 3])),
        Reduction::Sum,
    );
}

#[test]
fn update_centers_follows_the_paper_rule() {
    let mut centers = Tensor::from_vec(vec![0.0, 0.0, 10.0, 10.0, 5.0, 5.0], [3, 2]);
    let x = Tensor::from_vec(vec![2.0, 0.0, 4.0, 2.0, 9.0, 9.0], [3, 2]);
    update_centers(&mut centers, &x, &[0, 0, 1], 0.5);
    // Class 0: delta = ((0 - 2) + (0 - 4), (0 - 0) + (0 - 2)) / (1 + 2) = (-2, -2/3).
    // Class 1: delta = (10 - 9, 10 - 9) / (1 + 1) = (0.5, 0.5). Class 2: absent, unchanged.
    assert_close(
        centers.data(),
        &[1.0, 1.0 / 3.0, 9.75, 9.75, 5.0, 5.0],
        1e-15,
    );
}

#[test]
fn update_centers_moves_each_centre_by_the_formula_on_random_data() {
    let mut r = rng(207);
    let (n, d, classes, alpha) = (30, 4, 5, 0.3);
    let before = uniform(&mut r, &[classes, d], -1.0, 1.0);
    let x = uniform(&mut r, &[n, d], -1.0, 1.0);
    let labels = class_labels(&mut r, n, classes);
    let mut after = before.clone();
    update_centers(&mut after, &x, &labels, alpha);
    for j in 0..classes {
        let members: Vec<usize> = (0..n).filter(|&i| labels[i] == j).collect();
        for k in 0..d {
            let delta: f64 = members
                .iter()
                .map(|&i| before.at(&[j, k]) - x.at(&[i, k]))
                .sum::<f64>()
                / (1.0 + members.len() as f64);
            assert_near(after.at(&[j, k]), before.at(&[j, k]) - alpha * delta, 1e-14);
        }
    }
}
