//! The `softmax_solvers` example at a small size: L-BFGS and Newton-CG both reach the largest
//! gradient entry asked for on 500 built-in digits, from the same start to the same optimum,
//! Newton-CG in far fewer (but dearer) iterations.

#[path = "../../examples/softmax_solvers.rs"]
#[allow(dead_code)]
mod softmax_solvers;

use softmax_solvers::{Config, parse_flags, run, run_main};
use train::solve::Stop;

#[test]
fn both_solvers_reach_the_same_optimum() {
    let config = Config {
        train: 500,
        // On 500 digits the problem is less well conditioned than on 8,000: a larger lambda
        // and a tighter gtol put both solvers' objectives within 1e-10 of the optimum's.
        lambda: 1e-3,
        gtol: 1e-9,
        ..Config::default()
    };
    let results = run(&config).unwrap();
    let [(lbfgs_name, lbfgs), (newton_name, newton)] = &results[..] else {
        panic!("two solvers expected, got {}", results.len());
    };
    assert_eq!(
        (lbfgs_name.as_str(), newton_name.as_str()),
        ("L-BFGS", "Newton-CG")
    );
    for solved in [lbfgs, newton] {
        assert_eq!(
            solved.report.stop,
            Stop::GradientTolerance,
            "{}",
            solved.report
        );
        assert!(
            solved.report.gradient_max <= config.gtol,
            "{}",
            solved.report
        );
        // 500 training digits of ten clean classes: a regularised linear model fits them.
        assert!(
            solved.accuracy > 0.8,
            "validation accuracy {}",
            solved.accuracy
        );
    }
    approx::assert_relative_eq!(
        lbfgs.report.value,
        newton.report.value,
        max_relative = 1e-10
    );
    assert_eq!(lbfgs.report.hessian_vector_products, 0);
    assert!(newton.report.hessian_vector_products > 0);
    assert!(
        newton.report.iterations * 5 < lbfgs.report.iterations,
        "Newton-CG {} against L-BFGS {}",
        newton.report,
        lbfgs.report
    );
}

#[test]
fn the_checked_run_passes_and_bad_flags_are_errors() {
    run_main(["--train", "200", "--lambda", "1e-3", "--gtol", "1e-9"].map(String::from)).unwrap();
    let flags = |argv: &[&str]| parse_flags(argv.iter().map(|s| s.to_string()));
    assert!(flags(&["--help"]).unwrap().is_none());
    assert_eq!(flags(&["--train", "300"]).unwrap().unwrap().train, 300);
    assert_eq!(
        flags(&["--train", "0"]).unwrap_err(),
        "--train must be at least 1"
    );
    let err = flags(&["--gtol", "0"]).unwrap_err();
    assert!(
        err.starts_with("--lambda and --gtol must be positive"),
        "{err}"
    );
}
