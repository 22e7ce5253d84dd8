//! The optimisers' updates give the same bits on every kernel path this CPU has: their loops
//! fuse no multiply-adds, so compiling them for AVX2 changes their speed, not their results.
//! (One test: the path is switched for the whole process.)

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{KernelPath, Tape, Tensor, set_kernel_path};
use train::{Adam, Optimizer, ParamStore, Sgd};

/// Parameters after three steps of `opt` on fixed gradients, for a small parameter and one
/// large enough (2^16 elements) to be updated in two halves on two threads.
fn after_steps(mut opt: impl Optimizer<f32>) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(3);
    let mut store = ParamStore::new();
    let sizes = [37, 1 << 16];
    let ids: Vec<_> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let w = Tensor::from_fn([n], |_| rng.random_range(-1.0f32..1.0));
            store.add(format!("w{i}"), w)
        })
        .collect();
    let grads: Vec<Tensor<f32>> = sizes
        .iter()
        .map(|&n| Tensor::from_fn([n], |_| rng.random_range(-1.0f32..1.0)))
        .collect();
    let mut tape = Tape::new();
    for _ in 0..3 {
        store.compute_grads(&mut tape, |p| {
            let terms = ids
                .iter()
                .zip(&grads)
                .map(|(&id, g)| (p[id] * p.tape().constant(g.clone())).sum());
            terms.reduce(|a, b| a + b).expect("two parameters")
        });
        opt.step(&mut store);
    }
    ids.iter().map(|&id| store.value(id).to_vec()).collect()
}

fn all_optimisers() -> Vec<Vec<Vec<f32>>> {
    vec![
        after_steps(Sgd::new(0.1).weight_decay(0.01)),
        after_steps(Sgd::new(0.1).momentum(0.9)),
        after_steps(
            Sgd::new(0.1)
                .momentum(0.9)
                .nesterov(true)
                .weight_decay(1e-3),
        ),
        after_steps(Adam::new(1e-2)),
        after_steps(Adam::adamw(1e-2, 0.1)),
    ]
}

#[test]
fn optimiser_updates_are_bit_identical_on_every_path() {
    set_kernel_path(KernelPath::Baseline).expect("every CPU runs the baseline");
    let reference = all_optimisers();
    let paths = KernelPath::supported();
    for &path in &paths[1..] {
        set_kernel_path(path).expect("a supported path");
        for (o, (want, got)) in reference.iter().zip(all_optimisers()).enumerate() {
            for (want, got) in want.iter().zip(&got) {
                let same = want
                    .iter()
                    .zip(got)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "optimiser {o} on {path} differs from the baseline");
            }
        }
    }
    // The updates moved the parameters: the comparison is not between untouched copies.
    let start = after_steps(Sgd::new(0.0));
    assert_ne!(reference[3], start);
    set_kernel_path(*paths.last().expect("the baseline at least")).expect("supported");
}
