//! The custom-objective template: the focal loss it defines has the right values and
//! gradients, and trains a digit classifier.

#[path = "../../examples/custom_objective.rs"]
#[allow(dead_code)]
mod custom_objective;

use approx::assert_relative_eq;
use custom_objective::focal_loss;
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use tape::{Tape, Tensor};

#[test]
fn focal_loss_matches_its_formula() {
    let tape = Tape::<f64>::new();
    // p = softmax(0, ln 3)[0] = 1/4 and softmax(ln 3, 0)[0] = 3/4.
    let z = tape.var(Tensor::from_vec(
        vec![0.0, 3f64.ln(), 3f64.ln(), 0.0],
        [2, 2],
    ));
    let loss = focal_loss(z, &[0, 0], 2.0);
    let expected = -(0.75f64.powi(2) * 0.25f64.ln() + 0.25f64.powi(2) * 0.75f64.ln()) / 2.0;
    assert_relative_eq!(loss.item(), expected, max_relative = 1e-12);
}

#[test]
fn focal_loss_with_gamma_zero_is_softmax_cross_entropy() {
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::from_fn([4, 3], |i| (i as f64 * 0.7).sin() * 2.0));
    let labels = [2, 0, 1, 1];
    let focal = focal_loss(z, &labels, 0.0);
    focal.backward();
    let focal_grad = z.take_grad().unwrap();
    let ce = softmax_cross_entropy(z, &labels, Reduction::Mean);
    ce.backward();
    assert_relative_eq!(focal.item(), ce.item(), max_relative = 1e-12);
    assert!(focal_grad.max_abs_diff(&z.grad().unwrap()) < 1e-12);
}

#[test]
fn the_template_checks_and_trains_the_focal_loss() {
    let out = std::env::temp_dir().join(format!("lossgraph-custom-{}", std::process::id()));
    let config = custom_objective::Config {
        out: out.clone(),
        ..custom_objective::Config::default()
    };
    let report = custom_objective::run(&config).unwrap();
    assert!(report.gradcheck_error < 1e-6, "{}", report.gradcheck_error);
    assert!(
        report.accuracy >= 0.9,
        "held-out accuracy {}",
        report.accuracy
    );
    let (first, last) = (report.losses[0], report.losses[report.losses.len() - 1]);
    assert!(last < 0.1 * first, "focal loss from {first} to {last}");
    let size = std::fs::metadata(out.join("custom_objective.svg"))
        .unwrap()
        .len();
    assert!(size > 1000, "custom_objective.svg has {size} bytes");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_gamma_that_is_not_a_number_is_refused() {
    let err = custom_objective::run_main(["--gamma", "nan"].map(String::from)).unwrap_err();
    assert_eq!(err, "--gamma expects a finite number, got 'nan'");
}
