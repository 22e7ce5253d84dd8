//! `fit` on any objective: a least-squares regression in f64 reaches the normal equations'
//! optimum; early stopping ends at the epoch its patience says (and restores the best
//! parameters); callbacks see every epoch and can stop the run; user metrics become CSV
//! columns; a non-finite generic loss stops the run (or is skipped) as for classifiers.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;

use approx::assert_abs_diff_eq;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Tensor, Var};
use train::fit::{EarlyStopping, Fit, FitConfig, FitError, History, OnNonFinite};
use train::{ParamId, ParamStore, Params, Sgd, Supervised, SupervisedBatch, fit};

/// `y = x w + b + noise` for `n` rows of 3 features in [-1, 1].
fn linear_data(n: usize, rng: &mut StdRng) -> Supervised<f64> {
    let x = Tensor::from_fn([n, 3], |_| rng.random_range(-1.0..1.0));
    let w = [1.5, -2.0, 0.5];
    let y = Tensor::from_fn([n, 1], |i| {
        let row = &x.data()[3 * i..3 * i + 3];
        let clean: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + 0.3;
        clean + 0.1 * rng.random_range(-1.0..1.0)
    });
    Supervised::new(x, y).unwrap()
}

/// A linear model `x w + b`: its parameters and its mean squared error on a batch.
struct Linear {
    w: ParamId,
    b: ParamId,
}

impl Linear {
    fn new(store: &mut ParamStore<f64>) -> Self {
        Linear {
            w: store.add("w", Tensor::zeros([3, 1])),
            b: store.add("b", Tensor::zeros([1])),
        }
    }

    fn mse<'t>(&self, p: &Params<'t, f64>, batch: &SupervisedBatch<f64>) -> Var<'t, f64> {
        let x = p.tape().constant(batch.inputs.clone());
        let y = p.tape().constant(batch.targets.clone());
        (x.matmul(p[self.w]) + p[self.b] - y).square().mean()
    }

    /// The MSE, times infinity at the `steps`' 11th call.
    fn poisoned_mse<'t>(
        &self,
        steps: &Cell<usize>,
        p: &Params<'t, f64>,
        batch: &SupervisedBatch<f64>,
    ) -> Var<'t, f64> {
        steps.set(steps.get() + 1);
        let scale = if steps.get() == 11 {
            f64::INFINITY
        } else {
            1.0
        };
        self.mse(p, batch) * scale
    }
}

/// The least-squares `[w; b]` from the normal equations `A^T A z = A^T y`, `A = [x 1]`, by
/// Gaussian elimination (4 unknowns).
fn least_squares(data: &Supervised<f64>) -> Vec<f64> {
    let n = data.inputs.dims()[0];
    let row = |i: usize| {
        let x = &data.inputs.data()[3 * i..3 * i + 3];
        [x[0], x[1], x[2], 1.0]
    };
    let mut a = [[0.0; 5]; 4];
    for i in 0..n {
        let (r, y) = (row(i), data.targets.data()[i]);
        for j in 0..4 {
            for k in 0..4 {
                a[j][k] += r[j] * r[k];
            }
            a[j][4] += r[j] * y;
        }
    }
    for col in 0..4 {
        let pivot = (col..4)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        for r in 0..4 {
            if r != col {
                let f = a[r][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[r].iter_mut().zip(pivot_row) {
                    *x -= f * p;
                }
            }
        }
    }
    (0..4).map(|j| a[j][4] / a[j][j]).collect()
}

fn quiet(epochs: usize, batch_size: usize) -> FitConfig {
    FitConfig {
        epochs,
        batch_size,
        progress: false,
        verbose: false,
        ..FitConfig::default()
    }
}

#[test]
fn fit_reaches_the_least_squares_optimum_in_f64() {
    let mut rng = StdRng::seed_from_u64(3);
    let data = linear_data(200, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    // Full batches: plain gradient descent, which converges to the exact optimum.
    let history = fit(
        &mut store,
        &mut Sgd::new(0.5),
        &data,
        |p, batch| model.mse(p, batch),
        &quiet(400, 200),
        &mut rng,
    )
    .unwrap();
    let optimum = least_squares(&data);
    let fitted: Vec<f64> = [store.value(model.w).data(), store.value(model.b).data()].concat();
    for (f, o) in fitted.iter().zip(&optimum) {
        assert_abs_diff_eq!(f, o, epsilon = 1e-9);
    }
    // The loss falls to the optimum's (down to rounding once there).
    let losses: Vec<f64> = history.epochs.iter().map(|m| m.train_loss).collect();
    assert!(losses.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)));
    let optimum_mse = (0..200)
        .map(|i| {
            let x = &data.inputs.data()[3 * i..3 * i + 3];
            let fit: f64 = x.iter().zip(&optimum).map(|(a, b)| a * b).sum::<f64>() + optimum[3];
            (fit - data.targets.data()[i]).powi(2)
        })
        .sum::<f64>()
        / 200.0;
    // The loss of an epoch is measured before its step: the last one is at the optimum.
    assert_abs_diff_eq!(*losses.last().unwrap(), optimum_mse, epsilon = 1e-15);
    // The noise is uniform in [-0.1, 0.1]: the optimum's MSE is near its variance, 1/300.
    assert!((0.002..0.0045).contains(&optimum_mse), "{optimum_mse}");
    assert!(losses[0] > 100.0 * optimum_mse);
}

/// A run whose metric `score` takes the values of `sequence`, epoch after epoch, stopped by
/// `rule`; returns the history and the weights after each epoch and at the end.
fn run_scored(sequence: &[f64], rule: EarlyStopping) -> (History, Vec<f64>, f64) {
    let mut rng = StdRng::seed_from_u64(5);
    let data = linear_data(40, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    let config = FitConfig {
        early_stopping: Some(rule),
        ..quiet(sequence.len(), 8)
    };
    let seen = RefCell::new(Vec::new());
    let mut next = sequence.iter();
    let history = Fit::new(&config)
        .metrics(|_| [("score", *next.next().unwrap())])
        .on_epoch(|_, store| {
            seen.borrow_mut().push(store.value(model.w).data()[0]);
            ControlFlow::Continue(())
        })
        .run(
            &mut store,
            &mut Sgd::new(0.05),
            &data,
            |p, batch| model.mse(p, batch),
            &mut rng,
        )
        .unwrap();
    let end = store.value(model.w).data()[0];
    (history, seen.into_inner(), end)
}

#[test]
fn early_stopping_stops_after_patience_epochs_without_improvement() {
    // Best at epoch 3 (2.0); 2.5, 2.1 and 2.0 do not beat it: patience 3 ends after epoch 6.
    let scores = [5.0, 4.0, 2.0, 2.5, 2.1, 2.0, 1.0, 0.5];
    let (history, weights, end) = run_scored(&scores, EarlyStopping::minimize("score", 3));
    assert_eq!(history.epochs.len(), 6);
    assert_eq!(weights.len(), 6, "the callback saw every epoch run");
    assert_eq!(
        end, weights[5],
        "without restore_best the last epoch's weights stay"
    );
    let best = history.best("score", train::Goal::Minimize).unwrap();
    assert_eq!(best.epoch, 3);

    // Restoring the best puts back the weights the callback saw after epoch 3.
    let rule = EarlyStopping::minimize("score", 3).restore_best(true);
    let (_, weights, end) = run_scored(&scores, rule);
    assert_eq!(end, weights[2]);
    assert_ne!(weights[2], weights[5]);

    // With min_delta 3.5 neither 4.0 nor 2.0 improves enough on 5.0: epoch 1 stays best and
    // patience 2 ends the run after epoch 3.
    let rule = EarlyStopping::minimize("score", 2).min_delta(3.5);
    assert_eq!(run_scored(&scores, rule).0.epochs.len(), 3);

    // Maximising: 0.5, 0.7, 0.7 (not better), 0.6 with patience 2 stops after epoch 4.
    let rule = EarlyStopping::maximize("score", 2);
    let (history, ..) = run_scored(&[0.5, 0.7, 0.7, 0.6, 0.9, 0.95], rule);
    assert_eq!(history.epochs.len(), 4);

    // Patience never exhausted: every epoch runs.
    let rule = EarlyStopping::minimize("score", 3);
    let (history, ..) = run_scored(&[3.0, 2.0, 1.0, 0.5], rule);
    assert_eq!(history.epochs.len(), 4);
}

#[test]
fn early_stopping_on_an_unmeasured_metric_is_an_error() {
    let mut rng = StdRng::seed_from_u64(6);
    let data = linear_data(16, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    let config = FitConfig {
        early_stopping: Some(EarlyStopping::minimize("val_mse", 2)),
        ..quiet(3, 8)
    };
    let err = Fit::new(&config)
        .metrics(|_| [("val_rmse", 1.0)])
        .run(
            &mut store,
            &mut Sgd::new(0.1),
            &data,
            |p, b| model.mse(p, b),
            &mut rng,
        )
        .unwrap_err();
    let FitError::Data(message) = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("'val_mse'") && message.contains("[val_rmse]"),
        "{message}"
    );
}

#[test]
fn callbacks_see_every_epoch_in_order_and_can_stop_the_run() {
    let mut rng = StdRng::seed_from_u64(7);
    let data = linear_data(32, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    let (mut first, mut second) = (Vec::new(), Vec::new());
    let history = Fit::new(&quiet(10, 8))
        .on_epoch(|m, _| {
            first.push(m.epoch);
            ControlFlow::Continue(())
        })
        .on_epoch(|m, _| {
            second.push((m.epoch, m.train_loss));
            if m.epoch == 4 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .run(
            &mut store,
            &mut Sgd::new(0.1),
            &data,
            |p, b| model.mse(p, b),
            &mut rng,
        )
        .unwrap();
    assert_eq!(first, [1, 2, 3, 4]);
    assert_eq!(history.epochs.len(), 4);
    for ((epoch, loss), m) in second.iter().zip(&history.epochs) {
        assert_eq!((*epoch, *loss), (m.epoch, m.train_loss));
    }
}

#[test]
fn user_metrics_are_csv_columns_and_round_trip() {
    let dir = crate::common::scratch("fit_any", "csv");
    let csv = dir.join("metrics.csv");
    let mut rng = StdRng::seed_from_u64(8);
    let data = linear_data(64, &mut rng);
    let validation = linear_data(32, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    let config = FitConfig {
        metrics_csv: Some(csv.clone()),
        ..quiet(3, 16)
    };
    let history = Fit::new(&config)
        .metrics(|store| {
            let w = store.value(model.w);
            let pred = &validation.inputs.matmul(w) + store.value(model.b);
            let errors = pred.data().iter().zip(validation.targets.data());
            let mse = errors.map(|(p, y)| (p - y) * (p - y)).sum::<f64>() / 32.0;
            [
                ("val_loss", mse),
                ("val_rmse", mse.sqrt()),
                ("w0", w.data()[0]),
            ]
        })
        .run(
            &mut store,
            &mut Sgd::new(0.1),
            &data,
            |p, b| model.mse(p, b),
            &mut rng,
        )
        .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,\
         train_seconds,skipped_batches,val_rmse,w0"
    );
    assert_eq!(lines.len(), 4);
    let last = history.last().unwrap();
    // val_loss fills its standard column; the others follow it, in the order returned.
    assert_eq!(last.extra.len(), 2);
    assert_eq!(last.metric("val_rmse").unwrap(), last.val_loss.sqrt());
    assert!(last.train_accuracy.is_nan() && last.val_accuracy.is_nan());
    let fields: Vec<f64> = lines[3].split(',').map(|f| f.parse().unwrap()).collect();
    assert_eq!(fields[3], last.val_loss);
    assert_eq!(fields[9], last.metric("val_rmse").unwrap());
    assert_eq!(fields[10], store.value(model.w).data()[0]);
    let parsed = History::from_csv(&text).unwrap();
    for (p, m) in parsed.epochs.iter().zip(&history.epochs) {
        assert_eq!(
            (p.epoch, p.train_loss, p.val_loss),
            (m.epoch, m.train_loss, m.val_loss)
        );
        assert_eq!(p.extra, m.extra);
    }
}

#[test]
fn a_non_finite_generic_loss_stops_the_run_or_is_skipped() {
    let mut rng = StdRng::seed_from_u64(9);
    let data = linear_data(32, &mut rng);
    let mut store = ParamStore::<f64>::new();
    let model = Linear::new(&mut store);
    // The 11th step (epoch 3, step 3 at 4 steps an epoch) is infinite.
    let steps = Cell::new(0);
    let before = store.value(model.w).clone();
    let err = fit(
        &mut store,
        &mut Sgd::new(0.1),
        &data,
        |p, b| model.poisoned_mse(&steps, p, b),
        &quiet(5, 8),
        &mut rng,
    )
    .unwrap_err();
    let FitError::Diverged(d) = err else {
        panic!("{err:?}")
    };
    assert_eq!((d.epoch, d.step), (Some(3), 3));
    assert_eq!(d.cause, "the loss is inf");
    assert!(store.value(model.w).max_abs_diff(&before) > 0.0);

    steps.set(0);
    let config = FitConfig {
        on_non_finite: OnNonFinite::SkipBatch,
        ..quiet(5, 8)
    };
    let history = fit(
        &mut store,
        &mut Sgd::new(0.1),
        &data,
        |p, b| model.poisoned_mse(&steps, p, b),
        &config,
        &mut rng,
    )
    .unwrap();
    let skipped: Vec<usize> = history.epochs.iter().map(|m| m.skipped_batches).collect();
    assert_eq!(skipped, [0, 0, 1, 0, 0]);
    assert!(history.epochs.iter().all(|m| m.train_loss.is_finite()));
}
