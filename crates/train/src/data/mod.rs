//! Data: labelled datasets, a seeded mini-batch loader, the IDX (MNIST) reader and built-in
//! generators for offline runs.

mod batches;
pub mod idx;
pub mod mnist;
pub mod synth;

pub use batches::{Batches, LabelledBatch, Supervised, SupervisedBatch};

use std::fmt;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::seq::SliceRandom;
use tape::{Float, Shape, Tensor};

/// An error reading data, naming the file (or folder) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file or folder concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl DataError {
    /// An error about `path`.
    pub fn new(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        DataError {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for DataError {}

/// A labelled dataset: inputs `[n, ...features]` (row `i` is example `i`) and one class label
/// per example.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// Inputs, one example per row of the first axis.
    pub inputs: Tensor<f32>,
    /// Class labels in `0..classes`.
    pub labels: Vec<usize>,
    /// The number of classes.
    pub classes: usize,
}

impl Dataset {
    /// A dataset from inputs `[n, ...]`, `n` labels and the class count.
    ///
    /// Panics when the counts disagree or a label is out of range (a programming error; file
    /// input is validated by the readers, which return errors instead).
    pub fn new(inputs: Tensor<f32>, labels: Vec<usize>, classes: usize) -> Self {
        assert!(
            inputs.rank() >= 1 && inputs.dims()[0] == labels.len(),
            "Dataset::new: inputs of shape {} for {} labels",
            inputs.shape(),
            labels.len()
        );
        if let Some(bad) = labels.iter().find(|&&l| l >= classes) {
            panic!("Dataset::new: label {bad} out of range for {classes} classes");
        }
        Dataset {
            inputs,
            labels,
            classes,
        }
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of input values per example (784 for MNIST).
    pub fn features(&self) -> usize {
        self.inputs.dims()[1..].iter().product()
    }

    /// The examples at `indices`, in that order (copied).
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            inputs: self.inputs.index_select(0, indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        }
    }

    /// The first `n` examples and the rest.
    pub fn split_at(&self, n: usize) -> (Dataset, Dataset) {
        let n = n.min(self.len());
        let head: Vec<usize> = (0..n).collect();
        let tail: Vec<usize> = (n..self.len()).collect();
        (self.subset(&head), self.subset(&tail))
    }

    /// A random split: `validation` examples drawn without replacement for validation, the
    /// rest (in their original order) for training.
    pub fn random_split(&self, validation: usize, rng: &mut impl Rng) -> (Dataset, Dataset) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(rng);
        let validation = validation.min(self.len());
        let (val, train) = order.split_at_mut(validation);
        train.sort_unstable();
        (self.subset(train), self.subset(val))
    }
}

/// A batch lent by a [`BatchLoader`]: views into its reusable buffers.
#[derive(Debug)]
pub struct Batch<'a> {
    /// Inputs `[rows, ...features]`.
    pub inputs: &'a Tensor<f32>,
    /// The examples' labels.
    pub labels: &'a [usize],
    /// The examples' positions in the dataset (to fetch other per-example data).
    pub indices: &'a [usize],
}

/// Mini-batches over a [`Dataset`], shuffled per epoch by a seeded generator.
///
/// The loader owns its index order and batch buffers and refills them in place, so iterating
/// allocates nothing after the first epoch. A batch borrows the loader; clone
/// `batch.inputs` (cheap) to record it on a tape, and reset the tape before asking for the next
/// batch so the buffer is not shared when it is refilled.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use tape::Tensor;
/// use train::{BatchLoader, Dataset};
///
/// let data = Dataset::new(Tensor::arange(10).reshape([5, 2]), vec![0, 1, 0, 1, 0], 2);
/// let mut rng = StdRng::seed_from_u64(7);
/// let mut loader = BatchLoader::new(2);
/// loader.shuffle(data.len(), &mut rng);
/// let mut seen = Vec::new();
/// while let Some(batch) = loader.next_batch(&data) {
///     seen.extend_from_slice(batch.indices);
/// }
/// seen.sort();
/// assert_eq!(seen, vec![0, 1, 2, 3, 4]); // every example once per epoch; the last batch has 1
/// ```
#[derive(Debug)]
pub struct BatchLoader {
    batch_size: usize,
    drop_last: bool,
    order: Vec<usize>,
    cursor: usize,
    full: Option<Tensor<f32>>,
    tail: Option<Tensor<f32>>,
    labels: Vec<usize>,
}

impl BatchLoader {
    /// A loader of `batch_size` examples per batch; a smaller last batch is kept.
    pub fn new(batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "BatchLoader::new: batch size must be positive"
        );
        BatchLoader {
            batch_size,
            drop_last: false,
            order: Vec::new(),
            cursor: 0,
            full: None,
            tail: None,
            labels: Vec::with_capacity(batch_size),
        }
    }

    /// Whether to skip a last batch smaller than the batch size.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The example order of the current epoch (dataset positions).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The number of batches an epoch over `len` examples yields.
    pub fn batches_per_epoch(&self, len: usize) -> usize {
        if self.drop_last {
            len / self.batch_size
        } else {
            len.div_ceil(self.batch_size)
        }
    }

    /// Starts an epoch over `len` examples in a fresh random order drawn from `rng`.
    pub fn shuffle(&mut self, len: usize, rng: &mut impl Rng) {
        self.in_order(len);
        self.order.shuffle(rng);
    }

    /// Starts an epoch over `len` examples in their stored order (for evaluation).
    pub fn in_order(&mut self, len: usize) {
        self.order.clear();
        self.order.extend(0..len);
        self.cursor = 0;
    }

    /// The dataset positions of the epoch's next batch, or `None` when the epoch is over: what
    /// [`fit`](crate::fit()) hands to [`Batches::fill`].
    pub fn next_indices(&mut self) -> Option<&[usize]> {
        let remaining = self.order.len() - self.cursor;
        let rows = remaining.min(self.batch_size);
        if rows == 0 || (self.drop_last && rows < self.batch_size) {
            return None;
        }
        self.cursor += rows;
        Some(&self.order[self.cursor - rows..self.cursor])
    }

    /// The next batch of the epoch, or `None` when the epoch is over.
    ///
    /// Panics if `data` is smaller than the length the epoch was started with.
    pub fn next_batch<'a>(&'a mut self, data: &Dataset) -> Option<Batch<'a>> {
        let remaining = self.order.len() - self.cursor;
        let rows = remaining.min(self.batch_size);
        if rows == 0 || (self.drop_last && rows < self.batch_size) {
            return None;
        }
        let indices = &self.order[self.cursor..self.cursor + rows];
        self.cursor += rows;
        let slot = if rows == self.batch_size {
            &mut self.full
        } else {
            &mut self.tail
        };
        let buffer = batch_buffer(slot, rows, data.inputs.dims());
        let width = data.features();
        let src = data.inputs.data();
        let dst = buffer.data_mut();
        let row_of = |i: usize| &src[i * width..(i + 1) * width];
        for (k, (row, &i)) in dst.chunks_exact_mut(width.max(1)).zip(indices).enumerate() {
            if let Some(&ahead) = indices.get(k + PREFETCH_ROWS) {
                prefetch(row_of(ahead));
            }
            row.copy_from_slice(row_of(i));
        }
        self.labels.clear();
        self.labels.extend(indices.iter().map(|&i| data.labels[i]));
        Some(Batch {
            inputs: buffer,
            labels: &self.labels,
            indices,
        })
    }
}

/// How many rows ahead of its copy a batch row is requested from memory. Shuffled rows sit
/// anywhere in a dataset larger than the caches, and a row copied cold waits on each of its
/// cache lines in turn: the gathering took 5% of the MNIST MLP example's main thread.
const PREFETCH_ROWS: usize = 2;

/// Asks the cache for every line of `row`: a hint only, which reads nothing and never faults.
fn prefetch<T: Float>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(64 / size_of::<T>()) {
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch cannot fault.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast::<i8>(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// The reusable buffer for batches of `rows` examples shaped like `dataset_dims` (first axis
/// replaced), created on first use or when the dataset's shape changes.
fn batch_buffer<'a>(
    slot: &'a mut Option<Tensor<f32>>,
    rows: usize,
    dataset_dims: &[usize],
) -> &'a mut Tensor<f32> {
    let fits = slot
        .as_ref()
        .is_some_and(|t| t.dims()[0] == rows && t.dims()[1..] == dataset_dims[1..]);
    if !fits {
        let mut dims = dataset_dims.to_vec();
        dims[0] = rows;
        *slot = Some(Tensor::zeros(Shape::from(dims)));
    }
    slot.as_mut().expect("filled above")
}
