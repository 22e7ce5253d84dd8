//! TD(0) on a random walk (L2), against the exact state values.

use losses::Reduction;
use losses::reinforcement::td_error;
use rand::RngExt;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{Divergence, LrSchedule, Optimizer, ParamStore, Sgd};

use super::{Config, FIXED_STEPS};

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
pub fn td_random_walk(config: &Config, rng: &mut StdRng) -> Result<Vec<f64>, String> {
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
