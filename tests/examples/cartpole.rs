//! The `cartpole` example solves CartPole, its TD(0) estimates match the exact values, and its
//! Q-learning table matches the `Q*` of value iteration.

#[path = "../../examples/cartpole/main.rs"]
#[allow(dead_code)]
mod cartpole;

use std::path::PathBuf;

use approx::assert_abs_diff_eq;
use cartpole::{
    CartPole, Chain, Config, SOLVED, compare_q, exact_walk_values, q_learning_chain, run,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn reinforce_solves_cartpole_and_td0_and_q_learning_match_the_exact_values() {
    let config = Config {
        out: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_cartpole"),
        ..Config::default()
    };
    let report = run(&config).unwrap();
    assert!(
        report.last_100_mean >= SOLVED,
        "mean return of the last 100 episodes {} < {SOLVED}",
        report.last_100_mean
    );
    assert!(report.solved_at.is_some());
    assert!(report.returns.len() >= 100);
    assert!(
        report.td_mean_abs_error <= 0.05,
        "TD(0) mean absolute error {} > 0.05: {:?} vs {:?}",
        report.td_mean_abs_error,
        report.td_values,
        report.exact_values
    );
    assert!(
        report.q_max_abs_error <= 0.05 && report.q_mean_abs_error <= 0.02,
        "Q-learning errors {} (max), {} (mean): {:?} vs {:?}",
        report.q_max_abs_error,
        report.q_mean_abs_error,
        report.q_values,
        report.optimal_q
    );
    assert_eq!(report.policy_agreement, config.chain_states);
    assert!(config.out.join("cartpole_returns.svg").exists());
}

#[test]
fn q_learning_matches_value_iteration_for_seeds_0_to_9() {
    // Over seeds 0..200 the largest errors seen were 0.037 (max) and 0.010 (mean); the
    // smallest gap between the two actions' Q* is 0.056, so the greedy policy is optimal.
    let chain = Chain::new(8);
    let optimal = chain.optimal_q();
    for seed in 0..10 {
        let learnt = q_learning_chain(&chain, 5000, &mut StdRng::seed_from_u64(seed)).unwrap();
        let (max, mean, agreement) = compare_q(&learnt, &optimal);
        assert!(max <= 0.05, "seed {seed}: max abs error {max}");
        assert!(mean <= 0.02, "seed {seed}: mean abs error {mean}");
        assert_eq!(agreement, 8, "seed {seed}: {learnt:?} vs {optimal:?}");
    }
}

#[test]
fn value_iteration_matches_the_closed_form_of_a_chain_that_never_slips() {
    // Without slips, V*(s) = max(left_reward gamma^s, gamma^(n - 1 - s)): walk straight to the
    // better end; Q*(s, a) is the reward of the exit or gamma V* of the neighbour.
    let chain = Chain {
        slip: 0.0,
        ..Chain::new(7)
    };
    let (n, g) = (chain.states, chain.gamma);
    let v = |s: usize| (chain.left_reward * g.powi(s as i32)).max(g.powi((n - 1 - s) as i32));
    for (s, q) in chain.optimal_q().into_iter().enumerate() {
        let left = if s == 0 {
            chain.left_reward
        } else {
            g * v(s - 1)
        };
        let right = if s == n - 1 { 1.0 } else { g * v(s + 1) };
        assert_abs_diff_eq!(q[0], left, epsilon = 1e-12);
        assert_abs_diff_eq!(q[1], right, epsilon = 1e-12);
    }
    // The slippery chain's optimal policy heads left near the left end only.
    let optimal = Chain::new(8).optimal_q();
    let policy: Vec<usize> = optimal.iter().map(|q| usize::from(q[1] > q[0])).collect();
    assert_eq!(policy, [0, 0, 0, 1, 1, 1, 1, 1]);
    // ... and no state comes close to a tie, so a good estimate has the same greedy policy.
    for q in &optimal {
        assert!((q[1] - q[0]).abs() >= 0.05, "{optimal:?}");
    }
}

#[test]
fn random_walk_values_are_the_probabilities_of_leaving_on_the_right() {
    // V(i) = i / (n + 1) for states 1..=n: the gambler's-ruin probabilities.
    for n in [2, 5, 19] {
        for (i, v) in exact_walk_values(n).into_iter().enumerate() {
            assert_abs_diff_eq!(v, (i + 1) as f64 / (n + 1) as f64, epsilon = 1e-12);
        }
    }
}

#[test]
fn pushing_one_way_topples_the_pole_within_a_second_or_two() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut env = CartPole::reset(&mut rng);
    let mut steps = 0;
    loop {
        steps += 1;
        let (reward, terminal, truncated) = env.step(1);
        assert_eq!(reward, 1.0);
        assert!(!truncated);
        if terminal {
            break;
        }
    }
    // Pushing right tips the pole left past 12 degrees in well under 100 steps (2 s).
    assert!((5..100).contains(&steps), "fell after {steps} steps");
    assert!(
        env.state()[2] < 0.0,
        "the pole should fall away from the push"
    );
}
