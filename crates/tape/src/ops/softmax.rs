//! Softmax and log-softmax as fused, stable primitives, and composites built on the primitives
//! (pairwise squared distances).

use crate::cpu::Isa;
use crate::ops::Op;
use crate::ops::reduce::fold_row;
use crate::parallel::{PARALLEL_ELEMENTS, assume_written, fill_rows};
use crate::storage::INLINE;
use crate::{Algebra, AlgebraCore, Float, Shape, Tensor, Var};

impl<T: Float> Tensor<T> {
    /// ln softmax along `axis`: `x - logsumexp(x)`, with the lane maximum subtracted first.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        self.shape().dim("log_softmax", axis);
        log_softmax_kernel(self, axis)
    }

    /// softmax along `axis`: `e^(x - max) / sum e^(x - max)`.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        self.shape().dim("softmax", axis);
        self.log_softmax(axis).exp()
    }
}

crate::kernel! {
    /// [`Tensor::log_softmax`]'s loops.
    fn log_softmax_kernel<T: Float>(x: &Tensor<T>, axis: usize) -> Tensor<T> {
        let (outer, n, inner) = x.shape().split_at_axis(axis);
        if inner == 1 && x.numel() > INLINE {
            // The usual case, the last axis: each lane is a contiguous row.
            let (shape, x) = (x.shape().clone(), x.data());
            return Tensor::build(shape, |v| {
                fill_rows(v, outer, n, x.len() >= PARALLEL_ELEMENTS, |rows, out| {
                    for (i, out) in rows.zip(out.chunks_exact_mut(n)) {
                        let row = &x[i * n..(i + 1) * n];
                        let lse = row_logsumexp::<I, T>(row);
                        for (o, &x) in out.iter_mut().zip(row) {
                            o.write(x - lse);
                        }
                    }
                });
            });
        }
        let mut out = x.clone();
        let o = out.data_mut();
        for b in 0..outer {
            for i in 0..inner {
                let at = |j: usize| (b * n + j) * inner + i;
                let lse = logsumexp::<I, T>((0..n).map(|j| o[at(j)]));
                for j in 0..n {
                    o[at(j)] -= lse;
                }
            }
        }
        out
    }
}

/// ln sum e^x of one lane, with its maximum subtracted (a lane of all -inf gives -inf).
#[inline(always)]
fn logsumexp<I: Isa, T: Float>(lane: impl Iterator<Item = T> + Clone) -> T {
    let m = lane.clone().fold(T::NEG_INFINITY, Float::max);
    let m = if m.is_finite() { m } else { T::ZERO };
    let mut s = T::ZERO;
    for x in lane {
        s += (x - m).exp_on::<I>();
    }
    m + s.ln_on::<I>()
}

/// ln sum e^x of a contiguous row; maximum and sum in eight partial folds, so both vectorise.
#[inline(always)]
fn row_logsumexp<I: Isa, T: Float>(row: &[T]) -> T {
    let m = fold_row(row, T::NEG_INFINITY, &Float::max, &Float::max);
    let m = if m.is_finite() { m } else { T::ZERO };
    let add = |a: T, v: T| a + v;
    m + fold_row(row, T::ZERO, &|a, x| a + (x - m).exp_on::<I>(), &add).ln_on::<I>()
}

/// Rows at most this long (a classifier's classes) go through [`group_logsumexp`].
const SHORT_ROW: usize = 32;
/// Rows per group in [`group_logsumexp`]: one 256-bit vector of f32.
const GROUP: usize = 8;

/// ln sum e^x of each of `GROUP` consecutive rows of length `k <= SHORT_ROW`, the rows along
/// the vector lanes. One row at a time, a short row is mostly overhead: two horizontal
/// reductions, a scalar `ln`, and a scalar `exp` for each element past the last multiple of 8
/// (about 30 of the 90 ns a row of 21 classes took). Copied to a `[k][GROUP]` block first,
/// the rows' maxima, exponentials, sums and logarithms are whole-vector operations:
/// `log_softmax_gather` on one thread, [512, 21] 69-94 -> 49-50 ns a row, [128, 10] 47 -> 33.
#[inline(always)]
fn group_logsumexp<I: Isa, T: Float>(rows: &[T], k: usize) -> [T; GROUP] {
    debug_assert!(k <= SHORT_ROW && rows.len() == GROUP * k);
    let mut block = [[T::ZERO; GROUP]; SHORT_ROW];
    for (l, row) in rows.chunks_exact(k).enumerate() {
        for (column, &v) in block.iter_mut().zip(row) {
            column[l] = v;
        }
    }
    let block = &block[..k];
    let mut m = [T::NEG_INFINITY; GROUP];
    for column in block {
        for l in 0..GROUP {
            m[l] = m[l].max(column[l]);
        }
    }
    let m = m.map(|m| if m.is_finite() { m } else { T::ZERO });
    let mut sum = [T::ZERO; GROUP];
    for column in block {
        for l in 0..GROUP {
            sum[l] += (column[l] - m[l]).exp_on::<I>();
        }
    }
    std::array::from_fn(|l| m[l] + sum[l].ln_on::<I>())
}

/// softmax backward: `y * (g - sum(g * y))` along the axis.
pub(crate) fn softmax_backward<T: Float, A: Algebra<T>>(axis: usize, y: &A, g: &A) -> A {
    g.softmax_grad(y, axis)
}

/// log-softmax backward: `g - softmax * sum(g)` along the axis.
pub(crate) fn log_softmax_backward<T: Float, A: Algebra<T>>(axis: usize, y: &A, g: &A) -> A {
    g.log_softmax_grad(y, axis)
}

impl<T: Float> Tensor<T> {
    /// The eager log-softmax backward `g - e^y sum(g)` (`self` is `g`, `y` the log-softmax):
    /// one pass per row when the axis is the last one.
    pub(crate) fn log_softmax_grad_eager(&self, y: &Tensor<T>, axis: usize) -> Tensor<T> {
        let (_, n, inner) = y.shape().split_at_axis(axis);
        if inner == 1 && self.shape() == y.shape() && y.numel() > INLINE {
            return log_softmax_grad_rows(self, y, n);
        }
        let total = AlgebraCore::sum_axis(self, Some(axis), true);
        AlgebraCore::sub(self, &AlgebraCore::mul(&Algebra::exp(y), &total))
    }

    /// The eager softmax backward `y (g - sum(g y))` (`self` is `g`, `y` the softmax): one
    /// pass per row when the axis is the last one.
    pub(crate) fn softmax_grad_eager(&self, y: &Tensor<T>, axis: usize) -> Tensor<T> {
        let (_, n, inner) = y.shape().split_at_axis(axis);
        if inner == 1 && self.shape() == y.shape() && y.numel() > INLINE {
            return softmax_grad_rows(self, y, n);
        }
        let dot = AlgebraCore::sum_axis(&AlgebraCore::mul(self, y), Some(axis), true);
        AlgebraCore::mul(y, &AlgebraCore::sub(self, &dot))
    }
}

crate::kernel! {
    /// `g - e^y sum(g)` for rows of `n`.
    fn log_softmax_grad_rows<T: Float>(g: &Tensor<T>, y: &Tensor<T>, n: usize) -> Tensor<T> {
        let add = |a: T, v: T| a + v;
        let rows = g.data().chunks_exact(n).zip(y.data().chunks_exact(n));
        Tensor::filled_by(y.shape().clone(), |out| {
            for (out, (g, y)) in out.chunks_exact_mut(n).zip(rows) {
                let total = fold_row(g, T::ZERO, &add, &add);
                for ((o, &g), &y) in out.iter_mut().zip(g).zip(y) {
                    *o = g - y.exp_on::<I>() * total;
                }
            }
        })
    }
}

crate::kernel! {
    /// `y (g - sum(g y))` for rows of `n`.
    fn softmax_grad_rows<T: Float>(g: &Tensor<T>, y: &Tensor<T>, n: usize) -> Tensor<T> {
        let rows = g.data().chunks_exact(n).zip(y.data().chunks_exact(n));
        Tensor::filled_by(y.shape().clone(), |out| {
            for (out, (g, y)) in out.chunks_exact_mut(n).zip(rows) {
                let dot = fold_row_pairs(g, y);
                for ((o, &g), &y) in out.iter_mut().zip(g).zip(y) {
                    *o = y * (g - dot);
                }
            }
        })
    }
}

impl<T: Float> Tensor<T> {
    /// The log-probability of each row's label: `ln softmax(x_i)[labels_i] = x[i, labels_i] -
    /// logsumexp(x_i)` for `x [n, k]`, shape `[n]`. The same values as
    /// `log_softmax(1).gather(1, labels)`, without materialising the `[n, k]` log-softmax.
    #[track_caller]
    pub fn log_softmax_gather(&self, labels: &[usize]) -> Tensor<T> {
        let k = rows_with_labels("log_softmax_gather", self.shape(), labels);
        log_softmax_gather_kernel(self, labels, k)
    }

    /// The eager backward of [`Tensor::log_softmax_gather`]: `g_i (onehot(y_i) - softmax(x_i))`
    /// for each row (`self` is `g [n]`, `logp` the forward's output). One pass over the
    /// logits: the forward's logsumexp is recovered from its output, `lse_i = x[i, y_i] -
    /// logp_i`, so `softmax(x_i) = e^(x_i - lse_i)` needs neither the maximum nor the sum
    /// again. Its rounding (half an ulp of `logp_i`) is that of the usual `e^(log_softmax)`;
    /// rows whose values are so large that this ulp matters compute their logsumexp anew.
    pub(crate) fn log_softmax_gather_grad_eager(
        &self,
        x: &Tensor<T>,
        logp: &Tensor<T>,
        labels: &[usize],
    ) -> Tensor<T> {
        let (n, k) = (labels.len(), x.numel() / labels.len().max(1));
        if n * k <= INLINE {
            return log_softmax_gather_grad_composite(self, x, labels);
        }
        log_softmax_gather_grad_kernel(self, x, logp, labels)
    }
}

crate::kernel! {
    /// [`Tensor::log_softmax_gather`]'s loops, for `k` classes.
    fn log_softmax_gather_kernel<T: Float>(x: &Tensor<T>, labels: &[usize], k: usize) -> Tensor<T> {
        let n = labels.len();
        let shape = Shape::from([n]);
        let x = x.data();
        let logp = |i: usize| {
            let row = &x[i * k..(i + 1) * k];
            row[labels[i]] - row_logsumexp::<I, T>(row)
        };
        if n <= INLINE || k == 0 {
            return Tensor::filled_by(shape, |out| {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = logp(i);
                }
            });
        }
        Tensor::build(shape, |v| {
            fill_rows(v, n, 1, n * k >= PARALLEL_ELEMENTS, |rows, out| {
                let mut i = rows.start;
                if k <= SHORT_ROW {
                    for out in out.chunks_exact_mut(GROUP) {
                        let lse = group_logsumexp::<I, T>(&x[i * k..(i + GROUP) * k], k);
                        for (l, o) in out.iter_mut().enumerate() {
                            o.write(x[(i + l) * k + labels[i + l]] - lse[l]);
                        }
                        i += GROUP;
                    }
                }
                for o in &mut out[i - rows.start..] {
                    o.write(logp(i));
                    i += 1;
                }
            });
        })
    }
}

crate::kernel! {
    /// [`Tensor::log_softmax_gather_grad_eager`]'s loops.
    fn log_softmax_gather_grad_kernel<T: Float>(
        g: &Tensor<T>,
        x: &Tensor<T>,
        logp: &Tensor<T>,
        labels: &[usize],
    ) -> Tensor<T> {
        let (n, k) = (labels.len(), x.numel() / labels.len().max(1));
        let (g, x, logp) = (g.data(), x.data(), logp.data());
        Tensor::build(Shape::from([n, k]), |v| {
            fill_rows(v, n, k, n * k >= PARALLEL_ELEMENTS, |rows, out| {
                for (i, out) in rows.zip(out.chunks_exact_mut(k)) {
                    let row = &x[i * k..(i + 1) * k];
                    let (x_label, logp_i) = (row[labels[i]], logp[i]);
                    // The recovered lse carries an ulp of the larger of `x_label` and
                    // `logp_i`: nothing for usual logits, but with logits near 1e9 (f32) that
                    // ulp is hundreds, e^(x - lse) overflowed to inf (found by anomaly
                    // detection) or vanished. Such rows compute their logsumexp again.
                    let error = (x_label.abs() + logp_i.abs()) * T::EPSILON;
                    let lse = if error < T::from_f64(1e-3) {
                        x_label - logp_i
                    } else {
                        row_logsumexp::<I, T>(row)
                    };
                    let minus_g = -g[i];
                    for (o, &x) in out.iter_mut().zip(row) {
                        o.write(minus_g * (x - lse).exp_on::<I>());
                    }
                    // SAFETY: the loop above wrote every element of `out`.
                    let out = unsafe { assume_written(out) };
                    out[labels[i]] += g[i];
                }
            });
        })
    }
}

/// `x [n, k]` with `n` labels below `k`: returns `k`, or panics naming the operation.
#[track_caller]
fn rows_with_labels(op: &str, x: &Shape, labels: &[usize]) -> usize {
    assert!(
        x.rank() == 2 && x.dims()[0] == labels.len(),
        "{op}: logits of shape {x} with {} labels: expects [n, k] with n labels",
        labels.len()
    );
    let k = x.dims()[1];
    if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
        panic!("{op}: label {bad} out of range for {k} classes (shape {x})");
    }
    k
}

/// `g (onehot(labels) - softmax(x))` from algebra operations: the rule in a form that can be
/// recorded (gradients of gradients) and the path for tiny inputs.
pub(crate) fn log_softmax_gather_grad_composite<T: Float, A: Algebra<T>>(
    g: &A,
    x: &A,
    labels: &[usize],
) -> A {
    let shape = x.shape();
    let (n, k) = (shape.dims()[0], shape.dims()[1]);
    let g = g.reshape(&Shape::from([n, 1]));
    let p = x.log_softmax(1).exp();
    g.scatter_add(1, labels, k).sub(&p.mul(&g))
}

/// `sum_k g_k y_k` of two rows, in eight partial sums.
#[inline(always)]
fn fold_row_pairs<T: Float>(g: &[T], y: &[T]) -> T {
    const LANES: usize = 8;
    let (gc, yc) = (g.chunks_exact(LANES), y.chunks_exact(LANES));
    let tail: T = gc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(&a, &b)| a * b)
        .sum();
    let mut acc = [T::ZERO; LANES];
    for (a, b) in gc.zip(yc) {
        for l in 0..LANES {
            acc[l] += a[l] * b[l];
        }
    }
    acc.into_iter().fold(tail, |s, v| s + v)
}

impl<'t, T: Float> Var<'t, T> {
    /// softmax along `axis`, computed stably (the lane maximum is subtracted).
    #[track_caller]
    pub fn softmax(self, axis: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).softmax(axis);
        self.tape.push(Op::Softmax { axis }, &[self.id], value)
    }

    /// ln softmax along `axis`, computed as `x - logsumexp(x)`: finite for logits of any size.
    #[track_caller]
    pub fn log_softmax(self, axis: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).log_softmax(axis);
        self.tape.push(Op::LogSoftmax { axis }, &[self.id], value)
    }

    /// The log-probability of each row's label, `ln softmax(x_i)[labels_i]`, for logits
    /// `[n, k]`: shape `[n]`. The fused form of `log_softmax(1).gather(1, labels)` (the core of
    /// softmax cross-entropy): its backward `g_i (onehot(labels_i) - softmax(x_i))` takes one
    /// pass over the logits instead of four.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let z = tape.var(Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0], [2, 2]));
    /// let logp = z.log_softmax_gather(&[0, 1]);
    /// assert!((logp.value().data()[0] - 0.5f64.ln()).abs() < 1e-15);
    /// logp.sum().backward();
    /// let want = [0.5, -0.5, -0.5, 0.5]; // onehot - softmax
    /// let g = z.grad().unwrap();
    /// assert!(g.data().iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15));
    /// ```
    #[track_caller]
    pub fn log_softmax_gather(self, labels: &[usize]) -> Var<'t, T> {
        let value = self.tape.value(self.id).log_softmax_gather(labels);
        let idx = self.tape.push_ints(labels);
        self.tape
            .push(Op::LogSoftmaxGather { idx }, &[self.id], value)
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
    #[track_caller]
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
