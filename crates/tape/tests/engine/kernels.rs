//! The eager `Tensor` kernels against hand-computed values: construction, elementwise
//! functions, broadcasting edge cases, and reductions along inner and outer axes. (Data
//! movement, indexing and products: `movement.rs`; the f32 path, rank 0 and empty shapes:
//! `edge_cases.rs`.)

use crate::common::assert_values;
use approx::assert_relative_eq;
use tape::{Cmp, Reduce, Shape, Tensor};

pub(crate) fn arange(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| i as f64)
}

pub(crate) fn v(data: &[f64], shape: &[usize]) -> Tensor<f64> {
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
