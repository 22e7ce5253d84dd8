//! The register-blocked micro-kernel as plain Rust over fixed-size arrays, which the compiler
//! turns into 12 vector accumulators and (where the path has them) fused multiply-adds; and
//! the baseline path's copy of it.

use crate::Float;
use crate::cpu::{Baseline, Isa};

use super::View;
use super::blocked::MR;

/// The baseline path's micro-kernel: [`tile`] compiled for the target's baseline.
#[inline(never)]
pub(super) fn micro_kernel<T: Float, const NR: usize>(
    kc: usize,
    a: &[T],
    b: &[T],
) -> [[T; NR]; MR] {
    tile::<Baseline, T, NR>(kc, a, b)
}

/// The baseline path's micro-kernel reading A in place: [`tile_rows`].
#[inline(never)]
pub(super) fn micro_kernel_rows<T: Float, const NR: usize>(
    kc: usize,
    a: View<'_, T>,
    rows: usize,
    b: &[T],
) -> [[T; NR]; MR] {
    tile_rows::<Baseline, T, NR>(kc, a, rows, b)
}

/// One `MR x NR` tile of `A_panel B_panel` over `kc` depth steps, accumulated in registers,
/// with the multiply-adds of the path `I`. Each path's micro-kernel is this body compiled for
/// its instructions, out of line: inlined into the blocking loops, its accumulators spill to
/// the stack.
#[inline(always)]
pub(super) fn tile<I: Isa, T: Float, const NR: usize>(
    kc: usize,
    a: &[T],
    b: &[T],
) -> [[T; NR]; MR] {
    let mut acc = [[T::ZERO; NR]; MR];
    let (a, b) = (&a[..kc * MR], &b[..kc * NR]);
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        // Fixed-size views: the loops below unroll completely, with no bounds checks.
        let ap: &[T; MR] = ap.try_into().expect("chunks of MR");
        let bp: &[T; NR] = bp.try_into().expect("chunks of NR");
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] = ap[i].mul_add_on::<I>(bp[j], acc[i][j]);
            }
        }
    }
    acc
}

/// [`tile`] reading A in place: `rows` (at most `MR`) rows of `a`, `a.rs` apart and contiguous
/// along the depth. Missing rows repeat the last one; their sums are discarded.
#[inline(always)]
pub(super) fn tile_rows<I: Isa, T: Float, const NR: usize>(
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
                acc[i][j] = ap.mul_add_on::<I>(bp[j], acc[i][j]);
            }
        }
    }
    acc
}
