//! Center loss makes 2-D digit features compact (catalogue M3, with C6 as the baseline).
//!
//! ```text
//! cargo run --release --example center_loss
//! ```
//!
//! An MLP maps MNIST-style digits to 2-D features and a linear layer classifies the features.
//! The same network, from the same initialisation, is trained twice: with softmax
//! cross-entropy alone (`softmax_cross_entropy`, C6), and with the center loss `L_softmax +
//! (lambda/2) sum_i ||x_i - c_{y_i}||^2` (`center_loss`, M3), whose class centres `c_j` move by
//! the paper's rule (`update_centers`, rate alpha) after each step. On held-out digits, the
//! result compares how compact the classes are: the mean distance of a feature to its class
//! mean, over the mean distance between class means (lower is more compact).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Scatter};
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use losses::multitask::{center_loss, update_centers};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::fit::{Fit, FitConfig};
use train::{
    Activation, Adam, Dataset, Init, LabelledBatch, Linear, Mlp, Module, ParamStore, count_correct,
    synth,
};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "center_loss",
    about = "2-D digit features trained with softmax alone vs softmax + center loss (M3, C6)."
)]
pub struct Config {
    /// Training digits.
    #[arg(long, value_name = "N", default_value_t = 6000)]
    pub train: usize,
    /// Held-out digits the compactness is measured on.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub test: usize,
    /// Passes over the training digits (per model).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub epochs: usize,
    /// Digits per step.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", default_value_t = 1e-3, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Weight `lambda` of the center term.
    #[arg(long, value_name = "W", default_value_t = 0.1, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Rate `alpha` of the centre update.
    #[arg(long, value_name = "RATE", default_value_t = 0.5, value_parser = cli::finite::<f64>)]
    pub alpha: f64,
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

/// What one trained model measured on the held-out digits.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Mean distance of a feature to the mean feature of its class.
    pub intra: f64,
    /// Mean distance between the class means (over all pairs of classes).
    pub inter: f64,
    /// `intra / inter`: lower means tighter, better separated classes.
    pub ratio: f64,
    /// Classification accuracy.
    pub accuracy: f64,
}

/// What a run measured: the softmax-only model and the center-loss model.
#[derive(Clone, Debug)]
pub struct Report {
    /// Trained with softmax cross-entropy alone.
    pub softmax: Measured,
    /// Trained with softmax cross-entropy plus the center loss.
    pub center: Measured,
}

/// A digit embedder with a linear classifier on top of its 2-D features.
struct Net {
    embed: Mlp,
    classify: Linear,
}

impl Net {
    fn new(store: &mut ParamStore, rng: &mut StdRng) -> Self {
        Net {
            embed: Mlp::new(store, "embed", &[784, 256, 64, 2], Activation::Relu, rng),
            classify: Linear::new(store, "classify", 2, 10, Init::XavierUniform, rng),
        }
    }
}

/// The mean distance of each feature to its class mean, and between class means.
fn compactness(features: &Tensor<f32>, labels: &[usize], classes: usize) -> (f64, f64) {
    let rows: Vec<(f64, f64)> = plot::points(features);
    let mut means = vec![(0.0, 0.0, 0usize); classes];
    for (&(x, y), &c) in rows.iter().zip(labels) {
        means[c] = (means[c].0 + x, means[c].1 + y, means[c].2 + 1);
    }
    let means: Vec<(f64, f64)> = means
        .iter()
        .map(|&(x, y, n)| (x / n.max(1) as f64, y / n.max(1) as f64))
        .collect();
    let distance = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).hypot(a.1 - b.1);
    let intra = rows
        .iter()
        .zip(labels)
        .map(|(&p, &c)| distance(p, means[c]))
        .sum::<f64>()
        / rows.len() as f64;
    let pairs: Vec<f64> = (0..classes)
        .flat_map(|j| (j + 1..classes).map(move |k| (j, k)))
        .map(|(j, k)| distance(means[j], means[k]))
        .collect();
    let inter = pairs.iter().sum::<f64>() / pairs.len() as f64;
    (intra, inter)
}

/// Trains one model (with the center loss when `lambda > 0`) and returns its test features
/// and measurements.
fn train_one(
    config: &Config,
    lambda: f64,
    train: &Dataset,
    test: &Dataset,
) -> Result<(Tensor<f32>, Measured), String> {
    // The same seed for both models: the same initial weights and batch order.
    let mut rng = StdRng::seed_from_u64(config.seed + 1);
    let mut store = ParamStore::new();
    let net = Net::new(&mut store, &mut rng);
    let mut optimizer = Adam::new(config.lr);
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size,
        verbose: false,
        ..FitConfig::default()
    };
    // The paper moves the centres after each optimiser step by the features that step
    // computed: the loss keeps them, with their labels, and moves the centres when the next
    // step starts, before it uses them.
    let mut centers = Tensor::<f32>::zeros([10, 2]);
    let mut last: Option<(Tensor<f32>, Vec<usize>)> = None;
    Fit::new(&fit_config)
        .on_epoch(|m, _| {
            if m.epoch % 2 == 0 || m.epoch == config.epochs {
                println!("  epoch {:2}  loss {:.4}", m.epoch, m.train_loss);
            }
            ControlFlow::Continue(())
        })
        .run(
            &mut store,
            &mut optimizer,
            train,
            |p, batch: &LabelledBatch| {
                if let Some((features, labels)) = &last {
                    update_centers(&mut centers, features, labels, config.alpha);
                }
                let x = net
                    .embed
                    .forward(p, p.tape().constant(batch.inputs.clone()));
                let logits = net.classify.forward(p, x);
                if lambda <= 0.0 {
                    return softmax_cross_entropy(logits, &batch.labels, Reduction::Mean);
                }
                last = Some((x.value(), batch.labels.clone()));
                let c = p.tape().constant(centers.clone());
                center_loss(x, logits, &batch.labels, c, lambda, Reduction::Mean)
            },
            &mut rng,
        )
        .map_err(|e| e.advice("try a lower --lr or --lambda").to_string())?;

    let mut tape = Tape::new();
    let (features, logits) = {
        let p = store.bind_frozen(&tape);
        let x = net.embed.forward(&p, tape.constant(test.inputs.clone()));
        (x.value(), net.classify.forward(&p, x).value())
    };
    tape.reset();
    let accuracy = count_correct(&logits, &test.labels) as f64 / test.len() as f64;
    let (intra, inter) = compactness(&features, &test.labels, 10);
    let measured = Measured {
        intra,
        inter,
        ratio: intra / inter,
        accuracy,
    };
    Ok((features, measured))
}

/// Trains both models, measures them and draws their features.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let train = synth::digits(config.train, &mut rng);
    let test = synth::digits(config.test, &mut rng);
    println!(
        "{} training and {} held-out MNIST-style digits; MLP 784-256-64-2 (ReLU) + linear \
         2-10, Adam lr {}, batch {}, {} epochs",
        config.train, config.test, config.lr, config.batch_size, config.epochs
    );
    println!("softmax cross-entropy alone:");
    let (softmax_features, softmax) = train_one(config, 0.0, &train, &test)?;
    println!(
        "softmax + center loss (lambda {}, alpha {}):",
        config.lambda, config.alpha
    );
    let (center_features, center) = train_one(config, config.lambda, &train, &test)?;

    // At most 1,000 points per panel keep the SVG small.
    let shown = config.test.min(1000);
    let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    let panel = |title: String, features: &Tensor<f32>| {
        Scatter::new(title, plot::points(features)[..shown].to_vec())
            .classes(&test.labels[..shown])
            .legend(&digits)
    };
    plot::scatter(
        config.out.join("center_loss_features.svg"),
        &[
            panel(
                format!("softmax only: intra/inter {:.3}", softmax.ratio),
                &softmax_features,
            ),
            panel(
                format!("softmax + center loss: intra/inter {:.3}", center.ratio),
                &center_features,
            ),
        ],
    )?;
    Ok(Report { softmax, center })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.train == 0 || config.test < 10 || config.epochs == 0 || config.batch_size == 0 {
        return Err(
            "--train, --epochs, --batch-size must be at least 1, --test at least 10".into(),
        );
    }
    if config.lambda <= 0.0 || config.lr <= 0.0 || config.alpha <= 0.0 {
        return Err(format!(
            "--lambda, --lr and --alpha must be positive, got {}, {} and {}",
            config.lambda, config.lr, config.alpha
        ));
    }
    // The digits (784 f32 pixels each) and a batch's widest activations with their gradients.
    let digits = (config.train as u128 + config.test as u128) * 784;
    let batch = config.batch_size as u128 * 4 * 784;
    let flags = format!("--train {} and --test {}", config.train, config.test);
    check::memory(&flags, 4 * (digits + batch))?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// How much tighter the center loss must make the classes: the ratio of its intra/inter
/// distance ratio to that of softmax alone, at most.
pub const REQUIRED_TIGHTENING: f64 = 0.6;

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the center loss does not tighten the classes as required.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    for (name, m) in [
        ("softmax only", &report.softmax),
        ("softmax + center", &report.center),
    ] {
        println!(
            "{name:17} test accuracy {:.3}  intra {:.3}  inter {:.3}",
            m.accuracy, m.intra, m.inter
        );
    }
    println!("wrote center_loss_features.svg to {}", config.out.display());
    let tightening = report.center.ratio / report.softmax.ratio;
    let required = Requirement::at_most(
        "the center loss's ratio over softmax's",
        tightening,
        REQUIRED_TIGHTENING,
    );
    println!(
        "intra/inter distance ratio: softmax only {:.3}, softmax + center loss {:.3}, {:.2} \
         times ({}; {:.1} s)",
        report.softmax.ratio,
        report.center.ratio,
        tightening,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
