//! Operations that move elements without changing them: reshape, permute, broadcast, narrow,
//! pad, concat (and stack, unsqueeze, sum_to built from them).

use smallvec::SmallVec;

use crate::Algebra;
use crate::elementwise::add_rows_into;
use crate::ops::Op;
use crate::shape::for_each_broadcast;
use crate::storage::INLINE;
use crate::{Float, Shape, Tensor, Var};

#[track_caller]
fn check_perm(shape: &Shape, perm: &[usize]) {
    let mut seen: SmallVec<[bool; 4]> = SmallVec::from_elem(false, shape.rank());
    let ok = perm.len() == shape.rank()
        && perm
            .iter()
            .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
    assert!(
        ok,
        "permute: {perm:?} is not a permutation of the axes of {shape}"
    );
}

fn inverse_perm(perm: &[usize]) -> SmallVec<[usize; 4]> {
    let mut inv: SmallVec<[usize; 4]> = SmallVec::from_elem(0, perm.len());
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    inv
}

#[track_caller]
fn check_narrow(shape: &Shape, axis: usize, start: usize, len: usize) {
    let d = shape.dim("narrow", axis);
    assert!(
        start + len <= d,
        "narrow: [{start}, {}) along axis {axis} is out of range for shape {shape}",
        start + len
    );
}

impl<T: Float> Tensor<T> {
    /// Reorders the axes: axis `i` of the result is axis `perm[i]` of `self`.
    #[track_caller]
    pub fn permute(&self, perm: &[usize]) -> Tensor<T> {
        check_perm(self.shape(), perm);
        let dims: SmallVec<[usize; 4]> = perm.iter().map(|&p| self.dims()[p]).collect();
        let out_shape = Shape::new(&dims);
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return self.clone();
        }
        let src_strides = self.shape().strides();
        // Read `self` through permuted strides, as a broadcast with no size-1 axes.
        let strides: SmallVec<[usize; 4]> = perm.iter().map(|&p| src_strides[p]).collect();
        let d = self.data();
        let mut out = Tensor::zeros(out_shape.clone());
        let o = out.data_mut();
        let mut idx: SmallVec<[usize; 4]> = SmallVec::from_elem(0, dims.len());
        let mut off = 0usize;
        for v in o.iter_mut() {
            *v = d[off];
            for ax in (0..dims.len()).rev() {
                idx[ax] += 1;
                off += strides[ax];
                if idx[ax] < dims[ax] {
                    break;
                }
                off -= strides[ax] * dims[ax];
                idx[ax] = 0;
            }
        }
        out
    }

    /// Swaps two axes.
    #[track_caller]
    pub fn transpose(&self, a: usize, b: usize) -> Tensor<T> {
        self.shape().dim("transpose", a.max(b));
        let mut perm: SmallVec<[usize; 4]> = (0..self.rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Broadcasts to `shape` under NumPy rules (copies the elements).
    #[track_caller]
    pub fn broadcast_to(&self, shape: &Shape) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        assert!(
            self.shape().broadcasts_to(shape),
            "broadcast_to: {} does not broadcast to {shape}",
            self.shape()
        );
        if self.numel() == 1 {
            return Tensor::full(shape.clone(), self.data()[0]);
        }
        let d = self.data();
        // Split the output into an outer part and the longest run of trailing dimensions that
        // are either all copied (equal) or all repeated (1 in the operand): each outer position
        // is then one slice copy or one fill.
        let out_dims = shape.dims();
        let rank = out_dims.len();
        let src: SmallVec<[usize; 4]> = std::iter::repeat_n(1, rank - self.shape().rank())
            .chain(self.dims().iter().copied())
            .collect();
        let copied = |j: usize| src[j] == out_dims[j];
        let repeated = |j: usize| src[j] == 1;
        let mut split = rank;
        let run_of: &dyn Fn(usize) -> bool = if copied(rank - 1) { &copied } else { &repeated };
        while split > 0 && run_of(split - 1) {
            split -= 1;
        }
        let block: usize = out_dims[split..].iter().product();
        let outer_out = Shape::new(&out_dims[..split]);
        let outer_src = Shape::new(&src[..split]);
        let copies = copied(rank - 1);
        if shape.numel() <= INLINE || block == 0 {
            let mut out = Tensor::zeros(shape.clone());
            let o = out.data_mut();
            for_each_broadcast(shape, self.shape(), self.shape(), |i, ia, _| o[i] = d[ia]);
            return out;
        }
        Tensor::build(shape.clone(), |v| {
            for_each_broadcast(&outer_out, &outer_src, &outer_src, |_, ia, _| {
                if copies {
                    v.extend_from_slice(&d[ia * block..(ia + 1) * block]);
                } else {
                    v.extend(std::iter::repeat_n(d[ia], block));
                }
            });
        })
    }

    /// Sums over broadcast dimensions down to `shape`: the adjoint of [`Tensor::broadcast_to`].
    #[track_caller]
    pub fn sum_to(&self, shape: &Shape) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        assert!(
            shape.broadcasts_to(self.shape()),
            "sum_to: {} cannot be summed down to {shape}",
            self.shape()
        );
        let d = self.data();
        if shape.numel() == 1 {
            return Tensor::full(shape.clone(), d.iter().copied().sum());
        }
        let mut out = Tensor::zeros(shape.clone());
        let o = out.data_mut();
        let n = o.len();
        if d.len().is_multiple_of(n)
            && shape
                .dims()
                .iter()
                .rev()
                .zip(self.dims().iter().rev())
                .all(|(a, b)| a == b)
        {
            // A bias-like operand: `shape` is a suffix of ours, so sum whole rows.
            add_rows_into(o, d);
            return out;
        }
        let full = self.shape().clone();
        for_each_broadcast(&full, shape, shape, |i, io, _| o[io] += d[i]);
        out
    }

    /// `len` entries along `axis`, starting at `start` (copied).
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<T> {
        check_narrow(self.shape(), axis, start, len);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        let d = self.data();
        let shape = self.shape().with_axis(axis, len, true);
        Tensor::collect(
            shape,
            (0..outer).flat_map(|o| {
                d[(o * n + start) * inner..(o * n + start + len) * inner]
                    .iter()
                    .copied()
            }),
        )
    }

    /// Zero padding: `before` zeros ahead of and `after` zeros behind the entries along `axis`.
    #[track_caller]
    pub fn pad(&self, axis: usize, before: usize, after: usize) -> Tensor<T> {
        self.shape().dim("pad", axis);
        let (outer, n, inner) = self.shape().split_at_axis(axis);
        let m = n + before + after;
        let mut out = Tensor::zeros(self.shape().with_axis(axis, m, true));
        let o = out.data_mut();
        let d = self.data();
        for k in 0..outer {
            o[(k * m + before) * inner..(k * m + before + n) * inner]
                .copy_from_slice(&d[k * n * inner..(k + 1) * n * inner]);
        }
        out
    }

    /// Joins tensors along an existing axis; all other dimensions must agree.
    #[track_caller]
    pub fn concat(parts: &[&Tensor<T>], axis: usize) -> Tensor<T> {
        let shape = concat_shape(parts.iter().map(|t| t.shape()), axis);
        let (outer, _, inner) = shape.split_at_axis(axis);
        let mut out = Tensor::zeros(shape.clone());
        let o = out.data_mut();
        let m = shape.dims()[axis];
        let mut offset = 0;
        for p in parts {
            let n = p.dims()[axis];
            let d = p.data();
            for k in 0..outer {
                o[(k * m + offset) * inner..(k * m + offset + n) * inner]
                    .copy_from_slice(&d[k * n * inner..(k + 1) * n * inner]);
            }
            offset += n;
        }
        out
    }
}

#[track_caller]
fn concat_shape<'a>(mut shapes: impl Iterator<Item = &'a Shape>, axis: usize) -> Shape {
    let first = shapes.next().expect("concat: no tensors to join").clone();
    let mut total = first.dim("concat", axis);
    for s in shapes {
        let same = s.rank() == first.rank()
            && (0..s.rank()).all(|i| i == axis || s.dims()[i] == first.dims()[i]);
        assert!(same, "concat: {first} and {s} differ outside axis {axis}");
        total += s.dims()[axis];
    }
    first.with_axis(axis, total, true)
}

/// The backward rules of the shape family: each is the adjoint movement.
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    op: &Op<T>,
    x: &[&A],
    g: &A,
    needs: &[bool],
    idx: &[usize],
    mut emit: impl FnMut(usize, A),
) {
    match op {
        Op::Reshape => emit(0, g.reshape(&x[0].shape())),
        Op::Permute { .. } => emit(0, g.permute(&inverse_perm(idx))),
        Op::BroadcastTo => emit(0, g.sum_to(&x[0].shape())),
        Op::Narrow { axis, start } => {
            let (full, len) = (x[0].shape().dims()[*axis], g.shape().dims()[*axis]);
            emit(0, g.pad(*axis, *start, full - start - len));
        }
        Op::Pad { axis, before } => {
            let len = x[0].shape().dims()[*axis];
            emit(0, g.narrow(*axis, *before, len));
        }
        Op::Concat { axis } => {
            let mut offset = 0;
            for (k, xk) in x.iter().enumerate() {
                let len = xk.shape().dims()[*axis];
                if needs[k] {
                    emit(k, g.narrow(*axis, offset, len));
                }
                offset += len;
            }
        }
        _ => unreachable!("not a shape operation: {op:?}"),
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under a new shape with the same number of elements.
    #[track_caller]
    pub fn reshape(self, shape: impl Into<Shape>) -> Var<'t, T> {
        let shape = shape.into();
        if shape == self.shape() {
            return self;
        }
        let value = self.tape.value(self.id).reshape(shape);
        self.tape.push(Op::Reshape, &[self.id], value)
    }

    /// Reorders the axes: axis `i` of the result is axis `perm[i]` of `self`.
    #[track_caller]
    pub fn permute(self, perm: &[usize]) -> Var<'t, T> {
        let value = self.tape.value(self.id).permute(perm);
        self.tape.push(
            Op::Permute {
                perm: self.tape.push_ints(perm),
            },
            &[self.id],
            value,
        )
    }

    /// Swaps two axes.
    #[track_caller]
    pub fn transpose(self, a: usize, b: usize) -> Var<'t, T> {
        self.shape().dim("transpose", a.max(b));
        let mut perm: SmallVec<[usize; 4]> = (0..self.shape().rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// The transpose of a matrix.
    #[track_caller]
    pub fn t(self) -> Var<'t, T> {
        let r = self.shape().rank();
        assert!(
            r == 2,
            "t: expects a matrix, found rank {r} ({})",
            self.shape()
        );
        self.transpose(0, 1)
    }

    /// Broadcasts to `shape` under NumPy rules.
    #[track_caller]
    pub fn broadcast_to(self, shape: impl Into<Shape>) -> Var<'t, T> {
        let shape = shape.into();
        if shape == self.shape() {
            return self;
        }
        let value = self.tape.value(self.id).broadcast_to(&shape);
        self.tape.push(Op::BroadcastTo, &[self.id], value)
    }

    /// Sums over broadcast dimensions down to `shape` (the adjoint of `broadcast_to`), built
    /// from axis sums and a reshape.
    #[track_caller]
    pub fn sum_to(self, shape: impl Into<Shape>) -> Var<'t, T> {
        let target = shape.into();
        let own = self.shape();
        if own == target {
            return self;
        }
        assert!(
            target.broadcasts_to(&own),
            "sum_to: {own} cannot be summed down to {target}"
        );
        let lead = own.rank() - target.rank();
        let mut out = self;
        for axis in (0..own.rank()).rev() {
            let keep = axis >= lead && target.dims()[axis - lead] == 1 && own.dims()[axis] != 1;
            if axis < lead || keep {
                out = out.sum_axis(axis, true);
            }
        }
        out.reshape(target)
    }

    /// Inserts an axis of length 1 at position `axis`.
    #[track_caller]
    pub fn unsqueeze(self, axis: usize) -> Var<'t, T> {
        let mut dims = self.dims();
        assert!(
            axis <= dims.len(),
            "unsqueeze: axis {axis} for shape {}",
            self.shape()
        );
        dims.insert(axis, 1);
        self.reshape(Shape::new(&dims))
    }

    /// Flattens everything but the first axis: `[n, ...] -> [n, rest]`.
    #[track_caller]
    pub fn flatten(self) -> Var<'t, T> {
        let s = self.shape();
        let n = s.dims().first().copied().unwrap_or(1);
        self.reshape([n, s.numel() / n.max(1)])
    }

    /// `len` entries along `axis`, starting at `start`.
    #[track_caller]
    pub fn narrow(self, axis: usize, start: usize, len: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).narrow(axis, start, len);
        self.tape
            .push(Op::Narrow { axis, start }, &[self.id], value)
    }

    /// Zero padding along `axis`.
    #[track_caller]
    pub fn pad(self, axis: usize, before: usize, after: usize) -> Var<'t, T> {
        let value = self.tape.value(self.id).pad(axis, before, after);
        self.tape.push(Op::Pad { axis, before }, &[self.id], value)
    }
}

/// Joins variables along an existing axis; all other dimensions must agree.
///
/// ```
/// use tape::{Tape, Tensor, concat};
/// let tape = Tape::<f64>::new();
/// let a = tape.var(Tensor::from_vec(vec![1.0, 2.0], [1, 2]));
/// let b = tape.var(Tensor::from_vec(vec![3.0, 4.0, 5.0, 6.0], [2, 2]));
/// let c = concat(&[a, b], 0);
/// assert_eq!(c.dims().as_slice(), &[3, 2]);
/// ```
#[track_caller]
pub fn concat<'t, T: Float>(parts: &[Var<'t, T>], axis: usize) -> Var<'t, T> {
    let first = *parts.first().expect("concat: no variables to join");
    first.assert_same_tape(parts, "concat");
    let value = {
        let values: Vec<_> = parts.iter().map(|p| first.tape.value(p.id)).collect();
        let refs: SmallVec<[&Tensor<T>; 8]> = values.iter().map(|v| &**v).collect();
        Tensor::concat(&refs, axis)
    };
    let ids: SmallVec<[u32; 8]> = parts.iter().map(|p| p.id).collect();
    first.tape.push(Op::Concat { axis }, &ids, value)
}

/// Stacks same-shape variables along a new axis `axis`.
#[track_caller]
pub fn stack<'t, T: Float>(parts: &[Var<'t, T>], axis: usize) -> Var<'t, T> {
    let expanded: Vec<Var<'t, T>> = parts.iter().map(|p| p.unsqueeze(axis)).collect();
    concat(&expanded, axis)
}
