//! The tape: a Wengert list of recorded operations, `Var` handles into it, and the reverse sweep.

use std::cell::{Ref, RefCell};
use std::fmt;
use std::ops::Range;
use std::panic::Location;

use smallvec::SmallVec;

use crate::anomaly::Anomaly;
use crate::ops::Op;
use crate::profile::Recorder;
use crate::{Float, Shape, Tensor};

/// One recorded operation: what it was, where its inputs are, and the value it produced.
pub(crate) struct Node<T: Float> {
    pub(crate) op: Op<T>,
    /// Indices into `Inner::edges` of this node's parents, in argument order.
    pub(crate) parents: Range<u32>,
    /// Whether any gradient can flow into this node (a leaf, or a function of one).
    pub(crate) needs_grad: bool,
    pub(crate) value: Tensor<T>,
}

#[derive(Default)]
pub(crate) struct Inner<T: Float> {
    pub(crate) nodes: Vec<Node<T>>,
    /// Parent lists of all nodes, back to back (one allocation for the whole graph).
    pub(crate) edges: Vec<u32>,
    /// Integer index arguments (gather, index_select) of all nodes, back to back.
    pub(crate) ints: Vec<usize>,
    /// Gradient slots, filled by `backward`; `None` where no gradient flowed.
    pub(crate) grads: Vec<Option<Tensor<T>>>,
    /// Whether recorded values and swept gradients are checked for NaN and infinities.
    pub(crate) detect: bool,
    /// The first non-finite value or gradient found since the last reset (detection on).
    pub(crate) anomaly: Option<Box<Anomaly>>,
    /// The line that recorded each node, kept only while detection is on (the reports name
    /// it; a separate list keeps the nodes small).
    pub(crate) locations: Vec<Option<&'static Location<'static>>>,
    /// The profiler's events, while it is on ([`Tape::start_profiling`]).
    pub(crate) profile: Option<Box<Recorder>>,
}

/// A Wengert list: the arena in which a computation is recorded, in execution order.
///
/// Recording order is a topological order, so [`Var::backward`] is one reverse sweep over the
/// list. Handles ([`Var`]) borrow the tape, so [`Tape::reset`], which needs `&mut self`, can
/// only run once every handle of the previous step is gone: the borrow checker proves that
/// recycling the arena is safe.
///
/// ```
/// use tape::{Tape, Tensor};
/// let mut tape = Tape::<f64>::new();
/// for step in 0..3 {
///     tape.reset(); // keeps the arena's capacity; tensor storage goes back to the pool
///     let x = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0], [3]));
///     let loss = (x * x + x).sum(); // x is used twice: gradients accumulate
///     loss.backward();
///     assert_eq!(x.grad().unwrap().data(), &[3.0, 5.0, 7.0]); // 2x + 1
///     let _ = step;
/// }
/// ```
pub struct Tape<T: Float = f32> {
    pub(crate) inner: RefCell<Inner<T>>,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Tape {
            inner: RefCell::new(Inner {
                nodes: Vec::new(),
                edges: Vec::new(),
                ints: Vec::new(),
                grads: Vec::new(),
                detect: crate::env::detect_anomaly(),
                anomaly: None,
                locations: Vec::new(),
                profile: None,
            }),
        }
    }

    /// Clears the recording but keeps every buffer's capacity; the nodes' tensors return their
    /// storage to the buffer pool, so the next identical step allocates nothing.
    pub fn reset(&mut self) {
        let inner = self.inner.get_mut();
        inner.nodes.clear();
        inner.edges.clear();
        inner.ints.clear();
        inner.grads.clear();
        inner.anomaly = None;
        inner.locations.clear();
        if let Some(p) = &mut inner.profile {
            p.restart();
        }
    }

    /// The number of recorded nodes.
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A differentiable input (a leaf that receives a gradient).
    pub fn var(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push(Op::Leaf, &[], value)
    }

    /// A constant input: no gradient flows into it.
    pub fn constant(&self, value: Tensor<T>) -> Var<'_, T> {
        self.push(Op::Const, &[], value)
    }

    /// A constant scalar (rank 0).
    pub fn scalar(&self, value: T) -> Var<'_, T> {
        self.constant(Tensor::scalar(value))
    }

    // The caller's location names the user's line in an anomaly report.
    #[track_caller]
    pub(crate) fn push(&self, op: Op<T>, parents: &[u32], value: Tensor<T>) -> Var<'_, T> {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        let needs_grad = match op {
            Op::Leaf => true,
            Op::Const => false,
            _ => parents.iter().any(|&p| inner.nodes[p as usize].needs_grad),
        };
        let start = inner.edges.len() as u32;
        // One push per parent: a call into memcpy costs more than the one to three copies.
        for &p in parents {
            inner.edges.push(p);
        }
        let id = inner.nodes.len() as u32;
        inner.nodes.push(Node {
            op,
            parents: start..inner.edges.len() as u32,
            needs_grad,
            value,
        });
        if inner.detect {
            inner.check_value(id as usize, Location::caller());
        }
        inner.profile_forward(id as usize);
        Var { tape: self, id }
    }

    /// Stores integer arguments of an operation and returns where they are.
    pub(crate) fn push_ints(&self, idx: &[usize]) -> Range<usize> {
        let mut inner = self.inner.borrow_mut();
        let start = inner.ints.len();
        inner.ints.extend_from_slice(idx);
        start..inner.ints.len()
    }

    pub(crate) fn value(&self, id: u32) -> Ref<'_, Tensor<T>> {
        Ref::map(self.inner.borrow(), |i| &i.nodes[id as usize].value)
    }
}

impl<T: Float> fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        writeln!(f, "Tape<{}> with {} nodes:", T::NAME, inner.nodes.len())?;
        for (i, n) in inner.nodes.iter().enumerate() {
            let ps = &inner.edges[n.parents.start as usize..n.parents.end as usize];
            writeln!(f, "  %{i} = {:?}{ps:?} -> {}", n.op, n.value.shape())?;
        }
        Ok(())
    }
}

/// A handle to a node of a [`Tape`]: `Copy`, so objectives read like maths.
///
/// ```
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let w = tape.var(Tensor::from_vec(vec![0.5, -1.0], [2, 1]));
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
/// let y = tape.constant(Tensor::from_vec(vec![1.0, 0.0], [2, 1]));
/// let loss = (x.matmul(w) - y).square().mean();
/// loss.backward();
/// let g = w.grad().unwrap(); // X^T (Xw - y) * 2 / n
/// assert_eq!(g.data(), &[-10.0, -15.0]);
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float = f32> {
    pub(crate) tape: &'t Tape<T>,
    pub(crate) id: u32,
}

impl<'t, T: Float> Var<'t, T> {
    /// The tape this handle points into.
    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// The node's index on its tape.
    pub fn id(self) -> usize {
        self.id as usize
    }

    /// The computed value (a cheap clone).
    pub fn value(self) -> Tensor<T> {
        self.tape.value(self.id).clone()
    }

    /// The value's shape.
    pub fn shape(self) -> Shape {
        self.tape.value(self.id).shape().clone()
    }

    /// The value's dimensions, as an owned small vector.
    pub fn dims(self) -> SmallVec<[usize; 4]> {
        SmallVec::from_slice(self.tape.value(self.id).dims())
    }

    /// The only element of a one-element value.
    #[track_caller]
    pub fn item(self) -> T {
        self.tape.value(self.id).item()
    }

    /// Whether a gradient can flow into this node.
    pub fn requires_grad(self) -> bool {
        self.tape.inner.borrow().nodes[self.id as usize].needs_grad
    }

    /// The gradient of the last [`Var::backward`] with respect to this node, if any flowed.
    pub fn grad(self) -> Option<Tensor<T>> {
        self.tape
            .inner
            .borrow()
            .grads
            .get(self.id as usize)
            .cloned()
            .flatten()
    }

    /// Takes the gradient out of its slot (no copy), leaving `None`.
    pub fn take_grad(self) -> Option<Tensor<T>> {
        self.tape
            .inner
            .borrow_mut()
            .grads
            .get_mut(self.id as usize)
            .and_then(Option::take)
    }

    /// Reverse-mode sweep from this one-element node: afterwards [`Var::grad`] of every node
    /// it depends on holds d(self)/d(node). Each call overwrites the previous gradients.
    ///
    /// With anomaly detection on ([`Tape::detect_anomaly`]), panics with the report of the
    /// first non-finite value or gradient; [`Var::try_backward`] returns it instead.
    #[track_caller]
    pub fn backward(self) {
        self.backward_unchecked();
        if let Some(anomaly) = self.tape.anomaly() {
            panic!("{anomaly}");
        }
    }

    /// The sweep of [`Var::backward`], leaving any anomaly on the tape.
    #[track_caller]
    pub(crate) fn backward_unchecked(self) {
        let shape = self.shape();
        assert!(
            shape.numel() == 1,
            "backward: the loss must have one element, found shape {shape}; reduce it first (sum or mean) or use backward_with"
        );
        self.tape.backward_eager(self.id, Tensor::ones(shape));
    }

    /// Reverse-mode sweep seeded with `seed` (same shape as this node): a vector-Jacobian
    /// product. Panics like [`Var::backward`] on an anomaly when detection is on.
    #[track_caller]
    pub fn backward_with(self, seed: Tensor<T>) {
        let shape = self.shape();
        assert!(
            seed.shape() == &shape,
            "backward_with: seed of shape {} for a node of shape {shape}",
            seed.shape()
        );
        self.tape.backward_eager(self.id, seed);
        if let Some(anomaly) = self.tape.anomaly() {
            panic!("{anomaly}");
        }
    }

    /// The same value as a constant: gradients stop here.
    pub fn detach(self) -> Var<'t, T> {
        let v = self.value();
        self.tape.constant(v)
    }

    #[track_caller]
    pub(crate) fn assert_same_tape(self, others: &[Var<'t, T>], op: &str) {
        for o in others {
            assert!(
                std::ptr::eq(self.tape, o.tape),
                "{op}: operands are recorded on different tapes"
            );
        }
    }
}

impl<T: Float> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Var(%{}, {:?})", self.id, &*self.tape.value(self.id))
    }
}
