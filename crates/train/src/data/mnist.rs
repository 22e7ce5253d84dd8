//! MNIST from a folder of IDX files, or the built-in digit renderer when there is none.

use std::path::{Path, PathBuf};

use rand::Rng;

use super::idx::{read_images, read_labels};
use super::{DataError, Dataset, synth};

/// How many of the test set's images train the model when only the two `t10k` files are given
/// (the remaining ones validate it).
pub const T10K_TRAIN: usize = 8000;

/// A training set, a validation set and where they came from.
#[derive(Clone, Debug)]
pub struct DigitData {
    /// Examples to train on: inputs `[n, 784]` in `[0, 1]`, labels 0-9.
    pub train: Dataset,
    /// Examples to validate on.
    pub validation: Dataset,
    /// A one-line description for the user, e.g. `MNIST t10k (first 8000 train, last 2000
    /// validate)`.
    pub source: String,
}

/// The path of one MNIST file in `dir`, accepting the usual spellings
/// (`t10k-images-idx3-ubyte`, `t10k-images.idx3-ubyte`, each optionally `.gz`).
pub fn find_mnist_file(dir: &Path, set: &str, kind: &str) -> Option<PathBuf> {
    let rank = if kind == "images" { 3 } else { 1 };
    let stems = [
        format!("{set}-{kind}-idx{rank}-ubyte"),
        format!("{set}-{kind}.idx{rank}-ubyte"),
    ];
    stems
        .iter()
        .flat_map(|s| [s.clone(), format!("{s}.gz")])
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// Reads one MNIST set (`"train"` or `"t10k"`) from `dir`: inputs `[n, rows * cols]` scaled to
/// `[0, 1]`, labels 0-9. Checks that both files exist and agree with each other.
pub fn read_mnist_set(dir: &Path, set: &str) -> Result<Dataset, DataError> {
    read_set(dir, set).map(|(data, _)| data)
}

/// [`read_mnist_set`], also returning the image size `(rows, cols)`.
fn read_set(dir: &Path, set: &str) -> Result<(Dataset, (usize, usize)), DataError> {
    let images = find_mnist_file(dir, set, "images");
    let labels = find_mnist_file(dir, set, "labels");
    let (images_path, labels_path) = match (images, labels) {
        (Some(i), Some(l)) => (i, l),
        (i, _) => {
            let missing = if i.is_none() {
                "images-idx3"
            } else {
                "labels-idx1"
            };
            return Err(DataError::new(
                dir,
                format!(
                    "missing {set}-{missing}-ubyte (or .gz): {}",
                    folder_listing(dir)
                ),
            ));
        }
    };
    let pixels = read_images(&images_path)?;
    let (n, rows, cols) = (pixels.dims()[0], pixels.dims()[1], pixels.dims()[2]);
    if n == 0 {
        return Err(DataError::new(
            &images_path,
            "holds 0 images: nothing to train or validate on",
        ));
    }
    if rows == 0 || cols == 0 {
        return Err(DataError::new(
            &images_path,
            format!("its images have {rows} x {cols} pixels: an image needs at least one"),
        ));
    }
    let labels = read_labels(&labels_path)?;
    if n != labels.len() {
        return Err(DataError::new(
            &labels_path,
            format!(
                "{} labels for the {n} images of {}: the files do not belong together",
                labels.len(),
                images_path.display()
            ),
        ));
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|&(_, &l)| l > 9) {
        return Err(DataError::new(
            &labels_path,
            format!("label {l} at position {i} is not a digit 0-9"),
        ));
    }
    let data = Dataset::new(pixels.reshape([n, rows * cols]), labels, 10);
    Ok((data, (rows, cols)))
}

/// The image file of a set, for messages (it exists: the set was read).
fn images_file(dir: &Path, set: &str) -> String {
    find_mnist_file(dir, set, "images").map_or_else(|| set.to_string(), |p| p.display().to_string())
}

/// Reads MNIST from `dir`: with the four standard files, the 60,000 training images train and
/// the 10,000 test images validate; with only the two `t10k` files, the first 8,000 test
/// images train and the last 2,000 validate.
pub fn load_mnist(dir: &Path) -> Result<DigitData, DataError> {
    if !dir.is_dir() {
        return Err(DataError::new(
            dir,
            "not a folder; --data expects the folder that holds the MNIST IDX files",
        ));
    }
    let has = |set| {
        find_mnist_file(dir, set, "images").is_some()
            || find_mnist_file(dir, set, "labels").is_some()
    };
    match (has("train"), has("t10k")) {
        (true, true) => {
            let (train, train_size) = read_set(dir, "train")?;
            let (validation, test_size) = read_set(dir, "t10k")?;
            if train_size != test_size {
                return Err(DataError::new(
                    images_file(dir, "t10k"),
                    format!(
                        "its images are {} x {} pixels but those of {} are {} x {}: the train \
                         and t10k sets must have images of one size",
                        test_size.0,
                        test_size.1,
                        images_file(dir, "train"),
                        train_size.0,
                        train_size.1
                    ),
                ));
            }
            Ok(DigitData {
                train,
                validation,
                source: format!(
                    "MNIST from {} (train set, validated on t10k)",
                    dir.display()
                ),
            })
        }
        (false, true) => {
            let test = read_mnist_set(dir, "t10k")?;
            if test.len() < 2 {
                return Err(DataError::new(
                    images_file(dir, "t10k"),
                    format!(
                        "holds {} image: without the train- files the first 4/5 of t10k train \
                         and the rest validate, which needs at least 2 images",
                        test.len()
                    ),
                ));
            }
            let n_train = T10K_TRAIN.min(test.len() * 4 / 5);
            let (train, validation) = test.split_at(n_train);
            Ok(DigitData {
                source: format!(
                    "MNIST t10k from {} (first {} train, last {} validate)",
                    dir.display(),
                    train.len(),
                    validation.len()
                ),
                train,
                validation,
            })
        }
        (true, false) => Err(DataError::new(
            dir,
            format!(
                "found train files but no t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte (or \
                 .gz) to validate on: {}",
                folder_listing(dir)
            ),
        )),
        (false, false) => Err(DataError::new(
            dir,
            format!(
                "no MNIST files: expected t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (or \
                 .gz), and optionally the two train- files; {}",
                folder_listing(dir)
            ),
        )),
    }
}

/// The built-in MNIST-style digits ([`synth::digits`]): `train` examples to train on and
/// `validation` more to validate on, all drawn from `rng`.
pub fn builtin_digits(train: usize, validation: usize, rng: &mut impl Rng) -> DigitData {
    let all = synth::digits(train + validation, rng);
    let (train, validation) = all.split_at(train);
    DigitData {
        source: format!(
            "built-in MNIST-style digits ({} train, {} validate)",
            train.len(),
            validation.len()
        ),
        train,
        validation,
    }
}

/// MNIST from `dir` when given ([`load_mnist`]), else 10,000 + 2,000 built-in digits
/// ([`builtin_digits`]): the data source of the MNIST examples.
pub fn load_digits(dir: Option<&Path>, rng: &mut impl Rng) -> Result<DigitData, DataError> {
    match dir {
        Some(dir) => load_mnist(dir),
        None => Ok(builtin_digits(10_000, 2_000, rng)),
    }
}

/// "the folder contains: a, b, c" (or "the folder is empty"), to show what was found instead.
fn folder_listing(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    const SHOWN: usize = 10;
    match names.len() {
        0 => "the folder is empty".into(),
        n if n <= SHOWN => format!("the folder contains: {}", names.join(", ")),
        n => format!(
            "the folder contains: {}, ... ({} more)",
            names[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}
