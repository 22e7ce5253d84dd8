//! The three figures: the curves (elbow, PCA's and the autoencoder's convergence), the clusters
//! and the reconstructions.

use std::path::Path;

use gallery::plot::{self, Lines, Scatter, Tile};
use tape::Tensor;

use super::autoencoder::Autoencoded;
use super::kmeans::KMeans;
use super::pca::{Pca, centred};

/// The k-means elbow, PCA's excess over its optimum and the autoencoder's error against PCA's
/// optimum, in `unsupervised_curves.svg`.
pub fn draw_curves(out: &Path, km: &KMeans, pca: &Pca, ae: &Autoencoded) -> Result<(), String> {
    let k = pca.basis.dims()[1];
    let optimum = pca.trailing_eigenvalue_sum;
    let by_k = |costs: &[f64]| -> Vec<(f64, f64)> {
        costs
            .iter()
            .enumerate()
            .map(|(i, &c)| ((i + 1) as f64, c))
            .collect()
    };
    plot::lines(
        out.join("unsupervised_curves.svg"),
        &[
            Lines::new("k-means elbow")
                .x_label("K")
                .y_label("objective")
                .series("Lloyd", by_k(&km.lloyd))
                .series("gradient descent", by_k(&km.gradient)),
            Lines::new(format!("PCA (k = {k}): objective - optimum"))
                .x_label("step")
                .y_label("excess over the trailing eigenvalues")
                .log_y()
                .values(
                    "objective (with penalty) - sum of trailing eigenvalues",
                    &pca.curve.iter().map(|v| v - optimum).collect::<Vec<f64>>(),
                ),
            Lines::new(format!("autoencoder 784-{k}-784 vs PCA"))
                .x_label("epoch")
                .y_label("reconstruction error (training digits)")
                .log_y()
                .values("autoencoder", &ae.curve)
                .series(
                    format!("PCA optimum (k = {k})"),
                    vec![(0.0, optimum), (ae.curve.len() as f64, optimum)],
                ),
        ],
    )
}

/// The mixture by blob and by gradient descent's clusters, in `unsupervised_clusters.svg`.
pub fn draw_clusters(out: &Path, km: &KMeans) -> Result<(), String> {
    let (five, assignment) = &km.shown;
    plot::scatter(
        out.join("unsupervised_clusters.svg"),
        &[
            Scatter::new("mixture of 5 Gaussians", plot::points(&km.points)).classes(&km.blobs),
            Scatter::new(
                format!("k-means by gradient descent, K = {five}"),
                plot::points(&km.points),
            )
            .classes(assignment),
        ],
    )
}

/// A few held-out digits and their reconstructions by PCA and by the autoencoder, in
/// `unsupervised_reconstructions.svg`.
pub fn draw_reconstructions(
    out: &Path,
    held_out: &Tensor<f64>,
    pca: &Pca,
    ae: &Autoencoded,
) -> Result<(), String> {
    let (e, mean) = (&pca.basis, &pca.mean);
    let k = e.dims()[1];
    let shown = 5.min(held_out.dims()[0]);
    let pca_images = {
        let xc = centred(held_out, mean);
        let r = xc.matmul(e).matmul_t(e, false, true);
        Tensor::from_fn(r.dims(), |i| r.data()[i] + mean[i % 784])
    };
    let tile = |pixels: &[f64], caption: &str| Tile::new(pixels, 28, 28).caption(caption);
    let mut tiles = Vec::new();
    for (caption, images) in [
        ("held-out digit", held_out.clone()),
        ("PCA", pca_images),
        ("autoencoder", ae.held_out_images.cast()),
    ] {
        for i in 0..shown {
            tiles.push(tile(&images.data()[i * 784..(i + 1) * 784], caption));
        }
    }
    plot::image_grid(
        out.join("unsupervised_reconstructions.svg"),
        &format!("held-out digits and their reconstructions through {k} dimensions"),
        &tiles,
        shown.max(1),
    )
}
