//! SVG plots (plotters' SVG backend: no font or image libraries needed): the training curves
//! of [`train::fit()`], and small general figures for the examples.
//!
//! Each figure function writes one SVG file of one or more panels side by side (three per
//! row), creates the file's folder if missing, and returns an error naming the path if it
//! cannot. Panels are described with builder methods:
//!
//! - [`scatter`] of [`Scatter`] panels: 2-D points coloured by class or by a continuous value;
//! - [`lines`] of [`Lines`] panels: named `(x, y)` series, optionally on a log y axis;
//! - [`histograms`] of [`Histograms`] panels: overlaid histograms of named samples;
//! - [`image_grid`] of [`Tile`]s: grey images with optional boxes drawn on them;
//! - [`decision_regions`] of [`Regions`] panels: a classifier's predicted class over the plane,
//!   with the labelled points on top.
//!
//! [`points`] turns a `[n, 2]` tensor into the `(x, y)` pairs these take, and
//! [`moving_average`] smooths a noisy curve.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use tape::{Float, Tensor};

use train::History;

mod histograms;
mod images;
mod lines;
mod regions;
mod scatter;

pub use histograms::{Histograms, histograms};
pub use images::{Tile, image_grid};
pub use lines::{Lines, lines};
pub use regions::{Regions, decision_regions};
pub use scatter::{Scatter, scatter};

/// One named curve of `(x, y)` points.
struct Curve<'a> {
    name: &'a str,
    points: Vec<(f64, f64)>,
    color: RGBColor,
}

/// Writes an SVG with two panels, loss and accuracy per epoch, each with its training and
/// validation curves. Epochs whose validation metrics are NaN (no validation data) are skipped.
pub fn training_curves(history: &History, path: impl AsRef<Path>) -> Result<(), String> {
    let path = path.as_ref();
    let epochs = &history.epochs;
    let series = |f: fn(&train::EpochMetrics) -> f64| -> Vec<(f64, f64)> {
        epochs
            .iter()
            .map(|m| (m.epoch as f64, f(m)))
            .filter(|(_, y)| y.is_finite())
            .collect()
    };
    let loss = [
        Curve {
            name: "train loss",
            points: series(|m| m.train_loss),
            color: BLUE,
        },
        Curve {
            name: "validation loss",
            points: series(|m| m.val_loss),
            color: RED,
        },
    ];
    let accuracy = [
        Curve {
            name: "train accuracy",
            points: series(|m| m.train_accuracy),
            color: BLUE,
        },
        Curve {
            name: "validation accuracy",
            points: series(|m| m.val_accuracy),
            color: RED,
        },
    ];
    let annotate = |e: String| format!("{}: cannot draw the plot: {e}", path.display());
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| annotate(e.to_string()))?;
    let (left, right) = root.split_horizontally(500);
    line_panel(&left, "loss per epoch", &loss).map_err(annotate)?;
    line_panel(&right, "accuracy per epoch", &accuracy).map_err(annotate)?;
    root.present().map_err(|e| annotate(e.to_string()))
}

/// Draws curves on one panel, with axes fitted to the data and a legend.
fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    curves: &[Curve<'_>],
) -> Result<(), String> {
    let points = curves.iter().flat_map(|c| c.points.iter());
    let (mut x_max, mut y_min, mut y_max) = (1.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in points {
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    if !y_min.is_finite() {
        (y_min, y_max) = (0.0, 1.0);
    }
    let pad = ((y_max - y_min) * 0.08).max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(52)
        .build_cartesian_2d(1.0..x_max.max(2.0), (y_min - pad)..(y_max + pad))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_labels((x_max as usize).clamp(2, 10))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("epoch")
        .draw()
        .map_err(|e| e.to_string())?;
    for curve in curves {
        let color = curve.color;
        chart
            .draw_series(LineSeries::new(
                curve.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(curve.name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Figures for the examples. Each function below writes one SVG of one or more panels laid out
// left to right (three per row), built from small panel descriptions with builder methods.
// ---------------------------------------------------------------------------------------------

/// A colour, e.g. `RGBColor(0, 160, 0)`; plotters' named colours (`plotters::style::GREEN`)
/// are of this type too.
pub use plotters::style::RGBColor;

/// The colour of a true (ground-truth) box in [`Tile::outline`]: green.
pub const TRUTH: RGBColor = RGBColor(0, 200, 0);
/// The colour of a predicted box in [`Tile::outline`]: red.
pub const PREDICTION: RGBColor = RGBColor(230, 30, 30);

/// The qualitative palette of class colours (Tableau 10); class `k` gets `CLASS_COLORS[k % 10]`.
const CLASS_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of class `k` in every figure (ten distinct colours, then they repeat).
pub fn class_color(k: usize) -> RGBColor {
    CLASS_COLORS[k % CLASS_COLORS.len()]
}

/// A perceptually ordered colour for `t` in `[0, 1]` (an approximation of viridis: dark
/// purple at 0, teal at 0.5, yellow at 1); values outside are clamped.
pub fn ramp_color(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let scaled = t * (STOPS.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(STOPS.len() - 2);
    let f = scaled - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `color` blended towards white by `amount` in `[0, 1]` (for filled backgrounds).
fn lighten(color: RGBColor, amount: f64) -> RGBColor {
    let mix = |c: u8| (c as f64 + (255.0 - c as f64) * amount).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// The rows of a `[n, 2]` tensor as `(x, y)` points, ready for [`Scatter`] or
/// [`Regions`].
///
/// Panics if the tensor is not of shape `[n, 2]`.
pub fn points<T: Float>(xy: &Tensor<T>) -> Vec<(f64, f64)> {
    assert!(
        xy.rank() == 2 && xy.dims()[1] == 2,
        "plot::points: expected a tensor of shape [n, 2], got {}",
        xy.shape()
    );
    xy.data()
        .chunks_exact(2)
        .map(|p| (p[0].to_f64(), p[1].to_f64()))
        .collect()
}

/// The running mean of the last `window` values at each position (fewer at the start), to
/// draw a noisy curve (losses per step, returns per episode) with its trend.
///
/// ```
/// assert_eq!(gallery::plot::moving_average(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
/// ```
pub fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let window = window.max(1);
    let mut sum = 0.0;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            sum += v;
            if i >= window {
                sum -= values[i - window];
            }
            sum / (i + 1).min(window) as f64
        })
        .collect()
}

/// The drawing area of one panel.
type Panel<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// The width and height of one panel of a figure, in pixels.
const PANEL_SIZE: (u32, u32) = (460, 420);
/// Panels per row of a figure.
const PANELS_PER_ROW: usize = 3;

/// Writes an SVG of `panels` laid out in rows of three, each drawn by `draw` into its own
/// area; creates the parent folder if missing. Errors name the path.
fn figure<P>(
    path: &Path,
    panels: &[P],
    size: (u32, u32),
    draw: impl Fn(&Panel<'_>, &P) -> Result<(), String>,
) -> Result<(), String> {
    let annotate = |e: String| format!("{}: cannot draw the plot: {e}", path.display());
    if panels.is_empty() {
        return Err(annotate("no panels to draw".into()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| annotate(format!("cannot create {}: {e}", dir.display())))?;
    }
    let columns = panels.len().min(PANELS_PER_ROW);
    let rows = panels.len().div_ceil(PANELS_PER_ROW);
    let root =
        SVGBackend::new(path, (size.0 * columns as u32, size.1 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| annotate(e.to_string()))?;
    for (area, panel) in root.split_evenly((rows, columns)).iter().zip(panels) {
        draw(area, panel).map_err(annotate)?;
    }
    root.present().map_err(|e| annotate(e.to_string()))
}

/// The smallest and largest finite values, padded by `pad` of the span (a unit span around a
/// single value; `(0, 1)` when there is none).
fn padded_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * lo.abs().max(1.0) {
        return (lo - 0.5, hi + 0.5);
    }
    (lo - pad * span, hi + pad * span)
}

/// An axis label: at most three decimals and no trailing zeros (`1000`, `0.25`, `-1.5`),
/// scientific notation for very large or small magnitudes.
fn tick(v: f64) -> String {
    if v != 0.0 && !(1e-2..1e5).contains(&v.abs()) {
        return format!("{v:.0e}");
    }
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// Draws the legend of a chart whose series were given labels.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Checks that a per-point annotation has one entry per point.
fn check_len(what: &str, title: &str, got: usize, points: usize) -> Result<(), String> {
    if got == points {
        Ok(())
    } else {
        Err(format!("panel '{title}': {got} {what} for {points} points"))
    }
}
