//! The eager `Tensor` kernels against hand-computed values: elementwise functions,
//! broadcasting edge cases, reductions along inner and outer axes, data movement, indexing and
//! matrix products; plus the f32 path, rank-0 tensors and empty shapes.

use crate::common::{assert_close, assert_values, rng, uniform};
use approx::assert_relative_eq;
use tape::{Cmp, Reduce, Shape, Tape, Tensor, concat, stack};

fn arange(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| i as f64)
}

fn v(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

// ---------------------------------------------------------------------------------------------
// Construction and accessors

#[test]
fn constructors_and_accessors() {
    let a = arange(&[2, 3]);
    assert_eq!(a.dims(), &[2, 3]);
    assert_eq!((a.rank(), a.numel()), (2, 6));
    assert_eq!(a.at(&[1, 2]), 5.0);
    assert_eq!(Tensor::<f64>::arange(4).data(), &[0.0, 1.0, 2.0, 3.0]);
    assert_eq!(Tensor::<f64>::full([2], 7.5).data(), &[7.5, 7.5]);
    assert_eq!(Tensor::<f64>::zeros([3]).data(), &[0.0; 3]);
    assert_eq!(Tensor::<f64>::ones([2, 2]).data(), &[1.0; 4]);
    assert_eq!(
        Tensor::<f64>::from_slice(&[1.0, 2.0], [2, 1]).dims(),
        &[2, 1]
    );
    let s = Tensor::<f64>::scalar(4.0);
    assert_eq!((s.rank(), s.numel(), s.item()), (0, 1, 4.0));
    assert_eq!(s.at(&[]), 4.0);
    let c: Tensor<f32> = v(&[0.1, 2.5], &[2]).cast();
    assert_eq!(c.data(), &[0.1f32, 2.5]);
    assert_eq!(c.cast::<f64>().data()[1], 2.5);
    assert_eq!(a.to_vec(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(format!("{}", a.shape()), "[2, 3]");
    assert_eq!(format!("{a:?}"), "Tensor<f64>[2, 3] [0, 1, 2, 3, 4, 5]");
    let long = arange(&[10]);
    assert_eq!(
        format!("{long:?}"),
        "Tensor<f64>[10] [0, 1, 2, 3, 4, 5, 6, 7, ... (2 more)]"
    );
    assert_eq!(Shape::new(&[2, 3, 4]).strides().as_slice(), &[12, 4, 1]);
    assert_eq!(Shape::scalar().numel(), 1);
}

#[test]
fn clones_share_storage_and_copy_on_write() {
    let a = arange(&[4, 4]);
    let mut b = a.clone();
    assert!(a.is_shared() && b.is_shared());
    b.data_mut()[0] = 100.0;
    assert_eq!(
        a.data()[0],
        0.0,
        "writing through a clone must not change the original"
    );
    assert_eq!(b.data()[0], 100.0);
    assert!(!b.is_shared());
    // Reshape shares without copying; writing to the reshaped view copies first.
    let mut r = a.reshape([16]);
    assert!(a.is_shared());
    r.data_mut()[1] = -1.0;
    assert_eq!(a.data()[1], 1.0);
    // Small (inline) tensors behave the same.
    let s = v(&[1.0, 2.0], &[2]);
    let mut t = s.clone();
    t.data_mut()[0] = 9.0;
    assert_eq!(s.data(), &[1.0, 2.0]);
    // Accumulation and comparison helpers.
    let mut acc = arange(&[2, 3]);
    acc.add_assign(&Tensor::ones([2, 3]));
    assert_eq!(acc.data(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(acc.max_abs_diff(&arange(&[2, 3])), 1.0);
    assert_eq!(acc, arange(&[2, 3]).add_scalar(1.0));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

#[test]
fn unary_kernels() {
    let x = v(&[-2.0, -0.5, 0.0, 1.0, 4.0], &[5]);
    let e = std::f64::consts::E;
    assert_values(&x.neg(), &[5], &[2.0, 0.5, 0.0, -1.0, -4.0], 0.0);
    assert_values(&-&x, &[5], &[2.0, 0.5, 0.0, -1.0, -4.0], 0.0);
    assert_values(
        &x.exp(),
        &[5],
        &[1.0 / (e * e), 1.0 / e.sqrt(), 1.0, e, e.powi(4)],
        1e-15,
    );
    assert_values(&x.square(), &[5], &[4.0, 0.25, 0.0, 1.0, 16.0], 0.0);
    assert_values(&x.abs(), &[5], &[2.0, 0.5, 0.0, 1.0, 4.0], 0.0);
    assert_values(&x.relu(), &[5], &[0.0, 0.0, 0.0, 1.0, 4.0], 0.0);
    assert_values(&x.sign(), &[5], &[-1.0, -1.0, 0.0, 1.0, 1.0], 0.0);
    assert_values(&x.clamp(-1.0, 2.0), &[5], &[-1.0, -0.5, 0.0, 1.0, 2.0], 0.0);
    assert_values(&x.scale(-2.0), &[5], &[4.0, 1.0, 0.0, -2.0, -8.0], 0.0);
    assert_values(&x.add_scalar(0.5), &[5], &[-1.5, 0.0, 0.5, 1.5, 4.5], 0.0);
    let p = v(&[0.25, 1.0, 4.0], &[3]);
    assert_values(&p.ln(), &[3], &[-(4f64.ln()), 0.0, 4f64.ln()], 1e-15);
    assert_values(&p.sqrt(), &[3], &[0.5, 1.0, 2.0], 0.0);
    assert_values(&p.recip(), &[3], &[4.0, 1.0, 0.25], 0.0);
    assert_values(&p.powf(1.5), &[3], &[0.125, 1.0, 8.0], 1e-15);
    assert_values(&p.powf(-2.0), &[3], &[16.0, 1.0, 0.0625], 1e-15);
    let t = v(&[-1.0, 0.0, 0.5], &[3]);
    assert_values(
        &t.tanh(),
        &[3],
        &[-(1f64.tanh()), 0.0, 0.5f64.tanh()],
        1e-15,
    );
    assert_values(
        &t.sigmoid(),
        &[3],
        &[1.0 / (1.0 + e), 0.5, 1.0 / (1.0 + (-0.5f64).exp())],
        1e-15,
    );
    assert_values(
        &t.softplus(),
        &[3],
        &[(1.0 + 1.0 / e).ln(), 2f64.ln(), (1.0 + 0.5f64.exp()).ln()],
        1e-15,
    );
}

#[test]
fn sigmoid_and_softplus_are_stable_at_extremes() {
    let x = v(&[-1000.0, -40.0, 40.0, 1000.0], &[4]);
    let s = x.sigmoid();
    assert_eq!(s.data()[0], 0.0);
    assert_eq!(s.data()[3], 1.0);
    assert_relative_eq!(s.data()[1], (-40f64).exp(), max_relative = 1e-12);
    assert!(s.data().iter().all(|v| v.is_finite()));
    let sp = x.softplus();
    assert_eq!(sp.data()[0], 0.0);
    assert_eq!(sp.data()[3], 1000.0);
    assert_relative_eq!(sp.data()[1], (-40f64).exp(), max_relative = 1e-12);
    assert_relative_eq!(sp.data()[2], 40.0, max_relative = 1e-15);
}

#[test]
fn binary_kernels_with_broadcasting() {
    let a = arange(&[2, 3]);
    let row = v(&[10.0, 20.0, 30.0], &[3]);
    let col = v(&[1.0, -1.0], &[2, 1]);
    assert_values(
        &(&a + &row),
        &[2, 3],
        &[10.0, 21.0, 32.0, 13.0, 24.0, 35.0],
        0.0,
    );
    assert_values(&(&a - &col), &[2, 3], &[-1.0, 0.0, 1.0, 4.0, 5.0, 6.0], 0.0);
    assert_values(
        &(&col * &row),
        &[2, 3],
        &[10.0, 20.0, 30.0, -10.0, -20.0, -30.0],
        0.0,
    );
    assert_values(
        &(&row / &col),
        &[2, 3],
        &[10.0, 20.0, 30.0, -10.0, -20.0, -30.0],
        0.0,
    );
    assert_values(
        &a.maximum(&v(&[2.5], &[1])),
        &[2, 3],
        &[2.5, 2.5, 2.5, 3.0, 4.0, 5.0],
        0.0,
    );
    assert_values(
        &a.minimum(&col.scale(2.0)),
        &[2, 3],
        &[0.0, 1.0, 2.0, -2.0, -2.0, -2.0],
        0.0,
    );
    // [3, 1] with [1, 4] makes [3, 4].
    let outer = &v(&[1.0, 2.0, 3.0], &[3, 1]) * &v(&[1.0, 10.0, 100.0, 1000.0], &[1, 4]);
    assert_eq!(outer.dims(), &[3, 4]);
    assert_eq!(outer.at(&[2, 3]), 3000.0);
    assert_eq!(outer.at(&[1, 2]), 200.0);
    // [2, 1, 4] with [3, 1] makes [2, 3, 4].
    let b = &arange(&[2, 1, 4]) + &v(&[0.0, 100.0, 200.0], &[3, 1]);
    assert_eq!(b.dims(), &[2, 3, 4]);
    assert_eq!(b.at(&[1, 2, 3]), 207.0);
    assert_eq!(b.at(&[0, 1, 2]), 102.0);
}

#[test]
fn broadcasting_edge_cases() {
    let s = Tensor::scalar(2.0);
    let m = arange(&[2, 2]);
    // Rank 0 on either side.
    assert_values(&(&s - &m), &[2, 2], &[2.0, 1.0, 0.0, -1.0], 0.0);
    assert_values(&(&m - &s), &[2, 2], &[-2.0, -1.0, 0.0, 1.0], 0.0);
    assert_values(&(&s * &s), &[], &[4.0], 0.0);
    // A one-element operand of higher rank raises the result's rank: [1, 1, 1] + [3] is
    // [1, 1, 3], whichever side it is on.
    let one = v(&[5.0], &[1, 1, 1]);
    let r3 = v(&[1.0, 2.0, 3.0], &[3]);
    assert_values(&(&one + &r3), &[1, 1, 3], &[6.0, 7.0, 8.0], 0.0);
    assert_values(&(&r3 + &one), &[1, 1, 3], &[6.0, 7.0, 8.0], 0.0);
    assert_values(
        &(&m + &v(&[1.0], &[1, 1])),
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
        0.0,
    );
    assert_values(
        &(&v(&[1.0], &[1, 1]) + &m),
        &[2, 2],
        &[1.0, 2.0, 3.0, 4.0],
        0.0,
    );
    assert_values(&(&v(&[1.0], &[1]) + &s), &[1], &[3.0], 0.0);
    // Size-1 axes on both sides at once.
    let p = &v(&[1.0, 2.0], &[2, 1, 1]) * &v(&[1.0, 10.0, 100.0], &[1, 3, 1]);
    assert_values(&p, &[2, 3, 1], &[1.0, 10.0, 100.0, 2.0, 20.0, 200.0], 0.0);
    // zip_map with a custom function and name.
    let d = arange(&[2, 3]).zip_map(&v(&[1.0, 2.0, 3.0], &[3]), "pow", f64::powf);
    assert_values(&d, &[2, 3], &[0.0, 1.0, 8.0, 3.0, 16.0, 125.0], 1e-12);
}

#[test]
fn comparisons_and_where_on_tensors() {
    let a = v(&[1.0, 2.0, 3.0], &[3]);
    let b = v(&[2.0], &[1]);
    assert_eq!(a.compare(&b, Cmp::Gt).data(), &[0.0, 0.0, 1.0]);
    assert_eq!(a.compare(&b, Cmp::Ge).data(), &[0.0, 1.0, 1.0]);
    assert_eq!(a.compare(&b, Cmp::Lt).data(), &[1.0, 0.0, 0.0]);
    assert_eq!(a.compare(&b, Cmp::Le).data(), &[1.0, 1.0, 0.0]);
    assert_eq!(a.compare(&b, Cmp::Eq).data(), &[0.0, 1.0, 0.0]);
    assert_eq!(a.compare_scalar(1.5, Cmp::Gt).data(), &[0.0, 1.0, 1.0]);
    let mask = v(&[1.0, 0.0], &[2, 1]);
    let w = mask.where_(&arange(&[2, 3]), &v(&[-1.0, -2.0, -3.0], &[3]));
    assert_values(&w, &[2, 3], &[0.0, 1.0, 2.0, -1.0, -2.0, -3.0], 0.0);
}

// ---------------------------------------------------------------------------------------------
// Reductions

#[test]
fn sums_along_every_axis_of_a_3d_tensor() {
    let x = arange(&[2, 3, 4]);
    assert_eq!(x.sum().item(), 276.0);
    assert_eq!(x.sum().rank(), 0);
    // Axis 0 (outermost): x[0, r] + x[1, r] = 2 r + 12.
    let s0: Vec<f64> = (0..12).map(|r| 2.0 * r as f64 + 12.0).collect();
    assert_values(&x.sum_axis(0, false), &[3, 4], &s0, 0.0);
    // Axis 1 (a middle axis: strided lanes): sum_j (12 o + 4 j + i) = 36 o + 12 + 3 i.
    let s1 = [12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0];
    assert_values(&x.sum_axis(1, false), &[2, 4], &s1, 0.0);
    assert_values(&x.sum_axis(1, true), &[2, 1, 4], &s1, 0.0);
    // Axis 2 (contiguous lanes): 4 base + 6.
    assert_values(
        &x.sum_axis(2, false),
        &[2, 3],
        &[6.0, 22.0, 38.0, 54.0, 70.0, 86.0],
        0.0,
    );
    assert_values(
        &x.reduce(Reduce::Sum, None, true),
        &[1, 1, 1],
        &[276.0],
        0.0,
    );
}

#[test]
fn mean_max_min_logsumexp_norm_along_axes() {
    let x = arange(&[2, 3, 4]);
    let m1 = [4.0, 5.0, 6.0, 7.0, 16.0, 17.0, 18.0, 19.0];
    assert_values(&x.reduce(Reduce::Mean, Some(1), false), &[2, 4], &m1, 1e-15);
    assert_values(&x.mean(), &[], &[11.5], 0.0);
    assert_values(
        &x.max_axis(1, false),
        &[2, 4],
        &[8.0, 9.0, 10.0, 11.0, 20.0, 21.0, 22.0, 23.0],
        0.0,
    );
    assert_values(
        &x.reduce(Reduce::Min, Some(0), false),
        &[3, 4],
        &(0..12).map(f64::from).collect::<Vec<_>>(),
        0.0,
    );
    assert_values(&x.reduce(Reduce::Max, None, false), &[], &[23.0], 0.0);
    assert_values(
        &x.reduce(Reduce::Min, Some(2), true),
        &[2, 3, 1],
        &[0.0, 4.0, 8.0, 12.0, 16.0, 20.0],
        0.0,
    );
    // Mixed signs so max/min are not just the last/first element.
    let y = v(&[3.0, -1.0, 2.0, -5.0, 4.0, 0.0], &[2, 3]);
    assert_values(
        &y.reduce(Reduce::Max, Some(0), false),
        &[3],
        &[3.0, 4.0, 2.0],
        0.0,
    );
    assert_values(
        &y.reduce(Reduce::Min, Some(1), false),
        &[2],
        &[-1.0, -5.0],
        0.0,
    );
    // logsumexp of [0, ln 2, ln 3] is ln 6, along a middle axis.
    let l = v(&[0.0, 1.0, 2f64.ln(), 1.0, 3f64.ln(), 1.0], &[1, 3, 2]);
    assert_values(
        &l.reduce(Reduce::LogSumExp, Some(1), false),
        &[1, 2],
        &[6f64.ln(), 1.0 + 3f64.ln()],
        1e-15,
    );
    // Norms of 3-4-5 triangles, per row and per column.
    let n = v(&[3.0, 4.0, 0.0, 0.0], &[2, 2]);
    assert_values(
        &n.reduce(Reduce::Norm, Some(1), false),
        &[2],
        &[5.0, 0.0],
        0.0,
    );
    assert_values(
        &n.reduce(Reduce::Norm, Some(0), true),
        &[1, 2],
        &[3.0, 4.0],
        0.0,
    );
    assert_values(&n.reduce(Reduce::Norm, None, false), &[], &[5.0], 0.0);
}

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

// ---------------------------------------------------------------------------------------------
// The f32 path, rank 0, empty shapes

#[test]
fn f32_forward_and_backward() {
    let tape = Tape::<f32>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0f32, -2.0, 0.5], [3]));
    let y = (x * x + x).sum();
    y.backward();
    assert_eq!(y.item(), 4.75);
    assert_eq!(x.grad().unwrap().data(), &[3.0f32, -3.0, 2.0]);
    // softplus and logsumexp stay finite where e^x overflows f32 (e^89 > f32::MAX).
    let big = tape.var(Tensor::from_vec(vec![100.0f32, -100.0, 89.0], [3]));
    let sp = big.softplus();
    assert_eq!(sp.value().data()[0], 100.0);
    assert!(sp.value().data().iter().all(|v| v.is_finite()));
    let lse = big.logsumexp();
    assert_relative_eq!(lse.item(), 100.0f32, max_relative = 1e-6);
    lse.backward();
    let g = big.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()));
    assert_relative_eq!(g.data()[0], 1.0f32, max_relative = 1e-4);
    // A small MLP step in f32 agrees with the same step in f64.
    let mut r = rng(3);
    let xs = uniform(&mut r, [4, 3], -1.0, 1.0);
    let w = uniform(&mut r, [3, 2], -1.0, 1.0);
    let run64 = {
        let t = Tape::<f64>::new();
        let wv = t.var(w.clone());
        let loss = -t
            .constant(xs.clone())
            .matmul(wv)
            .relu()
            .log_softmax(1)
            .gather(1, &[0, 1, 1, 0])
            .mean();
        loss.backward();
        (loss.item(), wv.grad().unwrap())
    };
    let t = Tape::<f32>::new();
    let wv = t.var(w.cast::<f32>());
    let loss = -t
        .constant(xs.cast::<f32>())
        .matmul(wv)
        .relu()
        .log_softmax(1)
        .gather(1, &[0, 1, 1, 0])
        .mean();
    loss.backward();
    assert_relative_eq!(f64::from(loss.item()), run64.0, max_relative = 1e-5);
    assert_close(&wv.grad().unwrap().cast::<f64>(), &run64.1, 1e-5);
}

#[test]
fn rank_zero_tensors_and_vars() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(3.0));
    let y = x * x * 2.0 + x.exp();
    assert_eq!(y.shape(), Shape::scalar());
    y.backward();
    let g = x.grad().unwrap();
    assert_eq!(g.rank(), 0);
    assert_relative_eq!(g.item(), 12.0 + 3f64.exp(), max_relative = 1e-15);
    // Reductions of a scalar are the scalar; it reshapes and broadcasts.
    let s = tape.var(Tensor::scalar(-1.5));
    assert_eq!(s.sum().item(), -1.5);
    assert_eq!(s.max().item(), -1.5);
    assert_eq!(s.reshape([1, 1]).dims().as_slice(), &[1, 1]);
    let b = s.broadcast_to([2, 3]);
    assert_eq!(b.value().data(), &[-1.5; 6]);
    b.sum().backward();
    assert_eq!(s.grad().unwrap().item(), 6.0);
    // A scalar times a matrix sends the whole sum back to the scalar.
    let m = tape.constant(arange(&[2, 2]).add_scalar(1.0));
    (s * m).sum().backward();
    assert_eq!(s.grad().unwrap().item(), 10.0);
    assert_eq!(s.grad().unwrap().rank(), 0);
}

#[test]
fn empty_shapes() {
    let e = Tensor::<f64>::zeros([0, 3]);
    assert_eq!((e.numel(), e.dims()), (0, &[0usize, 3][..]));
    assert_eq!(e.sum().item(), 0.0);
    assert_values(&e.sum_axis(0, false), &[3], &[0.0, 0.0, 0.0], 0.0);
    assert_eq!(e.sum_axis(1, false).dims(), &[0]);
    assert_eq!(e.exp().dims(), &[0, 3]);
    assert_eq!((&e + &v(&[1.0, 2.0, 3.0], &[3])).dims(), &[0, 3]);
    assert_eq!(e.matmul(&arange(&[3, 2])).dims(), &[0, 2]);
    // A product over an empty inner dimension is all zeros.
    let z = Tensor::<f64>::zeros([2, 0]).matmul(&Tensor::zeros([0, 3]));
    assert_values(&z, &[2, 3], &[0.0; 6], 0.0);
    assert_eq!(Tensor::concat(&[&e, &arange(&[2, 3])], 0), arange(&[2, 3]));
    assert_eq!(e.transpose(0, 1).dims(), &[3, 0]);
    assert_eq!(e.index_select(0, &[]).dims(), &[0, 3]);
    assert_eq!(arange(&[2, 3]).narrow(1, 1, 0).dims(), &[2, 0]);
    // Gradients through an empty tensor are empty, and the rest of the graph is unaffected.
    let tape = Tape::<f64>::new();
    let ev = tape.var(e.clone());
    let x = tape.var(v(&[1.0, 2.0], &[2]));
    (ev.exp().sum() + x.square().sum()).backward();
    assert_eq!(ev.grad().unwrap().dims(), &[0, 3]);
    assert_eq!(x.grad().unwrap().data(), &[2.0, 4.0]);
}

#[test]
fn tape_bookkeeping_and_reset() {
    let mut tape = Tape::<f64>::new();
    assert!(tape.is_empty());
    for _ in 0..3 {
        tape.reset();
        let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0], [5]));
        let loss = (x * x).sum();
        assert_eq!(tape.len(), 3);
        assert_eq!((x.id(), loss.id()), (0, 2));
        loss.backward();
        assert_eq!(x.grad().unwrap().data(), &[2.0, 4.0, 6.0, 8.0, 10.0]);
    }
    tape.reset();
    assert!(tape.is_empty());
}

#[test]
fn broadcast_to_matches_elementwise_indexing_on_every_pattern() {
    // Copied and repeated trailing runs, repeats in the middle, rank growth: each output
    // element must be the operand element its index maps to (dimension 1 reads index 0).
    let cases: [(&[usize], &[usize]); 8] = [
        (&[4], &[3, 4]),
        (&[3, 1], &[3, 5]),
        (&[1, 5], &[4, 5]),
        (&[2, 1, 3], &[2, 4, 3]),
        (&[2, 3, 1], &[4, 2, 3, 6]),
        (&[1, 3, 1], &[2, 3, 4]),
        (&[3, 1, 1], &[3, 2, 2]),
        (&[1], &[2, 3]),
    ];
    for (from, to) in cases {
        let x = arange(from);
        let y = x.broadcast_to(&Shape::new(to));
        assert_eq!(y.dims(), to);
        let offset = to.len() - from.len();
        for flat in 0..y.numel() {
            let mut rest = flat;
            let mut index = vec![0; to.len()];
            for d in (0..to.len()).rev() {
                index[d] = rest % to[d];
                rest /= to[d];
            }
            let source: Vec<usize> = (0..from.len())
                .map(|d| if from[d] == 1 { 0 } else { index[d + offset] })
                .collect();
            assert_eq!(
                y.at(&index),
                x.at(&source),
                "{from:?} -> {to:?} at {index:?}"
            );
        }
    }
}

#[test]
fn heap_tensors_start_on_a_64_byte_boundary() {
    // Vector loads from an address 16 bytes off a boundary straddle cache lines; every kernel
    // output (pushed, filled by rows, or overwritten in place) starts aligned.
    let x = Tensor::<f32>::from_fn([37, 29], |i| i as f32 * 0.01);
    let w = Tensor::<f32>::from_fn([29, 13], |i| i as f32 * 0.02);
    for _ in 0..3 {
        let outputs = [
            x.clone(),
            x.exp(),
            x.add(&x),
            x.matmul(&w),
            x.log_softmax(1),
            x.sum_axis(1, false).exp(),
            Tensor::<f32>::zeros([100]),
        ];
        for t in &outputs {
            assert_eq!(t.data().as_ptr() as usize % 64, 0, "{:?}", t.dims());
        }
        let d = Tensor::<f64>::from_fn([9, 7], |i| i as f64).exp();
        assert_eq!(d.data().as_ptr() as usize % 64, 0);
    }
}
