//! Unsupervised objectives (U2-U4): PCA, autoencoder, Isomap (k-means, U1, is in kmeans.rs).

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, rng, uniform};
use losses::unsupervised::*;
use losses::{Error, Reduction};
use tape::{Float, Tape, Tensor, gradcheck};

// ---------------------------------------------------------------- U2 PCA

#[test]
fn pca_reconstruction_gradcheck() {
    let mut r = rng(402);
    for (n, d, k, reduction) in [(8, 3, 2, Reduction::Mean), (12, 4, 1, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let e = uniform(&mut r, &[d, k], -1.0, 1.0);
        gradcheck(|v| pca_reconstruction(v[0], v[1], reduction), &[x, e]).assert_within(GRAD_TOL);
    }
}

/// Points along the axes with spreads 3, 2, 1 (plus an offset, removed by the centring): the
/// covariance is diag(3, 4/3, 1/3), so the best 2-D basis is (e1, e2) with error 1/3.
#[test]
fn pca_reconstruction_optimum_is_the_trailing_eigenvalue() {
    let (a, b, c) = (3.0, 2.0, 1.0);
    let rows = [
        [a, 0.0, 0.0],
        [-a, 0.0, 0.0],
        [0.0, b, 0.0],
        [0.0, -b, 0.0],
        [0.0, 0.0, c],
        [0.0, 0.0, -c],
    ];
    let data: Vec<f64> = rows.iter().flatten().map(|v| v + 7.0).collect();
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(data, [6, 3]));
    let best = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [3, 2]));
    let loss = pca_reconstruction(x, best, Reduction::Mean);
    assert_near(loss.item(), 2.0 * c * c / 6.0, 1e-12);
    loss.backward();
    assert!(best.grad().unwrap().data().iter().all(|g| g.abs() < 1e-12));
    // Dropping the second axis instead loses its eigenvalue 4/3.
    let worse = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0], [3, 2]));
    assert_near(
        pca_reconstruction(x, worse, Reduction::Mean).item(),
        4.0 / 3.0,
        1e-12,
    );
}

#[test]
fn orthonormality_penalty_gradcheck() {
    let mut r = rng(403);
    for (d, k) in [(3, 2), (5, 3)] {
        let e = uniform(&mut r, &[d, k], -1.0, 1.0);
        gradcheck(|v| orthonormality_penalty(v[0]), &[e]).assert_within(GRAD_TOL);
    }
}

#[test]
fn orthonormality_penalty_value() {
    let tape = Tape::<f64>::new();
    let s = 0.5f64.sqrt();
    let orthonormal = tape.var(Tensor::from_vec(vec![s, s, s, -s, 0.0, 0.0], [3, 2]));
    assert_near(orthonormality_penalty(orthonormal).item(), 0.0, 1e-15);
    // Columns (1, 1, 0) and (0, 1, 0): E^T E = [[2, 1], [1, 1]], so (2-1)^2 + 1 + 1 + 0.
    let skewed = tape.var(Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0], [3, 2]));
    assert_eq!(orthonormality_penalty(skewed).item(), 3.0);
}

// ---------------------------------------------------------------- U3 autoencoder

#[test]
fn autoencoder_reconstruction_gradcheck() {
    let mut r = rng(404);
    for (n, d, h, reduction) in [(5, 4, 2, Reduction::Mean), (7, 3, 2, Reduction::Sum)] {
        let x = uniform(&mut r, &[n, d], -1.0, 1.0);
        let encoder = uniform(&mut r, &[d, h], -1.0, 1.0);
        let decoder = uniform(&mut r, &[h, d], -1.0, 1.0);
        gradcheck(
            |v| {
                let reconstruction = v[0].matmul(v[1]).tanh().matmul(v[2]);
                autoencoder_reconstruction(v[0], reconstruction, reduction)
            },
            &[x, encoder, decoder],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn autoencoder_reconstruction_value() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 0.0, -1.0], [2, 2]));
    let reconstruction = tape.var(Tensor::from_vec(vec![1.0, 1.0, 0.5, 0.0], [2, 2]));
    // Row 0: 0 + 1; row 1: 0.25 + 1.
    let loss = autoencoder_reconstruction(x, reconstruction, Reduction::None);
    assert_close(loss.value().data(), &[1.0, 1.25], 0.0);
    assert_eq!(
        autoencoder_reconstruction(x, reconstruction, Reduction::Mean).item(),
        1.125
    );
}

// ---------------------------------------------------------------- U4 Isomap

/// An L: (0, 2), (0, 1), (0, 0), (1, 0), (2, 0).
fn l_shape() -> Tensor<f64> {
    Tensor::from_vec(
        vec![0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0],
        [5, 2],
    )
}

#[test]
fn geodesic_distances_follow_the_neighbour_graph() {
    // k = 2: edges along the L (plus (0,2)-(0,0) of length 2), so the ends are 4 apart.
    let d = geodesic_distances(&l_shape(), 2).unwrap();
    assert_close(
        d.data(),
        &[
            0.0, 1.0, 2.0, 3.0, 4.0, //
            1.0, 0.0, 1.0, 2.0, 3.0, //
            2.0, 1.0, 0.0, 1.0, 2.0, //
            3.0, 2.0, 1.0, 0.0, 1.0, //
            4.0, 3.0, 2.0, 1.0, 0.0,
        ],
        1e-12,
    );
    // k = 3: shortcuts across the corner appear: (0, 1)-(1, 0) of length sqrt 2, and
    // (0, 2)-(1, 0) and (0, 1)-(2, 0) of length sqrt 5, so the ends are 1 + sqrt 5 apart.
    let d = geodesic_distances(&l_shape(), 3).unwrap();
    assert_near(d.at(&[1, 3]), 2f64.sqrt(), 1e-12);
    assert_near(d.at(&[0, 4]), 1.0 + 5f64.sqrt(), 1e-12);
    assert_near(d.at(&[4, 0]), 1.0 + 5f64.sqrt(), 1e-12);
}

#[test]
fn geodesic_distances_use_the_symmetric_graph() {
    // k = 1: 10 picks 1.5 as its neighbour, but 1.5 picks 1; only the symmetric graph joins 10.
    let points = Tensor::from_vec(vec![0.0, 1.0, 1.5, 10.0], [4, 1]);
    let d = geodesic_distances(&points, 1).unwrap();
    assert_near(d.at(&[0, 3]), 10.0, 1e-12);
    assert_near(d.at(&[2, 3]), 8.5, 1e-12);
    for i in 0..4 {
        for j in 0..4 {
            assert_eq!(d.at(&[i, j]), d.at(&[j, i]));
        }
    }
}

#[test]
fn geodesic_distances_report_a_disconnected_graph() {
    // With one neighbour each, {0, 0.1, 0.2} and {50, 50.1} stay apart; with two, 50 reaches 0.2.
    let points = Tensor::from_vec(vec![0.0, 0.1, 0.2, 50.0, 50.1], [5, 1]);
    let err = geodesic_distances(&points, 1).unwrap_err();
    assert_eq!(
        err,
        Error::DisconnectedGraph {
            k: 1,
            components: 2,
            unreachable: (0, 3)
        }
    );
    assert!(err.to_string().contains("increase k"));
    assert!(geodesic_distances(&points, 2).is_ok());
    assert_eq!(
        geodesic_distances(&points, 5).unwrap_err(),
        Error::InvalidNeighbourCount { k: 5, points: 5 }
    );
}

fn random_geodesic(r: &mut rand::rngs::StdRng, n: usize) -> Tensor<f64> {
    let upper = uniform(r, &[n, n], 0.5, 3.0);
    Tensor::from_fn([n, n], |p| {
        let (i, j) = (p / n, p % n);
        if i == j {
            0.0
        } else {
            upper.at(&[i.min(j), i.max(j)])
        }
    })
}

#[test]
fn isomap_stress_gradcheck() {
    let mut r = rng(405);
    for (n, m, reduction) in [(6, 2, Reduction::Sum), (9, 3, Reduction::Mean)] {
        let y = uniform(&mut r, &[n, m], -1.0, 1.0);
        let geodesic = random_geodesic(&mut r, n);
        gradcheck(
            |v| isomap_stress(v[0], v[0].tape().constant(geodesic.clone()), reduction),
            std::slice::from_ref(&y),
        )
        .assert_within(GRAD_TOL);
        // The distances as a variable: each pair i < j receives 2 (d_G - ||y_i - y_j||).
        gradcheck(|v| isomap_stress(v[0], v[1], reduction), &[y, geodesic]).assert_within(GRAD_TOL);
    }
}

#[test]
fn isomap_stress_value() {
    let tape = Tape::<f64>::new();
    let y = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0, 0.0, 1.0], [3, 2]));
    let geodesic = tape.constant(Tensor::from_vec(
        vec![0.0, 5.0, 2.0, 5.0, 0.0, 4.0, 2.0, 4.0, 0.0],
        [3, 3],
    ));
    // Pairs (0, 1): 5 vs 5; (0, 2): 2 vs 1; (1, 2): 4 vs sqrt 18.
    let expected = [0.0, 1.0, (4.0 - 18f64.sqrt()).powi(2)];
    let per_pair = isomap_stress(y, geodesic, Reduction::None);
    assert_close(per_pair.value().data(), &expected, 1e-14);
    assert_near(
        isomap_stress(y, geodesic, Reduction::Sum).item(),
        expected.iter().sum(),
        1e-14,
    );
}

/// Rows 0 and 1 coincide while their geodesic distance is 10, so the incoming gradient of their
/// distance is large (-20): a norm backward that divided it by a tiny clamp would overflow in f32
/// and turn 0 * inf into NaN.
fn isomap_stress_with_coinciding_embeddings<T: Float>() {
    let tape = Tape::<T>::new();
    let y = tape.var(Tensor::from_vec(
        [1.0, 1.0, 1.0, 1.0, 0.0, 2.0].map(T::from_f64).to_vec(),
        [3, 2],
    ));
    let geodesic = tape.constant(Tensor::from_vec(
        [0.0, 10.0, 2.0, 10.0, 0.0, 1.5, 2.0, 1.5, 0.0]
            .map(T::from_f64)
            .to_vec(),
        [3, 3],
    ));
    let stress = isomap_stress(y, geodesic, Reduction::Sum);
    stress.backward();
    // (10 - 0)^2 + (2 - sqrt 2)^2 + (1.5 - sqrt 2)^2
    let s = 2f64.sqrt();
    let expected = 100.0 + (2.0 - s).powi(2) + (1.5 - s).powi(2);
    assert_near(stress.item().to_f64(), expected, 1e-4);
    let g = y.grad().unwrap();
    assert!(g.data().iter().all(|v| v.is_finite()), "gradient {g:?}");
}

#[test]
fn isomap_stress_gradient_is_finite_when_embeddings_coincide_f32() {
    isomap_stress_with_coinciding_embeddings::<f32>();
}

#[test]
fn isomap_stress_gradient_is_finite_when_embeddings_coincide_f64() {
    isomap_stress_with_coinciding_embeddings::<f64>();
}

#[test]
#[should_panic(expected = "the neighbour graph is disconnected")]
fn isomap_stress_refuses_infinite_geodesics() {
    let tape = Tape::<f64>::new();
    let y = tape.var(Tensor::zeros([2, 1]));
    let geodesic = tape.constant(Tensor::from_vec(
        vec![0.0, f64::INFINITY, f64::INFINITY, 0.0],
        [2, 2],
    ));
    isomap_stress(y, geodesic, Reduction::Sum);
}

#[test]
fn isomap_pipeline_on_a_line() {
    // Points on a line embed in 1-D with zero stress at the true coordinates.
    let points = Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.0, 3.0, 0.0, 6.0, 0.0], [4, 2]);
    let geodesic = geodesic_distances(&points, 2).unwrap();
    let tape = Tape::<f64>::new();
    let y = tape.var(Tensor::from_vec(vec![0.0, 1.0, 3.0, 6.0], [4, 1]));
    assert_near(
        isomap_stress(y, tape.constant(geodesic), Reduction::Sum).item(),
        0.0,
        1e-12,
    );
}
