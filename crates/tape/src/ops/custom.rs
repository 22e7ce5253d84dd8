//! Operations defined in a user's crate: a forward kernel on tensors and a backward rule written
//! over the [`Algebra`], recorded on the tape like any built-in.
//!
//! The user's trait, [`CustomOp`], has a generic backward rule, which no trait object can hold.
//! The tape therefore stores the operation behind [`Erased`], whose two methods are that rule
//! instantiated for the two algebras the sweeps run: [`Tensor`] (the first-order sweep) and
//! [`Var`] (the recorded sweep, for gradients of gradients). Both sweeps check the rule's output
//! here, so that a wrong rule fails naming the operation instead of corrupting a gradient.

use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::ops::Op;
use crate::{Algebra, Float, Shape, Tape, Tensor, Var};

/// An operation defined outside the engine, in the spirit of JAX's `custom_vjp` and PyTorch's
/// `autograd.Function`: a forward kernel on tensors (any number of inputs) and a backward rule.
///
/// Record it with [`Tape::custom`] (or [`Tape::try_custom`], which returns shape errors). The
/// backward rule is written once over the [`Algebra`], so it serves the first-order sweep
/// ([`Var::backward`], run on [`Tensor`]s) and, recorded on the tape ([`Tape::grad_graph`], run
/// on [`Var`]s), gradients of gradients; [`gradcheck`](crate::gradcheck) checks it like any
/// built-in. [`CustomOp::backward_eager`] may replace the first-order rule with a fused kernel.
///
/// A fused squared difference `(x - y)^2`, its gradient checked against finite differences and
/// its second derivative taken through the recorded rule:
///
/// ```
/// use tape::{Algebra, CustomOp, Float, Shape, Tape, Tensor, gradcheck};
///
/// /// `(x - y)^2`, elementwise, in one pass.
/// struct SquaredDiff;
///
/// impl<T: Float> CustomOp<T> for SquaredDiff {
///     fn name(&self) -> &str {
///         "squared_diff"
///     }
///     fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String> {
///         match inputs {
///             [x, y] if x == y => Ok((*x).clone()),
///             [x, y] => Err(format!("operands of shapes {x} and {y} differ")),
///             _ => Err(format!("takes 2 operands, got {}", inputs.len())),
///         }
///     }
///     fn forward(&self, x: &[&Tensor<T>]) -> Tensor<T> {
///         x[0].zip_map(x[1], "squared_diff", |a, b| (a - b) * (a - b))
///     }
///     // d/dx = 2 (x - y) g, d/dy = -2 (x - y) g.
///     fn backward<A: Algebra<T>>(&self, x: &[&A], _y: &A, g: &A) -> Vec<A> {
///         let dx = g.mul(&x[0].sub(x[1])).scale(T::from_f64(2.0));
///         vec![dx.clone(), dx.neg()]
///     }
/// }
///
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![3.0, 1.0], [2]));
/// let y = tape.constant(Tensor::from_vec(vec![1.0, 1.5], [2]));
/// let d = tape.custom(SquaredDiff, &[x, y]);
/// assert_eq!(d.value().data(), &[4.0, 0.25]);
///
/// // Recorded like a built-in: it composes, and gradients flow through it.
/// let loss = (tape.custom(SquaredDiff, &[x, y]) * x).sum(); // sum (x - y)^2 x
/// loss.backward();
/// assert_eq!(x.grad().unwrap().data(), &[16.0, -0.75]); // 2 (x - y) x + (x - y)^2
///
/// // Second order: d/dx of 2 (x - y) x + (x - y)^2 is 6x - 4y.
/// let dx = tape.grad_graph(loss, &[x])[0];
/// dx.sum().backward();
/// assert_eq!(x.grad().unwrap().data(), &[14.0, 0.0]);
///
/// gradcheck(|v| v[0].tape().custom(SquaredDiff, &[v[0], v[1]]).sum(), &[x.value(), y.value()])
///     .assert_within(1e-8);
///
/// // A shape the operation cannot take is an error naming it and both shapes.
/// let z = tape.var(Tensor::zeros([3]));
/// let err = tape.try_custom(SquaredDiff, &[x, z]).unwrap_err();
/// assert_eq!(err, "squared_diff: operands of shapes [2] and [3] differ");
/// ```
pub trait CustomOp<T: Float> {
    /// The name shape errors and anomaly reports give the operation.
    fn name(&self) -> &str;

    /// The output's shape for inputs of these shapes, or why the operation cannot take them
    /// (the tape puts the operation's name in front). Called before the forward kernel, so the
    /// kernel may assume shapes it accepted.
    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String>;

    /// The forward kernel: the output for `inputs`, of the shape [`CustomOp::output_shape`]
    /// declared.
    fn forward(&self, inputs: &[&Tensor<T>]) -> Tensor<T>;

    /// The backward rule: given the inputs `x`, the output `y` and the gradient `g` flowing into
    /// the output, the gradient of every input, in order and of its input's shape (gradients
    /// of inputs that need none are dropped).
    ///
    /// Written with [`Algebra`] operations only, it runs on [`Tensor`]s in the first-order
    /// sweep and on [`Var`]s in the recorded one, which makes the operation twice
    /// differentiable; `Self: Sized` because a generic method cannot sit in a trait object.
    fn backward<A: Algebra<T>>(&self, x: &[&A], y: &A, g: &A) -> Vec<A>
    where
        Self: Sized;

    /// The first-order rule on tensors, for a fused kernel; by default [`CustomOp::backward`].
    /// It must agree with `backward`, which still serves gradients of gradients.
    fn backward_eager(&self, x: &[&Tensor<T>], y: &Tensor<T>, g: &Tensor<T>) -> Vec<Tensor<T>>
    where
        Self: Sized,
    {
        self.backward(x, y, g)
    }

    /// The floating-point operations one forward run does on inputs of these shapes, for the
    /// profiler's FLOP and GFLOP/s columns (its backward rule counts as one forward run per
    /// input that takes a gradient). `None`, the default, leaves them empty; the bytes read and
    /// written are counted either way.
    fn flops(&self, inputs: &[&Shape]) -> Option<u64> {
        let _ = inputs;
        None
    }
}

/// A [`CustomOp`] with its generic rule instantiated for the two algebras the sweeps run, so
/// that it fits in a trait object (a lifetime parameter on a method is object-safe; a type
/// parameter is not).
trait Erased<T: Float>: Send + Sync {
    fn name(&self) -> &str;
    fn flops(&self, inputs: &[&Shape]) -> Option<u64>;
    fn grads_eager(&self, x: &[&Tensor<T>], y: &Tensor<T>, g: &Tensor<T>) -> Vec<Tensor<T>>;
    fn grads_recorded<'t>(
        &self,
        x: &[&Var<'t, T>],
        y: &Var<'t, T>,
        g: &Var<'t, T>,
    ) -> Vec<Var<'t, T>>;
}

impl<T: Float, O: CustomOp<T> + Send + Sync> Erased<T> for O {
    fn name(&self) -> &str {
        CustomOp::name(self)
    }
    fn flops(&self, inputs: &[&Shape]) -> Option<u64> {
        CustomOp::flops(self, inputs)
    }
    fn grads_eager(&self, x: &[&Tensor<T>], y: &Tensor<T>, g: &Tensor<T>) -> Vec<Tensor<T>> {
        self.backward_eager(x, y, g)
    }
    fn grads_recorded<'t>(
        &self,
        x: &[&Var<'t, T>],
        y: &Var<'t, T>,
        g: &Var<'t, T>,
    ) -> Vec<Var<'t, T>> {
        self.backward(x, y, g)
    }
}

/// A recorded custom operation: what `Op::Custom` holds. Cloning shares the operation
/// (`Arc`, so that a tape stays `Send`).
#[derive(Clone)]
pub(crate) struct Custom<T: Float>(Arc<dyn Erased<T>>);

impl<T: Float> fmt::Debug for Custom<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Custom({:?})", self.name())
    }
}

impl<T: Float> Custom<T> {
    /// The operation's own name.
    pub(crate) fn name(&self) -> &str {
        self.0.name()
    }

    /// Its forward run's FLOPs on inputs of these shapes, when the operation states them.
    pub(crate) fn flops(&self, inputs: &[&Shape]) -> Option<u64> {
        self.0.flops(inputs)
    }

    /// The first-order rule: runs the operation's rule on tensors and calls `emit(k, grad)` for
    /// each input `k` with `needs[k]`.
    pub(crate) fn backward_eager(
        &self,
        x: &[&Tensor<T>],
        y: &Tensor<T>,
        g: &Tensor<T>,
        needs: &[bool],
        emit: impl FnMut(usize, Tensor<T>),
    ) {
        let grads = self.0.grads_eager(x, y, g);
        self.emit_checked(x, grads, needs, emit);
    }

    /// The recorded rule: the same, on `Var`s, so the gradients are nodes of the tape.
    pub(crate) fn backward_recorded<'t>(
        &self,
        x: &[&Var<'t, T>],
        y: &Var<'t, T>,
        g: &Var<'t, T>,
        needs: &[bool],
        emit: impl FnMut(usize, Var<'t, T>),
    ) {
        let grads = self.0.grads_recorded(x, y, g);
        self.emit_checked(x, grads, needs, emit);
    }

    /// Hands each needed gradient to `emit`, after checking that there is one per input and
    /// that each has its input's shape: the sweep would otherwise accumulate a wrong shape
    /// into a gradient slot, or silently skip an input.
    fn emit_checked<A: Algebra<T>>(
        &self,
        x: &[&A],
        grads: Vec<A>,
        needs: &[bool],
        mut emit: impl FnMut(usize, A),
    ) {
        let name = self.name();
        assert!(
            grads.len() == x.len(),
            "{name}: the backward rule returned {} gradients for {} inputs",
            grads.len(),
            x.len()
        );
        for (k, grad) in grads.into_iter().enumerate() {
            let (want, got) = (x[k].shape(), grad.shape());
            assert!(
                got == want,
                "{name}: the backward rule's gradient of input {k} has shape {got}, but the input has shape {want}"
            );
            if needs[k] {
                emit(k, grad);
            }
        }
    }
}

impl<T: Float> Tape<T> {
    /// Records the user-defined operation `op` on `inputs`: runs its forward kernel now, and its
    /// backward rule in every sweep that passes through the result. See [`CustomOp`].
    ///
    /// Panics with the message of [`Tape::try_custom`] when the operation refuses the inputs'
    /// shapes or its kernel returns another shape than it declared.
    #[track_caller]
    pub fn custom<'t, O>(&'t self, op: O, inputs: &[Var<'t, T>]) -> Var<'t, T>
    where
        O: CustomOp<T> + Send + Sync + 'static,
    {
        self.try_custom(op, inputs)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Tape::custom`], returning shape errors: `"name: why"` when [`CustomOp::output_shape`]
    /// refuses the inputs, or the declared and returned shapes when the forward kernel returns
    /// another. Nothing is recorded on an error.
    ///
    /// Panics if an input is recorded on another tape.
    #[track_caller]
    pub fn try_custom<'t, O>(&'t self, op: O, inputs: &[Var<'t, T>]) -> Result<Var<'t, T>, String>
    where
        O: CustomOp<T> + Send + Sync + 'static,
    {
        let name = CustomOp::name(&op);
        for v in inputs {
            assert!(
                std::ptr::eq(self, v.tape),
                "{name}: an input is recorded on another tape"
            );
        }
        let value = {
            let inner = self.inner.borrow();
            let xs: SmallVec<[&Tensor<T>; 4]> = inputs
                .iter()
                .map(|v| &inner.nodes[v.id as usize].value)
                .collect();
            let shapes: SmallVec<[&Shape; 4]> = xs.iter().map(|x| x.shape()).collect();
            let declared = op
                .output_shape(&shapes)
                .map_err(|why| format!("{name}: {why}"))?;
            let value = op.forward(&xs);
            if value.shape() != &declared {
                return Err(format!(
                    "{name}: the forward kernel returned shape {}, but output_shape declared {declared}",
                    value.shape()
                ));
            }
            value
        };
        let parents: SmallVec<[u32; 4]> = inputs.iter().map(|v| v.id).collect();
        Ok(self.push(Op::Custom(Custom(Arc::new(op))), &parents, value))
    }
}
