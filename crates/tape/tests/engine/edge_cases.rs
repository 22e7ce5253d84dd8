//! The eager kernels at their edges, against hand-computed values: the f32 path, rank-0
//! tensors and empty shapes.

use crate::common::{assert_close, assert_values, rng, uniform};
use crate::kernels::{arange, v};
use approx::assert_relative_eq;
use tape::{Shape, Tape, Tensor};

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
