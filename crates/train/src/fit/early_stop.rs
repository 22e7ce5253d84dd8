//! Early stopping: end a run once a validation metric has stopped improving, and optionally
//! give back the parameters of its best epoch.

use tape::{Float, Tensor};

use super::{EpochMetrics, History};
use crate::params::ParamStore;

/// Whether a metric is better low (a loss) or high (an accuracy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Lower is better.
    Minimize,
    /// Higher is better.
    Maximize,
}

impl Goal {
    /// Whether `value` beats `best` by more than `min_delta` (NaN never does).
    pub fn better(self, value: f64, best: f64, min_delta: f64) -> bool {
        match self {
            Goal::Minimize => value < best - min_delta,
            Goal::Maximize => value > best + min_delta,
        }
    }
}

/// Stops [`fit`](crate::fit()) when `metric` has not improved for `patience` epochs.
///
/// With patience `p`, a run whose best epoch so far is `b` stops after epoch `b + p` unless an
/// epoch in between improved on `b` by more than `min_delta`.
///
/// ```
/// use train::fit::EarlyStopping;
/// let stop = EarlyStopping::minimize("val_loss", 3).min_delta(1e-4).restore_best(true);
/// assert_eq!((stop.patience, stop.restore_best), (3, true));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    /// The metric watched: a standard column (`"val_loss"`) or a name the run's
    /// [`Fit::metrics`](crate::fit::Fit::metrics) returns.
    pub metric: String,
    /// Whether lower or higher is better.
    pub goal: Goal,
    /// Epochs without improvement before stopping (at least 1).
    pub patience: usize,
    /// The smallest change that counts as an improvement.
    pub min_delta: f64,
    /// After stopping (or the last epoch), put back the parameters of the best epoch. The
    /// checkpoint, if any, is written before: it holds the last epoch, so a resumed run goes
    /// on from where this one was.
    pub restore_best: bool,
}

impl EarlyStopping {
    /// Stops when `metric` has not decreased for `patience` epochs.
    pub fn minimize(metric: impl Into<String>, patience: usize) -> Self {
        Self::new(metric.into(), Goal::Minimize, patience)
    }

    /// Stops when `metric` has not increased for `patience` epochs.
    pub fn maximize(metric: impl Into<String>, patience: usize) -> Self {
        Self::new(metric.into(), Goal::Maximize, patience)
    }

    fn new(metric: String, goal: Goal, patience: usize) -> Self {
        EarlyStopping {
            metric,
            goal,
            patience: patience.max(1),
            min_delta: 0.0,
            restore_best: false,
        }
    }

    /// The smallest change that counts as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Whether to put back the best epoch's parameters at the end.
    pub fn restore_best(mut self, restore_best: bool) -> Self {
        self.restore_best = restore_best;
        self
    }
}

/// The state of an early stop during a run: the best value and epoch so far, and a copy of
/// the parameters then (when they are to be restored).
pub(super) struct Watch<T: Float> {
    rule: EarlyStopping,
    best: Option<(f64, usize)>,
    snapshot: Option<Vec<Tensor<T>>>,
}

impl<T: Float> Watch<T> {
    /// Watches by `rule`, taking the epochs of a resumed run's `history` into account (their
    /// parameters are gone, so only later epochs can be restored).
    pub(super) fn new(rule: EarlyStopping, history: &History) -> Self {
        let mut watch = Watch {
            rule,
            best: None,
            snapshot: None,
        };
        for m in &history.epochs {
            watch.improved(m, None);
        }
        watch
    }

    /// Whether the run should stop after the epochs seen (its best is `patience` ago).
    pub(super) fn exhausted(&self, epoch: usize) -> bool {
        self.best
            .is_some_and(|(_, b)| epoch >= b + self.rule.patience.max(1))
    }

    /// Why the run stops after `epoch`, for its output.
    pub(super) fn verdict(&self, epoch: usize) -> String {
        let (value, best) = self.best.unwrap_or((f64::NAN, 0));
        format!(
            "early stopping after epoch {epoch}: {} has not improved on epoch {best}'s {value:.6} \
             for {} epochs",
            self.rule.metric, self.rule.patience
        )
    }

    /// Records an epoch; copies the parameters when it is the best so far. An error when the
    /// metric watched is missing.
    pub(super) fn observe(
        &mut self,
        m: &EpochMetrics,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        if m.metric(&self.rule.metric).is_none() {
            let known: Vec<&str> = m.extra.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "early stopping watches '{}', which the run does not measure: the standard \
                 columns (train_loss, val_loss, val_accuracy, ...) and the metrics [{}] are",
                self.rule.metric,
                known.join(", ")
            ));
        }
        let keep = self.rule.restore_best.then_some(store);
        self.improved(m, keep);
        Ok(())
    }

    fn improved(&mut self, m: &EpochMetrics, store: Option<&ParamStore<T>>) {
        let Some(value) = m.metric(&self.rule.metric).filter(|v| !v.is_nan()) else {
            return;
        };
        let better = self
            .best
            .is_none_or(|(best, _)| self.rule.goal.better(value, best, self.rule.min_delta));
        if better {
            self.best = Some((value, m.epoch));
            // A deep copy: a shared clone would make the next optimiser step copy instead.
            self.snapshot = store.map(|s| {
                s.ids()
                    .map(|id| Tensor::from_slice(s.value(id).data(), s.value(id).shape().clone()))
                    .collect()
            });
        }
    }

    /// Puts the best epoch's parameters back into `store` when asked to and they were kept;
    /// returns that epoch.
    pub(super) fn restore(&self, store: &mut ParamStore<T>) -> Option<usize> {
        let saved = self.snapshot.as_ref().filter(|_| self.rule.restore_best)?;
        let ids: Vec<_> = store.ids().collect();
        for (id, value) in ids.into_iter().zip(saved) {
            store.value_mut(id).data_mut().copy_from_slice(value.data());
        }
        self.best.map(|(_, epoch)| epoch)
    }
}
