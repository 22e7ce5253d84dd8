//! The `max_likelihood` example's gradient fits land on their closed forms: the Gaussian MLE,
//! the empirical frequencies of a die, and the soft targets with the cross-entropy at `H(t)`.

#[path = "../../examples/max_likelihood.rs"]
#[allow(dead_code)]
mod max_likelihood;

use std::path::PathBuf;

use approx::assert_relative_eq;
use max_likelihood::{Config, DIE, entropy, mean_and_variance, run};

fn out_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn gradient_fits_match_their_closed_forms() {
    let config = Config {
        out: out_dir("example_max_likelihood"),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(report.gaussian_error <= 1e-6, "{report:?}");
    assert!(report.die_error <= 1e-6, "{report:?}");
    assert!(report.soft_target_error <= 1e-6, "{report:?}");
    assert!(report.cross_entropy_gap <= 1e-6, "{report:?}");
    // The die fit matched the sample, not the population it came from: the frequencies differ
    // from the true probabilities. And each descent started far from its minimum.
    let sampling_error = DIE
        .iter()
        .zip(&report.frequencies)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(sampling_error > 1e-3, "sampling error {sampling_error}");
    for gap in &report.gaps {
        assert!(gap[0] > 1e-2, "initial gap {}", gap[0]);
    }
    assert!(config.out.join("max_likelihood.svg").exists());
}

#[test]
fn another_seed_and_size_also_match() {
    let config = Config {
        samples: 100,
        seed: 7,
        out: out_dir("example_max_likelihood_seed7"),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(report.worst_error <= 1e-6, "{report:?}");
}

#[test]
fn too_few_steps_do_not_match() {
    let config = Config {
        steps: 5,
        out: out_dir("example_max_likelihood_short"),
        ..Config::default()
    };
    assert!(run(&config).unwrap().worst_error > 1e-3);
}

#[test]
fn closed_forms_on_known_values() {
    let (mean, variance) = mean_and_variance(&[1.0, 2.0, 3.0, 4.0]);
    assert_relative_eq!(mean, 2.5, epsilon = 1e-15);
    assert_relative_eq!(variance, 1.25, epsilon = 1e-15); // divides by n, not n - 1
    assert_relative_eq!(entropy(&[0.25; 4]), 4f64.ln(), epsilon = 1e-15);
    assert_relative_eq!(entropy(&[1.0, 0.0]), 0.0, epsilon = 1e-15);
}
