//! After warm-up, identical training steps allocate nothing: `reset()` keeps the arena's
//! capacity, every tensor buffer comes back from the pool, and the matrix product keeps its
//! packing buffers per thread.
//!
//! The allocator counts per thread, so tests running in parallel do not disturb each other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tape::{ScalarTape, Tape, Tensor, Var};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: defers every call to the system allocator; counting has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// Deterministic pseudo-random values without an RNG dependency in the hot loop.
fn filled(shape: [usize; 2], seed: u64) -> Tensor<f32> {
    let mut s = seed;
    Tensor::from_fn(shape, |_| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    })
}

struct Mlp {
    params: Vec<Tensor<f32>>,
    grads: Vec<Tensor<f32>>,
}

impl Mlp {
    fn new(widths: &[usize]) -> Self {
        let mut params = Vec::new();
        for (i, w) in widths.windows(2).enumerate() {
            params.push(filled([w[0], w[1]], i as u64));
            params.push(Tensor::zeros([w[1]]));
        }
        let grads = params.iter().map(|p| Tensor::zeros(p.shape())).collect();
        Mlp { params, grads }
    }

    /// Forward, backward, gradients copied out, then an SGD update in place.
    fn step(&mut self, tape: &mut Tape<f32>, x: &Tensor<f32>, labels: &[usize]) -> f32 {
        tape.reset();
        let loss_value = {
            let mut vars: [Option<Var<f32>>; 6] = [None; 6];
            for (slot, p) in vars.iter_mut().zip(&self.params) {
                *slot = Some(tape.var(p.clone()));
            }
            let mut h = tape.constant(x.clone());
            let layers = self.params.len() / 2;
            for l in 0..layers {
                let (w, b) = (vars[2 * l].unwrap(), vars[2 * l + 1].unwrap());
                h = h.matmul(w) + b;
                if l + 1 < layers {
                    h = h.relu();
                }
            }
            let loss = -h.log_softmax(1).gather(1, labels).mean();
            loss.backward();
            for (g, v) in self.grads.iter_mut().zip(vars.iter().flatten()) {
                *g = v.take_grad().expect("every parameter gets a gradient");
            }
            loss.item()
        };
        // The tape's clones of the parameters are gone, so the update is truly in place.
        tape.reset();
        for (p, g) in self.params.iter_mut().zip(&self.grads) {
            assert!(
                !p.is_shared(),
                "the parameter is still shared: the update would copy"
            );
            for (w, &d) in p.data_mut().iter_mut().zip(g.data()) {
                *w -= 0.1 * d;
            }
        }
        loss_value
    }
}

#[test]
fn steady_state_mlp_steps_allocate_nothing() {
    let mut mlp = Mlp::new(&[64, 48, 32, 10]);
    let x = filled([16, 64], 99);
    let labels: Vec<usize> = (0..16).map(|i| (i * 7) % 10).collect();
    let mut tape = Tape::new();
    let first = mlp.step(&mut tape, &x, &labels);
    for _ in 0..2 {
        mlp.step(&mut tape, &x, &labels);
    }
    let before = allocations();
    let mut last = 0.0;
    for _ in 0..5 {
        last = mlp.step(&mut tape, &x, &labels);
    }
    let during = allocations() - before;
    assert!(
        last < first,
        "training should reduce the loss ({first} -> {last})"
    );
    assert_eq!(
        during, 0,
        "5 steady-state steps made {during} heap allocations"
    );
}

#[test]
fn scalar_chain_allocates_nothing_after_warm_up() {
    let mut tape = Tape::<f32>::new();
    let run = |tape: &mut Tape<f32>| {
        tape.reset();
        let x0 = tape.var(Tensor::full([1], 0.5));
        let mut x = x0;
        for _ in 0..100 {
            x = (x * 1.0001 + 0.1).tanh();
        }
        x.backward();
        x0.grad().unwrap().item()
    };
    let expected = run(&mut tape);
    let before = allocations();
    let again = run(&mut tape);
    assert_eq!(allocations() - before, 0);
    assert_eq!(expected, again);
}

#[test]
fn scalar_tape_steps_allocate_nothing_after_warm_up() {
    let mut tape = ScalarTape::<f32>::new();
    let run = |tape: &mut ScalarTape<f32>| {
        tape.reset();
        let x0 = tape.var(0.5);
        let mut x = x0;
        for _ in 0..1000 {
            x = (x * 1.0001 + 0.1).tanh();
        }
        x.backward();
        x0.grad()
    };
    let expected = run(&mut tape);
    let before = allocations();
    let again = run(&mut tape);
    assert_eq!(allocations() - before, 0);
    assert_eq!(expected, again);
}
