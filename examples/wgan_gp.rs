//! A Wasserstein GAN with gradient penalty (WGAN-GP) learns the 8-Gaussians ring: second
//! derivatives inside the training loop.
//!
//! ```text
//! cargo run --release --example wgan_gp
//! cargo run --release --example wgan_gp -- --help
//! ```
//!
//! The data are those of `toy_gan`: eight Gaussian blobs (standard deviation 0.02) on a circle
//! of radius 2. A critic `f` (2-h-h-1, tanh) scores points, a generator `G` (noise-h-h-2, tanh)
//! makes them. Per generator step, the critic takes `--critic-steps` Adam steps on
//! `E f(G(z)) - E f(x) + lambda E (|grad f(x^)| - 1)^2` (`wasserstein_critic` plus
//! `gradient_penalty`), at random interpolates `x^` between real and generated samples: the
//! penalty's gradient with respect to the critic's weights is a second derivative of `f`,
//! taken by the tape through the recorded gradient (`Tape::grad_graph`). Then `G` takes one
//! step on `-E f(G(z))` through a frozen critic. A mode counts as covered when at least 2% of
//! the generated samples land within 3 standard deviations of its centre.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Scatter};
use losses::generative::{gradient_penalty, wasserstein_critic, wasserstein_generator};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use rand_distr::StandardNormal;
use tape::{Tape, Tensor};
use train::synth::GaussianMixture;
use train::{Activation, Adam, Divergence, Mlp, Module, Optimizer, ParamStore};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "wgan_gp",
    about = "A WGAN-GP learns the 8-Gaussians ring (second order in training)."
)]
pub struct Config {
    /// Generator steps.
    #[arg(long, value_name = "N", default_value_t = 1500)]
    pub steps: usize,
    /// Critic steps per generator step.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub critic_steps: usize,
    /// Real and generated samples per step.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch_size: usize,
    /// Dimension of the generator's input noise.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub noise_dim: usize,
    /// Width of the hidden layers of both networks.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub hidden: usize,
    /// Adam learning rate of both players.
    #[arg(long, value_name = "RATE", default_value_t = 1e-3, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Weight of the gradient penalty.
    #[arg(long, value_name = "W", default_value_t = 0.1, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Generated samples the modes are counted on.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub samples: usize,
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
    /// Modes with at least 2% of the samples within 3 standard deviations of their centre.
    pub modes_covered: usize,
    /// The fraction of the samples near each mode's centre.
    pub mode_shares: Vec<f64>,
    /// The critic's Wasserstein estimate `E f(x) - E f(G(z))` after each generator step.
    pub distances: Vec<f64>,
    /// The gradient penalty (before its weight) after each generator step.
    pub penalties: Vec<f64>,
}

/// A batch of standard normal noise `[n, dim]`.
fn noise(n: usize, dim: usize, rng: &mut impl Rng) -> Tensor<f32> {
    Tensor::from_fn([n, dim], |_| rng.sample(StandardNormal))
}

/// `e x + (1 - e) y` row by row, with one uniform `e` per row.
fn interpolates(x: &Tensor<f32>, y: &Tensor<f32>, rng: &mut impl Rng) -> Tensor<f32> {
    let d = x.shape().dims()[1];
    let mut out = x.clone();
    for (row, other) in out
        .data_mut()
        .chunks_exact_mut(d)
        .zip(y.data().chunks_exact(d))
    {
        let e: f32 = rng.random_range(0.0..1.0);
        for (a, b) in row.iter_mut().zip(other) {
            *a = e * *a + (1.0 - e) * b;
        }
    }
    out
}

/// The two players and their optimisers.
struct Players {
    generator: Mlp,
    g_store: ParamStore,
    g_opt: Adam,
    critic: Mlp,
    d_store: ParamStore,
    d_opt: Adam,
}

impl Players {
    fn new(config: &Config, rng: &mut StdRng) -> Self {
        let (h, z) = (config.hidden, config.noise_dim);
        let mut g_store = ParamStore::new();
        let generator = Mlp::new(&mut g_store, "g", &[z, h, h, 2], Activation::Tanh, rng);
        let mut d_store = ParamStore::new();
        let critic = Mlp::new(&mut d_store, "f", &[2, h, h, 1], Activation::Tanh, rng);
        // beta1 = 0.5 and beta2 = 0.9, as in the WGAN-GP paper.
        let adam = || Adam::new(config.lr).betas(0.5, 0.9);
        Players {
            generator,
            g_store,
            g_opt: adam(),
            critic,
            d_store,
            d_opt: adam(),
        }
    }

    /// One critic step; returns the Wasserstein estimate and the penalty.
    fn critic_step(
        &mut self,
        tape: &mut Tape,
        real: Tensor<f32>,
        z: Tensor<f32>,
        config: &Config,
        rng: &mut StdRng,
    ) -> (f32, f32) {
        let fake = {
            let g = self.g_store.bind_frozen(tape);
            self.generator.forward(&g, tape.constant(z)).value()
        };
        tape.reset();
        let mixed = interpolates(&real, &fake, rng);
        let (loss, distance, penalty) = {
            let d = self.d_store.bind(tape);
            let real_scores = self.critic.forward(&d, tape.constant(real));
            let fake_scores = self.critic.forward(&d, tape.constant(fake));
            let wasserstein = wasserstein_critic(real_scores, fake_scores);
            let penalty = gradient_penalty(tape.constant(mixed), |x| self.critic.forward(&d, x));
            let loss = wasserstein + penalty * config.lambda as f32;
            loss.backward();
            self.d_store.collect_grads(&d);
            (loss.item(), -wasserstein.item(), penalty.item())
        };
        tape.reset();
        let _ = loss;
        self.d_opt.step(&mut self.d_store);
        (distance, penalty)
    }

    /// One generator step through the frozen critic; returns its loss.
    fn generator_step(&mut self, tape: &mut Tape, z: Tensor<f32>) -> f32 {
        let loss = {
            let g = self.g_store.bind(tape);
            let d = self.d_store.bind_frozen(tape);
            let fake = self.generator.forward(&g, tape.constant(z));
            let loss = wasserstein_generator(self.critic.forward(&d, fake));
            loss.backward();
            self.g_store.collect_grads(&g);
            loss.item()
        };
        tape.reset();
        self.g_opt.step(&mut self.g_store);
        loss
    }
}

/// Trains the WGAN-GP and counts the modes its samples cover.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let ring = GaussianMixture::eight_gaussians();
    let mut players = Players::new(config, &mut rng);
    let h = config.hidden;
    println!(
        "WGAN-GP on 8 Gaussians: G {}-{h}-{h}-2, critic 2-{h}-{h}-1 (tanh), lambda {}, \
         {} critic steps per G step, Adam lr {}, batch {}, {} G steps",
        config.noise_dim,
        config.lambda,
        config.critic_steps,
        config.lr,
        config.batch_size,
        config.steps
    );
    let mut tape = Tape::new();
    let (mut distances, mut penalties) = (Vec::new(), Vec::new());
    for step in 1..=config.steps {
        let (mut distance, mut penalty) = (0.0, 0.0);
        for _ in 0..config.critic_steps {
            let real = ring.sample(config.batch_size, &mut rng).inputs;
            let z = noise(config.batch_size, config.noise_dim, &mut rng);
            (distance, penalty) = players.critic_step(&mut tape, real, z, config, &mut rng);
        }
        let lr = players.d_opt.learning_rate();
        Divergence::check(&players.d_store, distance.into(), None, step, lr)
            .map_err(|d| d.advice("try a lower --lr"))?;
        let z = noise(config.batch_size, config.noise_dim, &mut rng);
        let g_loss = players.generator_step(&mut tape, z);
        let lr = players.g_opt.learning_rate();
        Divergence::check(&players.g_store, g_loss.into(), None, step, lr)
            .map_err(|d| d.advice("try a lower --lr"))?;
        distances.push(f64::from(distance));
        penalties.push(f64::from(penalty));
        if step % (config.steps / 10).max(1) == 0 {
            println!("step {step:5}  Wasserstein estimate {distance:.4}  penalty {penalty:.4}");
        }
    }

    let samples = {
        let g = players.g_store.bind_frozen(&tape);
        let z = tape.constant(noise(config.samples, config.noise_dim, &mut rng));
        players.generator.forward(&g, z).value()
    };
    tape.reset();
    let mode_shares = ring.shares_near_means(&samples, 3.0);
    let modes_covered = mode_shares.iter().filter(|&&s| s >= 0.02).count();
    let real = ring.sample(config.samples, &mut rng);
    let shown = config.samples.min(1000);
    let view = ((-2.6, 2.6), (-2.6, 2.6));
    plot::scatter(
        config.out.join("wgan_gp_samples.svg"),
        &[
            Scatter::new(
                "real: 8 Gaussians",
                plot::points(&real.inputs)[..shown].to_vec(),
            )
            .range(view.0, view.1),
            Scatter::new(
                format!("WGAN-GP: {modes_covered}/8 modes"),
                plot::points(&samples)[..shown].to_vec(),
            )
            .color(plot::class_color(1))
            .range(view.0, view.1),
        ],
    )?;
    Ok(Report {
        modes_covered,
        mode_shares,
        distances,
        penalties,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    let sizes = [
        config.steps,
        config.critic_steps,
        config.batch_size,
        config.samples,
    ];
    if sizes.contains(&0) || config.hidden == 0 || config.noise_dim == 0 {
        return Err(
            "--steps, --critic-steps, --batch-size, --samples, --hidden and \
                    --noise-dim must be at least 1"
                .into(),
        );
    }
    if config.lr <= 0.0 || config.lambda < 0.0 {
        return Err(format!(
            "--lr must be positive and --lambda non-negative, got {} and {}",
            config.lr, config.lambda
        ));
    }
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// The modes a run must cover (of 8).
pub const REQUIRED_MODES: usize = 8;

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
    println!("wrote wgan_gp_samples.svg to {}", config.out.display());
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
