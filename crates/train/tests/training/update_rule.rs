//! Optimisers written as update rules in user code (sign-SGD without state, Adagrad with one
//! state tensor): the rule gives only its per-parameter update, and the stepper supplies the
//! schedule, the step count, the gradient clearing, the threading of large parameters, the
//! state tensors and their checkpoints; a steady step allocates nothing.

use std::sync::Mutex;

use approx::assert_abs_diff_eq;
use tape::{Float, Tape, Tensor};
use train::optim::{StepContext, Stepper, UpdateRule};
use train::{Adam, LrSchedule, Optimizer, ParamId, ParamStore, Sgd};

/// Sign-SGD (Bernstein et al., 2018): `w <- w - lr sign(g)`. It records the context and the
/// length of each call, to show what the stepper hands it.
#[derive(Default)]
struct SignSgd {
    calls: Mutex<Vec<(StepContext, usize)>>,
}

impl<T: Float> UpdateRule<T, 0> for SignSgd {
    const STATE: [&'static str; 0] = [];

    fn kind(&self) -> &'static str {
        "sign_sgd"
    }

    fn update(&self, ctx: StepContext, w: &mut [T], g: &[T], _: [&mut [T]; 0]) {
        self.calls.lock().unwrap().push((ctx, w.len()));
        let lr = T::from_f64(ctx.lr);
        for (w, &g) in w.iter_mut().zip(g) {
            if g > T::ZERO {
                *w -= lr;
            } else if g < T::ZERO {
                *w += lr;
            }
        }
    }
}

impl SignSgd {
    fn calls(&self) -> Vec<(StepContext, usize)> {
        std::mem::take(&mut self.calls.lock().unwrap())
    }
}

/// Adagrad (Duchi et al., 2011): `s <- s + g^2`, `w <- w - lr g / (sqrt(s) + eps)`.
struct Adagrad {
    eps: f64,
}

impl<T: Float> UpdateRule<T, 1> for Adagrad {
    const STATE: [&'static str; 1] = ["sum_sq"];

    fn kind(&self) -> &'static str {
        "adagrad"
    }

    fn update(&self, ctx: StepContext, w: &mut [T], g: &[T], [s]: [&mut [T]; 1]) {
        let (lr, eps) = (T::from_f64(ctx.lr), T::from_f64(self.eps));
        for ((w, &g), s) in w.iter_mut().zip(g).zip(s) {
            *s += g * g;
            *w -= lr * g / (s.sqrt() + eps);
        }
    }
}

/// A store with `w = [1, -2]` and a parameter `unused` that never gets a gradient.
fn store() -> (ParamStore<f64>, ParamId, ParamId) {
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::from_vec(vec![1.0, -2.0], [2]));
    let unused = store.add("unused", Tensor::from_vec(vec![5.0], [1]));
    (store, w, unused)
}

/// Puts gradient `g` into the store through a real backward pass: `d/dw sum(w * g) = g`.
fn set_grad(store: &mut ParamStore<f64>, w: ParamId, g: &[f64]) {
    let mut tape = Tape::new();
    let g = Tensor::from_vec(g.to_vec(), [g.len()]);
    store.compute_grads(&mut tape, |p| (p[w] * p.tape().constant(g)).sum());
}

fn assert_values(store: &ParamStore<f64>, w: ParamId, expected: &[f64]) {
    for (g, e) in store.value(w).data().iter().zip(expected) {
        assert_abs_diff_eq!(*g, e, epsilon = 1e-12);
    }
}

#[test]
fn the_stepper_schedules_counts_and_clears_for_a_rule_that_only_updates() {
    let (mut store, w, unused) = store();
    let schedule = LrSchedule::Step {
        every: 1,
        gamma: 0.5,
    };
    let mut opt = Stepper::with_rule(SignSgd::default(), 0.1).schedule(schedule);
    set_grad(&mut store, w, &[3.0, -0.5]);
    opt.step(&mut store);
    // lr 0.1 against the signs: [1 - 0.1, -2 + 0.1]
    assert_values(&store, w, &[0.9, -1.9]);
    assert!(store.grad(w).is_none(), "the stepper cleared the gradient");
    assert_eq!(opt.steps(), 1);
    assert_abs_diff_eq!(opt.learning_rate(), 0.05);
    set_grad(&mut store, w, &[-1.0, -1.0]);
    opt.step(&mut store);
    // lr 0.05, both up: [0.95, -1.85]
    assert_values(&store, w, &[0.95, -1.85]);
    assert_eq!(store.value(unused).data(), &[5.0], "no gradient, no update");
    // One call per step for the parameter with a gradient, with the scheduled rate, the step
    // number from 1 and the parameter.
    let calls = opt.rule().calls();
    assert_eq!(calls.len(), 2);
    for ((ctx, len), (lr, t)) in calls.into_iter().zip([(0.1, 1), (0.05, 2)]) {
        assert_abs_diff_eq!(ctx.lr, lr);
        assert_eq!((ctx.t, ctx.param, len), (t, w, 2));
    }
    // A step without gradients updates nothing but still counts.
    opt.step(&mut store);
    assert!(opt.rule().calls().is_empty());
    assert_eq!(opt.steps(), 3);
    // A rule without state is checkpointed by its kind and step count alone.
    let state = opt.state().expect("every stepper can be checkpointed");
    assert_eq!((state.kind.as_str(), state.steps), ("sign_sgd", 3));
    assert!(state.tensors.is_empty());
}

#[test]
fn a_large_parameter_reaches_the_rule_in_two_halves() {
    let n = 100_001;
    let mut store = ParamStore::new();
    let w = store.add("w", Tensor::from_fn([n], |i| i as f64));
    let g: Vec<f64> = (0..n)
        .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
        .collect();
    set_grad(&mut store, w, &g);
    let mut opt = Stepper::with_rule(SignSgd::default(), 0.5);
    opt.step(&mut store);
    let mut lengths: Vec<usize> = opt.rule().calls().iter().map(|&(_, len)| len).collect();
    lengths.sort();
    assert_eq!(lengths, [n / 2, n - n / 2]);
    for (i, &x) in store.value(w).data().iter().enumerate() {
        let moved = if i % 3 == 0 { 0.5 } else { -0.5 };
        assert_eq!(x, i as f64 + moved, "element {i}");
    }
}

#[test]
fn adagrad_keeps_its_state_between_steps_and_in_checkpoints() {
    let (mut store, w, unused) = store();
    let eps = 1e-10;
    let mut opt = Stepper::with_rule(Adagrad { eps }, 0.1);
    set_grad(&mut store, w, &[2.0, -4.0]);
    opt.step(&mut store);
    // s = g^2: w - lr g / (|g| + eps), about [0.9, -1.9]
    let first = [1.0 - 0.2 / (2.0 + eps), -2.0 + 0.4 / (4.0 + eps)];
    assert_values(&store, w, &first);
    let saved = opt.state().unwrap();
    assert_eq!(saved.kind, "adagrad");
    let [(role, id, s)] = &saved.tensors[..] else {
        panic!("one state tensor, for the one parameter with a gradient");
    };
    assert_eq!(
        (role.as_str(), *id, s.data()),
        ("sum_sq", w, &[4.0, 16.0][..])
    );
    let second = [1.0, 3.0];
    set_grad(&mut store, w, &second);
    opt.step(&mut store);
    // s = [5, 25]: w - 0.1 g / (sqrt(s) + eps)
    let expected = [
        first[0] - 0.1 / (5f64.sqrt() + eps),
        first[1] - 0.3 / (5.0 + eps),
    ];
    assert_values(&store, w, &expected);
    // A fresh optimiser loaded with the first step's state takes the same second step.
    let mut resumed = Stepper::with_rule(Adagrad { eps }, 0.1);
    resumed.load_state(saved.clone(), &store).unwrap();
    assert_eq!(resumed.steps(), 1);
    *store.value_mut(w) = Tensor::from_vec(first.to_vec(), [2]);
    set_grad(&mut store, w, &second);
    resumed.step(&mut store);
    assert_values(&store, w, &expected);
    // Checks on load: another kind, a role the rule lacks, a shape that does not fit.
    let err = Sgd::<f64>::new(0.1).load_state(saved.clone(), &store);
    assert!(
        err.unwrap_err()
            .contains("holds the state of adagrad, not of sgd")
    );
    let mut renamed = saved.clone();
    renamed.tensors[0].0 = "velocity".into();
    let err = Stepper::with_rule(Adagrad { eps: 0.0 }, 0.1).load_state(renamed, &store);
    assert_eq!(err.unwrap_err(), "adagrad has no state 'velocity'");
    let mut moved = saved;
    moved.tensors[0].1 = unused;
    let err = Stepper::with_rule(Adagrad { eps: 0.0 }, 0.1).load_state(moved, &store);
    assert!(
        err.unwrap_err()
            .contains("state of parameter 1 does not fit")
    );
}

#[test]
fn a_checkpoint_missing_one_of_adams_moments_is_refused() {
    let (mut store, w, _) = store();
    let mut adam = Adam::<f64>::new(0.01);
    set_grad(&mut store, w, &[1.0, 1.0]);
    adam.step(&mut store);
    let mut state = adam.state().unwrap();
    assert_eq!(state.tensors.len(), 2);
    state.tensors.retain(|(role, _, _)| role == "m");
    let err = Adam::<f64>::new(0.01)
        .load_state(state, &store)
        .unwrap_err();
    assert_eq!(err, "the checkpoint lacks the v state of parameter 0");
}

#[test]
fn a_steady_step_allocates_nothing() {
    // One parameter past the threading threshold, one below it.
    let mut store = ParamStore::<f32>::new();
    let big = store.add("big", Tensor::from_fn([1 << 16], |i| (i % 7) as f32));
    let small = store.add("small", Tensor::from_fn([33], |i| i as f32));
    let g_big = Tensor::from_fn([1 << 16], |i| (i % 5) as f32 - 2.0);
    let g_small = Tensor::from_fn([33], |i| (i % 3) as f32 - 1.0);
    let mut tape = Tape::new();
    let mut grads = |store: &mut ParamStore<f32>| {
        store.compute_grads(&mut tape, |p| {
            let a = (p[big] * p.tape().constant(g_big.clone())).sum();
            a + (p[small] * p.tape().constant(g_small.clone())).sum()
        });
    };
    let mut optimisers: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(Sgd::new(0.1)),
        Box::new(Sgd::new(0.1).momentum(0.9).nesterov(true)),
        Box::new(Adam::adamw(1e-3, 0.01)),
        Box::new(Stepper::with_rule(Adagrad { eps: 1e-8 }, 0.1)),
    ];
    for opt in &mut optimisers {
        // The first step of a stateful rule allocates its state tensors (so the measure does
        // see allocations); later steps reuse them. A stateless rule's first step is not
        // asserted: the engine's helper thread may take its first piece of work there, and
        // that one-time start-up allocates.
        grads(&mut store);
        let first = crate::peak::peak_during(|| opt.step(&mut store));
        if !opt.state().unwrap().tensors.is_empty() {
            assert!(first > 0, "a stateful rule's first step allocated nothing");
        }
        for _ in 0..3 {
            grads(&mut store);
            let bytes = crate::peak::peak_during(|| opt.step(&mut store));
            assert_eq!(bytes, 0, "{} steps allocated", opt.steps());
        }
    }
}
