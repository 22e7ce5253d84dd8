//! The SVM primal to its optimum by Newton-CG: the hinge has a kink, which Newton's method
//! cannot follow, so it is smoothed (`losses::classification::smoothed_hinge`, `h_mu`, below
//! the hinge by at most `mu / 2`) and solved for `mu = 1, 0.1, ..., 1e-11`, each stage
//! warm-started from the last (continuation). Once `mu` is small the points on the margin sit
//! within `mu` of it, so the true hinge objective ends within about `C mu |margin points| / n`
//! of its optimum.
//!
//! At small `mu` the smoothed objective is nearly piecewise linear: when no point lies within
//! `mu` of the margin the bias has no curvature at all, and along a Newton direction the strong
//! Wolfe curvature condition holds only on intervals about `mu` wide, which the line search
//! may not find (it then takes the best point of its bracket, or, when that is the start,
//! stops with `LineSearchFailed`, the bias's gradient a whole point's `C/n`). The bias is one
//! coordinate with an exact minimiser, so each stage starts with it, and after a failed search
//! Newton-CG is restarted from it while that still lowers the objective.

use losses::Reduction;
use losses::classification::smoothed_hinge;
use tape::Tensor;
use train::Params;
use train::objective;
use train::solve::{NewtonCg, Report as SolverReport, Stop};

use super::data::Blobs;
use super::exact::Linear;
use super::tape_linear;

/// The smoothing of the last stage: the points on the margin (generically at most three, for
/// 2-D data) then sit within `mu` of it, each adding at most `C mu / n` to the true objective:
/// below 1e-10 of it even for 10 points (1e-9 was not, at 10 points).
const FINAL_MU: f64 = 1e-11;

/// The most Newton-CG restarts in one stage.
const MAX_RESTARTS: usize = 8;

/// Minimises `C mean_i h_mu(max(0, 1 - y_i (w.x_i + b))) + (1/2)||w||^2` for decreasing `mu` from the
/// point in `m`, leaving the last stage's minimiser there. Returns Newton-CG's counts summed
/// over every stage and restart, the number of stages and the number of restarts.
pub fn newton_continuation(
    m: &mut Linear,
    train: &Blobs,
    c: f64,
) -> Result<(SolverReport, usize, usize), String> {
    let (w, b) = (m.w, m.b);
    let newton = NewtonCg::new()
        .gtol(1e-13)
        .ftol(4.0 * f64::EPSILON) // a decrease at the rounding of f: this stage is done
        .max_iterations(200);
    let (mut total, mut mu, mut stages, mut restarts) = (None::<SolverReport>, 1.0, 0, 0);
    while mu >= FINAL_MU {
        let smoothed = objective(|p: &Params<'_, f64>| {
            let scores = tape_linear(p.tape().constant(train.points.clone()), p[w], p[b]);
            let data = smoothed_hinge(scores, &train.signs, mu, Reduction::Mean);
            data * c + p[w].square().sum() * 0.5
        });
        let mut before = f64::INFINITY;
        for restart in 0..MAX_RESTARTS {
            let mut theta = m.theta();
            let d = theta.len() - 1;
            theta[d] = best_bias(&train.points, &train.signs, &theta, mu);
            m.set(&theta);
            let r = newton
                .minimize(&mut m.store, smoothed)
                .map_err(|e| e.to_string())?;
            let (stop, value) = (r.stop.clone(), r.value);
            total = Some(match total {
                None => r,
                Some(t) => add_counts(t, r),
            });
            restarts += usize::from(restart > 0);
            if stop != Stop::LineSearchFailed || value >= before {
                break;
            }
            before = value;
        }
        (mu, stages) = (mu * 0.1, stages + 1);
    }
    Ok((total.expect("at least one stage"), stages, restarts))
}

/// `later` with the counts of both.
fn add_counts(earlier: SolverReport, later: SolverReport) -> SolverReport {
    SolverReport {
        iterations: earlier.iterations + later.iterations,
        function_evals: earlier.function_evals + later.function_evals,
        gradient_evals: earlier.gradient_evals + later.gradient_evals,
        hessian_vector_products: earlier.hessian_vector_products + later.hessian_vector_products,
        ..later
    }
}

/// The bias minimising the smoothed objective with `w` fixed: the root of its derivative
/// `-(C/n) sum_i y_i clamp(r_i / mu, 0, 1)`, `r_i = 1 - y_i (w.x_i + b)`, continuous and
/// increasing in `b`, by bisection to the last bit.
fn best_bias(x: &Tensor<f64>, y: &[f64], theta: &[f64], mu: f64) -> f64 {
    let d = theta.len() - 1;
    let wx: Vec<f64> = x
        .data()
        .chunks_exact(d)
        .map(|row| row.iter().zip(theta).map(|(a, b)| a * b).sum())
        .collect();
    let slope = |b: f64| -> f64 {
        wx.iter()
            .zip(y)
            .map(|(wx, y)| -y * ((1.0 - y * (wx + b)) / mu).clamp(0.0, 1.0))
            .sum()
    };
    // Beyond |b| = max |w.x| + 1 every point of one class is inside its margin and none of
    // the other: the slope has its sign there.
    let reach = wx.iter().fold(0.0_f64, |a, v| a.max(v.abs())) + 1.0 + mu;
    let (mut lo, mut hi) = (-reach, reach);
    loop {
        let mid = 0.5 * (lo + hi);
        if mid == lo || mid == hi {
            return mid;
        }
        if slope(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
}
