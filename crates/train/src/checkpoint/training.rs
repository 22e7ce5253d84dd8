//! Training checkpoints: the parameters under their own names (any safetensors reader loads
//! them as a model), plus the optimiser's tensors under `optimizer/{role}/{parameter}` and,
//! in the file's metadata, what else a resumed run needs to continue bit for bit: the
//! optimiser's kind and step count, the epochs done, the data order so far and the metrics.

use std::collections::HashMap;
use std::path::Path;

use safetensors::SafeTensors;
use tape::{Float, Tensor};

use super::{CheckpointError, STATE_PREFIX, check_view, read_file, read_into, write_file};
use crate::fit::History;
use crate::optim::OptimizerState;
use crate::params::ParamStore;

/// What the metadata's `format` key holds in a training checkpoint.
const FORMAT: &str = "lossgraph training checkpoint 1";

/// Everything a run needs to continue where a checkpoint left it, besides the parameters.
///
/// Checkpoints are taken between epochs, so the data loader's position is the start of epoch
/// `epoch + 1`. The random generator's position is the number of epoch shuffles drawn from it:
/// a resumed run, whose generator is seeded and used as the original's was up to training,
/// draws them again (cheap) and checks the last order against `order_fingerprint`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingState<T: Float = f32> {
    /// Epochs completed.
    pub epoch: usize,
    /// The optimiser's kind, step count and moments.
    pub optimizer: OptimizerState<T>,
    /// Epoch shuffles drawn from the run's generator (its position).
    pub shuffles: usize,
    /// A fingerprint of the last epoch's example order.
    pub order_fingerprint: u64,
    /// Examples per step.
    pub batch_size: usize,
    /// Examples in the training set.
    pub examples: usize,
    /// The metrics of the epochs completed.
    pub history: History,
}

/// Saves the parameters of `store` with `state`, atomically; non-finite values are refused.
pub fn save_training<T: Float>(
    path: impl AsRef<Path>,
    store: &ParamStore<T>,
    state: &TrainingState<T>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let extra = state
        .optimizer
        .tensors
        .iter()
        .map(|(role, id, t)| (format!("{STATE_PREFIX}{role}/{}", store.name(*id)), t))
        .collect();
    let metadata = HashMap::from([
        ("format".to_string(), FORMAT.to_string()),
        ("epoch".to_string(), state.epoch.to_string()),
        ("optimizer".to_string(), state.optimizer.kind.clone()),
        (
            "optimizer_steps".to_string(),
            state.optimizer.steps.to_string(),
        ),
        ("shuffles".to_string(), state.shuffles.to_string()),
        (
            "order_fingerprint".to_string(),
            state.order_fingerprint.to_string(),
        ),
        ("batch_size".to_string(), state.batch_size.to_string()),
        ("examples".to_string(), state.examples.to_string()),
        ("history".to_string(), state.history.to_csv()),
    ]);
    let bytes = store
        .encode(extra, Some(metadata))
        .map_err(|m| CheckpointError::new(path, m))?;
    write_file(path, &bytes)
}

/// Loads a checkpoint written by [`save_training`]: the parameters go into `store` (checked
/// as by [`ParamStore::load`]), the rest is returned. Nothing changes on an error.
pub fn load_training<T: Float>(
    path: impl AsRef<Path>,
    store: &mut ParamStore<T>,
    allow_non_finite: bool,
) -> Result<TrainingState<T>, CheckpointError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    decode_training(&bytes, store, allow_non_finite).map_err(|m| CheckpointError::new(path, m))
}

/// [`load_training`] from the bytes of a checkpoint; the error leaves out the file name.
pub fn decode_training<T: Float>(
    bytes: &[u8],
    store: &mut ParamStore<T>,
    allow_non_finite: bool,
) -> Result<TrainingState<T>, String> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| {
        format!("not a valid safetensors file ({e}); was it truncated or overwritten?")
    })?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(
            "a checkpoint of parameters only: resuming needs one written during training \
             (--save with --save-every, or fit with FitConfig::checkpoint)"
                .into(),
        );
    }
    let number = |key: &str| -> Result<usize, String> {
        let value = meta.get(key).ok_or(format!("the metadata lacks '{key}'"))?;
        value
            .parse()
            .map_err(|_| format!("the metadata's '{key}' is not a count: {value:?}"))
    };
    let (epoch, steps, shuffles) = (
        number("epoch")?,
        number("optimizer_steps")?,
        number("shuffles")?,
    );
    let (batch_size, examples) = (number("batch_size")?, number("examples")?);
    let order_fingerprint = meta
        .get("order_fingerprint")
        .and_then(|v| v.parse().ok())
        .ok_or("the metadata's 'order_fingerprint' is missing or not a number")?;
    let history = History::from_csv(meta.get("history").map_or("", String::as_str))
        .map_err(|e| format!("the metadata's history: {e}"))?;
    let kind = meta
        .get("optimizer")
        .cloned()
        .ok_or("the metadata lacks 'optimizer'")?;
    let file = SafeTensors::deserialize(bytes)
        .map_err(|e| format!("not a valid safetensors file ({e})"))?;
    let mut tensors = Vec::new();
    for name in file.names() {
        let Some(rest) = name.strip_prefix(STATE_PREFIX) else {
            continue;
        };
        let (role, param) = rest
            .split_once('/')
            .ok_or(format!("'{name}' names no parameter"))?;
        let id = store.id(param).ok_or(format!(
            "'{name}' is the state of '{param}', which this model lacks"
        ))?;
        let view = file.tensor(name).map_err(|e| e.to_string())?;
        let dims = store.value(id).dims().to_vec();
        check_view::<T>(name, &view, &dims, allow_non_finite)?;
        let mut t = Tensor::zeros(dims);
        read_into(t.data_mut(), &view);
        tensors.push((role.to_string(), id, t));
    }
    // Parameters last: an error above leaves the store untouched.
    store.load_bytes(bytes, allow_non_finite)?;
    Ok(TrainingState {
        epoch,
        optimizer: OptimizerState {
            kind,
            steps,
            tensors,
        },
        shuffles,
        order_fingerprint,
        batch_size,
        examples,
        history,
    })
}
