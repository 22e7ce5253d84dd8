//! SVG plots of training curves (plotters' SVG backend: no font or image libraries needed).

use std::path::Path;

use plotters::prelude::*;

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
