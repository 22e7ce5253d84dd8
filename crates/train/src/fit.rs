//! `fit`: the training loop for any objective, with a progress bar, a line per epoch, a
//! metrics CSV, metrics the user defines, per-epoch callbacks, early stopping, a stop (or a
//! skipped batch) at the first non-finite loss or gradient, and resumable checkpoints.
//!
//! [`fit`] (or the [`Fit`] builder, for metrics and callbacks) trains on any [`Batches`] with
//! any loss written as a closure of the bound parameters and a batch; [`fit_classifier`] is
//! the softmax cross-entropy classifier on a [`Dataset`](crate::Dataset), a few lines on top.

mod classifier;
mod divergence;
mod early_stop;
mod metrics;
mod resume;
mod step;

use std::fmt;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use rand::Rng;
use tape::{Float, Tape, Var};

use crate::data::{BatchLoader, Batches};
use crate::optim::Optimizer;
use crate::params::{ParamStore, Params};

pub use classifier::{evaluate, fit_classifier, train_step};
pub use divergence::Divergence;
pub use divergence::readable;
pub use early_stop::{EarlyStopping, Goal};
pub use metrics::{EpochMetrics, History};
pub use step::checked_step;

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
    /// Stop once a validation metric has stopped improving (see [`EarlyStopping`]).
    pub early_stopping: Option<EarlyStopping>,
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
            early_stopping: None,
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

impl FitError {
    /// The same error, with `advice` in place of the default when training diverged (for a
    /// program whose flags are not `--lr` and `--clip`).
    pub fn advice(self, advice: impl Into<String>) -> Self {
        match self {
            FitError::Diverged(d) => FitError::Diverged(d.advice(advice)),
            other => other,
        }
    }
}

/// What the user measures after each epoch: named numbers (see [`Fit::metrics`]).
type MetricsFn<'a, T> = dyn FnMut(&ParamStore<T>) -> Vec<(String, f64)> + 'a;
/// A per-epoch callback (see [`Fit::on_epoch`]).
type CallbackFn<'a, T> = dyn FnMut(&EpochMetrics, &ParamStore<T>) -> ControlFlow<()> + 'a;

/// A training run being set up: the configuration, the metrics measured after each epoch and
/// the callbacks that see them. [`Fit::run`] trains.
///
/// ```
/// use std::ops::ControlFlow;
/// use rand::{SeedableRng, rngs::StdRng};
/// use tape::Tensor;
/// use train::data::{Supervised, SupervisedBatch};
/// use train::fit::{EarlyStopping, Fit, FitConfig};
/// use train::{ParamStore, Sgd};
///
/// // y = 3x: one weight to learn, in f64.
/// let x = Tensor::<f64>::from_fn([64, 1], |i| i as f64 / 64.0);
/// let data = Supervised::new(x.clone(), x.map(|v| 3.0 * v)).unwrap();
/// let mut store = ParamStore::<f64>::new();
/// let w = store.add("w", Tensor::zeros([1, 1]));
/// let config = FitConfig {
///     epochs: 200,
///     batch_size: 16,
///     progress: false,
///     verbose: false,
///     early_stopping: Some(EarlyStopping::minimize("error", 2).min_delta(1e-9)),
///     ..FitConfig::default()
/// };
/// let mut epochs_seen = 0;
/// let history = Fit::<f64>::new(&config)
///     .metrics(|store| [("error", (store.value(w).item() - 3.0).abs())])
///     .on_epoch(|_, _| {
///         epochs_seen += 1;
///         ControlFlow::Continue(())
///     })
///     .run(&mut store, &mut Sgd::new(0.5), &data, |p, batch: &SupervisedBatch<f64>| {
///         let (x, y) = (p.tape().constant(batch.inputs.clone()), p.tape().constant(batch.targets.clone()));
///         (x.matmul(p[w]) - y).square().mean()
///     }, &mut StdRng::seed_from_u64(0))
///     .unwrap();
/// assert!((store.value(w).item() - 3.0).abs() < 1e-6);
/// assert_eq!(epochs_seen, history.epochs.len());
/// assert!(history.epochs.len() < 200); // stopped once the error stopped shrinking
/// ```
pub struct Fit<'a, T: Float = f32> {
    config: &'a FitConfig,
    metrics: Option<Box<MetricsFn<'a, T>>>,
    callbacks: Vec<Box<CallbackFn<'a, T>>>,
}

impl<'a, T: Float> Fit<'a, T> {
    /// A run configured by `config`, measuring nothing but the training loss.
    pub fn new(config: &'a FitConfig) -> Self {
        Fit {
            config,
            metrics: None,
            callbacks: Vec::new(),
        }
    }

    /// Measures named numbers after each epoch (typically on validation data the closure
    /// holds, with the parameters bound frozen). A name of a standard column
    /// (`train_accuracy`, `val_loss`, `val_accuracy`) fills it; any other adds a column to the
    /// metrics CSV. Early stopping can watch any of them. The time it takes counts in
    /// [`EpochMetrics::seconds`], not in [`EpochMetrics::train_seconds`].
    pub fn metrics<F, I, N>(mut self, mut measure: F) -> Self
    where
        F: FnMut(&ParamStore<T>) -> I + 'a,
        I: IntoIterator<Item = (N, f64)>,
        N: Into<String>,
    {
        self.metrics = Some(Box::new(move |store| {
            let named = measure(store).into_iter();
            named.map(|(name, value)| (name.into(), value)).collect()
        }));
        self
    }

    /// Calls `callback` after each epoch (after the metrics CSV is written), with the epoch's
    /// metrics and the parameters; `ControlFlow::Break(())` ends the run there. Callbacks run
    /// in the order they were added.
    pub fn on_epoch<F>(mut self, callback: F) -> Self
    where
        F: FnMut(&EpochMetrics, &ParamStore<T>) -> ControlFlow<()> + 'a,
    {
        self.callbacks.push(Box::new(callback));
        self
    }

    /// Trains: `epochs` passes over `train` in mini-batches shuffled by `rng`, one optimiser
    /// step per batch on the value of `loss` (a closure of the bound parameters and the
    /// batch, returning a one-element variable); then the metrics and callbacks. Shows a
    /// progress bar with the running loss and throughput, prints one line per epoch, writes
    /// the metrics CSV and the checkpoint when configured, resumes a checkpointed run and
    /// stops early when asked (see [`FitConfig`]).
    ///
    /// Stops at the first non-finite loss or gradient (or skips that batch, see
    /// [`OnNonFinite`]); no checkpoint is written after that, so the last one on disk is
    /// finite.
    pub fn run<D, O, L>(
        mut self,
        store: &mut ParamStore<T>,
        optimizer: &mut O,
        train: &D,
        mut loss: L,
        rng: &mut impl Rng,
    ) -> Result<History, FitError>
    where
        D: Batches,
        O: Optimizer<T>,
        L: for<'t> FnMut(&Params<'t, T>, &D::Batch) -> Var<'t, T>,
    {
        let config = self.config;
        if train.is_empty() {
            return Err(FitError::Data("the training set holds no examples".into()));
        }
        let mut loader = BatchLoader::new(config.batch_size);
        let mut history = match &config.resume {
            Some(path) => resume::restore(
                path,
                store,
                optimizer,
                &mut loader,
                train.len(),
                config,
                rng,
            )?,
            None => History::default(),
        };
        let rule = config.early_stopping.clone();
        let mut watch = rule.map(|rule| early_stop::Watch::new(rule, &history));
        let mut batch = D::Batch::default();
        let mut tape = Tape::new();
        for epoch in history.epochs.len() + 1..=config.epochs {
            if watch.as_ref().is_some_and(|w| w.exhausted(epoch - 1)) {
                break; // a resumed run that had already stopped
            }
            let started = Instant::now();
            loader.shuffle(train.len(), rng);
            let mut epoch_run = step::Epoch {
                store,
                optimizer,
                tape: &mut tape,
                loader: &mut loader,
                config,
                epoch,
            };
            let tally = epoch_run.train(train, &mut batch, &mut loss)?;
            let mut metrics = EpochMetrics::new(epoch);
            metrics.train_seconds = started.elapsed().as_secs_f64();
            metrics.train_loss = tally.loss_sum / tally.seen.max(1) as f64;
            metrics.learning_rate = optimizer.learning_rate();
            metrics.skipped_batches = tally.skipped;
            if let Some(measure) = &mut self.metrics {
                for (name, value) in measure(store) {
                    metrics.set(&name, value);
                }
            }
            metrics.seconds = started.elapsed().as_secs_f64();
            let stop = self.end_epoch(metrics, &mut history, watch.as_mut(), store)?;
            let due = config.save_every > 0 && epoch.is_multiple_of(config.save_every);
            let last = epoch == config.epochs || stop;
            if let Some(path) = config.checkpoint.as_ref().filter(|_| due || last) {
                resume::save(path, store, optimizer, &loader, train.len(), &history)?;
            }
            if stop {
                break;
            }
        }
        if let Some(best) = watch.and_then(|w| w.restore(store))
            && config.verbose
        {
            println!("restored the parameters of epoch {best}, the best");
        }
        Ok(history)
    }

    /// Reports an epoch (line, CSV, callbacks, early stopping); whether to stop.
    fn end_epoch(
        &mut self,
        metrics: EpochMetrics,
        history: &mut History,
        watch: Option<&mut early_stop::Watch<T>>,
        store: &ParamStore<T>,
    ) -> Result<bool, FitError> {
        let config = self.config;
        if config.verbose {
            step::print_epoch(&metrics, config.epochs);
        }
        let epoch = metrics.epoch;
        history.epochs.push(metrics);
        let metrics = history.epochs.last().expect("just pushed");
        if let Some(path) = &config.metrics_csv {
            history
                .write_csv(path)
                .map_err(|e| FitError::Output(e.to_string()))?;
        }
        let mut stop = false;
        for callback in &mut self.callbacks {
            stop |= callback(metrics, store).is_break();
        }
        if let Some(watch) = watch {
            watch.observe(metrics, store).map_err(FitError::Data)?;
            if watch.exhausted(epoch) && epoch < config.epochs {
                if config.verbose {
                    println!("{}", watch.verdict(epoch));
                }
                stop = true;
            }
        }
        Ok(stop)
    }
}

/// Trains with `loss` on `train`, configured by `config`: [`Fit::run`] with no metrics or
/// callbacks (see [`Fit`] for those).
pub fn fit<T, D, O, L>(
    store: &mut ParamStore<T>,
    optimizer: &mut O,
    train: &D,
    loss: L,
    config: &FitConfig,
    rng: &mut impl Rng,
) -> Result<History, FitError>
where
    T: Float,
    D: Batches,
    O: Optimizer<T>,
    L: for<'t> FnMut(&Params<'t, T>, &D::Batch) -> Var<'t, T>,
{
    Fit::new(config).run(store, optimizer, train, loss, rng)
}
