//! Multi-task objectives (catalogue rows M1-M3): a classification loss plus a second task that
//! shapes the same network (box regression, pair verification, feature compactness).

use tape::{Float, Tensor, Var, where_};

use crate::classification::softmax_cross_entropy;
use crate::regression::smooth_l1_elementwise;
use crate::support::{assert_labels, assert_len, matrix_dims, per_sample};
use crate::{Error, Reduction};

mod center;

pub use center::{center_compactness, center_loss, update_centers};

/// Checks a box tensor is `[N, 4]` and returns `N`.
fn box_rows<T: Float>(op: &str, what: &str, boxes: &Tensor<T>) -> usize {
    let dims = boxes.dims();
    assert!(
        dims.len() == 2 && dims[1] == 4,
        "{op}: {what} must be [N, 4] boxes (x, y, w, h), found {}",
        boxes.shape()
    );
    dims[0]
}

/// Finds the first box whose width or height is not strictly positive.
fn check_boxes<T: Float>(
    op: &'static str,
    role: &'static str,
    boxes: &Tensor<T>,
) -> Result<(), Error> {
    for (row, b) in boxes.data().chunks_exact(4).enumerate() {
        // `!(x > 0)` also catches NaN.
        if !(b[2] > T::ZERO && b[3] > T::ZERO) {
            return Err(Error::DegenerateBox {
                op,
                role,
                row,
                width: b[2].to_f64(),
                height: b[3].to_f64(),
            });
        }
    }
    Ok(())
}

/// Fast R-CNN box encoding: the regression targets `v` of ground-truth boxes `G` relative to
/// proposals `P`, all `(x, y, w, h)` with `(x, y)` the centre:
/// `t_x = (G_x - P_x) / P_w`, `t_y = (G_y - P_y) / P_h`, `t_w = ln(G_w / P_w)`,
/// `t_h = ln(G_h / P_h)`.
///
/// Shapes: `proposals [N, 4]`, `ground_truth [N, 4]`; returns `[N, 4]`. Not differentiable (it
/// prepares targets). Errors with [`Error::DegenerateBox`] when a width or height is not
/// positive, since its logarithm would be undefined. [`decode_boxes`] is the inverse.
///
/// ```
/// use losses::multitask::{decode_boxes, encode_boxes};
/// use tape::Tensor;
/// let p = Tensor::from_vec(vec![10.0, 10.0, 4.0, 2.0], [1, 4]);
/// let g = Tensor::from_vec(vec![12.0, 9.0, 8.0, 2.0], [1, 4]);
/// let t = encode_boxes(&p, &g).unwrap();
/// assert_eq!(t.data(), &[0.5, -0.5, 2f64.ln(), 0.0]);
/// assert!(decode_boxes(&p, &t).max_abs_diff(&g) < 1e-12);
/// ```
pub fn encode_boxes<T: Float>(
    proposals: &Tensor<T>,
    ground_truth: &Tensor<T>,
) -> Result<Tensor<T>, Error> {
    let op = "encode_boxes";
    let n = box_rows(op, "proposals", proposals);
    let m = box_rows(op, "ground_truth", ground_truth);
    assert!(n == m, "{op}: {n} proposals for {m} ground-truth boxes");
    check_boxes(op, "proposal", proposals)?;
    check_boxes(op, "ground truth", ground_truth)?;
    let mut out = Vec::with_capacity(4 * n);
    for (p, g) in proposals
        .data()
        .chunks_exact(4)
        .zip(ground_truth.data().chunks_exact(4))
    {
        out.extend([
            (g[0] - p[0]) / p[2],
            (g[1] - p[1]) / p[3],
            (g[2] / p[2]).ln(),
            (g[3] / p[3]).ln(),
        ]);
    }
    Ok(Tensor::from_vec(out, [n, 4]))
}

/// Fast R-CNN box decoding, the inverse of [`encode_boxes`]:
/// `G_x = P_x + P_w t_x`, `G_y = P_y + P_h t_y`, `G_w = P_w e^(t_w)`, `G_h = P_h e^(t_h)`.
///
/// Shapes: `proposals [N, 4]` and `deltas [N, 4]` (the regression outputs of one class);
/// returns the predicted boxes `[N, 4]` as `(x, y, w, h)`, `(x, y)` the centre.
///
/// ```
/// use losses::multitask::decode_boxes;
/// use tape::Tensor;
/// let p = Tensor::from_vec(vec![10.0, 10.0, 4.0, 2.0], [1, 4]);
/// let t = Tensor::from_vec(vec![0.5, -0.5, 0.0, 0.0], [1, 4]);
/// assert_eq!(decode_boxes(&p, &t).data(), &[12.0, 9.0, 4.0, 2.0]);
/// ```
pub fn decode_boxes<T: Float>(proposals: &Tensor<T>, deltas: &Tensor<T>) -> Tensor<T> {
    let op = "decode_boxes";
    let n = box_rows(op, "proposals", proposals);
    let m = box_rows(op, "deltas", deltas);
    assert!(n == m, "{op}: {n} proposals for {m} rows of deltas");
    let mut out = Vec::with_capacity(4 * n);
    for (p, t) in proposals
        .data()
        .chunks_exact(4)
        .zip(deltas.data().chunks_exact(4))
    {
        out.extend([
            p[0] + p[2] * t[0],
            p[1] + p[3] * t[1],
            p[2] * t[2].exp(),
            p[3] * t[3].exp(),
        ]);
    }
    Tensor::from_vec(out, [n, 4])
}

/// The Fast R-CNN multi-task loss, catalogue M1:
/// `L = L_cls(p, u) + lambda [u >= 1] L_loc(t^u, v)`, with `L_cls = -ln p_u` (softmax
/// cross-entropy over `K + 1` classes, class 0 the background) and
/// `L_loc = sum_{i in x, y, w, h} smoothL1(t^u_i - v_i)` (beta = 1).
///
/// Shapes: `class_logits [N, K+1]`; `box_deltas [N, 4(K+1)]`, the per-class box regressions,
/// columns `4u..4u+4` for class `u`; `labels` the true class `u` of each RoI; `box_targets
/// [N, 4]` the encoded targets `v` (see [`encode_boxes`]; background rows are ignored and may
/// hold anything). Only the true class's four outputs `t^u` enter the loss, and background rows
/// have no localisation term at all, so neither receives a gradient from it. Per RoI: `L_i`.
/// `Mean` normalises by the number of RoIs `N` (the paper), `Sum` adds, `None` returns `[N]`.
///
/// ```
/// use losses::{Reduction, multitask::fast_rcnn};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Two RoIs, K = 1 object class: row 0 is background, row 1 is class 1.
/// let cls = tape.var(Tensor::zeros([2, 2])); // L_cls = ln 2 for both rows
/// let boxes = tape.var(Tensor::zeros([2, 8]));
/// let targets = tape.constant(Tensor::from_vec(vec![9.0, 9.0, 9.0, 9.0, 0.5, 0.0, 0.0, 2.0], [2, 4]));
/// let loss = fast_rcnn(cls, boxes, &[0, 1], targets, 1.0, Reduction::Sum);
/// loss.backward();
/// // 2 ln 2 + smoothL1 of row 1: 0.5 * 0.25 + (2 - 0.5)
/// assert!((loss.item() - (2.0 * 2f64.ln() + 1.625)).abs() < 1e-12);
/// assert_eq!(
///     boxes.grad().unwrap().data(),
///     &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5, 0.0, 0.0, -1.0]
/// );
/// ```
pub fn fast_rcnn<'t, T: Float>(
    class_logits: Var<'t, T>,
    box_deltas: Var<'t, T>,
    labels: &[usize],
    box_targets: Var<'t, T>,
    lambda: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "fast_rcnn";
    let (n, classes) = matrix_dims(op, "class_logits", class_logits);
    let (rows, columns) = matrix_dims(op, "box_deltas", box_deltas);
    assert!(
        rows == n && columns == 4 * classes,
        "{op}: box_deltas {} must be [{n}, {}] for class_logits {}",
        box_deltas.shape(),
        4 * classes,
        class_logits.shape()
    );
    assert!(
        box_targets.shape().dims() == [n, 4],
        "{op}: box_targets must be [{n}, 4], found {}",
        box_targets.shape()
    );
    assert_len(op, "labels", labels.len(), n);
    assert_labels(op, labels, classes);

    let classification = softmax_cross_entropy(class_logits, labels, Reduction::None);
    // [u >= 1]: background RoIs are left out of the localisation graph altogether.
    let foreground: Vec<usize> = (0..n).filter(|&i| labels[i] >= 1).collect();
    if foreground.is_empty() {
        return reduction.apply(classification);
    }
    let true_class_columns: Vec<usize> = foreground
        .iter()
        .flat_map(|&i| (4 * labels[i])..(4 * labels[i] + 4))
        .collect();
    let t_u = box_deltas
        .index_select(0, &foreground)
        .gather(1, &true_class_columns); // [F, 4]
    let v = box_targets.index_select(0, &foreground);
    let localisation = per_sample(op, smooth_l1_elementwise(t_u - v, 1.0)) // [F]
        .index_add(0, &foreground, n); // [N], zero on background rows
    reduction.apply(classification + localisation.scale(T::from_f64(lambda)))
}

/// The DeepID2 verification loss alone, catalogue M2: for each pair `(i, j)`,
/// `(1/2) ||f_i - f_j||^2` if `i` and `j` share an identity, else
/// `(1/2) max(0, m - ||f_i - f_j||)^2`.
///
/// Shapes: `features [n, d]`; `labels` the identity of each row; `pairs` row indices `(i, j)`;
/// `margin` is `m`. The distance is the safe `norm`, whose gradient is 0 (not NaN) when two
/// features coincide. Per pair: the term above. `Mean` averages over pairs (DeepID2), `Sum`
/// adds, `None` returns `[pairs.len()]`.
///
/// ```
/// use losses::{Reduction, multitask::verification};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0, 0.0, 0.5], [3, 2]));
/// // (0, 1): same identity, distance 5; (0, 2): different, distance 0.5 inside margin 2
/// let loss = verification(f, &[7, 7, 8], &[(0, 1), (0, 2)], 2.0, Reduction::None);
/// assert_eq!(loss.value().data(), &[12.5, 1.125]);
/// ```
pub fn verification<'t, T: Float>(
    features: Var<'t, T>,
    labels: &[usize],
    pairs: &[(usize, usize)],
    margin: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "verification";
    let (n, _) = matrix_dims(op, "features", features);
    assert_len(op, "labels", labels.len(), n);
    assert!(!pairs.is_empty(), "{op}: no pairs to verify");
    if let Some(&(i, j)) = pairs.iter().find(|&&(i, j)| i >= n || j >= n) {
        panic!("{op}: pair ({i}, {j}) is out of range for {n} feature rows");
    }
    let (first, second): (Vec<usize>, Vec<usize>) = pairs.iter().copied().unzip();
    let same: Vec<T> = pairs
        .iter()
        .map(|&(i, j)| {
            if labels[i] == labels[j] {
                T::ONE
            } else {
                T::ZERO
            }
        })
        .collect();
    let same = features
        .tape()
        .constant(Tensor::from_vec(same, [pairs.len()]));

    let diff = features.index_select(0, &first) - features.index_select(0, &second);
    let squared = diff.square().sum_axis(1, false);
    let distance = diff.norm(Some(1), false);
    let margin_violation = distance
        .neg()
        .add_scalar(T::from_f64(margin))
        .relu()
        .square();
    reduction.apply(where_(same, squared, margin_violation).scale(T::from_f64(0.5)))
}

/// The DeepID2 objective, catalogue M2: `Ident + lambda Verif`, where `Ident` is the softmax
/// cross-entropy of the identity classifier (mean over samples) and `Verif` the
/// [`verification`] loss (mean over pairs).
///
/// Shapes: `features [n, d]` (the DeepID2 features `f`), `identity_logits [n, C]` (the
/// classifier applied to `f`), `labels` the identities, `pairs` row indices, `margin` `m`.
/// Returns a scalar: the two terms average over different index sets (samples, pairs), so
/// there is no per-sample form; combine [`softmax_cross_entropy`] and [`verification`] yourself
/// for other reductions.
///
/// ```
/// use losses::multitask::deepid2;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let f = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0], [2, 2]));
/// let logits = tape.var(Tensor::zeros([2, 3])); // Ident = ln 3
/// let loss = deepid2(f, logits, &[0, 0], &[(0, 1)], 1.0, 0.1); // Verif = 12.5
/// assert!((loss.item() - (3f64.ln() + 1.25)).abs() < 1e-12);
/// ```
pub fn deepid2<'t, T: Float>(
    features: Var<'t, T>,
    identity_logits: Var<'t, T>,
    labels: &[usize],
    pairs: &[(usize, usize)],
    margin: f64,
    lambda: f64,
) -> Var<'t, T> {
    let identification = softmax_cross_entropy(identity_logits, labels, Reduction::Mean);
    let verify = verification(features, labels, pairs, margin, Reduction::Mean);
    identification + verify.scale(T::from_f64(lambda))
}
