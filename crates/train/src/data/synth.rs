//! Built-in data generators, so every example runs offline. All draw from the caller's seeded
//! generator: the same seed gives the same data, bit for bit.
//!
//! - [`digits`]: MNIST-style 28x28 handwritten-looking digits, 10 classes;
//! - [`GaussianMixture`]: points around given centres (with the 8-Gaussians ring of GAN papers);
//! - [`swiss_roll`]: a 2-D sheet rolled up in 3-D, with its unrolled coordinates;
//! - [`boxes`]: images holding one shape of three classes, with its bounding box.

use std::f32::consts::PI;

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use tape::Tensor;

use super::Dataset;

/// The side of a rendered digit image, in pixels.
pub const DIGIT_SIDE: usize = 28;

/// A point in the unit box of a digit's strokes: x to the right, y downwards.
type Point = (f32, f32);

/// Points along an elliptical arc centred at `(cx, cy)` with radii `(rx, ry)`, from angle
/// `from` to `to` in degrees (0 = right, 90 = down, as on screen).
fn arc(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32) -> Vec<Point> {
    let segments = (((to - from).abs() / 15.0).ceil() as usize).max(2);
    (0..=segments)
        .map(|i| {
            let t = (from + (to - from) * i as f32 / segments as f32).to_radians();
            (cx + rx * t.cos(), cy + ry * t.sin())
        })
        .collect()
}

/// Points along the quadratic Bezier curve from `a` to `c` pulled towards `b`.
fn bezier(a: Point, b: Point, c: Point) -> Vec<Point> {
    (0..=8)
        .map(|i| {
            let t = i as f32 / 8.0;
            let (u, v, w) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t);
            (u * a.0 + v * b.0 + w * c.0, u * a.1 + v * b.1 + w * c.1)
        })
        .collect()
}

/// The pen strokes of each digit, as polylines in the unit box.
fn digit_strokes(digit: usize) -> Vec<Vec<Point>> {
    match digit {
        0 => vec![arc(0.5, 0.5, 0.27, 0.42, 0.0, 360.0)],
        1 => vec![vec![(0.36, 0.2), (0.52, 0.06), (0.52, 0.94)]],
        2 => {
            let mut s = arc(0.5, 0.32, 0.25, 0.24, 200.0, 380.0);
            s.extend([(0.24, 0.92), (0.8, 0.92)]);
            vec![s]
        }
        3 => vec![
            arc(0.47, 0.29, 0.23, 0.2, 200.0, 450.0),
            arc(0.47, 0.7, 0.27, 0.22, 270.0, 520.0),
        ],
        4 => vec![vec![(0.66, 0.94), (0.66, 0.06), (0.2, 0.66), (0.82, 0.66)]],
        5 => {
            let mut s = vec![(0.76, 0.08), (0.32, 0.08), (0.29, 0.47)];
            s.extend(arc(0.48, 0.67, 0.27, 0.25, 225.0, 500.0));
            vec![s]
        }
        6 => vec![
            bezier((0.7, 0.08), (0.3, 0.2), (0.27, 0.66)),
            arc(0.5, 0.68, 0.23, 0.24, 180.0, 540.0),
        ],
        7 => vec![vec![(0.2, 0.08), (0.8, 0.08), (0.42, 0.94)]],
        8 => vec![
            arc(0.5, 0.28, 0.19, 0.2, 0.0, 360.0),
            arc(0.5, 0.7, 0.24, 0.22, 0.0, 360.0),
        ],
        9 => vec![
            arc(0.5, 0.32, 0.23, 0.23, 0.0, 360.0),
            vec![(0.73, 0.34), (0.66, 0.94)],
        ],
        _ => panic!("digit_strokes: {digit} is not a digit 0-9"),
    }
}

/// A standard normal draw.
fn gauss(rng: &mut impl Rng) -> f32 {
    rng.sample(StandardNormal)
}

/// Renders one MNIST-style image of `digit` into `out` (`28 * 28` pixels, row-major, values in
/// `[0, 1]`, 0 = background), with random slant, rotation, scale, position, pen thickness,
/// brightness, small wobbles of the strokes and pixel noise.
pub fn render_digit(digit: usize, rng: &mut impl Rng, out: &mut [f32]) {
    assert_eq!(
        out.len(),
        DIGIT_SIDE * DIGIT_SIDE,
        "render_digit: output of {} pixels, expected 28 x 28",
        out.len()
    );
    let strokes = digit_strokes(digit);
    // A random affine map from the unit box to pixels: rotate, shear (slant), scale and
    // shift, so a digit fits the 20 x 20 box MNIST centres in its 28 x 28 images.
    let angle = rng.random_range(-0.25f32..0.25);
    let shear = rng.random_range(-0.35f32..0.35);
    let (sx, sy) = (
        20.0 * rng.random_range(0.7f32..1.1),
        20.0 * rng.random_range(0.85f32..1.1),
    );
    let (tx, ty) = (
        DIGIT_SIDE as f32 / 2.0 + rng.random_range(-2.0f32..2.0),
        DIGIT_SIDE as f32 / 2.0 + rng.random_range(-2.0f32..2.0),
    );
    let (sin, cos) = angle.sin_cos();
    let wobble = rng.random_range(0.0f32..0.02);
    let radius = rng.random_range(0.8f32..1.9);
    let ink = rng.random_range(0.75f32..1.0);
    let mut to_pixels = |(x, y): Point| {
        let (x, y) = (x - 0.5 + wobble * gauss(rng), y - 0.5 + wobble * gauss(rng));
        let x = x + shear * y;
        let (x, y) = (x * sx, y * sy);
        (tx + cos * x - sin * y, ty + sin * x + cos * y)
    };
    let mut dist = [f32::INFINITY; DIGIT_SIDE * DIGIT_SIDE];
    for stroke in &strokes {
        let points: Vec<Point> = stroke.iter().map(|&p| to_pixels(p)).collect();
        for seg in points.windows(2) {
            stamp_segment(seg[0], seg[1], radius, &mut dist);
        }
    }
    let noise = rng.random_range(0.0f32..0.08);
    for (o, d) in out.iter_mut().zip(dist) {
        // Anti-aliased pen: full ink within the radius, fading over one pixel.
        let pen = (radius + 0.5 - d).clamp(0.0, 1.0) * ink;
        *o = (pen + noise * gauss(rng)).clamp(0.0, 1.0);
    }
}

/// Lowers `dist` (per pixel centre) to the distance from segment `a`-`b` within its bounding
/// box grown by the pen radius.
fn stamp_segment(a: Point, b: Point, radius: f32, dist: &mut [f32]) {
    let reach = radius + 1.0;
    let side = DIGIT_SIDE as f32;
    let x0 = (a.0.min(b.0) - reach).floor().clamp(0.0, side) as usize;
    let x1 = (a.0.max(b.0) + reach).ceil().clamp(0.0, side) as usize;
    let y0 = (a.1.min(b.1) - reach).floor().clamp(0.0, side) as usize;
    let y1 = (a.1.max(b.1) + reach).ceil().clamp(0.0, side) as usize;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-12);
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let (ex, ey) = (px - a.0 - t * dx, py - a.1 - t * dy);
            let d = (ex * ex + ey * ey).sqrt();
            let slot = &mut dist[y * DIGIT_SIDE + x];
            *slot = slot.min(d);
        }
    }
}

/// `n` MNIST-style digits: inputs `[n, 784]` with pixels in `[0, 1]`, labels 0-9 drawn
/// uniformly, 10 classes. A drop-in stand-in for MNIST when no files are at hand.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// let data = train::synth::digits(20, &mut StdRng::seed_from_u64(1));
/// assert_eq!(data.inputs.dims(), &[20, 784]);
/// assert!(data.inputs.data().iter().all(|&p| (0.0..=1.0).contains(&p)));
/// ```
pub fn digits(n: usize, rng: &mut impl Rng) -> Dataset {
    let pixels = DIGIT_SIDE * DIGIT_SIDE;
    let mut inputs = vec![0.0f32; n * pixels];
    let mut labels = Vec::with_capacity(n);
    for image in inputs.chunks_exact_mut(pixels) {
        let digit = rng.random_range(0..10);
        render_digit(digit, rng, image);
        labels.push(digit);
    }
    Dataset::new(Tensor::from_vec(inputs, [n, pixels]), labels, 10)
}

/// Isotropic Gaussian blobs around given centres, picked uniformly.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    /// The centres, all of one dimension.
    pub means: Vec<Vec<f32>>,
    /// The standard deviation of every blob along every axis.
    pub std: f32,
}

impl GaussianMixture {
    /// A mixture with the given centres and common standard deviation.
    pub fn new(means: Vec<Vec<f32>>, std: f32) -> Self {
        assert!(!means.is_empty(), "GaussianMixture::new: no centres");
        let d = means[0].len();
        assert!(
            means.iter().all(|m| m.len() == d),
            "GaussianMixture::new: centres of different dimensions"
        );
        GaussianMixture { means, std }
    }

    /// `k` 2-D blobs evenly spaced on a circle of the given radius, the first at angle 0.
    pub fn ring(k: usize, radius: f32, std: f32) -> Self {
        let means = (0..k)
            .map(|i| {
                let t = 2.0 * PI * i as f32 / k as f32;
                vec![radius * t.cos(), radius * t.sin()]
            })
            .collect();
        Self::new(means, std)
    }

    /// The 8-Gaussians ring of the GAN literature: radius 2, standard deviation 0.02.
    pub fn eight_gaussians() -> Self {
        Self::ring(8, 2.0, 0.02)
    }

    /// The dimension of the points.
    pub fn dims(&self) -> usize {
        self.means[0].len()
    }

    /// The fraction of `points` (`[n, dims]`) within `stds` standard deviations (Euclidean
    /// distance) of each centre, in the centres' order: how well a generator covers the
    /// modes.
    ///
    /// ```
    /// use tape::Tensor;
    /// use train::synth::GaussianMixture;
    /// let ring = GaussianMixture::ring(2, 1.0, 0.1); // centres (1, 0) and (-1, 0)
    /// let points = Tensor::from_vec(vec![1.0, 0.05, 0.9, 0.0, 0.0, 0.0, -1.0, 0.2], [4, 2]);
    /// assert_eq!(ring.shares_near_means(&points, 3.0), vec![0.5, 0.25]);
    /// ```
    pub fn shares_near_means(&self, points: &Tensor<f32>, stds: f32) -> Vec<f64> {
        let radius = stds * self.std;
        let n = points.numel() / self.dims();
        let near = |centre: &[f32], p: &[f32]| {
            let squared: f32 = centre.iter().zip(p).map(|(c, v)| (v - c) * (v - c)).sum();
            squared.sqrt() <= radius
        };
        self.means
            .iter()
            .map(|centre| {
                let rows = points.data().chunks_exact(self.dims());
                rows.filter(|p| near(centre, p)).count() as f64 / n as f64
            })
            .collect()
    }

    /// `n` points: inputs `[n, dims]`, each labelled with the index of its blob (so
    /// `classes` is the number of blobs).
    pub fn sample(&self, n: usize, rng: &mut impl Rng) -> Dataset {
        let d = self.dims();
        let mut points = Vec::with_capacity(n * d);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let k = rng.random_range(0..self.means.len());
            points.extend(self.means[k].iter().map(|&m| m + self.std * gauss(rng)));
            labels.push(k);
        }
        Dataset::new(Tensor::from_vec(points, [n, d]), labels, self.means.len())
    }
}

/// A Swiss roll: a 2-D sheet rolled up in 3-D space.
#[derive(Clone, Debug)]
pub struct SwissRoll {
    /// The points `[n, 3]`: `(t cos t, h, t sin t)` plus noise.
    pub points: Tensor<f32>,
    /// The sheet coordinates `[n, 2]`: `(t, h)`, the spiral's angle and the height. The sheet's
    /// isometric (distance-preserving) coordinates, which a manifold learner such as Isomap
    /// recovers up to rotation, are `(SwissRoll::arc_length(t), h)`; `t` is a monotone
    /// function of them.
    pub unrolled: Tensor<f32>,
}

impl SwissRoll {
    /// The range of the angle `t`: one and a half turns, from `1.5 pi` to `4.5 pi`.
    pub const T_RANGE: (f64, f64) = (1.5 * std::f64::consts::PI, 4.5 * std::f64::consts::PI);
    /// The range of the height `h`.
    pub const HEIGHT: f64 = 21.0;

    /// The distance along the spiral `(t cos t, t sin t)` from its centre (`t = 0`) to angle
    /// `t`: `s(t) = int_0^t sqrt(1 + u^2) du = (t sqrt(1 + t^2) + asinh t) / 2`, since the
    /// spiral's speed is `|d/dt (t cos t, t sin t)| = sqrt(1 + t^2)`.
    pub fn arc_length(t: f64) -> f64 {
        0.5 * (t * (1.0 + t * t).sqrt() + t.asinh())
    }

    /// The angle `t >= 0` at which the spiral's arc length is `s`: the inverse of
    /// [`arc_length`](Self::arc_length), by Newton's method from `sqrt(2 s)` (exact for large
    /// `t`, where `s ~ t^2 / 2`).
    pub fn angle_at_arc_length(s: f64) -> f64 {
        // `s(t) > t^2 / 2`, so the start lies above the root, and `s` is convex: Newton's
        // steps then descend monotonically onto the root (on the roll's range, within 4 steps
        // to f64 precision).
        let mut t = (2.0 * s.max(0.0)).sqrt();
        for _ in 0..50 {
            let step = (Self::arc_length(t) - s) / (1.0 + t * t).sqrt();
            t -= step;
            if step.abs() <= 1e-15 * t.max(1.0) {
                break;
            }
        }
        t
    }
}

/// `n` points of the Swiss roll, uniform in area on the sheet: the angle `t` in `[1.5 pi, 4.5
/// pi]` with density proportional to the spiral's speed `sqrt(1 + t^2)` (so uniform in the arc
/// length `s(t)`, see [`SwissRoll::arc_length`]), the height `h ~ U(0, 21)`, and Gaussian noise
/// of standard deviation `noise` on each coordinate.
///
/// Sampling `t` uniformly instead (as some texts do) would leave the outer turn three times
/// sparser than the inner one (`sqrt(1 + t^2)` grows from 4.8 to 14.2), and a nearest-neighbour
/// graph there reaches across to the turn underneath. `t` is drawn by inverting the arc length:
/// `s ~ U(s(1.5 pi), s(4.5 pi))`, `t = s^-1(s)`.
pub fn swiss_roll(n: usize, noise: f32, rng: &mut impl Rng) -> SwissRoll {
    let (t_min, t_max) = SwissRoll::T_RANGE;
    let (s_min, s_max) = (SwissRoll::arc_length(t_min), SwissRoll::arc_length(t_max));
    let mut points = Vec::with_capacity(n * 3);
    let mut unrolled = Vec::with_capacity(n * 2);
    for _ in 0..n {
        let s = s_min + (s_max - s_min) * rng.random::<f64>();
        // Rounding can put t a hair outside its range; clamp so the documented range holds.
        let t = SwissRoll::angle_at_arc_length(s).clamp(t_min, t_max) as f32;
        let h = SwissRoll::HEIGHT as f32 * rng.random::<f32>();
        points.extend([
            t * t.cos() + noise * gauss(rng),
            h + noise * gauss(rng),
            t * t.sin() + noise * gauss(rng),
        ]);
        unrolled.extend([t, h]);
    }
    SwissRoll {
        points: Tensor::from_vec(points, [n, 3]),
        unrolled: Tensor::from_vec(unrolled, [n, 2]),
    }
}

/// Class names of [`boxes`]: index 0 is the background class a detector assigns to regions
/// that hold no object; each image's object is one of the three shapes.
pub const BOX_CLASSES: [&str; 4] = ["background", "rectangle", "ellipse", "triangle"];

/// Images for detection, each with one object.
#[derive(Clone, Debug)]
pub struct BoxScenes {
    /// Grey images `[n, size, size]` in `[0, 1]`.
    pub images: Tensor<f32>,
    /// Each object's bounding box `[n, 4]` as `(x, y, w, h)` in pixels: left, top, width,
    /// height, tight around the shape.
    pub boxes: Tensor<f32>,
    /// Each object's class: 1 rectangle, 2 ellipse, 3 triangle (0 is the background class,
    /// see [`BOX_CLASSES`]).
    pub labels: Vec<usize>,
}

/// `n` images of `size x size` pixels on a faintly noisy background, each holding one filled
/// rectangle, ellipse or (upward) triangle between a quarter and a half of the image across.
pub fn boxes(n: usize, size: usize, rng: &mut impl Rng) -> BoxScenes {
    assert!(
        size >= 8,
        "boxes: images of side {size} are too small (need 8+)"
    );
    let side = size as f32;
    let mut images = vec![0.0f32; n * size * size];
    let mut boxes = Vec::with_capacity(n * 4);
    let mut labels = Vec::with_capacity(n);
    for image in images.chunks_exact_mut(size * size) {
        let class = rng.random_range(1..BOX_CLASSES.len());
        let w = rng.random_range(side / 4.0..side / 2.0).round();
        let h = rng.random_range(side / 4.0..side / 2.0).round();
        let x = rng.random_range(0.0..=side - w).floor();
        let y = rng.random_range(0.0..=side - h).floor();
        let ink = rng.random_range(0.6f32..1.0);
        let (cx, cy) = (x + w / 2.0, y + h / 2.0);
        for (i, p) in image.iter_mut().enumerate() {
            let (px, py) = ((i % size) as f32 + 0.5, (i / size) as f32 + 0.5);
            let inside_box = px >= x && px < x + w && py >= y && py < y + h;
            let inside = inside_box
                && match class {
                    1 => true,
                    2 => ((px - cx) / (w / 2.0)).powi(2) + ((py - cy) / (h / 2.0)).powi(2) <= 1.0,
                    _ => (px - cx).abs() <= (py - y) / h * (w / 2.0),
                };
            let background = 0.1 * rng.random::<f32>();
            *p = if inside { ink } else { background };
        }
        boxes.extend([x, y, w, h]);
        labels.push(class);
    }
    BoxScenes {
        images: Tensor::from_vec(images, [n, size, size]),
        boxes: Tensor::from_vec(boxes, [n, 4]),
        labels,
    }
}

/// Intersection over union of two `(x, y, w, h)` boxes (0 when they do not overlap).
///
/// ```
/// assert_eq!(train::synth::iou([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 2.0, 2.0]), 2.0 / 6.0);
/// ```
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let ix = ((a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0])).max(0.0);
    let iy = ((a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}
