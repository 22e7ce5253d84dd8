//! Anomaly detection: the first non-finite value (forward) or gradient (backward) is reported
//! with the operation that produced it, its place on the tape and in the source, and its
//! inputs, for every operation family, in f32 and f64.

use crate::common::panic_message;
use tape::{AnomalyKind, Float, Tape, Tensor, Var};

/// A finite number whose double overflows in `T`.
fn big<T: Float>() -> T {
    T::from_f64(if T::NAME == "f32" { 3e38 } else { 1e308 })
}

/// A positive number whose reciprocal squared overflows in `T`.
fn tiny<T: Float>() -> T {
    T::from_f64(if T::NAME == "f32" { 1e-30 } else { 1e-200 })
}

fn t<T: Float>(values: &[f64], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(values.iter().map(|&v| T::from_f64(v)).collect(), shape)
}

/// A tape with anomaly detection on.
fn detecting<T: Float>() -> Tape<T> {
    let tape = Tape::new();
    tape.detect_anomaly(true);
    tape
}

/// Records `f` on a detecting tape, sweeps back with `try_backward`, and returns the anomaly.
fn anomaly_of<T: Float>(f: impl for<'t> Fn(&'t Tape<T>) -> Var<'t, T>) -> Box<tape::Anomaly> {
    let tape = detecting::<T>();
    let loss = f(&tape);
    loss.try_backward()
        .expect_err("a non-finite value should be reported")
}

fn ln_times_zero<T: Float>() {
    let tape = detecting::<T>();
    let x = tape.var(t(&[0.0, 1.0, 2.0], &[3]));
    let line = line!() + 1;
    let y = x.ln() * T::ZERO; // ln(0) = -inf, then -inf * 0 = NaN
    let loss = y.sum();
    let a = loss.try_backward().unwrap_err();
    assert_eq!(a.kind, AnomalyKind::Value);
    assert_eq!(a.op, "ln");
    assert_eq!(a.node, 1);
    let location = a.location.expect("recorded with detection on");
    assert_eq!((location.file(), location.line()), (file!(), line));
    assert_eq!(a.inputs.len(), 1);
    assert_eq!(a.inputs[0].node, 0);
    assert_eq!(a.inputs[0].op, "leaf");
    assert_eq!(a.inputs[0].value.shape.dims(), &[3]);
    assert_eq!((a.inputs[0].value.min, a.inputs[0].value.max), (0.0, 2.0));
    assert!(!a.inherited(), "the input was finite: ln is the cause");
    assert_eq!((a.found.neg_inf, a.found.nan), (1, 0));
    assert_eq!(a.found.first_non_finite, Some(0));
    // The gradients were still computed (and are NaN), so the sweep ran.
    assert!(x.grad().is_some());
}

#[test]
fn forward_unary_names_ln_and_its_zero_input() {
    ln_times_zero::<f32>();
    ln_times_zero::<f64>();
}

#[test]
fn the_report_reads_as_a_diagnosis() {
    let tape = detecting::<f64>();
    let x = tape.var(t(&[0.0, 1.0], &[2]));
    let loss = (x.ln() * 0.0).sum();
    let report = loss.try_backward().unwrap_err().to_string();
    let location = format!("{}:{}", file!(), line!() - 2);
    assert!(
        report.starts_with(&format!(
            "non-finite value: ln (node %1, recorded at {location}:"
        )),
        "{report}"
    );
    assert!(
        report.contains(
            "produced [2] in [0, 0], 1 of 2 elements not finite (1 -inf; first at index 0)"
        ),
        "{report}"
    );
    assert!(
        report.contains("\n  input 0: leaf %0, [2] in [0, 1], all finite"),
        "{report}"
    );
    assert!(
        report.ends_with("every input was finite: ln itself produced the first non-finite value"),
        "{report}"
    );
}

fn forward_families<T: Float>() {
    let b = big::<T>().to_f64();
    // Binary: 1 / 0.
    let a = anomaly_of::<T>(|tape| {
        let one = tape.constant(t(&[1.0, 1.0], &[2]));
        let x = tape.var(t(&[2.0, 0.0], &[2]));
        (one / x).sum()
    });
    assert_eq!((a.op.as_str(), a.node, a.found.pos_inf), ("div", 2, 1));
    assert_eq!(a.found.first_non_finite, Some(1));
    assert!(!a.inherited());
    // Reduce: a sum that overflows.
    let a = anomaly_of::<T>(|tape| tape.var(t(&[b, b], &[2])).sum());
    assert_eq!((a.op.as_str(), a.node, a.found.pos_inf), ("sum", 1, 1));
    assert_eq!(a.inputs[0].value.max, big::<T>().to_f64());
    let a = anomaly_of::<T>(|tape| {
        tape.var(t(&[b, b, 1.0, 1.0], &[2, 2]))
            .sum_axis(1, false)
            .sum()
    });
    assert_eq!(a.op, "sum_axis(1)");
    // Matrix products: [1, 2] x [2, 1] of huge values.
    let a = anomaly_of::<T>(|tape| {
        let x = tape.var(t(&[b, b], &[1, 2]));
        let w = tape.var(t(&[b, b], &[2, 1]));
        x.matmul(w).sum()
    });
    assert_eq!((a.op.as_str(), a.inputs.len()), ("matmul", 2));
    assert_eq!(a.inputs[1].value.shape.dims(), &[2, 1]);
    let a = anomaly_of::<T>(|tape| {
        let x = tape.var(t(&[b, b], &[1, 2]));
        let w = tape.var(t(&[1.0, 1.0], &[2, 1]));
        x.linear_relu(w, tape.var(t(&[0.0], &[1]))).sum()
    });
    assert_eq!((a.op.as_str(), a.inputs.len()), ("linear_relu", 3));
    // Shape, index and softmax operations cannot create a NaN: one that carries a NaN from a
    // constant says it was already there.
    let a = anomaly_of::<T>(|tape| {
        let data = tape.constant(t(&[1.0, f64::NAN, 3.0, 4.0], &[2, 2]));
        let w = tape.var(t(&[1.0; 4], &[4]));
        (data.reshape([4]) * w).sum()
    });
    assert_eq!(
        (a.op.as_str(), a.node, a.inputs[0].op.as_str()),
        ("reshape", 2, "constant")
    );
    assert!(a.inherited());
    assert_eq!(a.inputs[0].value.nan, 1);
    let a = anomaly_of::<T>(|tape| {
        let data = tape.var(t(&[1.0, f64::INFINITY, 3.0], &[3]));
        data.gather(0, &[1, 2]).sum()
    });
    assert_eq!((a.op.as_str(), a.inputs[0].value.pos_inf), ("gather", 1));
    assert!(a.inherited());
    let a = anomaly_of::<T>(|tape| {
        let logits = tape.var(t(&[0.0, f64::INFINITY, 1.0, 2.0], &[2, 2]));
        (-logits.log_softmax_gather(&[0, 1])).mean()
    });
    assert_eq!(a.op, "log_softmax_gather");
    assert!(a.inherited());
}

#[test]
fn forward_anomalies_of_every_family() {
    forward_families::<f32>();
    forward_families::<f64>();
}

fn backward_families<T: Float>() {
    // Unary on the scalar path (one element) and on tensors: d sqrt(x)/dx = 1 / (2 sqrt x)
    // is infinite at 0, although sqrt(0) = 0 is finite.
    for values in [&[0.0][..], &[4.0, 0.0, 1.0]] {
        let a = anomaly_of::<T>(|tape| tape.var(t(values, &[values.len()])).sqrt().sum());
        assert_eq!(a.kind, AnomalyKind::Gradient);
        assert_eq!((a.op.as_str(), a.node, a.grad_of), ("sqrt", 1, Some(0)));
        assert_eq!(a.found.pos_inf, 1);
        assert_eq!(a.found.first_non_finite, Some(values.len() / 2));
        assert!(a.incoming.as_ref().unwrap().is_finite());
        assert!(!a.inherited());
    }
    // Binary: x / y with a tiny y; the value is finite, d/dy = -x / y^2 overflows.
    let s = tiny::<T>().to_f64();
    let a = anomaly_of::<T>(|tape| {
        let x = tape.var(t(&[1.0], &[1]));
        let y = tape.var(t(&[s, 1.0], &[2]));
        (x / y).sum()
    });
    assert_eq!(
        (a.kind, a.op.as_str(), a.grad_of),
        (AnomalyKind::Gradient, "div", Some(1))
    );
    assert_eq!(a.found.neg_inf, 1);
    // Matrix product: a huge incoming gradient times a huge weight.
    let b = big::<T>().to_f64();
    let a = anomaly_of::<T>(|tape| {
        let x = tape.var(t(&[1.0 / b], &[1, 1]));
        let w = tape.var(t(&[b], &[1, 1]));
        (x.matmul(w) * big::<T>()).sum()
    });
    assert_eq!(
        (a.kind, a.op.as_str(), a.grad_of),
        (AnomalyKind::Gradient, "matmul", Some(0))
    );
    assert_eq!(a.incoming.as_ref().unwrap().max, b);
    // Softmax: the gradient of log_softmax sums the incoming gradient over each row.
    let tape = detecting::<T>();
    let x = tape.var(t(&[0.0, 0.0], &[1, 2]));
    let y = x.log_softmax(1);
    let scaled = y * tape.constant(t(&[b, b], &[1, 2]));
    let msg = panic_message(|| scaled.backward_with(Tensor::ones([1, 2])));
    assert!(
        msg.starts_with("non-finite gradient: the backward rule of log_softmax"),
        "{msg}"
    );
    let a = tape.anomaly().unwrap();
    assert_eq!(
        (a.kind, a.op.as_str()),
        (AnomalyKind::Gradient, "log_softmax")
    );
    // Index: gather with a repeated index sums two finite gradients into one that overflows
    // (zero inputs keep every value finite).
    let a = anomaly_of::<T>(|tape| {
        let x = tape.var(t(&[0.0, 0.0], &[2]));
        (x.gather(0, &[0, 0]) * big::<T>()).sum()
    });
    assert_eq!(
        (a.kind, a.op.as_str(), a.grad_of),
        (AnomalyKind::Gradient, "gather", Some(0))
    );
    assert_eq!((a.found.pos_inf, a.found.first_non_finite), (1, Some(0)));
    assert!(!a.inherited());
    // Reduce: a reduction used twice receives two finite gradients whose sum overflows; it
    // is reported as the gradient flowing into it, every rule's output having been finite.
    let a = anomaly_of::<T>(|tape| {
        let y = tape.var(t(&[0.0; 4], &[2, 2])).sum_axis(0, false);
        (y * big::<T>()).sum() + (y * big::<T>()).sum()
    });
    assert_eq!(
        (a.kind, a.op.as_str(), a.node),
        (AnomalyKind::IncomingGradient, "sum_axis(0)", 1)
    );
    assert_eq!(a.found.pos_inf, 2);
    // Shape: a NaN in the seed arrives at a reshape, and is reported as the incoming gradient.
    let tape = detecting::<T>();
    let x = tape.var(t(&[1.0, 2.0], &[2]));
    let y = x.reshape([1, 2]);
    let msg = panic_message(|| y.backward_with(t(&[1.0, f64::NAN], &[1, 2])));
    let a = tape.anomaly().unwrap();
    assert_eq!(
        (a.kind, a.op.as_str()),
        (AnomalyKind::IncomingGradient, "reshape")
    );
    assert_eq!(a.found.nan, 1);
    assert!(
        msg.starts_with("non-finite gradient: the gradient flowing into reshape"),
        "{msg}"
    );
}

#[test]
fn backward_anomalies_of_every_family() {
    backward_families::<f32>();
    backward_families::<f64>();
}

#[test]
fn backward_panics_with_the_report() {
    let msg = panic_message(|| {
        let tape = detecting::<f64>();
        let x = tape.var(t(&[0.0, 1.0], &[2]));
        (x.ln() * 0.0).sum().backward();
    });
    assert!(
        msg.starts_with("non-finite value: ln (node %1, recorded at"),
        "{msg}"
    );
    assert!(msg.contains("tests/engine/anomaly.rs"), "{msg}");
}

#[test]
fn the_first_anomaly_is_kept_until_reset() {
    let mut tape = detecting::<f64>();
    {
        let x = tape.var(t(&[-1.0], &[1]));
        let y = x.sqrt(); // NaN
        let _ = y.ln(); // NaN again: a consequence, not reported
        assert_eq!(tape.anomaly().unwrap().op, "sqrt");
    }
    tape.reset();
    assert!(tape.anomaly().is_none());
    assert!(tape.detects_anomalies(), "reset keeps the mode");
    let x = tape.var(t(&[4.0], &[1]));
    let loss = x.sqrt().sum();
    assert!(loss.try_backward().is_ok());
    assert_eq!(x.grad().unwrap().item(), 0.25);
}

#[test]
fn off_records_nothing_and_try_backward_checks_the_loss() {
    let tape = Tape::<f32>::new();
    assert!(!tape.detects_anomalies());
    let x = tape.var(t(&[0.0, 1.0], &[2]));
    let loss = (x.ln() * 0.0).sum();
    loss.backward(); // no panic: nothing is checked
    assert!(tape.anomaly().is_none());
    let a = loss.try_backward().unwrap_err();
    assert_eq!(
        (a.kind, a.op.as_str(), a.node),
        (AnomalyKind::Loss, "sum", 3)
    );
    assert_eq!(a.found.nan, 1);
    assert!(a.location.is_none());
    assert!(a.to_string().contains("LOSSGRAPH_DETECT_ANOMALY=1"), "{a}");
    // A finite loss is fine.
    let ok = x.exp().sum();
    assert!(ok.try_backward().is_ok());
}

#[test]
fn second_order_gradients_are_checked_as_they_are_recorded() {
    let tape = detecting::<f64>();
    let x = tape.var(t(&[0.0, 1.0], &[2]));
    let y = (x.sqrt() * 2.0).sum(); // finite value; its gradient 1 / sqrt(x) is not
    let dy = tape.grad_graph(y, &[x])[0];
    let a = tape
        .anomaly()
        .expect("the gradient graph divides by sqrt(0)");
    assert_eq!((a.kind, a.op.as_str()), (AnomalyKind::Value, "div"));
    assert!(dy.id() > y.id());
}

#[test]
fn log_softmax_gather_gradients_stay_finite_at_logits_near_1e9() {
    // Found by anomaly detection in a diverging MNIST run: the fused backward recovers each
    // row's logsumexp from the forward's output, which can land an ulp (here hundreds) below
    // the row's maximum, and e^(x - lse) overflowed. Rows of 10 classes, eight at a time.
    use rand::RngExt;
    let mut rng = crate::common::rng(1);
    let tape = detecting::<f32>();
    let x = tape.var(Tensor::from_fn([64, 10], |_| {
        rng.random_range(1e9f32..4.4e9)
    }));
    let labels: Vec<usize> = (0..64).map(|i| i % 10).collect();
    let loss = x.log_softmax_gather(&labels).mean();
    assert!(loss.try_backward().is_ok(), "{:?}", tape.anomaly());
    let g = x.grad().unwrap();
    // Each row of the gradient sums to 0 (onehot minus a distribution) and lies in [-1, 1].
    for row in g.data().chunks_exact(10) {
        assert!(row.iter().all(|v| v.abs() <= 1.0 / 64.0 + 1e-9), "{row:?}");
        approx::assert_abs_diff_eq!(row.iter().sum::<f32>(), 0.0, epsilon = 1e-6);
    }
}
