//! The matrix-product kernel behind `matmul`.
//!
//! Products with a vector (batch-1 layers and their gradients), outer products and products
//! with a few rows, a shallow depth or a few output columns run as direct loops: packing a
//! whole matrix for them would cost more than the product itself. Everything
//! else runs the classic packed, cache-blocked algorithm (Goto and van de Geijn; the BLIS loop
//! order): panels of `op(B)` are copied into a contiguous per-thread buffer, and so are panels
//! of a transposed `op(A)`; a row-major A is read in place, six rows at a time. A
//! register-blocked micro-kernel multiplies them. It is plain Rust over fixed-size arrays,
//! which the compiler turns into 12 vector accumulators and fused multiply-adds; the output
//! rows of each tile are prefetched before it runs, so a large output's cache misses overlap
//! the arithmetic. Large products are split by columns (by rows when the output is one tile
//! wide) across the helper threads of [`crate::parallel`], and so are the direct loops when
//! they stream a large matrix (in two halves).
//!
//! Why not a GEMM crate: `matrixmultiply` (measured as fast as `gemm` on the MLP shapes, with
//! far fewer dependencies) allocates its packing buffer on every call, so a training step could
//! never be allocation-free, and it owns its threads. Here the packing buffers live in the
//! per-thread pool and large products are split across a few long-lived helper threads. Each
//! output element is summed in the same order whatever the split, so results do not depend on
//! the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Float;
use crate::parallel::{in_parallel, join};
use crate::storage::{Storage, aligned_start, alignment_room};

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

/// `max(v, 0)`, with NaN mapped to 0 as `relu` does.
#[inline(always)]
fn relu<T: Float>(v: T) -> T {
    if v > T::ZERO { v } else { T::ZERO }
}

/// `c = op(a) op(b)`, overwriting `c` (`m x n`, row-major), then the epilogue on every element.
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
    let bias_at = |j: usize| bias.map_or(T::ZERO, |b| b[j]);
    if k == 0 || m == 0 || n == 0 {
        fill_rows_with_bias(c, n, bias);
    } else if m == 1 && !b.transposed || n == 1 && a.transposed {
        // A vector times the rows of a matrix: a sum of scaled rows.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        let width = c.len();
        fill_rows_with_bias(c, n, bias);
        if mat.len() < MEMORY_BOUND_PARALLEL {
            add_scaled_rows(v, mat, c);
        } else {
            // The first and second halves of the rows are summed apart, on two cores when
            // there is a helper, then added: always two halves, so the result does not
            // depend on the thread count.
            with_pack_space::<T>(|_, second| {
                second.clear();
                second.resize(width, T::ZERO);
                let (v1, v2) = v.split_at(v.len() / 2);
                let (mat1, mat2) = mat.split_at(v1.len() * width);
                join(
                    || add_scaled_rows(v1, mat1, c),
                    || add_scaled_rows(v2, mat2, second),
                );
                c.iter_mut().zip(second.iter()).for_each(|(y, &z)| *y += z);
            });
        }
    } else if m == 1 || n == 1 {
        // A vector against each row of a matrix: one dot product per output.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        let dots = |mat: &[T], c: &mut [T]| {
            for (out, row) in c.iter_mut().zip(mat.chunks_exact(k)) {
                *out = dot(v, row);
            }
        };
        if mat.len() < MEMORY_BOUND_PARALLEL {
            dots(mat, c);
        } else {
            let (c1, c2) = c.split_at_mut(c.len() / 2);
            let (mat1, mat2) = mat.split_at(c1.len() * k);
            join(|| dots(mat1, c1), || dots(mat2, c2));
        }
        for (i, out) in c.iter_mut().enumerate() {
            *out += bias_at(if m == 1 { i } else { 0 });
        }
    } else if k == 1 {
        // An outer product: each output row is a scaled copy of `b`.
        let outer = |a: &[T], c: &mut [T]| {
            for (&s, row) in a.iter().zip(c.chunks_exact_mut(n)) {
                axpy_rows([(s, b.data)], bias.map_or(Start::Zero, Start::Bias), row);
            }
        };
        if c.len() < MEMORY_BOUND_PARALLEL {
            outer(a.data, c);
        } else {
            let (a1, a2) = a.data.split_at(m / 2);
            let (c1, c2) = c.split_at_mut(a1.len() * n);
            join(|| outer(a1, c1), || outer(a2, c2));
        }
    } else if (k <= SHALLOW || m <= THIN) && !b.transposed {
        // A thin product (a few rows, or a shallow depth): each output row is a sum of
        // scaled rows of `b`, with no packing; a packed tile would be mostly padding.
        return thin_in_halves(a.view(), b.data, n, epilogue, c);
    } else if k <= SHALLOW {
        // A shallow product with a transposed `b` (the gradient through a classifier or a
        // 2-D output layer, `g W^T`): the few rows of `op(b)` are copied out, then as above.
        return with_pack_space::<T>(|_, scratch| {
            let rows = aligned(scratch, k * n);
            transpose(b.data, k, rows);
            thin_in_halves(a.view(), rows, n, epilogue, c)
        });
    } else if n <= THIN && b.transposed && !a.transposed {
        // A few output columns, each a row of the stored `b`: one dot product per output.
        dot_rows(a.data, b.data, k, bias, c);
    } else if n <= THIN && !b.transposed {
        // A few output columns of a stored `b` (a GAN generator's 2-D output layer): a packed
        // tile would be 16 columns wide, 8 times the work. `b`'s columns are copied out as rows.
        with_pack_space::<T>(|_, scratch| {
            scratch.clear();
            if !a.transposed {
                // Then one dot product per output, as above.
                scratch.resize(k * n, T::ZERO);
                transpose(b.data, n, scratch);
                dot_rows(a.data, scratch, k, bias, c);
            } else {
                // A transposed `a` (a weight gradient, `x^T g`): each column of `c` is a sum
                // of the stored rows of `a`, scaled by a column of `b`; built as rows, then
                // copied across.
                scratch.resize(n * m, T::ZERO);
                for (a_row, b_row) in a.data.chunks_exact(m).zip(b.data.chunks_exact(n)) {
                    for (&s, c_col) in b_row.iter().zip(scratch.chunks_exact_mut(m)) {
                        axpy(s, a_row, c_col);
                    }
                }
                for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
                    for (j, out) in c_row.iter_mut().enumerate() {
                        *out = scratch[j * m + i] + bias_at(j);
                    }
                }
            }
        });
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
        // The other unpacked paths serve vectors and few-column products: one more pass over
        // a small output is cheap.
        relu_in_place(c);
    }
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

/// `c[i, j] = a_i . b_j + bias_j` for the rows `a_i` of `a` and `b_j` of `b_rows`, all `k`
/// long: the products with a few output columns.
fn dot_rows<T: Float>(a: &[T], b_rows: &[T], k: usize, bias: Option<&[T]>, c: &mut [T]) {
    let n = b_rows.len() / k;
    for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
        for (j, (out, b_row)) in c_row.iter_mut().zip(b_rows.chunks_exact(k)).enumerate() {
            *out = dot(a_row, b_row) + bias.map_or(T::ZERO, |b| b[j]);
        }
    }
}

/// ReLU over a buffer, NaN mapped to 0. Written with `max` rather than as `relu`'s select:
/// the compiler turns `*v = if *v > 0 { *v } else { 0 }` into a masked store of the zeros,
/// which AMD's Zen cores (up to Zen 3) execute many times slower than a plain store.
fn relu_in_place<T: Float>(v: &mut [T]) {
    v.iter_mut().for_each(|v| *v = v.max(T::ZERO));
}

/// `c = a b` for a `b` of few rows or an `a` of few rows, `b` given as its rows (`n` wide,
/// row-major), with no packing: each output row is a sum of scaled rows of `b`, added in
/// depth order.
///
/// A shallow product (at most `SHALLOW` rows of `b`, which then stay in cache) builds each
/// output row in passes of up to `TERMS` rows of `b`, bias to ReLU, while the row is in L1:
/// each output vector stays in a register across a pass, and the loads of `b` keep pace with
/// the multiply-adds. A product of few output rows and a deep `b` adds the rows of `b` one at
/// a time, a single stream through memory (measured no slower than adding each row of `b` to
/// all outputs in turn).
fn thin<T: Float>(a: View<'_, T>, b_rows: &[T], n: usize, epilogue: Epilogue<'_, T>, c: &mut [T]) {
    let k = b_rows.len() / n.max(1);
    let coef = |i: usize, p: usize| a.data[i * a.rs + p * a.cs];
    let b_row = |p: usize| &b_rows[p * n..(p + 1) * n];
    let bias = epilogue.bias;
    if k <= SHALLOW {
        for (i, row) in c.chunks_exact_mut(n).enumerate() {
            let term = |p: usize| (coef(i, p), b_row(p));
            let mut start = bias.map_or(Start::Zero, Start::Bias);
            for p in (0..k).step_by(TERMS) {
                add_terms(&term, p, (k - p).min(TERMS), start, row);
                start = Start::Row;
            }
            if k == 0 {
                fill_rows_with_bias(row, n, bias);
            }
            if epilogue.relu {
                relu_in_place(row);
            }
        }
        return;
    }
    fill_rows_with_bias(c, n, bias);
    for (i, row) in c.chunks_exact_mut(n).enumerate() {
        for p in 0..k {
            axpy(coef(i, p), b_row(p), row);
        }
    }
    if epilogue.relu {
        relu_in_place(c);
    }
}

/// [`thin`], on two threads (each half of the rows) when the product is large.
fn thin_in_halves<T: Float>(
    a: View<'_, T>,
    b_rows: &[T],
    n: usize,
    epilogue: Epilogue<'_, T>,
    c: &mut [T],
) {
    let m = c.len() / n.max(1);
    if m < 2 * MR || m * b_rows.len() < PARALLEL_WORK {
        return thin(a, b_rows, n, epilogue, c);
    }
    let (c1, c2) = c.split_at_mut(m / 2 * n);
    join(
        || thin(a, b_rows, n, epilogue, c1),
        || thin(a.at(m / 2, 0), b_rows, n, epilogue, c2),
    );
}

/// The most rows of `b` one pass of [`thin`] adds into an output row: four scalars and four
/// vector sums stay in registers (eight terms per pass measured no faster).
const TERMS: usize = 4;

/// What a row of sums starts from.
#[derive(Clone, Copy)]
enum Start<'a, T> {
    Zero,
    Bias(&'a [T]),
    /// The values already in the row (a later pass of [`thin`]).
    Row,
}

/// `y = start + s_p x_p + ... + s_(p+q-1) x_(p+q-1)` for the terms `term(p)`, `q <= TERMS`.
fn add_terms<'b, T: Float>(
    term: &impl Fn(usize) -> (T, &'b [T]),
    p: usize,
    q: usize,
    start: Start<'_, T>,
    y: &mut [T],
) {
    debug_assert!((1..=TERMS).contains(&q));
    let t = |i: usize| term(p + i);
    match q {
        1 => axpy_rows::<T, 1>(std::array::from_fn(t), start, y),
        2 => axpy_rows::<T, 2>(std::array::from_fn(t), start, y),
        3 => axpy_rows::<T, 3>(std::array::from_fn(t), start, y),
        _ => axpy_rows::<T, TERMS>(std::array::from_fn(t), start, y),
    }
}

/// `y = start + s_1 x_1 + ... + s_Q x_Q`, summed left to right.
#[inline]
fn axpy_rows<T: Float, const Q: usize>(terms: [(T, &[T]); Q], start: Start<'_, T>, y: &mut [T]) {
    let n = y.len();
    let x: [&[T]; Q] = terms.map(|(_, x)| &x[..n]);
    let s: [T; Q] = terms.map(|(s, _)| s);
    // One loop per start, so that none of them branches per element.
    match start {
        Start::Zero => sum_rows(x, s, |_, _| T::ZERO, y),
        Start::Bias(bias) => {
            let bias = &bias[..n];
            sum_rows(x, s, move |j, _| bias[j], y)
        }
        Start::Row => sum_rows(x, s, |_, y| y, y),
    }
}

/// `y_j = start(j, y_j) + s_1 x_1j + ... + s_Q x_Qj`.
///
/// Each output's sum is a chain of `Q` dependent multiply-adds; 32 outputs at a time give the
/// core four independent vector chains to interleave.
#[inline(always)]
fn sum_rows<T: Float, const Q: usize>(
    x: [&[T]; Q],
    s: [T; Q],
    start: impl Fn(usize, T) -> T,
    y: &mut [T],
) {
    const LANES: usize = 32;
    let whole = y.len() - y.len() % LANES;
    let (body, tail) = y.split_at_mut(whole);
    for (c, chunk) in body.chunks_exact_mut(LANES).enumerate() {
        let j0 = c * LANES;
        let chunk: &mut [T; LANES] = chunk.try_into().expect("chunks of LANES");
        let mut v: [T; LANES] = std::array::from_fn(|l| start(j0 + l, chunk[l]));
        for q in 0..Q {
            let xq: &[T; LANES] = x[q][j0..j0 + LANES].try_into().expect("LANES long");
            for l in 0..LANES {
                v[l] = s[q].mul_add(xq[l], v[l]);
            }
        }
        *chunk = v;
    }
    for (t, y) in tail.iter_mut().enumerate() {
        let j = whole + t;
        let mut v = start(j, *y);
        for q in 0..Q {
            v = s[q].mul_add(x[q][j], v);
        }
        *y = v;
    }
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

/// Where the product goes: rows of length `ld`, of which a column block is being written.
/// A raw pointer, because threads write disjoint column blocks of the same rows.
#[derive(Clone, Copy)]
struct Out<'a, T> {
    ptr: *mut T,
    len: usize,
    ld: usize,
    /// Added to each row as the first depth panel's tiles are stored, from this block's
    /// first column on.
    bias: Option<&'a [T]>,
    /// ReLU on each element as the last depth panel's tiles are stored.
    relu: bool,
    _borrow: std::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: an `Out` is shared between threads only by `parallel_split`, whose parts write
// disjoint column or row ranges (see `Out::row`).
unsafe impl<T: Send> Send for Out<'_, T> {}
unsafe impl<T: Send> Sync for Out<'_, T> {}

impl<'a, T> Out<'a, T> {
    fn new(c: &'a mut [T], ld: usize, epilogue: Epilogue<'a, T>) -> Self {
        Out {
            ptr: c.as_mut_ptr(),
            len: c.len(),
            ld,
            bias: epilogue.bias,
            relu: epilogue.relu,
            _borrow: std::marker::PhantomData,
        }
    }

    /// The same rows, starting at column `j0`.
    fn starting_at_column(self, j0: usize) -> Self {
        Out {
            ptr: self.ptr.wrapping_add(j0),
            len: self.len.saturating_sub(j0),
            bias: self.bias.map(|b| &b[j0..]),
            ..self
        }
    }

    /// The rows from row `i0` on.
    fn starting_at_row(self, i0: usize) -> Self {
        let skip = i0 * self.ld;
        Out {
            ptr: self.ptr.wrapping_add(skip),
            len: self.len.saturating_sub(skip),
            ..self
        }
    }

    /// Asks the cache for rows `i .. i + rows`, columns `j .. j + w`, ahead of a tile's store:
    /// a large output is not in cache, and without this the tile's stores wait on memory
    /// while the next tile's arithmetic could run. A hint only; it never faults.
    #[inline]
    fn prefetch(&self, i: usize, rows: usize, j: usize, w: usize) {
        for r in i..i + rows {
            let first = self.ptr.wrapping_add(r * self.ld + j);
            prefetch(first);
            prefetch(first.wrapping_add(w - 1));
        }
    }

    /// Elements `j .. j + w` of row `i`.
    ///
    /// # Safety
    /// No other live slice may cover these elements: callers on different threads use
    /// disjoint column or row ranges, and each thread holds one row slice at a time.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, i: usize, j: usize, w: usize) -> &mut [T] {
        let start = i * self.ld + j;
        assert!(start + w <= self.len, "gemm: output row out of bounds");
        // SAFETY: in bounds (checked above) and unaliased (the caller's contract).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), w) }
    }
}

/// Depth of a packed panel, rows of a packed block of A, columns of a packed block of B: the
/// B micro-panel (`KC x NR`) stays in L1, the A block (`MC x KC`) in L2.
const KC: usize = 256;
const MC: usize = 144;
const NC: usize = 4096;

/// The register tile is 6 rows by 64 bytes of columns (16 f32 or 8 f64): 12 vector
/// accumulators of 256 bits, the most that leave registers for the operands.
const MR: usize = 6;

fn packed<T: Float>(m: usize, k: usize, n: usize, a: View<'_, T>, b: View<'_, T>, c: Out<'_, T>) {
    // The plain product and the linear layer get separate copies of the blocking loops, so
    // that the plain one's tile store carries no epilogue (3-4% of a product's time when it
    // did).
    match (size_of::<T>() == 4, c.bias.is_some() || c.relu) {
        (true, false) => packed_tiles::<T, 16, false>(m, k, n, a, b, c),
        (true, true) => packed_tiles::<T, 16, true>(m, k, n, a, b, c),
        (false, false) => packed_tiles::<T, 8, false>(m, k, n, a, b, c),
        (false, true) => packed_tiles::<T, 8, true>(m, k, n, a, b, c),
    }
}

fn packed_tiles<T: Float, const NR: usize, const EPILOGUE: bool>(
    m: usize,
    k: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: Out<'_, T>,
) {
    // A row-major A is read in place, six rows at a time: packing it would interleave its
    // rows element by element, about a cycle per element, which costs more than it saves.
    // (B is always packed: its micro-panel is reread for every tile and must sit in L1.)
    let a_in_place = a.cs == 1;
    with_pack_space::<T>(|pa, pb| {
        // Equal depth and row blocks: a thin last block (depth 16 after three of 256, say)
        // would pay the tile write-back for little arithmetic.
        let (kb, mb) = (balanced(k, KC, 1), balanced(m, MC, MR));
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(kb) {
                let kc = kb.min(k - pc);
                let pb = pack::<T, NR>(pb, b.at(pc, jc), kc, nc, true);
                for ic in (0..m).step_by(mb) {
                    let mc = mb.min(m - ic);
                    let pa: &[T] = if a_in_place {
                        &[]
                    } else {
                        pack::<T, MR>(pa, a.at(ic, pc), kc, mc, false)
                    };
                    for jr in (0..nc).step_by(NR) {
                        let bp = &pb[jr * kc..(jr + NR) * kc];
                        for ir in (0..mc).step_by(MR) {
                            let rows = MR.min(mc - ir);
                            c.prefetch(ic + ir, rows, jc + jr, NR.min(nc - jr));
                            let acc = if a_in_place {
                                micro_kernel_rows::<T, NR>(kc, a.at(ic + ir, pc), rows, bp)
                            } else {
                                micro_kernel::<T, NR>(kc, &pa[ir * kc..(ir + MR) * kc], bp)
                            };
                            let tile = Tile {
                                row: ic + ir,
                                col: jc + jr,
                                rows,
                                cols: NR.min(nc - jr),
                                accumulate: pc > 0,
                                last: pc + kc == k,
                            };
                            if EPILOGUE {
                                store_with_epilogue(&acc, &c, tile);
                            } else {
                                store(&acc, &c, tile);
                            }
                        }
                    }
                }
            }
        }
    });
}

/// The block size for `len`, at most `max`, that splits it into equal blocks (rounded up to
/// a multiple of `unit`).
fn balanced(len: usize, max: usize, unit: usize) -> usize {
    let blocks = len.div_ceil(max).max(1);
    len.div_ceil(blocks).next_multiple_of(unit)
}

/// Copies a `depth x width` block (of B, `along_rows` = true) or a `width x depth` block (of A)
/// into panels of `R` lines: panel `q` holds lines `q R .. q R + R` for every depth index, `R`
/// values at a time, zero-padded past the edge, which is the order the micro-kernel reads.
fn pack<'a, T: Float, const R: usize>(
    buf: &'a mut Vec<T>,
    src: View<'_, T>,
    depth: usize,
    width: usize,
    along_rows: bool,
) -> &'a [T] {
    let panels = width.div_ceil(R);
    let dst = aligned(buf, panels * R * depth);
    // Step through the source along the lines (`line`) and along the depth (`deep`).
    let (line, deep) = if along_rows {
        (src.cs, src.rs)
    } else {
        (src.rs, src.cs)
    };
    let slot = |q: usize, p: usize| q * R * depth + p * R;
    if line == 1 {
        // Lines are contiguous at each depth. Eight panels at a time, walk down the depth and
        // copy each source row's run for those panels: the reads are 8 R values in a row (a
        // source far larger than the caches is read in long runs, not one line per page) and
        // the writes go to eight sequential streams.
        const GROUP: usize = 8;
        // Eight rows ahead rather than four: `mlp_step` 0.975x the time, `deepid2` 0.99x
        // (in-process A/B, both slot orders); sixteen no better than eight.
        const AHEAD: usize = 8;
        let full = width / R;
        for q0 in (0..full).step_by(GROUP) {
            let group = GROUP.min(full - q0);
            for p in 0..depth {
                // The rows are far apart (a weight matrix's row is kilobytes): ask for the
                // run a few rows down now, so it arrives by the time it is copied.
                if p + AHEAD < depth {
                    let ahead = &src.data[(p + AHEAD) * deep + q0 * R..];
                    for line in ahead[..group * R].chunks(64 / size_of::<T>()) {
                        prefetch(line.as_ptr());
                    }
                }
                let row = &src.data[p * deep + q0 * R..p * deep + (q0 + group) * R];
                for (g, run) in row.chunks_exact(R).enumerate() {
                    let at = slot(q0 + g, p);
                    let out: &mut [T; R] = (&mut dst[at..at + R]).try_into().expect("R");
                    *out = run.try_into().expect("R wide"); // vector moves
                }
            }
        }
        let rest = width - full * R;
        if rest > 0 {
            let panel = &mut dst[slot(full, 0)..slot(full + 1, 0)];
            for (p, out) in panel.chunks_exact_mut(R).enumerate() {
                let start = p * deep + full * R;
                out[..rest].copy_from_slice(&src.data[start..start + rest]);
                out[rest..].fill(T::ZERO);
            }
        }
    } else {
        // Lines are strided, each contiguous along the depth (a transposed B): read the
        // panel's lines in step, eight depth steps at a time, and write the transposed block.
        // Lines past the edge repeat the last one; the micro-kernel's sums for them are
        // discarded by `store`.
        const STEP: usize = 8;
        let lead = 128 / size_of::<T>();
        debug_assert_eq!(deep, 1, "a matrix view is contiguous along one axis");
        for q in 0..panels {
            let lines = R.min(width - q * R);
            let src_line: [&[T]; R] = std::array::from_fn(|l| {
                let start = (q * R + l.min(lines - 1)) * line;
                &src.data[start..start + depth]
            });
            let panel = &mut dst[slot(q, 0)..slot(q, depth)];
            let mut blocks = panel.chunks_exact_mut(STEP * R);
            let mut p0 = 0;
            for block in blocks.by_ref() {
                // Sixteen lines are read in step, more streams than the hardware prefetcher
                // follows: ask for each line's next cache line but one.
                if p0 % (64 / size_of::<T>()) == 0 && p0 + lead < depth {
                    for s in &src_line {
                        prefetch(s[p0 + lead..].as_ptr());
                    }
                }
                for (l, s) in src_line.iter().enumerate() {
                    let run: &[T; STEP] = s[p0..p0 + STEP].try_into().expect("STEP");
                    for (d, &x) in run.iter().enumerate() {
                        block[d * R + l] = x;
                    }
                }
                p0 += STEP;
            }
            for (d, out) in blocks.into_remainder().chunks_exact_mut(R).enumerate() {
                for (o, s) in out.iter_mut().zip(&src_line) {
                    *o = s[p0 + d];
                }
            }
        }
    }
    dst
}

/// Where a register tile lands in the output, whether it adds to earlier depth panels, and
/// whether it is the last one (the output is final once it is stored).
struct Tile {
    row: usize,
    col: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
    last: bool,
}

/// One `MR x NR` tile of `A_panel B_panel` over `kc` depth steps, accumulated in registers.
/// Kept out of line: inlined into the blocking loops, its accumulators spill to the stack.
#[inline(never)]
fn micro_kernel<T: Float, const NR: usize>(kc: usize, a: &[T], b: &[T]) -> [[T; NR]; MR] {
    let mut acc = [[T::ZERO; NR]; MR];
    let (a, b) = (&a[..kc * MR], &b[..kc * NR]);
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        // Fixed-size views: the loops below unroll completely, with no bounds checks.
        let ap: &[T; MR] = ap.try_into().expect("chunks of MR");
        let bp: &[T; NR] = bp.try_into().expect("chunks of NR");
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] = ap[i].mul_add(bp[j], acc[i][j]);
            }
        }
    }
    acc
}

/// [`micro_kernel`] reading A in place: `rows` (at most `MR`) rows of `a`, `a.rs` apart and
/// contiguous along the depth. Missing rows repeat the last one; their sums are discarded.
#[inline(never)]
fn micro_kernel_rows<T: Float, const NR: usize>(
    kc: usize,
    a: View<'_, T>,
    rows: usize,
    b: &[T],
) -> [[T; NR]; MR] {
    debug_assert_eq!(a.cs, 1);
    let line: [&[T]; MR] = std::array::from_fn(|i| {
        let start = i.min(rows - 1) * a.rs;
        &a.data[start..start + kc]
    });
    let mut acc = [[T::ZERO; NR]; MR];
    for (p, bp) in b[..kc * NR].chunks_exact(NR).enumerate() {
        let bp: &[T; NR] = bp.try_into().expect("chunks of NR");
        for i in 0..MR {
            let ap = line[i][p];
            for j in 0..NR {
                acc[i][j] = ap.mul_add(bp[j], acc[i][j]);
            }
        }
    }
    acc
}

/// Writes (or adds) a register tile into its place in `c`, cut to the matrix edge.
#[inline]
fn store<T: Float, const NR: usize>(acc: &[[T; NR]; MR], c: &Out<'_, T>, tile: Tile) {
    for (i, t) in acc.iter().take(tile.rows).enumerate() {
        // SAFETY: this thread owns these rows and columns (see `parallel_split`) and holds no
        // other row slice.
        let dst = unsafe { c.row(tile.row + i, tile.col, tile.cols) };
        if tile.accumulate {
            for (d, &v) in dst.iter_mut().zip(t) {
                *d += v;
            }
        } else if let Ok(full) = <&mut [T; NR]>::try_from(&mut *dst) {
            *full = *t; // a full row: vector moves, not a call into memmove
        } else {
            dst.copy_from_slice(&t[..tile.cols]);
        }
    }
}

/// [`store`] for a linear layer: the first depth panel's tile gets the bias, the last one's
/// the ReLU, while the sums are still in registers.
#[inline]
fn store_with_epilogue<T: Float, const NR: usize>(acc: &[[T; NR]; MR], c: &Out<'_, T>, tile: Tile) {
    let zeros = [T::ZERO; NR];
    let bias = match c.bias {
        Some(bias) if !tile.accumulate => &bias[tile.col..tile.col + tile.cols],
        _ => &zeros[..tile.cols],
    };
    let relu_now = c.relu && tile.last;
    for (i, t) in acc.iter().take(tile.rows).enumerate() {
        // SAFETY: as in `store`.
        let dst = unsafe { c.row(tile.row + i, tile.col, tile.cols) };
        for ((d, &v), &b) in dst.iter_mut().zip(t).zip(bias) {
            let sum = if tile.accumulate { *d + v } else { v + b };
            *d = if relu_now { relu(sum) } else { sum };
        }
    }
}

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

/// Runs `f` with this thread's two packing buffers (for A and for B).
fn with_pack_space<T: Float>(f: impl FnOnce(&mut Vec<T>, &mut Vec<T>)) {
    T::pool().with(|pool| {
        let mut pool = pool.borrow_mut();
        let (pa, pb) = pool.pack_space();
        f(pa, pb)
    })
}

/// The narrowest column piece of a product split across threads, with A read in place and
/// with a packed (transposed) A (see `parallel_split`). 64 rather than 128 gives `gan_step`'s
/// [256, 256] products four pieces instead of two, so that a helper starting late takes one
/// piece and the caller three (in-process A/B, both slot orders: `gan_step` and `mlp_step`
/// 0.96x the time).
const MIN_PIECE: usize = 64;
const MIN_PACKED_PIECE: usize = 1024;

/// Splits `c` across the helper threads and the calling thread: by columns, or by rows when
/// `c` is a single tile wide (a classifier's few outputs). Each piece is a whole number of
/// tiles (16 columns, or `MR` rows), so the split never changes a tile, and every element of
/// `c` is written by exactly one thread, with the same arithmetic whichever thread it is.
///
/// Pieces go to whichever thread is free, in order. In the column split there are up to four
/// per thread when the product is wide enough (see `min_piece` below): a helper that starts
/// late or runs on a busier core then takes fewer, instead of the caller waiting for it (7% of
/// `mlp_step`'s samples with one fixed half each). The row split repacks B for each piece and
/// keeps one piece per thread.
fn parallel_split<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: Out<'_, T>,
) {
    let by_rows = n <= 16;
    let (len, unit) = if by_rows { (m, MR) } else { (n, 16) };
    let units = len.div_ceil(unit);
    // Every piece reads all of A, so a piece narrower than `MIN_PIECE` columns would stream A
    // more often than its arithmetic pays for (deepid2's input gradient: A is [256, 10000],
    // 160 columns). A packed A is copied again for each piece: that costs m k against the
    // piece's m k width multiply-adds, negligible from `MIN_PACKED_PIECE` columns on
    // (deepid2's weight gradient, 10,000 columns wide).
    let min_piece = match (by_rows, a.cs == 1) {
        (true, _) => usize::MAX,
        (false, true) => MIN_PIECE,
        (false, false) => MIN_PACKED_PIECE,
    };
    let next = AtomicUsize::new(0);
    in_parallel(units, |_, parts| {
        let pieces = (4 * parts).min(len / min_piece).max(parts);
        let size = len.div_ceil(pieces).next_multiple_of(unit);
        loop {
            let start = next.fetch_add(1, Ordering::Relaxed) * size;
            if start >= len {
                return;
            }
            let size = size.min(len - start);
            if by_rows {
                packed(size, k, n, a.at(start, 0), b, c.starting_at_row(start));
            } else {
                packed(m, k, size, a, b.at(0, start), c.starting_at_column(start));
            }
        }
    });
}

/// `y += s_1 x_1 + ... + s_Q x_Q` for the scalars `s` and the rows `x` of `mat`, in order.
fn add_scaled_rows<T: Float>(s: &[T], mat: &[T], y: &mut [T]) {
    for (&s, row) in s.iter().zip(mat.chunks_exact(y.len())) {
        axpy(s, row, y);
    }
}

/// `y += s x`.
#[inline]
fn axpy<T: Float>(s: T, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = s.mul_add(x, *y);
    }
}

/// `x . y` with eight independent partial sums, so the loop vectorises despite float
/// addition not being associative.
#[inline]
fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    const LANES: usize = 32;
    let mut acc = [T::ZERO; LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let tail: T = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(&a, &b)| a * b)
        .sum();
    for (a, b) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }
    acc.iter().copied().sum::<T>() + tail
}
