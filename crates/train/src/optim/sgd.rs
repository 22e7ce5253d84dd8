//! Stochastic gradient descent, with momentum (heavy ball or Nesterov) and weight decay.

use tape::Float;

use super::{StepContext, Stepper, UpdateRule};

/// Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay: a
/// [`Stepper`] following [`SgdRule`].
///
/// ```
/// use train::{LrSchedule, Optimizer, Sgd};
/// let opt: Sgd = Sgd::new(0.1)
///     .momentum(0.9)
///     .nesterov(true)
///     .weight_decay(1e-4)
///     .schedule(LrSchedule::Step { every: 100, gamma: 0.5 });
/// assert_eq!(opt.learning_rate(), 0.1);
/// ```
pub type Sgd<T = f32> = Stepper<SgdRule, T, 1>;

/// SGD's update, in the form PyTorch uses:
///
/// ```text
/// g <- g + weight_decay * w
/// b <- momentum * b + g                  (b starts at 0)
/// d <- g + momentum * b   (Nesterov)  or  b   (classical momentum)  or  g   (no momentum)
/// w <- w - lr * d
/// ```
///
/// The velocity `b` is kept (state `velocity`) only with a non-zero momentum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdRule {
    momentum: f64,
    nesterov: bool,
    weight_decay: f64,
}

impl<T: Float> Stepper<SgdRule, T, 1> {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        let rule = SgdRule {
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        };
        Self::with_rule(rule, lr)
    }

    /// Classical momentum (0.9 is typical).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.rule.momentum = momentum;
        self
    }

    /// Nesterov momentum: looks ahead along the velocity (needs a non-zero momentum).
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.rule.nesterov = nesterov;
        self
    }

    /// L2 weight decay added to the gradient.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.rule.weight_decay = weight_decay;
        self
    }
}

impl<T: Float> UpdateRule<T, 1> for SgdRule {
    const STATE: [&'static str; 1] = ["velocity"];

    fn kind(&self) -> &'static str {
        "sgd"
    }

    fn keeps_state(&self) -> bool {
        self.momentum != 0.0
    }

    fn update(&self, ctx: StepContext, w: &mut [T], g: &[T], [b]: [&mut [T]; 1]) {
        let lr = T::from_f64(ctx.lr);
        let wd = T::from_f64(self.weight_decay);
        if self.momentum == 0.0 {
            return sgd_update(w, g, lr, wd);
        }
        let rule = MomentumScalars {
            lr,
            mu: T::from_f64(self.momentum),
            wd,
            nesterov: self.nesterov,
        };
        momentum_update(rule, w, g, b);
    }
}

// The updates' loops are compiled per kernel path (`tape::kernel!`): with AVX2 they stream
// eight f32 at a time. They use no fused multiply-adds, so every path gives the same bits.

tape::kernel! {
    /// Plain SGD: `w <- w - lr (g + wd w)`.
    fn sgd_update<T: Float>(w: &mut [T], g: &[T], lr: T, wd: T) {
        for (w, &g) in w.iter_mut().zip(g) {
            *w -= lr * (g + wd * *w);
        }
    }
}

/// One SGD-with-momentum step's scalars.
#[derive(Clone, Copy)]
struct MomentumScalars<T> {
    lr: T,
    mu: T,
    wd: T,
    nesterov: bool,
}

tape::kernel! {
    /// SGD with momentum (heavy ball or Nesterov): `b <- mu b + g`, `w <- w - lr d`.
    fn momentum_update<T: Float>(rule: MomentumScalars<T>, w: &mut [T], g: &[T], b: &mut [T]) {
        let MomentumScalars { lr, mu, wd, nesterov } = rule;
        for ((w, &g), b) in w.iter_mut().zip(g).zip(b.iter_mut()) {
            let g = g + wd * *w;
            *b = mu * *b + g;
            let d = if nesterov { g + mu * *b } else { *b };
            *w -= lr * d;
        }
    }
}
