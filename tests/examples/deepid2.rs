//! The DeepID2 example: adding the verification signal (lambda > 0) makes feature distances
//! verify held-out pairs far better than identification alone.

#[path = "../../examples/deepid2.rs"]
#[allow(dead_code)]
mod deepid2;

#[test]
fn the_verification_signal_improves_held_out_verification() {
    let out = std::env::temp_dir().join(format!("lossgraph-deepid2-{}", std::process::id()));
    let config = deepid2::Config {
        out: out.clone(),
        ..deepid2::Config::default()
    };
    let report = deepid2::run(&config).unwrap();
    let (alone, joint) = (&report.identification, &report.joint);
    assert_eq!((alone.lambda, joint.lambda), (0.0, config.lambda));
    assert!(
        joint.verification_accuracy >= 0.95,
        "lambda > 0: {}",
        joint.verification_accuracy
    );
    assert!(
        joint.verification_accuracy > alone.verification_accuracy + 0.05,
        "lambda > 0: {} vs lambda = 0: {}",
        joint.verification_accuracy,
        alone.verification_accuracy
    );
    for m in [alone, joint] {
        // Half of the held-out pairs are of one identity; the threshold, chosen on training
        // pairs, separates the two groups better than chance on both sets.
        assert_eq!(m.same.len() + m.different.len(), config.pairs);
        assert_eq!(m.same.len(), config.pairs / 2);
        assert!(
            m.train_accuracy > 0.75 && m.verification_accuracy > 0.75,
            "{}",
            m.lambda
        );
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&m.same) < m.threshold && m.threshold < mean(&m.different));
    }
    let size = std::fs::metadata(out.join("deepid2_distances.svg"))
        .unwrap()
        .len();
    assert!(size > 1000, "deepid2_distances.svg has {size} bytes");
    std::fs::remove_dir_all(out).unwrap();
}
