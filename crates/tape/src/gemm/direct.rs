//! The products that skip packing: a vector against a matrix, and products with a few rows, a
//! shallow depth or a few output columns, where a packed 16-wide tile would be mostly padding.
//! Each is a few fixed loops over rows, generic over the kernel path `I` and always inlined
//! into the path's copy of [`super::gemm`].

use crate::Float;
use crate::cpu::Isa;
use crate::parallel::join;

use super::blocked::MR;
use super::{Epilogue, PARALLEL_WORK, SHALLOW, Start, View, fill_rows_with_bias, relu_in_place};

crate::kernel! {
    /// `c[i, j] = a_i . b_j + bias_j` for the rows `a_i` of `a` and `b_j` of `b_rows`, all `k`
    /// long: the products with a few output columns.
    pub(super) fn dot_rows<T: Float>(
        a: &[T],
        b_rows: &[T],
        k: usize,
        bias: Option<&[T]>,
        c: &mut [T],
    ) {
        let n = b_rows.len() / k;
        for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
            for (j, (out, b_row)) in c_row.iter_mut().zip(b_rows.chunks_exact(k)).enumerate() {
                *out = dot::<I, T>(a_row, b_row) + bias.map_or(T::ZERO, |b| b[j]);
            }
        }
    }
}

crate::kernel! {
    /// The outer product `c = bias + a b` of a column `a` and a row `b`: each output row is a
    /// scaled copy of `b`.
    pub(super) fn outer<T: Float>(a: &[T], b: &[T], bias: Option<&[T]>, c: &mut [T]) {
        for (&s, row) in a.iter().zip(c.chunks_exact_mut(b.len())) {
            axpy_rows::<I, T, 1>([(s, b)], bias.map_or(Start::Zero, Start::Bias), row);
        }
    }
}

crate::kernel! {
    /// `columns[j] = sum_p b[p, j] a[p]` for the rows `a[p]` (`m` long) of `a` and `b` (`n`
    /// columns, `columns` holding `n` rows of `m`): a weight gradient `x^T g` with a few
    /// columns, built as the rows of its transpose.
    pub(super) fn scaled_columns<T: Float>(a: &[T], b: &[T], m: usize, columns: &mut [T]) {
        let n = columns.len() / m;
        columns.fill(T::ZERO);
        for (a_row, b_row) in a.chunks_exact(m).zip(b.chunks_exact(n)) {
            for (&s, column) in b_row.iter().zip(columns.chunks_exact_mut(m)) {
                axpy::<I, T>(s, a_row, column);
            }
        }
    }
}

crate::kernel! {
    /// `c = a b` for a `b` of few rows or an `a` of few rows, `b` given as its rows (`n` wide,
    /// row-major), with no packing: each output row is a sum of scaled rows of `b`, added in
    /// depth order.
    ///
    /// A shallow product (at most `SHALLOW` rows of `b`, which then stay in cache) builds each
    /// output row in passes of up to `TERMS` rows of `b`, bias to ReLU, while the row is in L1:
    /// each output vector stays in a register across a pass, and the loads of `b` keep pace
    /// with the multiply-adds. A product of few output rows and a deep `b` adds the rows of `b`
    /// one at a time, a single stream through memory (measured no slower than adding each row
    /// of `b` to all outputs in turn).
    fn thin<T: Float>(
        a: View<'_, T>,
        b_rows: &[T],
        n: usize,
        epilogue: Epilogue<'_, T>,
        c: &mut [T],
    ) {
        let k = b_rows.len() / n.max(1);
        let coef = |i: usize, p: usize| a.data[i * a.rs + p * a.cs];
        let b_row = |p: usize| &b_rows[p * n..(p + 1) * n];
        let bias = epilogue.bias;
        if k <= SHALLOW {
            for (i, row) in c.chunks_exact_mut(n).enumerate() {
                let term = |p: usize| (coef(i, p), b_row(p));
                let mut start = bias.map_or(Start::Zero, Start::Bias);
                for p in (0..k).step_by(TERMS) {
                    add_terms::<I, T>(&term, p, (k - p).min(TERMS), start, row);
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
                axpy::<I, T>(coef(i, p), b_row(p), row);
            }
        }
        if epilogue.relu {
            relu_in_place(c);
        }
    }
}

/// [`thin`], on two threads (each half of the rows) when the product is large.
pub(super) fn thin_in_halves<T: Float>(
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

/// `y = start + s_p x_p + ... + s_(p+q-1) x_(p+q-1)` for the terms `term(p)`, `q <= TERMS`.
#[inline(always)]
fn add_terms<'b, I: Isa, T: Float>(
    term: &impl Fn(usize) -> (T, &'b [T]),
    p: usize,
    q: usize,
    start: Start<'_, T>,
    y: &mut [T],
) {
    debug_assert!((1..=TERMS).contains(&q));
    let t = |i: usize| term(p + i);
    match q {
        1 => axpy_rows::<I, T, 1>(std::array::from_fn(t), start, y),
        2 => axpy_rows::<I, T, 2>(std::array::from_fn(t), start, y),
        3 => axpy_rows::<I, T, 3>(std::array::from_fn(t), start, y),
        _ => axpy_rows::<I, T, TERMS>(std::array::from_fn(t), start, y),
    }
}

/// `y = start + s_1 x_1 + ... + s_Q x_Q`, summed left to right.
#[inline(always)]
fn axpy_rows<I: Isa, T: Float, const Q: usize>(
    terms: [(T, &[T]); Q],
    start: Start<'_, T>,
    y: &mut [T],
) {
    let n = y.len();
    let x: [&[T]; Q] = terms.map(|(_, x)| &x[..n]);
    let s: [T; Q] = terms.map(|(s, _)| s);
    // One loop per start, so that none of them branches per element.
    match start {
        Start::Zero => sum_rows::<I, T, Q>(x, s, |_, _| T::ZERO, y),
        Start::Bias(bias) => {
            let bias = &bias[..n];
            sum_rows::<I, T, Q>(x, s, move |j, _| bias[j], y)
        }
        Start::Row => sum_rows::<I, T, Q>(x, s, |_, y| y, y),
    }
}

/// `y_j = start(j, y_j) + s_1 x_1j + ... + s_Q x_Qj`.
///
/// Each output's sum is a chain of `Q` dependent multiply-adds; 32 outputs at a time give the
/// core four independent vector chains to interleave.
#[inline(always)]
fn sum_rows<I: Isa, T: Float, const Q: usize>(
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
                v[l] = s[q].mul_add_on::<I>(xq[l], v[l]);
            }
        }
        *chunk = v;
    }
    for (t, y) in tail.iter_mut().enumerate() {
        let j = whole + t;
        let mut v = start(j, *y);
        for q in 0..Q {
            v = s[q].mul_add_on::<I>(x[q][j], v);
        }
        *y = v;
    }
}

crate::kernel! {
    /// `y += s_1 x_1 + ... + s_Q x_Q` for the scalars `s` and the rows `x` of `mat`, in order.
    pub(super) fn add_scaled_rows<T: Float>(s: &[T], mat: &[T], y: &mut [T]) {
        for (&s, row) in s.iter().zip(mat.chunks_exact(y.len())) {
            axpy::<I, T>(s, row, y);
        }
    }
}

/// `y += s x`.
#[inline(always)]
fn axpy<I: Isa, T: Float>(s: T, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = s.mul_add_on::<I>(x, *y);
    }
}

/// `x . y` with 32 independent partial sums, so the loop vectorises despite float addition
/// not being associative.
#[inline(always)]
fn dot<I: Isa, T: Float>(x: &[T], y: &[T]) -> T {
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
            acc[l] = a[l].mul_add_on::<I>(b[l], acc[l]);
        }
    }
    acc.iter().copied().sum::<T>() + tail
}
