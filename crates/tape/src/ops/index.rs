//! Integer indexing: `index_select` / `index_add` (whole slices) and `gather` / `scatter_add`
//! (one element per position); each pair are each other's adjoints. Also `one_hot`.

use crate::Algebra;
use crate::ops::Op;
use crate::storage::INLINE;
use crate::{Float, Shape, Tensor, Var};

#[track_caller]
fn check_indices(op: &str, idx: &[usize], bound: usize, shape: &Shape, axis: usize) {
    if let Some(&bad) = idx.iter().find(|&&i| i >= bound) {
        panic!("{op}: index {bad} out of range for axis {axis} of length {bound} (shape {shape})");
    }
}

/// For `gather`/`scatter_add`: the index count per lane, checking the index length fits.
#[track_caller]
fn per_lane(op: &str, idx_len: usize, outer: usize, inner: usize, shape: &Shape) -> usize {
    let lanes = outer * inner;
    assert!(
        lanes > 0 && idx_len.is_multiple_of(lanes),
        "{op}: {idx_len} indices do not fill whole lanes of {shape} ({lanes} lanes)"
    );
    idx_len / lanes
}

impl<T: Float> Tensor<T> {
    /// Whole slices along `axis`, picked by `idx` (repeats allowed):
    /// `out[.., j, ..] = x[.., idx[j], ..]`.
    #[track_caller]
    pub fn index_select(&self, axis: usize, idx: &[usize]) -> Tensor<T> {
        self.shape().dim("index_select", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        check_indices("index_select", idx, n, self.shape(), axis);
        let d = self.data();
        let shape = self.shape().with_axis(axis, idx.len(), true);
        let slices = (0..outer).flat_map(|o| {
            idx.iter()
                .map(move |&i| &d[(o * n + i) * inner..(o * n + i + 1) * inner])
        });
        if shape.numel() <= INLINE {
            return Tensor::collect(shape, slices.flatten().copied());
        }
        // Whole slices, copied one memcpy at a time (a flattened iterator would push
        // element by element).
        Tensor::build(shape, |v| {
            for slice in slices {
                v.extend_from_slice(slice);
            }
        })
    }

    /// The adjoint of `index_select`: `out` has length `size` along `axis`, starts at zero, and
    /// `out[.., idx[j], ..] += x[.., j, ..]`.
    #[track_caller]
    pub fn index_add(&self, axis: usize, idx: &[usize], size: usize) -> Tensor<T> {
        self.shape().dim("index_add", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        assert!(
            n == idx.len(),
            "index_add: {} indices for axis {axis} of {}",
            idx.len(),
            self.shape()
        );
        let shape = self.shape().with_axis(axis, size, true);
        check_indices("index_add", idx, size, &shape, axis);
        let mut out = Tensor::zeros(shape);
        let o = out.data_mut();
        let d = self.data();
        for k in 0..outer {
            for (j, &i) in idx.iter().enumerate() {
                let dst = &mut o[(k * size + i) * inner..(k * size + i + 1) * inner];
                for (a, &v) in dst
                    .iter_mut()
                    .zip(&d[(k * n + j) * inner..(k * n + j + 1) * inner])
                {
                    *a += v;
                }
            }
        }
        out
    }

    /// One element per index along `axis`. With `x` viewed as `[outer, n, inner]` and `idx` as
    /// `[outer, k, inner]`, `out[o, j, i] = x[o, idx[o, j, i], i]`; the result has length `k`
    /// along `axis`. Picking the label's logit of each row is `gather(1, &labels)`.
    #[track_caller]
    pub fn gather(&self, axis: usize, idx: &[usize]) -> Tensor<T> {
        self.shape().dim("gather", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        let k = per_lane("gather", idx.len(), outer, inner, self.shape());
        check_indices("gather", idx, n, self.shape(), axis);
        let d = self.data();
        let shape = self.shape().with_axis(axis, k, true);
        Tensor::collect(
            shape,
            idx.iter().enumerate().map(|(p, &ix)| {
                let (o, i) = (p / (k * inner), p % inner);
                d[(o * n + ix) * inner + i]
            }),
        )
    }

    /// The adjoint of `gather`: `out` has length `size` along `axis`, starts at zero, and
    /// `out[o, idx[o, j, i], i] += x[o, j, i]`.
    #[track_caller]
    pub fn scatter_add(&self, axis: usize, idx: &[usize], size: usize) -> Tensor<T> {
        self.shape().dim("scatter_add", axis);
        let (_, k, inner) = self.shape().split_at_axis(axis);
        assert!(
            idx.len() == self.numel(),
            "scatter_add: {} indices for {} values (shape {})",
            idx.len(),
            self.numel(),
            self.shape()
        );
        let shape = self.shape().with_axis(axis, size, true);
        check_indices("scatter_add", idx, size, &shape, axis);
        let mut out = Tensor::zeros(shape);
        let o = out.data_mut();
        for (p, (&ix, &v)) in idx.iter().zip(self.data()).enumerate() {
            let (ob, i) = (p / (k * inner), p % inner);
            o[(ob * size + ix) * inner + i] += v;
        }
        out
    }

    /// Rows of the identity: `out[i, labels[i]] = 1`, shape `[labels.len(), classes]`.
    #[track_caller]
    pub fn one_hot(labels: &[usize], classes: usize) -> Tensor<T> {
        check_indices(
            "one_hot",
            labels,
            classes,
            &Shape::new(&[labels.len(), classes]),
            1,
        );
        let mut out = Tensor::zeros([labels.len(), classes]);
        let o = out.data_mut();
        for (i, &l) in labels.iter().enumerate() {
            o[i * classes + l] = T::ONE;
        }
        out
    }
}

/// The backward rules of the index family: each operation's gradient is its adjoint.
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    op: &Op<T>,
    axis: usize,
    idx: &[usize],
    x: &A,
    g: &A,
) -> A {
    let len = x.shape().dims()[axis];
    match op {
        Op::IndexSelect { .. } => g.index_add(axis, idx, len),
        Op::IndexAdd { .. } => g.index_select(axis, idx),
        Op::Gather { .. } => g.scatter_add(axis, idx, len),
        Op::ScatterAdd { .. } => g.gather(axis, idx),
        _ => unreachable!("not an index operation: {op:?}"),
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Whole slices along `axis`, picked by `idx` (see [`Tensor::index_select`]). Looking up
    /// class centres by label is `centres.index_select(0, &labels)`.
    #[track_caller]
    pub fn index_select(self, axis: usize, idx: &[usize]) -> Var<'t, T> {
        let value = self.tape.value(self.id).index_select(axis, idx);
        let idx = self.tape.push_ints(idx);
        self.tape
            .push(Op::IndexSelect { axis, idx }, &[self.id], value)
    }

    /// The adjoint of `index_select` (see [`Tensor::index_add`]).
    #[track_caller]
    pub fn index_add(self, axis: usize, idx: &[usize], size: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).index_add(axis, idx, size);
        let idx = self.tape.push_ints(idx);
        self.tape
            .push(Op::IndexAdd { axis, idx }, &[self.id], value)
    }

    /// One element per index along `axis` (see [`Tensor::gather`]).
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let logits = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]));
    /// let picked = logits.gather(1, &[2, 0]); // row 0 picks column 2, row 1 column 0
    /// assert_eq!(picked.value().data(), &[3.0, 4.0]);
    /// picked.sum().backward();
    /// assert_eq!(logits.grad().unwrap().data(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn gather(self, axis: usize, idx: &[usize]) -> Var<'t, T> {
        let value = self.tape.value(self.id).gather(axis, idx);
        let idx = self.tape.push_ints(idx);
        self.tape.push(Op::Gather { axis, idx }, &[self.id], value)
    }

    /// The adjoint of `gather` (see [`Tensor::scatter_add`]).
    #[track_caller]
    pub fn scatter_add(self, axis: usize, idx: &[usize], size: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).scatter_add(axis, idx, size);
        let idx = self.tape.push_ints(idx);
        self.tape
            .push(Op::ScatterAdd { axis, idx }, &[self.id], value)
    }
}

impl<T: Float> crate::Tape<T> {
    /// A constant one-hot matrix `[labels.len(), classes]`.
    #[track_caller]
    pub fn one_hot(&self, labels: &[usize], classes: usize) -> Var<'_, T> {
        self.constant(Tensor::one_hot(labels, classes))
    }
}
