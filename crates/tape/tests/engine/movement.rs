//! The eager `Tensor` kernels that move and index data, against hand-computed values: permutes,
//! broadcasts, narrowing, padding, concatenation and stacking, gathers, scatters and products.
//! (Elementwise functions and reductions: `kernels.rs`; f32, rank 0, empty shapes: `edge_cases.rs`.)

use crate::common::{assert_close, assert_values, rng, uniform};
use crate::kernels::{arange, v};
use approx::assert_relative_eq;
use tape::{Shape, Tape, Tensor, concat, stack};

// ---------------------------------------------------------------------------------------------
// Data movement

#[test]
fn permute_and_transpose() {
    let x = arange(&[2, 3, 4]);
    let p = x.permute(&[2, 0, 1]);
    assert_eq!(p.dims(), &[4, 2, 3]);
    for i in 0..4 {
        for j in 0..2 {
            for k in 0..3 {
                assert_eq!(p.at(&[i, j, k]), x.at(&[j, k, i]));
            }
        }
    }
    let t = arange(&[2, 3]).transpose(0, 1);
    assert_values(&t, &[3, 2], &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0], 0.0);
    assert_eq!(x.permute(&[0, 1, 2]), x);
    // Permuting back restores the original.
    assert_eq!(p.permute(&[1, 2, 0]), x);
}

#[test]
fn broadcast_to_and_sum_to_values() {
    let c = v(&[1.0, 2.0], &[2, 1]);
    let b = c.broadcast_to(&Shape::new(&[2, 2, 3]));
    assert_values(
        &b,
        &[2, 2, 3],
        &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
        0.0,
    );
    assert_values(
        &Tensor::scalar(3.0).broadcast_to(&Shape::new(&[2])),
        &[2],
        &[3.0, 3.0],
        0.0,
    );
    let x = arange(&[2, 3, 4]);
    // The suffix fast path ([4]) and the general path ([1, 3, 1], [2, 1, 4]).
    assert_values(
        &x.sum_to(&Shape::new(&[4])),
        &[4],
        &[60.0, 66.0, 72.0, 78.0],
        0.0,
    );
    assert_values(
        &x.sum_to(&Shape::new(&[1, 3, 1])),
        &[1, 3, 1],
        &[60.0, 92.0, 124.0],
        0.0,
    );
    let s = x.sum_to(&Shape::new(&[2, 1, 4]));
    assert_values(
        &s,
        &[2, 1, 4],
        &[12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0],
        0.0,
    );
    assert_values(&x.sum_to(&Shape::scalar()), &[], &[276.0], 0.0);
    assert_values(
        &x.sum_to(&Shape::new(&[3, 1])),
        &[3, 1],
        &[60.0, 92.0, 124.0],
        0.0,
    );
    // sum_to undoes broadcast_to up to the broadcast multiplicity.
    let back = b.sum_to(&Shape::new(&[2, 1]));
    assert_values(&back, &[2, 1], &[6.0, 12.0], 0.0);
}

#[test]
fn narrow_pad_concat_stack_values() {
    let x = arange(&[2, 3, 4]);
    assert_values(
        &x.narrow(0, 1, 1),
        &[1, 3, 4],
        &(12..24).map(f64::from).collect::<Vec<_>>(),
        0.0,
    );
    assert_values(
        &x.narrow(1, 1, 1),
        &[2, 1, 4],
        &[4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0],
        0.0,
    );
    assert_values(
        &x.narrow(2, 2, 2),
        &[2, 3, 2],
        &[
            2.0, 3.0, 6.0, 7.0, 10.0, 11.0, 14.0, 15.0, 18.0, 19.0, 22.0, 23.0,
        ],
        0.0,
    );
    let m = arange(&[2, 2]);
    assert_values(
        &m.pad(1, 1, 2),
        &[2, 5],
        &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 0.0],
        0.0,
    );
    assert_values(
        &m.pad(0, 1, 0),
        &[3, 2],
        &[0.0, 0.0, 0.0, 1.0, 2.0, 3.0],
        0.0,
    );
    let (a, b, c) = (
        v(&[1.0, 2.0], &[2, 1]),
        v(&[3.0, 4.0, 5.0, 6.0], &[2, 2]),
        v(&[7.0, 8.0], &[2, 1]),
    );
    assert_values(
        &Tensor::concat(&[&a, &b, &c], 1),
        &[2, 4],
        &[1.0, 3.0, 4.0, 7.0, 2.0, 5.0, 6.0, 8.0],
        0.0,
    );
    let r = v(&[9.0, 9.0], &[1, 2]);
    assert_values(
        &Tensor::concat(&[&b, &r], 0),
        &[3, 2],
        &[3.0, 4.0, 5.0, 6.0, 9.0, 9.0],
        0.0,
    );
    let tape = Tape::<f64>::new();
    let (p, q) = (
        tape.constant(v(&[1.0, 2.0], &[2])),
        tape.constant(v(&[3.0, 4.0], &[2])),
    );
    assert_values(
        &stack(&[p, q], 0).value(),
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
        0.0,
    );
    assert_values(
        &stack(&[p, q], 1).value(),
        &[2, 2],
        &[1.0, 3.0, 2.0, 4.0],
        0.0,
    );
    assert_values(
        &concat(&[p, q, p], 0).value(),
        &[6],
        &[1.0, 2.0, 3.0, 4.0, 1.0, 2.0],
        0.0,
    );
    let u = tape.constant(arange(&[2, 3]));
    assert_eq!(u.unsqueeze(1).dims().as_slice(), &[2, 1, 3]);
    assert_eq!(u.flatten().dims().as_slice(), &[2, 3]);
    assert_eq!(
        tape.constant(arange(&[2, 3, 4]))
            .flatten()
            .dims()
            .as_slice(),
        &[2, 12]
    );
    assert_eq!(u.t().value(), arange(&[2, 3]).transpose(0, 1));
}

#[test]
fn index_kernels() {
    let x = arange(&[3, 2]);
    assert_values(
        &x.index_select(0, &[2, 2, 0]),
        &[3, 2],
        &[4.0, 5.0, 4.0, 5.0, 0.0, 1.0],
        0.0,
    );
    assert_values(
        &x.index_select(1, &[1, 0, 1]),
        &[3, 3],
        &[1.0, 0.0, 1.0, 3.0, 2.0, 3.0, 5.0, 4.0, 5.0],
        0.0,
    );
    let rows = v(&[1.0, 2.0, 10.0, 20.0, 100.0, 200.0], &[3, 2]);
    assert_values(
        &rows.index_add(0, &[1, 0, 1], 2),
        &[2, 2],
        &[10.0, 20.0, 101.0, 202.0],
        0.0,
    );
    // gather along axis 1: one pick per row; along axis 0: one pick per column.
    let g = arange(&[2, 3]);
    assert_values(&g.gather(1, &[2, 0]), &[2, 1], &[2.0, 3.0], 0.0);
    assert_values(&g.gather(0, &[1, 0, 1]), &[1, 3], &[3.0, 1.0, 5.0], 0.0);
    assert_values(
        &g.gather(0, &[1, 0, 1, 0, 0, 0]),
        &[2, 3],
        &[3.0, 1.0, 5.0, 0.0, 1.0, 2.0],
        0.0,
    );
    // scatter_add is gather's adjoint: <gather(x), y> = <x, scatter_add(y)>.
    let mut r = rng(1);
    let xx = uniform(&mut r, [3, 4, 2], -1.0, 1.0);
    let idx = [0, 3, 1, 1, 2, 2, 3, 0, 1, 1, 0, 2];
    let yy = uniform(&mut r, [3, 2, 2], -1.0, 1.0);
    let lhs = xx.gather(1, &idx).mul(&yy).sum().item();
    let rhs = xx.mul(&yy.scatter_add(1, &idx, 4)).sum().item();
    assert_relative_eq!(lhs, rhs, max_relative = 1e-14);
    // Likewise index_select and index_add.
    let sel = [2, 0, 2];
    let zz = uniform(&mut r, [3, 3, 2], -1.0, 1.0);
    let lhs = xx.index_select(1, &sel).mul(&zz).sum().item();
    let rhs = xx.mul(&zz.index_add(1, &sel, 4)).sum().item();
    assert_relative_eq!(lhs, rhs, max_relative = 1e-14);
    assert_values(
        &Tensor::one_hot(&[1, 0], 3),
        &[2, 3],
        &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        0.0,
    );
}

#[test]
fn matmul_kernels() {
    let a = v(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = v(&[5.0, 6.0, 7.0, 8.0], &[2, 2]);
    assert_values(&a.matmul(&b), &[2, 2], &[19.0, 22.0, 43.0, 50.0], 0.0);
    assert_values(
        &a.matmul_t(&b, true, false),
        &[2, 2],
        &[26.0, 30.0, 38.0, 44.0],
        0.0,
    );
    assert_values(
        &a.matmul_t(&b, false, true),
        &[2, 2],
        &[17.0, 23.0, 39.0, 53.0],
        0.0,
    );
    assert_values(
        &a.matmul_t(&b, true, true),
        &[2, 2],
        &[23.0, 31.0, 34.0, 46.0],
        0.0,
    );
    // Rectangular: [2, 3] x [3, 1].
    let r = arange(&[2, 3]).matmul(&v(&[1.0, 10.0, 100.0], &[3, 1]));
    assert_values(&r, &[2, 1], &[210.0, 543.0], 0.0);
    // Batched with a transposed right operand.
    let p = arange(&[2, 2, 3]);
    let q = Tensor::ones([2, 4, 3]);
    let c = p.matmul_t(&q, false, true);
    assert_values(
        &c,
        &[2, 2, 4],
        &[
            3.0, 3.0, 3.0, 3.0, 12.0, 12.0, 12.0, 12.0, 21.0, 21.0, 21.0, 21.0, 30.0, 30.0, 30.0,
            30.0,
        ],
        0.0,
    );
    // A larger product against a naive loop (exercises the packed kernel's edges).
    let mut rg = rng(2);
    let (m, k, n) = (37, 19, 23);
    let x = uniform(&mut rg, [m, k], -1.0, 1.0);
    let y = uniform(&mut rg, [k, n], -1.0, 1.0);
    let want = Tensor::from_fn([m, n], |p| {
        (0..k).map(|l| x.at(&[p / n, l]) * y.at(&[l, p % n])).sum()
    });
    assert_close(&x.matmul(&y), &want, 1e-13);
}

#[test]
fn softmax_kernels_along_inner_and_outer_axes() {
    let x = v(&[0.0, 0.0, 2f64.ln(), 0.0, 0.0, 3f64.ln()], &[1, 3, 2]);
    // Along the middle axis the lanes are [0, ln 2, 0] and [0, 0, ln 3].
    let s = x.softmax(1);
    assert_values(&s, &[1, 3, 2], &[0.25, 0.2, 0.5, 0.2, 0.25, 0.6], 1e-15);
    let ls = x.log_softmax(2);
    let l2 = 2f64.ln();
    assert_values(
        &ls,
        &[1, 3, 2],
        &[
            -l2,
            -l2,
            (2.0f64 / 3.0).ln(),
            (1.0f64 / 3.0).ln(),
            -(4f64.ln()),
            (3.0f64 / 4.0).ln(),
        ],
        1e-15,
    );
    // A lane of -inf logits next to finite ones: the -inf entries get probability 0.
    let inf = v(&[f64::NEG_INFINITY, 0.0], &[2]);
    assert_values(&inf.softmax(0), &[2], &[0.0, 1.0], 0.0);
}
