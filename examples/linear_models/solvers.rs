//! The reference solvers the gradient-trained models are checked against: closed forms,
//! Newton's method, coordinate descent, the SVM's dual and an exhaustive search, with no
//! autodiff at all.

use gallery::linalg::nalgebra::DMatrix;
use gallery::linalg::solve;
use tape::Tensor;

/// The regularised normal equations of `(1/2n)||X w + b - y||^2 + (lambda/2)||w||^2` (the bias
/// unpenalised): `(X1^T X1 / n + lambda D) theta = X1^T y / n` with `X1 = [X 1]`,
/// `theta = (w, b)` and `D = diag(1, ..., 1, 0)`, solved by Cholesky. `lambda = 0` is ordinary
/// least squares. `targets` may hold several columns (`[n, m]`), solved for together.
pub fn normal_equations(x: &Tensor<f64>, targets: &Tensor<f64>, lambda: f64) -> Vec<Vec<f64>> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let m = targets.numel() / n;
    let x1 = DMatrix::from_fn(
        n,
        d + 1,
        |i, j| if j < d { x.data()[i * d + j] } else { 1.0 },
    );
    let y = DMatrix::from_row_slice(n, m, targets.data());
    let mut gram = x1.tr_mul(&x1) / n as f64;
    for a in 0..d {
        gram[(a, a)] += lambda;
    }
    let theta = gram
        .cholesky()
        .expect("the Gram matrix of a full-rank design (or with lambda > 0) is positive definite")
        .solve(&(x1.tr_mul(&y) / n as f64));
    theta
        .column_iter()
        .map(|c| c.iter().copied().collect())
        .collect()
}

/// LASSO by cyclic coordinate descent on `(1/2n)||X w + b - y||^2 + lambda ||w||_1`: each weight
/// in turn is set to its exact minimiser with the others fixed (a soft threshold), and the
/// unpenalised bias to the mean residual, until nothing moves. Returns `(w, b)`.
pub fn lasso_coordinate_descent(x: &Tensor<f64>, y: &[f64], lambda: f64) -> (Vec<f64>, f64) {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let column = |j: usize| (0..n).map(move |i| x.data()[i * d + j]);
    let scale: Vec<f64> = (0..d)
        .map(|j| column(j).map(|v| v * v).sum::<f64>() / n as f64)
        .collect();
    let (mut w, mut b) = (vec![0.0; d], y.iter().sum::<f64>() / n as f64);
    let mut residual: Vec<f64> = y.iter().map(|v| v - b).collect();
    for _sweep in 0..100_000 {
        let mut largest_move: f64 = 0.0;
        for j in 0..d {
            // rho = (1/n) x_j . (residual + x_j w_j): the fit x_j would make on its own.
            let rho = column(j)
                .zip(&residual)
                .map(|(v, r)| v * (r + v * w[j]))
                .sum::<f64>()
                / n as f64;
            let updated = rho.signum() * (rho.abs() - lambda).max(0.0) / scale[j];
            let step = updated - w[j];
            for (r, v) in residual.iter_mut().zip(column(j)) {
                *r -= step * v;
            }
            w[j] = updated;
            largest_move = largest_move.max(step.abs());
        }
        let shift = residual.iter().sum::<f64>() / n as f64;
        residual.iter_mut().for_each(|r| *r -= shift);
        b += shift;
        largest_move = largest_move.max(shift.abs());
        if largest_move < 1e-15 {
            break;
        }
    }
    (w, b)
}

/// Penalised logistic regression `mean_i [softplus(z_i) - y_i z_i] + (lambda/2)||w||^2`,
/// `z = X w + b`, by Newton's method with the gradient and Hessian written out by hand.
pub fn logistic_newton(x: &Tensor<f64>, y01: &[f64], lambda: f64) -> Vec<f64> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let p = d + 1;
    let row = |i: usize, j: usize| if j < d { x.data()[i * d + j] } else { 1.0 };
    let mut theta = vec![0.0; p];
    for _ in 0..100 {
        let mut gradient = vec![0.0; p];
        let mut hessian = vec![0.0; p * p];
        for (i, &target) in y01.iter().enumerate() {
            let z: f64 = (0..p).map(|j| row(i, j) * theta[j]).sum();
            let s = 1.0 / (1.0 + (-z).exp());
            for a in 0..p {
                gradient[a] += (s - target) * row(i, a) / n as f64;
                for b in 0..p {
                    hessian[a * p + b] += s * (1.0 - s) * row(i, a) * row(i, b) / n as f64;
                }
            }
        }
        for a in 0..d {
            gradient[a] += lambda * theta[a];
            hessian[a * p + a] += lambda;
        }
        let step = solve(&hessian, &gradient, p).expect("the regularised Hessian is invertible");
        theta.iter_mut().zip(&step).for_each(|(t, s)| *t -= s);
        if step.iter().map(|s| s.abs()).fold(0.0, f64::max) < 1e-15 {
            break;
        }
    }
    theta
}

/// The exact least-absolute-deviations line: an optimal line passes through two of the points,
/// so trying every pair finds it. Returns `(slope, intercept, mean absolute error)`.
pub fn exact_lad_line(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len();
    let cost = |a: f64, c: f64| {
        x.iter()
            .zip(y)
            .map(|(x, y)| (y - a * x - c).abs())
            .sum::<f64>()
            / n as f64
    };
    let mut best = (0.0, 0.0, f64::INFINITY);
    for i in 0..n {
        for j in i + 1..n {
            if x[i] == x[j] {
                continue;
            }
            let a = (y[j] - y[i]) / (x[j] - x[i]);
            let c = y[i] - a * x[i];
            let value = cost(a, c);
            if value < best.2 {
                best = (a, c, value);
            }
        }
    }
    best
}

/// The exact optimum of the soft-margin SVM primal
/// `(1/2)||w||^2 + C mean_i max(0, 1 - y_i (w.x_i + b))`, with its certificate.
#[derive(Clone, Debug)]
pub struct SvmOptimum {
    /// `(w, b)`.
    pub theta: Vec<f64>,
    /// The primal objective at `theta`.
    pub value: f64,
    /// Primal minus dual objective, at `theta` and at the dual point it came from: the primal
    /// value is at most this far above the optimum (weak duality).
    pub duality_gap: f64,
    /// Points exactly on the margin, `y (w.x + b) = 1`.
    pub margin_points: usize,
}

/// The SVM primal's exact optimum, from its dual
/// `max sum_i alpha_i - (1/2)||sum_i alpha_i y_i x_i||^2`, `0 <= alpha_i <= C/n`,
/// `sum_i alpha_i y_i = 0`, with no autodiff: sequential minimal optimisation finds which
/// points lie inside the margin (`alpha = C/n`), on it, or beyond it (`alpha = 0`); the KKT
/// conditions of that partition are one small linear system, solved exactly. The answer is
/// kept only when the primal and dual objectives agree to 1e-13 relative (a certificate that
/// does not trust the partition); otherwise SMO runs on to a tighter tolerance.
/// `x [n, d]`, `y` in {-1, +1}.
pub fn svm_exact(x: &Tensor<f64>, y: &[f64], c: f64) -> Result<SvmOptimum, String> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let mut alpha = vec![0.0; n];
    let mut tolerance = 1e-8;
    for _attempt in 0..4 {
        let approximate = smo(x, y, c / n as f64, &mut alpha, tolerance);
        let polished = kkt_polish(x, y, c, &approximate, 10.0 * tolerance);
        if let Some(optimum) = polished
            && optimum.duality_gap <= 1e-13 * optimum.value.abs().max(1.0)
        {
            return Ok(optimum);
        }
        tolerance *= 1e-2;
    }
    Err(format!(
        "svm_exact: no certified optimum for {n} points in {d} dimensions (C = {c})"
    ))
}

/// SMO with the maximal violating pair (Keerthi et al. 2001) on the dual, written as
/// minimising `(1/2)||w||^2 - sum alpha` with `w = sum_i alpha_i y_i x_i`, until the largest
/// violation of the KKT conditions is below `tolerance`. Each step moves `alpha_i` by
/// `y_i t` and `alpha_j` by `-y_j t` (keeping `sum alpha y`), so `w` moves by `t (x_i - x_j)`.
/// Returns `(w, b)`, `b` the middle of the interval the KKT conditions leave it.
fn smo(x: &Tensor<f64>, y: &[f64], upper: f64, alpha: &mut [f64], tolerance: f64) -> Vec<f64> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let row = |i: usize| &x.data()[i * d..(i + 1) * d];
    let mut w = vec![0.0; d];
    for (i, a) in alpha.iter().enumerate() {
        w.iter_mut()
            .zip(row(i))
            .for_each(|(w, v)| *w += a * y[i] * v);
    }
    loop {
        // v_i = y_i - w.x_i (minus y_i times the dual gradient); i may raise y_i alpha_i,
        // j may lower y_j alpha_j. At the optimum max v_up <= b <= min v_low... negated.
        let (mut up, mut low) = ((f64::NEG_INFINITY, 0), (f64::INFINITY, 0));
        for i in 0..n {
            let v = y[i] - row(i).iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
            let (raise, lower) = (alpha[i] < upper, alpha[i] > 0.0);
            let (can_up, can_low) = if y[i] > 0.0 {
                (raise, lower)
            } else {
                (lower, raise)
            };
            if can_up && v > up.0 {
                up = (v, i);
            }
            if can_low && v < low.0 {
                low = (v, i);
            }
        }
        let (violation, i, j) = (up.0 - low.0, up.1, low.1);
        if violation < tolerance {
            w.push(0.5 * (up.0 + low.0));
            return w;
        }
        let dist: f64 = row(i)
            .iter()
            .zip(row(j))
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        // The unconstrained minimiser along the pair, then the box: a step that reaches a
        // bound sets that alpha to the bound exactly.
        let room_i = if y[i] > 0.0 {
            upper - alpha[i]
        } else {
            alpha[i]
        };
        let room_j = if y[j] > 0.0 {
            alpha[j]
        } else {
            upper - alpha[j]
        };
        let t = (violation / dist).min(room_i).min(room_j);
        alpha[i] = match (t == room_i, y[i] > 0.0) {
            (true, true) => upper,
            (true, false) => 0.0,
            (false, _) => alpha[i] + y[i] * t,
        };
        alpha[j] = match (t == room_j, y[j] > 0.0) {
            (true, true) => 0.0,
            (true, false) => upper,
            (false, _) => alpha[j] - y[j] * t,
        };
        for (k, w) in w.iter_mut().enumerate() {
            *w += t * (row(i)[k] - row(j)[k]);
        }
    }
}

/// The KKT conditions of the partition the approximate `(w, b)` shows (points with
/// `|y f - 1| <= band` on the margin, `y f < 1` inside it with `alpha = C/n`, the rest
/// beyond it with `alpha = 0`): `w = sum_i alpha_i y_i x_i`, `sum_i alpha_i y_i = 0`,
/// `y_i (w.x_i + b) = 1` on the margin. With the margin points' alphas unknown this is a
/// square linear system in `(w, b, alpha_margin)`; `None` when it is singular or its alphas
/// leave the box (the partition was wrong).
fn kkt_polish(
    x: &Tensor<f64>,
    y: &[f64],
    c: f64,
    approximate: &[f64],
    band: f64,
) -> Option<SvmOptimum> {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let upper = c / n as f64;
    let row = |i: usize| &x.data()[i * d..(i + 1) * d];
    let margin_of = |i: usize, theta: &[f64]| {
        let score: f64 = row(i).iter().zip(theta).map(|(a, b)| a * b).sum::<f64>() + theta[d];
        y[i] * score
    };
    let margin: Vec<usize> = (0..n)
        .filter(|&i| (margin_of(i, approximate) - 1.0).abs() <= band)
        .collect();
    let inside = |i: usize| !margin.contains(&i) && margin_of(i, approximate) < 1.0;
    let m = d + 1 + margin.len();
    let (mut a, mut rhs) = (vec![0.0; m * m], vec![0.0; m]);
    for r in 0..d {
        a[r * m + r] = 1.0;
    }
    for (e, &i) in margin.iter().enumerate() {
        let (column, equation) = (d + 1 + e, (d + 1 + e) * m);
        (0..d).for_each(|r| a[r * m + column] = -y[i] * row(i)[r]);
        a[d * m + column] = y[i];
        a[equation..equation + d]
            .iter_mut()
            .zip(row(i))
            .for_each(|(a, v)| *a = y[i] * v);
        a[equation + d] = y[i];
        rhs[column] = 1.0;
    }
    let mut alpha = vec![0.0; n];
    for i in (0..n).filter(|&i| inside(i)) {
        alpha[i] = upper;
        (0..d).for_each(|r| rhs[r] += upper * y[i] * row(i)[r]);
        rhs[d] -= upper * y[i];
    }
    let z = if margin.is_empty() {
        // No point on the margin: the objective is flat in b between the last points inside
        // each class's margin (as many inside on either side, which the balance row needs
        // exactly), so any b there is optimal; w is fixed by the points inside.
        let balance: f64 = (0..n).filter(|&i| inside(i)).map(|i| y[i]).sum();
        if balance != 0.0 {
            return None;
        }
        rhs[d] = approximate[d];
        rhs
    } else {
        solve(&a, &rhs, m)?
    };
    let slack = 1e-12 * upper;
    for (e, &i) in margin.iter().enumerate() {
        if !(-slack..=upper + slack).contains(&z[d + 1 + e]) {
            return None;
        }
        alpha[i] = z[d + 1 + e].clamp(0.0, upper);
    }
    let theta = z[..=d].to_vec();
    let hinge = (0..n)
        .map(|i| (1.0 - margin_of(i, &theta)).max(0.0))
        .sum::<f64>();
    let value = 0.5 * theta[..d].iter().map(|v| v * v).sum::<f64>() + c * hinge / n as f64;
    // The dual objective at the (feasible) alphas, from their own w.
    let mut w_dual = vec![0.0; d];
    for (i, a) in alpha.iter().enumerate() {
        w_dual
            .iter_mut()
            .zip(row(i))
            .for_each(|(w, v)| *w += a * y[i] * v);
    }
    let dual = alpha.iter().sum::<f64>() - 0.5 * w_dual.iter().map(|v| v * v).sum::<f64>();
    Some(SvmOptimum {
        theta,
        value,
        duality_gap: value - dual,
        margin_points: margin.len(),
    })
}
