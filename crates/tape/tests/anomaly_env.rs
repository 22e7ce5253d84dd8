//! `LOSSGRAPH_DETECT_ANOMALY=1` turns detection on for every new tape; a bad value of it or of
//! `LOSSGRAPH_THREADS` is an error naming the variable. One test in its own binary: it sets
//! the process's environment before any tape reads it.

use tape::{AnomalyKind, Tape, Tensor};

#[test]
fn the_environment_switches_detection_on_and_bad_values_are_named() {
    // SAFETY: this binary's only test, run before any other thread reads the environment.
    unsafe {
        std::env::set_var("LOSSGRAPH_THREADS", "abc");
        std::env::set_var("LOSSGRAPH_DETECT_ANOMALY", "1");
    }
    let e = tape::check_env().unwrap_err();
    assert_eq!(
        e,
        "LOSSGRAPH_THREADS=\"abc\" is not a thread count: set a whole number from 1 to 8 \
         (larger values use 8), or unset it to use every core"
    );
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "0") };
    assert!(
        tape::check_env()
            .unwrap_err()
            .starts_with("LOSSGRAPH_THREADS=0: ")
    );
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "2") };
    assert_eq!(tape::check_env(), Ok(()));

    let tape = Tape::<f64>::new();
    assert!(tape.detects_anomalies());
    let x = tape.var(Tensor::from_vec(vec![-1.0], [1]));
    let a = x.sqrt().sum().try_backward().unwrap_err();
    assert_eq!((a.kind, a.op.as_str()), (AnomalyKind::Value, "sqrt"));

    unsafe { std::env::set_var("LOSSGRAPH_DETECT_ANOMALY", "maybe") };
    let e = tape::check_env().unwrap_err();
    assert!(
        e.starts_with("LOSSGRAPH_DETECT_ANOMALY=\"maybe\": expected 1"),
        "{e}"
    );
}
