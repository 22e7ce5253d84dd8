//! `fit`: the training loop for classifiers, with a progress bar, a line per epoch and a
//! metrics CSV.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use tape::Tape;

use crate::data::{Batch, BatchLoader, Dataset};
use crate::layers::Module;
use crate::loss::{count_correct, softmax_cross_entropy};
use crate::optim::Optimizer;
use crate::params::ParamStore;

/// How [`fit`] trains.
#[derive(Clone, Debug)]
pub struct FitConfig {
    /// Passes over the training set.
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
        }
    }
}

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Training accuracy over the epoch (measured while the weights changed).
    pub train_accuracy: f64,
    /// Mean loss on the validation set after the epoch (NaN without validation data).
    pub val_loss: f64,
    /// Accuracy on the validation set after the epoch (NaN without validation data).
    pub val_accuracy: f64,
    /// The learning rate of the epoch's last step.
    pub learning_rate: f64,
    /// Wall-clock seconds for the epoch, validation included.
    pub seconds: f64,
    /// Wall-clock seconds of the epoch's training alone (shuffling, batches, optimiser
    /// steps): the figure to set beside another engine's timed training loop.
    pub train_seconds: f64,
}

/// The metrics of every epoch of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// One entry per epoch, in order.
    pub epochs: Vec<EpochMetrics>,
}

impl History {
    /// The last epoch's metrics, if any epoch ran.
    pub fn last(&self) -> Option<&EpochMetrics> {
        self.epochs.last()
    }

    /// Seconds spent training over all epochs, validation passes excluded.
    pub fn train_seconds(&self) -> f64 {
        self.epochs.iter().map(|m| m.train_seconds).sum()
    }

    /// The metrics as CSV: a header line, then one line per epoch.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,\
             train_seconds\n",
        );
        for m in &self.epochs {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{:.3},{:.3}",
                m.epoch,
                m.train_loss,
                m.train_accuracy,
                m.val_loss,
                m.val_accuracy,
                m.learning_rate,
                m.seconds,
                m.train_seconds
            );
        }
        out
    }

    /// Writes [`History::to_csv`] to `path`; the error names the file.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        let annotate = |e: std::io::Error| {
            std::io::Error::new(
                e.kind(),
                format!("{}: cannot write metrics: {e}", path.display()),
            )
        };
        let mut file = std::fs::File::create(path).map_err(annotate)?;
        file.write_all(self.to_csv().as_bytes()).map_err(annotate)
    }
}

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
/// prints one line per epoch and writes the metrics CSV when configured.
///
/// The only error is a metrics file that cannot be written.
pub fn fit<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    train: &Dataset,
    validation: &Dataset,
    config: &FitConfig,
    rng: &mut impl Rng,
) -> std::io::Result<History> {
    let mut history = History::default();
    let mut tape = Tape::new();
    let mut loader = BatchLoader::new(config.batch_size);
    for epoch in 1..=config.epochs {
        let started = Instant::now();
        let bar = progress_bar(config, epoch, train.len());
        loader.shuffle(train.len(), rng);
        let (mut loss_sum, mut correct, mut seen, mut steps) = (0.0, 0, 0, 0);
        while let Some(batch) = loader.next_batch(train) {
            let rows = batch.labels.len();
            let (loss, batch_correct) = train_step(
                model,
                store,
                optimizer,
                &mut tape,
                &batch,
                config.clip_grad_norm,
            );
            loss_sum += loss * rows as f64;
            correct += batch_correct;
            seen += rows;
            steps += 1;
            bar.inc(rows as u64);
            // Formatting the message allocates; a few updates a second are plenty.
            if steps % 25 == 0 && !bar.is_hidden() {
                let rate = seen as f64 / started.elapsed().as_secs_f64().max(1e-9);
                bar.set_message(format!(
                    "loss {:.4}  {rate:.0} samples/s",
                    loss_sum / seen as f64
                ));
            }
        }
        bar.finish_and_clear();
        let train_seconds = started.elapsed().as_secs_f64();
        let (val_loss, val_accuracy) =
            evaluate(model, store, validation, config.batch_size.max(256));
        let metrics = EpochMetrics {
            epoch,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            val_loss,
            val_accuracy,
            learning_rate: optimizer.learning_rate(),
            seconds: started.elapsed().as_secs_f64(),
            train_seconds,
        };
        if config.verbose {
            println!(
                "epoch {:>width$}/{}  train loss {:.4}  acc {:.4}  |  val loss {:.4}  acc {:.4}  |  {:.2} s",
                epoch,
                config.epochs,
                metrics.train_loss,
                metrics.train_accuracy,
                metrics.val_loss,
                metrics.val_accuracy,
                metrics.seconds,
                width = config.epochs.to_string().len()
            );
        }
        history.epochs.push(metrics);
        if let Some(path) = &config.metrics_csv {
            history.write_csv(path)?;
        }
    }
    Ok(history)
}

/// One training step of a classifier, as `fit` runs it: forward, mean softmax cross-entropy,
/// backward, optional gradient clipping by global norm, one optimiser step. Returns the batch's
/// loss and how many of its rows were classified correctly. After the first few steps it
/// allocates nothing (the tape, the tensors and the optimiser reuse their memory).
pub fn train_step<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    tape: &mut Tape<f32>,
    batch: &Batch<'_>,
    clip_grad_norm: Option<f64>,
) -> (f64, usize) {
    let (inputs, labels) = (batch.inputs, batch.labels);
    let mut correct = 0;
    let loss = store.compute_grads(tape, |p| {
        let logits = model.forward(p, p.tape().constant(inputs.clone()));
        correct = count_correct(&logits.value(), labels);
        softmax_cross_entropy(logits, labels)
    });
    if let Some(max_norm) = clip_grad_norm {
        store.clip_grad_norm(max_norm);
    }
    optimizer.step(store);
    (f64::from(loss), correct)
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
