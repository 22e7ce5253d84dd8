//! Finding anomalies: the checks run while recording and sweeping, the reports they build,
//! and the public switches and results on [`Tape`] and [`Var`].

use std::panic::Location;

use super::{Anomaly, AnomalyKind, Operand, Summary};
use crate::ops::Op;
use crate::tape::{Inner, Node};
use crate::{Float, Tape, Tensor, Var};

/// The name of the method that records `op`.
pub(crate) fn op_name<T: Float>(op: &Op<T>) -> String {
    let name = match op {
        Op::Leaf => "leaf",
        Op::Const => "constant",
        Op::Unary(u) => return u.name(),
        Op::Binary(b) => b.name(),
        Op::Where => "where_",
        Op::Reduce {
            kind, axis: None, ..
        } => kind.name(),
        Op::Reduce {
            kind,
            axis: Some(a),
            ..
        } => return format!("{}_axis({a})", kind.name()),
        Op::Reshape => "reshape",
        Op::Permute { .. } => "permute",
        Op::BroadcastTo => "broadcast_to",
        Op::Narrow { .. } => "narrow",
        Op::Pad { .. } => "pad",
        Op::Concat { .. } => "concat",
        Op::IndexSelect { .. } => "index_select",
        Op::IndexAdd { .. } => "index_add",
        Op::Gather { .. } => "gather",
        Op::ScatterAdd { .. } => "scatter_add",
        Op::MatMul { .. } => "matmul",
        Op::Linear { relu: false } => "linear",
        Op::Linear { relu: true } => "linear_relu",
        Op::Softmax { .. } => "softmax",
        Op::LogSoftmax { .. } => "log_softmax",
        Op::LogSoftmaxGather { .. } => "log_softmax_gather",
        Op::Custom(c) => c.name(),
    };
    name.to_string()
}

/// Whether every element of `t` is finite: the scan that runs on every recorded value and
/// gradient while detection is on. Chunks are folded without an early exit, so the compiler
/// vectorises them (an element-wise `all`, which may stop at any element, it does not).
pub(crate) fn all_finite<T: Float>(t: &Tensor<T>) -> bool {
    t.data()
        .chunks(256)
        .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()))
}

/// The inputs of node `i`, summarised.
fn operands<T: Float>(nodes: &[Node<T>], edges: &[u32], i: usize) -> Vec<Operand> {
    let range = &nodes[i].parents;
    edges[range.start as usize..range.end as usize]
        .iter()
        .map(|&p| Operand {
            node: p as usize,
            op: op_name(&nodes[p as usize].op),
            value: Summary::of(&nodes[p as usize].value),
        })
        .collect()
}

/// What a report reads from the tape: the nodes, their parent lists, their source lines.
pub(crate) type Graph<'a, T> = (
    &'a [Node<T>],
    &'a [u32],
    &'a [Option<&'static Location<'static>>],
);

impl Anomaly {
    fn at<T: Float>(
        kind: AnomalyKind,
        (nodes, edges, locations): Graph<'_, T>,
        i: usize,
    ) -> Anomaly {
        Anomaly {
            kind,
            op: op_name(&nodes[i].op),
            node: i,
            location: locations.get(i).copied().flatten(),
            inputs: operands(nodes, edges, i),
            found: Summary::of(&nodes[i].value),
            grad_of: None,
            incoming: None,
        }
    }

    /// A backward rule of node `i` gave its input `k` the non-finite gradient `found`, from
    /// the incoming gradient `g`.
    #[cold]
    pub(crate) fn gradient<T: Float>(
        graph: Graph<'_, T>,
        i: usize,
        g: &Tensor<T>,
        k: usize,
        found: Summary,
    ) -> Box<Anomaly> {
        Box::new(Anomaly {
            found,
            grad_of: Some(k),
            incoming: Some(Summary::of(g)),
            ..Anomaly::at(AnomalyKind::Gradient, graph, i)
        })
    }

    /// The gradient `g` flowing into node `i` is non-finite.
    #[cold]
    pub(crate) fn incoming<T: Float>(graph: Graph<'_, T>, i: usize, g: &Tensor<T>) -> Box<Anomaly> {
        Box::new(Anomaly {
            found: Summary::of(g),
            ..Anomaly::at(AnomalyKind::IncomingGradient, graph, i)
        })
    }
}

impl<T: Float> Inner<T> {
    /// Keeps the first non-finite value recorded by an operation (leaves and constants are
    /// inputs, not results: they are reported as the inputs of the first operation using them).
    #[cold]
    #[inline(never)]
    pub(crate) fn check_value(&mut self, id: usize, location: &'static Location<'static>) {
        if self.locations.len() <= id {
            self.locations.resize(id + 1, None);
        }
        self.locations[id] = Some(location);
        let node = &self.nodes[id];
        if self.anomaly.is_some()
            || matches!(node.op, Op::Leaf | Op::Const)
            || all_finite(&node.value)
        {
            return;
        }
        let graph = (&self.nodes[..], &self.edges[..], &self.locations[..]);
        let found = Anomaly::at(AnomalyKind::Value, graph, id);
        self.anomaly = Some(Box::new(found));
    }
}

impl<T: Float> Tape<T> {
    /// Turns anomaly detection on or off for the operations recorded from now on.
    ///
    /// On, every value an operation records and every gradient a backward rule produces is
    /// checked for NaN and infinities; the first one found is kept (until [`Tape::reset`]) as
    /// an [`Anomaly`] naming the operation, its position on the tape, the line that recorded
    /// it, and its inputs' shapes and ranges. [`Var::try_backward`] returns it and
    /// [`Var::backward`] panics with it. Off (the default, unless the environment sets
    /// `LOSSGRAPH_DETECT_ANOMALY=1`), nothing is scanned.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// tape.detect_anomaly(true);
    /// let x = tape.var(Tensor::from_vec(vec![0.0, 1.0], [2]));
    /// let loss = (x.ln() * 0.0).sum(); // ln(0) = -inf, and -inf * 0 = NaN
    /// let anomaly = loss.try_backward().unwrap_err();
    /// assert_eq!(anomaly.op, "ln"); // the first non-finite value, not the product
    /// assert_eq!(anomaly.node, 1);
    /// assert!(!anomaly.inherited()); // its input was finite: ln itself is the cause
    /// ```
    ///
    /// Operations whose results are legitimately infinite (a `-inf` attention mask added to
    /// logits) are reported too: the mode is for finding where a NaN comes from.
    pub fn detect_anomaly(&self, on: bool) {
        self.inner.borrow_mut().detect = on;
    }

    /// Whether anomaly detection is on.
    pub fn detects_anomalies(&self) -> bool {
        self.inner.borrow().detect
    }

    /// The first non-finite value or gradient found since the last [`Tape::reset`], if any
    /// (always `None` with detection off).
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.inner.borrow().anomaly.as_deref().cloned()
    }
}

impl<T: Float> Var<'_, T> {
    /// [`Var::backward`] that returns the first anomaly instead of panicking.
    ///
    /// With detection on, the error is the first non-finite value of the forward pass or, if
    /// there was none, the first non-finite gradient of the sweep. With detection off, only
    /// the loss itself is checked: a non-finite loss gives an [`Anomaly`] of kind
    /// [`AnomalyKind::Loss`], which says to turn detection on to find its origin. The
    /// gradients are filled either way.
    #[track_caller]
    pub fn try_backward(self) -> Result<(), Box<Anomaly>> {
        self.backward_unchecked();
        if let Some(anomaly) = self.tape.anomaly() {
            return Err(Box::new(anomaly));
        }
        if self.item().is_finite() {
            return Ok(());
        }
        let inner = self.tape.inner.borrow();
        let graph = (&inner.nodes[..], &inner.edges[..], &inner.locations[..]);
        Err(Box::new(Anomaly::at(AnomalyKind::Loss, graph, self.id())))
    }
}
