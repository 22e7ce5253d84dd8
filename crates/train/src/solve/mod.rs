//! Full-batch solvers: L-BFGS, Newton-CG and proximal gradient (ISTA/FISTA), run to the
//! optimum of an objective rather than towards it.
//!
//! Each solver minimises a closure over the bound parameters of a [`ParamStore`], the same
//! closure [`ParamStore::compute_grads`] takes, and leaves the minimiser in the store. The
//! iterates are held in `f64` whatever the parameters' float type, so the solvers' own
//! arithmetic (line searches, curvature pairs, momentum) never limits the precision; an `f32`
//! model is evaluated in `f32`.
//!
//! Stopping rules follow SciPy's: `gtol` bounds the largest entry of the gradient (of the
//! proximal-gradient step, for the proximal solver), `ftol` the relative decrease
//! `(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)` of the objective, `max_iterations` the number of
//! outer iterations. A non-finite objective or gradient stops with [`SolveError`].
//!
//! ```
//! use tape::Tensor;
//! use train::ParamStore;
//! use train::solve::{Lbfgs, Stop};
//!
//! // Rosenbrock's function, minimum 0 at (1, 1).
//! let mut store = ParamStore::<f64>::new();
//! let xy = store.add("xy", Tensor::from_vec(vec![-1.2, 1.0], [2]));
//! let report = Lbfgs::new()
//!     .gtol(1e-10)
//!     .ftol(0.0) // stop on the gradient alone
//!     .minimize(&mut store, |p| {
//!         let (x, y) = (p.get(xy).narrow(0, 0, 1), p.get(xy).narrow(0, 1, 1));
//!         ((y - x.square()).square() * 100.0 + (-x + 1.0).square()).sum()
//!     })
//!     .unwrap();
//! assert_eq!(report.stop, Stop::GradientTolerance);
//! assert!((store.value(xy).data()[0] - 1.0).abs() < 1e-9);
//! ```

/// The builder methods of [`Tolerances`] every solver shares: `gtol` (documented by the
/// caller, as each solver measures its gradient its own way), `ftol` and `max_iterations`.
macro_rules! tolerance_setters {
    ($gtol_doc:literal) => {
        #[doc = $gtol_doc]
        pub fn gtol(mut self, gtol: f64) -> Self {
            self.tolerances.gtol = gtol;
            self
        }

        /// Stops when the objective's relative decrease is at most `ftol` (0 turns the test
        /// off).
        pub fn ftol(mut self, ftol: f64) -> Self {
            self.tolerances.ftol = ftol;
            self
        }

        /// Stops after `n` iterations.
        pub fn max_iterations(mut self, n: usize) -> Self {
            self.tolerances.max_iterations = n;
            self
        }
    };
}

mod lbfgs;
mod line_search;
mod newton_cg;
mod problem;
mod proximal;

use std::fmt;

use tape::{Float, Var};

use crate::params::{ParamStore, Params};

pub use lbfgs::Lbfgs;
pub use newton_cg::NewtonCg;
pub use proximal::{Prox, ProximalGradient};

/// Why a solver stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// The largest entry of the gradient (or of the proximal-gradient step) is at most `gtol`.
    GradientTolerance,
    /// The objective's relative decrease over one iteration is at most `ftol`.
    FunctionTolerance,
    /// `max_iterations` outer iterations ran.
    MaxIterations,
    /// The line search found no point with sufficient decrease: the objective cannot be
    /// lowered further at this precision (SciPy's `ABNORMAL_TERMINATION_IN_LNSRCH`).
    LineSearchFailed,
}

/// What a solver did: the counts SciPy's `OptimizeResult` gives, and why it stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The solver's name.
    pub method: &'static str,
    /// Outer iterations.
    pub iterations: usize,
    /// Objective evaluations (forward passes), including those that also gave a gradient.
    pub function_evals: usize,
    /// Gradient evaluations (backward passes).
    pub gradient_evals: usize,
    /// Hessian-vector products (Newton-CG's conjugate-gradient steps).
    pub hessian_vector_products: usize,
    /// The objective at the returned point (for the proximal solver, `f + g`).
    pub value: f64,
    /// The largest entry of the gradient at the returned point (of the proximal-gradient step
    /// `(x - prox(x - t grad f)) / t`, for the proximal solver).
    pub gradient_max: f64,
    /// Why it stopped.
    pub stop: Stop,
}

impl Report {
    /// Whether it stopped on a tolerance (not on the iteration limit or a failed line search).
    pub fn converged(&self) -> bool {
        matches!(self.stop, Stop::GradientTolerance | Stop::FunctionTolerance)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {:?} after {} iterations ({} f, {} grad, {} Hv), f = {:.12e}, max |grad| = {:.3e}",
            self.method,
            self.stop,
            self.iterations,
            self.function_evals,
            self.gradient_evals,
            self.hessian_vector_products,
            self.value,
            self.gradient_max
        )
    }
}

/// A solver could not continue.
#[derive(Clone, Debug, PartialEq)]
pub enum SolveError {
    /// The objective or its gradient was NaN or infinite at an iterate.
    NonFinite {
        /// The solver.
        method: &'static str,
        /// The outer iteration (0 = the starting point).
        iteration: usize,
        /// What was not finite: "objective" or "gradient".
        what: &'static str,
    },
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SolveError::NonFinite {
                method,
                iteration,
                what,
            } => write!(
                f,
                "{method}: the {what} is not finite at iteration {iteration}; check the \
                 objective's domain (logarithms, divisions) and the starting point"
            ),
        }
    }
}

impl std::error::Error for SolveError {}

/// The stopping rules every solver shares (SciPy's names and meanings).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Stop when the largest gradient entry is at most this.
    pub gtol: f64,
    /// Stop when the relative decrease of the objective is at most this.
    pub ftol: f64,
    /// Stop after this many outer iterations.
    pub max_iterations: usize,
}

impl Default for Tolerances {
    /// SciPy's L-BFGS-B defaults: `gtol = 1e-5`, `ftol = 1e7 * f64::EPSILON`, 15,000 iterations.
    fn default() -> Self {
        Tolerances {
            gtol: 1e-5,
            ftol: 1e7 * f64::EPSILON,
            max_iterations: 15_000,
        }
    }
}

impl Tolerances {
    /// SciPy's relative-decrease test between consecutive objective values (off when
    /// `ftol` is 0: near an optimum the objective stops changing in its last bits before the
    /// iterates do, so a run to a tight `gtol` must not stop on it).
    fn small_decrease(&self, before: f64, after: f64) -> bool {
        self.ftol > 0.0 && (before - after) <= self.ftol * before.abs().max(after.abs()).max(1.0)
    }
}

/// Which solver [`minimize`] runs, with its settings.
#[derive(Clone, Debug)]
pub enum Method {
    /// Limited-memory BFGS with a strong-Wolfe line search.
    Lbfgs(Lbfgs),
    /// Truncated Newton: conjugate gradient on Hessian-vector products, then a line search.
    NewtonCg(NewtonCg),
    /// Proximal gradient (FISTA when accelerated) for `f + g` with a non-smooth `g`.
    ProximalGradient(ProximalGradient),
}

/// Minimises `objective` over the parameters of `store` with `method`, leaving the minimiser
/// in the store: SciPy's `minimize`, with the objective as a closure over the bound
/// parameters (as [`ParamStore::compute_grads`] takes it).
pub fn minimize<T, F>(
    store: &mut ParamStore<T>,
    method: &Method,
    objective: F,
) -> Result<Report, SolveError>
where
    T: Float,
    F: for<'t> Fn(&Params<'t, T>) -> Var<'t, T>,
{
    match method {
        Method::Lbfgs(m) => m.minimize(store, objective),
        Method::NewtonCg(m) => m.minimize(store, objective),
        Method::ProximalGradient(m) => m.minimize(store, objective),
    }
}

/// The largest absolute entry.
fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// The dot product.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `x + s d`.
fn axpy(x: &[f64], s: f64, d: &[f64]) -> Vec<f64> {
    x.iter().zip(d).map(|(x, d)| x + s * d).collect()
}
