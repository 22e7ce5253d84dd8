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

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use losses::Reduction;
use losses::reinforcement::{discounted_returns, q_learning, reinforce, td_error};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use tape::{Tape, Tensor};
use train::cli::{Args, Requirement, check};
use train::plot::{self, Lines};
use train::{Activation, Adam, Divergence, LrSchedule, Mlp, Module, Optimizer, ParamStore, Sgd};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug)]
pub struct Config {
    /// The most CartPole episodes to train for (training stops earlier once solved).
    pub episodes: usize,
    /// Hidden units of the policy and the value network.
    pub hidden: usize,
    /// Adam learning rate of both networks.
    pub lr: f64,
    /// Discount factor of the returns and of the TD target.
    pub gamma: f64,
    /// Non-terminal states of the random-walk chain.
    pub walk_states: usize,
    /// Random-walk episodes TD(0) learns from.
    pub walk_episodes: usize,
    /// States of the slippery chain Q-learning runs on.
    pub chain_states: usize,
    /// Q-learning updates (one environment step and one replayed mini-batch each).
    pub q_updates: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Where the SVG goes.
    pub out: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            episodes: 1500,
            hidden: 32,
            lr: 0.01,
            gamma: 0.99,
            walk_states: 5,
            walk_episodes: 2000,
            chain_states: 8,
            q_updates: 5000,
            seed: 0,
            out: PathBuf::from("target/examples-out"),
        }
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

/// The cart-pole system: a pole hinged on a cart that moves along a track.
///
/// State `(x, x_dot, theta, theta_dot)`: cart position and velocity, pole angle from upright
/// (radians) and angular velocity. Each step pushes the cart left or right with a fixed force
/// and earns a reward of 1; the episode ends when the pole leans more than 12 degrees or the
/// cart leaves the track, or is cut off after 500 steps.
#[derive(Clone, Debug)]
pub struct CartPole {
    state: [f64; 4],
    steps: usize,
}

impl CartPole {
    const GRAVITY: f64 = 9.8;
    const CART_MASS: f64 = 1.0;
    const POLE_MASS: f64 = 0.1;
    const HALF_LENGTH: f64 = 0.5;
    const FORCE: f64 = 10.0;
    const TAU: f64 = 0.02;
    const THETA_LIMIT: f64 = 12.0 * std::f64::consts::PI / 180.0;
    const X_LIMIT: f64 = 2.4;
    /// Episodes are cut off (not failed) after this many steps.
    pub const MAX_STEPS: usize = 500;

    /// A new episode: every state variable uniform in [-0.05, 0.05].
    pub fn reset(rng: &mut impl Rng) -> Self {
        CartPole {
            state: std::array::from_fn(|_| rng.random_range(-0.05..0.05)),
            steps: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> [f64; 4] {
        self.state
    }

    /// Applies action 0 (push left) or 1 (push right) for one time step of `TAU` seconds
    /// (explicit Euler, as in the classic implementation). Returns the reward (always 1),
    /// whether the pole fell or the cart left the track (`terminal`), and whether the episode
    /// was cut off at `MAX_STEPS` instead (`truncated`).
    pub fn step(&mut self, action: usize) -> (f64, bool, bool) {
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 {
            Self::FORCE
        } else {
            -Self::FORCE
        };
        let total_mass = Self::CART_MASS + Self::POLE_MASS;
        let pole_mass_length = Self::POLE_MASS * Self::HALF_LENGTH;
        let (sin, cos) = theta.sin_cos();
        let temp = (force + pole_mass_length * theta_dot * theta_dot * sin) / total_mass;
        let theta_acc = (Self::GRAVITY * sin - cos * temp)
            / (Self::HALF_LENGTH * (4.0 / 3.0 - Self::POLE_MASS * cos * cos / total_mass));
        let x_acc = temp - pole_mass_length * theta_acc * cos / total_mass;
        self.state = [
            x + Self::TAU * x_dot,
            x_dot + Self::TAU * x_acc,
            theta + Self::TAU * theta_dot,
            theta_dot + Self::TAU * theta_acc,
        ];
        self.steps += 1;
        let terminal =
            self.state[0].abs() > Self::X_LIMIT || self.state[2].abs() > Self::THETA_LIMIT;
        let truncated = !terminal && self.steps >= Self::MAX_STEPS;
        (1.0, terminal, truncated)
    }
}

/// One episode's transitions.
#[derive(Default)]
struct Episode {
    states: Vec<f64>,
    next_states: Vec<f64>,
    actions: Vec<usize>,
    rewards: Vec<f64>,
    terminal: Vec<bool>,
}

/// Samples an action from the policy's two logits.
fn sample_action(logits: &[f64], rng: &mut impl Rng) -> usize {
    // pi(right) = sigmoid(l1 - l0), the softmax of two logits.
    let p_right = 1.0 / (1.0 + (logits[0] - logits[1]).exp());
    usize::from(rng.random::<f64>() < p_right)
}

/// Plays one episode with the current policy.
fn play(policy: &Mlp, store: &ParamStore<f64>, tape: &mut Tape<f64>, rng: &mut StdRng) -> Episode {
    let mut env = CartPole::reset(rng);
    let mut episode = Episode::default();
    loop {
        let state = env.state();
        let logits = {
            let params = store.bind_frozen(tape);
            let s = tape.constant(Tensor::from_vec(state.to_vec(), [1, 4]));
            policy.forward(&params, s).value()
        };
        tape.reset();
        let action = sample_action(logits.data(), rng);
        let (reward, terminal, truncated) = env.step(action);
        episode.states.extend(state);
        episode.next_states.extend(env.state());
        episode.actions.push(action);
        episode.rewards.push(reward);
        episode.terminal.push(terminal);
        if terminal || truncated {
            return episode;
        }
    }
}

/// Trains the policy and value networks on CartPole until solved; returns the episode returns.
fn train_cartpole(config: &Config, rng: &mut StdRng) -> Result<(Vec<f64>, Option<usize>), String> {
    let mut store = ParamStore::<f64>::new();
    let h = config.hidden;
    let policy = Mlp::new(&mut store, "policy", &[4, h, 2], Activation::Tanh, rng);
    let value = Mlp::new(&mut store, "value", &[4, h, 1], Activation::Tanh, rng);
    let mut optimizer = Adam::new(config.lr);
    let mut tape = Tape::new();
    let mut returns = Vec::new();
    let mut solved_at = None;
    for episode_index in 1..=config.episodes {
        let episode = play(&policy, &store, &mut tape, rng);
        let steps = episode.actions.len();
        let discounted = discounted_returns(&episode.rewards, config.gamma);
        let loss = store.compute_grads(&mut tape, |p| {
            let tape = p.tape();
            let states = tape.constant(Tensor::from_vec(episode.states.clone(), [steps, 4]));
            let next = tape.constant(Tensor::from_vec(episode.next_states.clone(), [steps, 4]));
            let values = value.forward(p, states);
            // The baseline is detached inside `reinforce`, and the TD target inside `td_error`:
            // each network learns only from its own objective.
            let policy_loss = reinforce(
                policy.forward(p, states),
                &episode.actions,
                &discounted,
                Some(values),
                Reduction::Mean,
            );
            let value_loss = td_error(
                values,
                value.forward(p, next),
                &episode.rewards,
                &episode.terminal,
                config.gamma,
                Reduction::Mean,
            );
            policy_loss + value_loss
        });
        let lr = optimizer.learning_rate();
        Divergence::check(&store, loss, None, episode_index, lr)
            .map_err(|d| d.advice("try a lower --lr"))?;
        optimizer.step(&mut store);
        returns.push(steps as f64);
        let recent = &returns[returns.len().saturating_sub(100)..];
        let mean = recent.iter().sum::<f64>() / recent.len() as f64;
        if episode_index % 50 == 0 {
            println!("episode {episode_index:5}  return {steps:3}  mean of last 100 {mean:6.1}");
        }
        if recent.len() == 100 && mean >= SOLVED {
            println!("episode {episode_index:5}  mean of last 100 {mean:6.1} >= {SOLVED}: solved");
            solved_at = Some(episode_index);
            break;
        }
    }
    Ok((returns, solved_at))
}

/// Exact state values of the random walk on `n` states: from each state step left or right
/// with probability 1/2; stepping off the left end ends the episode with reward 0, off the right
/// end with reward 1; no discount. Solves `V = P V + r` by Gaussian elimination on the
/// tridiagonal system `V_i - V_{i-1}/2 - V_{i+1}/2 = r_i`.
pub fn exact_walk_values(n: usize) -> Vec<f64> {
    // Thomas algorithm: diagonal 1, off-diagonals -1/2, right-hand side 1/2 in the last row.
    let mut diag = vec![1.0; n];
    let mut rhs = vec![0.0; n];
    rhs[n - 1] = 0.5;
    for i in 1..n {
        let factor = -0.5 / diag[i - 1];
        diag[i] -= factor * -0.5;
        rhs[i] -= factor * rhs[i - 1];
    }
    let mut values = vec![0.0; n];
    values[n - 1] = rhs[n - 1] / diag[n - 1];
    for i in (0..n - 1).rev() {
        values[i] = (rhs[i] + 0.5 * values[i + 1]) / diag[i];
    }
    values
}

/// TD(0) on the random walk: tabular values, updated after every transition by one SGD step
/// on the squared TD error of that transition. With `Reduction::Sum` and learning rate
/// `alpha / 2` the step is exactly the textbook `V(s) += alpha (r + V(s') - V(s))`.
fn td_random_walk(config: &Config, rng: &mut StdRng) -> Result<Vec<f64>, String> {
    let n = config.walk_states;
    let mut store = ParamStore::<f64>::new();
    let table = store.add("values", Tensor::full([n], 0.5));
    // An episode from the middle lasts about (n + 1)^2 / 4 steps.
    let updates_estimate = config.walk_episodes * (n + 1) * (n + 1) / 4;
    // A step size alpha decaying from 0.1 to 0.002 lets the estimates settle instead of
    // jittering around the values with the last few episodes.
    let mut optimizer = Sgd::new(0.05).schedule(LrSchedule::Cosine {
        warmup: 0,
        total: updates_estimate,
        min_factor: 0.02,
    });
    let mut tape = Tape::new();
    let mut step = 0;
    for _ in 0..config.walk_episodes {
        let mut state = n / 2;
        loop {
            let next = if rng.random::<bool>() {
                state + 1
            } else {
                state.wrapping_sub(1)
            };
            let done = next >= n; // off either end (wrapping_sub makes -1 huge)
            let reward = if next == n { 1.0 } else { 0.0 };
            // The next state's value is ignored when `done`; any index serves as a placeholder.
            let next_index = if done { state } else { next };
            step += 1;
            let loss = store.compute_grads(&mut tape, |p| {
                let v = p[table];
                td_error(
                    v.index_select(0, &[state]),
                    v.index_select(0, &[next_index]),
                    &[reward],
                    &[done],
                    1.0,
                    Reduction::Sum,
                )
            });
            Divergence::check(&store, loss, None, step, optimizer.learning_rate())
                .map_err(|d| d.advice(FIXED_STEPS))?;
            optimizer.step(&mut store);
            if done {
                break;
            }
            state = next;
        }
    }
    Ok(store.value(table).to_vec())
}

/// What to try when TD(0) or Q-learning diverges: their step sizes are not flags.
const FIXED_STEPS: &str = "the step sizes are fixed; another --seed may avoid it";

/// A slippery chain for Q-learning: states `0..states` in a row; action 0 moves left and 1
/// right, but with probability `slip` the move goes the other way. Moving off the left end
/// ends the episode with reward `left_reward`, off the right end with reward 1; every other
/// move earns 0. Discounted by `gamma`, the small reward is worth heading for only near the
/// left end.
#[derive(Clone, Copy, Debug)]
pub struct Chain {
    /// Non-terminal states.
    pub states: usize,
    /// Probability that a move goes the opposite way.
    pub slip: f64,
    /// Reward for leaving on the left (leaving on the right earns 1).
    pub left_reward: f64,
    /// Discount factor.
    pub gamma: f64,
}

impl Chain {
    /// The example's chain on `states` states: slip 0.1, left reward 0.6, gamma 0.8. With 8
    /// states the optimal policy is left, left, left, then right, and in every state the two
    /// actions' values differ by at least 0.056, so a greedy policy from a good estimate
    /// cannot tie.
    pub fn new(states: usize) -> Self {
        Chain {
            states,
            slip: 0.1,
            left_reward: 0.6,
            gamma: 0.8,
        }
    }

    /// The two outcomes of `action` in `state`, as `(probability, reward, next state)`, the
    /// next state `None` when the move leaves the chain (the episode ends).
    pub fn outcomes(&self, state: usize, action: usize) -> [(f64, f64, Option<usize>); 2] {
        let go = |right: bool| {
            if !right && state == 0 {
                (self.left_reward, None)
            } else if right && state + 1 == self.states {
                (1.0, None)
            } else if right {
                (0.0, Some(state + 1))
            } else {
                (0.0, Some(state - 1))
            }
        };
        let ((r_meant, s_meant), (r_slip, s_slip)) = (go(action == 1), go(action != 1));
        [
            (1.0 - self.slip, r_meant, s_meant),
            (self.slip, r_slip, s_slip),
        ]
    }

    /// Samples one move: `(reward, next state)`.
    pub fn step(&self, state: usize, action: usize, rng: &mut impl Rng) -> (f64, Option<usize>) {
        let [meant, slipped] = self.outcomes(state, action);
        let (_, reward, next) = if rng.random::<f64>() < meant.0 {
            meant
        } else {
            slipped
        };
        (reward, next)
    }

    /// The optimal action values `Q*` by value iteration:
    /// `Q(s, a) <- sum_outcomes p (r + gamma max_a' Q(s', a'))` (no bootstrap off the ends),
    /// repeated until no entry moves by more than 1e-13. The update contracts by `gamma`, so the
    /// result is within `1e-13 gamma / (1 - gamma)` of the fixed point.
    pub fn optimal_q(&self) -> Vec<[f64; 2]> {
        let mut q: Vec<[f64; 2]> = vec![[0.0; 2]; self.states];
        loop {
            let best = |s: Option<usize>| s.map_or(0.0, |s: usize| q[s][0].max(q[s][1]));
            let next: Vec<[f64; 2]> = (0..self.states)
                .map(|s| {
                    [0, 1].map(|a| {
                        self.outcomes(s, a)
                            .iter()
                            .map(|&(p, r, s_next)| p * (r + self.gamma * best(s_next)))
                            .sum()
                    })
                })
                .collect();
            let change = next
                .iter()
                .zip(&q)
                .flat_map(|(a, b)| [(a[0] - b[0]).abs(), (a[1] - b[1]).abs()])
                .fold(0.0, f64::max);
            q = next;
            if change <= 1e-13 {
                return q;
            }
        }
    }
}

/// The action with the larger value (left on a tie).
fn greedy(values: [f64; 2]) -> usize {
    usize::from(values[1] > values[0])
}

/// Q-learning on the chain: a table `Q [states, 2]` (zeros at first) and `updates` rounds of
/// one step of an epsilon-greedy behaviour policy (on the current table; exploring starts: a
/// new episode begins in a uniformly drawn state), stored in a replay memory, then one SGD
/// step on the `q_learning` loss of a mini-batch replayed uniformly from that memory. The
/// learning rate decays (cosine, to 2%) so the table settles rather than jitters.
pub fn q_learning_chain(
    chain: &Chain,
    updates: usize,
    rng: &mut StdRng,
) -> Result<Vec<[f64; 2]>, String> {
    const EPSILON: f64 = 0.3;
    const BATCH: usize = 32;
    let n = chain.states;
    let mut store = ParamStore::<f64>::new();
    let table = store.add("q", Tensor::zeros([n, 2]));
    // With `Mean` over 32 transitions, one of the 16 entries gets about 2/32 of the gradient
    // mass: learning rate 1 moves it about an eighth of the way to its targets.
    let mut optimizer = Sgd::new(1.0).schedule(LrSchedule::Cosine {
        warmup: 0,
        total: updates,
        min_factor: 0.02,
    });
    let mut tape = Tape::new();
    let mut memory: Vec<(usize, usize, f64, Option<usize>)> = Vec::with_capacity(updates);
    let mut state = rng.random_range(0..n);
    for step in 1..=updates {
        let row = store.value(table).data()[2 * state..2 * state + 2].to_vec();
        let action = if rng.random::<f64>() < EPSILON {
            rng.random_range(0..2)
        } else {
            greedy([row[0], row[1]])
        };
        let (reward, next) = chain.step(state, action, rng);
        memory.push((state, action, reward, next));
        state = next.unwrap_or_else(|| rng.random_range(0..n));

        let batch: Vec<_> = (0..BATCH)
            .map(|_| memory[rng.random_range(0..memory.len())])
            .collect();
        let states: Vec<usize> = batch.iter().map(|b| b.0).collect();
        let actions: Vec<usize> = batch.iter().map(|b| b.1).collect();
        let rewards: Vec<f64> = batch.iter().map(|b| b.2).collect();
        let dones: Vec<bool> = batch.iter().map(|b| b.3.is_none()).collect();
        // An ending move has no next state; `q_learning` masks its bootstrap, so any row
        // serves as the placeholder.
        let next_states: Vec<usize> = batch.iter().map(|b| b.3.unwrap_or(b.0)).collect();
        let loss = store.compute_grads(&mut tape, |p| {
            let q = p[table];
            q_learning(
                q.index_select(0, &states),
                &actions,
                q.index_select(0, &next_states),
                &rewards,
                &dones,
                chain.gamma,
                Reduction::Mean,
            )
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice(FIXED_STEPS))?;
        optimizer.step(&mut store);
    }
    Ok(store
        .value(table)
        .data()
        .chunks_exact(2)
        .map(|r| [r[0], r[1]])
        .collect())
}

/// How close a learnt table is to `Q*`: the largest and the mean absolute error, and the
/// states whose greedy action is optimal.
pub fn compare_q(learnt: &[[f64; 2]], optimal: &[[f64; 2]]) -> (f64, f64, usize) {
    let errors: Vec<f64> = learnt
        .iter()
        .zip(optimal)
        .flat_map(|(a, b)| [(a[0] - b[0]).abs(), (a[1] - b[1]).abs()])
        .collect();
    let max = errors.iter().copied().fold(0.0, f64::max);
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    let agreement = learnt
        .iter()
        .zip(optimal)
        .filter(|&(a, b)| greedy(*a) == greedy(*b))
        .count();
    (max, mean, agreement)
}

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

    let window = 100.min(returns.len()).max(1);
    let column =
        |q: &[[f64; 2]], action: usize| -> Vec<f64> { q.iter().map(|v| v[action]).collect() };
    let by_state = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| ((i + 1) as f64, x))
            .collect()
    };
    plot::lines(
        config.out.join("cartpole_returns.svg"),
        &[
            Lines::new("CartPole: return per episode")
                .x_label("episode")
                .y_label("return")
                .values("return", &returns)
                .values(
                    format!("mean of last {window}"),
                    &plot::moving_average(&returns, window),
                )
                .series(
                    "solved (195)",
                    vec![(0.0, SOLVED), (returns.len() as f64, SOLVED)],
                ),
            Lines::new(format!(
                "random walk: TD(0) values (mean abs. error {td_mean_abs_error:.3})"
            ))
            .x_label("state")
            .y_label("value")
            .series("exact", by_state(&exact_values))
            .series("TD(0)", by_state(&td_values)),
            Lines::new(format!(
                "slippery chain: Q-learning vs Q* (max abs. error {q_max_abs_error:.3})"
            ))
            .x_label("state")
            .y_label("action value")
            .series("Q*(s, left)", by_state(&column(&optimal_q, 0)))
            .series("Q*(s, right)", by_state(&column(&optimal_q, 1)))
            .series("Q(s, left)", by_state(&column(&q_values, 0)))
            .series("Q(s, right)", by_state(&column(&q_values, 1))),
        ],
    )?;
    Ok(Report {
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
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let mut args = Args::parse(
        "cartpole",
        "REINFORCE with a learned value baseline on CartPole, TD(0) on a random walk and \
         Q-learning on a slippery chain (catalogue L1, L2, L3).",
        argv,
    );
    let d = Config::default();
    let config = Config {
        episodes: args.value("--episodes", "N", d.episodes, "most CartPole episodes")?,
        hidden: args.value("--hidden", "N", d.hidden, "hidden units of both networks")?,
        lr: args.value("--lr", "RATE", d.lr, "Adam learning rate")?,
        gamma: args.value("--gamma", "G", d.gamma, "discount factor")?,
        walk_states: args.value("--walk-states", "N", d.walk_states, "random-walk states")?,
        walk_episodes: args.value(
            "--walk-episodes",
            "N",
            d.walk_episodes,
            "random-walk episodes for TD(0)",
        )?,
        chain_states: args.value(
            "--chain-states",
            "N",
            d.chain_states,
            "states of the slippery chain for Q-learning",
        )?,
        q_updates: args.value("--q-updates", "N", d.q_updates, "Q-learning updates")?,
        seed: args.value("--seed", "N", d.seed, "seed of every random choice")?,
        out: args.out_dir(&d.out)?,
    };
    if !args.finish()? {
        return Ok(None);
    }
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
    train::cli::exit_code(run_main(std::env::args().skip(1)))
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
