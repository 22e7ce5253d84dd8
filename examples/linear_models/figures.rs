//! The two figures: the classifiers' decision regions, and the regression weights with the
//! LASSO's convergence.

use std::path::Path;

use gallery::plot::{self, Lines, Regions};

use super::classifiers::{Classifiers, Line};
use super::data::{Blobs, TRUE_WEIGHTS};
use super::regression::Tabular;

/// Each classifier's regions over the training points, in `linear_models_classifiers.svg`.
pub fn draw_classifiers(out: &Path, train: &Blobs, c: &Classifiers) -> Result<(), String> {
    let points = plot::points(&train.points);
    let names = ["y = -1", "y = +1"];
    let boost_regions = |grid: &[(f64, f64)]| {
        grid.iter()
            .map(|&(a, b)| {
                let score: f64 = c
                    .ensemble
                    .iter()
                    .map(|(s, alpha)| alpha * s.predict(&[a, b]))
                    .sum();
                usize::from(score > 0.0)
            })
            .collect()
    };
    let title = |i: usize| {
        format!(
            "{} (test {:.3})",
            c.accuracies[i].name, c.accuracies[i].test
        )
    };
    let panel = |title: String, line: Line| {
        Regions::new(title, points.clone(), &train.labels, linear_regions(line))
            .legend(&names)
            .resolution(80)
    };
    let mut panels: Vec<Regions<'_>> = (0..4).map(|i| panel(title(i), c.lines[i])).collect();
    panels.push(
        Regions::new(title(4), points.clone(), &train.labels, boost_regions)
            .legend(&names)
            .resolution(80),
    );
    let bayes = format!("Bayes classifier (test {:.3})", c.bayes_test_accuracy);
    panels.push(panel(bayes, c.bayes));
    plot::decision_regions(out.join("linear_models_classifiers.svg"), &panels)
}

/// A linear classifier's regions: class 1 where `w . p + b > 0`.
fn linear_regions((w, b): Line) -> impl Fn(&[(f64, f64)]) -> Vec<usize> {
    move |grid| {
        grid.iter()
            .map(|&(x, y)| usize::from(w[0] * x + w[1] * y + b > 0.0))
            .collect()
    }
}

/// The regression weights against the true ones, and the LASSO objective's excess over its
/// optimum, in `linear_models_regression.svg`.
pub fn draw_regression(out: &Path, t: &Tabular, lambda: f64) -> Result<(), String> {
    let d = TRUE_WEIGHTS.len();
    let index = |v: &[f64]| {
        v[..d]
            .iter()
            .enumerate()
            .map(|(i, &w)| (i as f64, w))
            .collect::<Vec<_>>()
    };
    let [linear, ridge, lasso] = &t.thetas;
    plot::lines(
        out.join("linear_models_regression.svg"),
        &[
            Lines::new("weights of the 8 features")
                .x_label("feature")
                .y_label("weight")
                .series("true", index(&TRUE_WEIGHTS))
                .series("least squares", index(linear))
                .series(format!("ridge (lambda {lambda})"), index(ridge))
                .series(format!("LASSO (lambda {lambda})"), index(lasso)),
            Lines::new("LASSO: objective - coordinate-descent optimum")
                .x_label("step")
                .log_y()
                .values("Adam on the LASSO objective", &t.lasso_excess),
        ],
    )
}
