//! Second order: Hessian-vector products and small Hessians, by reverse over reverse.
//!
//! [`Tape::grad_graph`] records the gradient `g(x)` as new nodes; one more reverse sweep, seeded
//! with `v` at those nodes, then yields `d<g, v>/dx = H v` without recording anything. The
//! forward pass and the recorded gradient are shared by every product at the same point
//! ([`HessianOperator`]), so each further product costs one sweep over the recording, the work
//! of about two gradients.

use crate::{Float, Shape, Tape, Tensor, Var};

/// The Hessian of a scalar variable with respect to some inputs, at the point the tape
/// recorded, as an operator: `H v` for any `v` ([`HessianOperator::apply`]), or the whole
/// matrix for small problems ([`HessianOperator::matrix`]).
///
/// ```
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2]));
/// let f = (x * x * x).sum(); // f = x0^3 + x1^3, H = diag(6 x)
/// let h = tape.hessian_operator(f, &[x]);
/// assert_eq!(h.gradient()[0].data(), &[3.0, 12.0]);
/// let hv = h.apply(&[Tensor::from_vec(vec![1.0, 1.0], [2])]);
/// assert_eq!(hv[0].data(), &[6.0, 12.0]);
/// assert_eq!(h.matrix().data(), &[6.0, 0.0, 0.0, 12.0]);
/// ```
pub struct HessianOperator<'t, T: Float> {
    tape: &'t Tape<T>,
    wrt: Vec<Var<'t, T>>,
    value: T,
    grads: Vec<Var<'t, T>>,
}

impl<T: Float> Tape<T> {
    /// Records the gradient of the one-element `loss` with respect to `wrt` (as
    /// [`Tape::grad_graph`] does) and returns the Hessian operator at this point.
    ///
    /// Panics if `loss` has more than one element or the variables belong to another tape.
    #[track_caller]
    pub fn hessian_operator<'t>(
        &'t self,
        loss: Var<'t, T>,
        wrt: &[Var<'t, T>],
    ) -> HessianOperator<'t, T> {
        let shape = loss.shape();
        assert!(
            shape.numel() == 1,
            "hessian_operator: the loss must have one element, got shape {shape}"
        );
        HessianOperator {
            tape: self,
            wrt: wrt.to_vec(),
            value: loss.item(),
            grads: self.grad_graph(loss, wrt),
        }
    }
}

impl<'t, T: Float> HessianOperator<'t, T> {
    /// The loss at this point.
    pub fn value(&self) -> T {
        self.value
    }

    /// The gradient at this point, one tensor per input.
    pub fn gradient(&self) -> Vec<Tensor<T>> {
        self.grads.iter().map(|g| g.value()).collect()
    }

    /// The recorded gradient, one variable per input (differentiable again).
    pub fn gradient_vars(&self) -> &[Var<'t, T>] {
        &self.grads
    }

    /// `H v`: one tensor per input, `v` given as one tensor per input of the same shapes.
    ///
    /// Panics, naming both shapes, if a direction's shape differs from its input's.
    #[track_caller]
    pub fn apply(&self, v: &[Tensor<T>]) -> Vec<Tensor<T>> {
        assert_eq!(
            v.len(),
            self.wrt.len(),
            "hessian-vector product: {} directions for {} inputs",
            v.len(),
            self.wrt.len()
        );
        // H v is the gradient of <g(x), v>: the sweep starts at the recorded gradients, each
        // with its direction as incoming gradient, rather than at a recorded dot product.
        let mut seeds = Vec::with_capacity(v.len());
        for ((g, d), x) in self.grads.iter().zip(v).zip(&self.wrt) {
            let shape = x.shape();
            assert!(
                d.shape() == &shape,
                "hessian-vector product: direction of shape {} for an input of shape {shape}",
                d.shape()
            );
            seeds.push((g.id, d.clone()));
        }
        if let Some(last) = seeds.iter().map(|&(id, _)| id).max() {
            self.tape.backward_seeded(last, seeds);
        }
        self.wrt
            .iter()
            .map(|x| x.take_grad().unwrap_or_else(|| Tensor::zeros(x.shape())))
            .collect()
    }

    /// The whole Hessian as an `[n, n]` matrix, `n` the inputs' element count taken together
    /// (inputs flattened and concatenated in order). One product per column: for small
    /// problems.
    pub fn matrix(&self) -> Tensor<T> {
        let shapes: Vec<Shape> = self.wrt.iter().map(|x| x.shape()).collect();
        let n: usize = shapes.iter().map(Shape::numel).sum();
        let mut h = vec![T::ZERO; n * n];
        let mut basis: Vec<Tensor<T>> = shapes.iter().map(|s| Tensor::zeros(s.clone())).collect();
        let (mut input, mut offset) = (0, 0);
        for column in 0..n {
            while offset == shapes[input].numel() {
                (input, offset) = (input + 1, 0);
            }
            basis[input].data_mut()[offset] = T::ONE;
            let hv = self.apply(&basis);
            basis[input].data_mut()[offset] = T::ZERO;
            let flat = hv.iter().flat_map(|t| t.data().iter().copied());
            for (row, value) in flat.enumerate() {
                h[row * n + column] = value;
            }
            offset += 1;
        }
        Tensor::from_vec(h, [n, n])
    }
}

/// `H v` of a scalar function `f` at `xs`, along `vs` (one tensor per input): the
/// Hessian-vector product by reverse over reverse.
///
/// ```
/// use tape::{Tensor, hvp};
/// // f(x) = 0.5 x^T A x with A = [[2, 1], [1, 3]]: H v = A v.
/// let a = Tensor::from_vec(vec![2.0, 1.0, 1.0, 3.0], [2, 2]);
/// let x = Tensor::from_vec(vec![0.3, -0.7], [2, 1]);
/// let v = Tensor::from_vec(vec![1.0, 0.0], [2, 1]);
/// let hv = hvp(
///     |x| (x[0] * x[0].tape().constant(a.clone()).matmul(x[0])).sum() * 0.5,
///     &[x],
///     &[v],
/// );
/// assert_eq!(hv[0].data(), &[2.0, 1.0]);
/// ```
pub fn hvp<T, F>(f: F, xs: &[Tensor<T>], vs: &[Tensor<T>]) -> Vec<Tensor<T>>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, T>> = xs.iter().map(|x| tape.var(x.clone())).collect();
    tape.hessian_operator(f(&vars), &vars).apply(vs)
}

/// The Hessian of a scalar function `f` at `xs`, as an `[n, n]` matrix over the inputs'
/// elements flattened and concatenated in order (see [`HessianOperator::matrix`]).
pub fn hessian<T, F>(f: F, xs: &[Tensor<T>]) -> Tensor<T>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::new();
    let vars: Vec<Var<'_, T>> = xs.iter().map(|x| tape.var(x.clone())).collect();
    tape.hessian_operator(f(&vars), &vars).matrix()
}
