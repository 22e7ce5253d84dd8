//! The AVX2 + FMA path's micro-kernel: the portable tile compiled with 256-bit vectors and fused
//! multiply-adds. At 6 x 16 f32 (6 x 8 f64) it keeps 12 accumulators of the 16 vector
//! registers, broadcasting one element of A and loading two vectors of B per depth step.

use crate::Float;
use crate::cpu::Avx2;

use super::View;
use super::blocked::MR;
use super::portable::{tile, tile_rows};

/// One tile of `A_panel B_panel` (see [`tile`]), compiled for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
pub(super) fn micro_kernel<T: Float, const NR: usize>(
    kc: usize,
    a: &[T],
    b: &[T],
) -> [[T; NR]; MR] {
    tile::<Avx2, T, NR>(kc, a, b)
}

/// One tile reading A in place (see [`tile_rows`]), compiled for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
pub(super) fn micro_kernel_rows<T: Float, const NR: usize>(
    kc: usize,
    a: View<'_, T>,
    rows: usize,
    b: &[T],
) -> [[T; NR]; MR] {
    tile_rows::<Avx2, T, NR>(kc, a, rows, b)
}
