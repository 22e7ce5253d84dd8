//! The custom-operation example: its fused SiLU has SiLU's values and derivatives, and the
//! example's own checks (against the composite and finite differences) pass.

#[path = "../../examples/custom_op.rs"]
#[allow(dead_code)]
mod custom_op;

use approx::assert_relative_eq;
use custom_op::{Config, failures, run, silu};
use tape::{Tape, Tensor};

#[test]
fn fused_silu_has_the_closed_form_values_and_derivatives() {
    let tape = Tape::<f64>::new();
    let xs = [-30.0, -2.0, 0.0, 0.5, 40.0];
    let x = tape.var(Tensor::from_slice(&xs, [5]));
    let y = silu(x);
    y.sum().backward();
    let (value, grad) = (y.value(), x.grad().unwrap());
    for (i, &x) in xs.iter().enumerate() {
        let s = 1.0 / (1.0 + (-x).exp());
        assert_relative_eq!(
            value.data()[i],
            x * s,
            max_relative = 1e-14,
            epsilon = 1e-300
        );
        let ds = s + x * s * (1.0 - s); // d/dx x s(x)
        assert_relative_eq!(grad.data()[i], ds, max_relative = 1e-14, epsilon = 1e-300);
    }
}

#[test]
fn the_example_checks_pass() {
    let config = Config {
        check_len: 200,
        timed_len: 1000,
        reps: 2,
    };
    let report = run(&config);
    assert!(failures(&report).is_empty(), "{:?}", failures(&report));
    assert!(report.grad_error < 1e-14, "{}", report.grad_error);
    assert!(report.hvp_error < 1e-14, "{}", report.hvp_error);
    assert!(report.gradcheck_error < 1e-6, "{}", report.gradcheck_error);
    assert!(
        report.gradcheck2_error < 1e-6,
        "{}",
        report.gradcheck2_error
    );
}
