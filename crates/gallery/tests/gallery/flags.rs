//! Flag values are checked when they are read, before any work: numbers must be finite, output
//! paths must name a file in a writable folder (created if missing), `--resume` must exist.

use std::path::Path;

use clap::{CommandFactory, Parser};
use gallery::cli::{self, REQUIRED_ACCURACY, TrainingFlags, check};
use train::{EpochMetrics, History};

/// A training example's flags: the shared ones and one of its own.
#[derive(Parser, Debug)]
#[command(name = "demo", about = "A demo.")]
struct Flags {
    #[command(flatten)]
    training: TrainingFlags,
    /// Weight of a term
    #[arg(long, value_name = "W", default_value_t = 0.1, value_parser = cli::finite::<f32>)]
    lambda: f32,
}

/// The flags in `argv` with the defaults of a demo (10 epochs, batches of 64, rate 0.1),
/// checked; `None` after --help.
fn parse_all(argv: &[&str]) -> Result<Option<Flags>, String> {
    let command = TrainingFlags::with_defaults(Flags::command(), 10, 64, 0.1);
    let flags: Option<Flags> = cli::parse_with(command, argv.iter().map(|s| s.to_string()))?;
    if let Some(f) = &flags {
        f.training.check()?;
    }
    Ok(flags)
}

fn parse(argv: &[&str]) -> Result<TrainingFlags, String> {
    Ok(parse_all(argv)?.expect("no --help").training)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn numbers_must_be_finite() {
    for (flag, value) in [
        ("--lr", "nan"),
        ("--lr", "inf"),
        ("--clip", "NaN"),
        ("--lr", "1e999"),
    ] {
        let err = parse(&[flag, value]).unwrap_err();
        assert_eq!(
            err,
            format!("{flag} expects a finite number, got '{value}'")
        );
    }
    let err = parse(&["--lambda", "-inf"]).unwrap_err();
    assert_eq!(err, "--lambda expects a finite number, got '-inf'");
    assert_eq!(
        parse(&["--clip", "0"]).unwrap_err(),
        "--clip must be positive, got 0"
    );
}

#[test]
fn output_files_are_checked_and_their_folders_created() {
    let dir = crate::common::scratch("flags", "outputs");
    // A folder where a file is wanted says so, and suggests a name.
    let err = parse(&["--save", &format!("{}/", s(&dir))]).unwrap_err();
    assert_eq!(
        err,
        format!(
            "--save {}/: is a folder; give a file name, such as {}",
            s(&dir),
            s(&dir.join("model.safetensors"))
        )
    );
    let err = parse(&["--plot", s(&dir)]).unwrap_err();
    assert!(
        err.starts_with(&format!("--plot {}: is a folder", s(&dir))),
        "{err}"
    );
    // A folder that cannot be created: its parent is a file.
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let inside = file.join("sub/m.safetensors");
    let err = parse(&["--save", s(&inside)]).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "--save {}: cannot create the folder {}: ",
            s(&inside),
            s(&file.join("sub"))
        )),
        "{err}"
    );
    // A folder that exists but takes no files (even for root: /proc on Linux).
    if cfg!(target_os = "linux") {
        let err = parse(&["--plot", "/proc/curves.svg"]).unwrap_err();
        assert!(
            err.starts_with("--plot /proc/curves.svg: cannot write in the folder /proc: "),
            "{err}"
        );
    }
    let err = parse(&["--metrics", ""]).unwrap_err();
    assert_eq!(err, "--metrics needs a file name, got an empty one");
    // A missing folder is created before training.
    let new = dir.join("new/deeper/curves.svg");
    let flags = parse(&["--plot", s(&new), "--save", s(&dir.join("m.safetensors"))]).unwrap();
    assert!(dir.join("new/deeper").is_dir());
    assert_eq!(flags.plot.as_deref(), Some(new.as_path()));
    assert_eq!(
        listing(&dir.join("new/deeper")),
        Vec::<String>::new(),
        "the probe is removed"
    );
}

fn listing(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn checkpoint_flags_are_consistent() {
    let dir = crate::common::scratch("flags", "checkpoints");
    assert_eq!(
        parse(&["--save-every", "2"]).unwrap_err(),
        "--save-every needs --save FILE: where to write the checkpoint"
    );
    let missing = dir.join("nope.safetensors");
    let err = parse(&["--resume", s(&missing)]).unwrap_err();
    assert!(
        err.starts_with(&format!("--resume {}: ", s(&missing))),
        "{err}"
    );
    let err = parse(&["--resume", s(&dir)]).unwrap_err();
    assert_eq!(
        err,
        format!("--resume {}: is a folder, not a file", s(&dir))
    );
    let save = dir.join("run.safetensors");
    let flags = parse(&["--save", s(&save), "--save-every", "3", "--clip", "1.5"]).unwrap();
    let config = flags.fit_config();
    assert_eq!(config.checkpoint.as_deref(), Some(save.as_path()));
    assert_eq!((config.save_every, config.clip_grad_norm), (3, Some(1.5)));
}

#[test]
fn the_output_folder_is_checked() {
    let dir = crate::common::scratch("flags", "out");
    assert_eq!(
        check::output_dir("--out", Path::new("")).unwrap_err(),
        "--out needs a folder name, got an empty one"
    );
    let file = dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = check::output_dir("--out", &file).unwrap_err();
    assert_eq!(err, format!("--out {}: is a file, not a folder", s(&file)));
    let new = dir.join("new-out");
    check::output_dir("--out", &new).unwrap();
    assert!(new.is_dir(), "created");
}

#[test]
fn flags_parse_with_defaults() {
    let flags = parse(&[
        "--epochs", "3", "--lr=0.5", "--data", "some/dir", "--seed", "7",
    ])
    .unwrap();
    assert_eq!(flags.epochs, 3);
    assert_eq!(flags.batch_size, 64);
    assert_eq!(flags.lr, 0.5);
    assert_eq!(flags.seed, 7);
    assert_eq!(flags.data.as_deref(), Some(Path::new("some/dir")));
    assert!(flags.metrics.is_none() && flags.save.is_none() && flags.plot.is_none());
    // Another example's defaults.
    let command = TrainingFlags::with_defaults(Flags::command(), 2, 16, 1e-3);
    let other: Flags = cli::parse_with(command, Vec::new()).unwrap().unwrap();
    let t = &other.training;
    assert_eq!((t.epochs, t.batch_size, t.lr), (2, 16, 1e-3));
}

#[test]
fn bad_flags_are_explained() {
    assert_eq!(
        parse(&["--epochs", "ten"]).unwrap_err(),
        "--epochs expects N, got 'ten' (invalid digit found in string)"
    );
    assert_eq!(
        parse(&["--epoch", "3"]).unwrap_err(),
        "unknown flag --epoch (did you mean --epochs?); see --help"
    );
    assert_eq!(
        parse(&["--lr"]).unwrap_err(),
        "--lr needs a value: --lr <RATE>"
    );
    assert_eq!(
        parse(&["--lr", "-1"]).unwrap_err(),
        "--lr must be a positive number, got -1"
    );
    let err = parse(&["--seed", "1", "--seed", "2"]).unwrap_err();
    assert!(
        err.contains("'--seed <N>' cannot be used multiple times"),
        "{err}"
    );
    let err = parse(&["stray"]).unwrap_err();
    assert_eq!(
        err,
        "unexpected argument 'stray' (flags look like --epochs 5; see --help)"
    );
}

#[test]
fn help_lists_every_flag_with_its_default_and_runs_nothing() {
    let mut command = TrainingFlags::with_defaults(Flags::command(), 10, 64, 0.1);
    let help = command.render_help().to_string();
    for flag in [
        "--data <DIR>",
        "--epochs <N>",
        "--batch-size <N>",
        "--lr <RATE>",
        "--seed <N>",
        "--metrics <FILE>",
        "--save <FILE>",
        "--plot <FILE>",
        "--lambda <W>",
        "--help",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(help.contains("[default: 64]"), "{help}");
    assert!(
        parse_all(&["--help"]).unwrap().is_none(),
        "help means: do not run"
    );
}

#[test]
fn training_curves_are_drawn() {
    let dir = crate::common::scratch("flags", "curves");
    let svg = dir.join("curves.svg");
    gallery::plot::training_curves(&history(&[2.3, 1.0, 0.5, 0.4], 0.9), &svg).unwrap();
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg"),
        "{}",
        &picture[..40.min(picture.len())]
    );
    assert!(picture.contains("validation accuracy"));
    assert!(picture.matches("<polyline").count() >= 4, "four curves");
}

fn history(losses: &[f64], accuracy: f64) -> History {
    History {
        epochs: losses
            .iter()
            .enumerate()
            .map(|(i, &train_loss)| EpochMetrics {
                epoch: i + 1,
                train_loss,
                train_accuracy: accuracy,
                val_loss: train_loss,
                val_accuracy: accuracy,
                learning_rate: 100.0,
                seconds: 0.1,
                train_seconds: 0.1,
                skipped_batches: 0,
                extra: Vec::new(),
            })
            .collect(),
    }
}

#[test]
fn a_classifier_below_the_required_accuracy_is_an_error() {
    let flags = parse(&["--lr", "100"]).unwrap();
    let err = flags
        .report(&history(&[2.3, 9.6e5, 2.39e6], 0.09))
        .unwrap_err();
    assert_eq!(
        err,
        format!(
            "validation accuracy 0.090 is below the {REQUIRED_ACCURACY} required (a guess \
             scores 0.1); the training loss went from 2.3 (epoch 1) to 2.39e6 (epoch 3): the \
             training failed; try a lower --lr (now 100) or --clip 1"
        )
    );
    assert!(flags.report(&history(&[0.5, 0.2], 0.93)).is_ok());
}
