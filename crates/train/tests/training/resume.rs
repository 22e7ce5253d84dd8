//! Resumable runs and non-finite steps in `fit`: 10 epochs straight and 5 + resume + 5 end
//! with bit-identical parameters and metrics; a resume that does not match its checkpoint is
//! refused; a diverging run stops naming epoch, step and learning rate, and leaves only finite
//! checkpoints; the skip policy skips and counts.

use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::checkpoint::load_training;
use train::synth::GaussianMixture;
use train::{
    Activation, Adam, Dataset, FitConfig, FitError, History, LrSchedule, Mlp, OnNonFinite,
    Optimizer, ParamStore, Sgd, fit_classifier,
};

/// A run's inputs, built from a seed exactly as a program would: data, then the model, from
/// one generator that `fit` then shuffles with.
struct Run {
    rng: StdRng,
    train: Dataset,
    validation: Dataset,
    store: ParamStore,
    model: Mlp,
}

fn setup(seed: u64) -> Run {
    setup_with(seed, Activation::Tanh)
}

fn setup_with(seed: u64, activation: Activation) -> Run {
    let mut rng = StdRng::seed_from_u64(seed);
    let blobs = GaussianMixture::ring(4, 3.0, 0.8);
    let train = blobs.sample(300, &mut rng);
    let validation = blobs.sample(60, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "mlp", &[2, 16, 4], activation, &mut rng);
    Run {
        rng,
        train,
        validation,
        store,
        model,
    }
}

fn config(epochs: usize) -> FitConfig {
    FitConfig {
        epochs,
        batch_size: 32,
        progress: false,
        verbose: false,
        ..FitConfig::default()
    }
}

fn train<O: Optimizer>(
    run: &mut Run,
    opt: &mut O,
    config: &FitConfig,
) -> Result<History, FitError> {
    fit_classifier(
        &run.model,
        &mut run.store,
        opt,
        &run.train,
        &run.validation,
        config,
        &mut run.rng,
    )
}

/// Every parameter's bits.
fn bits(store: &ParamStore) -> Vec<Vec<u32>> {
    store
        .ids()
        .map(|id| store.value(id).data().iter().map(|x| x.to_bits()).collect())
        .collect()
}

/// The metrics that do not depend on the clock.
fn curves(h: &History) -> Vec<[f64; 6]> {
    h.epochs
        .iter()
        .map(|m| {
            let skipped = m.skipped_batches as f64;
            [
                m.train_loss,
                m.train_accuracy,
                m.val_loss,
                m.val_accuracy,
                m.learning_rate,
                skipped,
            ]
        })
        .collect()
}

/// Trains 10 epochs straight, and 5 + (a fresh process's worth of setup) + resume + 5, with
/// optimisers made by `make`; asserts both end identically.
fn straight_equals_resumed<O: Optimizer>(name: &str, make: impl Fn() -> O) {
    let dir = crate::common::scratch("resume", name);
    let path = dir.join("run.safetensors");
    let mut straight = setup(7);
    let full = train(&mut straight, &mut make(), &config(10)).unwrap();

    let mut first = setup(7);
    let half = FitConfig {
        checkpoint: Some(path.clone()),
        save_every: 5,
        ..config(5)
    };
    train(&mut first, &mut make(), &half).unwrap();
    let mut second = setup(7);
    let mut opt = make();
    let resumed = FitConfig {
        resume: Some(path.clone()),
        checkpoint: Some(path.clone()),
        ..config(10)
    };
    let history = train(&mut second, &mut opt, &resumed).unwrap();

    assert_eq!(
        bits(&second.store),
        bits(&straight.store),
        "{name}: parameters differ"
    );
    assert_eq!(curves(&history), curves(&full), "{name}: metrics differ");
    assert_eq!(opt.steps(), 10 * 300usize.div_ceil(32));
    // The checkpoint now holds the 10-epoch run, and loads as a plain model too.
    let state = load_training(&path, &mut setup(0).store, false).unwrap();
    assert_eq!((state.epoch, state.history.epochs.len()), (10, 10));
    let mut plain = setup(0).store;
    plain.load(&path).unwrap();
    assert_eq!(bits(&plain), bits(&straight.store));
}

#[test]
fn ten_epochs_straight_equal_five_then_resume_then_five() {
    straight_equals_resumed("adam", || Adam::new(0.01));
    straight_equals_resumed("adamw", || Adam::adamw(0.01, 0.1));
    straight_equals_resumed("sgd", || {
        Sgd::new(0.2)
            .momentum(0.9)
            .nesterov(true)
            .schedule(LrSchedule::Cosine {
                warmup: 5,
                total: 80,
                min_factor: 0.1,
            })
    });
}

#[test]
fn a_resume_that_does_not_match_its_checkpoint_is_refused() {
    let dir = crate::common::scratch("resume", "mismatch");
    let path = dir.join("run.safetensors");
    let save = FitConfig {
        checkpoint: Some(path.clone()),
        ..config(2)
    };
    train(&mut setup(3), &mut Adam::new(0.01), &save).unwrap();
    let resume = FitConfig {
        resume: Some(path.clone()),
        ..config(4)
    };
    let message = |r: Result<History, FitError>| match r {
        Err(FitError::Resume(m)) => m,
        other => panic!("expected a resume error, got {other:?}"),
    };
    // Another seed draws another example order (same data size, same model shapes).
    let mut other_seed = setup(3);
    other_seed.rng = StdRng::seed_from_u64(4);
    let m = message(train(&mut other_seed, &mut Adam::new(0.01), &resume));
    assert!(m.contains("resume with the same --seed"), "{m}");
    // Another optimiser.
    let m = message(train(&mut setup(3), &mut Sgd::new(0.1), &resume));
    assert!(m.contains("holds the state of adam, not of sgd"), "{m}");
    // Another batch size.
    let other_batch = FitConfig {
        batch_size: 16,
        ..resume.clone()
    };
    let m = message(train(&mut setup(3), &mut Adam::new(0.01), &other_batch));
    assert!(
        m.contains("in batches of 32, this one on 300 in batches of 16"),
        "{m}"
    );
    // Fewer epochs than the checkpoint has done.
    let m = message(train(
        &mut setup(3),
        &mut Adam::new(0.01),
        &config_resume(&path, 1),
    ));
    assert!(
        m.contains("2 epochs into training, past the 1 asked for"),
        "{m}"
    );
    // A checkpoint of parameters only.
    setup(3).store.save(&path).unwrap();
    let m = message(train(&mut setup(3), &mut Adam::new(0.01), &resume));
    assert!(m.contains("a checkpoint of parameters only"), "{m}");
}

fn config_resume(path: &std::path::Path, epochs: usize) -> FitConfig {
    FitConfig {
        resume: Some(path.to_path_buf()),
        ..config(epochs)
    }
}

#[test]
fn divergence_stops_naming_epoch_step_and_learning_rate_and_keeps_checkpoints_finite() {
    let dir = crate::common::scratch("resume", "diverge");
    let path = dir.join("run.safetensors");
    // ReLU units do not saturate: weights of 1e30 make logits of 1e60, past f32.
    let mut run = setup_with(5, Activation::Relu);
    let diverging = FitConfig {
        checkpoint: Some(path.clone()),
        save_every: 1,
        ..config(5)
    };
    let err = train(&mut run, &mut Sgd::new(1e30), &diverging).unwrap_err();
    let FitError::Diverged(d) = &err else {
        panic!("expected a divergence, got {err:?}")
    };
    assert_eq!(d.epoch, Some(1));
    assert!(d.step >= 1, "{d:?}");
    assert_eq!(d.learning_rate, 1e30);
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "training diverged at epoch 1, step {} (learning rate 1e30): ",
            d.step
        )),
        "{text}"
    );
    assert!(
        text.contains("try a lower learning rate (--lr 1e29) or gradient clipping (--clip 1)"),
        "{text}"
    );
    // It stopped in the first epoch: no checkpoint was written at all.
    assert!(!path.exists());

    // A rate multiplied by 1e30 every epoch: the epochs before it explodes are checkpointed.
    let explode = Sgd::new(0.1).schedule(LrSchedule::Step {
        every: 300usize.div_ceil(32),
        gamma: 1e30,
    });
    let err = train(
        &mut setup_with(5, Activation::Relu),
        &mut { explode },
        &diverging,
    );
    let err = err.unwrap_err();
    let FitError::Diverged(d) = &err else {
        panic!("expected a divergence, got {err:?}")
    };
    // The last checkpoint is the epoch before the divergence, and it loads with the
    // non-finite check on.
    let state = load_training(&path, &mut setup(0).store, false).unwrap();
    assert!(state.epoch >= 1);
    assert_eq!(d.epoch, Some(state.epoch + 1));
}

#[test]
fn the_skip_policy_skips_non_finite_batches_and_counts_them() {
    let mut run = setup(6);
    // One poisoned example: the batch holding it has a NaN loss, once per epoch.
    let mut inputs = run.train.inputs.clone();
    inputs.data_mut()[0] = f32::NAN;
    run.train = Dataset::new(inputs, run.train.labels.clone(), 4);
    let skip = FitConfig {
        on_non_finite: OnNonFinite::SkipBatch,
        ..config(3)
    };
    let history = train(&mut run, &mut Adam::new(0.01), &skip).unwrap();
    for m in &history.epochs {
        assert_eq!(m.skipped_batches, 1, "{m:?}");
        assert!(m.train_loss.is_finite());
    }
    assert!(history.last().unwrap().val_accuracy > 0.8);
    assert!(
        run.store
            .ids()
            .all(|id| run.store.value(id).data().iter().all(|x| x.is_finite()))
    );
    // Stopping instead names the cause.
    let mut run = setup(6);
    let mut inputs = run.train.inputs.clone();
    inputs.data_mut()[0] = f32::NAN;
    run.train = Dataset::new(inputs, run.train.labels.clone(), 4);
    let err = train(&mut run, &mut Adam::new(0.01), &config(3)).unwrap_err();
    let FitError::Diverged(d) = err else {
        panic!("{err:?}")
    };
    assert_eq!((d.epoch, d.cause.as_str()), (Some(1), "the loss is NaN"));
}

#[test]
fn an_empty_training_set_is_an_error() {
    let mut run = setup(1);
    run.train = Dataset::new(Tensor::zeros([0, 2]), vec![], 4);
    let err = train(&mut run, &mut Adam::new(0.01), &config(1)).unwrap_err();
    assert_eq!(
        err,
        FitError::Data("the training set holds no examples".into())
    );
}

#[test]
fn with_anomaly_detection_a_step_names_the_operation() {
    let mut run = setup(2);
    let mut inputs = run.train.inputs.clone();
    inputs.data_mut()[1] = f32::INFINITY;
    let data = Dataset::new(inputs, run.train.labels.clone(), 4);
    let mut loader = train::BatchLoader::new(8);
    loader.in_order(data.len());
    let batch = loader.next_batch(&data).unwrap();
    let mut tape = tape::Tape::new();
    tape.detect_anomaly(true);
    let mut opt = Adam::new(0.01);
    let err = train::train_step(
        &run.model,
        &mut run.store,
        &mut opt,
        &mut tape,
        &batch,
        None,
    )
    .unwrap_err();
    assert!(err.starts_with("non-finite value: linear ("), "{err}");
    assert!(err.contains("input 0 already non-finite"), "{err}");
    assert_eq!(opt.steps(), 0, "no step was taken");
}
