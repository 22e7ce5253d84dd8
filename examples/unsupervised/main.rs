//! k-means, PCA and an autoencoder, each by gradient descent and each checked against an
//! independent answer (catalogue U1, U2, U3).
//!
//! ```text
//! cargo run --release --example unsupervised
//! cargo run --release --example unsupervised -- --help
//! ```
//!
//! - **k-means** (U1) on a 2-D mixture of five Gaussian blobs: gradient descent on
//!   `sum_i ||x_i - mu_{a(i)}||^2` (`kmeans_objective`, assignments recomputed each step) against
//!   Lloyd's algorithm written here, both from the same k-means++ starts (best of 5), for
//!   K = 1..8 (the elbow curve). Where gradient descent stops, Lloyd's algorithm must not move.
//! - **PCA** (U2) on 1,000 MNIST-style digits: gradient descent with Nesterov momentum on the
//!   reconstruction error `(1/n) sum_i ||x_i - E E^T x_i||^2` plus the penalty
//!   `||E^T E - I||_F^2` (`pca_reconstruction`, `orthonormality_penalty`), `E` of shape
//!   `[784, 64]`. Its minimum is the sum of the trailing `784 - 64` eigenvalues of the
//!   covariance, computed here by subspace iteration with nalgebra's eigen-solver, without
//!   autodiff. (The penalty does not bias the optimum: along each eigenvector both terms are
//!   smallest at unit length.)
//! - **Autoencoder** (U3): 784-64-784 with a linear code layer and a sigmoid output, trained
//!   with Adam on `autoencoder_reconstruction`. PCA is the best any *linear* map through `k`
//!   dimensions can do; the sigmoid lets the decoder squash the background to (nearly) 0,
//!   which no linear map can, so the autoencoder's error ends up below PCA's with the same `k`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;

mod autoencoder;
mod figures;
mod kmeans;
mod pca;

pub use kmeans::{kmeans_gradient_descent, lloyd};
pub use pca::top_eigenvalues;

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "unsupervised",
    about = "k-means, PCA and an autoencoder by gradient descent, each checked against an independent answer (catalogue U1, U2, U3)."
)]
pub struct Config {
    /// Points of the 2-D Gaussian mixture for k-means.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub cluster_points: usize,
    /// The largest number of clusters of the elbow curve.
    #[arg(long, value_name = "K", default_value_t = 8)]
    pub max_clusters: usize,
    /// Gradient steps of k-means for each start.
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub kmeans_steps: usize,
    /// k-means++ starts for each K (both methods keep their best).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub kmeans_restarts: usize,
    /// Training digits for PCA and the autoencoder (as many again are held out).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub digits: usize,
    /// Components of PCA and code units of the autoencoder.
    #[arg(long, value_name = "K", default_value_t = 64)]
    pub components: usize,
    /// Gradient steps of PCA.
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub pca_steps: usize,
    /// Epochs of the autoencoder.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub ae_epochs: usize,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where the SVGs go.
    #[arg(long, value_name = "DIR", default_value = cli::OUT_DIR, value_parser = cli::path)]
    pub out: PathBuf,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
    }
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// The k-means objective reached by gradient descent, for K = 1, 2, ...
    pub kmeans_gradient: Vec<f64>,
    /// The objective Lloyd's algorithm reaches from the same start, for K = 1, 2, ...
    pub kmeans_lloyd: Vec<f64>,
    /// `|gradient - Lloyd| / Lloyd` for K = 1, 2, ...
    pub kmeans_relative_gaps: Vec<f64>,
    /// The largest relative change of the objective when Lloyd's algorithm starts from where
    /// gradient descent stopped (0 when every gradient solution is a fixed point of Lloyd).
    pub lloyd_fixed_point_gap: f64,
    /// PCA's reconstruction error (per digit, on the training digits) after gradient descent.
    pub pca_error: f64,
    /// The sum of the trailing eigenvalues of the covariance: the least error possible.
    pub trailing_eigenvalue_sum: f64,
    /// `|pca_error - trailing_eigenvalue_sum| / trailing_eigenvalue_sum`.
    pub pca_relative_gap: f64,
    /// `||E^T E - I||_F^2` at the end.
    pub orthonormality: f64,
    /// The autoencoder's reconstruction error per digit on the training digits.
    pub ae_error: f64,
    /// PCA's (gradient-descent basis) and the autoencoder's errors on held-out digits.
    pub held_out_errors: (f64, f64),
}

/// What to try when a fit of this example diverges: its step sizes are not flags.
const FIXED_STEPS: &str = "the step sizes are fixed; another --seed may avoid it";

/// Runs the three parts and draws their figures.
pub fn run(config: &Config) -> Result<Report, String> {
    if config.components == 0 || config.components >= 784 || config.max_clusters == 0 {
        return Err("need 1 <= components < 784 and at least one cluster".into());
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    let km = kmeans::elbow(config, &mut rng)?;
    let kmeans_relative_gaps: Vec<f64> = km
        .gradient
        .iter()
        .zip(&km.lloyd)
        .map(|(g, l)| (g - l).abs() / l)
        .collect();

    let k = config.components;
    let digits = train::synth::digits(2 * config.digits, &mut rng);
    let (train_digits, held_out) = digits.split_at(config.digits);
    let x: Tensor<f64> = train_digits.inputs.cast();
    let x_held_out: Tensor<f64> = held_out.inputs.cast();
    let pca = pca::pca(&x, k, config.pca_steps, &mut rng)?;
    let ae = autoencoder::autoencoder(
        &train_digits,
        &held_out.inputs,
        k,
        config.ae_epochs,
        &mut rng,
    )?;
    let pca_held_out = pca::pca_error_with(&x_held_out, &pca.mean, &pca.basis);

    figures::draw_curves(&config.out, &km, &pca, &ae)?;
    figures::draw_clusters(&config.out, &km)?;
    figures::draw_reconstructions(&config.out, &x_held_out, &pca, &ae)?;
    Ok(Report {
        kmeans_gradient: km.gradient,
        kmeans_lloyd: km.lloyd,
        kmeans_relative_gaps,
        lloyd_fixed_point_gap: km.fixed_point_gap,
        pca_error: pca.error,
        trailing_eigenvalue_sum: pca.trailing_eigenvalue_sum,
        pca_relative_gap: pca.relative_gap,
        orthonormality: pca.orthonormality,
        ae_error: ae.curve.last().copied().unwrap_or(f64::NAN),
        held_out_errors: (pca_held_out, ae.held_out_error),
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.cluster_points < config.max_clusters || config.digits < 2 || config.pca_steps == 0 {
        return Err("need at least --max-clusters points, 2 digits and 1 PCA step".into());
    }
    // The digits (784 pixels) in f64 and f32 with the PCA and autoencoder temporaries, and the
    // k-means points with their distances to every centre.
    let digits = 16 * 8 * 784 * config.digits as u128;
    let clusters = 8 * 8 * config.cluster_points as u128 * (config.max_clusters as u128 + 2);
    let basis = 8 * 16 * 784 * config.components as u128;
    let flags = format!(
        "--digits {}, --cluster-points {}, --max-clusters {} and --components {}",
        config.digits, config.cluster_points, config.max_clusters, config.components
    );
    check::memory(&flags, digits + clusters + basis)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or PCA by gradient descent misses the eigenvalues by more than required.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!(
        "wrote unsupervised_curves.svg, unsupervised_clusters.svg and \
         unsupervised_reconstructions.svg to {}",
        config.out.display()
    );
    let differing: Vec<String> = report
        .kmeans_relative_gaps
        .iter()
        .enumerate()
        .filter(|(_, g)| **g > 1e-9)
        .map(|(k, g)| format!("K = {} ({g:.0e})", k + 1))
        .collect();
    println!(
        "k-means: gradient descent and Lloyd reach the same objective (to 1e-9) for every K \
         but {}; every gradient solution is a fixed point of Lloyd (to {:.0e})",
        if differing.is_empty() {
            "none".to_string()
        } else {
            differing.join(", ")
        },
        report.lloyd_fixed_point_gap
    );
    let required = Requirement::at_most("PCA's relative gap", report.pca_relative_gap, 1e-3);
    println!(
        "PCA: reconstruction error {:.6} vs sum of trailing eigenvalues {:.6}: relative gap \
         {:.1e} ({}), ||E^T E - I||^2 = {:.1e}",
        report.pca_error,
        report.trailing_eigenvalue_sum,
        report.pca_relative_gap,
        required.label(),
        report.orthonormality
    );
    println!(
        "held out: PCA {:.4}, autoencoder {:.4}",
        report.held_out_errors.0, report.held_out_errors.1
    );
    println!(
        "autoencoder reconstruction error {:.4} vs PCA {:.4} (optimum {:.4}) with the same \
         k ({:.1} s)",
        report.ae_error,
        report.pca_error,
        report.trailing_eigenvalue_sum,
        started.elapsed().as_secs_f64()
    );
    required.check()
}
