//! Histogram panels: overlaid histograms of named samples on shared bins.

use super::*;

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
/// use gallery::plot::{Histograms, histograms};
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
