//! Flag values are checked when they are read, before any work: numbers must be finite, output
//! paths must name a file in a writable folder (created if missing), `--resume` must exist.

use std::path::Path;

use train::cli::{Args, REQUIRED_ACCURACY, TrainingFlags};
use train::{EpochMetrics, History};

mod common;

fn args(argv: &[&str]) -> Args {
    Args::parse("demo", "A demo.", argv.iter().map(|s| s.to_string()))
}

fn parse(argv: &[&str]) -> Result<TrainingFlags, String> {
    TrainingFlags::parse(&mut args(argv), 10, 64, 0.1)
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
    let mut a = args(&["--lambda", "-inf"]);
    let err = a.value("--lambda", "W", 0.1f32, "weight").unwrap_err();
    assert_eq!(err, "--lambda expects a finite number, got '-inf'");
    assert_eq!(
        parse(&["--clip", "0"]).unwrap_err(),
        "--clip must be positive, got 0"
    );
}

#[test]
fn output_files_are_checked_and_their_folders_created() {
    let dir = common::scratch("flags", "outputs");
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
    let dir = common::scratch("flags", "checkpoints");
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
fn the_output_folder_is_checked_unless_help_is_asked() {
    let dir = common::scratch("flags", "out");
    let default = dir.join("default-out");
    let mut a = args(&["--out", ""]);
    assert_eq!(
        a.out_dir(&default).unwrap_err(),
        "--out needs a folder name, got an empty one"
    );
    let file = dir.join("file");
    std::fs::write(&file, b"x").unwrap();
    let mut a = args(&["--out", s(&file)]);
    let err = a.out_dir(&default).unwrap_err();
    assert_eq!(err, format!("--out {}: is a file, not a folder", s(&file)));
    let mut a = args(&[]);
    assert_eq!(a.out_dir(&default).unwrap(), default);
    assert!(default.is_dir(), "created");
    let mut a = args(&["--out", "", "--help"]);
    assert!(a.out_dir(&default).is_ok(), "--help checks nothing");
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
