//! The core of the algebra that backward rules are written in.
//!
//! Every backward rule is a generic function over [`Algebra`](crate::Algebra). With [`Tensor`]
//! it runs eagerly: the fast first-order path of [`Var::backward`]. With [`Var`] it records the
//! gradient computation on the tape, so that gradients can themselves be differentiated
//! ([`Tape::grad_graph`](crate::Tape::grad_graph)). One copy of each rule serves both.
//!
//! This file is the bottom of that layering: it names no operation of `ops`. The core here
//! holds arithmetic, comparisons, reductions, shapes, indexing and products; the elementwise
//! functions (`exp`, `tanh`, `sin`, ...) come from the unary table in `ops/unary.rs`, which
//! extends this trait into [`Algebra`](crate::Algebra) and implements both for the engine's
//! value types.

use crate::{Float, Shape};
#[cfg(doc)]
use crate::{Tensor, Var};

/// A comparison; its result is a constant mask of 1s and 0s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// x > y
    Gt,
    /// x >= y
    Ge,
    /// x < y
    Lt,
    /// x <= y
    Le,
    /// x == y
    Eq,
}

impl Cmp {
    /// Whether `x cmp y` holds.
    #[inline(always)]
    pub(crate) fn holds<T: Float>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Eq => x == y,
        }
    }
}

/// The operations of [`Algebra`](crate::Algebra) that are not elementwise functions of one
/// operand. Implemented by [`Tensor`] (eager) and by [`Var`] (recording). Masks produced by
/// [`AlgebraCore::cmp`] and [`AlgebraCore::sign`] are constants in both.
pub trait AlgebraCore<T: Float>: Clone {
    /// The shape of the value.
    fn shape(&self) -> Shape;
    /// x + y (broadcasting).
    fn add(&self, y: &Self) -> Self;
    /// x - y (broadcasting).
    fn sub(&self, y: &Self) -> Self;
    /// x * y (broadcasting).
    fn mul(&self, y: &Self) -> Self;
    /// x / y (broadcasting).
    fn div(&self, y: &Self) -> Self;
    /// The sign of x (-1, 0 or 1), a constant.
    fn sign(&self) -> Self;
    /// 1 where `x cmp y` holds, else 0 (broadcasting), a constant.
    fn cmp(&self, y: &Self, cmp: Cmp) -> Self;
    /// Sum over all elements (`axis = None`) or along one axis.
    fn sum_axis(&self, axis: Option<usize>, keepdim: bool) -> Self;
    /// Same elements, new shape.
    fn reshape(&self, shape: &Shape) -> Self;
    /// NumPy broadcast to a larger shape.
    fn broadcast_to(&self, shape: &Shape) -> Self;
    /// The adjoint of `broadcast_to`: sums over the broadcast dimensions down to `shape`.
    fn sum_to(&self, shape: &Shape) -> Self;
    /// Reorders the axes.
    fn permute(&self, perm: &[usize]) -> Self;
    /// `len` entries along `axis` from `start`.
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Zero padding along `axis`.
    fn pad(&self, axis: usize, before: usize, after: usize) -> Self;
    /// Whole slices along `axis`, picked by index.
    fn index_select(&self, axis: usize, idx: &[usize]) -> Self;
    /// The adjoint of `index_select`: slices added into a zero tensor of `size` along `axis`.
    fn index_add(&self, axis: usize, idx: &[usize], size: usize) -> Self;
    /// Elements picked along `axis` by a per-position index.
    fn gather(&self, axis: usize, idx: &[usize]) -> Self;
    /// The adjoint of `gather`.
    fn scatter_add(&self, axis: usize, idx: &[usize], size: usize) -> Self;
    /// op(x) op(y), where op transposes the last two axes when its flag is set.
    fn matmul_t(&self, y: &Self, ta: bool, tb: bool) -> Self;
    /// ln softmax along `axis`.
    fn log_softmax(&self, axis: usize) -> Self;

    // The backward rules below have one fused loop in the eager algebra; the recording algebra
    // writes them out of the primitives (their composites live with their operations in `ops`).

    /// `self - e^y sum(self)` along `axis`, where `y` is a log-softmax: its backward.
    fn log_softmax_grad(&self, y: &Self, axis: usize) -> Self;
    /// `y (self - sum(self y))` along `axis`, where `y` is a softmax: its backward.
    fn softmax_grad(&self, y: &Self, axis: usize) -> Self;
    /// `self_i (onehot(labels_i) - softmax(x_i))` for logits `x [n, k]` and `self [n]`: the
    /// backward of `log_softmax_gather` (whose output is `logp`).
    fn log_softmax_gather_grad(&self, x: &Self, logp: &Self, labels: &[usize]) -> Self;
    /// `self * x * 2`: the square backward.
    fn square_grad(&self, x: &Self) -> Self;
    /// `self * (x > 0)`: the ReLU backward.
    fn relu_grad(&self, x: &Self) -> Self;
    /// `self * (1 - y^2)`: the tanh backward.
    fn tanh_grad(&self, y: &Self) -> Self;
    /// `self * y (1 - y)`: the sigmoid backward.
    fn sigmoid_grad(&self, y: &Self) -> Self;
}
