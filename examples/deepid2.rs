//! DeepID2: identification + verification signals for face-verification-style features
//! (catalogue M2), with digits as the identities.
//!
//! ```text
//! cargo run --release --example deepid2
//! ```
//!
//! An MLP maps an MNIST-style digit to a 64-d feature `f` (ReLU outputs), and a linear layer
//! classifies `f` into the 10 identities. The objective is `Ident + lambda Verif`
//! (`losses::multitask::deepid2`): softmax cross-entropy on the identities plus, on pairs of
//! the batch, `(1/2)||f_i - f_j||^2` for the same identity and `(1/2) max(0, m - ||f_i -
//! f_j||)^2` for different ones. The same network is trained with `lambda = 0` (identification
//! only) and `lambda > 0`. Two digits are declared the same identity when their feature
//! distance is below a threshold, chosen for the best accuracy on training pairs; the result is
//! the accuracy of that rule on held-out pairs of unseen images.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Histograms};
use losses::multitask::deepid2;
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use tape::{Tape, Tensor};
use train::fit::{Fit, FitConfig};
use train::{
    Activation, Adam, Dataset, Init, LabelledBatch, Linear, Mlp, Module, ParamStore, synth,
};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "deepid2",
    about = "Digit verification with DeepID2's identification + verification objective (M2)."
)]
pub struct Config {
    /// Training digits.
    #[arg(long, value_name = "N", default_value_t = 6000)]
    pub train: usize,
    /// Held-out digits the test pairs are drawn from.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub test: usize,
    /// Pairs to choose the threshold on (training images) and to test it on (held-out images).
    #[arg(long, value_name = "N", default_value_t = 4000)]
    pub pairs: usize,
    /// Passes over the training digits (per model).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub epochs: usize,
    /// Digits per step.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", default_value_t = 1e-3, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Weight `lambda` of the verification term in the second model.
    #[arg(long, value_name = "W", default_value_t = 0.05, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Margin `m` of the verification term.
    #[arg(long, value_name = "M", default_value_t = 10.0, value_parser = cli::finite::<f64>)]
    pub margin: f64,
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

/// What one trained model measured.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The `lambda` it was trained with.
    pub lambda: f64,
    /// The distance threshold chosen on the training pairs.
    pub threshold: f64,
    /// Accuracy of the threshold rule on the training pairs.
    pub train_accuracy: f64,
    /// Accuracy of the threshold rule on the held-out pairs.
    pub verification_accuracy: f64,
    /// Feature distances of held-out same-identity pairs.
    pub same: Vec<f64>,
    /// Feature distances of held-out different-identity pairs.
    pub different: Vec<f64>,
}

/// What a run measured: identification only, then identification + verification.
#[derive(Clone, Debug)]
pub struct Report {
    /// Trained with `lambda = 0`.
    pub identification: Measured,
    /// Trained with the configured `lambda > 0`.
    pub joint: Measured,
}

/// The feature extractor and the identity classifier on top of it.
struct Net {
    features: Mlp,
    identify: Linear,
}

impl Net {
    fn features<'t>(&self, p: &train::Params<'t>, x: tape::Var<'t>) -> tape::Var<'t> {
        self.features.forward(p, x).relu()
    }
}

/// Pairs of rows with the same label (consecutive members of each class), and as many pairs
/// of rows with different labels drawn at random.
fn balanced_pairs(labels: &[usize], limit: usize, rng: &mut impl Rng) -> Vec<(usize, usize)> {
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut members = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(i);
    }
    let mut pairs: Vec<(usize, usize)> = members
        .iter()
        .flat_map(|m| m.chunks_exact(2).map(|p| (p[0], p[1])))
        .take(limit / 2)
        .collect();
    let same = pairs.len();
    while pairs.len() < 2 * same {
        let (i, j) = (
            rng.random_range(0..labels.len()),
            rng.random_range(0..labels.len()),
        );
        if labels[i] != labels[j] {
            pairs.push((i, j));
        }
    }
    pairs
}

/// Pairs of `data` half of the same identity, half of different ones, drawn at random.
fn random_pairs(data: &Dataset, n: usize, rng: &mut impl Rng) -> Vec<(usize, usize)> {
    let mut pairs = Vec::with_capacity(n);
    while pairs.len() < n {
        let (i, j) = (
            rng.random_range(0..data.len()),
            rng.random_range(0..data.len()),
        );
        let want_same = pairs.len() % 2 == 0;
        if i != j && (data.labels[i] == data.labels[j]) == want_same {
            pairs.push((i, j));
        }
    }
    pairs
}

/// The Euclidean distance between the feature rows of each pair.
fn distances(features: &Tensor<f32>, pairs: &[(usize, usize)]) -> Vec<f64> {
    let d = features.dims()[1];
    let row = |i: usize| &features.data()[i * d..(i + 1) * d];
    pairs
        .iter()
        .map(|&(i, j)| {
            let sq: f64 = row(i)
                .iter()
                .zip(row(j))
                .map(|(a, b)| f64::from(a - b).powi(2))
                .sum();
            sq.sqrt()
        })
        .collect()
}

/// The threshold `t` for which "same identity iff distance < t" is most accurate on these
/// pairs, and that accuracy.
fn best_threshold(distances: &[f64], same: &[bool]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    // Threshold below every distance: all pairs called different.
    let mut correct = same.iter().filter(|&&s| !s).count();
    let (mut best, mut best_correct) = (distances[order[0]] - 1e-6, correct);
    for (k, &i) in order.iter().enumerate() {
        // Moving the threshold past pair i calls it the same identity.
        if same[i] {
            correct += 1;
        } else {
            correct -= 1;
        }
        if correct > best_correct {
            let next = order
                .get(k + 1)
                .map_or(distances[i] + 1e-6, |&j| distances[j]);
            (best, best_correct) = (0.5 * (distances[i] + next), correct);
        }
    }
    (best, best_correct as f64 / distances.len() as f64)
}

/// The fraction of pairs the threshold rule gets right.
fn accuracy(distances: &[f64], same: &[bool], threshold: f64) -> f64 {
    let right = distances
        .iter()
        .zip(same)
        .filter(|&(&d, &s)| (d < threshold) == s)
        .count();
    right as f64 / distances.len() as f64
}

/// The features of every row of `data` under the trained network.
fn embed(net: &Net, store: &ParamStore, data: &Dataset) -> Tensor<f32> {
    let tape = Tape::new();
    let p = store.bind_frozen(&tape);
    net.features(&p, tape.constant(data.inputs.clone())).value()
}

/// Trains one model with the given `lambda` and measures its verification accuracy.
fn train_one(
    config: &Config,
    lambda: f64,
    train: &Dataset,
    test: &Dataset,
) -> Result<Measured, String> {
    // The same seed for both models: the same initial weights, batches and pairs.
    let mut rng = StdRng::seed_from_u64(config.seed + 1);
    let mut store = ParamStore::new();
    let net = Net {
        features: Mlp::new(&mut store, "f", &[784, 256, 64], Activation::Relu, &mut rng),
        identify: Linear::new(&mut store, "id", 64, 10, Init::XavierUniform, &mut rng),
    };
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size,
        verbose: false,
        ..FitConfig::default()
    };
    // The verification pairs of each batch come from their own generator (the run's
    // shuffles the batches).
    let mut batch_rng = StdRng::seed_from_u64(config.seed + 3);
    Fit::new(&fit_config)
        .on_epoch(|m, _| {
            if m.epoch % 2 == 0 || m.epoch == config.epochs {
                println!("  epoch {:2}  loss {:.4}", m.epoch, m.train_loss);
            }
            ControlFlow::Continue(())
        })
        .run(
            &mut store,
            &mut Adam::new(config.lr),
            train,
            |p, batch: &LabelledBatch| {
                let labels = &batch.labels;
                let pairs = balanced_pairs(labels, labels.len(), &mut batch_rng);
                let f = net.features(p, p.tape().constant(batch.inputs.clone()));
                let logits = net.identify.forward(p, f);
                deepid2(f, logits, labels, &pairs, config.margin, lambda)
            },
            &mut rng,
        )
        .map_err(|e| e.advice("try a lower --lr or --lambda").to_string())?;

    let is_same = |data: &Dataset, pairs: &[(usize, usize)]| -> Vec<bool> {
        pairs
            .iter()
            .map(|&(i, j)| data.labels[i] == data.labels[j])
            .collect()
    };
    let mut pair_rng = StdRng::seed_from_u64(config.seed + 2);
    let train_pairs = random_pairs(train, config.pairs, &mut pair_rng);
    let test_pairs = random_pairs(test, config.pairs, &mut pair_rng);
    let train_distances = distances(&embed(&net, &store, train), &train_pairs);
    let (threshold, train_accuracy) =
        best_threshold(&train_distances, &is_same(train, &train_pairs));
    let test_distances = distances(&embed(&net, &store, test), &test_pairs);
    let test_same = is_same(test, &test_pairs);
    let verification_accuracy = accuracy(&test_distances, &test_same, threshold);
    let (same, different) = test_distances.iter().zip(&test_same).fold(
        (Vec::new(), Vec::new()),
        |(mut same, mut different), (&d, &s)| {
            if s {
                same.push(d)
            } else {
                different.push(d)
            }
            (same, different)
        },
    );
    println!(
        "  threshold {threshold:.3}: training pairs {train_accuracy:.3}, held-out pairs \
         {verification_accuracy:.3}"
    );
    Ok(Measured {
        lambda,
        threshold,
        train_accuracy,
        verification_accuracy,
        same,
        different,
    })
}

/// Trains both models, measures them and draws their distance histograms.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let train = synth::digits(config.train, &mut rng);
    let test = synth::digits(config.test, &mut rng);
    println!(
        "{} training and {} held-out MNIST-style digits (10 identities); features MLP \
         784-256-64 (ReLU), identity classifier 64-10; Adam lr {}, batch {}, {} epochs, margin {}",
        config.train, config.test, config.lr, config.batch_size, config.epochs, config.margin
    );
    println!("identification only (lambda = 0):");
    let identification = train_one(config, 0.0, &train, &test)?;
    println!(
        "identification + verification (lambda = {}):",
        config.lambda
    );
    let joint = train_one(config, config.lambda, &train, &test)?;

    let panel = |m: &Measured| {
        Histograms::new(format!(
            "lambda = {}: held-out accuracy {:.3}",
            m.lambda, m.verification_accuracy
        ))
        .x_label("feature distance of a held-out pair")
        .sample("same identity", m.same.clone())
        .sample("different identities", m.different.clone())
        .bins(40)
    };
    plot::histograms(
        config.out.join("deepid2_distances.svg"),
        &[panel(&identification), panel(&joint)],
    )?;
    Ok(Report {
        identification,
        joint,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.train < 20 || config.test < 20 || config.pairs < 2 || config.epochs == 0 {
        return Err("--train and --test need 20+ digits, --pairs 2+, --epochs 1+".into());
    }
    if config.batch_size < 2 || config.lambda <= 0.0 || config.margin <= 0.0 || config.lr <= 0.0 {
        return Err("--batch-size must be 2+, --lambda, --margin and --lr positive".into());
    }
    // The digits (784 f32 pixels each), the pairs, and a batch's widest activations.
    let digits = config.train as u128 + config.test as u128;
    let bytes = 4 * 784 * (digits + 4 * config.batch_size as u128) + 32 * config.pairs as u128;
    let flags = format!(
        "--train {}, --test {}, --pairs {} and --batch-size {}",
        config.train, config.test, config.pairs, config.batch_size
    );
    check::memory(&flags, bytes)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the joint objective's verification accuracy misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!("wrote deepid2_distances.svg to {}", config.out.display());
    let joint = report.joint.verification_accuracy;
    let required =
        Requirement::at_least("the joint objective's verification accuracy", joint, 0.95);
    println!(
        "held-out verification accuracy: lambda = 0 {:.3}, lambda = {} {:.3} ({}; {:.1} s)",
        report.identification.verification_accuracy,
        config.lambda,
        joint,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
