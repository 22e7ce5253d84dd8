//! Packing: blocks of `op(B)` (and of a transposed `op(A)`) copied into contiguous panels, in
//! the order the micro-kernel reads them, so that its loads are sequential and the B panel
//! stays in L1 across a whole column of tiles.

use crate::Float;

use super::{View, aligned, prefetch};

/// The block size for `len`, at most `max`, that splits it into equal blocks (rounded up to
/// a multiple of `unit`).
pub(super) fn balanced(len: usize, max: usize, unit: usize) -> usize {
    let blocks = len.div_ceil(max).max(1);
    len.div_ceil(blocks).next_multiple_of(unit)
}

/// Copies a `depth x width` block (of B, `along_rows` = true) or a `width x depth` block (of A)
/// into panels of `R` lines: panel `q` holds lines `q R .. q R + R` for every depth index, `R`
/// values at a time, zero-padded past the edge, which is the order the micro-kernel reads.
/// Always inlined into the path's copy of the blocked product, so that its copies use the
/// path's widest vector moves.
#[inline(always)]
pub(super) fn pack<'a, T: Float, const R: usize>(
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
