//! A tape for scalar code: every recorded value is one number.
//!
//! Why a second tape: [`Tape`](crate::Tape) records tensors, so even a one-element value
//! carries a shape, a storage and, after the sweep, a gradient tensor (about 180 bytes of
//! bookkeeping per node, f32). Code that is scalar by nature (a likelihood written term by
//! term, a simulation step, micrograd-style neurons) then spends its time on that bookkeeping.
//!
//! Here each operation's partial derivatives are computed when it is recorded, while its
//! operands are at hand, so a node is just two parent slots and two partials (16 bytes in
//! f32), and the reverse sweep is one multiply-add per parent with no dispatch on the
//! operation. The partials come from the tensor tape's own backward rules ([`Unary`] and the
//! binary arithmetic), run on numbers with an incoming gradient of 1: every rule is still
//! written once. Handles carry their value, so recording never reads the tape back.

use std::cell::RefCell;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::Float;
use crate::ops::algebras::Scalar as Number;
use crate::ops::binary::{self, Binary};
use crate::ops::unary::{self, Unary};

/// Gradient slot 0 stands for "no parent": inputs, functions of constants only and the
/// missing second parent of unary nodes point there, so every node has the same two-parent
/// form. Node `i`'s own gradient is slot `i + 1`.
const SINK: u32 = 0;

/// One recorded operation: d(node) = partials[0] d(slot parents[0]) + partials[1] d(slot
/// parents[1]), with the parents given as gradient slots (see [`SINK`]).
#[derive(Clone, Copy)]
struct Node<T> {
    parents: [u32; 2],
    partials: [T; 2],
}

struct Inner<T> {
    nodes: Vec<Node<T>>,
    /// Slot `i + 1`: d(loss)/d(node i) after [`ScalarVar::backward`]; slot 0 is the sink.
    grads: Vec<T>,
}

/// `nodes.push(node)` when the arena is full, out of line. It hands `value` back through
/// [`std::hint::black_box`] so the compiler cannot tell it comes back unchanged: otherwise the
/// value would be live across this call and spilled to the stack on every operation, which
/// puts a store and a reload on the forward pass's critical path.
#[cold]
#[inline(never)]
fn push_growing<T: Float>(nodes: &mut Vec<Node<T>>, node: Node<T>, value: T) -> T {
    nodes.reserve(nodes.capacity().max(64));
    nodes.push(node);
    std::hint::black_box(value)
}

/// A Wengert list of scalar operations: the scalar counterpart of [`Tape`](crate::Tape).
///
/// Use it when every value is one number: it records an operation in a few nanoseconds and
/// sweeps back just as fast. [`ScalarTape::reset`] keeps the arena's capacity, so a loop of
/// identical steps allocates nothing after the first.
///
/// ```
/// use tape::ScalarTape;
/// let mut tape = ScalarTape::<f64>::new();
/// for _step in 0..3 {
///     tape.reset();
///     let x = tape.var(2.0);
///     let y = tape.var(3.0);
///     let f = x * y + x.square(); // f = xy + x^2
///     f.backward();
///     assert_eq!(f.value(), 10.0);
///     assert_eq!(x.grad(), 7.0); // y + 2x
///     assert_eq!(y.grad(), 2.0); // x
/// }
/// ```
pub struct ScalarTape<T: Float = f32> {
    inner: RefCell<Inner<T>>,
}

impl<T: Float> Default for ScalarTape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> ScalarTape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        ScalarTape {
            inner: RefCell::new(Inner {
                nodes: Vec::new(),
                grads: Vec::new(),
            }),
        }
    }

    /// Clears the recording but keeps its capacity. Needs `&mut self`, so no handle of the
    /// previous recording can outlive it.
    pub fn reset(&mut self) {
        let inner = self.inner.get_mut();
        inner.nodes.clear();
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

    /// A differentiable input.
    pub fn var(&self, value: T) -> ScalarVar<'_, T> {
        self.push(true, [SINK; 2], [T::ZERO; 2], value)
    }

    /// A constant input: no gradient flows into it.
    pub fn constant(&self, value: T) -> ScalarVar<'_, T> {
        self.push(false, [SINK; 2], [T::ZERO; 2], value)
    }

    #[inline]
    fn push(
        &self,
        needs_grad: bool,
        parents: [u32; 2],
        partials: [T; 2],
        value: T,
    ) -> ScalarVar<'_, T> {
        let mut inner = self.inner.borrow_mut();
        let nodes = &mut inner.nodes;
        let len = nodes.len();
        let value = if len < nodes.capacity() {
            // The two halves are written straight into the arena. `nodes.push(Node { .. })`
            // assembled the node on the stack with two 8-byte stores and copied it with one
            // 16-byte load, which store-to-load forwarding cannot serve: a stall of a dozen
            // cycles on every recorded operation (three quarters of a scalar chain's
            // forward-pass samples).
            let slot = nodes.spare_capacity_mut()[0].as_mut_ptr();
            // SAFETY: `slot` is the first spare element, in bounds (len < capacity); both
            // fields are written before `set_len` makes the element visible.
            unsafe {
                std::ptr::addr_of_mut!((*slot).parents).write(parents);
                std::ptr::addr_of_mut!((*slot).partials).write(partials);
                nodes.set_len(len + 1);
            }
            value
        } else {
            push_growing(nodes, Node { parents, partials }, value)
        };
        let id = len as u32;
        ScalarVar {
            tape: self,
            id,
            needs_grad,
            value,
        }
    }

    /// The reverse sweep from `loss`, seeded with 1.
    fn backward(&self, loss: u32) {
        let mut inner = self.inner.borrow_mut();
        let Inner { nodes, grads } = &mut *inner;
        grads.clear();
        grads.resize(nodes.len() + 1, T::ZERO);
        let loss = loss as usize;
        grads[loss + 1] = T::ONE;
        sweep(&nodes[..=loss], grads);
    }
}

crate::kernel! {
    /// The reverse sweep over `nodes`, the last one seeded in `grads` (slot `i + 1` holds
    /// node `i`'s gradient; slot 0 is the sink).
    fn sweep<T: Float>(nodes: &[Node<T>], grads: &mut [T]) {
        // Gradient bound for node i - 1 (slot i), kept out of `grads`: in scalar code most
        // nodes feed the node recorded just before them, and storing to a slot only to load
        // it again in the next iteration would put the store-to-load forwarding delay on the
        // sweep's critical path.
        let mut carry = T::ZERO;
        for (i, node) in nodes.iter().enumerate().rev() {
            let g = grads[i + 1] + carry;
            grads[i + 1] = g;
            carry = T::ZERO;
            for (&p, &d) in node.parents.iter().zip(&node.partials) {
                let p = p as usize;
                if p == i {
                    carry = g.mul_add_on::<I>(d, carry);
                } else if p != SINK as usize {
                    // Skipping the sink matters: every node adding into that one slot would
                    // chain all iterations through it.
                    grads[p] = g.mul_add_on::<I>(d, grads[p]);
                }
            }
        }
    }
}

impl<T: Float> fmt::Debug for ScalarTape<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        writeln!(
            f,
            "ScalarTape<{}> with {} nodes:",
            T::NAME,
            inner.nodes.len()
        )?;
        for (i, n) in inner.nodes.iter().enumerate() {
            write!(f, "  d%{i} =")?;
            for (&p, &d) in n.parents.iter().zip(&n.partials) {
                if p != SINK {
                    write!(f, " {d:+} d%{}", p - 1)?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A handle to a node of a [`ScalarTape`]: `Copy`, and it carries the node's value.
///
/// ```
/// use tape::ScalarTape;
/// let tape = ScalarTape::<f64>::new();
/// let x = tape.var(0.5);
/// let y = (x * 2.0 + 1.0).tanh(); // tanh(2x + 1)
/// y.backward();
/// let t = (2.0f64).tanh();
/// assert!((x.grad() - 2.0 * (1.0 - t * t)).abs() < 1e-12);
/// ```
#[derive(Clone, Copy)]
pub struct ScalarVar<'t, T: Float = f32> {
    tape: &'t ScalarTape<T>,
    id: u32,
    needs_grad: bool,
    value: T,
}

impl<'t, T: Float> ScalarVar<'t, T> {
    /// The tape this handle points into.
    pub fn tape(self) -> &'t ScalarTape<T> {
        self.tape
    }

    /// The node's index on its tape.
    pub fn id(self) -> usize {
        self.id as usize
    }

    /// The computed value.
    pub fn value(self) -> T {
        self.value
    }

    /// Whether a gradient can flow into this node.
    pub fn requires_grad(self) -> bool {
        self.needs_grad
    }

    /// d(loss)/d(self) for the loss of the last [`ScalarVar::backward`]; zero when this node
    /// does not influence that loss, or before any sweep.
    pub fn grad(self) -> T {
        if !self.needs_grad {
            return T::ZERO;
        }
        let inner = self.tape.inner.borrow();
        inner
            .grads
            .get(self.slot() as usize)
            .copied()
            .unwrap_or(T::ZERO)
    }

    /// Reverse-mode sweep from this node: afterwards [`ScalarVar::grad`] of every node holds
    /// d(self)/d(node). Each call overwrites the previous gradients.
    pub fn backward(self) {
        self.tape.backward(self.id);
    }

    /// The same value as a constant: gradients stop here.
    pub fn detach(self) -> Self {
        self.tape.constant(self.value)
    }

    /// The gradient slot of this node.
    fn slot(self) -> u32 {
        self.id + 1
    }

    // Always inlined, so that each method's `op` is a constant and the forward formula and
    // the partial derivative compile to straight-line code.
    #[inline(always)]
    pub(crate) fn unary(self, op: Unary<T>) -> Self {
        let (x, y) = (self.value, op.eval(self.value));
        if !self.needs_grad {
            return self.tape.push(false, [SINK; 2], [T::ZERO; 2], y);
        }
        let d = unary::backward(op, &Number(x), &Number(y), &Number(T::ONE)).0;
        self.tape.push(true, [self.slot(), SINK], [d, T::ZERO], y)
    }

    #[inline(always)]
    pub(crate) fn binary(self, op: Binary, other: Self) -> Self {
        assert!(
            std::ptr::eq(self.tape, other.tape),
            "{}: operands are recorded on different scalar tapes",
            op.name()
        );
        let (a, b) = (self.value, other.value);
        let y = op.eval(a, b);
        if !(self.needs_grad || other.needs_grad) {
            return self.tape.push(false, [SINK; 2], [T::ZERO; 2], y);
        }
        let mut partials = [T::ZERO; 2];
        let (xs, needs) = ([Number(a), Number(b)], [true; 2]);
        binary::backward(
            op,
            &xs[0],
            &xs[1],
            &Number(y),
            &Number(T::ONE),
            &needs,
            |k, d| {
                partials[k] = d.0;
            },
        );
        // A constant operand's partial goes to its own slot, which no one reads.
        self.tape
            .push(true, [self.slot(), other.slot()], partials, y)
    }
}

impl<'t, T: Float> fmt::Debug for ScalarVar<'t, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScalarVar(%{}, {})", self.id, self.value)
    }
}

impl<'t, T: Float> Neg for ScalarVar<'t, T> {
    type Output = Self;
    fn neg(self) -> Self {
        ScalarVar::neg(self)
    }
}

macro_rules! scalar_operators {
    ($($trait:ident $method:ident $variant:ident |$x:ident, $c:ident| $with_constant:expr;)*) => {$(
        impl<'t, T: Float> $trait for ScalarVar<'t, T> {
            type Output = Self;
            fn $method(self, rhs: Self) -> Self {
                self.binary(Binary::$variant, rhs)
            }
        }
        impl<'t, T: Float> $trait<T> for ScalarVar<'t, T> {
            type Output = Self;
            fn $method(self, $c: T) -> Self {
                let $x = self;
                $with_constant
            }
        }
    )*};
}

scalar_operators! {
    Add add Add |x, c| x.add_scalar(c);
    Sub sub Sub |x, c| x.add_scalar(-c);
    Mul mul Mul |x, c| x.scale(c);
    Div div Div |x, c| x.scale(T::ONE / c);
}
