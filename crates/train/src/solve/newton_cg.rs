//! Truncated Newton (line-search Newton-CG, Nocedal and Wright, Algorithm 7.1): each step
//! solves `H d = -g` approximately by conjugate gradient on Hessian-vector products (no
//! Hessian is ever formed), stopping early when the residual is small relative to the gradient
//! or the curvature turns negative, then takes a strong-Wolfe line search along `d`.

use tape::{Float, Var};

use super::line_search::strong_wolfe;
use super::problem::{Curvature, Problem};
use super::{Report, SolveError, Stop, Tolerances, axpy, dot, max_abs};
use crate::params::{ParamStore, Params};

/// Newton-CG settings. `NewtonCg::new()`: `gtol = 1e-5`, `ftol = 1e7 * f64::EPSILON`, the
/// forcing term `min(0.5, sqrt(|g|)) |g|` on the CG residual (superlinear convergence), at
/// most as many CG steps per iteration as there are parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonCg {
    /// When to stop.
    pub tolerances: Tolerances,
    /// A relative CG residual to reach instead of the forcing term (`Some(1e-12)`: nearly
    /// exact Newton steps).
    pub cg_rtol: Option<f64>,
    /// The most CG steps per iteration (`None`: the number of parameters).
    pub max_cg_steps: Option<usize>,
}

impl Default for NewtonCg {
    fn default() -> Self {
        Self::new()
    }
}

impl NewtonCg {
    /// The default settings (see the type's docs).
    pub fn new() -> Self {
        NewtonCg {
            tolerances: Tolerances::default(),
            cg_rtol: None,
            max_cg_steps: None,
        }
    }

    tolerance_setters!("Stops when the largest gradient entry is at most `gtol`.");

    /// Solves each Newton system to the relative residual `rtol`.
    pub fn cg_rtol(mut self, rtol: f64) -> Self {
        self.cg_rtol = Some(rtol);
        self
    }

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
        let mut p = Problem::new(store, objective, "Newton-CG");
        let mut x = p.point();
        let max_cg = self.max_cg_steps.unwrap_or(x.len()).max(1);
        let mut iterations = 0;
        let (stop, f, g) = loop {
            p.iteration = iterations;
            let (f, g, direction) = p.at_point(&x, |c| {
                let done = max_abs(&c.gradient) <= tol.gtol || iterations == tol.max_iterations;
                let d = (!done).then(|| self.newton_direction(c, max_cg));
                Ok((c.value, c.gradient.clone(), d))
            })?;
            let Some(direction) = direction else {
                let stop = if max_abs(&g) <= tol.gtol {
                    Stop::GradientTolerance
                } else {
                    Stop::MaxIterations
                };
                break (stop, f, g);
            };
            let step = strong_wolfe(f, &g, &direction, 1.0, |a| {
                p.value_grad(&axpy(&x, a, &direction))
            })?;
            let Some(step) = step else {
                break (Stop::LineSearchFailed, f, g);
            };
            x = axpy(&x, step.alpha, &direction);
            iterations += 1;
            if tol.small_decrease(f, step.value) {
                break (Stop::FunctionTolerance, step.value, step.gradient);
            }
        };
        p.set(&x);
        Ok(Report {
            method: "Newton-CG",
            iterations,
            function_evals: p.function_evals,
            gradient_evals: p.gradient_evals,
            hessian_vector_products: p.hessian_vector_products,
            value: f,
            gradient_max: max_abs(&g),
            stop,
        })
    }

    /// Conjugate gradient on `H d = -g` from `d = 0`: stops at the residual tolerance, at
    /// `max_steps`, or on a direction of non-positive curvature (then returns the iterate so
    /// far, or `-g` if there is none yet: still a descent direction).
    fn newton_direction<T: Float>(&self, c: &mut Curvature<'_, T>, max_steps: usize) -> Vec<f64> {
        let g = c.gradient.clone();
        let g_norm = dot(&g, &g).sqrt();
        let tolerance = match self.cg_rtol {
            Some(rtol) => rtol * g_norm,
            None => g_norm.sqrt().min(0.5) * g_norm,
        };
        let mut z = vec![0.0; g.len()];
        let mut r = g.clone();
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut rr = dot(&r, &r);
        for step in 0..max_steps {
            let hd = c.apply(&d);
            let curvature = dot(&d, &hd);
            if curvature <= 0.0 {
                return if step == 0 { d } else { z };
            }
            let alpha = rr / curvature;
            z.iter_mut().zip(&d).for_each(|(z, d)| *z += alpha * d);
            r.iter_mut().zip(&hd).for_each(|(r, h)| *r += alpha * h);
            let rr_next = dot(&r, &r);
            if rr_next.sqrt() <= tolerance {
                break;
            }
            let beta = rr_next / rr;
            d.iter_mut().zip(&r).for_each(|(d, r)| *d = -r + beta * *d);
            rr = rr_next;
        }
        z
    }
}
