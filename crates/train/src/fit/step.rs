//! One epoch of [`fit`](super::fit()): its steps, each checked for non-finite values before
//! the optimiser sees it, its progress bar and its line.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tape::{AnomalyKind, Float, Tape, Var};

use super::{Divergence, EpochMetrics, FitConfig, FitError, OnNonFinite};
use crate::data::{BatchLoader, Batches};
use crate::optim::Optimizer;
use crate::params::{ParamStore, Params};

/// One training step: forward (`loss_fn`), backward, optional gradient clipping by global
/// norm, one optimiser step. Returns the loss. After the first few steps it allocates nothing
/// (the tape, the tensors and the optimiser reuse their memory).
///
/// A non-finite loss or gradient (checked before the optimiser sees it) skips the optimiser
/// step, discards the gradients and returns `Err` saying which was not finite; with the tape's
/// anomaly detection on, the error is its report.
///
/// ```
/// use tape::{Tape, Tensor};
/// use train::{ParamStore, Sgd, fit::checked_step};
///
/// let mut store = ParamStore::<f64>::new();
/// let w = store.add("w", Tensor::from_vec(vec![2.0], [1]));
/// let (mut opt, mut tape) = (Sgd::new(0.25), Tape::new());
/// let loss = checked_step(&mut store, &mut opt, &mut tape, None, |p| p[w].square().sum());
/// assert_eq!(loss, Ok(4.0));
/// assert_eq!(store.value(w).data(), &[1.0]); // w - 0.25 * 2w
/// let err = checked_step(&mut store, &mut opt, &mut tape, None, |p| p[w].ln() * f64::INFINITY);
/// assert!(err.is_err() && store.value(w).data() == [1.0]); // no step taken
/// ```
pub fn checked_step<T, O, F>(
    store: &mut ParamStore<T>,
    optimizer: &mut O,
    tape: &mut Tape<T>,
    clip_grad_norm: Option<f64>,
    loss_fn: F,
) -> Result<f64, String>
where
    T: Float,
    O: Optimizer<T>,
    F: for<'t> FnOnce(&Params<'t, T>) -> Var<'t, T>,
{
    let loss = match store.try_compute_grads(tape, loss_fn) {
        Ok(loss) => loss.to_f64(),
        Err(anomaly) if anomaly.kind == AnomalyKind::Loss => {
            let s = &anomaly.found;
            let value = if s.nan > 0 {
                "NaN"
            } else if s.pos_inf > 0 {
                "inf"
            } else {
                "-inf"
            };
            return Err(format!("the loss is {value}"));
        }
        Err(anomaly) => return Err(anomaly.to_string()),
    };
    // With clipping, the norm it computes anyway is the check; without, one pass.
    let cause = match clip_grad_norm {
        Some(max_norm) => {
            let norm = store.clip_grad_norm(max_norm);
            (!norm.is_finite()).then(|| {
                store
                    .non_finite_grad()
                    .unwrap_or_else(|| format!("the gradient norm is {norm}"))
            })
        }
        None => store.non_finite_grad(),
    };
    if let Some(cause) = cause {
        store.zero_grad();
        return Err(cause);
    }
    optimizer.step(store);
    Ok(loss)
}

/// One epoch's running totals.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) loss_sum: f64,
    pub(super) seen: usize,
    pub(super) skipped: usize,
}

/// What an epoch's steps work on.
pub(super) struct Epoch<'r, T: Float, O> {
    pub(super) store: &'r mut ParamStore<T>,
    pub(super) optimizer: &'r mut O,
    pub(super) tape: &'r mut Tape<T>,
    /// Shuffled for this epoch.
    pub(super) loader: &'r mut BatchLoader,
    pub(super) config: &'r FitConfig,
    pub(super) epoch: usize,
}

impl<T: Float, O: Optimizer<T>> Epoch<'_, T, O> {
    /// Runs the epoch's batches: one [`checked_step`] each, stopping or skipping at a
    /// non-finite one as configured.
    pub(super) fn train<D, L>(
        &mut self,
        data: &D,
        batch: &mut D::Batch,
        loss: &mut L,
    ) -> Result<Tally, FitError>
    where
        D: Batches,
        L: for<'t> FnMut(&Params<'t, T>, &D::Batch) -> Var<'t, T>,
    {
        let (config, epoch) = (self.config, self.epoch);
        let started = Instant::now();
        let bar = progress_bar(config, epoch, data.len());
        let mut tally = Tally::default();
        let mut step = 0;
        while let Some(indices) = self.loader.next_indices() {
            step += 1;
            let rows = indices.len();
            data.fill(indices, batch);
            let learning_rate = self.optimizer.learning_rate();
            let batch = &*batch;
            let clip = config.clip_grad_norm;
            match checked_step(self.store, self.optimizer, self.tape, clip, |p| {
                loss(p, batch)
            }) {
                Ok(loss) => {
                    tally.loss_sum += loss * rows as f64;
                    tally.seen += rows;
                }
                Err(_) if config.on_non_finite == OnNonFinite::SkipBatch => tally.skipped += 1,
                Err(cause) => {
                    let d = Divergence::new(cause, Some(epoch), step, learning_rate);
                    return Err(FitError::Diverged(d));
                }
            }
            bar.inc(rows as u64);
            // Formatting the message allocates; a few updates a second are plenty.
            if step % 25 == 0 && !bar.is_hidden() && tally.seen > 0 {
                let rate = tally.seen as f64 / started.elapsed().as_secs_f64().max(1e-9);
                let loss = tally.loss_sum / tally.seen as f64;
                bar.set_message(format!("loss {loss:.4}  {rate:.0} samples/s"));
            }
        }
        bar.finish_and_clear();
        if tally.seen == 0 {
            let cause = format!(
                "every one of the epoch's {step} batches had a non-finite loss or gradient"
            );
            let rate = self.optimizer.learning_rate();
            let d = Divergence::new(cause, Some(epoch), step, rate);
            return Err(FitError::Diverged(d));
        }
        Ok(tally)
    }
}

/// The epoch's line: the training loss (and accuracy), then what was measured after the
/// epoch, then the time (and skipped batches, if any). A classifier's reads
/// `epoch 3/4  train loss 0.3572  acc 0.9391  |  val loss 0.3304  acc 0.9345  |  0.02 s`.
pub(super) fn print_epoch(m: &EpochMetrics, epochs: usize) {
    let mut line = format!(
        "epoch {:>width$}/{epochs}  train loss {:.4}",
        m.epoch,
        m.train_loss,
        width = epochs.to_string().len()
    );
    let mut push = |label: &str, value: f64| {
        if !value.is_nan() {
            line.push_str(&format!("  {label} {value:.4}"));
        }
    };
    push("acc", m.train_accuracy);
    let mut measured = String::new();
    for (label, value) in [("val loss", m.val_loss), ("acc", m.val_accuracy)]
        .into_iter()
        .chain(m.extra.iter().map(|(n, v)| (n.as_str(), *v)))
        .filter(|(_, v)| !v.is_nan())
    {
        measured.push_str(&format!("{label} {value:.4}  "));
    }
    if !measured.is_empty() {
        line.push_str("  |  ");
        line.push_str(measured.trim_end());
    }
    line.push_str(&format!("  |  {:.2} s", m.seconds));
    if m.skipped_batches > 0 {
        line.push_str(&format!(
            "  |  {} non-finite batches skipped",
            m.skipped_batches
        ));
    }
    println!("{line}");
}

/// The epoch's progress bar: samples done, throughput, running loss; hidden when disabled.
fn progress_bar(config: &FitConfig, epoch: usize, samples: usize) -> ProgressBar {
    if !config.progress {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} samples  {msg}")
            .expect("a valid progress template")
            .progress_chars("=> ");
    ProgressBar::new(samples as u64)
        .with_style(style)
        .with_prefix(format!("{epoch}/{}", config.epochs))
}
