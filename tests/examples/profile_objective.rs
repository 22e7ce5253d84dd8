//! The profiling template: a short run times both passes, profiles the objective's operations
//! and writes a trace and a graph.

#[path = "../../examples/profile_objective.rs"]
#[allow(dead_code)]
mod profile_objective;

use profile_objective::{Config, run};

#[test]
fn a_short_run_times_and_profiles_the_objective() {
    let out = std::env::temp_dir().join(format!("lossgraph-profile-{}", std::process::id()));
    let config = Config {
        batch: 32,
        input: 16,
        embedding: 8,
        warm_up: 0.0,
        measurement: 0.02,
        samples: 5,
        out: out.clone(),
    };
    let timing = run(&config).unwrap();
    assert_eq!(timing.samples, 5);
    assert!(timing.forward.low <= timing.forward.median);
    assert!(timing.forward.median <= timing.forward.high);
    assert!(timing.ratio() > 0.0);
    let steps = timing.steps_per_sample;
    let calls: Vec<(String, usize)> = timing
        .profile
        .by_op()
        .into_iter()
        .map(|s| (s.op, s.calls / steps))
        .collect();
    for (op, per_step) in [
        ("matmul", 3),
        ("tanh", 2),
        ("log_softmax_gather", 1),
        ("mean", 1),
    ] {
        assert!(
            calls.contains(&(op.to_string(), per_step)),
            "{op}: {calls:?}"
        );
    }
    assert_eq!(timing.profile.sweeps(), steps);
    let trace = std::fs::read_to_string(out.join("profile_objective.trace.json")).unwrap();
    assert!(trace.starts_with("{\"traceEvents\":["));
    let dot = std::fs::read_to_string(out.join("profile_objective.dot")).unwrap();
    assert!(dot.contains("log_softmax_gather"));
    std::fs::remove_dir_all(&out).unwrap();
}
