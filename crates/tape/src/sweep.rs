//! The reverse sweeps: eager (tensors in, gradient slots filled) and recorded (gradients as
//! new nodes, for gradients of gradients). Both walk the tape once, from the loss back, and run
//! each node's backward rule; the eager one also checks gradients while anomaly detection is on.

use crate::anomaly::{Anomaly, Summary, all_finite};
use crate::ops::algebras::Scalar;
use crate::ops::{self, Op};
use crate::profile::clock;
use crate::tape::{Inner, Node};
use crate::{Float, Shape, Tape, Tensor, Var};

impl<T: Float> Tape<T> {
    /// The reverse sweep with eager tensors: fills the gradient slot of every node that `loss`
    /// depends on. Gradients of nodes used more than once are summed.
    pub(crate) fn backward_eager(&self, loss: u32, seed: Tensor<T>) {
        self.backward_seeded(loss, [(loss, seed)]);
    }

    /// The reverse sweep from several nodes at once, each with its own incoming gradient:
    /// the gradient of `sum_k <node_k, seed_k>`, without recording that sum. `last` is the
    /// latest of the seeded nodes, where the sweep starts.
    pub(crate) fn backward_seeded(
        &self,
        last: u32,
        seeds: impl IntoIterator<Item = (u32, Tensor<T>)>,
    ) {
        let mut inner = self.inner.borrow_mut();
        let Inner {
            nodes,
            edges,
            ints,
            grads,
            detect,
            anomaly,
            locations,
            profile,
        } = &mut *inner;
        // Once an anomaly is known, later ones are consequences: report only the first.
        let detect = *detect && anomaly.is_none();
        grads.clear();
        grads.resize_with(nodes.len(), || None);
        for (id, seed) in seeds {
            accumulate(&mut grads[id as usize], seed);
        }
        for i in (0..=last as usize).rev() {
            let node = &nodes[i];
            if !node.needs_grad || matches!(node.op, Op::Leaf) {
                continue;
            }
            let (below, here) = grads.split_at_mut(i);
            let Some(g) = &here[0] else { continue };
            let parents = &edges[node.parents.start as usize..node.parents.end as usize];
            if detect && !all_finite(g) {
                *anomaly = Some(Anomaly::incoming((nodes, edges, locations), i, g));
                return;
            }
            let started = profile.as_ref().map(|_| clock());
            let bad = if let Some(&[x0, x1]) = scalar_operands(node, parents, nodes).as_ref() {
                // Scalar code (a chain of one-element operations): run the same rule on plain
                // numbers instead of building one-element tensors. Inline here: a call per
                // node costs scalar chains several percent.
                let mut bad = None;
                let y = Scalar(node.value.data()[0]);
                let gs = Scalar(g.data()[0]);
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
                    &gs,
                    &needs[..n],
                    &[],
                    |k, gk: Scalar<T>| {
                        let p = parents[k] as usize;
                        if detect && bad.is_none() && !gk.0.is_finite() {
                            let gk = Tensor::full(nodes[p].value.shape().clone(), gk.0);
                            bad = Some((k, Summary::of(&gk)));
                        }
                        accumulate_scalar(&mut below[p], gk.0, nodes[p].value.shape());
                    },
                );
                bad
            } else {
                let idx = node.op.ints().map_or(&[][..], |r| &ints[r]);
                tensor_rule(node, parents, nodes, idx, g, below, detect)
            };
            if let Some((k, found)) = bad {
                *anomaly = Some(Anomaly::gradient((nodes, edges, locations), i, g, k, found));
                return;
            }
            if let (Some(p), Some(t)) = (profile.as_mut(), started) {
                p.backward(nodes, edges, i, t);
            }
        }
        if let Some(p) = profile {
            p.sweep_finished(nodes, grads);
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
    #[track_caller]
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
            let emit = |k: usize, gk| {
                let slot = &mut grads[parents[k] as usize];
                *slot = Some(match *slot {
                    None => gk,
                    Some(acc) => acc + gk,
                });
            };
            match &op {
                Op::Custom(custom) => custom.backward_recorded(&x_refs, &y, &g, &needs, emit),
                _ => ops::backward(&op, &x_refs, &y, &g, &needs, &idx, emit),
            }
        }
        wrt.iter()
            .map(|w| match grads.get(w.id as usize).copied().flatten() {
                Some(g) => g,
                None => self.constant(Tensor::zeros(w.shape())),
            })
            .collect()
    }
}

/// The first non-finite gradient a rule emitted, when anomaly detection is on: the input it is
/// for, and its summary.
type BadGradient = Option<(usize, Summary)>;

/// Runs a node's rule on tensors (its index arguments `idx`), accumulating each input's
/// gradient into the parents' slots in `below`. Not inlined: its tensor work dwarfs a call,
/// and the sweep's loop stays small for the scalar chains that run through it.
#[inline(never)]
fn tensor_rule<T: Float>(
    node: &Node<T>,
    parents: &[u32],
    nodes: &[Node<T>],
    idx: &[usize],
    g: &Tensor<T>,
    below: &mut [Option<Tensor<T>>],
    detect: bool,
) -> BadGradient {
    let mut bad = None;
    let emit = |k: usize, gk: Tensor<T>| {
        if detect && bad.is_none() && !all_finite(&gk) {
            bad = Some((k, Summary::of(&gk)));
        }
        accumulate(&mut below[parents[k] as usize], gk)
    };
    // Nearly every operation has at most three parents: gather them into arrays on the stack;
    // only a wide concat, or a user's operation (its rule takes slices of any length), takes
    // the heap.
    if let [p0, rest @ ..] = parents
        && rest.len() < 3
        && !matches!(node.op, Op::Custom(_))
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
        return bad;
    }
    let xs: Vec<&Tensor<T>> = parents.iter().map(|&p| &nodes[p as usize].value).collect();
    let needs: Vec<bool> = parents
        .iter()
        .map(|&p| nodes[p as usize].needs_grad)
        .collect();
    match &node.op {
        // A user's operation: its rule is run on tensors through its erased entry.
        Op::Custom(custom) => custom.backward_eager(&xs, &node.value, g, &needs, emit),
        op => ops::backward(op, &xs, &node.value, g, &needs, idx, emit),
    }
    bad
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
