//! The parameter store's step lifecycle: gradients reach the store, and the optimiser updates
//! the parameters in their own buffers (no copy per step).

use approx::assert_abs_diff_eq;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{
    Activation, Adam, Mlp, Module, Optimizer, ParamStore, Sgd, softmax_cross_entropy, synth,
};

#[test]
fn compute_grads_matches_a_manual_backward() {
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::from_vec(vec![1.0, 2.0, 3.0], [3, 1]));
    let b = store.add("b", Tensor::from_vec(vec![0.5], [1]));
    let x = Tensor::from_vec(vec![1.0, 0.0, -1.0, 2.0, 1.0, 0.0], [2, 3]);
    let mut tape = Tape::new();
    let loss = store.compute_grads(&mut tape, |p| {
        let y = p.tape().constant(x.clone()).matmul(p[w]) + p[b];
        y.square().sum()
    });
    // y = [1 - 3 + 0.5, 2 + 2 + 0.5] = [-1.5, 4.5]; loss = 2.25 + 20.25
    assert_abs_diff_eq!(loss, 22.5, epsilon = 1e-12);
    // dL/dw = X^T 2y = [2(-1.5) + 4(4.5), 2(4.5), -2(-1.5)] = [15, 9, 3]; dL/db = 2(-1.5 + 4.5)
    assert_eq!(store.grad(w).unwrap().data(), &[15.0, 9.0, 3.0]);
    assert_eq!(store.grad(b).unwrap().data(), &[6.0]);
    assert!(tape.is_empty(), "compute_grads leaves the tape reset");
}

/// A 2-layer MLP on a Gaussian-mixture batch: big enough that every tensor is heap-backed.
fn setup() -> (ParamStore, Mlp, Tensor, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(5);
    let data = synth::GaussianMixture::ring(4, 2.0, 0.3).sample(64, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(&mut store, "mlp", &[2, 32, 4], Activation::Relu, &mut rng);
    (store, model, data.inputs, data.labels)
}

#[test]
fn optimiser_steps_update_parameters_in_place() {
    for use_adam in [false, true] {
        let (mut store, model, x, y) = setup();
        let mut sgd = Sgd::new(0.1).momentum(0.9);
        let mut adam = Adam::new(1e-2);
        let mut tape = Tape::new();
        let pointers: Vec<*const f32> = store
            .ids()
            .map(|id| store.value(id).data().as_ptr())
            .collect();
        // A copy of the values (not a shared clone, which would force the update to copy).
        let before: Vec<Vec<f32>> = store.ids().map(|id| store.value(id).to_vec()).collect();
        for _ in 0..5 {
            store.compute_grads(&mut tape, |p| {
                let logits = model.forward(p, p.tape().constant(x.clone()));
                softmax_cross_entropy(logits, &y)
            });
            for id in store.ids() {
                assert!(
                    !store.value(id).is_shared(),
                    "{} is still shared after compute_grads: the update would copy it",
                    store.name(id)
                );
            }
            if use_adam {
                adam.step(&mut store);
            } else {
                sgd.step(&mut store);
            }
        }
        for (i, id) in store.ids().enumerate() {
            assert_eq!(
                store.value(id).data().as_ptr(),
                pointers[i],
                "{} moved to a new buffer: the step copied it",
                store.name(id)
            );
            assert_ne!(
                store.value(id).data(),
                before[i].as_slice(),
                "{} did not change",
                store.name(id)
            );
        }
    }
}

#[test]
fn stepping_while_the_tape_holds_the_parameters_copies_but_stays_correct() {
    // The low-level path in the wrong order: the tape still holds clones of the parameters,
    // so the update must copy (copy on write) rather than change what the tape recorded.
    let mut store = ParamStore::<f32>::new();
    let w = store.add("w", Tensor::from_vec(vec![1.0; 8], [8]));
    let tape = Tape::new();
    let params = store.bind(&tape);
    let loss = params[w].sum();
    loss.backward();
    store.collect_grads(&params);
    assert!(store.value(w).is_shared());
    let pointer = store.value(w).data().as_ptr();
    Sgd::new(0.5).step(&mut store);
    assert_ne!(store.value(w).data().as_ptr(), pointer);
    assert_eq!(store.value(w).data(), &[0.5; 8]);
    assert_eq!(
        params[w].value().data(),
        &[1.0; 8],
        "the recording is untouched"
    );
}

#[test]
fn frozen_binding_records_constants() {
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::from_vec(vec![2.0], [1]));
    let tape = Tape::new();
    let frozen = store.bind_frozen(&tape);
    assert!(!frozen[w].requires_grad());
    let live = store.bind(&tape);
    assert!(live[w].requires_grad());
    let loss = (frozen[w] * live[w]).sum();
    loss.backward();
    assert_eq!(live[w].grad().unwrap().item(), 2.0);
    assert!(frozen[w].grad().is_none());
}

#[test]
fn names_and_lookup() {
    let mut store = ParamStore::<f32>::new();
    let a = store.add("layer.weight", Tensor::zeros([3, 2]));
    let b = store.add("layer.bias", Tensor::zeros([2]));
    assert_eq!(store.len(), 2);
    assert_eq!(store.num_scalars(), 8);
    assert_eq!(store.id("layer.bias"), Some(b));
    assert_eq!(store.id("nope"), None);
    assert_eq!(store.name(a), "layer.weight");
    assert_eq!(a.index(), 0);
    assert_eq!(
        format!("{store:?}"),
        r#"{"layer.weight": [3, 2], "layer.bias": [2]}"#
    );
}

#[test]
#[should_panic(expected = "a parameter named 'w' already exists")]
fn duplicate_names_are_rejected() {
    let mut store = ParamStore::<f32>::new();
    store.add("w", Tensor::zeros([1]));
    store.add("w", Tensor::zeros([1]));
}
