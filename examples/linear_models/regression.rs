//! The regressions (R1, R2, R4, R5, R6): least squares, ridge and LASSO on tabular data, and a
//! line through outliers, each against its independent answer.

use losses::Reduction;
use losses::regression::{l1, lasso, linear_regression, mse, ridge};
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{Adam, Init, LrSchedule, ParamStore, Sgd};

use super::data::{line_with_outliers, tabular};
use super::solvers::{exact_lad_line, lasso_coordinate_descent, normal_equations};
use super::{max_gap, minimise, objective};

/// The penalty on the weights of a linear regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Penalty {
    /// Least squares (R4).
    None,
    /// `(lambda/2) ||w||^2`: ridge regression (R5).
    Ridge,
    /// `lambda ||w||_1`: LASSO (R6).
    Lasso,
}

/// The three regressions on the tabular data, and their references.
pub struct Tabular {
    /// The `[n, 8]` features.
    pub features: Tensor<f64>,
    /// The `n` targets.
    pub targets: Vec<f64>,
    /// `(w, b)` of least squares, ridge and LASSO by gradient descent.
    pub thetas: [Vec<f64>; 3],
    /// Their largest differences from the normal equations (least squares, ridge) and from
    /// coordinate descent (LASSO).
    pub gaps: [f64; 3],
    /// Weights coordinate descent sets exactly to zero, and how many of them gradient descent
    /// brought below 1e-3.
    pub lasso_zeros: (usize, usize),
    /// The LASSO objective at each Adam step, minus its value at coordinate descent's optimum.
    pub lasso_excess: Vec<f64>,
}

/// Least squares, ridge and LASSO with penalty weight `lambda` on `rows` rows of tabular
/// data, `steps` steps each (twice that for LASSO); prints their weights.
pub fn regressions(
    rows: usize,
    steps: usize,
    lambda: f64,
    rng: &mut StdRng,
) -> Result<Tabular, String> {
    let (features, targets) = tabular(rows, rng);
    let d = features.dims()[1];
    println!("regression: {rows} rows of {d} correlated features, sparse true weights");
    let target_tensor = Tensor::from_vec(targets.clone(), [rows]);
    let data = (&features, &target_tensor);
    let (linear_theta, _) = regress(data, Penalty::None, lambda, steps, rng)?;
    let linear_exact = normal_equations(&features, &target_tensor, 0.0).remove(0);
    let linear_gap = max_gap(&linear_theta, &linear_exact);
    let (ridge_theta, _) = regress(data, Penalty::Ridge, lambda, steps, rng)?;
    let ridge_exact = normal_equations(&features, &target_tensor, lambda).remove(0);
    let ridge_gap = max_gap(&ridge_theta, &ridge_exact);
    let (lasso_theta, lasso_curve) = regress(data, Penalty::Lasso, lambda, steps, rng)?;
    let (cd_w, cd_b) = lasso_coordinate_descent(&features, &targets, lambda);
    let mut lasso_exact = cd_w.clone();
    lasso_exact.push(cd_b);
    let lasso_gap = max_gap(&lasso_theta, &lasso_exact);
    let lasso_zeros = (
        cd_w.iter().filter(|&&v| v == 0.0).count(),
        lasso_theta[..d].iter().filter(|v| v.abs() < 1e-3).count(),
    );
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:7.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("least squares  w, b: {}", show(&linear_theta));
    println!("ridge          w, b: {}", show(&ridge_theta));
    println!("LASSO          w, b: {}", show(&lasso_theta));
    let lasso_optimum = {
        let tape = Tape::<f64>::new();
        let w = tape.constant(Tensor::from_vec(cd_w, [d]));
        let b = tape.constant(Tensor::from_vec(vec![cd_b], [1]));
        let (xv, yv) = (
            tape.constant(features.clone()),
            tape.constant(target_tensor),
        );
        lasso(xv, w, b, yv, lambda, Reduction::Mean).item()
    };
    Ok(Tabular {
        features,
        targets,
        thetas: [linear_theta, ridge_theta, lasso_theta],
        gaps: [linear_gap, ridge_gap, lasso_gap],
        lasso_zeros,
        lasso_excess: lasso_curve.iter().map(|v| v - lasso_optimum).collect(),
    })
}

/// One regression of the targets on the features under `penalty`: returns `(w, b)` and the
/// objective at each step.
fn regress(
    (features, targets): (&Tensor<f64>, &Tensor<f64>),
    penalty: Penalty,
    lambda: f64,
    steps: usize,
    rng: &mut StdRng,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let d = features.dims()[1];
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Init::Normal(0.1).sample([d], d, 1, rng));
    let b = store.add("b", Tensor::zeros([1]));
    let objective = objective(|p| {
        let tape = p.tape();
        let (xv, yv) = (
            tape.constant(features.clone()),
            tape.constant(targets.clone()),
        );
        match penalty {
            Penalty::None => linear_regression(xv, p[w], p[b], yv, Reduction::Mean),
            Penalty::Ridge => ridge(xv, p[w], p[b], yv, lambda, Reduction::Mean),
            Penalty::Lasso => lasso(xv, p[w], p[b], yv, lambda, Reduction::Mean),
        }
    });
    let curve = if penalty == Penalty::Lasso {
        // The L1 term has a kink at 0: steps decaying to zero let zero weights settle.
        let mut optimizer = Adam::new(0.05).schedule(LrSchedule::Cosine {
            warmup: 0,
            total: 2 * steps,
            min_factor: 0.0,
        });
        minimise(&mut store, &mut optimizer, 2 * steps, objective)?
    } else {
        let mut optimizer = Sgd::new(0.1).momentum(0.9);
        minimise(&mut store, &mut optimizer, steps, objective)?
    };
    let mut theta = store.value(w).to_vec();
    theta.push(store.value(b).item());
    Ok((theta, curve))
}

/// A line through outliers: absolute error (R2) against the exact LAD line, squared error
/// (R1) against its closed form. Prints both fits; returns the absolute-error fit's relative
/// excess over the exact LAD line's objective and the squared-error fit's largest difference
/// from the closed form.
pub fn line_fits(steps: usize, rng: &mut StdRng) -> Result<(f64, f64), String> {
    let (line_x, line_y) = line_with_outliers(60, rng);
    let (lad_slope, lad_intercept, lad_cost) = exact_lad_line(&line_x, &line_y);
    let inputs = Tensor::from_vec(line_x.clone(), [line_x.len(), 1]);
    let targets = Tensor::from_vec(line_y.clone(), [line_y.len(), 1]);
    let (l1_slope, l1_intercept) = fit_line(&inputs, &targets, true, steps)?;
    let l1_cost = line_x
        .iter()
        .zip(&line_y)
        .map(|(x, y)| (y - l1_slope * x - l1_intercept).abs())
        .sum::<f64>()
        / line_x.len() as f64;
    let l1_gap = (l1_cost - lad_cost) / lad_cost;
    let (mse_slope, mse_intercept) = fit_line(&inputs, &targets, false, steps)?;
    let mse_exact = normal_equations(&inputs, &targets, 0.0).remove(0);
    let mse_gap = max_gap(&[mse_slope, mse_intercept], &mse_exact);
    println!(
        "line y = 2x + 1 with 10% outliers: absolute error fit {l1_slope:.3}x + {l1_intercept:.3} \
         (exact LAD {lad_slope:.3}x + {lad_intercept:.3}), squared error fit {mse_slope:.3}x + \
         {mse_intercept:.3}"
    );
    Ok((l1_gap, mse_gap))
}

/// A line `slope x + intercept` fit to `[n, 1]` inputs and targets under the absolute error
/// (`absolute`) or the squared error; returns `(slope, intercept)`.
fn fit_line(
    inputs: &Tensor<f64>,
    targets: &Tensor<f64>,
    absolute: bool,
    steps: usize,
) -> Result<(f64, f64), String> {
    let mut store = ParamStore::<f64>::new();
    let a = store.add("slope", Tensor::zeros([1, 1]));
    let c = store.add("intercept", Tensor::zeros([1]));
    let objective = objective(|p| {
        let tape = p.tape();
        let prediction = tape.constant(inputs.clone()).linear(p[a], p[c]);
        let target = tape.constant(targets.clone());
        if absolute {
            l1(prediction, target, Reduction::Mean)
        } else {
            mse(prediction, target, Reduction::Mean)
        }
    });
    if absolute {
        let mut optimizer = Adam::new(0.1).schedule(LrSchedule::Cosine {
            warmup: 0,
            total: 2 * steps,
            min_factor: 0.0,
        });
        minimise(&mut store, &mut optimizer, 2 * steps, objective)?;
    } else {
        let mut optimizer = Sgd::new(0.01).momentum(0.9);
        minimise(&mut store, &mut optimizer, steps, objective)?;
    }
    Ok((store.value(a).item(), store.value(c).item()))
}
