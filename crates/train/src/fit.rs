//! `fit`: the training loop for classifiers, with a progress bar, a line per epoch, a metrics
//! CSV, a stop (or a skipped batch) at the first non-finite loss or gradient, and resumable
//! checkpoints.

mod divergence;
mod metrics;
mod resume;

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use tape::{AnomalyKind, Tape};

use crate::data::{Batch, BatchLoader, Dataset};
use crate::layers::Module;
use crate::loss::{count_correct, softmax_cross_entropy};
use crate::optim::Optimizer;
use crate::params::ParamStore;

pub use divergence::Divergence;
pub use divergence::readable;
pub use metrics::{EpochMetrics, History};

/// What [`fit`] does with a batch whose loss or gradient is NaN or infinite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnNonFinite {
    /// Stop with a [`FitError::Diverged`] naming the epoch, step and learning rate.
    #[default]
    Stop,
    /// Skip the batch (no optimiser step) and go on; each epoch reports how many it skipped.
    /// An epoch that skips every batch still stops the run.
    SkipBatch,
}

/// How [`fit`] trains.
#[derive(Clone, Debug)]
pub struct FitConfig {
    /// Passes over the training set (in all, counting those of a resumed run).
    pub epochs: usize,
    /// Examples per optimiser step.
    pub batch_size: usize,
    /// Clip the global gradient norm to this value before each step.
    pub clip_grad_norm: Option<f64>,
    /// Show a progress bar (it only draws on a terminal).
    pub progress: bool,
    /// Print one line per epoch.
    pub verbose: bool,
    /// Write the per-epoch metrics to this CSV file (rewritten after every epoch, so an
    /// interrupted run keeps what it measured).
    pub metrics_csv: Option<PathBuf>,
    /// What a non-finite loss or gradient does.
    pub on_non_finite: OnNonFinite,
    /// Write a training checkpoint here (parameters, optimiser state, epoch, data order,
    /// metrics; see [`crate::checkpoint::TrainingState`]) after the last epoch.
    pub checkpoint: Option<PathBuf>,
    /// Also write the checkpoint after every this many epochs (0: only after the last).
    pub save_every: usize,
    /// Continue the run saved in this training checkpoint: its parameters, optimiser state
    /// and metrics are restored and training goes on from the next epoch, exactly as if it
    /// had not stopped (given the same data, model, optimiser and generator seed).
    pub resume: Option<PathBuf>,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            epochs: 10,
            batch_size: 64,
            clip_grad_norm: None,
            progress: true,
            verbose: true,
            metrics_csv: None,
            on_non_finite: OnNonFinite::Stop,
            checkpoint: None,
            save_every: 0,
            resume: None,
        }
    }
}

/// Why [`fit`] stopped early.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// A loss or gradient was not finite (or every batch of an epoch was skipped).
    Diverged(Divergence),
    /// The training data cannot train anything.
    Data(String),
    /// A metrics file or checkpoint could not be written.
    Output(String),
    /// The checkpoint to resume from could not be read or belongs to another run.
    Resume(String),
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::Diverged(d) => write!(f, "{d}"),
            FitError::Data(m) | FitError::Output(m) | FitError::Resume(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for FitError {}

/// Mean softmax cross-entropy and accuracy of `model` on `data`, in batches of `batch_size`,
/// with the parameters bound as constants (no gradients). Returns `(NaN, NaN)` for no data.
pub fn evaluate<M: Module>(
    model: &M,
    store: &ParamStore,
    data: &Dataset,
    batch_size: usize,
) -> (f64, f64) {
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut tape = Tape::new();
    let mut loader = BatchLoader::new(batch_size);
    loader.in_order(data.len());
    let (mut loss_sum, mut correct) = (0.0, 0);
    while let Some(batch) = loader.next_batch(data) {
        tape.reset();
        let params = store.bind_frozen(&tape);
        let logits = model.forward(&params, tape.constant(batch.inputs.clone()));
        let loss = softmax_cross_entropy(logits, batch.labels);
        loss_sum += loss.item() as f64 * batch.labels.len() as f64;
        correct += count_correct(&logits.value(), batch.labels);
    }
    let n = data.len() as f64;
    (loss_sum / n, correct as f64 / n)
}

/// Trains a classifier `model` (inputs to logits) with softmax cross-entropy: `epochs` passes
/// over `train` in mini-batches shuffled by `rng`, one optimiser step per batch, then an
/// evaluation on `validation`. Shows a progress bar with the running loss and throughput,
/// prints one line per epoch, writes the metrics CSV and the checkpoint when configured, and
/// resumes a checkpointed run when asked (see [`FitConfig`]).
///
/// Stops at the first non-finite loss or gradient (or skips that batch, see
/// [`OnNonFinite`]); no checkpoint is written after that, so the last one on disk is finite.
pub fn fit<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    train: &Dataset,
    validation: &Dataset,
    config: &FitConfig,
    rng: &mut impl Rng,
) -> Result<History, FitError> {
    if train.is_empty() {
        return Err(FitError::Data("the training set holds no examples".into()));
    }
    let mut loader = BatchLoader::new(config.batch_size);
    let mut history = match &config.resume {
        Some(path) => resume::restore(path, store, optimizer, &mut loader, train, config, rng)?,
        None => History::default(),
    };
    let mut tape = Tape::new();
    for epoch in history.epochs.len() + 1..=config.epochs {
        let started = Instant::now();
        loader.shuffle(train.len(), rng);
        let tally = train_epoch(
            model,
            store,
            optimizer,
            &mut tape,
            &mut loader,
            train,
            config,
            epoch,
        )?;
        let train_seconds = started.elapsed().as_secs_f64();
        let (val_loss, val_accuracy) =
            evaluate(model, store, validation, config.batch_size.max(256));
        let seen = tally.seen.max(1) as f64;
        let metrics = EpochMetrics {
            epoch,
            train_loss: tally.loss_sum / seen,
            train_accuracy: tally.correct as f64 / seen,
            val_loss,
            val_accuracy,
            learning_rate: optimizer.learning_rate(),
            seconds: started.elapsed().as_secs_f64(),
            train_seconds,
            skipped_batches: tally.skipped,
        };
        if config.verbose {
            print_epoch(&metrics, config.epochs);
        }
        history.epochs.push(metrics);
        if let Some(path) = &config.metrics_csv {
            history
                .write_csv(path)
                .map_err(|e| FitError::Output(e.to_string()))?;
        }
        let due = config.save_every > 0 && epoch.is_multiple_of(config.save_every);
        if let Some(path) = config
            .checkpoint
            .as_ref()
            .filter(|_| due || epoch == config.epochs)
        {
            resume::save(path, store, optimizer, &loader, train.len(), &history)?;
        }
    }
    Ok(history)
}

/// One epoch's running totals.
#[derive(Default)]
struct Tally {
    loss_sum: f64,
    correct: usize,
    seen: usize,
    skipped: usize,
}

/// Runs the epoch's batches (the loader is shuffled): one [`train_step`] each, stopping or
/// skipping at a non-finite one as configured.
#[allow(clippy::too_many_arguments)]
fn train_epoch<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    tape: &mut Tape<f32>,
    loader: &mut BatchLoader,
    train: &Dataset,
    config: &FitConfig,
    epoch: usize,
) -> Result<Tally, FitError> {
    let started = Instant::now();
    let bar = progress_bar(config, epoch, train.len());
    let mut tally = Tally::default();
    let mut step = 0;
    while let Some(batch) = loader.next_batch(train) {
        step += 1;
        let rows = batch.labels.len();
        let learning_rate = optimizer.learning_rate();
        match train_step(model, store, optimizer, tape, &batch, config.clip_grad_norm) {
            Ok((loss, correct)) => {
                tally.loss_sum += loss * rows as f64;
                tally.correct += correct;
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
        let cause =
            format!("every one of the epoch's {step} batches had a non-finite loss or gradient");
        return Err(FitError::Diverged(Divergence::new(
            cause,
            Some(epoch),
            step,
            optimizer.learning_rate(),
        )));
    }
    Ok(tally)
}

/// The epoch's line: losses, accuracies, time (and skipped batches, if any).
fn print_epoch(m: &EpochMetrics, epochs: usize) {
    let skipped = match m.skipped_batches {
        0 => String::new(),
        n => format!("  |  {n} non-finite batches skipped"),
    };
    println!(
        "epoch {:>width$}/{}  train loss {:.4}  acc {:.4}  |  val loss {:.4}  acc {:.4}  |  {:.2} s{skipped}",
        m.epoch,
        epochs,
        m.train_loss,
        m.train_accuracy,
        m.val_loss,
        m.val_accuracy,
        m.seconds,
        width = epochs.to_string().len()
    );
}

/// One training step of a classifier, as `fit` runs it: forward, mean softmax cross-entropy,
/// backward, optional gradient clipping by global norm, one optimiser step. Returns the batch's
/// loss and how many of its rows were classified correctly. After the first few steps it
/// allocates nothing (the tape, the tensors and the optimiser reuse their memory).
///
/// A non-finite loss or gradient (checked before the optimiser sees it) skips the optimiser
/// step, discards the gradients and returns `Err` saying which was not finite; with the tape's
/// anomaly detection on, the error is its report.
pub fn train_step<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    tape: &mut Tape<f32>,
    batch: &Batch<'_>,
    clip_grad_norm: Option<f64>,
) -> Result<(f64, usize), String> {
    let (inputs, labels) = (batch.inputs, batch.labels);
    let mut correct = 0;
    let swept = store.try_compute_grads(tape, |p| {
        let logits = model.forward(p, p.tape().constant(inputs.clone()));
        correct = count_correct(&logits.value(), labels);
        softmax_cross_entropy(logits, labels)
    });
    let loss = match swept {
        Ok(loss) => f64::from(loss),
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
    Ok((loss, correct))
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
