//! Proximal gradient for `f(x) + g(x)`, `f` smooth (the objective closure) and `g` a sum of
//! per-parameter terms with a closed-form proximal map: the L1 norm (soft thresholding, whose
//! zeros are exact) and constraints (non-negativity, boxes: projections). ISTA, or FISTA (Beck
//! and Teboulle 2009) with backtracking on the step and a restart of the momentum whenever it
//! points uphill (O'Donoghue and Candes 2015), which keeps the fast rate without FISTA's
//! ripples near the optimum.

use tape::{Float, Var};

use super::problem::Problem;
use super::{Report, SolveError, Stop, Tolerances, dot, max_abs};
use crate::params::{ParamId, ParamStore, Params};

/// A non-smooth term of the objective on one parameter, through its proximal map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prox {
    /// `lambda * sum |x_i|`: soft thresholding, `sign(v) max(|v| - t lambda, 0)`.
    L1(f64),
    /// The constraint `x >= 0`: projection `max(v, 0)`.
    NonNegative,
    /// The constraint `lo <= x <= hi`: projection by clamping.
    Box(f64, f64),
}

impl Prox {
    /// The proximal map with step `t` at one element.
    fn map(self, v: f64, t: f64) -> f64 {
        match self {
            Prox::L1(lambda) => v.signum() * (v.abs() - t * lambda).max(0.0),
            Prox::NonNegative => v.max(0.0),
            Prox::Box(lo, hi) => v.clamp(lo, hi),
        }
    }

    /// The term's value at one element (constraints: 0 on their feasible set, where the
    /// iterates stay).
    fn value(self, v: f64) -> f64 {
        match self {
            Prox::L1(lambda) => lambda * v.abs(),
            Prox::NonNegative | Prox::Box(..) => 0.0,
        }
    }
}

/// Proximal-gradient settings: the non-smooth terms, ISTA or FISTA, the first step.
/// `ProximalGradient::new()` is FISTA with a first step of 1 (halved until the quadratic
/// upper bound holds), `gtol = 1e-5` on the proximal-gradient step, `ftol = 1e7 * f64::EPSILON`.
///
/// ```
/// use tape::Tensor;
/// use train::ParamStore;
/// use train::solve::ProximalGradient;
///
/// // LASSO in one dimension: 0.5 (w - 0.3)^2 + 0.5 |w| is minimised at exactly w = 0.
/// let mut store = ParamStore::<f64>::new();
/// let w = store.add("w", Tensor::from_vec(vec![2.0], [1]));
/// let report = ProximalGradient::new()
///     .l1(w, 0.5)
///     .gtol(1e-12)
///     .minimize(&mut store, |p| ((p.get(w) - 0.3).square() * 0.5).sum())
///     .unwrap();
/// assert!(report.converged());
/// assert_eq!(store.value(w).data(), &[0.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProximalGradient {
    /// The non-smooth terms; parameters without one are unconstrained and unpenalised.
    pub terms: Vec<(ParamId, Prox)>,
    /// FISTA's momentum (true) or plain ISTA.
    pub accelerated: bool,
    /// The first step tried; backtracking halves it until the step is accepted.
    pub initial_step: f64,
    /// When to stop (`gtol` bounds the proximal-gradient step `(y - x_next) / t`).
    pub tolerances: Tolerances,
}

impl Default for ProximalGradient {
    fn default() -> Self {
        Self::new()
    }
}

impl ProximalGradient {
    /// FISTA with no terms yet (see the type's docs).
    pub fn new() -> Self {
        ProximalGradient {
            terms: Vec::new(),
            accelerated: true,
            initial_step: 1.0,
            tolerances: Tolerances::default(),
        }
    }

    /// Adds `lambda * sum |x_i|` on parameter `id`.
    pub fn l1(self, id: ParamId, lambda: f64) -> Self {
        self.term(id, Prox::L1(lambda))
    }

    /// Constrains parameter `id` to `x >= 0`.
    pub fn non_negative(self, id: ParamId) -> Self {
        self.term(id, Prox::NonNegative)
    }

    /// Constrains parameter `id` to `lo <= x <= hi`.
    pub fn bounds(self, id: ParamId, lo: f64, hi: f64) -> Self {
        self.term(id, Prox::Box(lo, hi))
    }

    /// Adds a term.
    pub fn term(mut self, id: ParamId, prox: Prox) -> Self {
        self.terms.push((id, prox));
        self
    }

    /// Plain ISTA: no momentum.
    pub fn ista(mut self) -> Self {
        self.accelerated = false;
        self
    }

    /// The first step tried (about `1 / L` for an `L`-smooth `f`; larger is backtracked).
    pub fn initial_step(mut self, t: f64) -> Self {
        self.initial_step = t;
        self
    }

    tolerance_setters!(
        "Stops when the largest entry of the proximal-gradient step is at most `gtol`."
    );

    /// The term of each element of the flattened parameters.
    fn layout<T: Float>(&self, store: &ParamStore<T>) -> Vec<Option<Prox>> {
        let mut per_element = Vec::with_capacity(store.num_scalars());
        for id in store.ids() {
            let prox = self.terms.iter().rev().find(|(i, _)| *i == id).map(|t| t.1);
            per_element.extend(std::iter::repeat_n(prox, store.value(id).numel()));
        }
        per_element
    }

    /// Minimises `objective + g` over the parameters of `store`, leaving the minimiser there.
    pub fn minimize<T, F>(
        &self,
        store: &mut ParamStore<T>,
        objective: F,
    ) -> Result<Report, SolveError>
    where
        T: Float,
        F: for<'t> Fn(&Params<'t, T>) -> Var<'t, T>,
    {
        let tol = self.tolerances;
        let layout = self.layout(store);
        let prox = |v: &[f64], t: f64| -> Vec<f64> {
            v.iter()
                .zip(&layout)
                .map(|(&v, p)| p.map_or(v, |p| p.map(v, t)))
                .collect()
        };
        let penalty = |x: &[f64]| -> f64 {
            x.iter()
                .zip(&layout)
                .map(|(&v, p)| p.map_or(0.0, |p| p.value(v)))
                .sum()
        };
        let method = if self.accelerated { "FISTA" } else { "ISTA" };
        let mut p = Problem::new(store, objective, method);
        let mut x = prox(&p.point(), 0.0); // a feasible start
        let mut total = p.value(&x)? + penalty(&x);
        let (mut y, mut theta, mut t) = (x.clone(), 1.0, self.initial_step);
        let (mut iterations, mut gradient_max) = (0, f64::INFINITY);
        let stop = loop {
            if iterations == tol.max_iterations {
                break Stop::MaxIterations;
            }
            p.iteration = iterations + 1;
            let (fy, gy) = p.value_grad(&y)?;
            // Backtracking: halve t until f lies under its quadratic model at the new point
            // (with a few ulps of slack, so rounding alone never rejects a step).
            let (next, f_next) = loop {
                let moved: Vec<f64> = y.iter().zip(&gy).map(|(y, g)| y - t * g).collect();
                let next = prox(&moved, t);
                let diff: Vec<f64> = next.iter().zip(&y).map(|(a, b)| a - b).collect();
                let f_next = p.value(&next)?;
                let model = fy + dot(&gy, &diff) + dot(&diff, &diff) / (2.0 * t);
                if f_next <= model + 8.0 * f64::EPSILON * fy.abs() || t < 1e-300 {
                    gradient_max = max_abs(&diff) / t;
                    break (next, f_next);
                }
                t *= 0.5;
            };
            iterations += 1;
            let total_next = f_next + penalty(&next);
            // Gradient restart: when the step taken opposes the momentum (the extrapolation
            // went uphill), start the momentum again. It reads iterates, not objective values,
            // so rounding near the optimum cannot trigger it.
            let uphill: f64 = (0..x.len())
                .map(|i| (y[i] - next[i]) * (next[i] - x[i]))
                .sum();
            if self.accelerated && uphill <= 0.0 {
                let theta_next = 0.5 * (1.0 + (1.0 + 4.0 * theta * theta).sqrt());
                let w = (theta - 1.0) / theta_next;
                y = next.iter().zip(&x).map(|(n, x)| n + w * (n - x)).collect();
                theta = theta_next;
            } else {
                (y, theta) = (next.clone(), 1.0);
            }
            let before = total;
            (x, total) = (next, total_next);
            if gradient_max <= tol.gtol {
                break Stop::GradientTolerance;
            }
            if total <= before && tol.small_decrease(before, total) {
                break Stop::FunctionTolerance;
            }
        };
        p.set(&x);
        Ok(Report {
            method,
            iterations,
            function_evals: p.function_evals,
            gradient_evals: p.gradient_evals,
            hessian_vector_products: 0,
            value: total,
            gradient_max,
            stop,
        })
    }
}
