//! The recorded graph as Graphviz DOT text: `dot -Tsvg graph.dot -o graph.svg` draws it.
//!
//! Each node is labelled with its position on the tape, its operation and its shape.
//! Parameters (leaves, which receive gradients) are filled boxes, constants dashed grey boxes,
//! operations ellipses, grey and dashed when no gradient flows through them; the loss has a
//! double outline. Edges run from an operand to the operation that uses it.

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
}

impl<T: Float> Tape<T> {
    /// Every node of the tape as a Graphviz graph (see [`Var::to_dot`] for one loss's).
    pub fn to_dot(&self) -> String {
        let inner = self.inner.borrow();
        let all = vec![Some(0); inner.nodes.len()];
        render(&inner, &all, None, None)
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
        render(&inner, &depth, Some(self.id as usize), options.max_depth)
    }
}

/// The DOT text of the nodes with a depth, the loss `root` outlined twice; nodes at
/// `max_depth` with operands get a `...` above them.
fn render<T: Float>(
    inner: &Inner<T>,
    depth: &[Option<usize>],
    root: Option<usize>,
    max_depth: Option<usize>,
) -> String {
    let mut s = String::from("digraph tape {\n");
    s.push_str("  rankdir=TB;\n");
    s.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
    s.push_str("  edge [color=\"#555555\", arrowsize=0.6];\n");
    for (i, d) in depth.iter().enumerate() {
        let Some(d) = *d else { continue };
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
        let label = format!(
            "%{i} {}\\n{}",
            escape(&op_name(&node.op)),
            node.value.shape()
        );
        let _ = writeln!(s, "  n{i} [label=\"{label}\", {style}{outline}];");
        let parents = &inner.edges[node.parents.start as usize..node.parents.end as usize];
        if max_depth == Some(d) && !parents.is_empty() {
            let _ = writeln!(s, "  n{i}_cut [label=\"...\", shape=plaintext];");
            let _ = writeln!(s, "  n{i}_cut -> n{i} [style=dotted];");
            continue;
        }
        for &p in parents {
            let _ = writeln!(s, "  n{p} -> n{i};");
        }
    }
    s.push_str("}\n");
    s
}
