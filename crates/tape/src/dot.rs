//! The recorded graph as Graphviz DOT text: `dot -Tsvg graph.dot -o graph.svg` draws it.
//!
//! Each node is labelled with its position on the tape, its operation and its shape.
//! Parameters (leaves, which receive gradients) are filled boxes, constants dashed grey boxes,
//! operations ellipses, grey and dashed when no gradient flows through them; the loss has a
//! double outline. Edges run from an operand to the operation that uses it. [`DotOptions`]
//! can limit the depth below the loss and fold runs of identical layers into one node.

use std::collections::VecDeque;
use std::fmt::Write;

use crate::anomaly::op_name;
use crate::ops::Op;
use crate::profile::escape;
use crate::tape::Inner;
use crate::{Float, Tape, Var};

/// What [`Var::to_dot`] draws.
#[derive(Clone, Debug, Default)]
pub struct DotOptions {
    max_depth: Option<usize>,
    collapse: bool,
}

impl DotOptions {
    /// Every node the loss depends on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the nodes at most `depth` edges above the loss (the loss itself is depth 0);
    /// a node whose operands are cut off gets a `...` above it.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = Some(depth);
        self
    }

    /// Draws a run of repeated layers as its first layer, marked `xN`: a chain of nodes with
    /// the same operation and shape, each fed by the previous one (used nowhere else) and by
    /// inputs (parameters, constants) of the same shapes.
    pub fn collapse_repeats(mut self) -> Self {
        self.collapse = true;
        self
    }
}

impl<T: Float> Tape<T> {
    /// Every node of the tape as a Graphviz graph (see [`Var::to_dot`] for one loss's).
    pub fn to_dot(&self) -> String {
        let inner = self.inner.borrow();
        let all = vec![Some(0); inner.nodes.len()];
        render(&inner, &all, None, &DotOptions::new())
    }
}

impl<T: Float> Var<'_, T> {
    /// The nodes this one depends on, as a Graphviz graph.
    ///
    /// ```
    /// use tape::{DotOptions, Tape, Tensor};
    /// let tape = Tape::<f32>::new();
    /// let w = tape.var(Tensor::ones([3, 1]));
    /// let x = tape.constant(Tensor::ones([2, 3]));
    /// let loss = x.matmul(w).square().mean();
    /// let dot = loss.to_dot(&DotOptions::new());
    /// assert!(dot.starts_with("digraph tape {"));
    /// assert!(dot.contains("n2 [label=\"%2 matmul\\n[2, 1]\""));
    /// // Only the loss and its operand: the rest is cut off.
    /// assert!(!loss.to_dot(&DotOptions::new().max_depth(1)).contains("matmul"));
    /// ```
    pub fn to_dot(self, options: &DotOptions) -> String {
        let inner = self.tape.inner.borrow();
        // Each node's distance from this one, walking operands breadth first.
        let mut depth: Vec<Option<usize>> = vec![None; self.id as usize + 1];
        let mut queue = VecDeque::from([(self.id as usize, 0)]);
        depth[self.id as usize] = Some(0);
        while let Some((i, d)) = queue.pop_front() {
            if options.max_depth.is_some_and(|m| d >= m) {
                continue;
            }
            let n = &inner.nodes[i];
            for &p in &inner.edges[n.parents.start as usize..n.parents.end as usize] {
                if depth[p as usize].is_none() {
                    depth[p as usize] = Some(d + 1);
                    queue.push_back((p as usize, d + 1));
                }
            }
        }
        render(&inner, &depth, Some(self.id as usize), options)
    }
}

/// The DOT text of the nodes with a depth, the loss `root` outlined twice; nodes at
/// `max_depth` with operands get a `...` above them.
fn render<T: Float>(
    inner: &Inner<T>,
    depth: &[Option<usize>],
    root: Option<usize>,
    options: &DotOptions,
) -> String {
    let mut s = String::from("digraph tape {\n");
    s.push_str("  rankdir=TB;\n");
    s.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
    s.push_str("  edge [color=\"#555555\", arrowsize=0.6];\n");
    let parents_of = |i: usize| {
        let r = &inner.nodes[i].parents;
        &inner.edges[r.start as usize..r.end as usize]
    };
    let (rep, repeats) = match options.collapse {
        true => repeats(inner, depth),
        false => ((0..depth.len()).collect(), vec![1; depth.len()]),
    };
    for (i, d) in depth.iter().enumerate() {
        let Some(d) = *d else { continue };
        if rep[i] != i {
            continue;
        }
        let node = &inner.nodes[i];
        let style = match node.op {
            Op::Leaf => "shape=box, style=filled, fillcolor=\"#cfe2f3\"",
            Op::Const => "shape=box, style=dashed, color=\"#999999\", fontcolor=\"#666666\"",
            _ if node.needs_grad => "shape=ellipse",
            _ => "shape=ellipse, style=dashed, color=\"#999999\", fontcolor=\"#666666\"",
        };
        let outline = if root == Some(i) {
            ", peripheries=2"
        } else {
            ""
        };
        let times = match repeats[i] {
            1 => String::new(),
            n => format!("\\nx{n}"),
        };
        let label = format!(
            "%{i} {}\\n{}{times}",
            escape(&op_name(&node.op)),
            node.value.shape()
        );
        let _ = writeln!(s, "  n{i} [label=\"{label}\", {style}{outline}];");
        let parents = parents_of(i);
        if options.max_depth == Some(d) && !parents.is_empty() {
            let _ = writeln!(s, "  n{i}_cut [label=\"...\", shape=plaintext];");
            let _ = writeln!(s, "  n{i}_cut -> n{i} [style=dotted];");
            continue;
        }
        for &p in parents {
            let _ = writeln!(s, "  n{} -> n{i};", rep[p as usize]);
        }
    }
    s.push_str("}\n");
    s
}

/// For each node, the node that draws it (itself unless it is folded into a run of repeated
/// layers), and for each drawing node how many layers it stands for. A parameter or constant
/// is folded with the layer that alone uses it.
fn repeats<T: Float>(inner: &Inner<T>, depth: &[Option<usize>]) -> (Vec<usize>, Vec<usize>) {
    let n = depth.len();
    let parents_of = |i: usize| {
        let r = &inner.nodes[i].parents;
        &inner.edges[r.start as usize..r.end as usize]
    };
    let is_input = |i: usize| matches!(inner.nodes[i].op, Op::Leaf | Op::Const);
    let mut uses = vec![0usize; n];
    let mut user = vec![usize::MAX; n];
    for i in (0..n).filter(|&i| depth[i].is_some()) {
        for &p in parents_of(i) {
            uses[p as usize] += 1;
            user[p as usize] = i;
        }
    }
    // A layer: its operation and shape, its inputs' kinds and shapes, and which operand is
    // the one non-input that feeds it.
    let layer = |i: usize| -> Option<(usize, String)> {
        let ps = parents_of(i);
        let chained: Vec<usize> = (0..ps.len())
            .filter(|&k| !is_input(ps[k] as usize))
            .collect();
        let &[k] = chained.as_slice() else {
            return None;
        };
        let mut sig = format!(
            "{} {} {k}",
            op_name(&inner.nodes[i].op),
            inner.nodes[i].value.shape()
        );
        for &p in ps.iter().filter(|&&p| is_input(p as usize)) {
            let p = &inner.nodes[p as usize];
            sig += &format!(" {} {}", op_name(&p.op), p.value.shape());
        }
        Some((ps[k] as usize, sig))
    };
    let mut rep: Vec<usize> = (0..n).collect();
    let mut count = vec![1; n];
    for i in (0..n).filter(|&i| depth[i].is_some()) {
        let Some((c, sig)) = layer(i) else { continue };
        if depth[c].is_some() && uses[c] == 1 && layer(c).is_some_and(|(_, s)| s == sig) {
            rep[i] = rep[c];
            count[rep[c]] += 1;
        }
    }
    // Inputs used only by a folded layer go with it.
    for p in 0..n {
        if is_input(p) && uses[p] == 1 && user[p] != usize::MAX && rep[user[p]] != user[p] {
            rep[p] = rep[user[p]];
        }
    }
    (rep, count)
}
