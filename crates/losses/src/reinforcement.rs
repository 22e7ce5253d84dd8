//! Reinforcement learning (catalogue rows L1-L3): returns, the policy-gradient surrogate, and
//! Bellman errors.
//!
//! A trajectory of `T` steps is a batch of `T` samples. Index convention: `rewards[t]` is the
//! reward `r_{t+1}` received after acting in state `s_t`, and `dones[t]` says that `s_{t+1}` is
//! terminal (so nothing is bootstrapped from it).

use tape::{Float, Tensor, Var, where_};

use crate::Reduction;
use crate::support::{assert_labels, assert_len, constant_vector, matrix_dims, vector_of};

/// Discounted returns, catalogue L1: `G_t = sum_{k>=0} gamma^k r_{t+k+1}`, the sample of the
/// state value `V^pi(s_t) = E_pi[G_t | s_t]`, computed backwards as `G_t = r_{t+1} + gamma
/// G_{t+1}`.
///
/// `rewards[t]` is `r_{t+1}`; the sequence is one episode (the return after its end is 0).
/// Returns one `G_t` per step. Not differentiable: returns are targets.
///
/// ```
/// use losses::reinforcement::discounted_returns;
/// assert_eq!(discounted_returns(&[1.0, 0.0, 2.0], 0.5), vec![1.5, 1.0, 2.0]);
/// ```
pub fn discounted_returns<T: Float>(rewards: &[T], gamma: f64) -> Vec<T> {
    let gamma = T::from_f64(gamma);
    let mut returns = vec![T::ZERO; rewards.len()];
    let mut future = T::ZERO;
    for (g, &r) in returns.iter_mut().zip(rewards).rev() {
        future = r + gamma * future;
        *g = future;
    }
    returns
}

/// The REINFORCE surrogate, catalogue L2 (minimising it maximises `V`):
/// `-(1/T) sum_t ln pi(a_t | s_t) (G_t - b_t)` under `Mean`.
///
/// Shapes: `logits [T, A]` (the policy's action logits per step; `ln pi` is their
/// `log_softmax`), `actions` the `T` actions taken, `returns` the `T` returns `G_t` (see
/// [`discounted_returns`]), `baseline` an optional `[T]` (or `[T, 1]`) `b_t`, such as a value
/// network's output; it is detached, because the baseline only reduces variance and must not be
/// trained by this loss. Per step: `-ln pi(a_t | s_t) (G_t - b_t)`. `Mean` is the formula,
/// `Sum` drops the `1/T`, `None` returns `[T]`.
///
/// ```
/// use losses::{Reduction, reinforcement::reinforce};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::zeros([2, 2])); // pi = 1/2 everywhere
/// let loss = reinforce(logits, &[0, 1], &[3.0, 1.0], None, Reduction::Mean);
/// loss.backward();
/// assert!((loss.item() - 2.0 * 2f64.ln()).abs() < 1e-12); // ln 2 * (3 + 1) / 2
/// // Raise the probability of each taken action in proportion to its return.
/// assert_eq!(logits.grad().unwrap().data(), &[-0.75, 0.75, 0.25, -0.25]);
/// ```
pub fn reinforce<'t, T: Float>(
    logits: Var<'t, T>,
    actions: &[usize],
    returns: &[f64],
    baseline: Option<Var<'t, T>>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "reinforce";
    let (steps, action_count) = matrix_dims(op, "logits", logits);
    assert_len(op, "actions", actions.len(), steps);
    assert_len(op, "returns", returns.len(), steps);
    assert_labels(op, actions, action_count);
    let log_pi = logits.log_softmax_gather(actions);
    let mut advantage = constant_vector(logits, returns);
    if let Some(b) = baseline {
        let b = vector_of(op, "baseline", b);
        assert_len(op, "baseline values", b.shape().numel(), steps);
        advantage = advantage - b.detach();
    }
    reduction.apply((log_pi * advantage).neg())
}

/// The bootstrapped target `r + gamma V(s')`, with `V(s')` detached and dropped where `s'` is
/// terminal (selected away, so even a non-finite value there cannot leak in).
fn bellman_target<'t, T: Float>(
    op: &str,
    next_values: Var<'t, T>,
    rewards: &[f64],
    dones: &[bool],
    gamma: f64,
) -> Var<'t, T> {
    let steps = next_values.shape().numel();
    assert_len(op, "rewards", rewards.len(), steps);
    assert_len(op, "done flags", dones.len(), steps);
    let tape = next_values.tape();
    let continuing = tape.constant(Tensor::from_vec(
        dones
            .iter()
            .map(|&d| if d { T::ZERO } else { T::ONE })
            .collect(),
        [steps],
    ));
    let bootstrap = where_(continuing, next_values.detach(), tape.scalar(T::ZERO));
    constant_vector(next_values, rewards) + bootstrap.scale(T::from_f64(gamma))
}

/// The TD(0) error of a state-value function, catalogue L3:
/// `(r + gamma V(s') - V(s))^2`, with the target side `r + gamma V(s')` detached and
/// `V(s') = 0` at terminal states.
///
/// Shapes: `values [T]` (or `[T, 1]`): `V(s_t)`; `next_values` likewise: `V(s_{t+1})`;
/// `rewards` and `dones` `T` each. Only `values` receives a gradient. Per step: the squared TD
/// error. `Mean` averages, `Sum` adds, `None` returns `[T]`.
///
/// ```
/// use losses::{Reduction, reinforcement::td_error};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let v = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2]));
/// let v_next = tape.var(Tensor::from_vec(vec![2.0, 7.0], [2]));
/// let loss = td_error(v, v_next, &[0.5, 1.0], &[false, true], 0.5, Reduction::Sum);
/// loss.backward();
/// // (0.5 + 0.5 * 2 - 1)^2 + (1 - 2)^2: the second step ends the episode
/// assert_eq!(loss.item(), 1.25);
/// assert_eq!(v.grad().unwrap().data(), &[-1.0, 2.0]);
/// assert!(v_next.grad().is_none()); // the target is detached
/// ```
pub fn td_error<'t, T: Float>(
    values: Var<'t, T>,
    next_values: Var<'t, T>,
    rewards: &[f64],
    dones: &[bool],
    gamma: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "td_error";
    let v = vector_of(op, "values", values);
    let v_next = vector_of(op, "next_values", next_values);
    assert_len(op, "next values", v_next.shape().numel(), v.shape().numel());
    let target = bellman_target(op, v_next, rewards, dones, gamma);
    reduction.apply((target - v).square())
}

/// The Q-learning error, catalogue L3: `(r + gamma max_a' Q(s', a') - Q(s, a))^2`, with the
/// target side detached and no bootstrap from terminal states.
///
/// Shapes: `q [T, A]` (`Q(s_t, .)`), `actions` the `T` actions taken, `next_q [T, A]`
/// (`Q(s_{t+1}, .)`, from the same network or a target network), `rewards` and `dones` `T`
/// each. Only the taken actions' `Q(s_t, a_t)` receive a gradient. Per step: the squared error.
/// `Mean` averages, `Sum` adds, `None` returns `[T]`.
///
/// ```
/// use losses::{Reduction, reinforcement::q_learning};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let q = tape.var(Tensor::from_vec(vec![1.0, 3.0, 0.0, 0.0], [2, 2]));
/// let q_next = tape.constant(Tensor::from_vec(vec![2.0, 4.0, 9.0, 9.0], [2, 2]));
/// let loss = q_learning(q, &[1, 0], q_next, &[1.0, 2.0], &[false, true], 0.5, Reduction::Sum);
/// loss.backward();
/// // (1 + 0.5 * 4 - 3)^2 + (2 - 0)^2
/// assert_eq!(loss.item(), 4.0);
/// assert_eq!(q.grad().unwrap().data(), &[0.0, 0.0, -4.0, 0.0]);
/// ```
pub fn q_learning<'t, T: Float>(
    q: Var<'t, T>,
    actions: &[usize],
    next_q: Var<'t, T>,
    rewards: &[f64],
    dones: &[bool],
    gamma: f64,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "q_learning";
    let (steps, action_count) = matrix_dims(op, "q", q);
    let (next_steps, _) = matrix_dims(op, "next_q", next_q);
    assert_len(op, "next_q rows", next_steps, steps);
    assert_len(op, "actions", actions.len(), steps);
    assert_labels(op, actions, action_count);
    let q_taken = q.gather(1, actions).reshape([steps]);
    let best_next = next_q.detach().max_axis(1, false);
    let target = bellman_target(op, best_next, rewards, dones, gamma);
    reduction.apply((target - q_taken).square())
}
