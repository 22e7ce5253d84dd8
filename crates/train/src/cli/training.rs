//! The flags the classifier examples share (data, epochs, learning rate, outputs, checkpoints)
//! and what they do after training.

use super::{Args, check};
use crate::fit::{FitConfig, History, readable};

/// The flags every training example shares, read with [`TrainingFlags::parse`].
#[derive(Clone, Debug)]
pub struct TrainingFlags {
    /// `--data DIR`: a folder of MNIST IDX files; `None` means the built-in data.
    pub data: Option<std::path::PathBuf>,
    /// `--epochs N`: epochs in all (a resumed run counts those before its checkpoint).
    pub epochs: usize,
    /// `--batch-size N`.
    pub batch_size: usize,
    /// `--lr RATE`.
    pub lr: f64,
    /// `--clip NORM`: clip the global gradient norm to this.
    pub clip: Option<f64>,
    /// `--seed N`: seeds the one generator behind every random choice.
    pub seed: u64,
    /// `--metrics FILE`: per-epoch metrics as CSV.
    pub metrics: Option<std::path::PathBuf>,
    /// `--save FILE`: a training checkpoint (parameters, optimiser state, metrics) after the
    /// last epoch, and every `--save-every` epochs.
    pub save: Option<std::path::PathBuf>,
    /// `--save-every N`: also save the checkpoint after every N epochs (0: only at the end).
    pub save_every: usize,
    /// `--resume FILE`: continue the run saved in this checkpoint.
    pub resume: Option<std::path::PathBuf>,
    /// `--plot FILE`: training curves as SVG.
    pub plot: Option<std::path::PathBuf>,
}

/// The validation accuracy a classifier example requires: far above the 0.1 of guessing one
/// of ten digits, and below what any working configuration reaches in an epoch.
pub const REQUIRED_ACCURACY: f64 = 0.5;

impl TrainingFlags {
    /// Reads the shared flags from `args`, with the given defaults, and checks them: ranges,
    /// and (unless `--help` was given) the output paths, whose folders are created, and the
    /// checkpoint to resume from, so that a bad path fails before the first epoch.
    pub fn parse(
        args: &mut Args,
        epochs: usize,
        batch_size: usize,
        lr: f64,
    ) -> Result<Self, String> {
        let flags = TrainingFlags {
            data: args.optional(
                "--data",
                "DIR",
                "folder with the MNIST IDX files (all four, or the two t10k ones); default: \
                 built-in digits",
            )?,
            epochs: args.value("--epochs", "N", epochs, "passes over the training set")?,
            batch_size: args.value("--batch-size", "N", batch_size, "examples per step")?,
            lr: args.value("--lr", "RATE", lr, "learning rate")?,
            clip: args.optional("--clip", "NORM", "clip the gradient norm to NORM")?,
            seed: args.value("--seed", "N", 0, "seed of every random choice")?,
            metrics: args.optional("--metrics", "FILE", "write per-epoch metrics as CSV")?,
            save: args.optional(
                "--save",
                "FILE",
                "save a training checkpoint (safetensors: parameters and optimiser state)",
            )?,
            save_every: args.value(
                "--save-every",
                "N",
                0,
                "also save the checkpoint every N epochs (0: only at the end)",
            )?,
            resume: args.optional("--resume", "FILE", "continue the run saved in FILE")?,
            plot: args.optional("--plot", "FILE", "draw the training curves (SVG)")?,
        };
        if flags.epochs == 0 || flags.batch_size == 0 {
            return Err("--epochs and --batch-size must be at least 1".into());
        }
        if flags.lr <= 0.0 {
            return Err(format!("--lr must be a positive number, got {}", flags.lr));
        }
        if flags.clip.is_some_and(|c| c <= 0.0) {
            return Err(format!(
                "--clip must be positive, got {}",
                flags.clip.unwrap_or(0.0)
            ));
        }
        if flags.save_every > 0 && flags.save.is_none() {
            return Err("--save-every needs --save FILE: where to write the checkpoint".into());
        }
        if !args.help_requested() {
            flags.check_paths()?;
        }
        Ok(flags)
    }

    /// The output paths' folders exist (created) and are writable; the checkpoint to resume
    /// from exists.
    fn check_paths(&self) -> Result<(), String> {
        let outputs = [
            ("--save", &self.save, "model.safetensors"),
            ("--plot", &self.plot, "curves.svg"),
            ("--metrics", &self.metrics, "metrics.csv"),
        ];
        for (flag, path, example) in outputs {
            if let Some(path) = path {
                check::output_file(flag, path, example)?;
            }
        }
        match &self.resume {
            Some(path) => check::input_file("--resume", path),
            None => Ok(()),
        }
    }

    /// The [`FitConfig`] these flags ask for (epochs, batch size, clipping, metrics file,
    /// checkpoint, resume), the rest default.
    pub fn fit_config(&self) -> FitConfig {
        FitConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            clip_grad_norm: self.clip,
            metrics_csv: self.metrics.clone(),
            checkpoint: self.save.clone(),
            save_every: self.save_every,
            resume: self.resume.clone(),
            ..FitConfig::default()
        }
    }

    /// What a training example does after [`crate::fit`]: says where the metrics and the
    /// checkpoint went, draws the curves (`--plot`) when asked, then prints the last
    /// validation accuracy and the training time (validation passes excluded) as
    /// `validation accuracy: A` and `training time: S s`, the lines `benches/compare/run.sh`
    /// reads. Errors name the file that could not be written, or say that the accuracy
    /// missed [`REQUIRED_ACCURACY`].
    pub fn report(&self, history: &History) -> Result<(), String> {
        if let Some(path) = &self.metrics {
            println!("wrote per-epoch metrics to {}", path.display());
        }
        if let Some(path) = &self.save {
            println!("saved the training checkpoint to {}", path.display());
        }
        if let Some(path) = &self.plot {
            crate::plot::training_curves(history, path)?;
            println!("drew the training curves in {}", path.display());
        }
        let accuracy = history.last().map_or(f64::NAN, |m| m.val_accuracy);
        println!("validation accuracy: {accuracy:.3}");
        println!("training time: {:.3} s", history.train_seconds());
        if accuracy >= REQUIRED_ACCURACY {
            return Ok(());
        }
        let losses = history.epochs.first().zip(history.last());
        let trend = losses.map_or(String::new(), |(first, last)| {
            format!(
                "; the training loss went from {} (epoch 1) to {} (epoch {})",
                readable(first.train_loss),
                readable(last.train_loss),
                last.epoch
            )
        });
        Err(format!(
            "validation accuracy {accuracy:.3} is below the {REQUIRED_ACCURACY} required (a \
             guess scores 0.1){trend}: the training failed; try a lower --lr (now {}) or \
             --clip 1",
            readable(self.lr)
        ))
    }
}
