//! The GAN minimax game (catalogue row G1):
//! `min_G max_D V(D, G) = E_x[ln D(x)] + E_z[ln(1 - D(G(z)))]`, and its Wasserstein form with
//! a gradient penalty (WGAN-GP, Gulrajani et al. 2017), where a critic `f` scores samples:
//! `min_G max_f E_x f(x) - E_z f(G(z)) - lambda E_x^ (||grad f(x^)|| - 1)^2`.
//!
//! The discriminator outputs logits `l` with `D = sigma(l)`, and every logarithm is written
//! from the logits: `ln D = ln sigma(l) = -softplus(-l)` and `ln(1 - D) = -softplus(l)`, finite
//! even when D saturates at logits of +-1e4. Expectations are batch means (an estimate of `E`,
//! hence no [`Reduction`](crate::Reduction)).
//!
//! Keeping the two players apart is the caller's part, because the losses only see logits:
//! - Discriminator step: compute the fake logits as `D(G(z).detach())`, so no gradient reaches
//!   the generator, and update only D's parameters.
//! - Generator step: compute `D(G(z))` without detaching (the gradient must flow through D into
//!   G) and update only G's parameters; D's gradients from this step are discarded.

use tape::{Float, Var};

use crate::support::batch_len;

/// The discriminator's loss, catalogue G1: `-E_x ln D(x) - E_z ln(1 - D(G(z)))`, i.e. minus
/// the value `V` that D maximises.
///
/// Shapes: `real_logits [n]` (or `[n, 1]`), D on data; `fake_logits [m]` (or `[m, 1]`), D on
/// generated samples, which should be computed from detached samples. Computed as
/// `mean softplus(-l_real) + mean softplus(l_fake)`.
///
/// ```
/// use losses::generative::gan_discriminator;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let real = tape.var(Tensor::from_vec(vec![0.0, 1e4], [2])); // D = 1/2 and D = 1
/// let fake = tape.var(Tensor::from_vec(vec![-1e4], [1])); // D = 0
/// let loss = gan_discriminator(real, fake);
/// loss.backward();
/// assert!((loss.item() - 0.5 * 2f64.ln()).abs() < 1e-12); // (ln 2 + 0) / 2 + 0
/// assert_eq!(real.grad().unwrap().data(), &[-0.25, 0.0]);
/// ```
pub fn gan_discriminator<'t, T: Float>(
    real_logits: Var<'t, T>,
    fake_logits: Var<'t, T>,
) -> Var<'t, T> {
    batch_len("gan_discriminator", real_logits);
    batch_len("gan_discriminator", fake_logits);
    real_logits.neg().softplus().mean() + fake_logits.softplus().mean()
}

/// The generator's minimax loss, catalogue G1: `E_z ln(1 - D(G(z)))`, minimised by G.
///
/// Shapes: `fake_logits [m]` (or `[m, 1]`), D on generated samples. Computed as
/// `-mean softplus(l_fake)`. Its gradient vanishes when D confidently rejects the samples
/// (`l -> -inf`), which is why [`gan_generator_non_saturating`] is used in practice.
///
/// ```
/// use losses::generative::gan_generator_minimax;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let fake = tape.var(Tensor::from_vec(vec![0.0, -1e4], [2]));
/// let loss = gan_generator_minimax(fake);
/// loss.backward();
/// assert!((loss.item() + 0.5 * 2f64.ln()).abs() < 1e-12); // (ln(1/2) + ln 1) / 2
/// assert_eq!(fake.grad().unwrap().data(), &[-0.25, 0.0]); // saturated: no signal
/// ```
pub fn gan_generator_minimax<'t, T: Float>(fake_logits: Var<'t, T>) -> Var<'t, T> {
    batch_len("gan_generator_minimax", fake_logits);
    fake_logits.softplus().mean().neg()
}

/// The generator's non-saturating loss, catalogue G1: `-E_z ln D(G(z))`, minimised by G.
///
/// Shapes: `fake_logits [m]` (or `[m, 1]`). Computed as `mean softplus(-l_fake)`; its gradient
/// is largest exactly where the minimax form's vanishes (D rejecting the samples).
///
/// ```
/// use losses::generative::gan_generator_non_saturating;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let fake = tape.var(Tensor::from_vec(vec![0.0, -1e4], [2]));
/// let loss = gan_generator_non_saturating(fake);
/// loss.backward();
/// assert!((loss.item() - (2f64.ln() + 1e4) / 2.0).abs() < 1e-9);
/// assert_eq!(fake.grad().unwrap().data(), &[-0.25, -0.5]); // full signal when saturated
/// ```
pub fn gan_generator_non_saturating<'t, T: Float>(fake_logits: Var<'t, T>) -> Var<'t, T> {
    batch_len("gan_generator_non_saturating", fake_logits);
    fake_logits.neg().softplus().mean()
}

/// The Wasserstein critic's loss (WGAN): `E_z f(G(z)) - E_x f(x)`, minimised by the critic
/// `f`, whose scores are unbounded reals (no sigmoid). Pair it with [`gradient_penalty`], which
/// keeps `f` near 1-Lipschitz so that the loss estimates the Wasserstein-1 distance.
///
/// Shapes: `real_scores [n]` (or `[n, 1]`), `fake_scores [m]` (or `[m, 1]`).
///
/// ```
/// use losses::generative::wasserstein_critic;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let real = tape.var(Tensor::from_vec(vec![1.0, 3.0], [2]));
/// let fake = tape.var(Tensor::from_vec(vec![-1.0], [1]));
/// let loss = wasserstein_critic(real, fake);
/// loss.backward();
/// assert_eq!(loss.item(), -3.0); // -1 - (1 + 3) / 2
/// assert_eq!(real.grad().unwrap().data(), &[-0.5, -0.5]);
/// ```
pub fn wasserstein_critic<'t, T: Float>(
    real_scores: Var<'t, T>,
    fake_scores: Var<'t, T>,
) -> Var<'t, T> {
    batch_len("wasserstein_critic", real_scores);
    batch_len("wasserstein_critic", fake_scores);
    fake_scores.mean() - real_scores.mean()
}

/// The Wasserstein generator's loss: `-E_z f(G(z))`, minimised by G through a frozen critic.
///
/// Shapes: `fake_scores [m]` (or `[m, 1]`).
pub fn wasserstein_generator<'t, T: Float>(fake_scores: Var<'t, T>) -> Var<'t, T> {
    batch_len("wasserstein_generator", fake_scores);
    fake_scores.mean().neg()
}

/// The gradient penalty of WGAN-GP: `E_i (||grad_x f(x_i)||_2 - 1)^2` over the rows `x_i` of
/// `points` (`[n, d]`, usually random interpolates between real and generated samples), for
/// the critic `critic` (a function from `[n, d]` points to `[n]` or `[n, 1]` scores, each
/// score depending on its own row only, as an MLP's do).
///
/// The gradient `grad_x f` is recorded on the tape ([`Tape::grad_graph`](tape::Tape::grad_graph)),
/// so the penalty's own gradient with respect to the critic's parameters, taken by the usual
/// `backward`, is a second derivative of `f`. `points` are data: no gradient flows back into
/// them (in WGAN-GP they are built from detached samples anyway). The norm is `sqrt(|g|^2 + 1e-12)`: smooth where
/// the gradient vanishes.
///
/// ```
/// use losses::generative::gradient_penalty;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let w = tape.var(Tensor::from_vec(vec![3.0, 4.0], [2, 1])); // f(x) = x . w, |grad| = 5
/// let x = tape.constant(Tensor::from_vec(vec![0.1, 0.2, 0.3, 0.4], [2, 2]));
/// let penalty = gradient_penalty(x, |x| x.matmul(w));
/// assert!((penalty.item() - 16.0).abs() < 1e-9); // (5 - 1)^2
/// penalty.backward(); // d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
/// let g = w.grad().unwrap();
/// assert!((g.data()[0] - 4.8).abs() < 1e-9 && (g.data()[1] - 6.4).abs() < 1e-9);
/// ```
pub fn gradient_penalty<'t, T: Float>(
    points: Var<'t, T>,
    critic: impl FnOnce(Var<'t, T>) -> Var<'t, T>,
) -> Var<'t, T> {
    let tape = points.tape();
    // The penalty differentiates with respect to the points, constants or not.
    let x = tape.var(points.value());
    let scores = critic(x);
    batch_len("gradient_penalty", scores);
    let grad = tape.grad_graph(scores.sum(), &[x])[0];
    let norms = (grad.square().sum_axis(1, false) + T::from_f64(1e-12)).sqrt();
    (norms - T::ONE).square().mean()
}
