//! The flags the classifier examples share (data, epochs, learning rate, outputs, checkpoints)
//! and what they do after training.

use std::path::PathBuf;

use clap::Command;
use train::fit::{FitConfig, History, readable};

use super::{check, finite, path};

/// The flags every training example shares, flattened into its own (`#[command(flatten)]`);
/// [`TrainingFlags::with_defaults`] sets an example's defaults and [`TrainingFlags::check`]
/// checks the values.
///
/// ```
/// use clap::{CommandFactory, Parser};
/// use gallery::cli::{self, TrainingFlags};
///
/// /// A demo.
/// #[derive(Parser)]
/// #[command(name = "demo")]
/// struct Flags {
///     #[command(flatten)]
///     training: TrainingFlags,
/// }
///
/// let command = TrainingFlags::with_defaults(Flags::command(), 5, 32, 1e-3);
/// let argv = ["--epochs", "3"].map(String::from);
/// let flags: Flags = cli::parse_with(command, argv).unwrap().unwrap();
/// assert_eq!((flags.training.epochs, flags.training.batch_size), (3, 32));
/// assert_eq!(flags.training.fit_config().epochs, 3);
/// ```
#[derive(Clone, Debug, clap::Args)]
pub struct TrainingFlags {
    /// Folder with the MNIST IDX files (all four, or the two t10k ones); default: built-in
    /// digits
    #[arg(long, value_name = "DIR", value_parser = path)]
    pub data: Option<PathBuf>,
    /// Passes over the training set (a resumed run counts those before its checkpoint)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub epochs: usize,
    /// Examples per step
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub batch_size: usize,
    /// Learning rate
    #[arg(long, value_name = "RATE", default_value_t = 0.1, value_parser = finite::<f64>)]
    pub lr: f64,
    /// Clip the global gradient norm to NORM
    #[arg(long, value_name = "NORM", value_parser = finite::<f64>)]
    pub clip: Option<f64>,
    /// Seed of every random choice
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Write per-epoch metrics as CSV
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub metrics: Option<PathBuf>,
    /// Save a training checkpoint (safetensors: parameters, optimiser state, metrics) after the
    /// last epoch
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub save: Option<PathBuf>,
    /// Also save the checkpoint every N epochs (0: only at the end)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub save_every: usize,
    /// Continue the run saved in FILE
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub resume: Option<PathBuf>,
    /// Draw the training curves (SVG)
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub plot: Option<PathBuf>,
}

/// The validation accuracy a classifier example requires: far above the 0.1 of guessing one
/// of ten digits, and below what any working configuration reaches in an epoch.
pub const REQUIRED_ACCURACY: f64 = 0.5;

impl TrainingFlags {
    /// `command` (an example's, with these flags flattened in) with an example's defaults for
    /// `--epochs`, `--batch-size` and `--lr`.
    pub fn with_defaults(command: Command, epochs: usize, batch_size: usize, lr: f64) -> Command {
        command
            .mut_arg("epochs", |a| a.default_value(epochs.to_string()))
            .mut_arg("batch_size", |a| a.default_value(batch_size.to_string()))
            .mut_arg("lr", |a| a.default_value(lr.to_string()))
    }

    /// Checks the values: ranges, then the output paths, whose folders are created, and the
    /// checkpoint to resume from, so that a bad path fails before the first epoch.
    pub fn check(&self) -> Result<(), String> {
        if self.epochs == 0 || self.batch_size == 0 {
            return Err("--epochs and --batch-size must be at least 1".into());
        }
        if self.lr <= 0.0 {
            return Err(format!("--lr must be a positive number, got {}", self.lr));
        }
        if let Some(clip) = self.clip.filter(|&c| c <= 0.0) {
            return Err(format!("--clip must be positive, got {clip}"));
        }
        if self.save_every > 0 && self.save.is_none() {
            return Err("--save-every needs --save FILE: where to write the checkpoint".into());
        }
        self.check_paths()
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

    /// What a training example does after [`train::fit()`]: says where the metrics and the
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
