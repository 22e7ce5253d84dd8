//! Fisher's linear discriminant found by gradient ascent on the Fisher criterion (catalogue C3).
//!
//! ```text
//! cargo run --release --example lda
//! cargo run --release --example lda -- --help
//! ```
//!
//! Three classes of points in 5-D: Gaussian blobs pushed through a fixed linear map, so the
//! classes are elongated and correlated and the best direction to separate them is not the one
//! their means differ along. Adam maximises `J(w) = (w^T S_B w) / (w^T S_W w)`
//! (`fisher_ratio`, with gradients from the tape) over one direction `w`. Its maximum is the
//! top generalised eigenvalue of `(S_B, S_W)`, computed here independently, without autodiff:
//! `S_W = L L^T` (Cholesky), then the top eigenvalue of `L^-1 S_B L^-T` (Jacobi rotations).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::linalg::nalgebra::{DMatrix, DVector};
use gallery::linalg::symmetric_eigen;
use gallery::plot::{self, Histograms, Lines};
use losses::classification::fisher_ratio;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::synth::GaussianMixture;
use train::{Adam, Divergence, Init, LrSchedule, Optimizer, ParamStore};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "lda",
    about = "Fisher's linear discriminant by gradient ascent on the Fisher criterion (catalogue C3)."
)]
pub struct Config {
    /// Points in the data set (three classes, drawn uniformly).
    #[arg(long, value_name = "N", default_value_t = 600)]
    pub points: usize,
    /// Adam steps of gradient ascent.
    #[arg(long, value_name = "N", default_value_t = 400)]
    pub steps: usize,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", default_value_t = 0.05, value_parser = cli::finite::<f64>)]
    pub lr: f64,
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
    /// The Fisher criterion reached by gradient ascent.
    pub j_reached: f64,
    /// The top generalised eigenvalue of `(S_B, S_W)`: the largest value `J` can take.
    pub top_eigenvalue: f64,
    /// `|j_reached - top_eigenvalue| / top_eigenvalue`.
    pub relative_gap: f64,
    /// The angle in degrees between the learnt direction and the generalised eigenvector.
    pub angle_degrees: f64,
    /// `J` of the direction joining the two outer class means, for comparison.
    pub j_mean_difference: f64,
    /// `J` after each step.
    pub j_curve: Vec<f64>,
}

/// The input dimension.
pub const DIMS: usize = 5;

/// The three-class data set: `[n, 5]` points (f64) and their classes.
pub fn three_classes(n: usize, rng: &mut StdRng) -> (Tensor<f64>, Vec<usize>) {
    let means = vec![
        vec![0.0, 0.0, 0.0, 0.0, 0.0],
        vec![2.5, 1.0, 0.0, 0.5, 0.0],
        vec![5.0, -0.5, 1.0, 0.0, 0.5],
    ];
    let blobs = GaussianMixture::new(means, 1.0).sample(n, rng);
    // Stretches and shears the blobs: x -> x A, mixing the separating axis with noisy ones.
    let mix = [
        [1.0, 0.0, 0.0, 0.0, 0.0],
        [2.0, 1.5, 0.0, 0.0, 0.0],
        [0.0, 0.5, 1.0, 0.0, 0.0],
        [1.5, 0.0, 0.0, 3.0, 0.0],
        [0.0, 0.0, 2.0, 0.5, 0.7],
    ];
    let raw: Tensor<f64> = blobs.inputs.cast();
    let x = Tensor::from_fn([n, DIMS], |idx| {
        let (i, j) = (idx / DIMS, idx % DIMS);
        (0..DIMS)
            .map(|k| raw.data()[i * DIMS + k] * mix[k][j])
            .sum()
    });
    (x, blobs.labels)
}

/// The between-class and within-class scatter matrices (`d x d`, row-major):
/// `S_B = sum_k n_k (mu_k - mu)(mu_k - mu)^T`, `S_W = sum_k sum_{x in k} (x - mu_k)(x - mu_k)^T`.
pub fn scatter_matrices(x: &Tensor<f64>, labels: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let d = x.dims()[1];
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut counts = vec![0.0; classes];
    let mut sums = vec![vec![0.0; d]; classes];
    for (row, &label) in x.data().chunks_exact(d).zip(labels) {
        counts[label] += 1.0;
        for (s, v) in sums[label].iter_mut().zip(row) {
            *s += v;
        }
    }
    let n = labels.len() as f64;
    let mean: Vec<f64> = (0..d)
        .map(|j| sums.iter().map(|s| s[j]).sum::<f64>() / n)
        .collect();
    let class_means: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &c)| s.iter().map(|v| v / f64::max(c, 1.0)).collect())
        .collect();
    let mut between = vec![0.0; d * d];
    for (mu_k, &n_k) in class_means.iter().zip(&counts) {
        for a in 0..d {
            for b in 0..d {
                between[a * d + b] += n_k * (mu_k[a] - mean[a]) * (mu_k[b] - mean[b]);
            }
        }
    }
    let mut within = vec![0.0; d * d];
    for (row, &label) in x.data().chunks_exact(d).zip(labels) {
        let mu_k = &class_means[label];
        for a in 0..d {
            for b in 0..d {
                within[a * d + b] += (row[a] - mu_k[a]) * (row[b] - mu_k[b]);
            }
        }
    }
    (between, within)
}

/// The top generalised eigenpair of `(S_B, S_W)`: the largest `lambda` with
/// `S_B w = lambda S_W w`, and its `w`. With the Cholesky factor `S_W = L L^T` the problem
/// becomes the ordinary symmetric one `(L^-1 S_B L^-T) u = lambda u`, `w = L^-T u`.
pub fn top_generalised_eigenpair(between: &[f64], within: &[f64], d: usize) -> (f64, Vec<f64>) {
    let l = DMatrix::from_row_slice(d, d, within)
        .cholesky()
        .expect("the within-class scatter of points in general position is positive definite")
        .unpack();
    let solved = "L is triangular with a positive diagonal";
    // L^-1 S_B, then L^-1 (L^-1 S_B)^T = L^-1 S_B L^-T (S_B is symmetric).
    let half = l
        .solve_lower_triangular(&DMatrix::from_row_slice(d, d, between))
        .expect(solved);
    let reduced = l.solve_lower_triangular(&half.transpose()).expect(solved);
    // Row-major, as symmetric_eigen takes it (the transpose of a symmetric matrix: itself).
    let (values, vectors) = symmetric_eigen(reduced.as_slice(), d);
    let u = DVector::from_iterator(d, (0..d).map(|i| vectors[i * d]));
    let w = l.transpose().solve_upper_triangular(&u).expect(solved);
    (values[0], w.iter().copied().collect())
}

/// `J(w)` evaluated without a gradient.
fn fisher_value(x: &Tensor<f64>, w: &[f64], labels: &[usize]) -> f64 {
    let tape = Tape::new();
    let w = tape.constant(Tensor::from_vec(w.to_vec(), [w.len(), 1]));
    fisher_ratio(tape.constant(x.clone()), w, labels).item()
}

/// Each point's coordinate along `w` (normalised), grouped by class.
fn projections(x: &Tensor<f64>, labels: &[usize], w: &[f64]) -> Vec<Vec<f64>> {
    let norm = w.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut groups = vec![Vec::new(); 3];
    for (row, &label) in x.data().chunks_exact(w.len()).zip(labels) {
        groups[label].push(row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / norm);
    }
    groups
}

/// Maximises the Fisher criterion by gradient ascent and compares with the eigen-solution.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let (x, labels) = three_classes(config.points, &mut rng);
    println!(
        "data: {} points in {DIMS}-D, 3 elongated, correlated classes",
        config.points
    );
    let (between, within) = scatter_matrices(&x, &labels);
    let (top_eigenvalue, eigenvector) = top_generalised_eigenpair(&between, &within, DIMS);
    println!("top generalised eigenvalue of (S_B, S_W): {top_eigenvalue:.10}");

    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Init::Normal(1.0).sample([DIMS, 1], DIMS, 1, &mut rng));
    // J is scale-invariant in w, so Adam's steps (about lr per coordinate) act on the
    // direction; decaying them lets the direction settle to the optimum.
    let mut optimizer = Adam::new(config.lr).schedule(LrSchedule::Cosine {
        warmup: 0,
        total: config.steps,
        min_factor: 0.01,
    });
    let mut tape = Tape::new();
    let xs = x.clone();
    let mut j_curve = Vec::with_capacity(config.steps);
    for step in 1..=config.steps {
        // Minimising -J maximises J.
        let loss = store.compute_grads(&mut tape, |p| {
            -fisher_ratio(p.tape().constant(xs.clone()), p[w], &labels)
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice("try a lower --lr"))?;
        optimizer.step(&mut store);
        j_curve.push(-loss);
        if step % (config.steps / 10).max(1) == 0 {
            println!("step {step:4}  J(w) {:.10}", -loss);
        }
    }
    let learnt = store.value(w).to_vec();
    let j_reached = fisher_value(&x, &learnt, &labels);
    let relative_gap = (j_reached - top_eigenvalue).abs() / top_eigenvalue;
    let cosine = {
        let dot: f64 = learnt.iter().zip(&eigenvector).map(|(a, b)| a * b).sum();
        let norms = [&learnt, &eigenvector].map(|v| v.iter().map(|a| a * a).sum::<f64>().sqrt());
        (dot / (norms[0] * norms[1])).abs().min(1.0)
    };
    let angle_degrees = cosine.acos().to_degrees();
    // The naive direction: from the first class mean to the last.
    let mean_of = |k: usize| -> Vec<f64> {
        let rows: Vec<&[f64]> = x
            .data()
            .chunks_exact(DIMS)
            .zip(&labels)
            .filter(|&(_, &l)| l == k)
            .map(|(r, _)| r)
            .collect();
        (0..DIMS)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / rows.len() as f64)
            .collect()
    };
    let naive: Vec<f64> = mean_of(2)
        .iter()
        .zip(mean_of(0))
        .map(|(a, b)| a - b)
        .collect();
    let j_mean_difference = fisher_value(&x, &naive, &labels);

    let report = Report {
        j_reached,
        top_eigenvalue,
        relative_gap,
        angle_degrees,
        j_mean_difference,
        j_curve,
    };
    draw_figures(config, (&x, &labels), (&naive, &learnt), &report)?;
    Ok(report)
}

/// The projections on the mean difference and on the learnt `w`, in `lda_projections.svg`, and
/// the ascent of `J`, in `lda_ascent.svg`.
fn draw_figures(
    config: &Config,
    (x, labels): (&Tensor<f64>, &[usize]),
    (naive, learnt): (&[f64], &[f64]),
    r: &Report,
) -> Result<(), String> {
    let panel = |title: String, w: &[f64]| {
        projections(x, labels, w).into_iter().enumerate().fold(
            Histograms::new(title).bins(40).x_label("projection"),
            |h, (k, v)| h.sample(format!("class {k}"), v),
        )
    };
    plot::histograms(
        config.out.join("lda_projections.svg"),
        &[
            panel(
                format!("mean difference: J = {:.3}", r.j_mean_difference),
                naive,
            ),
            panel(format!("learnt w: J = {:.3}", r.j_reached), learnt),
        ],
    )?;
    plot::lines(
        config.out.join("lda_ascent.svg"),
        &[Lines::new("gradient ascent on J(w)")
            .x_label("step")
            .y_label("J")
            .series(
                "top generalised eigenvalue",
                vec![
                    (0.0, r.top_eigenvalue),
                    (config.steps as f64, r.top_eigenvalue),
                ],
            )
            .values("J(w)", &r.j_curve)],
    )
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.points < 3 * (DIMS + 1) || config.steps == 0 {
        return Err(format!(
            "--points must be at least {} and --steps at least 1",
            3 * (DIMS + 1)
        ));
    }
    if config.lr <= 0.0 {
        return Err(format!("--lr must be positive, got {}", config.lr));
    }
    // The points and a few same-sized temporaries of the ratio's graph, f64.
    check::memory(
        &format!("--points {}", config.points),
        8 * 8 * DIMS as u128 * config.points as u128,
    )?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the gap to the eigenvalue misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!(
        "wrote lda_projections.svg and lda_ascent.svg to {}",
        config.out.display()
    );
    println!(
        "J along the mean difference: {:.4}; angle between learnt w and the eigenvector: \
         {:.2e} degrees",
        report.j_mean_difference, report.angle_degrees
    );
    let required = Requirement::at_most("relative gap", report.relative_gap, 1e-4);
    println!(
        "J(w) reached {:.10} vs top generalised eigenvalue {:.10}: relative gap {:.1e} \
         ({}; {:.1} s)",
        report.j_reached,
        report.top_eigenvalue,
        report.relative_gap,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
