//! The data sets: two Gaussian blobs in 2-D, tabular regression data with sparse true
//! weights, and a line with outliers.

use rand::rngs::StdRng;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use tape::Tensor;
use train::synth::GaussianMixture;

/// The 2-D classification data: points and labels in {-1, +1}.
pub struct Blobs {
    /// `[n, 2]` points.
    pub points: Tensor<f64>,
    /// Their blob, 0 or 1.
    pub labels: Vec<usize>,
    /// Their label as a sign, -1 or +1.
    pub signs: Vec<f64>,
}

/// The two blobs' centres and common standard deviation.
pub const CENTRES: [[f64; 2]; 2] = [[-1.0, -0.5], [1.0, 0.5]];
pub const SPREAD: f64 = 0.6;

/// `n` points drawn from the two blobs equally.
pub fn blobs(n: usize, rng: &mut StdRng) -> Blobs {
    let means = CENTRES
        .iter()
        .map(|c| c.iter().map(|&v| v as f32).collect())
        .collect();
    let data = GaussianMixture::new(means, SPREAD as f32).sample(n, rng);
    let signs = data
        .labels
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    Blobs {
        points: data.inputs.cast(),
        labels: data.labels,
        signs,
    }
}

/// The weights the regression targets are made with (and a bias of 1).
pub const TRUE_WEIGHTS: [f64; 8] = [3.0, -2.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.5];

/// The tabular regression data: `[n, 8]` correlated features and targets from sparse weights.
pub fn tabular(n: usize, rng: &mut impl Rng) -> (Tensor<f64>, Vec<f64>) {
    let d = TRUE_WEIGHTS.len();
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let z: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        // Each feature leans on its neighbour, so the columns are correlated.
        let row: Vec<f64> = (0..d)
            .map(|j| z[j] + if j > 0 { 0.6 * z[j - 1] } else { 0.0 })
            .collect();
        let noise: f64 = rng.sample(StandardNormal);
        y.push(
            1.0 + row
                .iter()
                .zip(TRUE_WEIGHTS)
                .map(|(a, w)| a * w)
                .sum::<f64>()
                + 0.5 * noise,
        );
        x.extend(row);
    }
    (Tensor::from_vec(x, [n, d]), y)
}

/// Points on the line `y = 2x + 1` with noise, a tenth of them pushed far up (outliers).
pub fn line_with_outliers(n: usize, rng: &mut impl Rng) -> (Vec<f64>, Vec<f64>) {
    (0..n)
        .map(|i| {
            let x = rng.random_range(0.0..10.0);
            let noise: f64 = rng.sample(StandardNormal);
            let outlier = if i % 10 == 0 {
                rng.random_range(15.0..30.0)
            } else {
                0.0
            };
            (x, 2.0 * x + 1.0 + 0.5 * noise + outlier)
        })
        .unzip()
}
