//! The reference solvers the gradient-trained models are checked against: closed forms,
//! Newton's method, coordinate descent and an exhaustive search, with no autodiff at all.

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
