//! The profiler: where a step's time goes, operation by operation.
//!
//! Off (the default), the tape pays one predictable branch per recorded operation and per
//! swept node, and the helper threads one relaxed atomic load per part of a parallel kernel.
//! On ([`Tape::start_profiling`]), every recorded operation gets a forward event and every
//! backward rule the sweep runs a backward event, with the FLOPs and bytes of the work where
//! they are known (see `cost.rs`); the parts of kernels that helper threads run are kept too.
//! [`Tape::finish_profiling`] hands back a [`Profile`]: a table aggregated by operation
//! ([`Profile::table`]) and a Chrome trace ([`Profile::chrome_trace`]).
//!
//! An operation's forward time runs from the end of the previous recorded operation (or of
//! the last sweep, or [`Tape::reset`]) to the end of its own recording: its kernel, plus
//! whatever the caller did in between, so the forward times add up to the forward pass's wall
//! time (for `var` and `constant`, it is the time spent building their tensors). A backward
//! time is the rule's own run, gradient accumulation included.

mod cost;
mod table;
mod threads;
mod trace;

use std::time::Duration;

use crate::anomaly::op_name;
use crate::tape::{Inner, Node};
use crate::{Float, Tape, Tensor};

pub use table::OpStats;
pub(crate) use table::time;
pub(crate) use threads::{clock, timed_part};
pub(crate) use trace::escape;

/// Which pass an [`OpEvent`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Recording: the forward kernel.
    Forward,
    /// The reverse sweep: the backward rule.
    Backward,
}

/// One timed run of an operation's forward kernel or backward rule.
#[derive(Clone, Debug, PartialEq)]
pub struct OpEvent {
    /// The operation, as the method that records it is called (`matmul`, `sum_axis(1)`, ...).
    pub op: String,
    /// Forward or backward.
    pub pass: Pass,
    /// The node's index on the tape when it was recorded.
    pub node: usize,
    /// When it started, from the start of profiling.
    pub start: Duration,
    /// How long it took.
    pub duration: Duration,
    /// Floating-point operations, where known (0 otherwise).
    pub flops: u64,
    /// Bytes read and written, where known (0 otherwise).
    pub bytes: u64,
}

/// A part of a parallel kernel that ran on one of lossgraph's helper threads.
#[derive(Clone, Debug, PartialEq)]
pub struct HelperPart {
    /// The helper's number (1 for `lossgraph-1`, ...).
    pub thread: usize,
    /// When it started, from the start of profiling.
    pub start: Duration,
    /// How long it took.
    pub duration: Duration,
}

/// What a profiled stretch of a tape's life recorded; see [`Tape::start_profiling`].
#[derive(Clone, Debug)]
pub struct Profile {
    events: Vec<OpEvent>,
    parts: Vec<HelperPart>,
    wall: Duration,
    sweeps: usize,
    peak_bytes: usize,
}

impl Profile {
    /// Every forward and backward event, in the order they ended.
    pub fn events(&self) -> &[OpEvent] {
        &self.events
    }

    /// The parts of parallel kernels that helper threads ran, in the order they ended.
    pub fn helper_parts(&self) -> &[HelperPart] {
        &self.parts
    }

    /// The wall time from [`Tape::start_profiling`] to [`Tape::finish_profiling`].
    pub fn wall(&self) -> Duration {
        self.wall
    }

    /// How many reverse sweeps ([`Var::backward`](crate::Var::backward) and its kin) ran.
    pub fn sweeps(&self) -> usize {
        self.sweeps
    }

    /// The most bytes the tape held at the end of a sweep: every node's value and every
    /// gradient (a value shared by several nodes counts once per node).
    pub fn peak_tape_bytes(&self) -> usize {
        self.peak_bytes
    }
}

/// The events of a tape while profiling is on.
pub(crate) struct Recorder {
    started: u64,
    /// When the previous operation's recording (or the last sweep, or reset) ended.
    mark: u64,
    events: Vec<OpEvent>,
    sweeps: usize,
    peak_bytes: usize,
}

impl Recorder {
    fn new() -> Self {
        threads::profiling_started();
        let now = clock();
        Recorder {
            started: now,
            mark: now,
            events: Vec::new(),
            sweeps: 0,
            peak_bytes: 0,
        }
    }

    fn push(&mut self, node: &Node<impl Float>, id: usize, pass: Pass, start: u64, c: cost::Cost) {
        let end = clock();
        self.events.push(OpEvent {
            op: op_name(&node.op),
            pass,
            node: id,
            start: nanos(start.saturating_sub(self.started)),
            duration: nanos(end.saturating_sub(start)),
            flops: c.flops,
            bytes: c.bytes,
        });
    }

    /// Node `id` was just recorded.
    pub(crate) fn forward<T: Float>(&mut self, nodes: &[Node<T>], edges: &[u32], id: usize) {
        let node = &nodes[id];
        let xs = parents(nodes, edges, node);
        let c = cost::forward(node, &xs);
        self.push(node, id, Pass::Forward, self.mark, c);
        // The bookkeeping above is not the next operation's time.
        self.mark = clock();
    }

    /// The backward rule of node `id`, which started at `start`, just ran.
    pub(crate) fn backward<T: Float>(
        &mut self,
        nodes: &[Node<T>],
        edges: &[u32],
        id: usize,
        start: u64,
    ) {
        let node = &nodes[id];
        let xs = parents(nodes, edges, node);
        let needs: Vec<bool> = edges[node.parents.start as usize..node.parents.end as usize]
            .iter()
            .map(|&p| nodes[p as usize].needs_grad)
            .collect();
        let c = cost::backward(node, &xs, &needs);
        self.push(node, id, Pass::Backward, start, c);
    }

    /// A sweep ended: counts it and what the tape holds now.
    pub(crate) fn sweep_finished<T: Float>(
        &mut self,
        inner_nodes: &[Node<T>],
        grads: &[Option<Tensor<T>>],
    ) {
        let size = std::mem::size_of::<T>();
        let values: usize = inner_nodes.iter().map(|n| n.value.numel()).sum();
        let gradients: usize = grads.iter().flatten().map(|g| g.numel()).sum();
        self.peak_bytes = self.peak_bytes.max((values + gradients) * size);
        self.sweeps += 1;
        self.mark = clock();
    }

    /// The tape was reset: what comes next starts now.
    pub(crate) fn restart(&mut self) {
        self.mark = clock();
    }

    fn finish(mut self) -> Profile {
        let end = clock();
        let parts = threads::parts_between(self.started, end);
        Profile {
            events: std::mem::take(&mut self.events),
            parts,
            wall: nanos(end - self.started),
            sweeps: self.sweeps,
            peak_bytes: self.peak_bytes,
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        threads::profiling_finished();
    }
}

fn nanos(n: u64) -> Duration {
    Duration::from_nanos(n)
}

fn parents<'a, T: Float>(
    nodes: &'a [Node<T>],
    edges: &[u32],
    node: &Node<T>,
) -> Vec<&'a Tensor<T>> {
    edges[node.parents.start as usize..node.parents.end as usize]
        .iter()
        .map(|&p| &nodes[p as usize].value)
        .collect()
}

impl<T: Float> Tape<T> {
    /// Starts the profiler (or restarts it, dropping what it had): from now on every recorded
    /// operation and every backward rule is timed, until [`Tape::finish_profiling`].
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let mut tape = Tape::<f32>::new();
    /// tape.start_profiling();
    /// for _ in 0..3 {
    ///     tape.reset();
    ///     let w = tape.var(Tensor::ones([64, 32]));
    ///     let x = tape.constant(Tensor::ones([16, 64]));
    ///     x.matmul(w).relu().sum().backward();
    /// }
    /// let profile = tape.finish_profiling().unwrap();
    /// let matmul = profile.by_op().into_iter().find(|s| s.op == "matmul").unwrap();
    /// assert_eq!((matmul.calls, matmul.backward_calls), (3, 3));
    /// // Three steps of 2 m n k FLOPs forward and as many for w's gradient (x is a constant).
    /// assert_eq!(matmul.flops, 3 * 2 * (2 * 16 * 32 * 64));
    /// println!("{profile}"); // the table, sorted by total time
    /// ```
    pub fn start_profiling(&self) {
        self.inner.borrow_mut().profile = Some(Box::new(Recorder::new()));
    }

    /// Whether the profiler is on.
    pub fn is_profiling(&self) -> bool {
        self.inner.borrow().profile.is_some()
    }

    /// Stops the profiler and returns what it recorded (`None` if it was not on).
    pub fn finish_profiling(&self) -> Option<Profile> {
        let recorder = self.inner.borrow_mut().profile.take()?;
        Some(recorder.finish())
    }
}

impl<T: Float> Inner<T> {
    /// The profiler's hook after node `id` was recorded.
    #[inline]
    pub(crate) fn profile_forward(&mut self, id: usize) {
        if let Some(p) = &mut self.profile {
            p.forward(&self.nodes, &self.edges, id);
        }
    }
}
