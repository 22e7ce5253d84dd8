//! Scatter panels: 2-D points coloured by class or by a continuous value.

use super::*;

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

/// Writes an SVG of scatter panels side by side.
///
/// ```no_run
/// use gallery::plot::{Scatter, scatter};
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
