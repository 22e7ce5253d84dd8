//! Each optimiser's step against values worked out by hand from its published update rule,
//! plus schedules, clipping and the gradient lifecycle (zero_grad semantics).

use approx::assert_abs_diff_eq;
use tape::{Tape, Tensor};
use train::{Adam, LrSchedule, Optimizer, ParamId, ParamStore, Sgd};

/// A store with one parameter `w = [1, -2]`.
fn store() -> (ParamStore<f64>, ParamId) {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::from_vec(vec![1.0, -2.0], [2]));
    (store, w)
}

/// Puts gradient `g` into the store through a real backward pass: `d/dw sum(w * g) = g`.
fn set_grad(store: &mut ParamStore<f64>, w: ParamId, g: [f64; 2]) {
    let mut tape = Tape::new();
    let g = Tensor::from_vec(g.to_vec(), [2]);
    store.compute_grads(&mut tape, |p| (p[w] * p.tape().constant(g)).sum());
}

fn assert_values(store: &ParamStore<f64>, w: ParamId, expected: [f64; 2]) {
    let got = store.value(w).data();
    for (g, e) in got.iter().zip(expected) {
        assert_abs_diff_eq!(*g, e, epsilon = 1e-12);
    }
}

const G: [f64; 2] = [0.5, 0.25];

#[test]
fn sgd_plain_step() {
    let (mut store, w) = store();
    let mut opt = Sgd::new(0.1);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // w - lr g = [1 - 0.05, -2 - 0.025]
    assert_values(&store, w, [0.95, -2.025]);
    assert_eq!(opt.steps(), 1);
}

#[test]
fn sgd_weight_decay_adds_l2_gradient() {
    let (mut store, w) = store();
    let mut opt = Sgd::new(0.1).weight_decay(0.01);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // g + 0.01 w = [0.51, 0.23]; w - 0.1 * that = [0.949, -2.023]
    assert_values(&store, w, [0.949, -2.023]);
}

#[test]
fn sgd_momentum_two_steps() {
    let (mut store, w) = store();
    let mut opt = Sgd::new(0.1).momentum(0.9);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // b = g; w = [0.95, -2.025]
    assert_values(&store, w, [0.95, -2.025]);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // b = 0.9 g + g = [0.95, 0.475]; w = [0.95 - 0.095, -2.025 - 0.0475]
    assert_values(&store, w, [0.855, -2.0725]);
}

#[test]
fn sgd_nesterov_two_steps() {
    let (mut store, w) = store();
    let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // b = g; d = g + 0.9 b = 1.9 g = [0.95, 0.475]; w = [0.905, -2.0475]
    assert_values(&store, w, [0.905, -2.0475]);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // b = 1.9 g; d = g + 0.9 * 1.9 g = 2.71 g = [1.355, 0.6775]
    assert_values(&store, w, [0.7695, -2.11525]);
}

#[test]
fn adam_first_step_moves_by_lr_times_sign() {
    let (mut store, w) = store();
    let mut opt = Adam::new(0.01);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // m = 0.1 g, v = 0.001 g^2, so m_hat = g and v_hat = g^2: w - lr g / (|g| + eps)
    let expected = [
        1.0 - 0.01 * 0.5 / (0.5 + 1e-8),
        -2.0 - 0.01 * 0.25 / (0.25 + 1e-8),
    ];
    assert_values(&store, w, expected);
}

#[test]
fn adam_second_step_applies_bias_correction() {
    let (mut store, w) = store();
    let mut opt = Adam::new(0.01);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    set_grad(&mut store, w, [-1.0, 0.5]);
    opt.step(&mut store);
    // Coordinate 0: m = 0.9 * 0.05 + 0.1 * (-1) = -0.055
    //               v = 0.999 * 0.00025 + 0.001 * 1 = 0.00124975
    //               m_hat = -0.055 / (1 - 0.9^2), v_hat = 0.00124975 / (1 - 0.999^2)
    // Coordinate 1: m = 0.9 * 0.025 + 0.1 * 0.5 = 0.0725
    //               v = 0.999 * 0.0000625 + 0.001 * 0.25 = 0.0003124375
    let step = |w1: f64, m: f64, v: f64| {
        let (m_hat, v_hat) = (m / (1.0 - 0.81), v / (1.0 - 0.998001));
        w1 - 0.01 * m_hat / (v_hat.sqrt() + 1e-8)
    };
    let w1 = [
        1.0 - 0.01 * 0.5 / (0.5 + 1e-8),
        -2.0 - 0.01 * 0.25 / (0.25 + 1e-8),
    ];
    let expected = [
        step(w1[0], -0.055, 0.00124975),
        step(w1[1], 0.0725, 0.0003124375),
    ];
    assert_values(&store, w, expected);
    // Sanity of the hand arithmetic: coordinate 0 moved up (negative gradient).
    assert!(expected[0] > w1[0]);
}

#[test]
fn adam_weight_decay_is_l2_on_the_gradient() {
    let (mut store, w) = store();
    let mut opt = Adam::new(0.01).weight_decay(0.1);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // g + 0.1 w = [0.6, 0.05]; first Adam step moves by lr * g' / (|g'| + eps)
    let expected = [
        1.0 - 0.01 * 0.6 / (0.6 + 1e-8),
        -2.0 - 0.01 * 0.05 / (0.05 + 1e-8),
    ];
    assert_values(&store, w, expected);
}

#[test]
fn adamw_decays_weights_directly() {
    let (mut store, w) = store();
    let mut opt = Adam::adamw(0.01, 0.1);
    set_grad(&mut store, w, G);
    opt.step(&mut store);
    // w (1 - lr wd) = [0.999, -1.998], then the plain Adam step on g
    let expected = [
        0.999 - 0.01 * 0.5 / (0.5 + 1e-8),
        -1.998 - 0.01 * 0.25 / (0.25 + 1e-8),
    ];
    assert_values(&store, w, expected);
}

#[test]
fn schedules_follow_their_formulas() {
    let step = LrSchedule::Step {
        every: 10,
        gamma: 0.5,
    };
    assert_eq!(step.factor(0), 1.0);
    assert_eq!(step.factor(9), 1.0);
    assert_eq!(step.factor(10), 0.5);
    assert_eq!(step.factor(25), 0.25);
    assert_eq!(LrSchedule::Constant.factor(1000), 1.0);

    let cosine = LrSchedule::Cosine {
        warmup: 4,
        total: 14,
        min_factor: 0.1,
    };
    assert_abs_diff_eq!(cosine.factor(0), 0.25);
    assert_abs_diff_eq!(cosine.factor(3), 1.0);
    assert_abs_diff_eq!(cosine.factor(4), 1.0);
    // Halfway through the decay: 0.1 + 0.9 * 0.5 * (1 + cos(pi / 2)) = 0.55
    assert_abs_diff_eq!(cosine.factor(9), 0.55, epsilon = 1e-12);
    assert_abs_diff_eq!(cosine.factor(14), 0.1, epsilon = 1e-12);
    assert_abs_diff_eq!(cosine.factor(100), 0.1, epsilon = 1e-12);
}

#[test]
fn optimisers_use_the_scheduled_rate() {
    let (mut store, w) = store();
    let mut opt = Sgd::new(0.1).schedule(LrSchedule::Step {
        every: 1,
        gamma: 0.5,
    });
    assert_abs_diff_eq!(opt.learning_rate(), 0.1);
    set_grad(&mut store, w, [1.0, 1.0]);
    opt.step(&mut store); // lr 0.1
    set_grad(&mut store, w, [1.0, 1.0]);
    opt.step(&mut store); // lr 0.05
    assert_abs_diff_eq!(opt.learning_rate(), 0.025);
    assert_values(&store, w, [1.0 - 0.15, -2.0 - 0.15]);
}

#[test]
fn clip_grad_norm_scales_to_the_global_norm() {
    let mut store = ParamStore::<f64>::new();
    let a = store.add("a", Tensor::from_vec(vec![0.0], [1]));
    let b = store.add("b", Tensor::from_vec(vec![0.0], [1]));
    let mut tape = Tape::new();
    // Gradients 3 and 4: global norm 5.
    store.compute_grads(&mut tape, |p| (p[a] * 3.0 + p[b] * 4.0).sum());
    assert_abs_diff_eq!(store.grad_norm(), 5.0, epsilon = 1e-12);
    let before = store.clip_grad_norm(1.0);
    assert_abs_diff_eq!(before, 5.0, epsilon = 1e-12);
    assert_abs_diff_eq!(store.grad(a).unwrap().item(), 0.6, epsilon = 1e-6);
    assert_abs_diff_eq!(store.grad(b).unwrap().item(), 0.8, epsilon = 1e-6);
    // Below the threshold nothing changes.
    let again = store.clip_grad_norm(10.0);
    assert_abs_diff_eq!(again, 1.0, epsilon = 1e-6);
    assert_abs_diff_eq!(store.grad(a).unwrap().item(), 0.6, epsilon = 1e-6);
}

#[test]
fn steps_consume_gradients_and_compute_grads_accumulates() {
    let (mut store, w) = store();
    set_grad(&mut store, w, G);
    set_grad(&mut store, w, G); // a second micro-batch adds up
    assert_eq!(store.grad(w).unwrap().data(), &[1.0, 0.5]);
    let mut opt = Sgd::new(1.0);
    opt.step(&mut store);
    assert_values(&store, w, [0.0, -2.5]);
    assert!(store.grad(w).is_none(), "a step leaves no gradient behind");
    // A step without gradients changes nothing.
    opt.step(&mut store);
    assert_values(&store, w, [0.0, -2.5]);
    set_grad(&mut store, w, G);
    store.zero_grad();
    assert!(store.grad(w).is_none());
}

#[test]
fn parameters_without_gradient_are_left_alone() {
    let mut store = ParamStore::<f64>::new();
    let used = store.add("used", Tensor::from_vec(vec![1.0], [1]));
    let unused = store.add("unused", Tensor::from_vec(vec![1.0], [1]));
    let mut tape = Tape::new();
    let mut opt = Adam::adamw(0.1, 0.5);
    store.compute_grads(&mut tape, |p| p[used].sum());
    assert!(store.grad(unused).is_none());
    opt.step(&mut store);
    assert!(store.value(used).item() < 1.0);
    assert_eq!(store.value(unused).item(), 1.0);
}

#[test]
fn adam_updates_every_element_of_a_parameter_large_enough_to_split_across_threads() {
    // An odd length past the size from which the update runs in two halves: each element must
    // follow the rule with its own gradient and moments, the middle and the last included.
    let n = 100_001;
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::from_fn([n], |i| (i % 7) as f64 - 3.0));
    let grads: [Vec<f64>; 2] = [
        (0..n).map(|i| ((i % 13) as f64 - 6.0) * 0.1).collect(),
        (0..n).map(|i| ((i % 5) as f64 - 2.5) * 0.2).collect(),
    ];
    let mut opt = Adam::new(0.01).weight_decay(0.1);
    let mut tape = Tape::new();
    for g in &grads {
        let g = Tensor::from_vec(g.clone(), [n]);
        store.compute_grads(&mut tape, |p| (p[w] * p.tape().constant(g)).sum());
        opt.step(&mut store);
    }
    for (i, &got) in store.value(w).data().iter().enumerate() {
        let (mut x, mut m, mut v) = ((i % 7) as f64 - 3.0, 0.0, 0.0);
        for (t, g) in (1..).zip(&grads) {
            let g = g[i] + 0.1 * x;
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            let (m_hat, v_hat) = (m / (1.0 - 0.9f64.powi(t)), v / (1.0 - 0.999f64.powi(t)));
            x -= 0.01 * m_hat / (v_hat.sqrt() + 1e-8);
        }
        assert_abs_diff_eq!(got, x, epsilon = 1e-12);
    }
}
