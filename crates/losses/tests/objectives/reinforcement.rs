//! Reinforcement-learning objectives (L1-L3): returns, REINFORCE, TD(0), Q-learning.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, class_labels, rng, uniform};
use losses::Reduction;
use losses::reinforcement::*;
use tape::{Tape, Tensor, gradcheck};

#[test]
fn discounted_returns_value() {
    let g = discounted_returns(&[1.0, 2.0, 3.0], 0.9);
    // G_2 = 3, G_1 = 2 + 0.9 * 3, G_0 = 1 + 0.9 * 4.7.
    assert_close(&g, &[5.23, 4.7, 3.0], 1e-14);
    assert_eq!(discounted_returns::<f64>(&[], 0.9), Vec::<f64>::new());
    assert_eq!(discounted_returns(&[1.0f32, 1.0], 0.0), vec![1.0, 1.0]);
}

#[test]
fn discounted_returns_match_the_definition() {
    let mut r = rng(504);
    let rewards = uniform(&mut r, &[12], -1.0, 2.0).to_vec();
    let gamma: f64 = 0.95;
    let g = discounted_returns(&rewards, gamma);
    for (t, &g_t) in g.iter().enumerate() {
        // G_t = sum_k gamma^k r_{t+k+1}, with rewards[t + k] holding r_{t+k+1}.
        let by_definition: f64 = rewards[t..]
            .iter()
            .enumerate()
            .map(|(k, &r)| gamma.powi(k as i32) * r)
            .sum();
        assert_near(g_t, by_definition, 1e-12);
    }
}

/// L1 in use: a state-value estimate regressed onto the returns (Monte Carlo evaluation).
#[test]
fn value_regression_onto_returns_gradcheck() {
    let mut r = rng(505);
    for steps in [5, 9] {
        let rewards = uniform(&mut r, &[steps], -1.0, 1.0).to_vec();
        let returns = Tensor::from_vec(discounted_returns(&rewards, 0.9), [steps]);
        let values = uniform(&mut r, &[steps], -1.0, 1.0);
        gradcheck(
            |v| {
                let g = v[0].tape().constant(returns.clone());
                losses::regression::euclidean(v[0], g, Reduction::Mean)
            },
            &[values],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn reinforce_gradcheck() {
    let mut r = rng(501);
    for (steps, actions, reduction) in [(5, 3, Reduction::Mean), (8, 2, Reduction::Sum)] {
        let logits = uniform(&mut r, &[steps, actions], -2.0, 2.0);
        let taken = class_labels(&mut r, steps, actions);
        let returns = uniform(&mut r, &[steps], -1.0, 3.0).to_vec();
        let baseline = uniform(&mut r, &[steps], 0.0, 1.0);
        gradcheck(
            |v| {
                let b = v[0].tape().constant(baseline.clone());
                reinforce(v[0], &taken, &returns, Some(b), reduction)
            },
            &[logits],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn reinforce_value_with_baseline() {
    let tape = Tape::<f64>::new();
    // pi(. | s_0) = (1/4, 3/4), pi(. | s_1) = (1/2, 1/2).
    let logits = tape.var(Tensor::from_vec(vec![0.0, 3f64.ln(), 0.0, 0.0], [2, 2]));
    let baseline = tape.var(Tensor::from_vec(vec![0.5, 1.0], [2, 1]));
    let loss = reinforce(
        logits,
        &[1, 0],
        &[2.0, -1.0],
        Some(baseline),
        Reduction::None,
    );
    assert_close(
        loss.value().data(),
        &[-(0.75f64.ln()) * 1.5, -(0.5f64.ln()) * -2.0],
        1e-15,
    );
    reinforce(
        logits,
        &[1, 0],
        &[2.0, -1.0],
        Some(baseline),
        Reduction::Mean,
    )
    .backward();
    // The baseline is detached: only the policy learns from this loss.
    assert!(baseline.grad().is_none());
    // (G - b)/T (softmax - onehot): 0.75 (1/4, -1/4) and -1 (-1/2, 1/2).
    assert_close(
        logits.grad().unwrap().data(),
        &[0.1875, -0.1875, 0.5, -0.5],
        1e-15,
    );
}

#[test]
fn td_error_gradcheck() {
    let mut r = rng(502);
    for (shape, reduction) in [(vec![6], Reduction::Mean), (vec![9, 1], Reduction::Sum)] {
        let values = uniform(&mut r, &shape, -1.0, 1.0);
        let next = uniform(&mut r, &shape, -1.0, 1.0);
        let rewards = uniform(&mut r, &[shape[0]], -1.0, 1.0).to_vec();
        let dones: Vec<bool> = (0..shape[0]).map(|t| t % 4 == 3).collect();
        gradcheck(
            |v| {
                let next = v[0].tape().constant(next.clone());
                td_error(v[0], next, &rewards, &dones, 0.9, reduction)
            },
            &[values],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn td_error_value_and_detached_target() {
    let tape = Tape::<f64>::new();
    let v = tape.var(Tensor::from_vec(vec![1.0, 0.0, 2.0], [3]));
    // The terminal step's next value is NaN: it must be masked out, not multiplied by 0.
    let v_next = tape.var(Tensor::from_vec(vec![0.0, 2.0, f64::NAN], [3]));
    let rewards = [1.0, 0.5, -1.0];
    let dones = [false, false, true];
    // Targets: 1 + 0.5 * 0, 0.5 + 0.5 * 2, -1; errors 0, 1.5, -3.
    let loss = td_error(v, v_next, &rewards, &dones, 0.5, Reduction::None);
    assert_close(loss.value().data(), &[0.0, 2.25, 9.0], 0.0);
    let mean = td_error(v, v_next, &rewards, &dones, 0.5, Reduction::Mean);
    assert_eq!(mean.item(), 3.75);
    mean.backward();
    assert_close(v.grad().unwrap().data(), &[0.0, -1.0, 2.0], 1e-15);
    assert!(v_next.grad().is_none());
}

#[test]
fn q_learning_gradcheck() {
    let mut r = rng(503);
    for (steps, actions, reduction) in [(5, 3, Reduction::Mean), (7, 4, Reduction::Sum)] {
        let q = uniform(&mut r, &[steps, actions], -1.0, 1.0);
        let next_q = uniform(&mut r, &[steps, actions], -1.0, 1.0);
        let taken = class_labels(&mut r, steps, actions);
        let rewards = uniform(&mut r, &[steps], -1.0, 1.0).to_vec();
        let dones: Vec<bool> = (0..steps).map(|t| t == steps - 1).collect();
        gradcheck(
            |v| {
                let next = v[0].tape().constant(next_q.clone());
                q_learning(v[0], &taken, next, &rewards, &dones, 0.95, reduction)
            },
            &[q],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn q_learning_value_and_gradient_only_on_taken_actions() {
    let tape = Tape::<f64>::new();
    let q = tape.var(Tensor::from_vec(
        vec![1.0, 3.0, 0.0, 0.0, 2.0, -1.0],
        [3, 2],
    ));
    // Q-learning on its own network: the next values come from the same variable, detached.
    let next_q = tape.var(Tensor::from_vec(
        vec![2.0, 4.0, -1.0, 1.0, 9.0, 9.0],
        [3, 2],
    ));
    let rewards = [1.0, 0.0, 2.0];
    let dones = [false, false, true];
    // Targets: 1 + 0.5 * 4 = 3, 0 + 0.5 * 1 = 0.5, 2; taken Q: 3 (a=1), 0 (a=0), -1 (a=1).
    let loss = q_learning(q, &[1, 0, 1], next_q, &rewards, &dones, 0.5, Reduction::Sum);
    assert_eq!(loss.item(), 0.0 + 0.25 + 9.0);
    loss.backward();
    assert_close(
        q.grad().unwrap().data(),
        &[0.0, 0.0, -1.0, 0.0, 0.0, -6.0],
        0.0,
    );
    assert!(next_q.grad().is_none());
}
