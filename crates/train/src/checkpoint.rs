//! Checkpoints in the safetensors format: a parameter store saved under its parameter names,
//! so other tools (Python's `safetensors`, PyTorch, candle) can read it.
//!
//! Saving is atomic: the bytes go to a temporary file beside the target, are flushed to disk,
//! and the temporary file is then renamed over the target. A crash leaves either the old
//! checkpoint or the new one, never half of one.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors, View};
use tape::{Float, Tensor};

use crate::params::ParamStore;

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
    /// Saves every parameter under its name, atomically (temporary file, flush, rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let tensors = self
            .ids()
            .map(|id| (self.name(id).to_string(), TensorBytes(self.value(id))));
        let bytes = safetensors::serialize(tensors, None)
            .map_err(|e| CheckpointError::new(path, format!("cannot encode: {e}")))?;
        write_atomically(path, &bytes)
            .map_err(|e| CheckpointError::new(path, format!("cannot write: {e}")))
    }

    /// Loads parameter values saved by [`ParamStore::save`] into this store, in place.
    ///
    /// The file must hold exactly this store's parameters, with the same names, shapes and
    /// element type; otherwise nothing is changed and the error says which tensor differs
    /// and how.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| CheckpointError::new(path, format!("cannot read: {e}")))?;
        let file = SafeTensors::deserialize(&bytes).map_err(|e| {
            CheckpointError::new(
                path,
                format!("not a valid safetensors file ({e}); was it truncated or overwritten?"),
            )
        })?;
        let want = dtype_of::<T>();
        // Validate everything first, so a mismatch leaves the store untouched.
        let mut views = Vec::with_capacity(self.len());
        for id in self.ids() {
            let name = self.name(id);
            let view = file.tensor(name).map_err(|_| {
                CheckpointError::new(
                    path,
                    format!(
                        "missing parameter '{name}' (the file holds: {}); was it saved from a \
                         different model?",
                        sorted_names(&file)
                    ),
                )
            })?;
            if view.dtype() != want {
                return Err(CheckpointError::new(
                    path,
                    format!(
                        "parameter '{name}' is stored as {:?}, expected {want:?}",
                        view.dtype()
                    ),
                ));
            }
            let expected = self.value(id).dims();
            if view.shape() != expected {
                return Err(CheckpointError::new(
                    path,
                    format!(
                        "parameter '{name}' has shape {:?} in the file, the model expects {:?}",
                        view.shape(),
                        expected
                    ),
                ));
            }
            views.push(view);
        }
        if let Some(extra) = file.names().into_iter().find(|n| self.id(n).is_none()) {
            return Err(CheckpointError::new(
                path,
                format!("the file holds '{extra}', which is not a parameter of this model"),
            ));
        }
        for (id, view) in self.ids().zip(views) {
            let target = self.value_mut(id).data_mut();
            match want {
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
        Ok(())
    }
}

fn sorted_names(file: &SafeTensors<'_>) -> String {
    let mut names = file.names();
    names.sort_unstable();
    names.join(", ")
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path has no file name"))?;
    let mut tmp_name = file_name.to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
