//! The objective as the solvers see it: a function of one flat `f64` vector (every parameter
//! of the store, flattened and concatenated in order) with evaluation counts.

use tape::{Float, Tape, Tensor, Var};

use super::SolveError;
use crate::params::{ParamStore, Params};

/// A store, its objective and the evaluations spent on it.
pub(super) struct Problem<'s, T: Float, F> {
    pub(super) store: &'s mut ParamStore<T>,
    pub(super) objective: F,
    pub(super) method: &'static str,
    /// The outer iteration, for error messages.
    pub(super) iteration: usize,
    pub(super) function_evals: usize,
    pub(super) gradient_evals: usize,
    pub(super) hessian_vector_products: usize,
    tape: Tape<T>,
}

impl<'s, T, F> Problem<'s, T, F>
where
    T: Float,
    F: for<'t> Fn(&Params<'t, T>) -> Var<'t, T>,
{
    pub(super) fn new(store: &'s mut ParamStore<T>, objective: F, method: &'static str) -> Self {
        Problem {
            store,
            objective,
            method,
            iteration: 0,
            function_evals: 0,
            gradient_evals: 0,
            hessian_vector_products: 0,
            tape: Tape::new(),
        }
    }

    /// The store's parameters as one vector.
    pub(super) fn point(&self) -> Vec<f64> {
        self.store
            .ids()
            .flat_map(|id| self.store.value(id).data().iter().map(|v| v.to_f64()))
            .collect()
    }

    /// Writes `x` into the store's parameters.
    pub(super) fn set(&mut self, x: &[f64]) {
        let mut rest = x;
        for id in self.store.ids() {
            let value = self.store.value_mut(id);
            let (here, tail) = rest.split_at(value.numel());
            for (v, &x) in value.data_mut().iter_mut().zip(here) {
                *v = T::from_f64(x);
            }
            rest = tail;
        }
    }

    /// The objective at `x` (a forward pass only).
    pub(super) fn value(&mut self, x: &[f64]) -> Result<f64, SolveError> {
        self.set(x);
        self.function_evals += 1;
        self.tape.reset();
        let value = {
            let params = self.store.bind_frozen(&self.tape);
            (self.objective)(&params).item().to_f64()
        };
        self.tape.reset();
        self.finite(value, "objective")?;
        Ok(value)
    }

    /// The objective and its gradient at `x`.
    pub(super) fn value_grad(&mut self, x: &[f64]) -> Result<(f64, Vec<f64>), SolveError> {
        self.set(x);
        self.function_evals += 1;
        self.gradient_evals += 1;
        self.store.zero_grad();
        let objective = &self.objective;
        let value = self
            .store
            .compute_grads(&mut self.tape, |p| objective(p))
            .to_f64();
        self.finite(value, "objective")?;
        let grad = self.gradient();
        self.store.zero_grad();
        if !grad.iter().all(|g| g.is_finite()) {
            return Err(self.error("gradient"));
        }
        Ok((value, grad))
    }

    /// The collected gradients as one vector (zeros for parameters that got none).
    fn gradient(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.store.num_scalars());
        for id in self.store.ids() {
            match self.store.grad(id) {
                Some(g) => out.extend(g.data().iter().map(|v| v.to_f64())),
                None => out.extend(std::iter::repeat_n(0.0, self.store.value(id).numel())),
            }
        }
        out
    }

    /// Evaluates at `x` and hands `with` the Hessian operator there (its value, gradient and
    /// products), flattening between the solver's vectors and the parameters' tensors.
    pub(super) fn at_point<R>(
        &mut self,
        x: &[f64],
        with: impl FnOnce(&mut Curvature<'_, T>) -> Result<R, SolveError>,
    ) -> Result<R, SolveError> {
        self.set(x);
        self.function_evals += 1;
        self.gradient_evals += 1;
        let tape = Tape::new();
        let params = self.store.bind(&tape);
        let loss = (self.objective)(&params);
        let operator = tape.hessian_operator(loss, params.vars());
        let value = operator.value().to_f64();
        self.finite(value, "objective")?;
        let gradient = flatten(&operator.gradient());
        if !gradient.iter().all(|g| g.is_finite()) {
            return Err(self.error("gradient"));
        }
        let shapes: Vec<_> = params.vars().iter().map(|v| v.shape()).collect();
        let mut curvature = Curvature {
            operator,
            shapes,
            value,
            gradient,
            products: 0,
        };
        let result = with(&mut curvature);
        self.hessian_vector_products += curvature.products;
        result
    }

    fn finite(&self, value: f64, what: &'static str) -> Result<(), SolveError> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    pub(super) fn error(&self, what: &'static str) -> SolveError {
        SolveError::NonFinite {
            method: self.method,
            iteration: self.iteration,
            what,
        }
    }
}

/// The objective's value, gradient and Hessian-vector products at one point.
pub(super) struct Curvature<'t, T: Float> {
    operator: tape::HessianOperator<'t, T>,
    shapes: Vec<tape::Shape>,
    pub(super) value: f64,
    pub(super) gradient: Vec<f64>,
    products: usize,
}

impl<T: Float> Curvature<'_, T> {
    /// `H v`.
    pub(super) fn apply(&mut self, v: &[f64]) -> Vec<f64> {
        self.products += 1;
        let mut rest = v;
        let dirs: Vec<Tensor<T>> = self
            .shapes
            .iter()
            .map(|shape| {
                let (here, tail) = rest.split_at(shape.numel());
                rest = tail;
                Tensor::from_vec(
                    here.iter().map(|&x| T::from_f64(x)).collect(),
                    shape.clone(),
                )
            })
            .collect();
        flatten(&self.operator.apply(&dirs))
    }
}

fn flatten<T: Float>(tensors: &[Tensor<T>]) -> Vec<f64> {
    tensors
        .iter()
        .flat_map(|t| t.data().iter().map(|v| v.to_f64()))
        .collect()
}
