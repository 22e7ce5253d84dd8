//! CartPole balanced by REINFORCE with a learned value baseline, TD(0) on a random walk and
//! Q-learning on a slippery chain (catalogue L1, L2, L3).
//!
//! ```text
//! cargo run --release --example cartpole
//! cargo run --release --example cartpole -- --help
//! ```
//!
//! The environment is the classic cart-pole of Barto, Sutton & Anderson (1983) with the
//! constants every implementation uses, written below. A policy network `pi(a | s)` (4-32-2,
//! tanh) and a value network `V(s)` (4-32-1, tanh) learn from whole episodes: the policy from
//! the REINFORCE surrogate `-(1/T) sum_t ln pi(a_t | s_t) (G_t - V(s_t))` with discounted
//! returns `G_t` (L2, L1), the value network from the TD(0) error `(r + gamma V(s') - V(s))^2`
//! (L3). Training stops once the mean return of the last 100 episodes reaches 195 (the classic
//! "solved" threshold) or after `--episodes` episodes.
//!
//! The second part checks TD(0) itself: tabular values on a random-walk chain, learnt from the
//! same `td_error` objective one transition at a time, against the exact values from solving
//! the Bellman equations.
//!
//! The third part checks Q-learning (L3's other half): on a slippery chain (`Chain`: 8 states,
//! moves slip the wrong way 10% of the time, a small reward off the left end and a larger one
//! off the right end), a table `Q(s, a)` is trained by the `q_learning` loss
//! `(r + gamma max_a' Q(s', a') - Q(s, a))^2` (target side detached, no bootstrap from the
//! ends) on mini-batches replayed from the transitions an epsilon-greedy behaviour policy has
//! collected. It is compared with the exact `Q*` from value iteration, written below without
//! autodiff: the largest and mean absolute errors, and in how many states the learnt greedy
//! policy picks the optimal action.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, Lines};
use rand::SeedableRng;
use rand::rngs::StdRng;

mod chain;
mod policy_gradient;
mod random_walk;

use chain::greedy;
pub use chain::{Chain, compare_q, q_learning_chain};
pub use policy_gradient::CartPole;
use policy_gradient::train_cartpole;
pub use random_walk::exact_walk_values;
use random_walk::td_random_walk;

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "cartpole",
    about = "REINFORCE with a learned value baseline on CartPole, TD(0) on a random walk and Q-learning on a slippery chain (catalogue L1, L2, L3)."
)]
pub struct Config {
    /// The most CartPole episodes to train for (training stops earlier once solved).
    #[arg(long, value_name = "N", default_value_t = 1500)]
    pub episodes: usize,
    /// Hidden units of the policy and the value network.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub hidden: usize,
    /// Adam learning rate of both networks.
    #[arg(long, value_name = "RATE", default_value_t = 0.01, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Discount factor of the returns and of the TD target.
    #[arg(long, value_name = "G", default_value_t = 0.99, value_parser = cli::finite::<f64>)]
    pub gamma: f64,
    /// Non-terminal states of the random-walk chain.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub walk_states: usize,
    /// Random-walk episodes TD(0) learns from.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub walk_episodes: usize,
    /// States of the slippery chain Q-learning runs on.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub chain_states: usize,
    /// Q-learning updates (one environment step and one replayed mini-batch each).
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub q_updates: usize,
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
    /// The return (steps balanced) of every training episode.
    pub returns: Vec<f64>,
    /// The mean return of the last 100 episodes (of all of them if fewer).
    pub last_100_mean: f64,
    /// The episode (1-based) at which the mean of the last 100 first reached 195.
    pub solved_at: Option<usize>,
    /// TD(0) estimates of the random walk's state values.
    pub td_values: Vec<f64>,
    /// The exact values, from the Bellman equations.
    pub exact_values: Vec<f64>,
    /// The mean absolute error of the TD(0) estimates.
    pub td_mean_abs_error: f64,
    /// The Q-learning table of the slippery chain, `[Q(s, left), Q(s, right)]` per state.
    pub q_values: Vec<[f64; 2]>,
    /// The exact `Q*`, from value iteration.
    pub optimal_q: Vec<[f64; 2]>,
    /// The largest `|Q(s, a) - Q*(s, a)|`.
    pub q_max_abs_error: f64,
    /// The mean of `|Q(s, a) - Q*(s, a)|` over all states and actions.
    pub q_mean_abs_error: f64,
    /// The states in which the learnt greedy action is the optimal one.
    pub policy_agreement: usize,
}

/// The return over 100 consecutive episodes that counts as solving CartPole.
pub const SOLVED: f64 = 195.0;

/// What to try when TD(0) or Q-learning diverges: their step sizes are not flags.
const FIXED_STEPS: &str = "the step sizes are fixed; another --seed may avoid it";

/// Trains on CartPole, runs the TD(0) check and draws the returns.
pub fn run(config: &Config) -> Result<Report, String> {
    if config.walk_states < 2 || config.chain_states < 2 {
        return Err("the random walk and the chain need at least 2 states each".into());
    }
    let mut rng = StdRng::seed_from_u64(config.seed);
    println!(
        "CartPole: policy 4-{h}-2 and value 4-{h}-1 (tanh), REINFORCE with a TD(0)-trained \
         baseline, Adam lr {}, gamma {}, at most {} episodes",
        config.lr,
        config.gamma,
        config.episodes,
        h = config.hidden
    );
    let (returns, solved_at) = train_cartpole(config, &mut rng)?;
    let recent = &returns[returns.len().saturating_sub(100)..];
    let last_100_mean = recent.iter().sum::<f64>() / recent.len().max(1) as f64;

    println!(
        "random walk: {} states, TD(0) over {} episodes",
        config.walk_states, config.walk_episodes
    );
    let td_values = td_random_walk(config, &mut rng)?;
    let exact_values = exact_walk_values(config.walk_states);
    let td_mean_abs_error = td_values
        .iter()
        .zip(&exact_values)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / exact_values.len() as f64;
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("TD(0) values: {}", show(&td_values));
    println!("exact values: {}", show(&exact_values));

    let chain = Chain::new(config.chain_states);
    println!(
        "slippery chain: {} states, slip {}, rewards {} (left end) and 1 (right end), gamma {}; \
         Q-learning over {} updates",
        chain.states, chain.slip, chain.left_reward, chain.gamma, config.q_updates
    );
    let q_values = q_learning_chain(&chain, config.q_updates, &mut rng)?;
    let optimal_q = chain.optimal_q();
    let (q_max_abs_error, q_mean_abs_error, policy_agreement) = compare_q(&q_values, &optimal_q);
    let policy = |q: &[[f64; 2]]| -> String { q.iter().map(|&v| ["L", "R"][greedy(v)]).collect() };
    println!(
        "Q-learning greedy policy {}, optimal {}",
        policy(&q_values),
        policy(&optimal_q)
    );

    let report = Report {
        returns,
        last_100_mean,
        solved_at,
        td_values,
        exact_values,
        td_mean_abs_error,
        q_values,
        optimal_q,
        q_max_abs_error,
        q_mean_abs_error,
        policy_agreement,
    };
    draw_figure(&config.out, &report)?;
    Ok(report)
}

/// The returns per episode, the TD(0) values and the action values, in `cartpole_returns.svg`.
fn draw_figure(out: &Path, r: &Report) -> Result<(), String> {
    let window = 100.min(r.returns.len()).max(1);
    let column =
        |q: &[[f64; 2]], action: usize| -> Vec<f64> { q.iter().map(|v| v[action]).collect() };
    let by_state = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| ((i + 1) as f64, x))
            .collect()
    };
    plot::lines(
        out.join("cartpole_returns.svg"),
        &[
            Lines::new("CartPole: return per episode")
                .x_label("episode")
                .y_label("return")
                .values("return", &r.returns)
                .values(
                    format!("mean of last {window}"),
                    &plot::moving_average(&r.returns, window),
                )
                .series(
                    "solved (195)",
                    vec![(0.0, SOLVED), (r.returns.len() as f64, SOLVED)],
                ),
            Lines::new(format!(
                "random walk: TD(0) values (mean abs. error {:.3})",
                r.td_mean_abs_error
            ))
            .x_label("state")
            .y_label("value")
            .series("exact", by_state(&r.exact_values))
            .series("TD(0)", by_state(&r.td_values)),
            Lines::new(format!(
                "slippery chain: Q-learning vs Q* (max abs. error {:.3})",
                r.q_max_abs_error
            ))
            .x_label("state")
            .y_label("action value")
            .series("Q*(s, left)", by_state(&column(&r.optimal_q, 0)))
            .series("Q*(s, right)", by_state(&column(&r.optimal_q, 1)))
            .series("Q(s, left)", by_state(&column(&r.q_values, 0)))
            .series("Q(s, right)", by_state(&column(&r.q_values, 1))),
        ],
    )
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.episodes == 0
        || config.hidden == 0
        || config.walk_episodes == 0
        || config.q_updates == 0
    {
        return Err(
            "--episodes, --hidden, --walk-episodes and --q-updates must be at least 1".into(),
        );
    }
    if !(0.0..=1.0).contains(&config.gamma) {
        return Err(format!("--gamma must be in [0, 1], got {}", config.gamma));
    }
    if config.lr <= 0.0 {
        return Err(format!("--lr must be positive, got {}", config.lr));
    }
    // Q-learning's replay memory (40 bytes a transition), the tables, the networks' weights
    // with Adam's moments and an episode's activations (f64).
    let h = config.hidden as u128;
    let tables = config.walk_states as u128 + 2 * config.chain_states as u128;
    let bytes = 40 * config.q_updates as u128 + 8 * 4 * tables + 8 * 16 * h * 500;
    let flags = format!(
        "--q-updates {}, --hidden {}, --walk-states {} and --chain-states {}",
        config.q_updates, config.hidden, config.walk_states, config.chain_states
    );
    check::memory(&flags, bytes)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or TD(0) or the policy misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!("wrote cartpole_returns.svg to {}", config.out.display());
    match report.solved_at {
        Some(e) => println!("solved after {e} episodes"),
        None => println!("not solved within {} episodes", report.returns.len()),
    }
    let required = [
        Requirement::at_most(
            "TD(0)'s mean absolute error",
            report.td_mean_abs_error,
            0.05,
        ),
        Requirement::at_least("the mean return", report.last_100_mean, SOLVED),
    ];
    println!(
        "TD(0) mean absolute error: {:.4} ({})",
        report.td_mean_abs_error,
        required[0].label()
    );
    println!(
        "Q-learning vs Q*: max absolute error {:.4}, mean {:.4}; greedy policy optimal in \
         {}/{} states",
        report.q_max_abs_error,
        report.q_mean_abs_error,
        report.policy_agreement,
        report.optimal_q.len()
    );
    println!(
        "mean return over the last 100 episodes: {:.1} ({}; {:.1} s)",
        report.last_100_mean,
        required[1].label(),
        started.elapsed().as_secs_f64()
    );
    Requirement::check_all(&required)
}
