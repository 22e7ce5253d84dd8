//! Limited-memory BFGS (Nocedal and Wright, Algorithm 7.5): the inverse Hessian approximated
//! from the last few steps and gradient changes, applied by the two-loop recursion, with a
//! strong-Wolfe line search so that every kept pair has positive curvature.

use std::collections::VecDeque;

use tape::{Float, Var};

use super::line_search::strong_wolfe;
use super::problem::Problem;
use super::{Report, SolveError, Stop, Tolerances, axpy, dot, max_abs};
use crate::params::{ParamStore, Params};

/// L-BFGS settings. `Lbfgs::new()` is SciPy's L-BFGS-B without bounds: 10 pairs of history,
/// `gtol = 1e-5`, `ftol = 1e7 * f64::EPSILON`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs {
    /// How many (step, gradient change) pairs approximate the curvature.
    pub history: usize,
    /// When to stop.
    pub tolerances: Tolerances,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Self::new()
    }
}

/// One curvature pair: the step `s`, the gradient change `y`, and `1 / (s . y)`.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

impl Lbfgs {
    /// The default settings (see the type's docs).
    pub fn new() -> Self {
        Lbfgs {
            history: 10,
            tolerances: Tolerances::default(),
        }
    }

    /// Sets the number of curvature pairs kept.
    pub fn history(mut self, pairs: usize) -> Self {
        self.history = pairs.max(1);
        self
    }

    tolerance_setters!("Stops when the largest gradient entry is at most `gtol`.");

    /// Minimises `objective` over the parameters of `store`, leaving the minimiser there.
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
        let mut p = Problem::new(store, objective, "L-BFGS");
        let mut x = p.point();
        let (mut f, mut g) = p.value_grad(&x)?;
        let mut pairs: VecDeque<Pair> = VecDeque::with_capacity(self.history);
        let mut iterations = 0;
        let stop = loop {
            if max_abs(&g) <= tol.gtol {
                break Stop::GradientTolerance;
            }
            if iterations == tol.max_iterations {
                break Stop::MaxIterations;
            }
            p.iteration = iterations + 1;
            let direction = two_loop(&g, &pairs);
            // The first step has no curvature estimate: a unit-length move.
            let alpha = if pairs.is_empty() {
                (1.0 / dot(&g, &g).sqrt()).min(1.0)
            } else {
                1.0
            };
            let step = strong_wolfe(f, &g, &direction, alpha, |a| {
                p.value_grad(&axpy(&x, a, &direction))
            })?;
            let Some(step) = step else {
                if pairs.is_empty() {
                    break Stop::LineSearchFailed;
                }
                pairs.clear(); // stale curvature: retry once along the gradient
                continue;
            };
            let next = axpy(&x, step.alpha, &direction);
            let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = step.gradient.iter().zip(&g).map(|(a, b)| a - b).collect();
            let sy = dot(&s, &y);
            if sy > f64::EPSILON * dot(&y, &y) {
                if pairs.len() == self.history {
                    pairs.pop_front();
                }
                pairs.push_back(Pair {
                    s,
                    y,
                    rho: 1.0 / sy,
                });
            }
            iterations += 1;
            let before = f;
            (x, f, g) = (next, step.value, step.gradient);
            if tol.small_decrease(before, f) {
                break Stop::FunctionTolerance;
            }
        };
        p.set(&x);
        Ok(Report {
            method: "L-BFGS",
            iterations,
            function_evals: p.function_evals,
            gradient_evals: p.gradient_evals,
            hessian_vector_products: 0,
            value: f,
            gradient_max: max_abs(&g),
            stop,
        })
    }
}

/// `-H g` for the inverse-Hessian approximation of the pairs, scaled by `s.y / y.y` of the
/// newest pair (the identity without pairs).
fn two_loop(g: &[f64], pairs: &VecDeque<Pair>) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alphas = Vec::with_capacity(pairs.len());
    for pair in pairs.iter().rev() {
        let a = pair.rho * dot(&pair.s, &q);
        q.iter_mut().zip(&pair.y).for_each(|(q, y)| *q -= a * y);
        alphas.push(a);
    }
    let gamma = pairs
        .back()
        .map_or(1.0, |p| 1.0 / (p.rho * dot(&p.y, &p.y)));
    q.iter_mut().for_each(|q| *q *= gamma);
    for (pair, a) in pairs.iter().zip(alphas.iter().rev()) {
        let b = pair.rho * dot(&pair.y, &q);
        q.iter_mut()
            .zip(&pair.s)
            .for_each(|(q, s)| *q += (a - b) * s);
    }
    q.iter_mut().for_each(|q| *q = -*q);
    q
}
