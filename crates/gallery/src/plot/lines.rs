//! Line panels: named `(x, y)` series, optionally on a log y axis.

use super::*;

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
/// use gallery::plot::{Lines, lines};
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
