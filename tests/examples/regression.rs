//! The `regression` example: `fit` in f64 with early stopping brings an MLP's test MSE on
//! `sin(3x) + noise` within 15% of the noise variance, the floor no model can beat, and stops
//! before its epoch budget with the best epoch's parameters put back.

#[path = "../../examples/regression.rs"]
#[allow(dead_code)]
mod regression;

use regression::{Config, REQUIRED_RATIO, parse_flags, run};

#[test]
fn early_stopped_mlp_reaches_the_noise_floor() {
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_regression");
    let config = Config {
        out: out.clone(),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(out.join("regression.svg").exists());
    assert!(report.ratio <= REQUIRED_RATIO, "{report:?}");
    // Below the noise floor only by the test sample's luck, never by much.
    assert!(report.ratio > 0.8, "{report:?}");
    approx::assert_relative_eq!(report.ratio, report.test_mse / 0.01, max_relative = 1e-12);
    assert!(report.epochs_run < config.epochs, "{report:?}");
    assert_eq!(report.epochs_run, report.best_epoch + config.patience);
}

#[test]
fn bad_flags_are_errors() {
    let flags = |argv: &[&str]| parse_flags(argv.iter().map(|s| s.to_string()));
    assert!(flags(&["--help"]).unwrap().is_none());
    assert_eq!(flags(&["--patience", "3"]).unwrap().unwrap().patience, 3);
    let err = flags(&["--sigma", "0"]).unwrap_err();
    assert_eq!(err, "--sigma and --lr must be positive, got 0 and 0.003");
    assert!(flags(&["--train", "0"]).is_err());
}
