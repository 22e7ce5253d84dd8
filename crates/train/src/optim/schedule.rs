//! Learning-rate schedules.

use std::f64::consts::PI;

/// A learning-rate schedule: the factor the base learning rate is multiplied by at each step.
///
/// Steps count optimiser updates from 0 (the first update).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` steps: factor `gamma^floor(step / every)`.
    Step {
        /// Steps between decays.
        every: usize,
        /// Decay factor.
        gamma: f64,
    },
    /// Linear warm-up from `1/warmup` to 1 over the first `warmup` steps, then a half cosine
    /// from 1 down to `min_factor` at step `total`, constant after.
    Cosine {
        /// Warm-up steps (0 for none).
        warmup: usize,
        /// The step at which the cosine reaches its minimum.
        total: usize,
        /// The final factor (0 decays to zero).
        min_factor: f64,
    },
}

impl LrSchedule {
    /// The factor at optimiser step `step` (0-based).
    ///
    /// ```
    /// use train::LrSchedule;
    /// let s = LrSchedule::Cosine { warmup: 10, total: 110, min_factor: 0.0 };
    /// assert_eq!(s.factor(0), 0.1); // warming up
    /// assert_eq!(s.factor(9), 1.0);
    /// assert!((s.factor(60) - 0.5).abs() < 1e-12); // halfway down the cosine
    /// assert_eq!(s.factor(500), 0.0);
    /// ```
    pub fn factor(&self, step: usize) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { every, gamma } => gamma.powi((step / every.max(1)) as i32),
            LrSchedule::Cosine {
                warmup,
                total,
                min_factor,
            } => {
                if step < warmup {
                    return (step + 1) as f64 / warmup as f64;
                }
                let span = total.saturating_sub(warmup).max(1) as f64;
                let progress = ((step - warmup) as f64 / span).min(1.0);
                min_factor + (1.0 - min_factor) * 0.5 * (1.0 + (PI * progress).cos())
            }
        }
    }
}
