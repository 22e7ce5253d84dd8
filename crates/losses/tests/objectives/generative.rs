//! The GAN objectives (G1): gradient checks, values, saturation, and keeping the players apart.

use crate::common;

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

#[test]
fn wasserstein_losses_gradcheck_and_values() {
    let mut r = rng(304);
    let real = uniform(&mut r, &[5], -3.0, 3.0);
    let fake = uniform(&mut r, &[4, 1], -3.0, 3.0);
    gradcheck(
        |v| wasserstein_critic(v[0], v[1]),
        &[real.clone(), fake.clone()],
    )
    .assert_within(GRAD_TOL);
    gradcheck(|v| wasserstein_generator(v[0]), std::slice::from_ref(&fake)).assert_within(GRAD_TOL);
    let tape = Tape::<f64>::new();
    let (rv, fv) = (tape.var(real.clone()), tape.var(fake.clone()));
    let mean = |t: &Tensor<f64>| t.data().iter().sum::<f64>() / t.numel() as f64;
    assert_near(
        wasserstein_critic(rv, fv).item(),
        mean(&fake) - mean(&real),
        1e-14,
    );
    assert_near(wasserstein_generator(fv).item(), -mean(&fake), 1e-14);
}

/// A tanh critic `f(x) = tanh(x W1) w2`, parameters first, then the points.
fn critic<'t>(x: Var<'t, f64>, w1: Var<'t, f64>, w2: Var<'t, f64>) -> Var<'t, f64> {
    x.matmul(w1).tanh().matmul(w2)
}

#[test]
fn gradient_penalty_gradcheck_is_second_order_in_the_critic() {
    // The penalty's gradient with respect to the critic's weights goes through the recorded
    // gradient of the critic: finite differences of the whole penalty check it.
    let mut r = rng(305);
    let w1 = uniform(&mut r, &[2, 5], -1.0, 1.0);
    let w2 = uniform(&mut r, &[5, 1], -1.0, 1.0);
    let x = uniform(&mut r, &[6, 2], -2.0, 2.0);
    gradcheck(
        |v| {
            let points = v[0].tape().constant(x.clone());
            gradient_penalty(points, |p| critic(p, v[0], v[1]))
        },
        &[w1, w2],
    )
    .assert_within(GRAD_TOL);
}

#[test]
fn gradient_penalty_value_against_the_closed_form_gradient() {
    let mut r = rng(306);
    let w1 = uniform(&mut r, &[2, 3], -1.0, 1.0);
    let w2 = uniform(&mut r, &[3, 1], -1.0, 1.0);
    let x = uniform(&mut r, &[4, 2], -2.0, 2.0);
    let tape = Tape::<f64>::new();
    let (a, b) = (tape.var(w1.clone()), tape.var(w2.clone()));
    let penalty = gradient_penalty(tape.constant(x.clone()), |p| critic(p, a, b));
    // grad_x f = W1 diag(1 - tanh^2(x W1)) w2 per row.
    let mut expected = 0.0;
    for row in 0..4 {
        let xr = &x.data()[row * 2..row * 2 + 2];
        let mut grad = [0.0; 2];
        for j in 0..3 {
            let h = (xr[0] * w1.data()[j] + xr[1] * w1.data()[3 + j]).tanh();
            let back = (1.0 - h * h) * w2.data()[j];
            grad[0] += w1.data()[j] * back;
            grad[1] += w1.data()[3 + j] * back;
        }
        let norm = (grad[0] * grad[0] + grad[1] * grad[1] + 1e-12).sqrt();
        expected += (norm - 1.0).powi(2) / 4.0;
    }
    assert_near(penalty.item(), expected, 1e-13);
}
