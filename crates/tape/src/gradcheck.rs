//! Central finite differences against the tape's gradients.

use std::fmt;

use crate::{Tape, Tensor, Var};

/// The outcome of [`gradcheck`]: the worst disagreement between the tape's gradient and
/// central finite differences, and where it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck {
    /// Largest `|analytic - numeric|`.
    pub max_abs_error: f64,
    /// Largest `|analytic - numeric| / max(1, |analytic|, |numeric|)`: relative for large
    /// gradients, absolute for small ones (so exact zeros do not divide by zero).
    pub max_rel_error: f64,
    /// The element with the largest relative error.
    pub worst: Option<Mismatch>,
    /// How many partial derivatives were compared.
    pub checked: usize,
}

/// One compared partial derivative.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Which input.
    pub input: usize,
    /// Which element of it (row-major).
    pub index: usize,
    /// The tape's value.
    pub analytic: f64,
    /// The finite-difference estimate.
    pub numeric: f64,
}

impl GradCheck {
    /// Panics with the full report unless `max_rel_error <= tol`.
    pub fn assert_within(&self, tol: f64) {
        assert!(
            self.max_rel_error <= tol,
            "gradcheck failed (tolerance {tol:e}): {self}"
        );
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} partials, max abs error {:.3e}, max rel error {:.3e}",
            self.checked, self.max_abs_error, self.max_rel_error
        )?;
        if let Some(w) = &self.worst {
            write!(
                f,
                ", worst at input {} element {}: tape {:.12e} vs finite difference {:.12e}",
                w.input, w.index, w.analytic, w.numeric
            )?;
        }
        Ok(())
    }
}

/// Compares the tape's gradient of the scalar function `f` at `inputs` with central finite
/// differences `(f(x + h e_i) - f(x - h e_i)) / 2h`, `h = 1e-6`, for every element of every
/// input, in f64.
///
/// ```
/// use tape::{Tensor, gradcheck};
/// let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], [3]);
/// let report = gradcheck(|v| (v[0].tanh() * v[0]).sum(), &[x]);
/// report.assert_within(1e-6);
/// assert!(report.max_rel_error < 1e-8);
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>]) -> GradCheck
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    const H: f64 = 1e-6;
    let eval = |xs: &[Tensor<f64>]| -> f64 {
        let tape = Tape::new();
        let vars: Vec<_> = xs.iter().map(|x| tape.var(x.clone())).collect();
        f(&vars).item()
    };
    let analytic: Vec<Tensor<f64>> = {
        let tape = Tape::new();
        let vars: Vec<_> = inputs.iter().map(|x| tape.var(x.clone())).collect();
        f(&vars).backward();
        vars.iter()
            .map(|v| v.grad().unwrap_or_else(|| Tensor::zeros(v.shape())))
            .collect()
    };
    let mut report = GradCheck {
        max_abs_error: 0.0,
        max_rel_error: 0.0,
        worst: None,
        checked: 0,
    };
    let mut xs: Vec<Tensor<f64>> = inputs.to_vec();
    for (input, grad) in analytic.iter().enumerate() {
        for index in 0..grad.numel() {
            let x0 = xs[input].data()[index];
            xs[input].data_mut()[index] = x0 + H;
            let up = eval(&xs);
            xs[input].data_mut()[index] = x0 - H;
            let down = eval(&xs);
            xs[input].data_mut()[index] = x0;
            let numeric = (up - down) / (2.0 * H);
            let a = grad.data()[index];
            let abs = (a - numeric).abs();
            let rel = abs / 1f64.max(a.abs()).max(numeric.abs());
            report.checked += 1;
            report.max_abs_error = report.max_abs_error.max(abs);
            if rel > report.max_rel_error || report.worst.is_none() || rel.is_nan() {
                report.max_rel_error = if rel.is_nan() { f64::INFINITY } else { rel };
                report.worst = Some(Mismatch {
                    input,
                    index,
                    analytic: a,
                    numeric,
                });
            }
        }
    }
    report
}
