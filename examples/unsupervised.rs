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
//!   covariance, computed here by subspace iteration with a Jacobi eigen-solver, without
//!   autodiff. (The penalty does not bias the optimum: along each eigenvector both terms are
//!   smallest at unit length.)
//! - **Autoencoder** (U3): 784-64-784 with a linear code layer and a sigmoid output, trained
//!   with Adam on `autoencoder_reconstruction`. PCA is the best any *linear* map through `k`
//!   dimensions can do; the sigmoid lets the decoder squash the background to (nearly) 0,
//!   which no linear map can, so the autoencoder's error ends up below PCA's with the same `k`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use losses::Reduction;
use losses::unsupervised::{
    autoencoder_reconstruction, kmeans_assign, kmeans_objective, kmeans_plus_plus,
    orthonormality_penalty, pca_reconstruction,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::cli::{Args, Requirement, check};
use train::linalg::{orthonormalise_columns, symmetric_eigen};
use train::plot::{self, Lines, Scatter, Tile};
use train::synth::GaussianMixture;
use train::{Activation, Adam, BatchLoader, Divergence, Init, LrSchedule, Mlp, Module, Optimizer};
use train::{ParamStore, Sgd};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug)]
pub struct Config {
    /// Points of the 2-D Gaussian mixture for k-means.
    pub cluster_points: usize,
    /// The largest number of clusters of the elbow curve.
    pub max_clusters: usize,
    /// Gradient steps of k-means for each start.
    pub kmeans_steps: usize,
    /// k-means++ starts for each K (both methods keep their best).
    pub kmeans_restarts: usize,
    /// Training digits for PCA and the autoencoder (as many again are held out).
    pub digits: usize,
    /// Components of PCA and code units of the autoencoder.
    pub components: usize,
    /// Gradient steps of PCA.
    pub pca_steps: usize,
    /// Epochs of the autoencoder.
    pub ae_epochs: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Where the SVGs go.
    pub out: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cluster_points: 1000,
            max_clusters: 8,
            kmeans_steps: 600,
            kmeans_restarts: 5,
            digits: 1000,
            components: 64,
            pca_steps: 600,
            ae_epochs: 60,
            seed: 0,
            out: PathBuf::from("target/examples-out"),
        }
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

/// The `k` largest eigenvalues of a symmetric `d x d` matrix, by subspace iteration on `k + 16`
/// vectors (the extra ones speed up the wanted ones), with a Rayleigh-Ritz step each iteration:
/// the eigenvalues of `Q^T M Q` converge to the top eigenvalues of `M` as `Q` converges to
/// their eigenvectors.
pub fn top_eigenvalues(matrix: &Tensor<f64>, k: usize) -> Vec<f64> {
    let d = matrix.dims()[0];
    let p = (k + 16).min(d);
    let mut q: Vec<f64> = (0..d * p)
        .map(|i| ((i * 7919 + 13) % 101) as f64 - 50.0)
        .collect();
    orthonormalise_columns(&mut q, d, p);
    let mut previous = f64::NAN;
    let mut ritz = Vec::new();
    for _ in 0..1000 {
        let basis = Tensor::from_vec(q, [d, p]);
        let product = matrix.matmul(&basis);
        let small = basis.matmul_t(&product, true, false);
        ritz = symmetric_eigen(small.data(), p).0;
        let sum: f64 = ritz[..k].iter().sum();
        if (sum - previous).abs() <= 1e-12 * sum.abs() {
            break;
        }
        previous = sum;
        q = product.to_vec();
        orthonormalise_columns(&mut q, d, p);
    }
    ritz.truncate(k);
    ritz
}

/// The k-means objective `sum_i ||x_i - mu_{a(i)}||^2` with nearest-centre assignments.
fn kmeans_cost(points: &Tensor<f64>, centres: &Tensor<f64>) -> f64 {
    let assignment = kmeans_assign(points, centres);
    points
        .data()
        .chunks_exact(2)
        .zip(assignment)
        .map(|(x, a)| {
            let c = &centres.data()[2 * a..2 * a + 2];
            (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2)
        })
        .sum()
}

/// Lloyd's algorithm: assign each point to its nearest centre, move each centre to the mean of
/// its points, until the assignments stop changing. Returns the centres and the objective after
/// each iteration.
pub fn lloyd(points: &Tensor<f64>, start: &Tensor<f64>) -> (Tensor<f64>, Vec<f64>) {
    let k = start.dims()[0];
    let mut centres = start.clone();
    let mut previous = Vec::new();
    let mut costs = vec![kmeans_cost(points, &centres)];
    for _ in 0..1000 {
        let assignment = kmeans_assign(points, &centres);
        if assignment == previous {
            break;
        }
        let mut sums = vec![[0.0; 3]; k];
        for (x, &a) in points.data().chunks_exact(2).zip(&assignment) {
            sums[a][0] += x[0];
            sums[a][1] += x[1];
            sums[a][2] += 1.0;
        }
        let data = centres.data_mut();
        for (c, s) in data.chunks_exact_mut(2).zip(&sums) {
            // A centre that lost all its points stays where it is.
            if s[2] > 0.0 {
                c.copy_from_slice(&[s[0] / s[2], s[1] / s[2]]);
            }
        }
        previous = assignment;
        costs.push(kmeans_cost(points, &centres));
    }
    (centres, costs)
}

/// Gradient descent on the k-means objective from `start`; returns the centres.
///
/// With the `Mean` objective the gradient for centre `k` is `2 (n_k / n) (mu_k - m_k)` (`m_k` the
/// mean of its points), so a step of 0.5 moves each centre the fraction `n_k / n` of the way to
/// `m_k`: never overshooting, and converging to the same fixed point `mu_k = m_k` as Lloyd.
pub fn kmeans_gradient_descent(
    points: &Tensor<f64>,
    start: &Tensor<f64>,
    steps: usize,
) -> Result<Tensor<f64>, String> {
    let mut store = ParamStore::<f64>::new();
    let centres = store.add("centres", start.clone());
    let mut optimizer = Sgd::new(0.5);
    let mut tape = Tape::new();
    for step in 1..=steps {
        let loss = store.compute_grads(&mut tape, |p| {
            kmeans_objective(
                p.tape().constant(points.clone()),
                p[centres],
                Reduction::Mean,
            )
            .loss
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice(FIXED_STEPS))?;
        optimizer.step(&mut store);
    }
    Ok(store.value(centres).clone())
}

/// What to try when a fit of this example diverges: its step sizes are not flags.
const FIXED_STEPS: &str = "the step sizes are fixed; another --seed may avoid it";

/// Rows `[n, 784]` minus their column means.
fn centred(x: &Tensor<f64>, mean: &[f64]) -> Tensor<f64> {
    let d = mean.len();
    Tensor::from_fn(x.dims(), |i| x.data()[i] - mean[i % d])
}

/// The biased covariance `X_c^T X_c / n` of rows `[n, d]` and the column means.
fn covariance(x: &Tensor<f64>) -> (Tensor<f64>, Vec<f64>) {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let mut mean = vec![0.0; d];
    for row in x.data().chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f64;
        }
    }
    let xc = centred(x, &mean);
    (xc.matmul_t(&xc, true, false).map(|v| v / n as f64), mean)
}

/// Mean squared reconstruction error per row of `x` through the basis `e [d, k]`, centring with
/// the given (training) means.
fn pca_error_with(x: &Tensor<f64>, mean: &[f64], e: &Tensor<f64>) -> f64 {
    let xc = centred(x, mean);
    let reconstruction = xc.matmul(e).matmul_t(e, false, true);
    let n = x.dims()[0] as f64;
    xc.zip_map(&reconstruction, "residual", |a, b| (a - b) * (a - b))
        .sum()
        .item()
        / n
}

/// Runs the three parts and draws their figures.
pub fn run(config: &Config) -> Result<Report, String> {
    if config.components == 0 || config.components >= 784 || config.max_clusters == 0 {
        return Err("need 1 <= components < 784 and at least one cluster".into());
    }
    let mut rng = StdRng::seed_from_u64(config.seed);

    // k-means: gradient descent against Lloyd, from the same k-means++ start, for each K.
    let blobs = GaussianMixture::new(
        vec![
            vec![-3.0, -2.0],
            vec![0.0, 3.0],
            vec![3.5, -1.0],
            vec![-3.5, 2.5],
            vec![1.0, -3.5],
        ],
        0.7,
    )
    .sample(config.cluster_points, &mut rng);
    let points: Tensor<f64> = blobs.inputs.cast();
    println!(
        "k-means: {} points from 5 Gaussian blobs, K = 1..{}",
        config.cluster_points, config.max_clusters
    );
    let (mut kmeans_gradient, mut kmeans_lloyd) = (Vec::new(), Vec::new());
    let mut lloyd_fixed_point_gap: f64 = 0.0;
    let mut shown_k = None;
    for k in 1..=config.max_clusters {
        // The best of a few starts: a single k-means++ start can leave two centres in one blob.
        let mut best_gradient: Option<(f64, Tensor<f64>)> = None;
        let mut best_lloyd: Option<f64> = None;
        for _ in 0..config.kmeans_restarts {
            let start = kmeans_plus_plus(&points, k, &mut rng);
            let (lloyd_centres, _) = lloyd(&points, &start);
            let centres = kmeans_gradient_descent(&points, &start, config.kmeans_steps)?;
            let by_gradient = kmeans_cost(&points, &centres);
            let by_lloyd = kmeans_cost(&points, &lloyd_centres);
            // Where gradient descent stops, Lloyd's algorithm must not move.
            let (_, polished) = lloyd(&points, &centres);
            let after_lloyd = polished.last().copied().unwrap_or(by_gradient);
            lloyd_fixed_point_gap =
                lloyd_fixed_point_gap.max((by_gradient - after_lloyd).abs() / after_lloyd);
            if best_gradient.as_ref().is_none_or(|b| by_gradient < b.0) {
                best_gradient = Some((by_gradient, centres));
            }
            if best_lloyd.is_none_or(|b| by_lloyd < b) {
                best_lloyd = Some(by_lloyd);
            }
        }
        let (by_gradient, centres) = best_gradient.expect("at least one start");
        let by_lloyd = best_lloyd.expect("at least one start");
        println!("K = {k}: gradient descent {by_gradient:10.4}  Lloyd {by_lloyd:10.4}");
        kmeans_gradient.push(by_gradient);
        kmeans_lloyd.push(by_lloyd);
        if k == 5.min(config.max_clusters) {
            shown_k = Some((k, kmeans_assign(&points, &centres)));
        }
    }
    let kmeans_relative_gaps: Vec<f64> = kmeans_gradient
        .iter()
        .zip(&kmeans_lloyd)
        .map(|(g, l)| (g - l).abs() / l)
        .collect();

    // PCA by gradient descent against the eigenvalues of the covariance.
    let k = config.components;
    let digits = train::synth::digits(2 * config.digits, &mut rng);
    let (train_digits, held_out) = digits.split_at(config.digits);
    let x: Tensor<f64> = train_digits.inputs.cast();
    let x_held_out: Tensor<f64> = held_out.inputs.cast();
    let (cov, mean) = covariance(&x);
    let trace: f64 = (0..784).map(|i| cov.data()[i * 784 + i]).sum();
    let top = top_eigenvalues(&cov, k);
    let trailing_eigenvalue_sum = trace - top.iter().sum::<f64>();
    println!(
        "PCA: {} digits, k = {k}; covariance trace {trace:.4}, sum of the trailing {} \
         eigenvalues {trailing_eigenvalue_sum:.6}",
        config.digits,
        784 - k
    );
    let mut store = ParamStore::<f64>::new();
    // Entries of variance 1/784 make E^T E close to I from the start.
    let basis = store.add(
        "basis",
        Init::Normal(1.0 / 28.0).sample([784, k], 784, k, &mut rng),
    );
    // Gradient descent is rotation-invariant, like the problem; Nesterov momentum speeds up the
    // slow rotations between directions of nearly equal variance, and the warm-up keeps the
    // first steps from overshooting (a cosine with min_factor 1 is a constant after it).
    let mut optimizer = Sgd::new(0.03)
        .momentum(0.95)
        .nesterov(true)
        .schedule(LrSchedule::Cosine {
            warmup: 50,
            total: config.pca_steps,
            min_factor: 1.0,
        });
    let mut tape = Tape::new();
    let mut pca_curve = Vec::with_capacity(config.pca_steps);
    for step in 1..=config.pca_steps {
        let loss = store.compute_grads(&mut tape, |p| {
            let x = p.tape().constant(x.clone());
            pca_reconstruction(x, p[basis], Reduction::Mean) + orthonormality_penalty(p[basis])
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice(FIXED_STEPS))?;
        optimizer.step(&mut store);
        pca_curve.push(loss);
        if step % (config.pca_steps / 6).max(1) == 0 {
            println!("PCA step {step:4}  objective {loss:.6}");
        }
    }
    let e = store.value(basis).clone();
    let pca_error = pca_error_with(&x, &mean, &e);
    let pca_relative_gap = (pca_error - trailing_eigenvalue_sum).abs() / trailing_eigenvalue_sum;
    let orthonormality = {
        let tape = Tape::new();
        orthonormality_penalty(tape.constant(e.clone())).item()
    };

    // The autoencoder, in f32: its comparison with PCA needs no more precision.
    println!("autoencoder: 784-{k}-784, linear code, sigmoid output, Adam lr 0.01, batch 64");
    let mut store = ParamStore::<f32>::new();
    let autoencoder = Mlp::new(
        &mut store,
        "ae",
        &[784, k, 784],
        Activation::Identity,
        &mut rng,
    );
    let mut loader = BatchLoader::new(64);
    let total = config.ae_epochs * loader.batches_per_epoch(train_digits.len());
    let mut optimizer = Adam::new(0.01).schedule(LrSchedule::Cosine {
        warmup: 0,
        total,
        min_factor: 0.05,
    });
    let mut tape = Tape::new();
    let mut ae_curve = Vec::with_capacity(config.ae_epochs);
    let ae_error_on = |store: &ParamStore<f32>, images: &Tensor<f32>| {
        let tape = Tape::new();
        let params = store.bind_frozen(&tape);
        let x = tape.constant(images.clone());
        let reconstruction = autoencoder.forward(&params, x).sigmoid();
        let error = autoencoder_reconstruction(x, reconstruction, Reduction::Mean).item();
        (f64::from(error), reconstruction.value())
    };
    for epoch in 1..=config.ae_epochs {
        loader.shuffle(train_digits.len(), &mut rng);
        let mut step = 0;
        while let Some(batch) = loader.next_batch(&train_digits) {
            step += 1;
            let loss = store.compute_grads(&mut tape, |p| {
                let x = p.tape().constant(batch.inputs.clone());
                autoencoder_reconstruction(x, autoencoder.forward(p, x).sigmoid(), Reduction::Mean)
            });
            let lr = optimizer.learning_rate();
            Divergence::check(&store, loss.into(), Some(epoch), step, lr)
                .map_err(|d| d.advice(FIXED_STEPS))?;
            optimizer.step(&mut store);
        }
        let (error, _) = ae_error_on(&store, &train_digits.inputs);
        ae_curve.push(error);
        if epoch % (config.ae_epochs / 5).max(1) == 0 {
            println!("autoencoder epoch {epoch:4}  reconstruction error {error:.4}");
        }
    }
    let ae_error = ae_curve.last().copied().unwrap_or(f64::NAN);
    let (ae_held_out, ae_images) = ae_error_on(&store, &held_out.inputs);
    let held_out_errors = (pca_error_with(&x_held_out, &mean, &e), ae_held_out);

    // Figures: curves, clusters and reconstructions.
    let (five, assignment_at_five) = shown_k.expect("at least one K");
    let ks: Vec<f64> = (1..=config.max_clusters).map(|k| k as f64).collect();
    plot::lines(
        config.out.join("unsupervised_curves.svg"),
        &[
            Lines::new("k-means elbow")
                .x_label("K")
                .y_label("objective")
                .series(
                    "Lloyd",
                    ks.iter()
                        .copied()
                        .zip(kmeans_lloyd.iter().copied())
                        .collect(),
                )
                .series(
                    "gradient descent",
                    ks.iter()
                        .copied()
                        .zip(kmeans_gradient.iter().copied())
                        .collect(),
                ),
            Lines::new(format!("PCA (k = {k}): objective - optimum"))
                .x_label("step")
                .y_label("excess over the trailing eigenvalues")
                .log_y()
                .values(
                    "objective (with penalty) - sum of trailing eigenvalues",
                    &pca_curve
                        .iter()
                        .map(|v| v - trailing_eigenvalue_sum)
                        .collect::<Vec<f64>>(),
                ),
            Lines::new(format!("autoencoder 784-{k}-784 vs PCA"))
                .x_label("epoch")
                .y_label("reconstruction error (training digits)")
                .log_y()
                .values("autoencoder", &ae_curve)
                .series(
                    format!("PCA optimum (k = {k})"),
                    vec![
                        (0.0, trailing_eigenvalue_sum),
                        (ae_curve.len() as f64, trailing_eigenvalue_sum),
                    ],
                ),
        ],
    )?;
    plot::scatter(
        config.out.join("unsupervised_clusters.svg"),
        &[
            Scatter::new("mixture of 5 Gaussians", plot::points(&points)).classes(&blobs.labels),
            Scatter::new(
                format!("k-means by gradient descent, K = {five}"),
                plot::points(&points),
            )
            .classes(&assignment_at_five),
        ],
    )?;
    let shown = 5.min(held_out.len());
    let pca_images = {
        let xc = centred(&x_held_out, &mean);
        let r = xc.matmul(&e).matmul_t(&e, false, true);
        Tensor::from_fn(r.dims(), |i| r.data()[i] + mean[i % 784])
    };
    let tile = |pixels: &[f64], caption: &str| Tile::new(pixels, 28, 28).caption(caption);
    let mut tiles = Vec::new();
    for (caption, images) in [
        ("held-out digit", x_held_out.clone()),
        ("PCA", pca_images),
        ("autoencoder", ae_images.cast()),
    ] {
        for i in 0..shown {
            tiles.push(tile(&images.data()[i * 784..(i + 1) * 784], caption));
        }
    }
    plot::image_grid(
        config.out.join("unsupervised_reconstructions.svg"),
        &format!("held-out digits and their reconstructions through {k} dimensions"),
        &tiles,
        shown.max(1),
    )?;
    Ok(Report {
        kmeans_gradient,
        kmeans_lloyd,
        kmeans_relative_gaps,
        lloyd_fixed_point_gap,
        pca_error,
        trailing_eigenvalue_sum,
        pca_relative_gap,
        orthonormality,
        ae_error,
        held_out_errors,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let mut args = Args::parse(
        "unsupervised",
        "k-means, PCA and an autoencoder by gradient descent, each checked against an \
         independent answer (catalogue U1, U2, U3).",
        argv,
    );
    let d = Config::default();
    let config = Config {
        cluster_points: args.value("--cluster-points", "N", d.cluster_points, "k-means points")?,
        max_clusters: args.value("--max-clusters", "K", d.max_clusters, "largest K")?,
        kmeans_steps: args.value("--kmeans-steps", "N", d.kmeans_steps, "k-means steps")?,
        kmeans_restarts: args.value(
            "--kmeans-restarts",
            "N",
            d.kmeans_restarts,
            "k-means++ starts for each K",
        )?,
        digits: args.value("--digits", "N", d.digits, "training digits")?,
        components: args.value("--components", "K", d.components, "PCA components")?,
        pca_steps: args.value("--pca-steps", "N", d.pca_steps, "gradient steps of PCA")?,
        ae_epochs: args.value("--ae-epochs", "N", d.ae_epochs, "autoencoder epochs")?,
        seed: args.value("--seed", "N", d.seed, "seed of every random choice")?,
        out: args.out_dir(&d.out)?,
    };
    if !args.finish()? {
        return Ok(None);
    }
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
    train::cli::exit_code(run_main(std::env::args().skip(1)))
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
