//! What an operation costs, counted from its shapes: the floating-point operations it does and
//! the bytes it reads and writes, where the count is known.
//!
//! The counts are the textbook ones, not a model of the kernels: a matrix product of
//! `[m, k] x [k, n]` is `2 m n k` FLOPs; an elementwise function, a reduction or a softmax
//! counts one FLOP per element read (`exp` and a multiply alike), a softmax five (max,
//! subtract, exp, sum, divide). Bytes are every operand read once and the result written once,
//! so they are a floor on the memory traffic. Moves (reshape, narrow, gather, ...) count
//! bytes and no FLOPs; leaves and constants count nothing. A user's operation counts bytes, and
//! the FLOPs its [`CustomOp::flops`](crate::CustomOp::flops) states.

use crate::ops::Op;
use crate::tape::Node;
use crate::{Float, Shape, Tensor};

/// FLOPs and bytes of one run of a forward kernel or of a backward rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    pub(crate) flops: u64,
    pub(crate) bytes: u64,
}

/// The inner dimension `k` of a product whose left operand is `a`.
fn inner<T: Float>(a: &Tensor<T>, ta: bool) -> u64 {
    let d = a.dims();
    let k = if ta {
        d.len().wrapping_sub(2)
    } else {
        d.len().wrapping_sub(1)
    };
    d.get(k).copied().unwrap_or(1) as u64
}

/// The cost of the forward kernel of `node`, whose parents are `xs`.
pub(crate) fn forward<T: Float>(node: &Node<T>, xs: &[&Tensor<T>]) -> Cost {
    let size = std::mem::size_of::<T>() as u64;
    let out = node.value.numel() as u64;
    let read: u64 = xs.iter().map(|x| x.numel() as u64).sum();
    let moved = Cost {
        flops: 0,
        bytes: (read + out) * size,
    };
    let flops = match &node.op {
        Op::Leaf | Op::Const => return Cost::default(),
        // A reshape is a view: nothing moves.
        Op::Reshape => return Cost::default(),
        Op::Permute { .. }
        | Op::BroadcastTo
        | Op::Narrow { .. }
        | Op::Pad { .. }
        | Op::Concat { .. }
        | Op::IndexSelect { .. }
        | Op::Gather { .. } => return moved,
        Op::IndexAdd { .. } | Op::ScatterAdd { .. } => read,
        Op::Unary(_) | Op::Binary(_) | Op::Where => out,
        Op::Reduce { .. } => read,
        Op::Softmax { .. } | Op::LogSoftmax { .. } => 5 * out,
        Op::LogSoftmaxGather { .. } => 5 * read,
        Op::MatMul { ta, .. } => 2 * out * inner(xs[0], *ta),
        // x W, plus the bias (and the ReLU): one more FLOP per output element each.
        Op::Linear { relu } => out * (2 * inner(xs[0], false) + 1 + u64::from(*relu)),
        // A user's operation: its FLOPs are what it states, if it does.
        Op::Custom(op) => {
            let shapes: Vec<&Shape> = xs.iter().map(|x| x.shape()).collect();
            match op.flops(&shapes) {
                Some(flops) => flops,
                None => return moved,
            }
        }
    };
    Cost {
        flops,
        bytes: moved.bytes,
    }
}

/// The cost of the backward rule of `node` (parents `xs`, of which `needs` want a gradient).
///
/// A product's rule is one product per operand that needs a gradient (`2 m n k` each), plus
/// the bias's column sum for `linear`; any other rule counts as its forward kernel once per
/// operand that needs a gradient (it reads the incoming gradient and writes one gradient of
/// each operand's size).
pub(crate) fn backward<T: Float>(node: &Node<T>, xs: &[&Tensor<T>], needs: &[bool]) -> Cost {
    let size = std::mem::size_of::<T>() as u64;
    let out = node.value.numel() as u64;
    let fwd = forward(node, xs);
    // Free forward, free backward (views, inputs).
    if fwd == Cost::default() {
        return fwd;
    }
    let wanted = needs.iter().filter(|&&n| n).count() as u64;
    // The incoming gradient, plus each operand read and its gradient written.
    let bytes: u64 = out * size
        + xs.iter()
            .zip(needs)
            .filter(|(_, n)| **n)
            .map(|(x, _)| 2 * x.numel() as u64 * size)
            .sum::<u64>();
    let flops = match &node.op {
        Op::MatMul { ta, .. } => wanted * 2 * out * inner(xs[0], *ta),
        Op::Linear { relu } => {
            let products = needs[..2].iter().filter(|&&n| n).count() as u64;
            let bias = u64::from(needs.get(2).copied().unwrap_or(false));
            out * (products * 2 * inner(xs[0], false) + bias + u64::from(*relu))
        }
        _ => wanted * fwd.flops,
    };
    Cost { flops, bytes }
}
