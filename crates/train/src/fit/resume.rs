//! Checkpoints of a `fit` run: what is saved between epochs, and how a run continues from it
//! so that it ends bit for bit where an uninterrupted run would.

use std::path::Path;

use rand::Rng;
use tape::Float;

use super::{FitConfig, FitError, History};
use crate::checkpoint::{TrainingState, load_training, save_training};
use crate::data::BatchLoader;
use crate::optim::Optimizer;
use crate::params::ParamStore;

/// An FNV-1a hash of an example order: enough to tell two shuffles apart.
fn fingerprint(order: &[usize]) -> u64 {
    order.iter().fold(0xcbf2_9ce4_8422_2325, |h, &i| {
        (h ^ i as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Writes the training checkpoint after the epochs of `history`, whose last shuffle is the
/// loader's current order.
pub(super) fn save<T: Float, O: Optimizer<T>>(
    path: &Path,
    store: &ParamStore<T>,
    optimizer: &O,
    loader: &BatchLoader,
    examples: usize,
    history: &History,
) -> Result<(), FitError> {
    let optimizer = optimizer.state().ok_or_else(|| {
        FitError::Output(format!(
            "{}: this optimiser cannot be checkpointed (Optimizer::state returns None)",
            path.display()
        ))
    })?;
    let epoch = history.epochs.len();
    let state = TrainingState {
        epoch,
        optimizer,
        shuffles: epoch,
        order_fingerprint: fingerprint(loader.order()),
        batch_size: loader.batch_size(),
        examples,
        history: history.clone(),
    };
    save_training(path, store, &state).map_err(|e| FitError::Output(e.to_string()))
}

/// Restores the run saved at `path`: parameters into `store`, the optimiser's state, and the
/// generator's position (by drawing the saved number of epoch shuffles again, and checking
/// the last one against the checkpoint). Returns the metrics of the epochs done.
pub(super) fn restore<T: Float, O: Optimizer<T>>(
    path: &Path,
    store: &mut ParamStore<T>,
    optimizer: &mut O,
    loader: &mut BatchLoader,
    examples: usize,
    config: &FitConfig,
    rng: &mut impl Rng,
) -> Result<History, FitError> {
    let fail = |m: String| FitError::Resume(format!("{}: {m}", path.display()));
    let state = load_training(path, store, false).map_err(|e| FitError::Resume(e.to_string()))?;
    if state.examples != examples || state.batch_size != config.batch_size {
        return Err(fail(format!(
            "the run that wrote it trained on {} examples in batches of {}, this one on {} in \
             batches of {}: resume with the same data and --batch-size",
            state.examples, state.batch_size, examples, config.batch_size
        )));
    }
    if state.history.epochs.len() != state.epoch || state.shuffles != state.epoch {
        return Err(fail("its epoch count and metrics disagree".into()));
    }
    if state.epoch > config.epochs {
        return Err(fail(format!(
            "it is {} epochs into training, past the {} asked for (--epochs counts every \
             epoch, those before the checkpoint included)",
            state.epoch, config.epochs
        )));
    }
    optimizer
        .load_state(state.optimizer, store)
        .map_err(&fail)?;
    for _ in 0..state.shuffles {
        loader.shuffle(examples, rng);
    }
    if state.shuffles > 0 && fingerprint(loader.order()) != state.order_fingerprint {
        return Err(fail(
            "this run draws a different example order than the one that wrote it: resume \
             with the same --seed, data and model (the generator must be used as it was \
             before training)"
                .into(),
        ));
    }
    if config.verbose {
        println!(
            "resumed from {} after epoch {} ({} optimiser steps)",
            path.display(),
            state.epoch,
            optimizer.steps()
        );
    }
    Ok(state.history)
}
