//! The WGAN-GP example: with the default settings (seed 0) the generator covers all 8 modes,
//! with the gradient penalty (a second derivative of the critic) in every critic step.

#[path = "../../examples/wgan_gp.rs"]
#[allow(dead_code)]
mod wgan_gp;

#[test]
fn the_default_wgan_gp_covers_all_eight_modes() {
    let out = std::env::temp_dir().join(format!("lossgraph-wgan-gp-{}", std::process::id()));
    let config = wgan_gp::Config {
        out: out.clone(),
        ..wgan_gp::Config::default()
    };
    let report = wgan_gp::run(&config).unwrap();
    assert_eq!(
        report.modes_covered, 8,
        "shares near each mode: {:?}",
        report.mode_shares
    );
    assert!(report.mode_shares.iter().all(|&s| s >= 0.02));
    assert_eq!(report.distances.len(), config.steps);
    assert!(report.penalties.iter().all(|p| p.is_finite() && *p >= 0.0));
    // The critic keeps telling the two distributions apart by a positive margin, and its
    // penalty keeps it near 1-Lipschitz: the gradient norm stays near 1 on average.
    let tail = &report.distances[config.steps - 100..];
    let distance = tail.iter().sum::<f64>() / tail.len() as f64;
    assert!(
        distance > 0.0 && distance < 2.0,
        "Wasserstein estimate {distance}"
    );
    let size = std::fs::metadata(out.join("wgan_gp_samples.svg"))
        .unwrap()
        .len();
    assert!(size > 1000, "the SVG has {size} bytes");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn bad_flags_are_errors() {
    let err = wgan_gp::run_main(["--critic-steps", "0"].map(String::from)).unwrap_err();
    assert!(err.contains("must be at least 1"), "{err}");
    let err = wgan_gp::run_main(["--lambda", "-1"].map(String::from)).unwrap_err();
    assert!(err.contains("--lambda non-negative"), "{err}");
}
