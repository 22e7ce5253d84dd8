//! The classifier convenience: softmax cross-entropy on a [`Dataset`], with accuracy, as a
//! few lines on top of the generic [`Fit`].

use std::cell::Cell;

use rand::Rng;
use tape::Tape;

use super::{Fit, FitConfig, FitError, History, checked_step};
use crate::data::{Batch, BatchLoader, Dataset, LabelledBatch};
use crate::layers::Module;
use crate::loss::{count_correct, softmax_cross_entropy};
use crate::optim::Optimizer;
use crate::params::ParamStore;

/// Mean softmax cross-entropy and accuracy of `model` on `data`, in batches of `batch_size`,
/// with the parameters bound as constants (no gradients). Returns `(NaN, NaN)` for no data.
pub fn evaluate<M: Module>(
    model: &M,
    store: &ParamStore,
    data: &Dataset,
    batch_size: usize,
) -> (f64, f64) {
    if data.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut tape = Tape::new();
    let mut loader = BatchLoader::new(batch_size);
    loader.in_order(data.len());
    let (mut loss_sum, mut correct) = (0.0, 0);
    while let Some(batch) = loader.next_batch(data) {
        tape.reset();
        let params = store.bind_frozen(&tape);
        let logits = model.forward(&params, tape.constant(batch.inputs.clone()));
        let loss = softmax_cross_entropy(logits, batch.labels);
        loss_sum += loss.item() as f64 * batch.labels.len() as f64;
        correct += count_correct(&logits.value(), batch.labels);
    }
    let n = data.len() as f64;
    (loss_sum / n, correct as f64 / n)
}

/// Trains a classifier `model` (inputs to logits) with softmax cross-entropy: [`Fit::run`]
/// on `train`, measuring after each epoch the training accuracy (over the epoch's batches,
/// as the weights changed) and the loss and accuracy on `validation` (see [`evaluate`]).
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use train::fit::{FitConfig, fit_classifier};
/// use train::{Activation, Adam, Mlp, ParamStore, synth::GaussianMixture};
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let blobs = GaussianMixture::ring(3, 2.0, 0.3);
/// let (train, validation) = (blobs.sample(300, &mut rng), blobs.sample(100, &mut rng));
/// let mut store = ParamStore::new();
/// let model = Mlp::new(&mut store, "mlp", &[2, 16, 3], Activation::Tanh, &mut rng);
/// let config = FitConfig { epochs: 5, progress: false, verbose: false, ..FitConfig::default() };
/// let history = fit_classifier(
///     &model, &mut store, &mut Adam::new(0.05), &train, &validation, &config, &mut rng,
/// )
/// .unwrap();
/// assert!(history.last().unwrap().val_accuracy > 0.95);
/// ```
pub fn fit_classifier<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    train: &Dataset,
    validation: &Dataset,
    config: &FitConfig,
    rng: &mut impl Rng,
) -> Result<History, FitError> {
    // (correct, seen) over the epoch: counted by the loss, read and reset by the metrics.
    let counts = Cell::new((0usize, 0usize));
    let eval_batch = config.batch_size.max(256);
    Fit::new(config)
        .metrics(|store| {
            let (correct, seen) = counts.replace((0, 0));
            let (val_loss, val_accuracy) = evaluate(model, store, validation, eval_batch);
            [
                ("train_accuracy", correct as f64 / seen.max(1) as f64),
                ("val_loss", val_loss),
                ("val_accuracy", val_accuracy),
            ]
        })
        .run(
            store,
            optimizer,
            train,
            |p, batch: &LabelledBatch| {
                let logits = model.forward(p, p.tape().constant(batch.inputs.clone()));
                let (correct, seen) = counts.get();
                let batch_correct = count_correct(&logits.value(), &batch.labels);
                counts.set((correct + batch_correct, seen + batch.labels.len()));
                softmax_cross_entropy(logits, &batch.labels)
            },
            rng,
        )
}

/// One training step of a classifier on a [`BatchLoader`]'s batch, as [`fit_classifier`]
/// takes it: [`checked_step`] on the mean softmax cross-entropy. Returns the batch's loss and
/// how many of its rows were classified correctly. A steady step allocates nothing.
pub fn train_step<M: Module, O: Optimizer>(
    model: &M,
    store: &mut ParamStore,
    optimizer: &mut O,
    tape: &mut Tape<f32>,
    batch: &Batch<'_>,
    clip_grad_norm: Option<f64>,
) -> Result<(f64, usize), String> {
    let (inputs, labels) = (batch.inputs, batch.labels);
    let mut correct = 0;
    let loss = checked_step(store, optimizer, tape, clip_grad_norm, |p| {
        let logits = model.forward(p, p.tape().constant(inputs.clone()));
        correct = count_correct(&logits.value(), labels);
        softmax_cross_entropy(logits, labels)
    })?;
    Ok((loss, correct))
}
