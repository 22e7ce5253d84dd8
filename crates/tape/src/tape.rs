//! The tape: a Wengert list of recorded operations, `Var` handles into it, and the reverse sweep.

use std::cell::{Ref, RefCell};
use std::fmt;
use std::ops::Range;

use smallvec::SmallVec;

use crate::algebra::Scalar;
use crate::ops::{self, Op};
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

    /// The reverse sweep with eager tensors: fills the gradient slot of every node that `loss`
    /// depends on. Gradients of nodes used more than once are summed.
    fn backward_eager(&self, loss: u32, seed: Tensor<T>) {
        let mut inner = self.inner.borrow_mut();
        let Inner {
            nodes,
            edges,
            ints,
            grads,
        } = &mut *inner;
        grads.clear();
        grads.resize_with(nodes.len(), || None);
        grads[loss as usize] = Some(seed);
        for i in (0..=loss as usize).rev() {
            let node = &nodes[i];
            if !node.needs_grad || matches!(node.op, Op::Leaf) {
                continue;
            }
            let (below, here) = grads.split_at_mut(i);
            let Some(g) = &here[0] else { continue };
            let parents = &edges[node.parents.start as usize..node.parents.end as usize];
            if let Some(&[x0, x1]) = scalar_operands(node, parents, nodes).as_ref() {
                // Scalar code (a chain of one-element operations): run the same rule on plain
                // numbers instead of building one-element tensors.
                let y = Scalar(node.value.data()[0]);
                let g = Scalar(g.data()[0]);
                let xs = [&Scalar(x0), &Scalar(x1)];
                let needs = [0, 1].map(|k| {
                    parents
                        .get(k)
                        .is_some_and(|&p| nodes[p as usize].needs_grad)
                });
                let n = parents.len();
                ops::backward(
                    &node.op,
                    &xs[..n],
                    &y,
                    &g,
                    &needs[..n],
                    &[],
                    |k, gk: Scalar<T>| {
                        let p = parents[k] as usize;
                        accumulate_scalar(&mut below[p], gk.0, nodes[p].value.shape());
                    },
                );
                continue;
            }
            let idx = node.op.ints().map_or(&[][..], |r| &ints[r]);
            let emit = |k: usize, gk| accumulate(&mut below[parents[k] as usize], gk);
            // Nearly every operation has at most three parents: gather them into arrays on
            // the stack; only a wide concat takes the heap.
            if let [p0, rest @ ..] = parents
                && rest.len() < 3
            {
                let at = |k: usize| *parents.get(k).unwrap_or(p0) as usize;
                let xs = [
                    &nodes[at(0)].value,
                    &nodes[at(1)].value,
                    &nodes[at(2)].value,
                ];
                let needs = [
                    nodes[at(0)].needs_grad,
                    nodes[at(1)].needs_grad,
                    nodes[at(2)].needs_grad,
                ];
                let n = parents.len();
                ops::backward(&node.op, &xs[..n], &node.value, g, &needs[..n], idx, emit);
            } else {
                let xs: Vec<&Tensor<T>> =
                    parents.iter().map(|&p| &nodes[p as usize].value).collect();
                let needs: Vec<bool> = parents
                    .iter()
                    .map(|&p| nodes[p as usize].needs_grad)
                    .collect();
                ops::backward(&node.op, &xs, &node.value, g, &needs, idx, emit);
            }
        }
    }

    /// Gradients of `loss` with respect to `wrt`, recorded on this tape as new nodes, so they
    /// can be differentiated again (Hessian-vector products, gradient penalties).
    ///
    /// The sweep runs the very same backward rules as [`Var::backward`], instantiated with
    /// [`Var`] instead of [`Tensor`] as the algebra. A `wrt` that `loss` does not depend on gets
    /// a zero gradient.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from_vec(vec![2.0], [1]));
    /// let y = (x * x * x).sum(); // y = x^3
    /// let dy = tape.grad_graph(y, &[x])[0]; // 3x^2, itself a recorded Var
    /// assert_eq!(dy.value().item(), 12.0);
    /// dy.sum().backward(); // d(3x^2)/dx = 6x
    /// assert_eq!(x.grad().unwrap().item(), 12.0);
    /// ```
    pub fn grad_graph<'t>(&'t self, loss: Var<'t, T>, wrt: &[Var<'t, T>]) -> Vec<Var<'t, T>> {
        loss.assert_same_tape(wrt, "grad_graph");
        let n = loss.id as usize + 1;
        let mut grads: Vec<Option<Var<'t, T>>> = vec![None; n];
        let seed = Tensor::ones(loss.shape());
        grads[loss.id as usize] = Some(self.constant(seed));
        for i in (0..n).rev() {
            let Some(g) = grads[i] else { continue };
            // Copy what the rule needs, then release the borrow: the rule records new nodes.
            let (op, parents, needs, idx) = {
                let inner = self.inner.borrow();
                let node = &inner.nodes[i];
                if !node.needs_grad || matches!(node.op, Op::Leaf) {
                    continue;
                }
                let parents: Vec<u32> =
                    inner.edges[node.parents.start as usize..node.parents.end as usize].to_vec();
                let needs: Vec<bool> = parents
                    .iter()
                    .map(|&p| inner.nodes[p as usize].needs_grad)
                    .collect();
                let idx: Vec<usize> = node
                    .op
                    .ints()
                    .map_or(Vec::new(), |r| inner.ints[r].to_vec());
                (node.op.clone(), parents, needs, idx)
            };
            let xs: Vec<Var<'t, T>> = parents.iter().map(|&p| Var { tape: self, id: p }).collect();
            let x_refs: Vec<&Var<'t, T>> = xs.iter().collect();
            let y = Var {
                tape: self,
                id: i as u32,
            };
            ops::backward(&op, &x_refs, &y, &g, &needs, &idx, |k, gk| {
                let slot = &mut grads[parents[k] as usize];
                *slot = Some(match *slot {
                    None => gk,
                    Some(acc) => acc + gk,
                });
            });
        }
        wrt.iter()
            .map(|w| match grads.get(w.id as usize).copied().flatten() {
                Some(g) => g,
                None => self.constant(Tensor::zeros(w.shape())),
            })
            .collect()
    }
}

/// The parents' values of a one-element elementwise node whose parents are one-element too
/// (the second is 0 for a unary node), or `None` when the tensor path is needed.
fn scalar_operands<T: Float>(node: &Node<T>, parents: &[u32], nodes: &[Node<T>]) -> Option<[T; 2]> {
    let one = |p: u32| {
        let d = nodes[p as usize].value.data();
        (d.len() == 1).then(|| d[0])
    };
    if node.value.numel() != 1 {
        return None;
    }
    match (&node.op, parents) {
        (Op::Unary(_), &[a]) => Some([one(a)?, T::ZERO]),
        (Op::Binary(_), &[a, b]) => Some([one(a)?, one(b)?]),
        _ => None,
    }
}

#[inline]
fn accumulate_scalar<T: Float>(slot: &mut Option<Tensor<T>>, g: T, shape: &Shape) {
    match slot {
        None => *slot = Some(Tensor::full(shape.clone(), g)),
        Some(acc) => acc.data_mut()[0] += g,
    }
}

fn accumulate<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>) {
    match slot {
        None => *slot = Some(g),
        Some(acc) if !acc.is_shared() => acc.add_assign(&g),
        Some(acc) => *acc = &*acc + &g,
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
    pub fn backward(self) {
        let shape = self.shape();
        assert!(
            shape.numel() == 1,
            "backward: the loss must have one element, found shape {shape}; reduce it first (sum or mean) or use backward_with"
        );
        self.tape.backward_eager(self.id, Tensor::ones(shape));
    }

    /// Reverse-mode sweep seeded with `seed` (same shape as this node): a vector-Jacobian product.
    pub fn backward_with(self, seed: Tensor<T>) {
        let shape = self.shape();
        assert!(
            seed.shape() == &shape,
            "backward_with: seed of shape {} for a node of shape {shape}",
            seed.shape()
        );
        self.tape.backward_eager(self.id, seed);
    }

    /// The same value as a constant: gradients stop here.
    pub fn detach(self) -> Var<'t, T> {
        let v = self.value();
        self.tape.constant(v)
    }

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
