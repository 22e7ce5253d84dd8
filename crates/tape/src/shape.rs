//! Shapes, NumPy broadcasting, and the messages that name an operation and both shapes.

use std::fmt;

use smallvec::SmallVec;

/// The dimensions of a tensor, row-major. Ranks up to 4 are stored inline.
#[derive(Eq, Default)]
pub struct Shape(SmallVec<[usize; 4]>);

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.dims().hash(state);
    }
}

// Shapes are cloned and compared on every recorded operation; these spell out the cheap
// inline paths that the generic SmallVec implementations reach only after several branches.
impl Clone for Shape {
    #[inline]
    fn clone(&self) -> Self {
        if self.0.spilled() {
            Shape(SmallVec::from_slice(self.dims()))
        } else {
            // SAFETY: an inline SmallVec of `usize` owns no heap memory and its elements are
            // `Copy`, so a bitwise copy is an independent, valid value (five words, no loop).
            Shape(unsafe { std::ptr::read(&self.0) })
        }
    }
}

impl PartialEq for Shape {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.dims(), other.dims());
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
    }
}

impl Shape {
    /// A shape from its dimensions.
    pub fn new(dims: &[usize]) -> Self {
        Shape(SmallVec::from_slice(dims))
    }

    /// `[1, 1, ..., 1]` of the given rank.
    pub fn ones(rank: usize) -> Self {
        Shape(SmallVec::from_elem(1, rank))
    }

    /// The shape of a scalar: rank 0, one element.
    pub fn scalar() -> Self {
        Shape(SmallVec::new())
    }

    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// The number of dimensions.
    #[inline]
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// The number of elements (1 for a scalar).
    #[inline]
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// The size of dimension `axis`; panics naming `op` when the axis does not exist.
    #[track_caller]
    pub fn dim(&self, op: &str, axis: usize) -> usize {
        match self.0.get(axis) {
            Some(&d) => d,
            None => panic!("{op}: axis {axis} out of range for shape {self}"),
        }
    }

    /// Row-major strides, in elements.
    pub fn strides(&self) -> SmallVec<[usize; 4]> {
        let mut s: SmallVec<[usize; 4]> = SmallVec::from_elem(1, self.rank());
        for i in (0..self.rank().saturating_sub(1)).rev() {
            s[i] = s[i + 1] * self.0[i + 1];
        }
        s
    }

    /// Views the shape as `[outer, dims[axis], inner]`, the form every axis kernel works on.
    pub fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        let outer = self.0[..axis].iter().product();
        let inner = self.0[axis + 1..].iter().product();
        (outer, self.0[axis], inner)
    }

    /// This shape with dimension `axis` replaced by `len` (or removed, when `keep` is false).
    pub fn with_axis(&self, axis: usize, len: usize, keep: bool) -> Shape {
        let mut d = self.0.clone();
        if keep {
            d[axis] = len;
        } else {
            d.remove(axis);
        }
        Shape(d)
    }

    /// The NumPy broadcast of two shapes: dimensions are aligned from the right and each pair
    /// must be equal or contain a 1.
    #[track_caller]
    pub fn broadcast(op: &str, a: &Shape, b: &Shape) -> Shape {
        if a == b {
            return a.clone();
        }
        let rank = a.rank().max(b.rank());
        let mut out: SmallVec<[usize; 4]> = SmallVec::from_elem(1, rank);
        for i in 0..rank {
            let da = a.dim_from_right(rank - 1 - i);
            let db = b.dim_from_right(rank - 1 - i);
            out[i] = match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => panic!(
                    "{op}: {a} and {b} do not broadcast: dimension {i} of the result is {da} in one and {db} in the other"
                ),
            };
        }
        Shape(out)
    }

    /// Whether this shape broadcasts to `target` (for `broadcast_to` and gradient reduction).
    pub fn broadcasts_to(&self, target: &Shape) -> bool {
        self.rank() <= target.rank()
            && (0..self.rank()).all(|i| {
                let d = self.dim_from_right(i);
                d == 1 || d == target.dim_from_right(i)
            })
    }

    /// Dimension `i` counted from the right (0 = last), 1 beyond the rank.
    fn dim_from_right(&self, i: usize) -> usize {
        if i < self.rank() {
            self.0[self.rank() - 1 - i]
        } else {
            1
        }
    }

    /// The strides with which an operand of this shape is read when broadcast to `target`:
    /// 0 along broadcast dimensions.
    pub(crate) fn broadcast_strides(&self, target: &Shape) -> SmallVec<[usize; 4]> {
        let own = self.strides();
        let offset = target.rank() - self.rank();
        (0..target.rank())
            .map(|i| {
                if i < offset || self.0[i - offset] == 1 {
                    0
                } else {
                    own[i - offset]
                }
            })
            .collect()
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape::new(d)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape::new(&d)
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape::new(d)
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape::new(&d)
    }
}

impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_slice())
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Calls `f(out_index, a_offset, b_offset)` for every element of `out`, where operands of
/// shapes `a` and `b` are broadcast to `out`. The innermost dimension runs as a tight loop.
pub(crate) fn for_each_broadcast(
    out: &Shape,
    a: &Shape,
    b: &Shape,
    mut f: impl FnMut(usize, usize, usize),
) {
    let rank = out.rank();
    if rank == 0 {
        f(0, 0, 0);
        return;
    }
    let sa = a.broadcast_strides(out);
    let sb = b.broadcast_strides(out);
    let dims = out.dims();
    let last = rank - 1;
    let (n, la, lb) = (dims[last], sa[last], sb[last]);
    let mut idx: SmallVec<[usize; 4]> = SmallVec::from_elem(0, rank);
    let (mut oa, mut ob, mut o) = (0usize, 0usize, 0usize);
    let total = out.numel();
    if total == 0 {
        return;
    }
    loop {
        for j in 0..n {
            f(o + j, oa + j * la, ob + j * lb);
        }
        o += n;
        // Advance the odometer over the outer dimensions.
        let mut d = last;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            oa += sa[d];
            ob += sb[d];
            if idx[d] < dims[d] {
                break;
            }
            oa -= sa[d] * dims[d];
            ob -= sb[d] * dims[d];
            idx[d] = 0;
        }
    }
}
