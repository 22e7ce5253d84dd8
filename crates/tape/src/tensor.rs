//! `Tensor`: a shape plus contiguous row-major storage, with eager kernels and no gradients.

use std::fmt;

use crate::Float;
use crate::elementwise::add_into;
use crate::shape::Shape;
use crate::storage::{INLINE, Storage};

/// An n-dimensional array: a [`Shape`] plus contiguous row-major elements.
///
/// Cloning is cheap: large tensors share their storage (copy on write), tiny ones (up to four
/// elements) are stored inline. A tensor knows nothing about gradients; record operations on a
/// [`Tape`](crate::Tape) to differentiate them.
///
/// ```
/// use tape::Tensor;
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
/// let b = Tensor::from_vec(vec![10.0, 20.0, 30.0], [3]);
/// let c = &a + &b; // broadcast along rows
/// assert_eq!(c.data(), &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
/// assert_eq!(a.sum().item(), 21.0);
/// ```
#[derive(Clone)]
pub struct Tensor<T: Float = f32> {
    shape: Shape,
    storage: Storage<T>,
}

impl<T: Float> Tensor<T> {
    /// A tensor of the given shape from row-major elements.
    ///
    /// Panics when the number of elements does not match the shape; see [`Tensor::try_from_vec`].
    #[track_caller]
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Self {
        match Self::try_from_vec(data, shape) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// A tensor of the given shape from row-major elements, or an error naming both sizes.
    pub fn try_from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Result<Self, String> {
        let shape = shape.into();
        if data.len() != shape.numel() {
            return Err(format!(
                "from_vec: {} elements cannot fill shape {shape} ({} elements)",
                data.len(),
                shape.numel()
            ));
        }
        Ok(Tensor {
            shape,
            storage: Storage::from_vec(data),
        })
    }

    /// A tensor of the given shape from a slice (copied).
    #[track_caller]
    pub fn from_slice(data: &[T], shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        assert!(
            data.len() == shape.numel(),
            "from_slice: {} elements cannot fill shape {shape}",
            data.len()
        );
        Self::collect(shape, data.iter().copied())
    }

    /// A rank-0 tensor holding one value.
    pub fn scalar(value: T) -> Self {
        Self::full(Shape::scalar(), value)
    }

    /// A tensor with every element equal to `value`.
    #[inline]
    pub fn full(shape: impl Into<Shape>, value: T) -> Self {
        let shape = shape.into();
        let storage = Storage::filled(shape.numel(), value);
        Tensor { shape, storage }
    }

    /// All zeros.
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// All ones.
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::ONE)
    }

    /// Elements `f(0), f(1), ...` in row-major order.
    pub fn from_fn(shape: impl Into<Shape>, f: impl FnMut(usize) -> T) -> Self {
        let shape = shape.into();
        let n = shape.numel();
        Self::collect(shape, (0..n).map(f))
    }

    /// `[0, 1, ..., n-1]`.
    pub fn arange(n: usize) -> Self {
        Self::from_fn([n], T::from_usize)
    }

    /// Builds a heap tensor (more than `INLINE` elements) by letting `fill` push exactly
    /// `shape.numel()` elements into an empty pooled buffer.
    pub(crate) fn build(shape: Shape, fill: impl FnOnce(&mut Vec<T>)) -> Self {
        let storage = Storage::build(shape.numel(), fill);
        Tensor { shape, storage }
    }

    /// A tensor of at most `INLINE` elements, the first `shape.numel()` of `values`: built in
    /// place, with no buffer to fill (the path of scalar code on the tensor tape).
    #[inline(always)]
    pub(crate) fn small(shape: Shape, values: [T; INLINE]) -> Self {
        let len = shape.numel();
        debug_assert!(len <= INLINE);
        let storage = Storage::Inline {
            len: len as u8,
            data: values,
        };
        Tensor { shape, storage }
    }

    /// A tensor whose elements are unspecified (stale values of a recycled buffer), for kernels
    /// that overwrite every element: it skips a pass over memory about to be written.
    pub(crate) fn stale(shape: Shape) -> Self {
        let storage = Storage::stale(shape.numel());
        Tensor { shape, storage }
    }

    /// Builds a tensor from an iterator that yields exactly `shape.numel()` elements.
    #[inline]
    pub(crate) fn collect(shape: Shape, iter: impl Iterator<Item = T>) -> Self {
        let storage = Storage::collect(shape.numel(), iter);
        Tensor { shape, storage }
    }

    /// The shape.
    #[inline]
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    /// The number of elements.
    #[inline]
    pub fn numel(&self) -> usize {
        self.data().len()
    }

    /// The elements in row-major order.
    #[inline]
    pub fn data(&self) -> &[T] {
        self.storage.as_slice()
    }

    /// Mutable elements. Shared storage is copied first, so other clones never see the change.
    pub fn data_mut(&mut self) -> &mut [T] {
        self.storage.make_mut()
    }

    /// Whether another tensor shares this one's storage (so [`Tensor::data_mut`] would copy).
    pub fn is_shared(&self) -> bool {
        self.storage.is_shared()
    }

    /// The elements as a new vector.
    pub fn to_vec(&self) -> Vec<T> {
        self.data().to_vec()
    }

    /// The only element of a one-element tensor.
    #[track_caller]
    pub fn item(&self) -> T {
        assert!(
            self.numel() == 1,
            "item: tensor of shape {} has {} elements, not 1",
            self.shape,
            self.numel()
        );
        self.data()[0]
    }

    /// The element at a multi-dimensional index.
    #[track_caller]
    pub fn at(&self, index: &[usize]) -> T {
        assert!(
            index.len() == self.rank(),
            "at: index {index:?} for shape {}",
            self.shape
        );
        let strides = self.shape.strides();
        let mut off = 0;
        for (i, (&ix, &d)) in index.iter().zip(self.dims()).enumerate() {
            assert!(
                ix < d,
                "at: index {index:?} out of bounds for shape {}",
                self.shape
            );
            off += ix * strides[i];
        }
        self.data()[off]
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor::collect(
            self.shape.clone(),
            self.data().iter().map(|&x| U::from_f64(x.to_f64())),
        )
    }

    /// The same elements under a new shape with the same number of elements (no copy).
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        assert!(
            shape.numel() == self.numel(),
            "reshape: {} to {shape}: element counts {} and {} differ",
            self.shape,
            self.numel(),
            shape.numel()
        );
        Tensor {
            shape,
            storage: self.storage.clone(),
        }
    }

    /// Adds `other` into `self` in place (shapes must match); used to accumulate gradients.
    #[track_caller]
    pub fn add_assign(&mut self, other: &Self) {
        assert!(
            self.shape == other.shape,
            "add_assign: {} and {} differ",
            self.shape,
            other.shape
        );
        add_into(self.data_mut(), other.data());
    }

    /// Largest absolute elementwise difference from another tensor of the same shape.
    #[track_caller]
    pub fn max_abs_diff(&self, other: &Self) -> T {
        assert!(
            self.shape == other.shape,
            "max_abs_diff: {} and {} differ",
            self.shape,
            other.shape
        );
        self.data()
            .iter()
            .zip(other.data())
            .fold(T::ZERO, |m, (&a, &b)| m.max((a - b).abs()))
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let d = self.data();
        write!(f, "Tensor<{}>{} [", T::NAME, self.shape)?;
        for (i, x) in d.iter().take(SHOWN).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{x}")?;
        }
        if d.len() > SHOWN {
            write!(f, ", ... ({} more)", d.len() - SHOWN)?;
        }
        write!(f, "]")
    }
}

impl<T: Float> PartialEq for Tensor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.data() == other.data()
    }
}
