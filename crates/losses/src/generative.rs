//! The GAN minimax game (catalogue row G1):
//! `min_G max_D V(D, G) = E_x[ln D(x)] + E_z[ln(1 - D(G(z)))]`.
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
