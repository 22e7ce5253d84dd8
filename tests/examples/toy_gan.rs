//! The toy GAN example: with the default settings the generator covers at least 7 of the 8
//! modes, and it draws its two figures.

#[path = "../../examples/toy_gan.rs"]
#[allow(dead_code)]
mod toy_gan;

#[test]
fn the_default_gan_covers_the_ring() {
    let out = std::env::temp_dir().join(format!("lossgraph-toy-gan-{}", std::process::id()));
    let config = toy_gan::Config {
        out: out.clone(),
        ..toy_gan::Config::default()
    };
    let report = toy_gan::run(&config).unwrap();
    assert!(
        report.modes_covered >= 7,
        "only {} of 8 modes covered: shares {:?}",
        report.modes_covered,
        report.mode_shares
    );
    // Covered means >= 2% of the samples within 3 standard deviations of the centre.
    let counted = report.mode_shares.iter().filter(|&&s| s >= 0.02).count();
    assert_eq!(counted, report.modes_covered);
    assert_eq!(report.d_losses.len(), config.steps);
    assert!(
        report
            .d_losses
            .iter()
            .chain(&report.g_losses)
            .all(|l| l.is_finite())
    );
    // Near equilibrium D cannot tell real from fake: its loss is near 2 ln 2 = 1.386, far
    // from the 0 of a discriminator that wins.
    let tail = &report.d_losses[config.steps - 500..];
    let d_final = tail.iter().sum::<f64>() / tail.len() as f64;
    assert!(
        d_final > 1.0,
        "mean D loss over the last 500 steps {d_final}"
    );
    for svg in ["toy_gan_samples.svg", "toy_gan_losses.svg"] {
        let size = std::fs::metadata(out.join(svg)).unwrap().len();
        assert!(size > 1000, "{svg} has {size} bytes");
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_gan_that_covers_no_mode_fails_the_run() {
    let out = std::env::temp_dir().join(format!("lossgraph-toy-gan-fail-{}", std::process::id()));
    let argv = [
        "--lr",
        "10",
        "--steps",
        "200",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from);
    let err = toy_gan::run_main(argv).unwrap_err();
    // Either the players diverge (a non-finite loss) or the generator covers too few modes.
    assert!(
        err.starts_with("training diverged at step ")
            || err.starts_with("modes covered ")
                && err.ends_with("is not >= 7: the requirement on the result line is not met"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(out);
    let err = toy_gan::run_main(["--out", ""].map(String::from)).unwrap_err();
    assert_eq!(err, "--out needs a folder name, got an empty one");
}
