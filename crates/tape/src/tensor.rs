//! `Tensor`: a shape plus contiguous row-major storage, with eager kernels and no gradients.

use std::fmt;

use crate::Float;
use crate::shape::{Shape, for_each_broadcast};
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

    /// Applies `f` to every element.
    #[inline]
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        if let Storage::Inline { len, data } = &self.storage {
            // The scalar path: no iterator adaptors, no heap.
            let mut out = [T::ZERO; INLINE];
            for i in 0..*len as usize {
                out[i] = f(data[i]);
            }
            let storage = Storage::Inline {
                len: *len,
                data: out,
            };
            return Tensor {
                shape: self.shape.clone(),
                storage,
            };
        }
        Self::collect(self.shape.clone(), self.data().iter().map(|&x| f(x)))
    }

    /// Combines two tensors elementwise with NumPy broadcasting; `op` names the operation in
    /// shape errors.
    #[inline]
    pub fn zip_map(&self, other: &Self, op: &str, f: impl Fn(T, T) -> T) -> Self {
        if let (Storage::Inline { len, data: a }, Storage::Inline { data: b, .. }) =
            (&self.storage, &other.storage)
            && self.shape == other.shape
        {
            let mut out = [T::ZERO; INLINE];
            for i in 0..*len as usize {
                out[i] = f(a[i], b[i]);
            }
            let storage = Storage::Inline {
                len: *len,
                data: out,
            };
            return Tensor {
                shape: self.shape.clone(),
                storage,
            };
        }
        let (a, b) = (self.data(), other.data());
        if self.shape == other.shape {
            return Self::collect(self.shape.clone(), a.iter().zip(b).map(|(&x, &y)| f(x, y)));
        }
        if b.len() == 1 && self.shape.rank() >= other.shape.rank() {
            let y = b[0];
            return Self::collect(self.shape.clone(), a.iter().map(|&x| f(x, y)));
        }
        if a.len() == 1 && other.shape.rank() >= self.shape.rank() {
            let x = a[0];
            return Self::collect(other.shape.clone(), b.iter().map(|&y| f(x, y)));
        }
        let shape = Shape::broadcast(op, &self.shape, &other.shape);
        // The common broadcasts (a bias row, a per-row column) run as plain loops over chunks.
        let n = shape.numel();
        if n == 0 {
            return Self::zeros(shape);
        }
        let layouts = (
            Layout::of(&self.shape, &shape),
            Layout::of(&other.shape, &shape),
        );
        match layouts {
            (Layout::Full, Layout::Tile) | (Layout::Tile, Layout::Full) if n > INLINE => {
                let (full, tile, swap) = if layouts.0 == Layout::Full {
                    (a, b, false)
                } else {
                    (b, a, true)
                };
                Self::build(shape, |v| {
                    for row in full.chunks_exact(tile.len()) {
                        if swap {
                            v.extend(tile.iter().zip(row).map(|(&x, &y)| f(x, y)));
                        } else {
                            v.extend(row.iter().zip(tile).map(|(&x, &y)| f(x, y)));
                        }
                    }
                })
            }
            (Layout::Full, Layout::Repeat) | (Layout::Repeat, Layout::Full) if n > INLINE => {
                let (full, col, swap) = if layouts.0 == Layout::Full {
                    (a, b, false)
                } else {
                    (b, a, true)
                };
                Self::build(shape, |v| {
                    for (run, &c) in full.chunks_exact(n / col.len()).zip(col) {
                        if swap {
                            v.extend(run.iter().map(|&y| f(c, y)));
                        } else {
                            v.extend(run.iter().map(|&x| f(x, c)));
                        }
                    }
                })
            }
            _ => {
                let mut out = Self::zeros(shape.clone());
                let o = out.data_mut();
                for_each_broadcast(&shape, &self.shape, &other.shape, |i, ia, ib| {
                    o[i] = f(a[ia], b[ib]);
                });
                out
            }
        }
    }

    /// Combines three same-shape tensors elementwise (fused backward kernels).
    #[inline]
    pub(crate) fn zip3_map(&self, b: &Self, c: &Self, f: impl Fn(T, T, T) -> T) -> Self {
        debug_assert!(self.shape == b.shape && b.shape == c.shape);
        Self::collect(
            self.shape.clone(),
            self.data()
                .iter()
                .zip(b.data())
                .zip(c.data())
                .map(|((&x, &y), &z)| f(x, y, z)),
        )
    }

    /// Adds `other` into `self` in place (shapes must match); used to accumulate gradients.
    pub fn add_assign(&mut self, other: &Self) {
        assert!(
            self.shape == other.shape,
            "add_assign: {} and {} differ",
            self.shape,
            other.shape
        );
        for (x, &y) in self.data_mut().iter_mut().zip(other.data()) {
            *x += y;
        }
    }

    /// Largest absolute elementwise difference from another tensor of the same shape.
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

/// How an operand's elements line up with a broadcast result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One element per result element, in order.
    Full,
    /// The operand repeats whole: result element `i` reads operand element `i % len` (a bias
    /// row, broadcast over leading axes).
    Tile,
    /// Each operand element covers a run of consecutive result elements (a column `[m, 1]`
    /// against `[m, n]`).
    Repeat,
    /// Anything else: the general strided walk.
    Other,
}

impl Layout {
    fn of(operand: &Shape, out: &Shape) -> Layout {
        let (od, rd) = (operand.dims(), out.dims());
        let offset = rd.len() - od.len();
        // Right-align the operand: `equal(i)` says whether its axis i matches the result's.
        let equal = |i: usize| od[i] == rd[i + offset];
        let first_real = od.iter().position(|&d| d != 1).unwrap_or(od.len());
        let last_real = od.iter().rposition(|&d| d != 1).map_or(0, |i| i + 1);
        if operand.numel() == out.numel() {
            Layout::Full
        } else if (first_real..od.len()).all(equal) {
            Layout::Tile
        } else if offset == 0 && (0..last_real).all(equal) {
            Layout::Repeat
        } else {
            Layout::Other
        }
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
