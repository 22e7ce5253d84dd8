//! CartPole (L1, L2): the environment, and REINFORCE with a value baseline trained by TD(0).

use losses::Reduction;
use losses::reinforcement::{discounted_returns, reinforce, td_error};
use rand::rngs::StdRng;
use rand::{Rng, RngExt};
use tape::{Tape, Tensor};
use train::{Activation, Adam, Divergence, Mlp, Module, Optimizer, ParamStore};

use super::{Config, SOLVED};

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
pub struct Episode {
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
pub fn train_cartpole(
    config: &Config,
    rng: &mut StdRng,
) -> Result<(Vec<f64>, Option<usize>), String> {
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
