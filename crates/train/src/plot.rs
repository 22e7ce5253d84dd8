//! SVG plots (plotters' SVG backend: no font or image libraries needed): the training curves
//! of [`fit`](crate::fit()), and small general figures for the examples.
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

use crate::fit::History;

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
    let series = |f: fn(&crate::fit::EpochMetrics) -> f64| -> Vec<(f64, f64)> {
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
/// assert_eq!(train::plot::moving_average(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
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

/// How the points of a [`Scatter`] panel are coloured.
#[derive(Clone, Debug)]
enum PointColors {
    Single(RGBColor),
    Classes(Vec<usize>),
    Values(Vec<f64>),
}

/// One panel of a [`scatter`] figure: 2-D points, in one colour, coloured by class index
/// ([`Scatter::classes`]) or by a continuous value ([`Scatter::values`]).
#[derive(Clone, Debug)]
pub struct Scatter {
    title: String,
    points: Vec<(f64, f64)>,
    colors: PointColors,
    legend: Vec<String>,
    range: Option<((f64, f64), (f64, f64))>,
    point_size: u32,
}

impl Scatter {
    /// A panel titled `title` of `points` (see [`points`] for a `[n, 2]` tensor), all in the
    /// colour of class 0 (blue).
    pub fn new(title: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Scatter {
            title: title.into(),
            points,
            colors: PointColors::Single(class_color(0)),
            legend: Vec::new(),
            range: None,
            point_size: 2,
        }
    }

    /// Draws every point in `color`.
    pub fn color(mut self, color: RGBColor) -> Self {
        self.colors = PointColors::Single(color);
        self
    }

    /// Colours point `i` by its class `labels[i]` (see [`class_color`]).
    pub fn classes(mut self, labels: &[usize]) -> Self {
        self.colors = PointColors::Classes(labels.to_vec());
        self
    }

    /// Colours point `i` by `values[i]` on [`ramp_color`], from the smallest value (dark) to
    /// the largest (yellow).
    pub fn values(mut self, values: &[f64]) -> Self {
        self.colors = PointColors::Values(values.to_vec());
        self
    }

    /// Names of the classes `0, 1, ...` for a legend (with [`Scatter::classes`]).
    pub fn legend<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.legend = names.iter().map(|n| n.as_ref().to_string()).collect();
        self
    }

    /// Fixed axis ranges `(min, max)` instead of ranges fitted to the points (to compare
    /// panels on the same axes).
    pub fn range(mut self, x: (f64, f64), y: (f64, f64)) -> Self {
        self.range = Some((x, y));
        self
    }

    /// The radius of the dots in pixels (default 2).
    pub fn point_size(mut self, pixels: u32) -> Self {
        self.point_size = pixels;
        self
    }
}

/// Checks that a per-point annotation has one entry per point.
fn check_len(what: &str, title: &str, got: usize, points: usize) -> Result<(), String> {
    if got == points {
        Ok(())
    } else {
        Err(format!("panel '{title}': {got} {what} for {points} points"))
    }
}

/// Writes an SVG of scatter panels side by side.
///
/// ```no_run
/// use train::plot::{Scatter, scatter};
/// let pts = vec![(0.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
/// scatter("out/points.svg", &[Scatter::new("by class", pts).classes(&[0, 1, 1]).legend(&["a", "b"])])?;
/// # Ok::<(), String>(())
/// ```
pub fn scatter(path: impl AsRef<Path>, panels: &[Scatter]) -> Result<(), String> {
    figure(path.as_ref(), panels, PANEL_SIZE, draw_scatter)
}

fn draw_scatter(area: &Panel<'_>, panel: &Scatter) -> Result<(), String> {
    let n = panel.points.len();
    match &panel.colors {
        PointColors::Single(_) => {}
        PointColors::Classes(labels) => check_len("labels", &panel.title, labels.len(), n)?,
        PointColors::Values(values) => check_len("values", &panel.title, values.len(), n)?,
    }
    let ((x0, x1), (y0, y1)) = panel.range.unwrap_or_else(|| {
        (
            padded_range(panel.points.iter().map(|p| p.0), 0.05),
            padded_range(panel.points.iter().map(|p| p.1), 0.05),
        )
    });
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    let size = panel.point_size;
    let inside = |&(x, y): &(f64, f64)| x >= x0 && x <= x1 && y >= y0 && y <= y1;
    match &panel.colors {
        PointColors::Single(color) => {
            let dots = panel.points.iter().filter(|p| inside(p));
            chart
                .draw_series(dots.map(|&p| Circle::new(p, size, color.filled())))
                .map_err(|e| e.to_string())?;
        }
        PointColors::Values(values) => {
            let (lo, hi) = padded_range(values.iter().copied(), 0.0);
            let dots = panel.points.iter().zip(values).filter(|(p, _)| inside(p));
            chart
                .draw_series(dots.map(|(&p, &v)| {
                    Circle::new(p, size, ramp_color((v - lo) / (hi - lo)).filled())
                }))
                .map_err(|e| e.to_string())?;
        }
        PointColors::Classes(labels) => {
            let classes = labels.iter().max().map_or(0, |&m| m + 1);
            for class in 0..classes {
                let color = class_color(class);
                let dots = panel
                    .points
                    .iter()
                    .zip(labels)
                    .filter(|&(p, &l)| l == class && inside(p));
                let series = chart
                    .draw_series(dots.map(|(&p, _)| Circle::new(p, size, color.filled())))
                    .map_err(|e| e.to_string())?;
                if let Some(name) = panel.legend.get(class) {
                    series
                        .label(name.as_str())
                        .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
                }
            }
            if !panel.legend.is_empty() {
                draw_legend(&mut chart)?;
            }
        }
    }
    Ok(())
}

/// One panel of a [`lines`] figure: named `(x, y)` series, optionally on a log-scaled y axis.
#[derive(Clone, Debug)]
pub struct Lines {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<(String, Vec<(f64, f64)>)>,
    log_y: bool,
}

impl Lines {
    /// An empty panel titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Lines {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            log_y: false,
        }
    }

    /// Adds a curve named `name` (shown in the legend) through `points`, in class colour
    /// order (blue, orange, green, ...).
    pub fn series(mut self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series.push((name.into(), points));
        self
    }

    /// Adds a curve of `values` against their index `0, 1, 2, ...`.
    pub fn values(self, name: impl Into<String>, values: &[f64]) -> Self {
        let points = values.iter().enumerate().map(|(i, &v)| (i as f64, v));
        self.series(name, points.collect())
    }

    /// The x axis description.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// The y axis description.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// A logarithmic y axis (points with `y <= 0` are left out).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
}

/// Writes an SVG of line-plot panels side by side.
///
/// ```no_run
/// use train::plot::{Lines, lines};
/// let loss = [2.0, 1.0, 0.5, 0.3];
/// lines("out/loss.svg", &[Lines::new("loss").x_label("step").values("train", &loss).log_y()])?;
/// # Ok::<(), String>(())
/// ```
pub fn lines(path: impl AsRef<Path>, panels: &[Lines]) -> Result<(), String> {
    figure(path.as_ref(), panels, PANEL_SIZE, draw_lines)
}

fn draw_lines(area: &Panel<'_>, panel: &Lines) -> Result<(), String> {
    let keep = |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite() && (!panel.log_y || y > 0.0);
    let all = || {
        panel
            .series
            .iter()
            .flat_map(|(_, pts)| pts.iter().filter(keep))
    };
    let (x0, x1) = padded_range(all().map(|p| p.0), 0.0);
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(if panel.x_label.is_empty() { 28 } else { 40 })
        .y_label_area_size(if panel.y_label.is_empty() { 52 } else { 64 });
    if panel.log_y {
        // Whole decades (a hair wider against rounding), so that both ends of the axis carry
        // a labelled power of ten.
        let (lo, hi) = padded_range(all().map(|p| p.1.log10()), 0.0);
        let y = 10f64.powf(lo.floor() - 1e-6)..10f64.powf(hi.ceil() + 1e-6);
        let chart = builder
            .build_cartesian_2d(x0..x1, y.log_scale())
            .map_err(|e| e.to_string())?;
        draw_curves(chart, panel, keep)
    } else {
        let (lo, hi) = padded_range(all().map(|p| p.1), 0.05);
        let chart = builder
            .build_cartesian_2d(x0..x1, lo..hi)
            .map_err(|e| e.to_string())?;
        draw_curves(chart, panel, keep)
    }
}

/// Draws the mesh, the curves and the legend of a [`Lines`] panel on a linear or log y axis.
fn draw_curves<'a, DB: DrawingBackend + 'a, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    panel: &Lines,
    keep: impl Fn(&&(f64, f64)) -> bool,
) -> Result<(), String>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(WHITE)
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (name, points)) in panel.series.iter().enumerate() {
        let color = class_color(k);
        chart
            .draw_series(LineSeries::new(
                points.iter().filter(&keep).copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    if panel.series.iter().any(|(name, _)| !name.is_empty()) {
        draw_legend(&mut chart)?;
    }
    Ok(())
}

/// One panel of a [`histograms`] figure: overlaid histograms of named samples on shared bins.
/// Bar heights are the *fraction* of each sample in the bin, so samples of different sizes
/// compare.
#[derive(Clone, Debug)]
pub struct Histograms {
    title: String,
    x_label: String,
    samples: Vec<(String, Vec<f64>)>,
    bins: usize,
    range: Option<(f64, f64)>,
}

impl Histograms {
    /// An empty panel titled `title`, with 30 bins.
    pub fn new(title: impl Into<String>) -> Self {
        Histograms {
            title: title.into(),
            x_label: String::new(),
            samples: Vec::new(),
            bins: 30,
            range: None,
        }
    }

    /// Adds a sample named `name` (shown in the legend), in class colour order.
    pub fn sample(mut self, name: impl Into<String>, values: Vec<f64>) -> Self {
        self.samples.push((name.into(), values));
        self
    }

    /// The number of bins (at least 1).
    pub fn bins(mut self, bins: usize) -> Self {
        self.bins = bins.max(1);
        self
    }

    /// The range `(min, max)` the bins span, instead of the samples' range; values outside are
    /// left out.
    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }

    /// The x axis description.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }
}

/// Writes an SVG of histogram panels side by side.
///
/// ```no_run
/// use train::plot::{Histograms, histograms};
/// let panel = Histograms::new("distances").sample("same", vec![0.1, 0.2]).sample("different", vec![0.8, 0.9]);
/// histograms("out/hist.svg", &[panel.bins(20).x_label("distance")])?;
/// # Ok::<(), String>(())
/// ```
pub fn histograms(path: impl AsRef<Path>, panels: &[Histograms]) -> Result<(), String> {
    figure(path.as_ref(), panels, PANEL_SIZE, draw_histograms)
}

fn draw_histograms(area: &Panel<'_>, panel: &Histograms) -> Result<(), String> {
    let (lo, hi) = panel.range.unwrap_or_else(|| {
        padded_range(
            panel.samples.iter().flat_map(|(_, v)| v.iter().copied()),
            0.0,
        )
    });
    let width = (hi - lo) / panel.bins as f64;
    let fractions: Vec<Vec<f64>> = panel
        .samples
        .iter()
        .map(|(_, values)| {
            let mut counts = vec![0.0; panel.bins];
            for &v in values.iter().filter(|v| (lo..=hi).contains(*v)) {
                counts[(((v - lo) / width) as usize).min(panel.bins - 1)] += 1.0;
            }
            counts
                .iter()
                .map(|c| c / values.len().max(1) as f64)
                .collect()
        })
        .collect();
    let top = fractions.iter().flatten().fold(0.0f64, |m, &f| m.max(f));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(if panel.x_label.is_empty() { 28 } else { 40 })
        .y_label_area_size(52)
        .build_cartesian_2d(lo..hi, 0.0..(top * 1.1).max(1e-3))
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(WHITE)
        .x_desc(panel.x_label.as_str())
        .y_desc("fraction of the sample")
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, ((name, _), fractions)) in panel.samples.iter().zip(&fractions).enumerate() {
        let color = class_color(k);
        let bars = fractions
            .iter()
            .enumerate()
            .filter(|(_, f)| **f > 0.0)
            .map(|(i, &f)| {
                let left = lo + i as f64 * width;
                Rectangle::new([(left, 0.0), (left + width, f)], color.mix(0.45).filled())
            });
        chart
            .draw_series(bars)
            .map_err(|e| e.to_string())?
            .label(name.as_str())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], color.mix(0.6).filled())
            });
    }
    draw_legend(&mut chart)
}

/// One image of an [`image_grid`]: grey pixels in `[0, 1]` (0 black, 1 white, values outside
/// clamped), with an optional caption and box outlines drawn on top.
#[derive(Clone, Debug)]
pub struct Tile {
    pixels: Vec<f64>,
    width: usize,
    height: usize,
    caption: String,
    boxes: Vec<([f64; 4], RGBColor)>,
}

impl Tile {
    /// A `width x height` image from row-major `pixels` (`f32` or `f64`).
    ///
    /// Panics if `pixels` does not hold `width * height` values.
    pub fn new<P: Copy + Into<f64>>(pixels: &[P], width: usize, height: usize) -> Self {
        assert_eq!(
            pixels.len(),
            width * height,
            "plot::Tile::new: {} pixels for a {width} x {height} image",
            pixels.len()
        );
        Tile {
            pixels: pixels.iter().map(|&p| p.into()).collect(),
            width,
            height,
            caption: String::new(),
            boxes: Vec::new(),
        }
    }

    /// A caption above the image.
    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = caption.into();
        self
    }

    /// Outlines the box `(x, y, w, h)` (left, top, width, height, in pixels of the image) in
    /// `color`, e.g. [`TRUTH`] or [`PREDICTION`].
    pub fn outline(mut self, xywh: [f64; 4], color: RGBColor) -> Self {
        self.boxes.push((xywh, color));
        self
    }
}

/// How many grey levels an image is drawn with: neighbouring pixels of one level merge into
/// one rectangle, which keeps the SVG small.
const GREY_LEVELS: f64 = 16.0;

/// Writes an SVG of images in a grid of `columns` columns under a title, each scaled to about
/// 120 pixels across.
///
/// ```no_run
/// use train::plot::{Tile, image_grid, PREDICTION, TRUTH};
/// let pixels = vec![0.0f32; 16 * 16];
/// let tile = Tile::new(&pixels, 16, 16).caption("rectangle").outline([2.0, 3.0, 8.0, 6.0], TRUTH);
/// image_grid("out/boxes.svg", "detections", &[tile.outline([3.0, 3.0, 7.0, 6.0], PREDICTION)], 4)?;
/// # Ok::<(), String>(())
/// ```
pub fn image_grid(
    path: impl AsRef<Path>,
    title: &str,
    tiles: &[Tile],
    columns: usize,
) -> Result<(), String> {
    let path = path.as_ref();
    let annotate = |e: String| format!("{}: cannot draw the plot: {e}", path.display());
    if tiles.is_empty() {
        return Err(annotate("no images to draw".into()));
    }
    let columns = columns.clamp(1, tiles.len());
    let rows = tiles.len().div_ceil(columns);
    let side = tiles
        .iter()
        .map(|t| t.width.max(t.height))
        .max()
        .unwrap_or(1);
    let scale = (120.0 / side as f64).max(1.0);
    let cell = (
        (side as f64 * scale) as u32 + 12,
        (side as f64 * scale) as u32 + 30,
    );
    let header = if title.is_empty() { 0 } else { 36 };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| annotate(format!("cannot create {}: {e}", dir.display())))?;
    }
    let size = (cell.0 * columns as u32, cell.1 * rows as u32 + header);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| annotate(e.to_string()))?;
    let grid = if title.is_empty() {
        root.clone()
    } else {
        root.titled(title, ("sans-serif", 20))
            .map_err(|e| annotate(e.to_string()))?
    };
    for (area, tile) in grid.split_evenly((rows, columns)).iter().zip(tiles) {
        draw_tile(area, tile, scale).map_err(annotate)?;
    }
    root.present().map_err(|e| annotate(e.to_string()))
}

fn draw_tile(area: &Panel<'_>, tile: &Tile, scale: f64) -> Result<(), String> {
    // A blank caption still takes its line, so images without one stay aligned with the rest.
    let caption = if tile.caption.is_empty() {
        " "
    } else {
        &tile.caption
    };
    let area = area
        .titled(caption, ("sans-serif", 14))
        .map_err(|e| e.to_string())?;
    let (aw, ah) = area.dim_in_pixel();
    let (w, h) = (tile.width as f64 * scale, tile.height as f64 * scale);
    let (ox, oy) = ((aw as f64 - w) / 2.0, (ah as f64 - h) / 2.0);
    // Pixel (column, row) edges in area coordinates, rounded the same way for neighbours.
    let at = |col: f64, row: f64| {
        (
            (ox + col * scale).round() as i32,
            (oy + row * scale).round() as i32,
        )
    };
    let level = |p: f64| (p.clamp(0.0, 1.0) * (GREY_LEVELS - 1.0)).round();
    let grey = |l: f64| {
        let g = (l / (GREY_LEVELS - 1.0) * 255.0).round() as u8;
        RGBColor(g, g, g)
    };
    area.draw(&Rectangle::new(
        [at(0.0, 0.0), at(tile.width as f64, tile.height as f64)],
        BLACK.filled(),
    ))
    .map_err(|e| e.to_string())?;
    for (row, pixels) in tile.pixels.chunks_exact(tile.width).enumerate() {
        let mut start = 0;
        while start < tile.width {
            let l = level(pixels[start]);
            let end = start
                + pixels[start..]
                    .iter()
                    .take_while(|&&p| level(p) == l)
                    .count();
            if l > 0.0 {
                let (r0, r1) = (row as f64, row as f64 + 1.0);
                area.draw(&Rectangle::new(
                    [at(start as f64, r0), at(end as f64, r1)],
                    grey(l).filled(),
                ))
                .map_err(|e| e.to_string())?;
            }
            start = end;
        }
    }
    for &([x, y, bw, bh], color) in &tile.boxes {
        area.draw(&Rectangle::new(
            [at(x, y), at(x + bw, y + bh)],
            color.stroke_width(2),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A classifier for [`Regions`]: given points, their predicted classes.
type Classifier<'a> = Box<dyn Fn(&[(f64, f64)]) -> Vec<usize> + 'a>;

/// One panel of a [`decision_regions`] figure: a classifier's predicted class over a grid, as
/// a lightly coloured background, with the labelled points on top.
pub struct Regions<'a> {
    title: String,
    points: Vec<(f64, f64)>,
    labels: Vec<usize>,
    classify: Classifier<'a>,
    legend: Vec<String>,
    resolution: usize,
}

impl<'a> Regions<'a> {
    /// A panel titled `title` of `points` with their true `labels`; `classify` maps a batch of
    /// points to predicted classes (called once, with the whole grid).
    pub fn new(
        title: impl Into<String>,
        points: Vec<(f64, f64)>,
        labels: &[usize],
        classify: impl Fn(&[(f64, f64)]) -> Vec<usize> + 'a,
    ) -> Self {
        Regions {
            title: title.into(),
            points,
            labels: labels.to_vec(),
            classify: Box::new(classify),
            legend: Vec::new(),
            resolution: 120,
        }
    }

    /// Names of the classes `0, 1, ...` for a legend.
    pub fn legend<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.legend = names.iter().map(|n| n.as_ref().to_string()).collect();
        self
    }

    /// Grid cells along each axis (default 120).
    pub fn resolution(mut self, cells: usize) -> Self {
        self.resolution = cells.max(2);
        self
    }
}

/// Writes an SVG of decision-region panels side by side.
///
/// ```no_run
/// use train::plot::{Regions, decision_regions};
/// let pts = vec![(-1.0, 0.0), (1.0, 0.0)];
/// let sign = |grid: &[(f64, f64)]| grid.iter().map(|&(x, _)| usize::from(x > 0.0)).collect();
/// decision_regions("out/regions.svg", &[Regions::new("x > 0", pts, &[0, 1], sign)])?;
/// # Ok::<(), String>(())
/// ```
pub fn decision_regions(path: impl AsRef<Path>, panels: &[Regions<'_>]) -> Result<(), String> {
    figure(path.as_ref(), panels, PANEL_SIZE, draw_regions)
}

fn draw_regions(area: &Panel<'_>, panel: &Regions<'_>) -> Result<(), String> {
    check_len(
        "labels",
        &panel.title,
        panel.labels.len(),
        panel.points.len(),
    )?;
    let (x0, x1) = padded_range(panel.points.iter().map(|p| p.0), 0.08);
    let (y0, y1) = padded_range(panel.points.iter().map(|p| p.1), 0.08);
    let cells = panel.resolution;
    let (dx, dy) = ((x1 - x0) / cells as f64, (y1 - y0) / cells as f64);
    let grid: Vec<(f64, f64)> = (0..cells * cells)
        .map(|i| {
            (
                x0 + ((i % cells) as f64 + 0.5) * dx,
                y0 + ((i / cells) as f64 + 0.5) * dy,
            )
        })
        .collect();
    let predicted = (panel.classify)(&grid);
    check_len("predictions", &panel.title, predicted.len(), grid.len())?;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .disable_mesh()
        .draw()
        .map_err(|e| e.to_string())?;
    // One rectangle per run of equal predictions along a grid row keeps the SVG small.
    let mut runs = Vec::new();
    for (row, classes) in predicted.chunks_exact(cells).enumerate() {
        let mut start = 0;
        while start < cells {
            let class = classes[start];
            let end = start + classes[start..].iter().take_while(|&&c| c == class).count();
            let (bottom, top) = (y0 + row as f64 * dy, y0 + (row + 1) as f64 * dy);
            runs.push(Rectangle::new(
                [
                    (x0 + start as f64 * dx, top),
                    (x0 + end as f64 * dx, bottom),
                ],
                lighten(class_color(class), 0.7).filled(),
            ));
            start = end;
        }
    }
    chart.draw_series(runs).map_err(|e| e.to_string())?;
    let classes = panel.labels.iter().max().map_or(0, |&m| m + 1);
    for class in 0..classes {
        let color = class_color(class);
        let dots = panel
            .points
            .iter()
            .zip(&panel.labels)
            .filter(|&(_, &l)| l == class);
        let series = chart
            .draw_series(dots.map(|(&p, _)| Circle::new(p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
        if let Some(name) = panel.legend.get(class) {
            series
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        }
    }
    if !panel.legend.is_empty() {
        draw_legend(&mut chart)?;
    }
    Ok(())
}
