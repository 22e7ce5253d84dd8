//! The training loop and its metrics CSV (the examples' flags and plots: crates/gallery).

use approx::assert_abs_diff_eq;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tape;
use train::synth::GaussianMixture;
use train::{
    Activation, Adam, FitConfig, Mlp, Module, ParamStore, evaluate, fit_classifier,
    softmax_cross_entropy,
};

fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::scratch("fit", name)
}

#[test]
fn fit_learns_blobs_and_writes_metrics() {
    let dir = scratch("blobs");
    let csv = dir.join("metrics.csv");
    let mut rng = StdRng::seed_from_u64(0);
    let blobs = GaussianMixture::ring(4, 3.0, 0.5);
    let train = blobs.sample(800, &mut rng);
    let validation = blobs.sample(200, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "mlp", &[2, 16, 4], Activation::Relu, &mut rng);
    let mut opt = Adam::new(0.01);
    let config = FitConfig {
        epochs: 4,
        batch_size: 32,
        clip_grad_norm: Some(5.0),
        progress: false,
        verbose: false,
        metrics_csv: Some(csv.clone()),
        ..FitConfig::default()
    };
    let (loss_before, _) = evaluate(&model, &store, &validation, 64);
    let history = fit_classifier(
        &model,
        &mut store,
        &mut opt,
        &train,
        &validation,
        &config,
        &mut rng,
    )
    .unwrap();
    assert_eq!(history.epochs.len(), 4);
    let last = history.last().unwrap();
    assert!(last.val_accuracy > 0.95, "{last:?}");
    assert!(
        last.val_loss < loss_before / 3.0,
        "{} vs {loss_before}",
        last.val_loss
    );
    assert!(history.epochs[0].train_loss > last.train_loss);
    assert_eq!(last.learning_rate, 0.01);
    // Training time excludes the validation pass that the epoch's time includes.
    for m in &history.epochs {
        assert!(
            0.0 < m.train_seconds && m.train_seconds <= m.seconds,
            "{m:?}"
        );
    }
    let total: f64 = history.epochs.iter().map(|m| m.train_seconds).sum();
    assert_eq!(history.train_seconds(), total);
    // evaluate agrees with the last epoch's validation metrics.
    let (loss, accuracy) = evaluate(&model, &store, &validation, 17);
    assert_abs_diff_eq!(loss, last.val_loss, epsilon = 1e-5);
    assert_eq!(accuracy, last.val_accuracy);

    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,train_seconds,\
         skipped_batches"
    );
    assert_eq!(lines.len(), 5);
    let fields: Vec<f64> = lines[4].split(',').map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields[0], 4.0);
    assert_abs_diff_eq!(fields[3], last.val_loss, epsilon = 1e-12);
    assert_eq!(fields[4], last.val_accuracy);
    assert_abs_diff_eq!(fields[7], last.train_seconds, epsilon = 5e-4);
}

#[test]
fn evaluate_is_the_mean_loss_and_accuracy() {
    let mut rng = StdRng::seed_from_u64(1);
    let data = GaussianMixture::ring(3, 1.0, 0.5).sample(10, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "m", &[2, 3], Activation::Relu, &mut rng);
    let tape = Tape::new();
    let params = store.bind(&tape);
    let logits = model.forward(&params, tape.constant(data.inputs.clone()));
    let loss = softmax_cross_entropy(logits, &data.labels).item() as f64;
    let correct = train::count_correct(&logits.value(), &data.labels);
    // Batches of 4, 4, 2: the mean must weight the short batch by its size.
    let (l, a) = evaluate(&model, &store, &data, 4);
    assert_abs_diff_eq!(l, loss, epsilon = 1e-6);
    assert_eq!(a, correct as f64 / 10.0);
}
