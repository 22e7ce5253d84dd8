//! Decision-region panels: a classifier's predicted class over the plane.

use super::*;

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
/// use gallery::plot::{Regions, decision_regions};
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
