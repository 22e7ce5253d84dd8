//! The packed, cache-blocked product (Goto and van de Geijn; the BLIS loop order): panels of
//! `op(B)` are packed into a contiguous per-thread buffer, and so are panels of a transposed
//! `op(A)`; a row-major A is read in place, six rows at a time. A register-blocked
//! micro-kernel (one per instruction set) multiplies them; the output rows of each tile are
//! prefetched before it runs, so a large output's cache misses overlap the arithmetic. Large
//! products are split by columns (by rows when the output is one tile wide) across the helper
//! threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Float;
use crate::cpu::{Isa, KernelPath};
use crate::parallel::in_parallel;

use super::pack::{balanced, pack};
use super::{Epilogue, PackSpace, View, prefetch};

/// Depth of a packed panel, rows of a packed block of A, columns of a packed block of B: the
/// B micro-panel (`KC x NR`) stays in L1, the A block (`MC x KC`) in L2.
const KC: usize = 256;
const MC: usize = 144;
const NC: usize = 4096;

/// The register tile is 6 rows by 64 bytes of columns (16 f32 or 8 f64): 12 vector
/// accumulators of 256 bits, the most that leave registers for the operands.
pub(super) const MR: usize = 6;

crate::kernel! {
    /// `c = a b` (`m x k` by `k x n`) by the packed, cache-blocked algorithm, with the
    /// epilogue `c` carries applied as the tiles are stored.
    pub(super) fn packed<T: Float>(
        m: usize,
        k: usize,
        n: usize,
        a: View<'_, T>,
        b: View<'_, T>,
        c: Out<'_, T>,
    ) {
        // The plain product and the linear layer get separate copies of the blocking loops,
        // so that the plain one's tile store carries no epilogue (3-4% of a product's time
        // when it did).
        match (size_of::<T>() == 4, c.bias.is_some() || c.relu) {
            (true, false) => packed_tiles::<I, T, 16, false>(m, k, n, a, b, c),
            (true, true) => packed_tiles::<I, T, 16, true>(m, k, n, a, b, c),
            (false, false) => packed_tiles::<I, T, 8, false>(m, k, n, a, b, c),
            (false, true) => packed_tiles::<I, T, 8, true>(m, k, n, a, b, c),
        }
    }
}

/// One `MR x NR` tile of `A_panel B_panel` over `kc` depth steps, by the micro-kernel of the
/// path `I`.
#[inline(always)]
fn micro_kernel<I: Isa, T: Float, const NR: usize>(kc: usize, a: &[T], b: &[T]) -> [[T; NR]; MR] {
    match I::PATH {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: code generic over the path runs with `I = Avx2` only inside the copy of a
        // `kernel!` function that the dispatcher enters after detecting AVX2 and FMA.
        KernelPath::Avx2 => unsafe { super::avx2::micro_kernel::<T, NR>(kc, a, b) },
        _ => super::portable::micro_kernel::<T, NR>(kc, a, b),
    }
}

/// [`micro_kernel`] reading A in place: `rows` (at most `MR`) rows of `a`, `a.rs` apart.
#[inline(always)]
fn micro_kernel_rows<I: Isa, T: Float, const NR: usize>(
    kc: usize,
    a: View<'_, T>,
    rows: usize,
    b: &[T],
) -> [[T; NR]; MR] {
    match I::PATH {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `micro_kernel`.
        KernelPath::Avx2 => unsafe { super::avx2::micro_kernel_rows::<T, NR>(kc, a, rows, b) },
        _ => super::portable::micro_kernel_rows::<T, NR>(kc, a, rows, b),
    }
}

#[inline(always)]
fn packed_tiles<I: Isa, T: Float, const NR: usize, const EPILOGUE: bool>(
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
    let mut space = PackSpace::<T>::take();
    // Equal depth and row blocks: a thin last block (depth 16 after three of 256, say)
    // would pay the tile write-back for little arithmetic.
    let (kb, mb) = (balanced(k, KC, 1), balanced(m, MC, MR));
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(kb) {
            let kc = kb.min(k - pc);
            let pb = pack::<T, NR>(&mut space.b, b.at(pc, jc), kc, nc, true);
            for ic in (0..m).step_by(mb) {
                let mc = mb.min(m - ic);
                let pa: &[T] = if a_in_place {
                    &[]
                } else {
                    pack::<T, MR>(&mut space.a, a.at(ic, pc), kc, mc, false)
                };
                for jr in (0..nc).step_by(NR) {
                    let bp = &pb[jr * kc..(jr + NR) * kc];
                    for ir in (0..mc).step_by(MR) {
                        let rows = MR.min(mc - ir);
                        c.prefetch(ic + ir, rows, jc + jr, NR.min(nc - jr));
                        let acc = if a_in_place {
                            micro_kernel_rows::<I, T, NR>(kc, a.at(ic + ir, pc), rows, bp)
                        } else {
                            micro_kernel::<I, T, NR>(kc, &pa[ir * kc..(ir + MR) * kc], bp)
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

/// Writes (or adds) a register tile into its place in `c`, cut to the matrix edge.
#[inline(always)]
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
#[inline(always)]
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

/// `max(v, 0)`, with NaN mapped to 0 as `relu` does.
#[inline(always)]
fn relu<T: Float>(v: T) -> T {
    if v > T::ZERO { v } else { T::ZERO }
}

/// Where the product goes: rows of length `ld`, of which a column block is being written.
/// A raw pointer, because threads write disjoint column blocks of the same rows.
#[derive(Clone, Copy)]
pub(super) struct Out<'a, T> {
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
    pub(super) fn new(c: &'a mut [T], ld: usize, epilogue: Epilogue<'a, T>) -> Self {
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
    #[inline(always)]
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
pub(super) fn parallel_split<T: Float>(
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
