//! Adam and AdamW.

use tape::Float;

use super::{StepContext, Stepper, UpdateRule};

/// Adam (Kingma & Ba, 2015), and AdamW (Loshchilov & Hutter, 2019) with decoupled weight
/// decay: a [`Stepper`] following [`AdamRule`].
///
/// ```
/// use train::{Adam, LrSchedule, Optimizer};
/// let adam: Adam = Adam::new(1e-3).betas(0.5, 0.999);
/// let adamw: Adam = Adam::adamw(1e-3, 0.01).schedule(LrSchedule::Cosine {
///     warmup: 100,
///     total: 10_000,
///     min_factor: 0.0,
/// });
/// assert_eq!(adam.learning_rate(), 1e-3);
/// assert!((adamw.learning_rate() - 1e-5).abs() < 1e-15); // warming up: 1/100 of the rate
/// ```
pub type Adam<T = f32> = Stepper<AdamRule, T, 2>;

/// Adam's update. With step count `t` starting at 1:
///
/// ```text
/// Adam:   g <- g + weight_decay * w          AdamW:  w <- w - lr * weight_decay * w
/// m <- beta1 * m + (1 - beta1) * g
/// v <- beta2 * v + (1 - beta2) * g^2
/// w <- w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
/// ```
///
/// The moments `m` and `v` are its state (`m`, `v`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamRule {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decoupled: bool,
}

impl<T: Float> Stepper<AdamRule, T, 2> {
    /// Adam with learning rate `lr`, betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn new(lr: f64) -> Self {
        let rule = AdamRule {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
        };
        Self::with_rule(rule, lr)
    }

    /// AdamW: Adam with decoupled weight decay (`w <- w - lr * weight_decay * w` before the
    /// Adam update; 0.01 is a common choice).
    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        let mut adam = Self::new(lr);
        adam.rule.weight_decay = weight_decay;
        adam.rule.decoupled = true;
        adam
    }

    /// The decay rates of the first and second moment estimates.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.rule.beta1 = beta1;
        self.rule.beta2 = beta2;
        self
    }

    /// The term added to the denominator for numerical stability.
    pub fn eps(mut self, eps: f64) -> Self {
        self.rule.eps = eps;
        self
    }

    /// Weight decay: added to the gradient (L2) for Adam, applied to the weights directly for
    /// AdamW.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.rule.weight_decay = weight_decay;
        self
    }
}

impl<T: Float> UpdateRule<T, 2> for AdamRule {
    const STATE: [&'static str; 2] = ["m", "v"];

    fn kind(&self) -> &'static str {
        if self.decoupled { "adamw" } else { "adam" }
    }

    fn update(&self, ctx: StepContext, w: &mut [T], g: &[T], [m, v]: [&mut [T]; 2]) {
        let t = ctx.t as i32;
        let bias1 = 1.0 - self.beta1.powi(t);
        let bias2 = 1.0 - self.beta2.powi(t);
        let (coupled_wd, decay_factor) = if self.decoupled {
            (0.0, 1.0 - ctx.lr * self.weight_decay)
        } else {
            (self.weight_decay, 1.0)
        };
        // Folding the bias corrections into two scalars keeps the inner loop to one sqrt and
        // one division per element.
        let rule = AdamScalars {
            step_size: T::from_f64(ctx.lr / bias1),
            inv_sqrt_bias2: T::from_f64(1.0 / bias2.sqrt()),
            beta1: T::from_f64(self.beta1),
            beta2: T::from_f64(self.beta2),
            one_minus_beta1: T::from_f64(1.0 - self.beta1),
            one_minus_beta2: T::from_f64(1.0 - self.beta2),
            eps: T::from_f64(self.eps),
            coupled_wd: T::from_f64(coupled_wd),
            decay_factor: T::from_f64(decay_factor),
        };
        adam_update(rule, w, g, m, v);
    }
}

/// One Adam step's scalars, with the bias corrections folded in.
#[derive(Clone, Copy)]
struct AdamScalars<T> {
    step_size: T,
    inv_sqrt_bias2: T,
    beta1: T,
    beta2: T,
    one_minus_beta1: T,
    one_minus_beta2: T,
    eps: T,
    coupled_wd: T,
    decay_factor: T,
}

// Compiled per kernel path (`tape::kernel!`) with no fused multiply-adds, so every path gives
// the same bits.
tape::kernel! {
    /// Adam's update of one parameter's elements: weights `w` and moments `m`, `v` in place
    /// from the gradient `g`.
    fn adam_update<T: Float>(rule: AdamScalars<T>, w: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
        let (b1, b2) = (rule.beta1, rule.beta2);
        let (one_b1, one_b2) = (rule.one_minus_beta1, rule.one_minus_beta2);
        let lanes = w.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
        for ((w, &g), (m, v)) in lanes {
            let g = g + rule.coupled_wd * *w;
            *w *= rule.decay_factor;
            *m = b1 * *m + one_b1 * g;
            *v = b2 * *v + one_b2 * g * g;
            *w -= rule.step_size * *m / (v.sqrt() * rule.inv_sqrt_bias2 + rule.eps);
        }
    }
}
