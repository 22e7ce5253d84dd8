//! Image grids: grey images with optional boxes drawn on them.

use super::*;

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
/// use gallery::plot::{Tile, image_grid, PREDICTION, TRUTH};
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
