//! The primitive operations. Each family file holds, side by side, the eager kernel on
//! [`Tensor`](crate::Tensor), the recording method on [`Var`](crate::Var), and the backward rule,
//! written once over the [`Algebra`](crate::Algebra) so that it serves both first-order sweeps and
//! gradients of gradients.

use std::ops::Range;

use crate::{Algebra, Float};

pub(crate) mod binary;
pub(crate) mod custom;
pub(crate) mod index;
pub(crate) mod matmul;
mod operators;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod unary;

pub use binary::Cmp;
pub use custom::CustomOp;
pub use reduce::Reduce;
pub use unary::Unary;

/// What a tape node computed from its parents.
#[derive(Clone, Debug)]
pub(crate) enum Op<T: Float> {
    /// A differentiable input.
    Leaf,
    /// A constant input (also masks, one-hots, detached values).
    Const,
    Unary(Unary<T>),
    Binary(binary::Binary),
    /// `where_(mask, a, b)`: parents are the mask (constant), `a` and `b`.
    Where,
    Reduce {
        kind: Reduce,
        axis: Option<usize>,
        keepdim: bool,
    },
    Reshape,
    /// The permutation lives with the integer arguments, keeping nodes small.
    Permute {
        perm: Range<usize>,
    },
    BroadcastTo,
    Narrow {
        axis: usize,
        start: usize,
    },
    Pad {
        axis: usize,
        before: usize,
    },
    Concat {
        axis: usize,
    },
    IndexSelect {
        axis: usize,
        idx: Range<usize>,
    },
    IndexAdd {
        axis: usize,
        idx: Range<usize>,
    },
    Gather {
        axis: usize,
        idx: Range<usize>,
    },
    ScatterAdd {
        axis: usize,
        idx: Range<usize>,
    },
    MatMul {
        ta: bool,
        tb: bool,
    },
    /// `x W + b`, or `relu(x W + b)`: parents are `x`, `W` and `b`.
    Linear {
        relu: bool,
    },
    Softmax {
        axis: usize,
    },
    LogSoftmax {
        axis: usize,
    },
    /// `log_softmax(1).gather(1, labels)` fused; the labels live with the integer arguments.
    LogSoftmaxGather {
        idx: Range<usize>,
    },
    /// A user's operation ([`CustomOp`]); the sweeps run its rule themselves, on their own
    /// algebra.
    Custom(custom::Custom<T>),
}

impl<T: Float> Op<T> {
    /// Where this operation's integer arguments live on the tape, if it has any.
    pub(crate) fn ints(&self) -> Option<Range<usize>> {
        match self {
            Op::Permute { perm: idx }
            | Op::IndexSelect { idx, .. }
            | Op::IndexAdd { idx, .. }
            | Op::Gather { idx, .. }
            | Op::ScatterAdd { idx, .. }
            | Op::LogSoftmaxGather { idx } => Some(idx.clone()),
            _ => None,
        }
    }
}

/// Dispatches to the backward rule of `op`: given the parents' values `x`, the node's value `y`
/// and the gradient `g` flowing into it, calls `emit(k, grad)` for each parent `k` with
/// `needs[k]`. `idx` holds the operation's integer arguments.
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    op: &Op<T>,
    x: &[&A],
    y: &A,
    g: &A,
    needs: &[bool],
    idx: &[usize],
    mut emit: impl FnMut(usize, A),
) {
    match op {
        Op::Leaf | Op::Const => {}
        Op::Unary(u) => {
            if needs[0] {
                emit(0, unary::backward(*u, x[0], y, g));
            }
        }
        Op::Binary(b) => binary::backward(*b, x[0], x[1], y, g, needs, emit),
        Op::Where => binary::where_backward(x[0], x[1], x[2], g, needs, emit),
        Op::Reduce {
            kind,
            axis,
            keepdim,
        } => {
            if needs[0] {
                emit(0, reduce::backward(*kind, *axis, *keepdim, x[0], y, g));
            }
        }
        Op::Reshape
        | Op::Permute { .. }
        | Op::BroadcastTo
        | Op::Narrow { .. }
        | Op::Pad { .. }
        | Op::Concat { .. } => shape::backward(op, x, g, needs, idx, emit),
        Op::IndexSelect { axis, .. }
        | Op::IndexAdd { axis, .. }
        | Op::Gather { axis, .. }
        | Op::ScatterAdd { axis, .. } => {
            if needs[0] {
                emit(0, index::backward(op, *axis, idx, x[0], g));
            }
        }
        Op::MatMul { ta, tb } => matmul::backward(*ta, *tb, x[0], x[1], g, needs, emit),
        Op::Linear { relu } => matmul::linear_backward(*relu, x[0], x[1], x[2], y, g, needs, emit),
        Op::Softmax { axis } => {
            if needs[0] {
                emit(0, softmax::softmax_backward(*axis, y, g));
            }
        }
        Op::LogSoftmax { axis } => {
            if needs[0] {
                emit(0, softmax::log_softmax_backward(*axis, y, g));
            }
        }
        Op::LogSoftmaxGather { .. } => {
            if needs[0] {
                emit(0, g.log_softmax_gather_grad(x[0], y, idx));
            }
        }
        // Its rule is generic, so only a caller that knows `A` can run it (see `custom.rs`).
        Op::Custom(c) => unreachable!("{}: the sweeps dispatch custom operations", c.name()),
    }
}
