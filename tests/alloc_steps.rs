//! Steady-state training steps allocate nothing, counted across every thread (the GEMM helper
//! threads included): the `mlp_step` benchmark's step (MLP 784-512-256-10, batch 128, forward
//! and backward) and the `mnist_mlp` example's step (`train::train_step`: MLP 784-256-10,
//! Adam, mini-batches of 64 from the shuffling loader).
//!
//! One test in this binary, so that no other test allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use losses::{Reduction, classification::softmax_cross_entropy};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Tape, Tensor, Var};
use train::{Activation, Adam, BatchLoader, Mlp, ParamStore, synth, train_step};

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers every call to the system allocator; counting has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Heap allocations made by `f`, on any thread, while it runs.
fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

/// The `mlp_step` benchmark's workload: forward, mean softmax cross-entropy, backward.
fn mlp_step(
    tape: &mut Tape<f32>,
    params: &[Tensor<f32>],
    x: &Tensor<f32>,
    labels: &[usize],
) -> f32 {
    tape.reset();
    let mut vars: [Option<Var<f32>>; 6] = [None; 6];
    for (slot, p) in vars.iter_mut().zip(params) {
        *slot = Some(tape.var(p.clone()));
    }
    let mut h = tape.constant(x.clone());
    for layer in 0..3 {
        let (w, b) = (vars[2 * layer].unwrap(), vars[2 * layer + 1].unwrap());
        // ReLU between layers, fused into the product; none after the last.
        h = if layer < 2 {
            h.linear_relu(w, b)
        } else {
            h.linear(w, b)
        };
    }
    let loss = softmax_cross_entropy(h, labels, Reduction::Mean);
    loss.backward();
    for v in vars.iter().flatten() {
        black_box(v.grad());
    }
    loss.item()
}

#[test]
fn steady_state_training_steps_allocate_nothing() {
    let mut rng = StdRng::seed_from_u64(7);

    // The benchmark step, at its real sizes (its products are split across threads).
    let widths = [784, 512, 256, 10];
    let params: Vec<Tensor<f32>> = widths
        .windows(2)
        .flat_map(|w| {
            let scale = (6.0 / (w[0] + w[1]) as f32).sqrt();
            let weight = Tensor::from_fn([w[0], w[1]], |_| rng.random_range(-scale..scale));
            [weight, Tensor::zeros([w[1]])]
        })
        .collect();
    let x = Tensor::from_fn([128, 784], |_| rng.random_range(0.0..1.0));
    let labels: Vec<usize> = (0..128).map(|_| rng.random_range(0..10)).collect();
    let mut tape = Tape::new();
    let warm_up = allocations_during(|| {
        for _ in 0..3 {
            mlp_step(&mut tape, &params, &x, &labels);
        }
    });
    // The counter sees the warm-up filling the arena, the pools and the packing buffers.
    assert!(
        warm_up > 0,
        "the allocation counter saw nothing during warm-up"
    );
    // A helper thread grows its own packing buffers the first time it runs a piece of a
    // product. On a starved machine the caller may have taken back every piece of one product
    // throughout the warm-up, so that helper's first run of it, and its one allocation, comes
    // later. The steady state is reached all the same: some window of 10 steps among the first
    // five makes no allocation, and a leak (an allocation in every step) still fails.
    let windows: Vec<usize> = (0..5)
        .map(|_| {
            allocations_during(|| {
                for _ in 0..10 {
                    mlp_step(&mut tape, &params, &x, &labels);
                }
            })
        })
        .collect();
    assert!(
        windows.contains(&0),
        "every window of 10 steady-state mlp_step steps made heap allocations: {windows:?}"
    );

    // The mnist_mlp example's step, on built-in digits.
    let data = synth::digits(640, &mut rng);
    let mut store = ParamStore::new();
    let model = Mlp::new(
        &mut store,
        "mlp",
        &[784, 256, 10],
        Activation::Relu,
        &mut rng,
    );
    let mut adam = Adam::new(1e-3);
    let mut loader = BatchLoader::new(64);
    let mut tape = Tape::new();
    let mut epoch = |rng: &mut StdRng, tape: &mut Tape<f32>| -> (usize, f64) {
        loader.shuffle(data.len(), rng);
        let mut last_loss = 0.0;
        let mut made = 0;
        while let Some(batch) = loader.next_batch(&data) {
            made += allocations_during(|| {
                last_loss = train_step(&model, &mut store, &mut adam, tape, &batch, None)
                    .expect("a finite step")
                    .0;
            });
        }
        (made, last_loss)
    };
    let (_, first_loss) = epoch(&mut rng, &mut tape);
    // As above: one of the next three epochs (a helper's first piece of a product may come
    // late on a starved machine) makes no allocation.
    let epochs: Vec<(usize, f64)> = (0..3).map(|_| epoch(&mut rng, &mut tape)).collect();
    let last_loss = epochs[2].1;
    assert!(
        last_loss < first_loss,
        "training should progress ({first_loss} -> {last_loss})"
    );
    let made: Vec<usize> = epochs.iter().map(|e| e.0).collect();
    assert!(
        made.contains(&0),
        "every epoch of steady-state mnist_mlp steps made heap allocations: {made:?}"
    );
}
