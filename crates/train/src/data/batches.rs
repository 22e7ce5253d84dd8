//! What [`fit`](crate::fit()) draws mini-batches from: any data that can gather the examples at
//! some indices into a batch it refills in place, so a steady training step allocates nothing.

use tape::{Float, Shape, Tensor};

use super::Dataset;

/// Training data [`fit`](crate::fit()) can draw mini-batches from.
///
/// `fit` owns one [`Batches::Batch`] for the whole run and asks [`Batches::fill`] to refill it
/// with the examples of each step, so an implementation that reuses the batch's buffers makes
/// training allocate nothing per step. The loss closure reads the batch by reference.
///
/// ```
/// use tape::Tensor;
/// use train::data::Batches;
///
/// /// Scalar samples, batched as a vector.
/// struct Samples(Vec<f64>);
///
/// impl Batches for Samples {
///     type Batch = Vec<f64>;
///     fn len(&self) -> usize {
///         self.0.len()
///     }
///     fn fill(&self, indices: &[usize], batch: &mut Vec<f64>) {
///         batch.clear(); // keeps its capacity
///         batch.extend(indices.iter().map(|&i| self.0[i]));
///     }
/// }
///
/// let data = Samples(vec![1.0, 2.0, 3.0]);
/// let mut batch = Vec::new();
/// data.fill(&[2, 0], &mut batch);
/// assert_eq!(batch, [3.0, 1.0]);
/// ```
pub trait Batches {
    /// One mini-batch: created empty once, then refilled for every step.
    type Batch: Default;

    /// The number of examples.
    fn len(&self) -> usize;

    /// Whether there is no example.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces the contents of `batch` with the examples at `indices`, in that order.
    fn fill(&self, indices: &[usize], batch: &mut Self::Batch);
}

/// A batch of a [`Dataset`]: inputs, labels and the examples' positions, refilled in place.
#[derive(Clone, Debug)]
pub struct LabelledBatch {
    /// Inputs `[rows, ...features]`.
    pub inputs: Tensor<f32>,
    /// The examples' labels.
    pub labels: Vec<usize>,
    /// The examples' positions in the dataset (to fetch other per-example data).
    pub indices: Vec<usize>,
    /// The buffer of the other batch size (a short last batch alternates with full ones).
    spare: Tensor<f32>,
}

impl Default for LabelledBatch {
    fn default() -> Self {
        LabelledBatch {
            inputs: Tensor::zeros([0]),
            labels: Vec::new(),
            indices: Vec::new(),
            spare: Tensor::zeros([0]),
        }
    }
}

impl Batches for Dataset {
    type Batch = LabelledBatch;

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn fill(&self, indices: &[usize], batch: &mut LabelledBatch) {
        gather_rows(&self.inputs, indices, &mut batch.inputs, &mut batch.spare);
        batch.labels.clear();
        batch.labels.extend(indices.iter().map(|&i| self.labels[i]));
        batch.indices.clear();
        batch.indices.extend_from_slice(indices);
    }
}

/// Inputs and targets of any float type, one example per row of each (regression,
/// autoencoders: anything whose targets are numbers).
///
/// ```
/// use tape::Tensor;
/// use train::data::{Batches, Supervised};
///
/// let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0], [3, 1]);
/// let data = Supervised::new(x.clone(), x.map(|v| 2.0 * v)).unwrap();
/// let mut batch = Default::default();
/// data.fill(&[2, 0], &mut batch);
/// assert_eq!(batch.targets.data(), &[6.0, 2.0]);
/// assert!(Supervised::new(x, Tensor::zeros([2])).is_err()); // 3 inputs, 2 targets
/// ```
#[derive(Clone, Debug)]
pub struct Supervised<T: Float = f32> {
    /// Inputs `[n, ...]`.
    pub inputs: Tensor<T>,
    /// Targets `[n, ...]`.
    pub targets: Tensor<T>,
}

impl<T: Float> Supervised<T> {
    /// Pairs inputs with targets; an error names both shapes when their row counts differ.
    pub fn new(inputs: Tensor<T>, targets: Tensor<T>) -> Result<Self, String> {
        let rows = |t: &Tensor<T>| t.dims().first().copied();
        if inputs.rank() == 0 || rows(&inputs) != rows(&targets) {
            return Err(format!(
                "Supervised::new: inputs of shape {} and targets of shape {} do not have one \
                 row per example each",
                inputs.shape(),
                targets.shape()
            ));
        }
        Ok(Supervised { inputs, targets })
    }
}

/// A batch of [`Supervised`] data, refilled in place.
#[derive(Clone, Debug)]
pub struct SupervisedBatch<T: Float = f32> {
    /// Inputs `[rows, ...]`.
    pub inputs: Tensor<T>,
    /// Targets `[rows, ...]`.
    pub targets: Tensor<T>,
    /// The examples' positions in the data.
    pub indices: Vec<usize>,
    spares: [Tensor<T>; 2],
}

impl<T: Float> Default for SupervisedBatch<T> {
    fn default() -> Self {
        SupervisedBatch {
            inputs: Tensor::zeros([0]),
            targets: Tensor::zeros([0]),
            indices: Vec::new(),
            spares: [Tensor::zeros([0]), Tensor::zeros([0])],
        }
    }
}

impl<T: Float> Batches for Supervised<T> {
    type Batch = SupervisedBatch<T>;

    fn len(&self) -> usize {
        self.inputs.dims()[0]
    }

    fn fill(&self, indices: &[usize], batch: &mut SupervisedBatch<T>) {
        let [x, y] = &mut batch.spares;
        gather_rows(&self.inputs, indices, &mut batch.inputs, x);
        gather_rows(&self.targets, indices, &mut batch.targets, y);
        batch.indices.clear();
        batch.indices.extend_from_slice(indices);
    }
}

/// Copies the rows `indices` of `src` into `dst`, first making `dst` the right shape: by
/// swapping in `spare` when that fits (full and short batches alternate), else by allocating.
pub(crate) fn gather_rows<T: Float>(
    src: &Tensor<T>,
    indices: &[usize],
    dst: &mut Tensor<T>,
    spare: &mut Tensor<T>,
) {
    let fits = |t: &Tensor<T>| {
        t.rank() == src.rank() && t.dims()[0] == indices.len() && t.dims()[1..] == src.dims()[1..]
    };
    if !fits(dst) {
        std::mem::swap(dst, spare);
        if !fits(dst) {
            let mut dims = src.dims().to_vec();
            dims[0] = indices.len();
            *dst = Tensor::zeros(Shape::from(dims));
        }
    }
    let width: usize = src.dims()[1..].iter().product();
    let data = src.data();
    let row_of = |i: usize| &data[i * width..(i + 1) * width];
    for (k, (row, &i)) in dst
        .data_mut()
        .chunks_exact_mut(width.max(1))
        .zip(indices)
        .enumerate()
    {
        if let Some(&ahead) = indices.get(k + super::PREFETCH_ROWS) {
            super::prefetch(row_of(ahead));
        }
        row.copy_from_slice(row_of(i));
    }
}
