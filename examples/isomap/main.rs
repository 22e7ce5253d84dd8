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

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Scatter};
use losses::Reduction;
use losses::unsupervised::{geodesic_distances, isomap_stress};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{Adam, Divergence, LrSchedule, Optimizer, ParamStore};

mod guard;
mod mds;

pub use guard::{short_circuit_pairs, short_circuit_points, without_short_circuits};
pub use mds::{classical_mds, first_principal_axis, rank_correlation};

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
