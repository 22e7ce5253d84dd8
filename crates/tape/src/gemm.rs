//! The matrix-product kernel behind `matmul`: a packed, cache-blocked GEMM crate for real
//! matrices, and direct loops for the shapes where packing costs more than the product itself
//! (a row or column vector, or an outer product: batch-1 layers and their gradients).

use crate::Float;

/// A row-major `[rows, cols]` matrix, read as stored or transposed.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub transposed: bool,
}

impl<T> MatRef<'_, T> {
    /// Rows and columns of the matrix as read.
    fn dims(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    /// Row and column strides of the matrix as read.
    fn strides(&self) -> (isize, isize) {
        if self.transposed {
            (1, self.cols as isize)
        } else {
            (self.cols as isize, 1)
        }
    }
}

/// `c = op(a) op(b)`, overwriting `c` (`m x n`, row-major).
pub(crate) fn gemm<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
    let ((m, k), (_, n)) = (a.dims(), b.dims());
    debug_assert_eq!(c.len(), m * n);
    if k == 0 {
        c.fill(T::ZERO);
    } else if m == 1 && !b.transposed || n == 1 && a.transposed {
        // A vector times the rows of a matrix: a sum of scaled rows.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        c.fill(T::ZERO);
        for (&s, row) in v.iter().zip(mat.chunks_exact(c.len())) {
            axpy(s, row, c);
        }
    } else if m == 1 || n == 1 {
        // A vector against each row of a matrix: one dot product per output.
        let (v, mat) = if m == 1 {
            (a.data, b.data)
        } else {
            (b.data, a.data)
        };
        for (out, row) in c.iter_mut().zip(mat.chunks_exact(k)) {
            *out = dot(v, row);
        }
    } else if k == 1 {
        // An outer product: each output row is a scaled copy of `b`.
        for (&s, row) in a.data.iter().zip(c.chunks_exact_mut(n)) {
            for (o, &x) in row.iter_mut().zip(b.data) {
                *o = s * x;
            }
        }
    } else {
        let ((rsa, csa), (rsb, csb)) = (a.strides(), b.strides());
        // SAFETY: `a`, `b` and `c` hold exactly the m x k, k x n and m x n matrices that the
        // strides describe, and `c` is borrowed mutably, so it aliases neither input.
        unsafe {
            T::gemm(
                m,
                k,
                n,
                T::ONE,
                a.data.as_ptr(),
                rsa,
                csa,
                b.data.as_ptr(),
                rsb,
                csb,
                T::ZERO,
                c.as_mut_ptr(),
                n as isize,
                1,
            );
        }
    }
}

/// `y += s x`.
#[inline]
fn axpy<T: Float>(s: T, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += s * x;
    }
}

/// `x . y` with eight independent partial sums, so the loop vectorises despite float
/// addition not being associative.
#[inline]
fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    const LANES: usize = 8;
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
            acc[l] += a[l] * b[l];
        }
    }
    acc.iter().copied().sum::<T>() + tail
}
