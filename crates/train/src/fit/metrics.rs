//! What a run measured: one line of metrics per epoch, as a table and as CSV (written after
//! every epoch, and kept in training checkpoints so a resumed run continues it).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::Goal;

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
    /// Batches skipped for a non-finite loss or gradient (see
    /// [`OnNonFinite::SkipBatch`](crate::fit::OnNonFinite::SkipBatch)).
    pub skipped_batches: usize,
    /// The other metrics the run's [`Fit::metrics`](crate::fit::Fit::metrics) measured, by
    /// name, in the order it returned them: one more CSV column each.
    pub extra: Vec<(String, f64)>,
}

/// The columns every metrics CSV starts with, in order.
const COLUMNS: [&str; 9] = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "seconds",
    "train_seconds",
    "skipped_batches",
];

impl EpochMetrics {
    /// The metrics of `epoch` with every measurement NaN (or zero) until set.
    pub fn new(epoch: usize) -> Self {
        EpochMetrics {
            epoch,
            train_loss: f64::NAN,
            train_accuracy: f64::NAN,
            val_loss: f64::NAN,
            val_accuracy: f64::NAN,
            learning_rate: f64::NAN,
            seconds: 0.0,
            train_seconds: 0.0,
            skipped_batches: 0,
            extra: Vec::new(),
        }
    }

    /// The value of the metric called `name`: a standard column by its CSV name
    /// (`"val_loss"`, `"train_accuracy"`, ...) or one of [`EpochMetrics::extra`].
    pub fn metric(&self, name: &str) -> Option<f64> {
        match name {
            "epoch" => Some(self.epoch as f64),
            "train_loss" => Some(self.train_loss),
            "train_accuracy" => Some(self.train_accuracy),
            "val_loss" => Some(self.val_loss),
            "val_accuracy" => Some(self.val_accuracy),
            "learning_rate" => Some(self.learning_rate),
            "seconds" => Some(self.seconds),
            "train_seconds" => Some(self.train_seconds),
            "skipped_batches" => Some(self.skipped_batches as f64),
            _ => self.extra.iter().find(|(n, _)| n == name).map(|&(_, v)| v),
        }
    }

    /// Records a measured metric: `train_accuracy`, `val_loss` and `val_accuracy` fill their
    /// standard columns (so reports and plots of classifiers read them whatever the loss),
    /// any other name is added to (or replaced in) [`EpochMetrics::extra`].
    pub fn set(&mut self, name: &str, value: f64) {
        match name {
            "train_accuracy" => self.train_accuracy = value,
            "val_loss" => self.val_loss = value,
            "val_accuracy" => self.val_accuracy = value,
            _ => match self.extra.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => self.extra.push((name.to_string(), value)),
            },
        }
    }
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

    /// The best epoch by `metric` (the first of equals; NaN never counts), if any epoch
    /// measured it.
    pub fn best(&self, metric: &str, goal: Goal) -> Option<&EpochMetrics> {
        let mut best: Option<(&EpochMetrics, f64)> = None;
        for m in &self.epochs {
            let Some(v) = m.metric(metric).filter(|v| !v.is_nan()) else {
                continue;
            };
            if best.is_none_or(|(_, b)| goal.better(v, b, 0.0)) {
                best = Some((m, v));
            }
        }
        best.map(|(m, _)| m)
    }

    /// The metrics as CSV: a header line, then one line per epoch. The standard columns come
    /// first, then one per [`EpochMetrics::extra`] metric (named by the first epoch).
    pub fn to_csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        let extra = self.epochs.first().map_or(&[][..], |m| &m.extra[..]);
        for (name, _) in extra {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for m in &self.epochs {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{:.3},{:.3},{}",
                m.epoch,
                m.train_loss,
                m.train_accuracy,
                m.val_loss,
                m.val_accuracy,
                m.learning_rate,
                m.seconds,
                m.train_seconds,
                m.skipped_batches
            );
            for (name, _) in extra {
                let _ = write!(out, ",{}", m.metric(name).unwrap_or(f64::NAN));
            }
            out.push('\n');
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

impl History {
    /// Parses [`History::to_csv`] back (the numbers round-trip exactly, but for the seconds,
    /// written to the millisecond).
    pub fn from_csv(csv: &str) -> Result<History, String> {
        let mut lines = csv.lines();
        let header: Vec<&str> = match lines.next() {
            None => return Ok(History::default()),
            Some(header) => header.split(',').collect(),
        };
        if header.len() < COLUMNS.len() || header[..COLUMNS.len()] != COLUMNS {
            return Err(format!(
                "unexpected CSV header {:?}: it should start with {}",
                header.join(","),
                COLUMNS.join(",")
            ));
        }
        let epochs = lines
            .enumerate()
            .map(|(i, line)| {
                let f: Vec<&str> = line.split(',').collect();
                let bad = || format!("line {}: {line:?} is not {} numbers", i + 2, header.len());
                if f.len() != header.len() {
                    return Err(bad());
                }
                let x = |k: usize| f[k].parse::<f64>().map_err(|_| bad());
                let extra = (COLUMNS.len()..f.len())
                    .map(|k| Ok((header[k].to_string(), x(k)?)))
                    .collect::<Result<_, String>>()?;
                Ok(EpochMetrics {
                    epoch: f[0].parse().map_err(|_| bad())?,
                    train_loss: x(1)?,
                    train_accuracy: x(2)?,
                    val_loss: x(3)?,
                    val_accuracy: x(4)?,
                    learning_rate: x(5)?,
                    seconds: x(6)?,
                    train_seconds: x(7)?,
                    skipped_batches: f[8].parse().map_err(|_| bad())?,
                    extra,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(History { epochs })
    }
}
