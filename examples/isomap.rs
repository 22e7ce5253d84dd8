//! Isomap unrolls a Swiss roll by minimising the geodesic stress (catalogue U4).
//!
//! ```text
//! cargo run --release --example isomap
//! cargo run --release --example isomap -- --help
//! ```
//!
//! 800 points on a Swiss roll (a 2-D sheet rolled up in 3-D) are joined to their 10 nearest
//! neighbours; shortest paths through that graph approximate the distances along the sheet
//! (`geodesic_distances`). A 2-D embedding `y` starts from classical multidimensional scaling
//! of those distances (the top two eigenvectors of the double-centred squared distances,
//! computed here by subspace iteration, without autodiff) and then minimises the stress
//! `sum_{i<j} (d_G(i, j) - ||y_i - y_j||)^2` with Adam. If the roll is unrolled, the
//! embedding's first axis follows the roll's coordinate `t`: the rank correlation between them
//! is the result.
//!
//! The roll is sampled uniformly in area (see `train::synth::swiss_roll`), yet Isomap's known
//! weak point still shows at its four corners: a corner point has only a quarter disc of
//! neighbours, so its 10 nearest reach about twice as far as in the middle of the sheet, close
//! to the gap between two turns of the roll. On about one roll in ten (27 of seeds 0-299) some
//! corner point picks a neighbour on the next turn; that short-circuit edge folds the geodesics
//! and no stress minimisation can repair it (rank correlation 0.87-0.95). So before embedding,
//! a neighbour-graph check (`short_circuit_points`, in the spirit of robust Isomap) finds the
//! edges that jump across a gap of the sheet, looking only at the points, and drops the points
//! that chose them (none on most rolls, 1 to 3 otherwise; `geodesic_distances` builds its graph
//! itself, so dropping a point is how an edge is left out). The rank correlation is measured on
//! the points kept; `--no-guard` skips the check. The run also counts, from the true
//! coordinates, the pairs a short circuit affects (graph distance under half the distance along
//! the sheet): 0 once the check has run.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::linalg::{orthonormalise_columns, symmetric_eigen};
use gallery::plot::{self, Scatter};
use losses::Reduction;
use losses::unsupervised::{geodesic_distances, isomap_stress};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::synth::SwissRoll;
use train::{Adam, Divergence, LrSchedule, Optimizer, ParamStore};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "isomap",
    about = "Isomap unrolls a Swiss roll by minimising the geodesic stress (catalogue U4)."
)]
pub struct Config {
    /// Points on the roll.
    #[arg(long, value_name = "N", default_value_t = 800)]
    pub points: usize,
    /// Nearest neighbours each point is joined to.
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub neighbours: usize,
    /// Standard deviation of the Gaussian noise on each coordinate of the roll.
    #[arg(long, value_name = "SD", default_value_t = 0.05, value_parser = cli::finite::<f32>)]
    pub noise: f32,
    /// Adam steps on the stress.
    #[arg(long, value_name = "N", default_value_t = 150)]
    pub steps: usize,
    /// Adam learning rate (in the units of the embedding's coordinates).
    #[arg(long, value_name = "RATE", default_value_t = 0.05, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Whether to run the neighbour-graph check that drops points choosing short circuits.
    #[arg(long = "no-guard", action = clap::ArgAction::SetFalse, help = "Skip the neighbour-graph check (keep points whose neighbours bridge two turns)")]
    pub guard: bool,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where the SVG goes.
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
    /// The stress `sum_{i<j} (d_G - ||y_i - y_j||)^2` of the classical-MDS start.
    pub stress_before: f64,
    /// The stress after minimisation.
    pub stress_after: f64,
    /// Spearman's rank correlation between the roll coordinate `t` and the first principal
    /// axis of the MDS start (absolute value: the sign of an axis is arbitrary).
    pub rank_correlation_before: f64,
    /// The same for the final embedding.
    pub rank_correlation_after: f64,
    /// The stress after each Adam step.
    pub stress_curve: Vec<f64>,
    /// Points the neighbour-graph check dropped (their neighbours reached across a gap).
    pub dropped_points: usize,
    /// Pairs the neighbour graph joins at under half their distance along the sheet (0 unless
    /// an edge short-circuits two layers of the roll), counted from the true coordinates.
    pub short_circuit_pairs: usize,
}

/// Classical MDS: the `dims`-dimensional configuration whose inner products best match
/// `B = -1/2 J D^2 J` (`J` centres), i.e. `Y = V_k Lambda_k^{1/2}` from the top eigenpairs of `B`,
/// found by subspace iteration with a Rayleigh-Ritz step.
pub fn classical_mds(distances: &Tensor<f64>, dims: usize) -> Tensor<f64> {
    let n = distances.dims()[0];
    let squared: Vec<f64> = distances.data().iter().map(|d| d * d).collect();
    let row_means: Vec<f64> = squared
        .chunks_exact(n)
        .map(|r| r.iter().sum::<f64>() / n as f64)
        .collect();
    let grand_mean = row_means.iter().sum::<f64>() / n as f64;
    let b = Tensor::from_fn([n, n], |idx| {
        let (i, j) = (idx / n, idx % n);
        -0.5 * (squared[idx] - row_means[i] - row_means[j] + grand_mean)
    });
    // A few extra vectors speed up convergence of the wanted ones.
    let p = dims + 4;
    let mut q: Vec<f64> = (0..n * p)
        .map(|i| ((i * 7919 + 13) % 101) as f64 - 50.0)
        .collect();
    orthonormalise_columns(&mut q, n, p);
    let mut previous = f64::NAN;
    for _ in 0..500 {
        let mut z = b.matmul(&Tensor::from_vec(q, [n, p])).to_vec();
        orthonormalise_columns(&mut z, n, p);
        q = z;
        // Stop once the Rayleigh quotients of the wanted vectors settle.
        let bq = b.matmul(&Tensor::from_vec(q.clone(), [n, p]));
        let ritz: f64 = (0..dims)
            .map(|j| {
                (0..n)
                    .map(|r| q[r * p + j] * bq.data()[r * p + j])
                    .sum::<f64>()
            })
            .sum();
        if (ritz - previous).abs() <= 1e-13 * ritz.abs() {
            break;
        }
        previous = ritz;
    }
    let qt = Tensor::from_vec(q, [n, p]);
    let small = qt.matmul_t(&b.matmul(&qt), true, false);
    let (values, vectors) = symmetric_eigen(small.data(), p);
    let ritz_vectors = qt.matmul(&Tensor::from_vec(vectors, [p, p]));
    Tensor::from_fn([n, dims], |idx| {
        let (r, c) = (idx / dims, idx % dims);
        ritz_vectors.data()[r * p + c] * values[c].max(0.0).sqrt()
    })
}

/// The embedding's coordinates along its first principal axis.
pub fn first_principal_axis(embedding: &Tensor<f64>) -> Vec<f64> {
    let rows: Vec<&[f64]> = embedding.data().chunks_exact(2).collect();
    let n = rows.len() as f64;
    let mean = [0, 1].map(|c| rows.iter().map(|r| r[c]).sum::<f64>() / n);
    let mut cov = [0.0; 4];
    for r in &rows {
        let d = [r[0] - mean[0], r[1] - mean[1]];
        for (k, c) in cov.iter_mut().enumerate() {
            *c += d[k / 2] * d[k % 2] / n;
        }
    }
    let (_, vectors) = symmetric_eigen(&cov, 2);
    rows.iter()
        .map(|r| (r[0] - mean[0]) * vectors[0] + (r[1] - mean[1]) * vectors[2])
        .collect()
}

/// Spearman's rank correlation: Pearson's correlation of the ranks (no ties expected).
pub fn rank_correlation(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut rank = vec![0.0; v.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as f64;
        }
        rank
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 - 1.0) / 2.0;
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        var_a += (x - mean).powi(2);
        var_b += (y - mean).powi(2);
    }
    cov / (var_a * var_b).sqrt()
}

/// Pairs whose graph distance is under half their true distance along the sheet: the mark of
/// a short-circuit edge between two layers of the roll.
///
/// The sheet distance of points `(t, h)` on the roll `(t cos t, h, t sin t)` is
/// `sqrt((s(t_i) - s(t_j))^2 + (h_i - h_j)^2)`, with the spiral's arc length `s(t)`
/// ([`SwissRoll::arc_length`]).
pub fn short_circuit_pairs(geodesic: &Tensor<f64>, unrolled: &Tensor<f64>) -> usize {
    let sheet: Vec<(f64, f64)> = unrolled
        .data()
        .chunks_exact(2)
        .map(|r| (SwissRoll::arc_length(r[0]), r[1]))
        .collect();
    let n = sheet.len();
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| {
            let along = (sheet[i].0 - sheet[j].0).hypot(sheet[i].1 - sheet[j].1);
            // Noise moves points by about 0.1, so only pairs a unit or more apart count.
            along > 1.0 && geodesic.data()[i * n + j] < 0.5 * along
        })
        .count()
}

/// Edges shorter than this many typical neighbourhood radii are not examined for short circuits.
const SHORT_CIRCUIT_MIN_LENGTH: f64 = 1.5;
/// An examined edge is a short circuit unless shorter edges join its ends within this many times
/// its length.
const SHORT_CIRCUIT_DETOUR: f64 = 5.0;

/// Each point's `k` nearest other points with their distances, nearest first (ties broken by
/// index): the choices from which `geodesic_distances` builds its graph.
fn nearest_neighbours(points: &Tensor<f64>, k: usize) -> Vec<Vec<(usize, f64)>> {
    let rows: Vec<&[f64]> = points.data().chunks_exact(points.dims()[1]).collect();
    let distance = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    rows.iter()
        .enumerate()
        .map(|(i, a)| {
            let mut others: Vec<(usize, f64)> = rows
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, b)| (j, distance(a, b)))
                .collect();
            others.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
            others.truncate(k);
            others
        })
        .collect()
}

/// The length of the shortest path from `from` to `to` in `graph` (adjacency lists), or
/// `None` if every path is longer than `limit`.
fn path_within(graph: &[Vec<(usize, f64)>], from: usize, to: usize, limit: f64) -> Option<f64> {
    let mut best = vec![f64::INFINITY; graph.len()];
    best[from] = 0.0;
    // Non-negative floats order like their bit patterns, which (unlike f64) are `Ord`.
    let mut queue = BinaryHeap::from([Reverse((0f64.to_bits(), from))]);
    while let Some(Reverse((bits, node))) = queue.pop() {
        let distance = f64::from_bits(bits);
        if node == to {
            return Some(distance);
        }
        if distance > best[node] {
            continue;
        }
        for &(next, length) in &graph[node] {
            let through = distance + length;
            if through <= limit && through < best[next] {
                best[next] = through;
                queue.push(Reverse((through.to_bits(), next)));
            }
        }
    }
    None
}

/// The neighbour-graph check: the points whose own `k` nearest neighbours include a short
/// circuit, an edge that jumps across a gap of the manifold (here: from one turn of the roll to
/// the next). It looks only at the points, never at the true coordinates.
///
/// The edges of the k-nearest-neighbour graph are examined from the shortest up, each against
/// the graph of the shorter edges accepted so far. An edge longer than
/// [`SHORT_CIRCUIT_MIN_LENGTH`] typical neighbourhood radii (the median distance of a point to
/// its `k`-th neighbour) is a short circuit when that graph does not join its ends within
/// [`SHORT_CIRCUIT_DETOUR`] times its length. On the sheet, shorter edges always offer such a
/// detour (at most 4.4 times the length on 300 rolls), while a short circuit between two turns
/// skips a whole turn (a detour of 7.7 times its length or more at the roll's tight inner end).
/// Shorter edges are not examined: among yet shorter edges a path can wander far even on the
/// sheet, and a gap narrower than the typical radius would defeat Isomap everywhere, not only
/// at the corners. A short circuit is left out of the graph, so when several run side by side
/// the next one is caught too.
pub fn short_circuit_points(points: &Tensor<f64>, k: usize) -> Vec<usize> {
    let choices = nearest_neighbours(points, k);
    let n = choices.len();
    let mut radii: Vec<f64> = choices
        .iter()
        .filter_map(|c| c.last())
        .map(|c| c.1)
        .collect();
    radii.sort_by(f64::total_cmp);
    let typical_radius = radii.get(n / 2).copied().unwrap_or(0.0);
    let mut edges: Vec<(f64, usize, usize)> = choices
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.iter().map(move |&(j, w)| (w, i.min(j), i.max(j))))
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    edges.dedup_by(|a, b| (a.1, a.2) == (b.1, b.2));
    let mut accepted: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut flagged = Vec::new();
    for (length, i, j) in edges {
        if length > SHORT_CIRCUIT_MIN_LENGTH * typical_radius
            && path_within(&accepted, i, j, SHORT_CIRCUIT_DETOUR * length).is_none()
        {
            // Drop whichever end chose the edge (a sparse corner point, typically).
            for (from, to) in [(i, j), (j, i)] {
                if choices[from].iter().any(|&(c, _)| c == to) {
                    flagged.push(from);
                }
            }
            continue;
        }
        accepted[i].push((j, length));
        accepted[j].push((i, length));
    }
    flagged.sort_unstable();
    flagged.dedup();
    flagged
}

/// The points that remain after repeating the check until it flags nothing (dropping a point
/// changes its neighbours' neighbourhoods, so one round may not be enough).
pub fn without_short_circuits(points: &Tensor<f64>, k: usize) -> Vec<usize> {
    let mut kept: Vec<usize> = (0..points.dims()[0]).collect();
    loop {
        let flagged = short_circuit_points(&points.index_select(0, &kept), k);
        if flagged.is_empty() || kept.len() - flagged.len() <= k {
            return kept;
        }
        kept = kept
            .iter()
            .enumerate()
            .filter(|(position, _)| flagged.binary_search(position).is_err())
            .map(|(_, &index)| index)
            .collect();
    }
}

/// The stress of an embedding, evaluated on a fresh tape.
fn stress(embedding: &Tensor<f64>, geodesic: &Tensor<f64>) -> f64 {
    let tape = Tape::new();
    let geodesic = tape.constant(geodesic.clone());
    isomap_stress(tape.constant(embedding.clone()), geodesic, Reduction::Sum).item()
}

/// Builds the roll, embeds it and measures how well it is unrolled.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let roll = train::synth::swiss_roll(config.points, config.noise, &mut rng);
    let all_points: Tensor<f64> = roll.points.cast();
    println!(
        "Swiss roll: {} points, noise {}, {} nearest neighbours",
        config.points, config.noise, config.neighbours
    );
    let kept = if config.guard {
        without_short_circuits(&all_points, config.neighbours)
    } else {
        (0..config.points).collect()
    };
    let dropped_points = config.points - kept.len();
    if config.guard {
        println!(
            "neighbour-graph check: dropped {dropped_points} point(s) whose neighbours reach \
             across a gap of the sheet"
        );
    }
    let points = all_points.index_select(0, &kept);
    let unrolled: Tensor<f64> = roll.unrolled.cast::<f64>().index_select(0, &kept);
    let t: Vec<f64> = unrolled.data().chunks_exact(2).map(|r| r[0]).collect();
    let geodesic = geodesic_distances(&points, config.neighbours).map_err(|e| e.to_string())?;
    let short_circuits = short_circuit_pairs(&geodesic, &unrolled);
    println!(
        "pairs the graph joins at under half their distance along the sheet: {short_circuits}"
    );
    let start = classical_mds(&geodesic, 2);
    let stress_before = stress(&start, &geodesic);
    let rank_correlation_before = rank_correlation(&t, &first_principal_axis(&start)).abs();
    println!(
        "classical MDS start: stress {stress_before:.4e}, rank correlation with t \
         {rank_correlation_before:.4}"
    );

    let mut store = ParamStore::<f64>::new();
    let y = store.add("embedding", start.clone());
    let mut optimizer = Adam::new(config.lr).schedule(LrSchedule::Cosine {
        warmup: 0,
        total: config.steps,
        min_factor: 0.05,
    });
    let mut tape = Tape::new();
    let mut stress_curve = Vec::with_capacity(config.steps);
    for step in 1..=config.steps {
        // Mean over pairs keeps the gradient's scale independent of the number of points.
        let mean = store.compute_grads(&mut tape, |p| {
            isomap_stress(p[y], p.tape().constant(geodesic.clone()), Reduction::Mean)
        });
        Divergence::check(&store, mean, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice("try a lower --lr"))?;
        optimizer.step(&mut store);
        let pairs = (kept.len() * (kept.len() - 1) / 2) as f64;
        stress_curve.push(mean * pairs);
        if step % (config.steps / 10).max(1) == 0 {
            println!("step {step:4}  stress {:.4e}", mean * pairs);
        }
    }
    let embedding = store.value(y).clone();
    let stress_after = stress(&embedding, &geodesic);
    let rank_correlation_after = rank_correlation(&t, &first_principal_axis(&embedding)).abs();

    let view = |xy: &Tensor<f64>| plot::points(xy);
    let side_view: Vec<(f64, f64)> = points
        .data()
        .chunks_exact(3)
        .map(|p| (p[0], p[2]))
        .collect();
    plot::scatter(
        config.out.join("isomap.svg"),
        &[
            Scatter::new("Swiss roll (x, z), coloured by t", side_view).values(&t),
            Scatter::new("classical MDS start", view(&start)).values(&t),
            Scatter::new(
                format!("after stress descent (rank corr. {rank_correlation_after:.3})"),
                view(&embedding),
            )
            .values(&t),
        ],
    )?;
    Ok(Report {
        stress_before,
        stress_after,
        rank_correlation_before,
        rank_correlation_after,
        stress_curve,
        dropped_points,
        short_circuit_pairs: short_circuits,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.points < 4 || config.steps == 0 {
        return Err("--points must be at least 4 and --steps at least 1".into());
    }
    if config.lr <= 0.0 || config.noise < 0.0 {
        return Err("--lr must be positive and --noise at least 0".into());
    }
    // The geodesic distances, and the stress's pairwise differences and their gradients:
    // a handful of [points, points] f64 matrices.
    let pairs = (config.points as u128).pow(2);
    check::memory(&format!("--points {}", config.points), 6 * 8 * pairs)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the rank correlation misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!("wrote isomap.svg to {}", config.out.display());
    println!(
        "stress: {:.4e} (classical MDS) -> {:.4e} (after descent)",
        report.stress_before, report.stress_after
    );
    let required = Requirement::at_least("rank correlation", report.rank_correlation_after, 0.95);
    println!(
        "rank correlation of t with the first axis: {:.4} (MDS start) -> {:.4} ({}; {:.1} s)",
        report.rank_correlation_before,
        report.rank_correlation_after,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
