//! The matrix-product kernel behind `matmul`, in the layers of BLIS and `matrixmultiply`:
//!
//! - this file picks a path for the shape (and holds the shared pieces);
//! - [`direct`]: products with a vector (batch-1 layers and their gradients), outer products,
//!   and products with a few rows, a shallow depth or a few output columns, as direct loops:
//!   packing a whole matrix for them would cost more than the product itself;
//! - [`blocked`]: everything else, the classic packed, cache-blocked algorithm (Goto and van de
//!   Geijn; the BLIS loop order), split across the helper threads of [`crate::parallel`];
//! - [`pack`]: the copies of `op(B)` panels (and of a transposed `op(A)`) into contiguous
//!   per-thread buffers, in the order the micro-kernel reads them;
//! - one file per instruction set's register-blocked micro-kernel ([`portable`], [`avx2`]).
//!
//! Every loop is compiled once per kernel path ([`crate::cpu`]) and the CPU's best path runs.
//!
//! Why not a GEMM crate: `matrixmultiply` (measured as fast as `gemm` on the MLP shapes, with
//! far fewer dependencies) allocates its packing buffer on every call, so a training step could
//! never be allocation-free, and it owns its threads. Here the packing buffers live in the
//! per-thread pool and large products are split across a few long-lived helper threads. Each
//! output element is summed in the same order whatever the split, so results do not depend on
//! the number of threads.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod blocked;
mod direct;
mod pack;
mod portable;

use crate::Float;
use crate::parallel::join;
use crate::storage::{Storage, aligned_start, alignment_room};

use crate::elementwise::add_into;
use blocked::{Out, packed, parallel_split};
use direct::{add_scaled_rows, dot_rows, outer, scaled_columns, thin_in_halves};

/// A row-major `[rows, cols]` matrix, read as stored or transposed.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<'a, T> MatRef<'a, T> {
    /// Rows and columns of the matrix as read.
    fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// The matrix as read, as a strided view.
    fn view(&self) -> View<'a, T> {
        let (rs, cs) = if self.transposed {
            (1, self.cols)
        } else {
            (self.cols, 1)
        };
        View {
            data: self.data,
            rs,
            cs,
        }
    }
}

/// Element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
struct View<'a, T> {
    data: &'a [T],
    rs: usize,
    cs: usize,
}

impl<'a, T> View<'a, T> {
    /// The view starting at row `i`, column `j`.
    fn at(&self, i: usize, j: usize) -> View<'a, T> {
        let start = (i * self.rs + j * self.cs).min(self.data.len());
        View {
            data: &self.data[start..],
            ..*self
        }
    }
}

/// What happens to the product's elements as they are stored: a linear layer's bias (`n`
/// values, added to every row) and ReLU, applied while each tile is still in registers rather
/// than in further passes over the output.
#[derive(Clone, Copy, Default)]
pub(crate) struct Epilogue<'a, T> {
    pub bias: Option<&'a [T]>,
    pub relu: bool,
}

/// `c = op(a) op(b)`, overwriting `c` (`m x n`, row-major), then the epilogue on every element.
/// Picks the path for the shape; each path's loops are compiled per instruction set.
pub(crate) fn gemm<T: Float>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    epilogue: Epilogue<'_, T>,
    c: &mut [T],
) {
    let ((m, k), (_, n)) = (a.dims(), b.dims());
    debug_assert_eq!(c.len(), m * n);
    let bias = epilogue.bias;
    debug_assert!(bias.is_none_or(|b| b.len() == n));
    if k == 0 || m == 0 || n == 0 {
        fill_rows_with_bias(c, n, bias);
    } else if m == 1 && !b.transposed || n == 1 && a.transposed {
        // A vector times the rows of a matrix: a sum of scaled rows.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        vector_times_rows(v, mat, bias, n, c);
    } else if m == 1 || n == 1 {
        // A vector against each row of a matrix: one dot product per output.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        in_halves(mat.len(), c, 1, |c, first| {
            dot_rows(v, &mat[first * k..(first + c.len()) * k], k, None, c)
        });
        add_bias(c, bias, m == 1);
    } else if k == 1 {
        // An outer product: each output row is a scaled copy of `b`.
        in_halves(c.len(), c, n, |c, first| {
            outer(&a.data[first..], b.data, bias, c)
        });
    } else if (k <= SHALLOW || m <= THIN) && !b.transposed {
        // A thin product (a few rows, or a shallow depth): each output row is a sum of
        // scaled rows of `b`, with no packing; a packed tile would be mostly padding.
        return thin_in_halves(a.view(), b.data, n, epilogue, c);
    } else if k <= SHALLOW {
        // A shallow product with a transposed `b` (the gradient through a classifier or a
        // 2-D output layer, `g W^T`): the few rows of `op(b)` are copied out, then as above.
        let mut space = PackSpace::<T>::take();
        let rows = aligned(&mut space.b, k * n);
        transpose(b.data, k, rows);
        return thin_in_halves(a.view(), rows, n, epilogue, c);
    } else if n <= THIN && b.transposed && !a.transposed {
        // A few output columns, each a row of the stored `b`: one dot product per output.
        dot_rows(a.data, b.data, k, bias, c);
    } else if n <= THIN && !b.transposed {
        // A few output columns of a stored `b` (a GAN generator's 2-D output layer): a
        // packed tile would be 16 columns wide, 8 times the work.
        let mut space = PackSpace::<T>::take();
        if !a.transposed {
            // `b`'s columns copied out as rows, then one dot product per output.
            let rows = aligned(&mut space.b, k * n);
            transpose(b.data, n, rows);
            dot_rows(a.data, rows, k, bias, c);
        } else {
            // A transposed `a` (a weight gradient, `x^T g`): each column of `c` is a sum of
            // the stored rows of `a` scaled by a column of `b`, built as a row, then copied
            // across.
            let columns = aligned(&mut space.b, n * m);
            scaled_columns(a.data, b.data, m, columns);
            transpose(columns, m, c);
            add_bias(c, bias, true);
        }
    } else if n <= NARROW && a.transposed && !b.transposed && epilogue.bias.is_none() {
        // A weight gradient with few columns (`x^T g` for a classifier): as a product of
        // few rows, `c^T = g^T x`, it fits the register tile (6 rows by 16 columns) better,
        // and `x` is packed along its stored rows. Built transposed, then copied across.
        let mut transposed = Storage::<T>::stale(n * m);
        let ct = transposed.make_mut();
        let gt = View {
            data: b.data,
            rs: 1,
            cs: n,
        };
        let x = View {
            data: a.data,
            rs: m,
            cs: 1,
        };
        let out = Out::new(ct, m, Epilogue::default());
        if m * n * k >= PARALLEL_WORK {
            parallel_split(n, k, m, gt, x, out);
        } else {
            packed(n, k, m, gt, x, out);
        }
        transpose(ct, m, c);
    } else {
        let (a, b) = (a.view(), b.view());
        let out = Out::new(c, n, epilogue);
        if m * n * k >= PARALLEL_WORK {
            parallel_split(m, k, n, a, b, out);
        } else {
            packed(m, k, n, a, b, out);
        }
        return; // the packed kernel applied the whole epilogue as it stored the tiles
    }
    if epilogue.relu {
        // The other direct paths serve vectors and few-column products: one more pass over a
        // small output is cheap.
        relu_in_place(c);
    }
}

/// Runs `part(c_part, first_row)` on the whole of `c` (rows of `width`), or on its two halves
/// on two cores when the product streams at least `MEMORY_BOUND_PARALLEL` matrix elements:
/// such products run at the speed one core reads from L3, and a second core adds its own
/// bandwidth. A batch-1 layer's x W1 at 784 x 512: 31 -> 20 us; its weight gradient: 38 -> 21.
fn in_halves<T: Float>(
    streamed: usize,
    c: &mut [T],
    width: usize,
    part: impl Fn(&mut [T], usize) + Sync,
) {
    if streamed < MEMORY_BOUND_PARALLEL {
        return part(c, 0);
    }
    let rows = c.len() / width;
    let (c1, c2) = c.split_at_mut(rows / 2 * width);
    join(|| part(c1, 0), || part(c2, rows / 2));
}

/// `c = bias + v mat` for a vector `v` and the rows of `mat` (`n` wide): a sum of scaled rows.
fn vector_times_rows<T: Float>(v: &[T], mat: &[T], bias: Option<&[T]>, n: usize, c: &mut [T]) {
    let width = c.len();
    fill_rows_with_bias(c, n, bias);
    if mat.len() < MEMORY_BOUND_PARALLEL {
        return add_scaled_rows(v, mat, c);
    }
    // The first and second halves of the rows are summed apart, on two cores when there is a
    // helper, then added: always two halves, so the result does not depend on the thread count.
    let mut space = PackSpace::<T>::take();
    let second = aligned(&mut space.b, width);
    second.fill(T::ZERO);
    let (v1, v2) = v.split_at(v.len() / 2);
    let (mat1, mat2) = mat.split_at(v1.len() * width);
    join(
        || add_scaled_rows(v1, mat1, c),
        || add_scaled_rows(v2, mat2, second),
    );
    add_into(c, second);
}

/// Adds `bias` to `c`: to each row of `bias.len()` elements when `per_column`, else its single
/// value to every element.
fn add_bias<T: Float>(c: &mut [T], bias: Option<&[T]>, per_column: bool) {
    match bias {
        Some(bias) if per_column => c
            .chunks_exact_mut(bias.len())
            .for_each(|row| add_into(row, bias)),
        Some(bias) => c.iter_mut().for_each(|v| *v += bias[0]),
        None => {}
    }
}

/// What a row of sums starts from.
#[derive(Clone, Copy)]
enum Start<'a, T> {
    Zero,
    Bias(&'a [T]),
    /// The values already in the row (a later pass of a thin product).
    Row,
}

/// Writes the transpose of `src` (rows of `cols`) into `dst` (rows of `src.len() / cols`):
/// the source is read in order, the writes stride through `dst`.
fn transpose<T: Copy>(src: &[T], cols: usize, dst: &mut [T]) {
    let rows = src.len() / cols.max(1);
    for (i, row) in src.chunks_exact(cols).enumerate() {
        for (j, &x) in row.iter().enumerate() {
            dst[j * rows + i] = x;
        }
    }
}

/// ReLU over a buffer, NaN mapped to 0. Written with `max` rather than as `relu`'s select:
/// the compiler turns `*v = if *v > 0 { *v } else { 0 }` into a masked store of the zeros,
/// which AMD's Zen cores (up to Zen 3) execute many times slower than a plain store.
#[inline(always)]
fn relu_in_place<T: Float>(v: &mut [T]) {
    v.iter_mut().for_each(|v| *v = v.max(T::ZERO));
}

/// Sets every row of `c` (rows of `n`) to `bias`, or to zero without one.
fn fill_rows_with_bias<T: Float>(c: &mut [T], n: usize, bias: Option<&[T]>) {
    match bias {
        Some(bias) => c
            .chunks_exact_mut(n)
            .for_each(|row| row.copy_from_slice(bias)),
        None => c.fill(T::ZERO),
    }
}

/// Products with at most this many rows or (for a transposed `b`) columns skip packing.
const THIN: usize = 4;

/// Weight gradients with at most this many columns are computed transposed.
const NARROW: usize = 16;

/// Products at most this deep skip packing too: with so few depth steps per register tile,
/// the packed kernel spends more time storing tiles than multiplying.
const SHALLOW: usize = 16;

/// Products with a vector, and outer products, that stream at least this many matrix
/// elements (512 KiB of f32, a Zen 3 core's L2) split in two halves across two cores: they
/// run at the speed one core reads from L3, and a second core adds its own bandwidth. A batch-1
/// layer's x W1 at 784 x 512: 31 -> 20 us; its weight gradient: 38 -> 21 us.
const MEMORY_BOUND_PARALLEL: usize = 1 << 17;

/// Products with fewer multiply-adds than this run on the calling thread: waking a helper
/// costs a few microseconds.
const PARALLEL_WORK: usize = 1 << 20;

/// Asks the cache for the line holding `p`. A hint only: it reads nothing and never faults,
/// whatever the address.
#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no architectural effect and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// `len` elements of `buf` from a 64-byte boundary, growing it as needed (by exactly what is
/// missing: the usual doubling would keep up to twice the largest block alive for the life of
/// the thread). The allocator aligns to 16 bytes; a 32-byte vector load from an address 16
/// bytes off straddles two cache lines every other time, which Zen 3 pays for in load
/// bandwidth (a load-bound loop ran a third slower, measured).
fn aligned<T: Float>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    let room = len + alignment_room::<T>();
    if buf.len() < room {
        buf.reserve_exact(room - buf.len());
        buf.resize(room, T::ZERO);
    }
    let start = aligned_start(buf);
    &mut buf[start..start + len]
}

/// This thread's two packing buffers (for A and for B), taken from its pool for the length of
/// a product and put back when dropped, so that no call allocates once they have grown.
/// (A guard rather than a closure: a closure handed to the pool would be compiled for the
/// baseline, not for the kernel path that uses the buffers.)
struct PackSpace<T: Float> {
    a: Vec<T>,
    b: Vec<T>,
}

impl<T: Float> PackSpace<T> {
    fn take() -> Self {
        let (a, b) = T::pool().with(|pool| pool.borrow_mut().take_pack_space());
        PackSpace { a, b }
    }
}

impl<T: Float> Drop for PackSpace<T> {
    fn drop(&mut self) {
        let (a, b) = (std::mem::take(&mut self.a), std::mem::take(&mut self.b));
        // A thread being torn down has no pool left to return them to.
        let _ = T::pool().try_with(|pool| pool.borrow_mut().return_pack_space(a, b));
    }
}
