//! The convex objectives solved to their optimum by `train::solve` (Newton-CG, L-BFGS, FISTA),
//! next to the first-order runs, each against its reference optimum: logistic regression +
//! L2 against Newton's method written by hand, ridge against the normal equations, LASSO
//! against coordinate descent, the SVM primal (smoothed, see `smoothed.rs`) against its dual
//! solved exactly.

use losses::Reduction;
use losses::classification::{binary_cross_entropy_with_logits, svm_primal};
use losses::regression::{lasso, linear_regression, ridge};
use losses::regularizers::l2_penalty;
use tape::{Tape, Tensor, Var};
use train::solve::{Lbfgs, Method, NewtonCg, ProximalGradient, Report as SolverReport, minimize};
use train::{ParamId, ParamStore, Params, objective};

use super::classifiers::{Classifiers, LOGISTIC_LAMBDA, SVM_C};
use super::data::Blobs;
use super::regression::Tabular;
use super::solvers::{lasso_coordinate_descent, logistic_newton, normal_equations, svm_exact};
use super::{smoothed, tape_linear};

/// One objective solved to its optimum, beside its first-order run.
#[derive(Clone, Debug)]
pub struct Optimum {
    /// The objective.
    pub objective: &'static str,
    /// The solver as printed (with its stages, for a continuation).
    pub solver: String,
    /// The solver's report (counts summed over the stages of a continuation).
    pub report: SolverReport,
    /// `(f(solver) - f(reference)) / |f(reference)|`, `f` the objective (the true hinge for
    /// the SVM).
    pub gap: f64,
    /// The first-order run: its optimiser and number of steps.
    pub first_order: (&'static str, usize),
    /// The first-order run's relative gap, as `gap`.
    pub first_order_gap: f64,
}

/// Every objective at its optimum.
#[derive(Clone, Debug)]
pub struct Optima {
    /// One row per objective and solver.
    pub rows: Vec<Optimum>,
    /// FISTA's zero weights are exactly coordinate descent's.
    pub lasso_supports_equal: bool,
    /// How many weights both set exactly to zero.
    pub lasso_zeros: usize,
    /// The SVM reference's duality gap, relative to its objective.
    pub svm_duality_gap: f64,
    /// Points on the SVM's margin at the reference optimum.
    pub svm_margin_points: usize,
}

/// A linear model's parameters `w [d]`, `b [1]`.
pub struct Linear {
    /// The store holding them.
    pub store: ParamStore<f64>,
    /// `w [d]`.
    pub w: ParamId,
    /// `b [1]`.
    pub b: ParamId,
}

impl Linear {
    /// `w = 0`, `b = 0`.
    pub fn zeros(d: usize) -> Self {
        let mut store = ParamStore::new();
        let w = store.add("w", Tensor::zeros([d]));
        let b = store.add("b", Tensor::zeros([1]));
        Linear { store, w, b }
    }

    /// `(w, b)`.
    pub fn theta(&self) -> Vec<f64> {
        let mut theta = self.store.value(self.w).to_vec();
        theta.push(self.store.value(self.b).item());
        theta
    }

    /// Sets `(w, b)`.
    pub fn set(&mut self, theta: &[f64]) {
        let d = theta.len() - 1;
        self.store
            .value_mut(self.w)
            .data_mut()
            .copy_from_slice(&theta[..d]);
        self.store.value_mut(self.b).data_mut()[0] = theta[d];
    }

    /// The objective at `theta` (the store is left there).
    pub fn value_at<F>(&mut self, theta: &[f64], f: &F) -> f64
    where
        F: for<'t> Fn(&Params<'t, f64>) -> Var<'t, f64>,
    {
        self.set(theta);
        let tape = Tape::new();
        f(&self.store.bind_frozen(&tape)).item()
    }

    /// Runs `method` on `f` from zero, leaving the minimiser in the store.
    pub fn solve<F>(&mut self, method: &Method, f: F) -> Result<SolverReport, String>
    where
        F: for<'t> Fn(&Params<'t, f64>) -> Var<'t, f64>,
    {
        let d = self.store.value(self.w).numel();
        self.set(&vec![0.0; d + 1]);
        minimize(&mut self.store, method, f).map_err(|e| e.to_string())
    }
}

/// `(value - reference) / |reference|`.
fn relative_gap(value: f64, reference: f64) -> f64 {
    (value - reference) / reference.abs()
}

/// Solves every objective to its optimum; `steps` is the first-order runs' step count.
pub fn solve_all(
    train: &Blobs,
    c: &Classifiers,
    tabular: &Tabular,
    lambda: f64,
    steps: usize,
) -> Result<Optima, String> {
    let mut rows = logistic(train, &line_theta(c.lines[3]), steps)?;
    let (svm_row, svm_duality_gap, svm_margin_points) = svm(train, &line_theta(c.lines[2]), steps)?;
    rows.push(svm_row);
    rows.push(ridge_row(tabular, lambda, steps)?);
    let (lasso_row, lasso_supports_equal, lasso_zeros) = lasso_row(tabular, lambda, steps)?;
    rows.push(lasso_row);
    Ok(Optima {
        rows,
        lasso_supports_equal,
        lasso_zeros,
        svm_duality_gap,
        svm_margin_points,
    })
}

/// A classifier's line as `(w, b)`.
fn line_theta((w, b): super::classifiers::Line) -> Vec<f64> {
    vec![w[0], w[1], b]
}

/// Newton-CG to the rounding of these gradients, with the test on the objective's decrease
/// off (near the optimum the objective stops changing in its last bits before the gradient
/// does).
fn newton() -> NewtonCg {
    NewtonCg::new().gtol(1e-13).ftol(0.0).max_iterations(200)
}

/// Logistic regression + L2 (C5, C10) by Newton-CG and by L-BFGS, against `logistic_newton`.
fn logistic(train: &Blobs, first_order: &[f64], steps: usize) -> Result<Vec<Optimum>, String> {
    let y01: Vec<f64> = train
        .signs
        .iter()
        .map(|&s| f64::from(u8::from(s > 0.0)))
        .collect();
    let targets = Tensor::from_vec(y01.clone(), [y01.len()]);
    let mut m = Linear::zeros(2);
    let (w, b) = (m.w, m.b);
    let f = objective(|p: &Params<'_, f64>| {
        let z = tape_linear(p.tape().constant(train.points.clone()), p[w], p[b]);
        let y = p.tape().constant(targets.clone());
        binary_cross_entropy_with_logits(z, y, Reduction::Mean)
            + l2_penalty(&[p[w]], LOGISTIC_LAMBDA)
    });
    let best = m.value_at(&logistic_newton(&train.points, &y01, LOGISTIC_LAMBDA), &f);
    let first_order_gap = relative_gap(m.value_at(first_order, &f), best);
    let methods = [
        ("Newton-CG", Method::NewtonCg(newton())),
        (
            "L-BFGS",
            Method::Lbfgs(
                Lbfgs::new()
                    .gtol(1e-13)
                    .ftol(4.0 * f64::EPSILON)
                    .max_iterations(500),
            ),
        ),
    ];
    methods
        .into_iter()
        .map(|(name, method)| {
            let report = m.solve(&method, f)?;
            let gap = relative_gap(m.value_at(&m.theta(), &f), best);
            Ok(Optimum {
                objective: "logistic + L2",
                solver: name.to_string(),
                report,
                gap,
                first_order: ("SGD, momentum", steps),
                first_order_gap,
            })
        })
        .collect()
}

/// The SVM primal (C4) by Newton-CG on the smoothed hinge with continuation, against the
/// dual solved exactly; also returns the reference's duality gap and margin points.
fn svm(train: &Blobs, first_order: &[f64], steps: usize) -> Result<(Optimum, f64, usize), String> {
    let reference = svm_exact(&train.points, &train.signs, SVM_C)?;
    let mut m = Linear::zeros(2);
    let (w, b) = (m.w, m.b);
    let hinge = objective(|p: &Params<'_, f64>| {
        let x = p.tape().constant(train.points.clone());
        svm_primal(x, p[w], p[b], &train.signs, SVM_C, Reduction::Mean)
    });
    let best = m.value_at(&reference.theta, &hinge);
    let first_order_gap = relative_gap(m.value_at(first_order, &hinge), best);
    m.set(&[0.0; 3]);
    let (report, stages, restarts) = smoothed::newton_continuation(&mut m, train, SVM_C)?;
    let gap = relative_gap(m.value_at(&m.theta(), &hinge), best);
    let row = Optimum {
        objective: "SVM (hinge + L2)",
        solver: format!("Newton-CG, {stages} smoothings, {restarts} restarts"),
        report,
        gap,
        first_order: ("Adam", steps),
        first_order_gap,
    };
    Ok((
        row,
        reference.duality_gap / reference.value.abs(),
        reference.margin_points,
    ))
}

/// Ridge (R5) by Newton-CG, against the normal equations: a quadratic, so one Newton step
/// whose conjugate gradient is exact within as many steps as there are parameters.
fn ridge_row(t: &Tabular, lambda: f64, steps: usize) -> Result<Optimum, String> {
    let (x, y) = (
        &t.features,
        Tensor::from_vec(t.targets.clone(), [t.targets.len()]),
    );
    let mut m = Linear::zeros(x.dims()[1]);
    let (w, b) = (m.w, m.b);
    let f = objective(|p: &Params<'_, f64>| {
        let (xv, yv) = (p.tape().constant(x.clone()), p.tape().constant(y.clone()));
        ridge(xv, p[w], p[b], yv, lambda, Reduction::Mean)
    });
    let best = m.value_at(&normal_equations(x, &y, lambda).remove(0), &f);
    let first_order_gap = relative_gap(m.value_at(&t.thetas[1], &f), best);
    let report = m.solve(&Method::NewtonCg(newton().cg_rtol(1e-15)), f)?;
    let gap = relative_gap(m.value_at(&m.theta(), &f), best);
    Ok(Optimum {
        objective: "ridge",
        solver: "Newton-CG".to_string(),
        report,
        gap,
        first_order: ("SGD, momentum", steps),
        first_order_gap,
    })
}

/// LASSO (R6) by FISTA with the L1 proximal step (exact zeros), against coordinate descent;
/// also returns whether the supports are equal and how many weights are zero.
fn lasso_row(t: &Tabular, lambda: f64, steps: usize) -> Result<(Optimum, bool, usize), String> {
    let (x, y) = (
        &t.features,
        Tensor::from_vec(t.targets.clone(), [t.targets.len()]),
    );
    let d = x.dims()[1];
    let mut m = Linear::zeros(d);
    let (w, b) = (m.w, m.b);
    let smooth = objective(|p: &Params<'_, f64>| {
        let (xv, yv) = (p.tape().constant(x.clone()), p.tape().constant(y.clone()));
        linear_regression(xv, p[w], p[b], yv, Reduction::Mean)
    });
    let whole = objective(|p: &Params<'_, f64>| {
        let (xv, yv) = (p.tape().constant(x.clone()), p.tape().constant(y.clone()));
        lasso(xv, p[w], p[b], yv, lambda, Reduction::Mean)
    });
    let (cd_w, cd_b) = lasso_coordinate_descent(x, &t.targets, lambda);
    let reference: Vec<f64> = cd_w.iter().copied().chain([cd_b]).collect();
    let best = m.value_at(&reference, &whole);
    let first_order_gap = relative_gap(m.value_at(&t.thetas[2], &whole), best);
    let fista = ProximalGradient::new()
        .l1(w, lambda)
        .gtol(1e-13)
        .ftol(0.0)
        .max_iterations(100_000);
    let report = m.solve(&Method::ProximalGradient(fista), smooth)?;
    let theta = m.theta();
    let gap = relative_gap(m.value_at(&theta, &whole), best);
    let same = (0..d).all(|j| (theta[j] == 0.0) == (cd_w[j] == 0.0));
    let zeros = (0..d)
        .filter(|&j| theta[j] == 0.0 && cd_w[j] == 0.0)
        .count();
    let row = Optimum {
        objective: "LASSO",
        solver: "FISTA, L1 prox".to_string(),
        report,
        gap,
        first_order: ("Adam", 2 * steps),
        first_order_gap,
    };
    Ok((row, same, zeros))
}

/// Prints one line per row: the solver's counts and gap beside the first-order run's.
pub fn print(o: &Optima) {
    println!(
        "to the optimum by train::solve: iterations (evaluations; why it stopped), relative \
         objective gap to the reference | the first-order run"
    );
    for r in &o.rows {
        let s = &r.report;
        let counts = format!(
            "({} f, {} grad, {} Hv; {:?})",
            s.function_evals, s.gradient_evals, s.hessian_vector_products, s.stop
        );
        println!(
            "  {:<16} {:<37} {:>3} iterations {counts:<45} gap {:>8.1e} | {} {} steps, gap {:.1e}",
            r.objective,
            r.solver,
            s.iterations,
            r.gap,
            r.first_order.0,
            r.first_order.1,
            r.first_order_gap,
        );
    }
    println!(
        "  LASSO: FISTA's {} exact zeros are coordinate descent's: {}; SVM reference (dual + \
         KKT): {} margin points, duality gap {:.1e} relative",
        o.lasso_zeros, o.lasso_supports_equal, o.svm_margin_points, o.svm_duality_gap
    );
}
