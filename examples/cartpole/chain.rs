//! Q-learning (L3) on a slippery chain, against the optimal action values.

use losses::Reduction;
use losses::reinforcement::q_learning;
use rand::rngs::StdRng;
use rand::{Rng, RngExt};
use tape::{Tape, Tensor};
use train::{Divergence, LrSchedule, Optimizer, ParamStore, Sgd};

use super::FIXED_STEPS;

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
pub fn greedy(values: [f64; 2]) -> usize {
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
