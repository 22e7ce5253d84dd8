//! Softmax and log-softmax as fused, stable primitives, and composites built on the primitives
//! (pairwise squared distances).

use crate::algebra::Algebra;
use crate::ops::Op;
use crate::storage::INLINE;
use crate::{Float, Tensor, Var};

impl<T: Float> Tensor<T> {
    /// ln softmax along `axis`: `x - logsumexp(x)`, with the lane maximum subtracted first.
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        self.shape().dim("log_softmax", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        if inner == 1 && self.numel() > INLINE {
            // The usual case, the last axis: each lane is a contiguous row.
            return Tensor::build(self.shape().clone(), |v| {
                for row in self.data().chunks_exact(n) {
                    let lse = row_logsumexp(row);
                    v.extend(row.iter().map(|&x| x - lse));
                }
            });
        }
        let mut out = self.clone();
        let o = out.data_mut();
        for b in 0..outer {
            for i in 0..inner {
                let at = |j: usize| (b * n + j) * inner + i;
                let lse = logsumexp((0..n).map(|j| o[at(j)]));
                for j in 0..n {
                    o[at(j)] -= lse;
                }
            }
        }
        out
    }

    /// softmax along `axis`: `e^(x - max) / sum e^(x - max)`.
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        self.shape().dim("softmax", axis);
        self.log_softmax(axis).exp()
    }
}

/// ln sum e^x of one lane, with its maximum subtracted (a lane of all -inf gives -inf).
fn logsumexp<T: Float>(lane: impl Iterator<Item = T> + Clone) -> T {
    let m = lane.clone().fold(T::NEG_INFINITY, Float::max);
    let m = if m.is_finite() { m } else { T::ZERO };
    let s: T = lane.map(|x| (x - m).exp()).sum();
    m + s.ln()
}

/// ln sum e^x of a contiguous row, with eight partial sums so that the loop vectorises.
fn row_logsumexp<T: Float>(row: &[T]) -> T {
    const LANES: usize = 8;
    let m = row.iter().copied().fold(T::NEG_INFINITY, Float::max);
    let m = if m.is_finite() { m } else { T::ZERO };
    let chunks = row.chunks_exact(LANES);
    let mut acc = [T::ZERO; LANES];
    let tail: T = chunks.remainder().iter().map(|&x| (x - m).exp()).sum();
    for c in chunks {
        for l in 0..LANES {
            acc[l] += (c[l] - m).exp();
        }
    }
    m + (acc.iter().copied().sum::<T>() + tail).ln()
}

/// softmax backward: `y * (g - sum(g * y))` along the axis.
pub(crate) fn softmax_backward<T: Float, A: Algebra<T>>(axis: usize, y: &A, g: &A) -> A {
    let dot = g.mul(y).sum_axis(Some(axis), true);
    y.mul(&g.sub(&dot))
}

/// log-softmax backward: `g - softmax * sum(g)` along the axis.
pub(crate) fn log_softmax_backward<T: Float, A: Algebra<T>>(axis: usize, y: &A, g: &A) -> A {
    let total = g.sum_axis(Some(axis), true);
    g.sub(&y.exp().mul(&total))
}

impl<'t, T: Float> Var<'t, T> {
    /// softmax along `axis`, computed stably (the lane maximum is subtracted).
    pub fn softmax(self, axis: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).softmax(axis);
        self.tape.push(Op::Softmax { axis }, &[self.id], value)
    }

    /// ln softmax along `axis`, computed as `x - logsumexp(x)`: finite for logits of any size.
    pub fn log_softmax(self, axis: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).log_softmax(axis);
        self.tape.push(Op::LogSoftmax { axis }, &[self.id], value)
    }

    /// Squared Euclidean distances between the rows of `self` `[n, d]` and of `other` `[m, d]`:
    /// `D[i, j] = ||a_i - b_j||^2`, shape `[n, m]`, computed as
    /// `||a_i||^2 + ||b_j||^2 - 2 a_i . b_j` (one matrix product) and clamped at 0 against
    /// round-off.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let a = tape.constant(Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0], [2, 2]));
    /// let b = tape.constant(Tensor::from_vec(vec![3.0, 4.0], [1, 2]));
    /// assert_eq!(a.pairwise_sq_dists(b).value().data(), &[25.0, 13.0]);
    /// ```
    pub fn pairwise_sq_dists(self, other: Var<'t, T>) -> Var<'t, T> {
        let (sa, sb) = (self.shape(), other.shape());
        assert!(
            sa.rank() == 2 && sb.rank() == 2 && sa.dims()[1] == sb.dims()[1],
            "pairwise_sq_dists: {sa} and {sb}: expects [n, d] and [m, d]"
        );
        let na = self.square().sum_axis(1, true); // [n, 1]
        let nb = other.square().sum_axis(1, true).reshape([1, sb.dims()[0]]); // [1, m]
        let cross = self.matmul_t(other, false, true); // [n, m]
        (na + nb - cross.scale(T::from_f64(2.0))).maximum_scalar(T::ZERO)
    }
}
