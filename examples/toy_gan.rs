//! A GAN learns the 8-Gaussians ring (catalogue G1).
//!
//! ```text
//! cargo run --release --example toy_gan                 # non-saturating generator loss
//! cargo run --release --example toy_gan -- --minimax    # the original minimax form
//! ```
//!
//! The real data are eight tight Gaussian blobs (standard deviation 0.02) on a circle of radius
//! 2. The generator `G` (64-64-64-2) maps 64-d Gaussian noise through a tanh MLP to a 2-D
//! point; the discriminator `D` (2-64-64-1) maps a 2-D point to a logit. (Smooth tanh units
//! make both players' gradient fields smooth; with ReLU units this setup collapses onto one or
//! two modes.) They play `min_G max_D E ln D(x) +
//! E ln(1 - D(G(z)))`, one Adam step each per round: D on real and detached fake samples
//! (`gan_discriminator`), then G through a frozen D (`gan_generator_non_saturating`, or
//! `gan_generator_minimax` with `--minimax`). A mode counts as covered when at least 2% of
//! 2,000 generated samples land within 3 standard deviations of its centre.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Lines, Scatter};
use losses::generative::{gan_discriminator, gan_generator_minimax, gan_generator_non_saturating};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;
use tape::{Tape, Tensor};
use train::synth::GaussianMixture;
use train::{Activation, Adam, Divergence, Mlp, Module, Optimizer, ParamStore};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "toy_gan",
    about = "A GAN learns the 8-Gaussians ring (catalogue G1)."
)]
pub struct Config {
    /// Training rounds (one D step and one G step each).
    #[arg(long, value_name = "N", default_value_t = 8000)]
    pub steps: usize,
    /// Real and generated samples per step.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch_size: usize,
    /// Dimension of the generator's input noise.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub noise_dim: usize,
    /// Width of the hidden layers of both networks.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub hidden: usize,
    /// Adam learning rate of both players.
    #[arg(long, value_name = "RATE", default_value_t = 1e-3, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// The minimax generator loss `E ln(1 - D(G(z)))` instead of the non-saturating one.
    #[arg(long)]
    pub minimax: bool,
    /// Generated samples the modes are counted on.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub samples: usize,
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
    /// Modes with at least 2% of the samples within 3 standard deviations of their centre.
    pub modes_covered: usize,
    /// The fraction of the samples near each mode's centre.
    pub mode_shares: Vec<f64>,
    /// The discriminator's and the generator's loss at each step.
    pub d_losses: Vec<f64>,
    /// See `d_losses`.
    pub g_losses: Vec<f64>,
}

/// A batch of standard normal noise `[n, dim]`.
fn noise(n: usize, dim: usize, rng: &mut impl Rng) -> Tensor<f32> {
    Tensor::from_fn([n, dim], |_| rng.sample(StandardNormal))
}

/// Trains the GAN and counts the modes its samples cover.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let ring = GaussianMixture::eight_gaussians();
    let (h, z_dim) = (config.hidden, config.noise_dim);
    let mut g_store = ParamStore::new();
    let generator = Mlp::new(
        &mut g_store,
        "g",
        &[z_dim, h, h, 2],
        Activation::Tanh,
        &mut rng,
    );
    let mut d_store = ParamStore::new();
    let discriminator = Mlp::new(&mut d_store, "d", &[2, h, h, 1], Activation::Tanh, &mut rng);
    // beta1 = 0.5, as is usual for GANs: less momentum keeps the two players from overshooting.
    let mut g_opt = Adam::new(config.lr).betas(0.5, 0.999);
    let mut d_opt = Adam::new(config.lr).betas(0.5, 0.999);
    let form = if config.minimax {
        "minimax"
    } else {
        "non-saturating"
    };
    println!(
        "GAN on 8 Gaussians: G {z_dim}-{h}-{h}-2, D 2-{h}-{h}-1 (tanh), {form} generator loss, \
         Adam lr {}, batch {}, {} steps",
        config.lr, config.batch_size, config.steps
    );

    let mut tape = Tape::new();
    let (mut d_losses, mut g_losses) = (Vec::new(), Vec::new());
    for step in 1..=config.steps {
        let real = ring.sample(config.batch_size, &mut rng).inputs;
        let z = noise(config.batch_size, z_dim, &mut rng);
        // Discriminator step: G is bound frozen, so its samples are constants (detached).
        let d_loss = {
            let g = g_store.bind_frozen(&tape);
            let d = d_store.bind(&tape);
            let fake = generator.forward(&g, tape.constant(z.clone()));
            let real_logits = discriminator.forward(&d, tape.constant(real));
            let loss = gan_discriminator(real_logits, discriminator.forward(&d, fake));
            loss.backward();
            d_store.collect_grads(&d);
            loss.item()
        };
        tape.reset();
        Divergence::check(&d_store, d_loss.into(), None, step, d_opt.learning_rate())
            .map_err(|d| d.advice("try a lower --lr"))?;
        d_opt.step(&mut d_store);
        // Generator step: the gradient flows through a frozen D into G.
        let g_loss = {
            let g = g_store.bind(&tape);
            let d = d_store.bind_frozen(&tape);
            let fake_logits = discriminator.forward(&d, generator.forward(&g, tape.constant(z)));
            let loss = if config.minimax {
                gan_generator_minimax(fake_logits)
            } else {
                gan_generator_non_saturating(fake_logits)
            };
            loss.backward();
            g_store.collect_grads(&g);
            loss.item()
        };
        tape.reset();
        Divergence::check(&g_store, g_loss.into(), None, step, g_opt.learning_rate())
            .map_err(|d| d.advice("try a lower --lr"))?;
        g_opt.step(&mut g_store);
        d_losses.push(f64::from(d_loss));
        g_losses.push(f64::from(g_loss));
        if step % (config.steps / 10).max(1) == 0 {
            println!("step {step:5}  D loss {d_loss:.4}  G loss {g_loss:.4}");
        }
    }

    // Fresh samples of both, to count the modes on and to draw.
    let real = ring.sample(config.samples, &mut rng);
    let samples = {
        let g = g_store.bind_frozen(&tape);
        let z = tape.constant(noise(config.samples, z_dim, &mut rng));
        generator.forward(&g, z).value()
    };
    tape.reset();
    let mode_shares = ring.shares_near_means(&samples, 3.0);
    let modes_covered = mode_shares.iter().filter(|&&s| s >= 0.02).count();

    let generated = format!("generated ({form}): {modes_covered}/8 modes");
    draw_figures(
        config,
        (&real.inputs, &samples),
        generated,
        (&d_losses, &g_losses),
    )?;
    Ok(Report {
        modes_covered,
        mode_shares,
        d_losses,
        g_losses,
    })
}

/// The real and generated samples (titled `generated`), in `toy_gan_samples.svg`, and the
/// smoothed D and G losses, in `toy_gan_losses.svg`.
fn draw_figures(
    config: &Config,
    (real, samples): (&Tensor<f32>, &Tensor<f32>),
    generated: String,
    (d_losses, g_losses): (&[f64], &[f64]),
) -> Result<(), String> {
    // At most 1,000 points per panel and 500 per curve keep the SVGs small.
    let shown = config.samples.min(1000);
    let view = ((-2.6, 2.6), (-2.6, 2.6));
    plot::scatter(
        config.out.join("toy_gan_samples.svg"),
        &[
            Scatter::new("real: 8 Gaussians", plot::points(real)[..shown].to_vec())
                .range(view.0, view.1),
            Scatter::new(generated, plot::points(samples)[..shown].to_vec())
                .color(plot::class_color(1))
                .range(view.0, view.1),
        ],
    )?;
    let window = (config.steps / 50).max(1);
    let curve = |losses: &[f64]| -> Vec<(f64, f64)> {
        let smooth = plot::moving_average(losses, window).into_iter().enumerate();
        let stride = (config.steps / 500).max(1);
        smooth
            .step_by(stride)
            .map(|(i, v)| ((i + 1) as f64, v))
            .collect()
    };
    plot::lines(
        config.out.join("toy_gan_losses.svg"),
        &[
            Lines::new(format!("losses (moving average of {window} steps)"))
                .x_label("step")
                .series("D loss", curve(d_losses))
                .series("G loss", curve(g_losses)),
        ],
    )
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.steps == 0 || config.batch_size == 0 || config.samples == 0 || config.hidden == 0 {
        return Err("--steps, --batch-size, --samples and --hidden must be at least 1".into());
    }
    if config.lr <= 0.0 {
        return Err(format!("--lr must be positive, got {}", config.lr));
    }
    // The widest tensors, f32: a batch of noise and of activations with their gradients, the
    // hidden-by-hidden weights with Adam's moments, and the samples counted at the end.
    let (h, n) = (
        config.hidden as u128,
        config.batch_size.max(config.samples) as u128,
    );
    let elements =
        4 * n * (config.noise_dim as u128 + 4 * h) + 8 * h * (h + config.noise_dim as u128);
    let flags = format!(
        "--hidden {} with --noise-dim {}, --batch-size {} and --samples {}",
        config.hidden, config.noise_dim, config.batch_size, config.samples
    );
    check::memory(&flags, 4 * elements)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// The modes a run must cover (of 8).
pub const REQUIRED_MODES: usize = 7;

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or fewer than [`REQUIRED_MODES`] modes are covered.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    let shares: Vec<String> = report
        .mode_shares
        .iter()
        .map(|s| format!("{:.1}%", 100.0 * s))
        .collect();
    println!("share of samples near each mode: {}", shares.join(" "));
    println!(
        "wrote toy_gan_samples.svg and toy_gan_losses.svg to {}",
        config.out.display()
    );
    let modes = report.modes_covered as f64;
    let required = Requirement::at_least("modes covered", modes, REQUIRED_MODES as f64);
    println!(
        "modes covered: {}/8 ({}; {:.1} s)",
        report.modes_covered,
        required.label(),
        started.elapsed().as_secs_f64()
    );
    required.check()
}
