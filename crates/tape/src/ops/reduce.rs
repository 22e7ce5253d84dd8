//! Reductions over all elements or along one axis: sum, mean, max, min, logsumexp, norm.

use crate::Algebra;
use crate::cpu::Isa;
use crate::ops::Op;
use crate::{Cmp, Float, Shape, Tensor, Var};

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduce {
    /// Sum of the elements.
    Sum,
    /// Arithmetic mean.
    Mean,
    /// Largest element (ties share the gradient equally).
    Max,
    /// Smallest element (ties share the gradient equally).
    Min,
    /// ln sum e^x, computed with the maximum subtracted.
    LogSumExp,
    /// Euclidean norm sqrt(sum x^2), with gradient 0 (not NaN) at x = 0.
    Norm,
}

impl Reduce {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Reduce::Sum => "sum",
            Reduce::Mean => "mean",
            Reduce::Max => "max",
            Reduce::Min => "min",
            Reduce::LogSumExp => "logsumexp",
            Reduce::Norm => "norm",
        }
    }
}

/// The shape of a reduction's result.
#[track_caller]
fn reduced_shape(op: &str, x: &Shape, axis: Option<usize>, keepdim: bool) -> Shape {
    match axis {
        None if keepdim => Shape::ones(x.rank()),
        None => Shape::scalar(),
        Some(a) => {
            x.dim(op, a);
            x.with_axis(a, 1, keepdim)
        }
    }
}

/// Folds a contiguous row with `step` into sixteen partial accumulators, then merges them with
/// `combine` (`+` for sums, `step` itself for max and min). One accumulator would chain every
/// element on the previous one; independent chains let the loop run on vector registers, and
/// two vectors of them (not one) let a long step, such as an `exp`, of one vector overlap the
/// other's: `softmax_ce` on one thread took 1.44 ms with eight lanes and 1.21 with sixteen
/// (fastest of 400 steps, AVX2 path; the compiler unrolled an 8-lane fold this way only when
/// tuning for Zen 3 with `target-cpu=native`).
#[inline(always)]
pub(crate) fn fold_row<T: Float>(
    row: &[T],
    init: T,
    step: &impl Fn(T, T) -> T,
    combine: &impl Fn(T, T) -> T,
) -> T {
    const LANES: usize = 16;
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder().iter().fold(init, |a, &v| step(a, v));
    let mut acc = [init; LANES];
    for c in chunks {
        for l in 0..LANES {
            acc[l] = step(acc[l], c[l]);
        }
    }
    acc.into_iter().fold(tail, combine)
}

/// Folds each lane (the elements along the reduced axis) with `step`, then maps the
/// accumulator with `finish(acc, lane_len)`. Partial folds of one lane merge with `combine`.
#[inline(always)]
fn fold_lanes<T: Float>(
    x: &Tensor<T>,
    axis: Option<usize>,
    out_shape: Shape,
    init: T,
    (step, combine): (impl Fn(T, T) -> T, impl Fn(T, T) -> T),
    finish: impl Fn(T, usize) -> T,
) -> Tensor<T> {
    let d = x.data();
    let (outer, n, inner) = match axis {
        None => (1, d.len(), 1),
        Some(a) => x.shape().split_at_axis(a),
    };
    if inner == 1 {
        return Tensor::filled_by(out_shape, |out| {
            for (o, out) in out.iter_mut().enumerate() {
                *out = finish(fold_row(&d[o * n..(o + 1) * n], init, &step, &combine), n);
            }
        });
    }
    let mut acc = Tensor::full(out_shape, init);
    let out = acc.data_mut();
    for o in 0..outer {
        let dst = &mut out[o * inner..(o + 1) * inner];
        for j in 0..n {
            let src = &d[(o * n + j) * inner..(o * n + j + 1) * inner];
            for (a, &v) in dst.iter_mut().zip(src) {
                *a = step(*a, v);
            }
        }
    }
    for a in out.iter_mut() {
        *a = finish(*a, n);
    }
    acc
}

impl<T: Float> Tensor<T> {
    /// Reduces over all elements (`axis = None`) or along `axis`, keeping that axis with
    /// length 1 when `keepdim` is set.
    #[track_caller]
    pub fn reduce(&self, kind: Reduce, axis: Option<usize>, keepdim: bool) -> Tensor<T> {
        let shape = reduced_shape(kind.name(), self.shape(), axis, keepdim);
        reduce_kernel(self, kind, axis, shape)
    }

    /// Sum of all elements (rank 0).
    #[track_caller]
    pub fn sum(&self) -> Tensor<T> {
        self.reduce(Reduce::Sum, None, false)
    }
    /// Mean of all elements (rank 0).
    #[track_caller]
    pub fn mean(&self) -> Tensor<T> {
        self.reduce(Reduce::Mean, None, false)
    }
    /// Sum along `axis`.
    #[track_caller]
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor<T> {
        self.reduce(Reduce::Sum, Some(axis), keepdim)
    }
    /// Maximum along `axis`.
    #[track_caller]
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Tensor<T> {
        self.reduce(Reduce::Max, Some(axis), keepdim)
    }

    /// Index of the largest element along `axis` for each position of the other axes (first
    /// one on ties); a constant with no gradient.
    #[track_caller]
    pub fn argmax(&self, axis: usize) -> Vec<usize> {
        self.shape().dim("argmax", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        let d = self.data();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let mut best = 0;
                for j in 1..n {
                    if d[(o * n + j) * inner + i] > d[(o * n + best) * inner + i] {
                        best = j;
                    }
                }
                out.push(best);
            }
        }
        out
    }
}

crate::kernel! {
    /// The reductions' loops: one fold per kind, with its step inlined.
    fn reduce_kernel<T: Float>(
        x: &Tensor<T>,
        kind: Reduce,
        axis: Option<usize>,
        shape: Shape,
    ) -> Tensor<T> {
        let id = |a: T, _| a;
        let add = |a: T, v: T| a + v;
        match kind {
            Reduce::Sum => fold_lanes(x, axis, shape, T::ZERO, (add, add), id),
            Reduce::Mean => fold_lanes(x, axis, shape, T::ZERO, (add, add), |a, n| {
                a / T::from_usize(n)
            }),
            Reduce::Max => {
                let max = (Float::max, Float::max);
                fold_lanes(x, axis, shape, T::NEG_INFINITY, max, id)
            }
            Reduce::Min => fold_lanes(x, axis, shape, T::INFINITY, (Float::min, Float::min), id),
            Reduce::Norm => {
                let steps = (|a: T, v: T| a + v * v, add);
                fold_lanes(x, axis, shape, T::ZERO, steps, |a, _| a.sqrt())
            }
            Reduce::LogSumExp => logsumexp::<I, T>(x, axis, shape),
        }
    }
}

/// ln sum e^x along `axis`, with each lane's maximum subtracted first.
#[inline(always)]
fn logsumexp<I: Isa, T: Float>(x: &Tensor<T>, axis: Option<usize>, shape: Shape) -> Tensor<T> {
    let add = |a: T, v: T| a + v;
    let m = x.reduce(Reduce::Max, axis, true);
    // A lane of all -inf has logsumexp -inf; subtracting 0 keeps it from turning NaN.
    let m = m.map_inlined(|v| if v.is_finite() { v } else { T::ZERO });
    let s = x.zip_map_inlined(&m, "logsumexp", |x, m| (x - m).exp_on::<I>());
    let s = fold_lanes(&s, axis, shape.clone(), T::ZERO, (add, add), |a, _| a);
    s.zip_map_inlined(&m.reshape(shape), "logsumexp", |s, m| s.ln_on::<I>() + m)
}

/// The backward rule of a reduction: the incoming gradient, shaped back to the kept axis, is
/// spread over the lane according to how each element contributed.
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    kind: Reduce,
    axis: Option<usize>,
    keepdim: bool,
    x: &A,
    y: &A,
    g: &A,
) -> A {
    let xs = x.shape();
    let kept = reduced_shape(kind.name(), &xs, axis, true);
    let (g, y) = if keepdim {
        (g.clone(), y.clone())
    } else {
        (g.reshape(&kept), y.reshape(&kept))
    };
    match kind {
        Reduce::Sum => g.broadcast_to(&xs),
        Reduce::Mean => {
            let n = xs.numel() / kept.numel();
            g.scale(T::ONE / T::from_usize(n)).broadcast_to(&xs)
        }
        Reduce::Max | Reduce::Min => {
            let hit = x.cmp(&y, Cmp::Eq);
            let ties = hit.sum_axis(axis, true);
            hit.mul(&g.div(&ties))
        }
        Reduce::LogSumExp => x.sub(&y).exp().mul(&g),
        // d||x||/dx = x / ||x||, taken as 0 at x = 0 (the minimum-norm subgradient).
        // x / ||x|| first: it is bounded by 1 (0 at x = 0), whereas g / MIN_POSITIVE overflows
        // to inf for |g| > ~4 and 0 * inf would turn the zero gradient into NaN.
        Reduce::Norm => x.div(&y.clamp(T::MIN_POSITIVE, T::INFINITY)).mul(&g),
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Reduces over all elements (`axis = None`) or along `axis`.
    #[track_caller]
    pub fn reduce(self, kind: Reduce, axis: Option<usize>, keepdim: bool) -> Var<'t, T> {
        let value = self.tape.value(self.id).reduce(kind, axis, keepdim);
        self.tape.push(
            Op::Reduce {
                kind,
                axis,
                keepdim,
            },
            &[self.id],
            value,
        )
    }

    /// Sum of all elements (rank 0).
    #[track_caller]
    pub fn sum(self) -> Var<'t, T> {
        self.reduce(Reduce::Sum, None, false)
    }
    /// Mean of all elements (rank 0).
    #[track_caller]
    pub fn mean(self) -> Var<'t, T> {
        self.reduce(Reduce::Mean, None, false)
    }
    /// Largest element (rank 0).
    #[track_caller]
    pub fn max(self) -> Var<'t, T> {
        self.reduce(Reduce::Max, None, false)
    }
    /// Smallest element (rank 0).
    #[track_caller]
    pub fn min(self) -> Var<'t, T> {
        self.reduce(Reduce::Min, None, false)
    }
    /// ln sum e^x over all elements (rank 0), stable for large inputs.
    #[track_caller]
    pub fn logsumexp(self) -> Var<'t, T> {
        self.reduce(Reduce::LogSumExp, None, false)
    }
    /// Sum along `axis`.
    #[track_caller]
    pub fn sum_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::Sum, Some(axis), keepdim)
    }
    /// Mean along `axis`.
    #[track_caller]
    pub fn mean_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::Mean, Some(axis), keepdim)
    }
    /// Maximum along `axis`.
    #[track_caller]
    pub fn max_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::Max, Some(axis), keepdim)
    }
    /// Minimum along `axis`.
    #[track_caller]
    pub fn min_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::Min, Some(axis), keepdim)
    }
    /// ln sum e^x along `axis`, computed with the lane maximum subtracted.
    #[track_caller]
    pub fn logsumexp_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::LogSumExp, Some(axis), keepdim)
    }
    /// Euclidean norm along `axis` (or of everything, with `None`); its gradient is 0 rather
    /// than NaN where the norm is 0, so coinciding embeddings are safe.
    #[track_caller]
    pub fn norm(self, axis: Option<usize>, keepdim: bool) -> Var<'t, T> {
        self.reduce(Reduce::Norm, axis, keepdim)
    }
    /// Index of the largest element along `axis` (a constant; no gradient).
    #[track_caller]
    pub fn argmax(self, axis: usize) -> Vec<usize> {
        self.tape.value(self.id).argmax(axis)
    }
}
