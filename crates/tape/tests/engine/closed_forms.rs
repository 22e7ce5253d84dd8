//! Gradients and values checked against closed forms worked out by hand: repeated use of a
//! node, softmax and matrix-product gradients, masks that stop gradients, detach and constants,
//! the numerically delicate cases (logsumexp at large logits, the norm at 0), and the constant
//! outputs (argmax, one_hot).

use crate::common::{assert_close, assert_values, distinct, rng, uniform};
use approx::assert_relative_eq;
use tape::{Cmp, Tape, Tensor, where_};

#[test]
fn x_times_x_plus_x_gradient_is_two_x_plus_one() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![-1.5, 0.0, 0.25, 3.0], [4]));
    let y = (x * x + x).sum();
    y.backward();
    assert_relative_eq!(y.item(), 0.75 + 0.0 + 0.3125 + 12.0);
    assert_values(&x.grad().unwrap(), &[4], &[-2.0, 1.0, 1.5, 7.0], 1e-15);
}

#[test]
fn node_with_three_consumers_accumulates_all_three() {
    // f = sum(y^2 + e^y + y), y = 3x: df/dx = 3 (2y + e^y + 1).
    let tape = Tape::<f64>::new();
    let xs = [-0.4, 0.1, 0.7];
    let x = tape.var(Tensor::from_vec(xs.to_vec(), [3]));
    let y = x * 3.0;
    (y.square() + y.exp() + y).sum().backward();
    let want: Vec<f64> = xs
        .iter()
        .map(|&x| {
            let y = 3.0 * x;
            3.0 * (2.0 * y + y.exp() + 1.0)
        })
        .collect();
    assert_values(&x.grad().unwrap(), &[3], &want, 1e-14);
    // The intermediate node holds d f / d y = 2y + e^y + 1.
    let gy = y.grad().unwrap();
    for (i, &x) in xs.iter().enumerate() {
        let y = 3.0 * x;
        assert_relative_eq!(gy.data()[i], 2.0 * y + y.exp() + 1.0, max_relative = 1e-14);
    }
}

#[test]
fn broadcast_operand_gradient_is_summed_back() {
    // y = a [3, 1] + b [1, 4]: each a_i appears in 4 sums, each b_j in 3.
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3, 1]));
    let b = tape.var(Tensor::from_vec(vec![10.0, 20.0, 30.0, 40.0], [1, 4]));
    let w = tape.constant(Tensor::from_fn([3, 4], |i| i as f64));
    let y = (a + b) * w;
    y.sum().backward();
    // rows of w: [0 1 2 3], [4 5 6 7], [8 9 10 11]
    assert_values(&a.grad().unwrap(), &[3, 1], &[6.0, 22.0, 38.0], 0.0);
    assert_values(&b.grad().unwrap(), &[1, 4], &[12.0, 15.0, 18.0, 21.0], 0.0);
    // [2, 3, 4] * [4]: the vector's gradient sums over the 6 rows.
    let x = tape.var(Tensor::from_fn([2, 3, 4], |i| i as f64));
    let v = tape.var(Tensor::from_vec(vec![1.0, -1.0, 2.0, 0.5], [4]));
    (x * v).sum().backward();
    // sum over rows of column j of arange(24).reshape(6, 4) = 6 j + 4 (0 + 1 + ... + 5)
    assert_values(&v.grad().unwrap(), &[4], &[60.0, 66.0, 72.0, 78.0], 0.0);
    let xg = x.grad().unwrap();
    assert_eq!(xg.dims(), &[2, 3, 4]);
    assert_eq!(xg.at(&[1, 2, 2]), 2.0);
}

#[test]
fn softmax_weighted_sum_gradient() {
    // d/dx sum(softmax(x) * c) = s * (c - sum(s * c)).
    let xs = [0.5, -1.0, 2.0, 0.0];
    let c = [1.0, 2.0, -3.0, 0.5];
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(xs.to_vec(), [1, 4]));
    let cv = tape.constant(Tensor::from_vec(c.to_vec(), [1, 4]));
    (x.softmax(1) * cv).sum().backward();
    let z: f64 = xs.iter().map(|x| x.exp()).sum();
    let s: Vec<f64> = xs.iter().map(|x| x.exp() / z).collect();
    let sc: f64 = s.iter().zip(&c).map(|(s, c)| s * c).sum();
    let want: Vec<f64> = s.iter().zip(&c).map(|(s, c)| s * (c - sc)).collect();
    assert_values(&x.grad().unwrap(), &[1, 4], &want, 1e-14);
}

#[test]
fn log_softmax_gather_equals_the_composite_and_its_gradient_is_one_hot_minus_softmax() {
    let mut r = rng(12);
    let (n, k) = (6, 7);
    let labels = [3, 0, 6, 6, 1, 2];
    let logits = uniform(&mut r, [n, k], -4.0, 4.0);
    let weights = uniform(&mut r, [n], -1.0, 1.0);
    let tape = Tape::<f64>::new();
    let x = tape.var(logits.clone());
    let fused = x.log_softmax_gather(&labels);
    let composite = x.log_softmax(1).gather(1, &labels).reshape([n]);
    assert_close(&fused.value(), &composite.value(), 1e-15);
    (fused * tape.constant(weights.clone())).sum().backward();
    let g = x.grad().unwrap();
    for (i, &label) in labels.iter().enumerate() {
        let row: Vec<f64> = (0..k).map(|j| logits.at(&[i, j])).collect();
        let z: f64 = row.iter().map(|v| v.exp()).sum();
        for (j, v) in row.iter().enumerate() {
            let onehot = if j == label { 1.0 } else { 0.0 };
            // d/dx of w_i ln softmax(x_i)[y_i] is w_i (onehot - softmax).
            let want = weights.at(&[i]) * (onehot - v.exp() / z);
            assert_relative_eq!(g.at(&[i, j]), want, epsilon = 1e-15);
        }
    }
}

#[test]
fn log_softmax_gather_of_short_rows_in_groups_equals_the_composite() {
    // Rows of at most 32 classes go through the kernel that takes eight rows at a time; these
    // shapes have whole groups, leftover rows, and a row length on each side of the limit.
    let mut r = rng(13);
    for (n, k) in [(19, 21), (16, 32), (9, 33), (8, 1), (11, 10)] {
        let logits = uniform(&mut r, [n, k], -6.0, 6.0);
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % k).collect();
        let tape = Tape::<f64>::new();
        let x = tape.var(logits);
        let fused = x.log_softmax_gather(&labels);
        let composite = x.log_softmax(1).gather(1, &labels).reshape([n]);
        assert_close(&fused.value(), &composite.value(), 1e-14);
    }
}

#[test]
fn log_softmax_gather_is_finite_at_extreme_logits_in_f32_eight_rows_at_a_time() {
    // Ten rows of 8: the first eight run as one group, the other two one by one.
    let mut data = vec![0.0f32; 10 * 8];
    data[0] = 1e4;
    data[8] = -1e4;
    data[72] = 1e4;
    let x = Tensor::from_vec(data, [10, 8]);
    let logp = x.log_softmax_gather(&[1; 10]);
    let v = logp.data();
    assert_eq!(v[0], -1e4);
    assert_relative_eq!(v[1], -(7f32.ln()), epsilon = 1e-6);
    for &p in &v[2..9] {
        assert_relative_eq!(p, -(8f32.ln()), epsilon = 1e-6);
    }
    assert_eq!(v[9], -1e4);
}

#[test]
fn log_softmax_gather_is_finite_at_extreme_logits_in_f32() {
    let tape = Tape::<f32>::new();
    // Wide enough for the row kernel; one row saturates each way.
    let mut data = vec![0.0f32; 2 * 8];
    data[0] = 1e4;
    data[8] = -1e4;
    let x = tape.var(Tensor::from_vec(data, [2, 8]));
    let logp = x.log_softmax_gather(&[1, 1]);
    let v = logp.value();
    assert_eq!(v.data()[0], -1e4); // ln e^0 / e^1e4
    assert_relative_eq!(v.data()[1], -(7f32.ln()), epsilon = 1e-6);
    logp.sum().backward();
    let g = x.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()));
    // onehot - softmax: the softmax is 1 on the winning logit, the label is elsewhere.
    assert_eq!(g.at(&[0, 0]), -1.0);
    assert_eq!(g.at(&[0, 1]), 1.0);
    assert_relative_eq!(g.at(&[1, 1]), 1.0 - 1.0 / 7.0, epsilon = 1e-6);
    assert_eq!(g.at(&[1, 0]), 0.0);
}

#[test]
fn log_softmax_cross_entropy_gradient_is_softmax_minus_one_hot() {
    let tape = Tape::<f64>::new();
    let logits = [[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]];
    let labels = [1, 0];
    let x = tape.var(Tensor::from_fn([2, 3], |i| logits[i / 3][i % 3]));
    let loss = -x.log_softmax(1).gather(1, &labels).mean();
    loss.backward();
    let g = x.grad().unwrap();
    let mut want_loss = 0.0;
    for (i, row) in logits.iter().enumerate() {
        let z: f64 = row.iter().map(|v| v.exp()).sum();
        want_loss -= (row[labels[i]].exp() / z).ln() / 2.0;
        for (j, v) in row.iter().enumerate() {
            let onehot = if j == labels[i] { 1.0 } else { 0.0 };
            assert_relative_eq!(g.at(&[i, j]), (v.exp() / z - onehot) / 2.0, epsilon = 1e-15);
        }
    }
    assert_relative_eq!(loss.item(), want_loss, max_relative = 1e-14);
}

/// The reference product of two row-major matrices.
fn naive_matmul(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
    let (m, k, n) = (a.dims()[0], a.dims()[1], b.dims()[1]);
    Tensor::from_fn([m, n], |p| {
        let (i, j) = (p / n, p % n);
        (0..k).map(|l| a.at(&[i, l]) * b.at(&[l, j])).sum()
    })
}

/// The transpose of a matrix, element by element.
fn naive_t(a: &Tensor<f64>) -> Tensor<f64> {
    let (m, n) = (a.dims()[0], a.dims()[1]);
    Tensor::from_fn([n, m], |p| a.at(&[p % m, p / m]))
}

#[test]
fn matmul_gradients_are_g_bt_and_at_g() {
    let mut r = rng(1);
    let (a, b, g) = (
        uniform(&mut r, [3, 4], -1.0, 1.0),
        uniform(&mut r, [4, 2], -1.0, 1.0),
        uniform(&mut r, [3, 2], -1.0, 1.0),
    );
    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a.clone()), tape.var(b.clone()));
    let c = av.matmul(bv);
    assert_close(&c.value(), &naive_matmul(&a, &b), 1e-14);
    c.backward_with(g.clone());
    assert_close(&av.grad().unwrap(), &naive_matmul(&g, &naive_t(&b)), 1e-14);
    assert_close(&bv.grad().unwrap(), &naive_matmul(&naive_t(&a), &g), 1e-14);
}

#[test]
fn matmul_t_values_and_gradients_match_explicit_transposes() {
    let mut r = rng(2);
    for ta in [false, true] {
        for tb in [false, true] {
            let a = uniform(&mut r, if ta { [4, 3] } else { [3, 4] }, -1.0, 1.0);
            let b = uniform(&mut r, if tb { [5, 4] } else { [4, 5] }, -1.0, 1.0);
            let g = uniform(&mut r, [3, 5], -1.0, 1.0);
            let opa = if ta { naive_t(&a) } else { a.clone() };
            let opb = if tb { naive_t(&b) } else { b.clone() };
            let tape = Tape::<f64>::new();
            let (av, bv) = (tape.var(a.clone()), tape.var(b.clone()));
            let c = av.matmul_t(bv, ta, tb);
            assert_close(&c.value(), &naive_matmul(&opa, &opb), 1e-14);
            c.backward_with(g.clone());
            // d op(A) = G op(B)^T, d op(B) = op(A)^T G, transposed back when read transposed.
            let d_opa = naive_matmul(&g, &naive_t(&opb));
            let d_opb = naive_matmul(&naive_t(&opa), &g);
            let want_a = if ta { naive_t(&d_opa) } else { d_opa };
            let want_b = if tb { naive_t(&d_opb) } else { d_opb };
            assert_close(&av.grad().unwrap(), &want_a, 1e-14);
            assert_close(&bv.grad().unwrap(), &want_b, 1e-14);
        }
    }
}

#[test]
fn batched_matmul_is_a_product_per_batch() {
    let mut r = rng(3);
    let a = uniform(&mut r, [3, 2, 4], -1.0, 1.0);
    let b = uniform(&mut r, [3, 4, 5], -1.0, 1.0);
    let c = a.matmul(&b);
    assert_eq!(c.dims(), &[3, 2, 5]);
    for i in 0..3 {
        let ai = Tensor::from_slice(&a.data()[i * 8..(i + 1) * 8], [2, 4]);
        let bi = Tensor::from_slice(&b.data()[i * 20..(i + 1) * 20], [4, 5]);
        let ci = Tensor::from_slice(&c.data()[i * 10..(i + 1) * 10], [2, 5]);
        assert_close(&ci, &naive_matmul(&ai, &bi), 1e-14);
    }
}

#[test]
fn comparisons_give_exact_masks() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4]));
    let y = tape.var(Tensor::from_vec(vec![2.0, 2.0, 2.0, 5.0], [4]));
    let cases = [
        (x.gt(y), [0.0, 0.0, 1.0, 0.0]),
        (x.ge(y), [0.0, 1.0, 1.0, 0.0]),
        (x.lt(y), [1.0, 0.0, 0.0, 1.0]),
        (x.le(y), [1.0, 1.0, 0.0, 1.0]),
        (x.eq(y), [0.0, 1.0, 0.0, 0.0]),
        (x.compare(y, Cmp::Gt), [0.0, 0.0, 1.0, 0.0]),
        (x.compare_scalar(2.0, Cmp::Gt), [0.0, 0.0, 1.0, 1.0]),
        (x.compare_scalar(2.0, Cmp::Ge), [0.0, 1.0, 1.0, 1.0]),
        (x.compare_scalar(3.0, Cmp::Lt), [1.0, 1.0, 0.0, 0.0]),
        (x.compare_scalar(3.0, Cmp::Le), [1.0, 1.0, 1.0, 0.0]),
        (x.compare_scalar(4.0, Cmp::Eq), [0.0, 0.0, 0.0, 1.0]),
    ];
    for (i, (mask, want)) in cases.iter().enumerate() {
        assert_eq!(mask.value().data(), want, "case {i}");
        assert!(!mask.requires_grad(), "case {i}: a mask is a constant");
    }
    // Broadcasting comparison: [3, 1] against [4].
    let col = tape.constant(Tensor::from_vec(vec![0.0, 1.5, 3.0], [3, 1]));
    let row = tape.constant(Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], [4]));
    assert_values(
        &col.ge(row).value(),
        &[3, 4],
        &[1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0],
        0.0,
    );
}

#[test]
fn no_gradient_flows_through_a_mask() {
    // y = x * (x > 0.5): the mask is a step function; only the x factor is differentiated.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![0.2, 0.7, 1.5], [3]));
    let y = (x * x.compare_scalar(0.5, Cmp::Gt)).sum();
    y.backward();
    assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 1.0]);
    // A loss made only of masks depends on no variable.
    let m = (x.gt(x * 0.5) + x.lt(x.square())).sum();
    assert!(!m.requires_grad());
    m.backward();
    assert!(x.grad().is_none());
}

#[test]
fn where_sends_gradients_by_mask() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]));
    let b = tape.var(Tensor::from_vec(vec![10.0, 20.0, 30.0], [3]));
    let mask = tape.constant(Tensor::from_vec(vec![1.0, 0.0], [2, 1]));
    let y = where_(mask, a, b);
    assert_values(&y.value(), &[2, 3], &[1.0, 2.0, 3.0, 10.0, 20.0, 30.0], 0.0);
    (y * 2.0).sum().backward();
    assert_values(
        &a.grad().unwrap(),
        &[2, 3],
        &[2.0, 2.0, 2.0, 0.0, 0.0, 0.0],
        0.0,
    );
    assert_values(&b.grad().unwrap(), &[3], &[2.0, 2.0, 2.0], 0.0);
    assert!(mask.grad().is_none());
}

#[test]
fn detach_stops_the_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, -2.0, 0.5], [3]));
    let d = x.detach();
    assert!(!d.requires_grad());
    assert_eq!(d.value(), x.value());
    // f = sum(x^2 * detach(x)): df/dx = 2 x * x (the detached factor is a constant).
    (x.square() * d).sum().backward();
    assert_values(&x.grad().unwrap(), &[3], &[2.0, 8.0, 0.5], 0.0);
    assert!(d.grad().is_none());
    // Only a detached path: nothing reaches x.
    let only = (d * 3.0).exp().sum();
    assert!(!only.requires_grad());
    only.backward();
    assert!(x.grad().is_none());
}

#[test]
fn constants_receive_no_gradient() {
    let tape = Tape::<f64>::new();
    let c = tape.constant(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let s = tape.scalar(3.0);
    let x = tape.var(Tensor::from_vec(vec![0.5, -0.5], [2]));
    assert!(!c.requires_grad() && !s.requires_grad() && x.requires_grad());
    let y = ((x * c + s) * x).sum();
    assert!(y.requires_grad());
    y.backward();
    // d/dx (c x^2 + s x) = 2 c x + s
    assert_values(&x.grad().unwrap(), &[2], &[4.0, 1.0], 0.0);
    assert!(c.grad().is_none() && s.grad().is_none());
}

#[test]
fn backward_overwrites_previous_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let a = (x * 3.0).sum();
    let b = x.square().sum();
    a.backward();
    assert_eq!(x.grad().unwrap().data(), &[3.0, 3.0]);
    b.backward();
    assert_eq!(x.grad().unwrap().data(), &[2.0, 4.0]);
    assert_eq!(x.take_grad().unwrap().data(), &[2.0, 4.0]);
    assert!(x.grad().is_none());
}

#[test]
fn logsumexp_at_huge_logits_is_finite_and_exact() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1e4, 1e4 - 1.0, -1e4, 1e4 - 2.0], [4]));
    let y = x.logsumexp();
    y.backward();
    let z = 1.0 + (-1.0f64).exp() + (-2.0f64).exp();
    assert_relative_eq!(y.item(), 1e4 + z.ln(), max_relative = 1e-15);
    let g = x.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()));
    let want = [1.0 / z, (-1.0f64).exp() / z, 0.0, (-2.0f64).exp() / z];
    // exp(x - y) with x, y near 1e4 carries their rounding (ulp(1e4) ~ 2e-12) into the result.
    assert_values(&g, &[4], &want, 1e-11);

    // Along an axis, each row at a very different scale.
    let rows = tape.var(Tensor::from_vec(vec![-1e4, -1e4, 1e4, 1e4 + 3.0], [2, 2]));
    let y = rows.logsumexp_axis(1, false);
    let want = [-1e4 + 2f64.ln(), 1e4 + 3.0 + (1.0 + (-3.0f64).exp()).ln()];
    assert_values(&y.value(), &[2], &want, 1e-15);
    y.sum().backward();
    let p = 1.0 / (1.0 + 3f64.exp());
    assert_values(
        &rows.grad().unwrap(),
        &[2, 2],
        &[0.5, 0.5, p, 1.0 - p],
        1e-11,
    );

    // The fused log_softmax agrees and stays finite too.
    let ls = rows.log_softmax(1).value();
    assert_values(
        &ls,
        &[2, 2],
        &[-(2f64.ln()), -(2f64.ln()), p.ln(), (1.0 - p).ln()],
        1e-10,
    );
}

#[test]
fn norm_gradient_at_a_zero_row_is_exactly_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![0.0, 0.0, 0.0, 3.0, 4.0, 0.0], [2, 3]));
    let n = x.norm(Some(1), false);
    assert_values(&n.value(), &[2], &[0.0, 5.0], 0.0);
    n.sum().backward();
    let g = x.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()));
    assert_values(&g, &[2, 3], &[0.0, 0.0, 0.0, 0.6, 0.8, 0.0], 1e-15);
    // A large upstream gradient must not turn 0 * (g / tiny) into NaN (it once did for g > 4).
    (n * 1e6).sum().backward();
    assert_values(
        &x.grad().unwrap(),
        &[2, 3],
        &[0.0, 0.0, 0.0, 6e5, 8e5, 0.0],
        1e-15,
    );
    let t32 = Tape::<f32>::new();
    let y = t32.var(Tensor::from_vec(vec![0.0f32, 0.0, 3.0, 4.0], [2, 2]));
    (y.norm(Some(1), false) * 5.0).sum().backward();
    assert_eq!(y.grad().unwrap().data(), &[0.0f32, 0.0, 3.0, 4.0]);
    // The whole-tensor norm of zeros.
    let z = tape.var(Tensor::zeros([3]));
    let nz = z.norm(None, false);
    nz.backward();
    assert_eq!(nz.item(), 0.0);
    assert_eq!(z.grad().unwrap().data(), &[0.0, 0.0, 0.0]);
}

#[test]
fn softmax_matches_hand_values_and_composition() {
    let xs = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0];
    let x = Tensor::from_vec(xs.to_vec(), [2, 3]);
    let z: f64 = 1f64.exp() + 2f64.exp() + 3f64.exp();
    let want = [
        1f64.exp() / z,
        2f64.exp() / z,
        3f64.exp() / z,
        1.0 / 3.0,
        1.0 / 3.0,
        1.0 / 3.0,
    ];
    assert_values(&x.softmax(1), &[2, 3], &want, 1e-15);
    let logs: Vec<f64> = want.iter().map(|v| v.ln()).collect();
    assert_values(&x.log_softmax(1), &[2, 3], &logs, 1e-14);
    // Along axis 0: columns [1, 0], [2, 0], [3, 0].
    let col = |v: f64| [v.exp() / (v.exp() + 1.0), 1.0 / (v.exp() + 1.0)];
    let (c1, c2, c3) = (col(1.0), col(2.0), col(3.0));
    let want0 = [c1[0], c2[0], c3[0], c1[1], c2[1], c3[1]];
    assert_values(&x.softmax(0), &[2, 3], &want0, 1e-15);

    // The fused ops equal x - logsumexp(x), and their gradients agree, along both axes.
    let mut r = rng(4);
    let x = uniform(&mut r, [3, 4], -3.0, 3.0);
    let g = uniform(&mut r, [3, 4], -1.0, 1.0);
    for axis in 0..2 {
        let tape = Tape::<f64>::new();
        let a = tape.var(x.clone());
        let b = tape.var(x.clone());
        let fused = a.log_softmax(axis);
        let composed = b - b.logsumexp_axis(axis, true);
        assert_close(&fused.value(), &composed.value(), 1e-14);
        assert_close(&a.softmax(axis).value(), &composed.exp().value(), 1e-14);
        let loss =
            (fused * tape.constant(g.clone())).sum() + (composed * tape.constant(g.clone())).sum();
        loss.backward();
        assert_close(&a.grad().unwrap(), &b.grad().unwrap(), 1e-14);
        // Each lane of a softmax sums to 1.
        let s = x.softmax(axis).sum_axis(axis, false);
        assert!(s.data().iter().all(|&v| (v - 1.0).abs() < 1e-15));
    }
}

#[test]
fn pairwise_sq_dists_values_match_a_direct_loop() {
    let mut r = rng(5);
    let a = uniform(&mut r, [4, 3], -2.0, 2.0);
    let b = uniform(&mut r, [5, 3], -2.0, 2.0);
    let tape = Tape::<f64>::new();
    let d = tape
        .constant(a.clone())
        .pairwise_sq_dists(tape.constant(b.clone()));
    let want = Tensor::from_fn([4, 5], |p| {
        let (i, j) = (p / 5, p % 5);
        (0..3)
            .map(|k| (a.at(&[i, k]) - b.at(&[j, k])).powi(2))
            .sum()
    });
    assert_close(&d.value(), &want, 1e-13);
    // The distance of a set to itself has a zero (never negative) diagonal.
    let av = tape.var(a.clone());
    let self_d = av.pairwise_sq_dists(av).value();
    for i in 0..4 {
        assert!(self_d.at(&[i, i]) >= 0.0 && self_d.at(&[i, i]) < 1e-12);
    }
    // Gradient by hand: d/da_i sum_j D_ij = sum_j 2 (a_i - b_j).
    let av = tape.var(a.clone());
    av.pairwise_sq_dists(tape.constant(b.clone()))
        .sum()
        .backward();
    let want_g = Tensor::from_fn([4, 3], |p| {
        let (i, k) = (p / 3, p % 3);
        (0..5).map(|j| 2.0 * (a.at(&[i, k]) - b.at(&[j, k]))).sum()
    });
    assert_close(&av.grad().unwrap(), &want_g, 1e-13);
}

#[test]
fn argmax_values() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 5.0, 3.0, 7.0, 2.0, 2.0], [2, 3]);
    assert_eq!(x.argmax(1), vec![1, 0]);
    assert_eq!(x.argmax(0), vec![1, 0, 0]);
    // Ties pick the first.
    let t = Tensor::<f64>::from_vec(vec![4.0, 4.0, 1.0, 4.0], [4]);
    assert_eq!(t.argmax(0), vec![0]);
    // The middle axis of a 3-D tensor, and the Var form.
    let mut r = rng(6);
    let x3 = distinct(&mut r, [2, 3, 2]);
    let mut want = Vec::new();
    for o in 0..2 {
        for i in 0..2 {
            let best = (0..3)
                .max_by(|&p, &q| x3.at(&[o, p, i]).total_cmp(&x3.at(&[o, q, i])))
                .unwrap();
            want.push(best);
        }
    }
    assert_eq!(x3.argmax(1), want);
    let tape = Tape::<f64>::new();
    assert_eq!(tape.var(x3.clone()).argmax(1), want);
}

#[test]
fn one_hot_rows() {
    let tape = Tape::<f64>::new();
    let h = tape.one_hot(&[2, 0, 2], 3);
    assert!(!h.requires_grad());
    assert_values(
        &h.value(),
        &[3, 3],
        &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        0.0,
    );
    let t = Tensor::<f32>::one_hot(&[1], 4);
    assert_eq!(t.data(), &[0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn index_select_gradient_accumulates_repeats() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_fn([3, 2], |i| i as f64));
    let y = x.index_select(0, &[2, 0, 2, 2]);
    assert_values(
        &y.value(),
        &[4, 2],
        &[4.0, 5.0, 0.0, 1.0, 4.0, 5.0, 4.0, 5.0],
        0.0,
    );
    y.sum().backward();
    assert_values(
        &x.grad().unwrap(),
        &[3, 2],
        &[1.0, 1.0, 0.0, 0.0, 3.0, 3.0],
        0.0,
    );
    // gather with a repeated index accumulates too.
    let z = tape.var(Tensor::from_fn([2, 3], |i| i as f64));
    let p = z.gather(1, &[1, 1, 2, 0]);
    assert_values(&p.value(), &[2, 2], &[1.0, 1.0, 5.0, 3.0], 0.0);
    p.sum().backward();
    assert_values(
        &z.grad().unwrap(),
        &[2, 3],
        &[0.0, 2.0, 0.0, 1.0, 0.0, 1.0],
        0.0,
    );
}

#[test]
fn max_and_min_reductions_route_the_gradient_to_the_extreme() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(
        vec![3.0, -1.0, 7.0, 2.0, 9.0, -4.0],
        [2, 3],
    ));
    ((x.max_axis(1, false) * 2.0).sum() + x.min_axis(0, false).sum()).backward();
    // max per row: 7 (index 2), 9 (index 4); min per column: 2 (index 3), -1 (1), -4 (5).
    assert_values(
        &x.grad().unwrap(),
        &[2, 3],
        &[0.0, 1.0, 2.0, 1.0, 2.0, 1.0],
        0.0,
    );
    // A tie shares the gradient equally.
    let t = tape.var(Tensor::from_vec(vec![5.0, 1.0, 5.0], [3]));
    t.max().backward();
    assert_eq!(t.grad().unwrap().data(), &[0.5, 0.0, 0.5]);
}
