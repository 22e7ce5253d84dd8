//! The GAN objectives (G1): gradient checks, values, saturation, and keeping the players apart.

mod common;

use common::{GRAD_TOL, assert_close, assert_near, rng, sigmoid, uniform};
use losses::generative::*;
use tape::{Float, Tape, Tensor, Var, gradcheck};

#[test]
fn gan_discriminator_gradcheck() {
    let mut r = rng(301);
    for (real_shape, fake_shape) in [(vec![5], vec![7]), (vec![6, 1], vec![6, 1])] {
        let real = uniform(&mut r, &real_shape, -3.0, 3.0);
        let fake = uniform(&mut r, &fake_shape, -3.0, 3.0);
        gradcheck(|v| gan_discriminator(v[0], v[1]), &[real, fake]).assert_within(GRAD_TOL);
    }
}

#[test]
fn gan_discriminator_value() {
    let tape = Tape::<f64>::new();
    let real = tape.var(Tensor::from_vec(vec![0.0, 2.0], [2]));
    let fake = tape.var(Tensor::from_vec(vec![-1.0, 0.5, 0.0], [3]));
    // -mean ln D(x) - mean ln(1 - D(G(z))), with D = sigmoid of the logits.
    let expected = -(sigmoid(0.0).ln() + sigmoid(2.0).ln()) / 2.0
        - ((1.0 - sigmoid(-1.0)).ln() + (1.0 - sigmoid(0.5)).ln() + (0.5f64).ln()) / 3.0;
    assert_near(gan_discriminator(real, fake).item(), expected, 1e-14);
}

#[test]
fn gan_generator_minimax_gradcheck() {
    let mut r = rng(302);
    for shape in [vec![4], vec![9, 1]] {
        let fake = uniform(&mut r, &shape, -3.0, 3.0);
        gradcheck(|v| gan_generator_minimax(v[0]), &[fake]).assert_within(GRAD_TOL);
    }
}

#[test]
fn gan_generator_minimax_value() {
    let tape = Tape::<f64>::new();
    let fake = tape.var(Tensor::from_vec(vec![-1.0, 0.5], [2]));
    let expected = ((1.0 - sigmoid(-1.0)).ln() + (1.0 - sigmoid(0.5)).ln()) / 2.0;
    assert_near(gan_generator_minimax(fake).item(), expected, 1e-14);
}

#[test]
fn gan_generator_non_saturating_gradcheck() {
    let mut r = rng(303);
    for shape in [vec![6], vec![3, 1]] {
        let fake = uniform(&mut r, &shape, -3.0, 3.0);
        gradcheck(|v| gan_generator_non_saturating(v[0]), &[fake]).assert_within(GRAD_TOL);
    }
}

#[test]
fn gan_generator_non_saturating_value() {
    let tape = Tape::<f64>::new();
    let fake = tape.var(Tensor::from_vec(vec![-1.0, 0.5], [2]));
    let expected = -(sigmoid(-1.0).ln() + sigmoid(0.5).ln()) / 2.0;
    assert_near(gan_generator_non_saturating(fake).item(), expected, 1e-14);
}

fn gan_losses_when_d_saturates<T: Float>() {
    let tape = Tape::<T>::new();
    let logits = |v: [f64; 2]| tape.var(Tensor::from_vec(v.map(T::from_f64).to_vec(), [2]));
    let as_f64 = |x: Var<'_, T>| -> Vec<f64> {
        x.grad()
            .unwrap()
            .data()
            .iter()
            .map(|v| v.to_f64())
            .collect()
    };
    let real = logits([1e4, -1e4]);
    let fake = logits([1e4, -1e4]);

    let d = gan_discriminator(real, fake);
    d.backward();
    // One confident right and one confident wrong answer on each side: (1e4 + 0) / 2 twice.
    assert_eq!(d.item().to_f64(), 1e4);
    assert_close(&as_f64(real), &[0.0, -0.5], 0.0);
    assert_close(&as_f64(fake), &[0.5, 0.0], 0.0);

    let minimax = gan_generator_minimax(fake);
    minimax.backward();
    assert_eq!(minimax.item().to_f64(), -5e3);
    assert_close(&as_f64(fake), &[-0.5, 0.0], 0.0);

    let non_saturating = gan_generator_non_saturating(fake);
    non_saturating.backward();
    assert_eq!(non_saturating.item().to_f64(), 5e3);
    assert_close(&as_f64(fake), &[0.0, -0.5], 0.0);
}

#[test]
fn gan_losses_are_finite_when_d_saturates_f32() {
    gan_losses_when_d_saturates::<f32>();
}

#[test]
fn gan_losses_are_finite_when_d_saturates_f64() {
    gan_losses_when_d_saturates::<f64>();
}

/// The usage the module documents: D's step sees detached samples, so G gets no gradient; G's
/// step flows through D into G.
#[test]
fn players_stay_apart_with_detached_samples() {
    let mut r = rng(304);
    let tape = Tape::<f64>::new();
    let g_weights = tape.var(uniform(&mut r, &[3, 2], -1.0, 1.0));
    let d_weights = tape.var(uniform(&mut r, &[2, 1], -1.0, 1.0));
    let z = tape.constant(uniform(&mut r, &[4, 3], -1.0, 1.0));
    let data = tape.constant(uniform(&mut r, &[5, 2], -1.0, 1.0));
    let fake = z.matmul(g_weights);

    let d_loss = gan_discriminator(data.matmul(d_weights), fake.detach().matmul(d_weights));
    d_loss.backward();
    assert!(g_weights.grad().is_none());
    assert!(d_weights.grad().unwrap().data().iter().any(|&g| g != 0.0));

    let g_loss = gan_generator_non_saturating(fake.matmul(d_weights));
    g_loss.backward();
    assert!(g_weights.grad().unwrap().data().iter().all(|&g| g != 0.0));
}
