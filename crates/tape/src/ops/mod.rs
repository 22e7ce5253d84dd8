//! The primitive operations. Each family file holds, side by side, the eager kernel on
//! [`Tensor`](crate::Tensor), the recording method on [`Var`](crate::Var), and the backward rule,
//! written once over the [`Algebra`](crate::Algebra) so that it serves both first-order sweeps and
//! gradients of gradients.
//!
//! The layering runs one way: `algebra.rs` (the [`AlgebraCore`](crate::AlgebraCore) and
//! [`Cmp`](crate::Cmp)) names nothing here; these files build on it, and `unary.rs` extends it
//! into the full [`Algebra`](crate::Algebra). `algebras.rs` implements it for tensors, `Var`s
//! and plain numbers.
//!
//! # How to add an operation
//!
//! An elementwise function of one operand is one row of the table in `unary.rs`, with its
//! rule in the same row:
//!
//! ```text
//! /// sin x, elementwise.
//! sin => Sin, baseline |v| v.map_std(f32::sin, f64::sin),
//!     grad |x, y, g| g.mul(&x.cos());
//! ```
//!
//! That is the method name (with parameters, if any: `powf(p)`, `clamp(lo, hi)`), the
//! variant, where a lone number is evaluated (`kernel` for functions made of the `exp`/`ln`/
//! `tanh` polynomials, `baseline` otherwise), the formula on one number `v`, and the rule: the
//! operand's gradient from its value `x`, the result `y` and the incoming gradient `g`, written
//! with [`Algebra`](crate::Algebra) methods. The row generates the `Unary` variant, the scalar
//! evaluation, the vectorised kernel (one loop per variant, compiled for every kernel path),
//! the rule's dispatch, the methods `Tensor::sin`, `Var::sin` and `ScalarVar::sin`, and
//! `Algebra::sin`, which later rules can call. The rule then serves the eager sweep, the
//! recorded sweep (gradients of gradients) and the scalar tape. Binary elementwise functions
//! are rows of the table in `binary.rs` in the same way, with one rule per operand.
//!
//! Any other operation is an [`Op`] variant, recorded by its method with `Tape::push`, and an
//! arm of [`backward`]. Integer arguments (indices, permutations) are stored with
//! `Tape::push_ints` and their range kept in the variant; [`Op::ints`] lists every variant
//! without a wildcard, so the compiler asks whether a new one has any.

use std::ops::Range;

use crate::Float;

pub(crate) mod algebras;
pub(crate) mod binary;
pub(crate) mod custom;
pub(crate) mod index;
pub(crate) mod matmul;
mod operators;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
mod table;
pub(crate) mod unary;

pub use custom::CustomOp;
pub use reduce::Reduce;
pub use unary::{Algebra, Unary};

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
    // Every variant is listed, with no wildcard: a new operation does not compile until it
    // says whether it has integer arguments (otherwise its rule would silently get none).
    pub(crate) fn ints(&self) -> Option<Range<usize>> {
        match self {
            Op::Permute { perm: idx }
            | Op::IndexSelect { idx, .. }
            | Op::IndexAdd { idx, .. }
            | Op::Gather { idx, .. }
            | Op::ScatterAdd { idx, .. }
            | Op::LogSoftmaxGather { idx } => Some(idx.clone()),
            Op::Leaf
            | Op::Const
            | Op::Unary(_)
            | Op::Binary(_)
            | Op::Where
            | Op::Reduce { .. }
            | Op::Reshape
            | Op::BroadcastTo
            | Op::Narrow { .. }
            | Op::Pad { .. }
            | Op::Concat { .. }
            | Op::MatMul { .. }
            | Op::Linear { .. }
            | Op::Softmax { .. }
            | Op::LogSoftmax { .. }
            | Op::Custom(_) => None,
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
