//! What a run measured: one line of metrics per epoch, as a table and as CSV (written after
//! every epoch, and kept in training checkpoints so a resumed run continues it).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

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
             train_seconds,skipped_batches\n",
        );
        for m in &self.epochs {
            let _ = writeln!(
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
        match lines.next() {
            None => return Ok(History::default()),
            Some(header) if header.starts_with("epoch,train_loss,") => {}
            Some(header) => return Err(format!("unexpected CSV header {header:?}")),
        }
        let epochs = lines
            .enumerate()
            .map(|(i, line)| {
                let f: Vec<&str> = line.split(',').collect();
                let bad = || format!("line {}: {line:?} is not 9 numbers", i + 2);
                if f.len() != 9 {
                    return Err(bad());
                }
                let x = |k: usize| f[k].parse::<f64>().map_err(|_| bad());
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
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(History { epochs })
    }
}
