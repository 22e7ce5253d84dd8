//! Stopping a training loop at the first non-finite loss or gradient, with an error that
//! says where (epoch, step, learning rate) and what to try.

use std::fmt;

use tape::Float;

use crate::params::ParamStore;

/// A training step whose loss or gradient is not finite.
///
/// ```
/// use train::Divergence;
/// let d = Divergence::new("the loss is NaN", Some(2), 37, 1000.0);
/// assert_eq!(
///     d.to_string(),
///     "training diverged at epoch 2, step 37 (learning rate 1000): the loss is NaN; try a \
///      lower learning rate (--lr 100) or gradient clipping (--clip 1); \
///      LOSSGRAPH_DETECT_ANOMALY=1 names the operation that first produced a non-finite value"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// What was not finite: "the loss is NaN", "the gradient of 'w' holds 3 NaN ...".
    pub cause: String,
    /// The epoch (from 1), for loops that have epochs.
    pub epoch: Option<usize>,
    /// The step (from 1): within the epoch when there are epochs, else since the start.
    pub step: usize,
    /// The learning rate of that step.
    pub learning_rate: f64,
    /// What to try, in terms of the program's flags.
    pub advice: String,
}

impl Divergence {
    /// A divergence at `step` (of `epoch`, if any) with the default advice: a tenth of the
    /// learning rate, or gradient clipping.
    pub fn new(
        cause: impl Into<String>,
        epoch: Option<usize>,
        step: usize,
        learning_rate: f64,
    ) -> Self {
        let d = Divergence {
            cause: cause.into(),
            epoch,
            step,
            learning_rate,
            advice: String::new(),
        };
        d.advice(format!(
            "try a lower learning rate (--lr {}) or gradient clipping (--clip 1)",
            readable(learning_rate / 10.0)
        ))
    }

    /// The same with other advice (for a program whose flags differ). Unless the cause is
    /// already an anomaly report, a pointer to the tape's anomaly detection follows it.
    pub fn advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = advice.into();
        if !self.cause.starts_with("non-finite ") {
            self.advice.push_str(
                "; LOSSGRAPH_DETECT_ANOMALY=1 names the operation that first produced a \
                 non-finite value",
            );
        }
        self
    }

    /// Checks a step's loss, then the gradients collected in `store` (call it before the
    /// optimiser step that would consume them): `Err` names the first non-finite one.
    pub fn check<T: Float>(
        store: &ParamStore<T>,
        loss: f64,
        epoch: Option<usize>,
        step: usize,
        learning_rate: f64,
    ) -> Result<(), Divergence> {
        step_cause(store, loss).map_or(Ok(()), |cause| {
            Err(Divergence::new(cause, epoch, step, learning_rate))
        })
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "training diverged at ")?;
        if let Some(epoch) = self.epoch {
            write!(f, "epoch {epoch}, ")?;
        }
        write!(
            f,
            "step {} (learning rate {}): {}; {}",
            self.step,
            readable(self.learning_rate),
            self.cause,
            self.advice
        )
    }
}

impl std::error::Error for Divergence {}

/// A number to three significant digits, plain when moderate (`100`, `0.003`), with an
/// exponent otherwise (`1e30`): how learning rates and losses appear in messages.
///
/// ```
/// use train::fit::readable;
/// assert_eq!(readable(0.001), "0.001");
/// assert_eq!(readable(1e20), "1e20");
/// assert_eq!(readable(1234.5678), "1230");
/// ```
pub fn readable(x: f64) -> String {
    let rounded: f64 = format!("{x:.2e}").parse().unwrap_or(x);
    if rounded == 0.0 || (1e-4..1e6).contains(&rounded.abs()) {
        format!("{rounded}")
    } else {
        format!("{rounded:e}")
    }
}

/// What is not finite in a step, if anything: the loss, or the first parameter's gradient
/// holding a NaN or an infinity.
pub(crate) fn step_cause<T: Float>(store: &ParamStore<T>, loss: f64) -> Option<String> {
    if !loss.is_finite() {
        return Some(format!("the loss is {loss}"));
    }
    store.non_finite_grad()
}

impl<T: Float> ParamStore<T> {
    /// `None` when every collected gradient is finite; else which parameter's is not:
    /// "the gradient of 'mlp.0.weight' holds 3 NaN and 0 infinite values". One pass over the
    /// gradients, in chunks the compiler vectorises.
    pub fn non_finite_grad(&self) -> Option<String> {
        self.ids().find_map(|id| {
            let g = self.grad(id)?.data();
            let finite = g
                .chunks(512)
                .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()));
            (!finite).then(|| {
                let nan = g.iter().filter(|x| x.to_f64().is_nan()).count();
                let inf = g.iter().filter(|x| x.to_f64().is_infinite()).count();
                format!(
                    "the gradient of '{}' holds {nan} NaN and {inf} infinite values",
                    self.name(id)
                )
            })
        })
    }
}

/// Lets a program whose errors are strings use `?` on a [`Divergence`].
impl From<Divergence> for String {
    fn from(d: Divergence) -> String {
        d.to_string()
    }
}
