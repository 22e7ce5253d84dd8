//! The center loss example: with the default settings the center loss makes the classes of
//! the 2-D features clearly more compact than softmax alone, without costing accuracy.

#[path = "../../examples/center_loss.rs"]
#[allow(dead_code)]
mod center_loss;

#[test]
fn center_loss_makes_the_features_compact() {
    let out = std::env::temp_dir().join(format!("lossgraph-center-loss-{}", std::process::id()));
    let config = center_loss::Config {
        out: out.clone(),
        ..center_loss::Config::default()
    };
    let report = center_loss::run(&config).unwrap();
    let (softmax, center) = (&report.softmax, &report.center);
    assert!(
        center.ratio < 0.6 * softmax.ratio,
        "intra/inter ratio {:.3} with center loss vs {:.3} without",
        center.ratio,
        softmax.ratio
    );
    for m in [softmax, center] {
        assert!(m.accuracy > 0.95, "{m:?}");
        approx::assert_relative_eq!(m.ratio, m.intra / m.inter);
    }
    let size = std::fs::metadata(out.join("center_loss_features.svg"))
        .unwrap()
        .len();
    assert!(size > 1000, "center_loss_features.svg has {size} bytes");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_weight_that_is_not_a_number_is_refused() {
    let err = center_loss::run_main(["--lambda", "nan"].map(String::from)).unwrap_err();
    assert_eq!(err, "--lambda expects a finite number, got 'nan'");
}
