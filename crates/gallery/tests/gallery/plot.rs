//! The example figures: each writes a non-empty SVG holding what it was given, and reports
//! bad input as an error naming the file.

use gallery::plot::{
    self, Histograms, Lines, PREDICTION, Regions, Scatter, TRUTH, Tile, decision_regions,
    histograms, image_grid, lines, scatter,
};
use tape::Tensor;

fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::scratch("plot", name)
}

/// The SVG text, checked to be a complete SVG document.
fn read_svg(path: &std::path::Path) -> String {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    svg
}

/// How often `pattern` occurs in `text`.
fn count(text: &str, pattern: &str) -> usize {
    text.matches(pattern).count()
}

/// An SVG colour attribute as plotters writes it.
fn hex(c: plot::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

#[test]
fn scatter_draws_one_dot_per_point_and_a_legend_entry_per_class() {
    let dir = scratch("scatter");
    let path = dir.join("nested/scatter.svg"); // the folder is created
    let xy = Tensor::from_vec(vec![0.0f32, 0.0, 1.0, 1.0, 2.0, 0.5, 3.0, 2.0], [4, 2]);
    let pts = plot::points(&xy);
    assert_eq!(pts, vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.5), (3.0, 2.0)]);
    let panels = [
        Scatter::new("by class", pts.clone())
            .classes(&[0, 1, 1, 2])
            .legend(&["zero", "one", "two"]),
        Scatter::new("by value", pts.clone()).values(&[0.0, 1.0, 2.0, 3.0]),
        Scatter::new("fixed range", pts.clone())
            .range((0.0, 1.5), (0.0, 1.5))
            .color(plot::RGBColor(1, 2, 3)),
    ];
    scatter(&path, &panels).unwrap();
    let svg = read_svg(&path);
    // 4 + 4 + 2 dots (two points fall outside the fixed range) + 3 legend markers.
    assert_eq!(count(&svg, "<circle"), 13);
    for text in ["by class", "by value", "fixed range", "zero", "one", "two"] {
        assert!(svg.contains(text), "missing {text}");
    }
    assert_eq!(count(&svg, "#010203"), 2);
    // The value ramp runs from dark purple to yellow.
    assert!(svg.contains(&hex(plot::ramp_color(0.0))));
    assert!(svg.contains(&hex(plot::ramp_color(1.0))));
    assert_eq!(plot::ramp_color(0.0), plot::RGBColor(68, 1, 84));
    assert_eq!(plot::ramp_color(7.0), plot::RGBColor(253, 231, 37));
}

#[test]
fn scatter_reports_mismatched_labels_and_no_panels() {
    let dir = scratch("scatter-bad");
    let path = dir.join("bad.svg");
    let panel = Scatter::new("p", vec![(0.0, 0.0), (1.0, 1.0)]).classes(&[0]);
    let err = scatter(&path, &[panel]).unwrap_err();
    assert!(
        err.contains("bad.svg") && err.contains("1 labels for 2 points"),
        "{err}"
    );
    let err = scatter(&path, &[]).unwrap_err();
    assert!(
        err.contains("bad.svg") && err.contains("no panels"),
        "{err}"
    );
}

#[test]
fn lines_draw_each_series_and_skip_nonpositive_values_on_a_log_axis() {
    let dir = scratch("lines");
    let path = dir.join("lines.svg");
    let losses = [4.0, 2.0, 1.0, 0.5, 0.25];
    let panels = [
        Lines::new("linear")
            .x_label("step")
            .y_label("loss")
            .values("generator", &losses)
            .series("discriminator", vec![(0.0, 1.0), (4.0, -1.0)]),
        Lines::new("log")
            .values("generator", &losses)
            .values("zero", &[0.0, 0.0])
            .log_y(),
    ];
    lines(&path, &panels).unwrap();
    let svg = read_svg(&path);
    for text in [
        "linear",
        "log",
        "step",
        "loss",
        "generator",
        "discriminator",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    // Each curve is one polyline in its series colour.
    let curves = |k| {
        count(
            &svg,
            &format!(
                "<polyline fill=\"none\" opacity=\"1\" stroke=\"{}\" stroke-width=\"2\"",
                hex(plot::class_color(k))
            ),
        )
    };
    // "generator" twice (one per panel), "discriminator", and "zero" drops out on the log axis
    // but keeps its legend entry: each legend entry is a short polyline too.
    assert_eq!(curves(0), 4);
    assert_eq!(curves(1), 3);
}

#[test]
fn moving_average_smooths_over_the_window() {
    let smooth = plot::moving_average(&[2.0, 4.0, 6.0, 8.0, 10.0], 3);
    assert_eq!(smooth, vec![2.0, 3.0, 4.0, 6.0, 8.0]);
    assert_eq!(plot::moving_average(&[], 5), Vec::<f64>::new());
}

#[test]
fn histograms_draw_a_bar_per_nonempty_bin() {
    let dir = scratch("hist");
    let path = dir.join("hist.svg");
    // On 4 bins over [0, 4]: "low" fills bins 0 and 1, "high" fills bin 3 only.
    let panel = Histograms::new("distances")
        .x_label("distance")
        .sample("low", vec![0.5, 0.6, 1.5])
        .sample("high", vec![3.5, 4.0])
        .bins(4)
        .range(0.0, 4.0);
    histograms(&path, &[panel]).unwrap();
    let svg = read_svg(&path);
    for text in [
        "distances",
        "distance",
        "low",
        "high",
        "fraction of the sample",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    let bars = |c| count(&svg, &format!("opacity=\"0.45\" fill=\"{}\"", hex(c)));
    assert_eq!(bars(plot::class_color(0)), 2);
    assert_eq!(bars(plot::class_color(1)), 1);
}

#[test]
fn image_grid_merges_equal_pixels_and_draws_the_boxes() {
    let dir = scratch("images");
    let path = dir.join("images.svg");
    // A 8x8 image, black with a white 4x4 square: one run per white row.
    let mut pixels = vec![0.0f32; 64];
    for row in 2..6 {
        pixels[row * 8 + 2..row * 8 + 6].fill(1.0);
    }
    let tiles = [
        Tile::new(&pixels, 8, 8)
            .caption("square")
            .outline([2.0, 2.0, 4.0, 4.0], TRUTH)
            .outline([1.0, 2.0, 5.0, 4.0], PREDICTION),
        Tile::new(&vec![0.0f64; 64], 8, 8),
    ];
    image_grid(&path, "boxes", &tiles, 2).unwrap();
    let svg = read_svg(&path);
    assert!(svg.contains("boxes") && svg.contains("square"));
    assert_eq!(count(&svg, "fill=\"#FFFFFF\""), 1 + 4); // the page, then 4 white runs
    assert_eq!(count(&svg, &format!("stroke=\"{}\"", hex(TRUTH))), 1);
    assert_eq!(count(&svg, &format!("stroke=\"{}\"", hex(PREDICTION))), 1);
    let err = image_grid(&path, "none", &[], 3).unwrap_err();
    assert!(
        err.contains("images.svg") && err.contains("no images"),
        "{err}"
    );
}

#[test]
fn decision_regions_fill_the_plane_by_predicted_class() {
    let dir = scratch("regions");
    let path = dir.join("regions.svg");
    let pts = vec![(-1.0, 0.0), (-0.5, 1.0), (1.0, 0.0), (0.5, -1.0)];
    let calls = std::cell::Cell::new(0);
    let sign = |grid: &[(f64, f64)]| {
        calls.set(calls.get() + 1);
        grid.iter().map(|&(x, _)| usize::from(x > 0.0)).collect()
    };
    let panel = Regions::new("x > 0", pts, &[0, 0, 1, 1], sign)
        .legend(&["left", "right"])
        .resolution(10);
    decision_regions(&path, &[panel]).unwrap();
    assert_eq!(calls.get(), 1); // one batched call for the whole grid
    let svg = read_svg(&path);
    assert!(svg.contains("x &gt; 0") && svg.contains("left") && svg.contains("right"));
    // 10 grid rows of one run per class, each in its class colour lightened 70% to white.
    let light = |k| {
        let c = plot::class_color(k);
        let mix = |v: u8| (v as f64 + (255.0 - v as f64) * 0.7).round() as u8;
        format!(
            "fill=\"{}\"",
            hex(plot::RGBColor(mix(c.0), mix(c.1), mix(c.2)))
        )
    };
    assert_eq!(count(&svg, &light(0)), 10);
    assert_eq!(count(&svg, &light(1)), 10);
    assert_eq!(count(&svg, "<circle"), 4 + 2);
    let wrong = Regions::new("short", vec![(0.0, 0.0)], &[0], |_: &[(f64, f64)]| vec![0]);
    let err = decision_regions(dir.join("wrong.svg"), &[wrong]).unwrap_err();
    assert!(err.contains("1 predictions for"), "{err}");
}
