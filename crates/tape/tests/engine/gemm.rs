//! The matrix product against a plain triple loop in f64, over shapes that cross every blocking
//! edge of the packed kernel (register tile, cache blocks, the parallel split) and every
//! transpose combination, in f32 and f64.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Float, Tensor};

fn random<T: Float>(rng: &mut StdRng, shape: [usize; 2]) -> Tensor<T> {
    Tensor::from_fn(shape, |_| T::from_f64(rng.random_range(-1.0..1.0)))
}

/// op(a) op(b) computed with three loops in f64.
fn reference<T: Float>(a: &Tensor<T>, b: &Tensor<T>, ta: bool, tb: bool) -> Vec<f64> {
    let (ac, bc) = (a.dims()[1], b.dims()[1]);
    let (ad, bd) = (a.data(), b.data());
    let at = |i: usize, p: usize| if ta { ad[p * ac + i] } else { ad[i * ac + p] }.to_f64();
    let bt = |p: usize, j: usize| if tb { bd[j * bc + p] } else { bd[p * bc + j] }.to_f64();
    let (m, k) = if ta {
        (a.dims()[1], a.dims()[0])
    } else {
        (a.dims()[0], a.dims()[1])
    };
    let n = if tb { b.dims()[0] } else { b.dims()[1] };
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
        }
    }
    c
}

fn check<T: Float>(m: usize, k: usize, n: usize, tol: f64, rng: &mut StdRng) {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a = random::<T>(rng, if ta { [k, m] } else { [m, k] });
        let b = random::<T>(rng, if tb { [n, k] } else { [k, n] });
        let c = a.matmul_t(&b, ta, tb);
        assert_eq!(c.dims(), &[m, n]);
        let expected = reference(&a, &b, ta, tb);
        for (idx, (&got, want)) in c.data().iter().zip(&expected).enumerate() {
            let err = (got.to_f64() - want).abs() / (1.0 + want.abs());
            assert!(
                err <= tol * (k as f64).sqrt(),
                "{m}x{k}x{n} ta={ta} tb={tb}: element {idx} is {got}, expected {want}"
            );
        }
    }
}

const SHAPES: [(usize, usize, usize); 11] = [
    (5, 5, 5),       // smaller than one register tile
    (6, 5, 16),      // exactly one f32 tile
    (7, 9, 17),      // one past the tile in every direction
    (13, 300, 21),   // depth across two packed panels (256 + 44)
    (150, 31, 40),   // rows across two cache blocks (144 + 6)
    (37, 19, 23),    // nothing aligned
    (64, 600, 48),   // parallel split (m n k >= 2^20) with three depth panels
    (130, 257, 100), // parallel split with ragged column parts
    (5, 6, 4500),    // columns across two column blocks (4096 + 404)
    (301, 530, 10),  // parallel split by rows (one tile wide), ragged row parts
    (20, 20, 3100),  // wide enough for several pieces per thread with a packed A
];

#[test]
fn f64_products_match_the_triple_loop() {
    let mut rng = StdRng::seed_from_u64(1);
    for &(m, k, n) in &SHAPES {
        check::<f64>(m, k, n, 1e-14, &mut rng);
    }
}

#[test]
fn f32_products_match_the_triple_loop() {
    let mut rng = StdRng::seed_from_u64(2);
    for &(m, k, n) in &SHAPES {
        check::<f32>(m, k, n, 1e-6, &mut rng);
    }
}

#[test]
fn thin_products_match_the_triple_loop() {
    // At most 4 rows, depth or columns: the unpacked paths, in f64 and f32.
    let mut rng = StdRng::seed_from_u64(4);
    for &(m, k, n) in &[
        (2, 3, 2),
        (4, 300, 40),
        (3, 2, 4500),
        (50, 3, 60),
        (40, 4, 50),
        (40, 300, 3),
        (256, 2, 256),
        (2, 256, 256),
        (256, 256, 2),
        // Depth 5 to 16: passes of four rows of `b`, 32 columns at a time and a tail.
        (50, 10, 33),
        (40, 16, 70),
        (30, 5, 100),
        // Large enough to run on two threads, half the rows each.
        (301, 12, 400),
    ] {
        check::<f64>(m, k, n, 1e-14, &mut rng);
        check::<f32>(m, k, n, 1e-6, &mut rng);
    }
}

#[test]
fn vector_and_outer_products_match_the_triple_loop() {
    let mut rng = StdRng::seed_from_u64(3);
    for &(m, k, n) in &[
        (1, 50, 33),
        (40, 50, 1),
        (1, 1, 9),
        (9, 1, 1),
        (30, 1, 70),
        (1, 70, 1),
        // Matrices of at least 2^17 elements, split across two threads (odd halves).
        (1, 1001, 131),
        (1001, 131, 1),
        (777, 1, 171),
    ] {
        check::<f64>(m, k, n, 1e-14, &mut rng);
        check::<f32>(m, k, n, 1e-6, &mut rng);
    }
}

#[test]
fn linear_adds_the_bias_and_relu_on_every_path() {
    // The shapes reach every path of the product (vector, dot, outer, thin, few columns,
    // packed, parallel by columns and by rows, several depth panels), each of which applies
    // the bias and the ReLU its own way (the packed kernel only after the last depth panel).
    let mut rng = StdRng::seed_from_u64(5);
    let shapes = [
        (1, 50, 33),
        (40, 50, 1),
        (30, 1, 70),
        (50, 3, 60),
        (2, 256, 256),
        (30, 40, 3),
        (50, 10, 33),
        (301, 12, 400),
        (1, 1001, 131),
        (1001, 131, 1),
        (777, 1, 171),
    ];
    for &(m, k, n) in shapes.iter().chain(&SHAPES) {
        let x = random::<f64>(&mut rng, [m, k]);
        let w = random::<f64>(&mut rng, [k, n]);
        let b = Tensor::<f64>::from_fn([n], |_| rng.random_range(-1.0..1.0));
        let expected = reference(&x, &w, false, false);
        for bias in [b.clone(), b.reshape([1, n])] {
            let (y, y_relu) = (x.linear(&w, &bias), x.linear_relu(&w, &bias));
            assert_eq!(y.dims(), &[m, n]);
            assert_eq!(y_relu.dims(), &[m, n]);
            for (idx, want) in expected.iter().enumerate() {
                let want = want + b.data()[idx % n];
                for (got, want) in [(y.data()[idx], want), (y_relu.data()[idx], want.max(0.0))] {
                    assert!(
                        (got - want).abs() <= 1e-13 * (1.0 + want.abs()),
                        "linear {m}x{k}x{n}: element {idx} is {got}, expected {want}"
                    );
                }
            }
        }
    }
    // f32, through the packed and parallel paths.
    let x = random::<f32>(&mut rng, [130, 257]);
    let w = random::<f32>(&mut rng, [257, 100]);
    let b = Tensor::<f32>::from_fn([100], |_| rng.random_range(-1.0..1.0));
    let fused = x.linear(&w, &b);
    let separate = x.matmul(&w).add(&b);
    assert!(fused.max_abs_diff(&separate) <= 1e-5);
    assert!(x.linear_relu(&w, &b).max_abs_diff(&separate.relu()) <= 1e-5);
    // A NaN input makes its row's sums NaN, which the ReLU maps to 0 as `relu` does, on the
    // thin path (depth 3) and the packed one.
    for (m, k, n) in [(50, 3, 60), (130, 257, 100)] {
        let x = Tensor::<f32>::from_fn([m, k], |i| if i == 0 { f32::NAN } else { 0.5 });
        let w = random::<f32>(&mut rng, [k, n]);
        let b = Tensor::<f32>::from_fn([n], |_| 1.0);
        let y = x.linear_relu(&w, &b);
        assert!(
            y.data()[..n].iter().all(|&v| v == 0.0),
            "{m}x{k}x{n}: {:?}",
            &y.data()[..4]
        );
        assert!(y.data()[n..].iter().all(|v| v.is_finite() && *v >= 0.0));
    }
    // Batched: the bias goes on every row of every matrix.
    let x = Tensor::<f64>::from_fn([3, 20, 30], |_| rng.random_range(-1.0..1.0));
    let w = Tensor::<f64>::from_fn([3, 30, 25], |_| rng.random_range(-1.0..1.0));
    let b = Tensor::<f64>::from_fn([25], |_| rng.random_range(-1.0..1.0));
    assert!(x.linear(&w, &b).max_abs_diff(&x.matmul(&w).add(&b)) <= 1e-13);
}

#[test]
fn batched_products_match_per_batch_products() {
    let mut rng = StdRng::seed_from_u64(4);
    let a = Tensor::<f64>::from_fn([3, 20, 30], |_| rng.random_range(-1.0..1.0));
    let b = Tensor::<f64>::from_fn([3, 30, 25], |_| rng.random_range(-1.0..1.0));
    let c = a.matmul(&b);
    for batch in 0..3 {
        let ai = a.narrow(0, batch, 1).reshape([20, 30]);
        let bi = b.narrow(0, batch, 1).reshape([30, 25]);
        let ci = c.narrow(0, batch, 1).reshape([20, 25]);
        assert!(ci.max_abs_diff(&ai.matmul(&bi)) == 0.0);
    }
}

#[test]
fn empty_products_are_zero() {
    let a = Tensor::<f64>::zeros([3, 0]);
    let b = Tensor::<f64>::zeros([0, 4]);
    assert_eq!(a.matmul(&b), Tensor::zeros([3, 4]));
}
