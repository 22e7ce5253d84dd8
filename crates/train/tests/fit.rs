//! The training loop, its metrics CSV and plot, and the examples' flag parser.

use approx::assert_abs_diff_eq;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tape;
use train::cli::{Args, TrainingFlags};
use train::synth::GaussianMixture;
use train::{
    Activation, Adam, FitConfig, Mlp, Module, ParamStore, evaluate, fit_classifier, plot,
    softmax_cross_entropy,
};

mod common;

fn scratch(name: &str) -> common::Scratch {
    common::scratch("fit", name)
}

#[test]
fn fit_learns_blobs_and_writes_metrics_and_curves() {
    let dir = scratch("blobs");
    let csv = dir.join("metrics.csv");
    let svg = dir.join("curves.svg");
    let mut rng = StdRng::seed_from_u64(0);
    let blobs = GaussianMixture::ring(4, 3.0, 0.5);
    let train = blobs.sample(800, &mut rng);
    let validation = blobs.sample(200, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "mlp", &[2, 16, 4], Activation::Relu, &mut rng);
    let mut opt = Adam::new(0.01);
    let config = FitConfig {
        epochs: 4,
        batch_size: 32,
        clip_grad_norm: Some(5.0),
        progress: false,
        verbose: false,
        metrics_csv: Some(csv.clone()),
        ..FitConfig::default()
    };
    let (loss_before, _) = evaluate(&model, &store, &validation, 64);
    let history = fit_classifier(
        &model,
        &mut store,
        &mut opt,
        &train,
        &validation,
        &config,
        &mut rng,
    )
    .unwrap();
    assert_eq!(history.epochs.len(), 4);
    let last = history.last().unwrap();
    assert!(last.val_accuracy > 0.95, "{last:?}");
    assert!(
        last.val_loss < loss_before / 3.0,
        "{} vs {loss_before}",
        last.val_loss
    );
    assert!(history.epochs[0].train_loss > last.train_loss);
    assert_eq!(last.learning_rate, 0.01);
    // Training time excludes the validation pass that the epoch's time includes.
    for m in &history.epochs {
        assert!(
            0.0 < m.train_seconds && m.train_seconds <= m.seconds,
            "{m:?}"
        );
    }
    let total: f64 = history.epochs.iter().map(|m| m.train_seconds).sum();
    assert_eq!(history.train_seconds(), total);
    // evaluate agrees with the last epoch's validation metrics.
    let (loss, accuracy) = evaluate(&model, &store, &validation, 17);
    assert_abs_diff_eq!(loss, last.val_loss, epsilon = 1e-5);
    assert_eq!(accuracy, last.val_accuracy);

    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,train_seconds,\
         skipped_batches"
    );
    assert_eq!(lines.len(), 5);
    let fields: Vec<f64> = lines[4].split(',').map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields[0], 4.0);
    assert_abs_diff_eq!(fields[3], last.val_loss, epsilon = 1e-12);
    assert_eq!(fields[4], last.val_accuracy);
    assert_abs_diff_eq!(fields[7], last.train_seconds, epsilon = 5e-4);

    plot::training_curves(&history, &svg).unwrap();
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<svg"),
        "{}",
        &picture[..40.min(picture.len())]
    );
    assert!(picture.contains("validation accuracy"));
    assert!(picture.matches("<polyline").count() >= 4, "four curves");
}

#[test]
fn evaluate_is_the_mean_loss_and_accuracy() {
    let mut rng = StdRng::seed_from_u64(1);
    let data = GaussianMixture::ring(3, 1.0, 0.5).sample(10, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "m", &[2, 3], Activation::Relu, &mut rng);
    let tape = Tape::new();
    let params = store.bind(&tape);
    let logits = model.forward(&params, tape.constant(data.inputs.clone()));
    let loss = softmax_cross_entropy(logits, &data.labels).item() as f64;
    let correct = train::count_correct(&logits.value(), &data.labels);
    // Batches of 4, 4, 2: the mean must weight the short batch by its size.
    let (l, a) = evaluate(&model, &store, &data, 4);
    assert_abs_diff_eq!(l, loss, epsilon = 1e-6);
    assert_eq!(a, correct as f64 / 10.0);
}

fn args(argv: &[&str]) -> Args {
    Args::parse("demo", "A demo.", argv.iter().map(|s| s.to_string()))
}

#[test]
fn flags_parse_with_defaults() {
    let mut a = args(&[
        "--epochs", "3", "--lr=0.5", "--data", "some/dir", "--seed", "7",
    ]);
    let flags = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap();
    assert!(a.finish().unwrap());
    assert_eq!(flags.epochs, 3);
    assert_eq!(flags.batch_size, 64);
    assert_eq!(flags.lr, 0.5);
    assert_eq!(flags.seed, 7);
    assert_eq!(
        flags.data.as_deref(),
        Some(std::path::Path::new("some/dir"))
    );
    assert!(flags.metrics.is_none() && flags.save.is_none() && flags.plot.is_none());
}

#[test]
fn bad_flags_are_explained() {
    let mut a = args(&["--epochs", "ten"]);
    let err = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap_err();
    assert_eq!(
        err,
        "--epochs expects N, got 'ten' (invalid digit found in string)"
    );

    let mut a = args(&["--epoch", "3"]);
    TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap();
    let err = a.finish().unwrap_err();
    assert!(
        err.starts_with("unknown flag --epoch (did you mean --epochs?); known flags: --data"),
        "{err}"
    );

    let mut a = args(&["--lr"]);
    let err = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap_err();
    assert_eq!(err, "--lr needs a value: --lr RATE");

    let mut a = args(&["--lr", "-1"]);
    let err = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap_err();
    assert_eq!(err, "--lr must be a positive number, got -1");

    let mut a = args(&["--seed", "1", "--seed", "2"]);
    let err = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap_err();
    assert_eq!(err, "--seed is given more than once");

    let mut a = args(&["stray"]);
    TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap();
    assert!(
        a.finish()
            .unwrap_err()
            .starts_with("unexpected argument 'stray'")
    );
}

#[test]
fn help_lists_every_flag_and_skips_value_checks() {
    let mut a = args(&["--epochs", "oops", "--help"]);
    let flags = TrainingFlags::parse(&mut a, 10, 64, 0.1).unwrap();
    assert_eq!(flags.epochs, 10);
    assert!(a.help_requested());
    let help = a.help_text();
    for flag in [
        "--data DIR",
        "--epochs N",
        "--batch-size N",
        "--lr RATE",
        "--seed N",
        "--metrics FILE",
        "--save FILE",
        "--plot FILE",
        "--help",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(help.contains("(default 64)"));
    assert!(!a.finish().unwrap(), "help means: do not run");
}
