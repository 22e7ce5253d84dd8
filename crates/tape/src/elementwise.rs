//! The elementwise loops behind most operations: `map` (one operand), `zip_map` (two, with
//! NumPy broadcasting) and `zip3_map` (three of one shape, for fused backward rules).
//!
//! Each comes twice: the public method runs the loop compiled for the CPU's kernel path
//! (see [`crate::cpu`]), and the `_inlined` form is always inlined into its caller, so that an
//! operation's own kernel (compiled per path, with its formula in the closure) gets the loop
//! in its instructions. The loops write into the output buffer directly: an iterator chain
//! collected into a vector would leave its inner loop in a library function compiled for the
//! baseline, calling the closure once per element.

use crate::shape::{Shape, for_each_broadcast};
use crate::storage::INLINE;
use crate::{Float, Tensor};

impl<T: Float> Tensor<T> {
    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(T) -> T) -> Self {
        if self.numel() <= INLINE {
            return self.map_inlined(f);
        }
        map_kernel(self, f)
    }

    /// Combines two tensors elementwise with NumPy broadcasting; `op` names the operation in
    /// shape errors.
    pub fn zip_map(&self, other: &Self, op: &str, f: impl Fn(T, T) -> T) -> Self {
        if self.numel() <= INLINE && other.numel() <= INLINE {
            return self.zip_map_inlined(other, op, f);
        }
        zip_map_kernel(self, other, op, f)
    }

    /// Combines three same-shape tensors elementwise (fused backward kernels).
    pub(crate) fn zip3_map(&self, b: &Self, c: &Self, f: impl Fn(T, T, T) -> T) -> Self {
        zip3_map_kernel(self, b, c, f)
    }

    /// A tensor of `shape` whose elements `fill` writes, every one of them.
    #[inline(always)]
    pub(crate) fn filled_by(shape: Shape, fill: impl FnOnce(&mut [T])) -> Self {
        let mut out = Tensor::stale(shape);
        fill(out.data_mut());
        out
    }

    /// [`Tensor::map`], inlined into the calling kernel.
    #[inline(always)]
    pub(crate) fn map_inlined(&self, f: impl Fn(T) -> T) -> Self {
        let x = self.data();
        if x.len() <= INLINE {
            let mut out = [T::ZERO; INLINE];
            for (o, &x) in out.iter_mut().zip(x) {
                *o = f(x);
            }
            return Tensor::small(self.shape().clone(), out);
        }
        Tensor::filled_by(self.shape().clone(), |out| {
            for (o, &x) in out.iter_mut().zip(x) {
                *o = f(x);
            }
        })
    }

    /// [`Tensor::zip_map`], inlined into the calling kernel.
    #[inline(always)]
    pub(crate) fn zip_map_inlined(&self, other: &Self, op: &str, f: impl Fn(T, T) -> T) -> Self {
        let (a, b) = (self.data(), other.data());
        if self.shape() == other.shape() && a.len() <= INLINE {
            let mut out = [T::ZERO; INLINE];
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
            return Tensor::small(self.shape().clone(), out);
        }
        if self.shape() == other.shape() {
            return Tensor::filled_by(self.shape().clone(), |out| {
                for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    *o = f(x, y);
                }
            });
        }
        if b.len() == 1 && self.rank() >= other.rank() {
            let y = b[0];
            return self.map_inlined(|x| f(x, y));
        }
        if a.len() == 1 && other.rank() >= self.rank() {
            let x = a[0];
            return other.map_inlined(|y| f(x, y));
        }
        let shape = Shape::broadcast(op, self.shape(), other.shape());
        if shape.numel() == 0 {
            return Tensor::zeros(shape);
        }
        let layouts = (
            Layout::of(self.shape(), &shape),
            Layout::of(other.shape(), &shape),
        );
        // The common broadcasts (a bias row, a per-row column) run as plain loops over chunks.
        Tensor::filled_by(shape.clone(), |out| match layouts {
            (Layout::Full, Layout::Tile) => broadcast_tile(out, a, b, &f),
            (Layout::Tile, Layout::Full) => broadcast_tile(out, b, a, &|y, x| f(x, y)),
            (Layout::Full, Layout::Repeat) => broadcast_repeat(out, a, b, &f),
            (Layout::Repeat, Layout::Full) => broadcast_repeat(out, b, a, &|y, x| f(x, y)),
            _ => for_each_broadcast(&shape, self.shape(), other.shape(), |i, ia, ib| {
                out[i] = f(a[ia], b[ib]);
            }),
        })
    }

    /// [`Tensor::zip3_map`], inlined into the calling kernel.
    #[inline(always)]
    pub(crate) fn zip3_map_inlined(&self, b: &Self, c: &Self, f: impl Fn(T, T, T) -> T) -> Self {
        debug_assert!(self.shape() == b.shape() && b.shape() == c.shape());
        let (x, y, z) = (self.data(), b.data(), c.data());
        Tensor::filled_by(self.shape().clone(), |out| {
            for (((o, &x), &y), &z) in out.iter_mut().zip(x).zip(y).zip(z) {
                *o = f(x, y, z);
            }
        })
    }
}

crate::kernel! {
    /// `x += y`, elementwise.
    pub(crate) fn add_into<T: Float>(x: &mut [T], y: &[T]) {
        for (x, &y) in x.iter_mut().zip(y) {
            *x += y;
        }
    }
}

crate::kernel! {
    /// Adds each row of `rows` (rows as long as `out`) into `out`: a bias's gradient.
    pub(crate) fn add_rows_into<T: Float>(out: &mut [T], rows: &[T]) {
        for row in rows.chunks_exact(out.len()) {
            for (o, &v) in out.iter_mut().zip(row) {
                *o += v;
            }
        }
    }
}

crate::kernel! {
    fn map_kernel<T: Float, F: Fn(T) -> T>(x: &Tensor<T>, f: F) -> Tensor<T> {
        x.map_inlined(f)
    }
}

crate::kernel! {
    fn zip_map_kernel<T: Float, F: Fn(T, T) -> T>(
        x: &Tensor<T>,
        y: &Tensor<T>,
        op: &str,
        f: F,
    ) -> Tensor<T> {
        x.zip_map_inlined(y, op, f)
    }
}

crate::kernel! {
    fn zip3_map_kernel<T: Float, F: Fn(T, T, T) -> T>(
        x: &Tensor<T>,
        y: &Tensor<T>,
        z: &Tensor<T>,
        f: F,
    ) -> Tensor<T> {
        x.zip3_map_inlined(y, z, f)
    }
}

/// `out = f(full, tile)` where `tile` repeats along `full` (a bias row over a batch).
#[inline(always)]
fn broadcast_tile<T: Float>(out: &mut [T], full: &[T], tile: &[T], f: &impl Fn(T, T) -> T) {
    for (out, row) in out
        .chunks_exact_mut(tile.len())
        .zip(full.chunks_exact(tile.len()))
    {
        for ((o, &x), &y) in out.iter_mut().zip(row).zip(tile) {
            *o = f(x, y);
        }
    }
}

/// `out = f(full, column)` where each element of `column` covers a run of `full` (a per-row
/// value against a matrix).
#[inline(always)]
fn broadcast_repeat<T: Float>(out: &mut [T], full: &[T], column: &[T], f: &impl Fn(T, T) -> T) {
    let run = full.len() / column.len();
    for ((out, run), &c) in out
        .chunks_exact_mut(run)
        .zip(full.chunks_exact(run))
        .zip(column)
    {
        for (o, &x) in out.iter_mut().zip(run) {
            *o = f(x, c);
        }
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
