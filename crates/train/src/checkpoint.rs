//! Checkpoints in the safetensors format: a parameter store saved under its parameter names,
//! so other tools (Python's `safetensors`, PyTorch, candle) can read it, optionally with the
//! state a resumed run needs ([`TrainingState`]: optimiser moments, epoch, data order).
//!
//! Saving is atomic: the bytes go to a temporary file beside the target, are synced to disk,
//! the temporary file is renamed over the target and the folder is synced. A crash leaves
//! either the old checkpoint or the new one, never half of one; a failed save removes its
//! temporary file, and the next save removes those of killed runs.
//!
//! Non-finite values are refused both ways: saving a NaN or an infinity is an error (a
//! diverged run has nothing worth keeping), and so is loading one, unless the caller asks for
//! it with [`ParamStore::load_allowing_non_finite`].

mod atomic;
mod training;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors, View};
use tape::{Float, Tensor};

use crate::params::ParamStore;

pub use training::{TrainingState, decode_training, load_training, save_training};

/// The prefix of the tensors a training checkpoint holds besides the parameters; plain
/// parameter loading skips them.
const STATE_PREFIX: &str = "optimizer/";

/// A checkpoint that could not be written or read, with the file and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointError {
    /// The checkpoint file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl CheckpointError {
    fn new(path: &Path, message: impl Into<String>) -> Self {
        CheckpointError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for CheckpointError {}

/// The safetensors dtype of an element type.
fn dtype_of<T: Float>() -> Dtype {
    match T::NAME {
        "f64" => Dtype::F64,
        _ => Dtype::F32,
    }
}

/// A tensor as safetensors sees it: dtype, shape and little-endian bytes.
struct TensorBytes<'a, T: Float>(&'a Tensor<T>);

impl<T: Float> View for TensorBytes<'_, T> {
    fn dtype(&self) -> Dtype {
        dtype_of::<T>()
    }

    fn shape(&self) -> &[usize] {
        self.0.dims()
    }

    fn data(&self) -> Cow<'_, [u8]> {
        let values = self.0.data();
        let bytes = match dtype_of::<T>() {
            Dtype::F64 => values
                .iter()
                .flat_map(|x| x.to_f64().to_le_bytes())
                .collect(),
            _ => values
                .iter()
                .flat_map(|x| (x.to_f64() as f32).to_le_bytes())
                .collect(),
        };
        Cow::Owned(bytes)
    }

    fn data_len(&self) -> usize {
        self.0.numel() * dtype_of::<T>().bitsize() / 8
    }
}

impl<T: Float> ParamStore<T> {
    /// Saves every parameter under its name, atomically (see the module docs). A parameter
    /// holding a NaN or an infinity is an error naming it, and nothing is written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = self
            .encode(Vec::new(), None)
            .map_err(|m| CheckpointError::new(path, m))?;
        write_file(path, &bytes)
    }

    /// The safetensors bytes of the parameters plus `extra` tensors and `metadata`.
    pub(crate) fn encode(
        &self,
        extra: Vec<(String, &Tensor<T>)>,
        metadata: Option<std::collections::HashMap<String, String>>,
    ) -> Result<Vec<u8>, String> {
        let named = self
            .ids()
            .map(|id| (self.name(id).to_string(), self.value(id)));
        let all: Vec<(String, &Tensor<T>)> = named.chain(extra).collect();
        if let Some((name, t)) = all
            .iter()
            .find(|(_, t)| !t.data().iter().all(|x| x.is_finite()))
        {
            return Err(format!(
                "not saved: '{name}' holds {}; a diverged run leaves nothing worth keeping",
                non_finite_count(t.data())
            ));
        }
        let views = all.iter().map(|(name, t)| (name.clone(), TensorBytes(t)));
        safetensors::serialize(views, metadata).map_err(|e| format!("cannot encode: {e}"))
    }

    /// Loads parameter values saved by [`ParamStore::save`] (or a training checkpoint) into
    /// this store, in place.
    ///
    /// The file must hold exactly this store's parameters, with the same names, shapes and
    /// element type, all finite; otherwise nothing is changed and the error says which tensor
    /// differs and how.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        self.load_checked(path.as_ref(), false)
    }

    /// [`ParamStore::load`] that accepts NaN and infinite values (to inspect a diverged run).
    pub fn load_allowing_non_finite(
        &mut self,
        path: impl AsRef<Path>,
    ) -> Result<(), CheckpointError> {
        self.load_checked(path.as_ref(), true)
    }

    fn load_checked(&mut self, path: &Path, allow_non_finite: bool) -> Result<(), CheckpointError> {
        let bytes = read_file(path)?;
        self.load_bytes(&bytes, allow_non_finite)
            .map_err(|m| CheckpointError::new(path, m))
    }

    /// [`ParamStore::load`] from the bytes of a checkpoint; the error leaves out the file name.
    pub fn load_bytes(&mut self, bytes: &[u8], allow_non_finite: bool) -> Result<(), String> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| {
            format!("not a valid safetensors file ({e}); was it truncated or overwritten?")
        })?;
        let views = self.matching_views(&file, allow_non_finite)?;
        for (id, view) in self.ids().zip(views) {
            read_into(self.value_mut(id).data_mut(), &view);
        }
        Ok(())
    }

    /// The file's tensor for each parameter, in store order, after checking names, dtypes,
    /// shapes and values, so that a mismatch leaves the store untouched.
    fn matching_views<'a>(
        &self,
        file: &SafeTensors<'a>,
        allow_non_finite: bool,
    ) -> Result<Vec<safetensors::tensor::TensorView<'a>>, String> {
        let mut views = Vec::with_capacity(self.len());
        for id in self.ids() {
            let name = self.name(id);
            let view = file.tensor(name).map_err(|_| {
                format!(
                    "missing parameter '{name}' (the file holds: {}); was it saved from a \
                     different model?",
                    sorted_names(file)
                )
            })?;
            check_view::<T>(name, &view, self.value(id).dims(), allow_non_finite)?;
            views.push(view);
        }
        let extra = file
            .names()
            .into_iter()
            .find(|n| self.id(n).is_none() && !n.starts_with(STATE_PREFIX));
        if let Some(extra) = extra {
            return Err(format!(
                "the file holds '{extra}', which is not a parameter of this model"
            ));
        }
        Ok(views)
    }
}

/// Checks one stored tensor's dtype, shape and values against what the model expects.
fn check_view<T: Float>(
    name: &str,
    view: &safetensors::tensor::TensorView<'_>,
    expected: &[usize],
    allow_non_finite: bool,
) -> Result<(), String> {
    let want = dtype_of::<T>();
    if view.dtype() != want {
        return Err(format!(
            "parameter '{name}' is stored as {:?}, expected {want:?}",
            view.dtype()
        ));
    }
    if view.shape() != expected {
        return Err(format!(
            "parameter '{name}' has shape {:?} in the file, the model expects {expected:?}",
            view.shape()
        ));
    }
    if !allow_non_finite {
        let mut values = vec![T::ZERO; expected.iter().product()];
        read_into(&mut values, view);
        if !values.iter().all(|x| x.is_finite()) {
            return Err(format!(
                "parameter '{name}' holds {}: the run that saved it had diverged (load it with \
                 load_allowing_non_finite to inspect it)",
                non_finite_count(&values)
            ));
        }
    }
    Ok(())
}

/// Decodes a stored tensor's little-endian bytes into `target` (same element count).
fn read_into<T: Float>(target: &mut [T], view: &safetensors::tensor::TensorView<'_>) {
    match view.dtype() {
        Dtype::F64 => {
            for (x, b) in target.iter_mut().zip(view.data().chunks_exact(8)) {
                *x = T::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")));
            }
        }
        _ => {
            for (x, b) in target.iter_mut().zip(view.data().chunks_exact(4)) {
                let v = f32::from_le_bytes(b.try_into().expect("4 bytes"));
                *x = T::from_f64(v as f64);
            }
        }
    }
}

/// "3 NaN and 1 infinite values (first at index 5)".
fn non_finite_count<T: Float>(values: &[T]) -> String {
    let nan = values.iter().filter(|x| x.to_f64().is_nan()).count();
    let inf = values.iter().filter(|x| x.to_f64().is_infinite()).count();
    let first = values.iter().position(|x| !x.is_finite()).unwrap_or(0);
    format!("{nan} NaN and {inf} infinite values (first at index {first})")
}

fn sorted_names(file: &SafeTensors<'_>) -> String {
    let mut names = file.names();
    names.sort_unstable();
    names.join(", ")
}

fn read_file(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    std::fs::read(path).map_err(|e| CheckpointError::new(path, format!("cannot read: {e}")))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    atomic::write_atomically(path, bytes)
        .map_err(|e| CheckpointError::new(path, format!("cannot write: {e}")))
}
