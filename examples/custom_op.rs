//! A custom operation from user code: SiLU (swish), `y = x sigmoid(x)`, as one fused kernel
//! forward and one backward, checked against the same function built from the engine's
//! primitives and against finite differences, then timed against it.
//!
//! ```text
//! cargo run --release --example custom_op
//! ```
//!
//! The composite `x * x.sigmoid()` records two nodes and makes two passes over the data
//! forward and about four backward; the fused operation records one node and makes one pass
//! each way. Its generic `backward`, written with `Algebra` operations, still makes it twice
//! differentiable (`Tape::grad_graph`).

use std::process::ExitCode;
use std::time::Instant;

use approx::relative_eq;
use tape::{Algebra, CustomOp, Float, Shape, Tape, Tensor, Var, gradcheck};

/// SiLU, `y = x sigmoid(x)`, elementwise, in one pass over the data.
///
/// With `s = sigmoid(x)`: `dy/dx = s + x s (1 - s) = s + y (1 - s)`.
pub struct Silu;

/// The logistic function, stable for either sign: with `e = e^-|x|` it is `1 / (1 + e)` for
/// `x >= 0` and `e / (1 + e)` below, so `e^-x` never overflows.
fn sigmoid<T: Float>(x: T) -> T {
    let e = (-x.abs()).exp();
    let s = T::ONE / (T::ONE + e);
    if x >= T::ZERO { s } else { e * s }
}

impl<T: Float> CustomOp<T> for Silu {
    fn name(&self) -> &str {
        "silu"
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String> {
        match inputs {
            [x] => Ok((*x).clone()),
            _ => Err(format!("takes one input, got {}", inputs.len())),
        }
    }

    fn forward(&self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].map(|v| v * sigmoid(v))
    }

    // Serves gradients of gradients: every step is an `Algebra` operation, so on `Var`s it is
    // recorded.
    fn backward<A: Algebra<T>>(&self, x: &[&A], y: &A, g: &A) -> Vec<A> {
        let s = x[0].sigmoid();
        let one_minus_s = s.neg().add_scalar(T::ONE);
        vec![g.mul(&s.add(&y.mul(&one_minus_s)))]
    }

    // The first-order sweep: one pass over `x` and `g` instead of four intermediate tensors.
    fn backward_eager(&self, x: &[&Tensor<T>], _y: &Tensor<T>, g: &Tensor<T>) -> Vec<Tensor<T>> {
        vec![x[0].zip_map(g, "silu backward", |x, g| {
            let s = sigmoid(x);
            g * (s + x * s * (T::ONE - s))
        })]
    }

    // For the profiler: a sigmoid and a multiply per element, as it counts the built-ins.
    fn flops(&self, inputs: &[&Shape]) -> Option<u64> {
        Some(2 * inputs[0].numel() as u64)
    }
}

/// SiLU by the fused operation: one node.
pub fn silu<'t, T: Float>(x: Var<'t, T>) -> Var<'t, T> {
    x.tape().custom(Silu, &[x])
}

/// SiLU from the engine's primitives: two nodes.
pub fn silu_composite<'t, T: Float>(x: Var<'t, T>) -> Var<'t, T> {
    x * x.sigmoid()
}

/// The settings of one run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Elements of the checked inputs (f64).
    pub check_len: usize,
    /// Elements of the timed input (f32).
    pub timed_len: usize,
    /// Timed repetitions of each version (the fastest counts).
    pub reps: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            check_len: 1000,
            timed_len: 1 << 20,
            reps: 20,
        }
    }
}

/// What a run measured: the checks' largest disagreements and the timings.
#[derive(Clone, Debug)]
pub struct Report {
    /// Largest `|fused - composite|` of the values.
    pub value_error: f64,
    /// Largest `|fused - composite|` of the gradients (the fused eager rule).
    pub grad_error: f64,
    /// Largest `|eager - recorded|` of the fused operation's gradient: its two rules agree.
    pub rules_error: f64,
    /// Largest `|fused - composite|` of a Hessian-vector product (through the recorded rule).
    pub hvp_error: f64,
    /// The gradient check's largest relative error, first order.
    pub gradcheck_error: f64,
    /// The gradient check of the recorded gradient (second order).
    pub gradcheck2_error: f64,
    /// Whether every value and gradient agreed within the tolerances (approx's
    /// `relative_eq`, relative 1e-12).
    pub agree: bool,
    /// Fastest forward + backward of the fused operation, seconds.
    pub fused_secs: f64,
    /// Fastest forward + backward of the composite, seconds.
    pub composite_secs: f64,
}

/// Whether two tensors agree elementwise to rounding.
fn agree(a: &Tensor<f64>, b: &Tensor<f64>) -> bool {
    a.shape() == b.shape()
        && (a.data().iter())
            .zip(b.data())
            .all(|(x, y)| relative_eq!(x, y, epsilon = 1e-14, max_relative = 1e-12))
}

/// Values spread over where SiLU bends, and far out on both sides (the tails of the sigmoid).
fn inputs(n: usize) -> Tensor<f64> {
    Tensor::from_fn([n], |i| {
        (i as f64 * 0.37).sin() * 8.0 + (i % 7) as f64 * 0.1 - 0.3
    })
}

/// Value, gradient and Hessian-vector product (`v` a fixed direction) of `sum(w * f(x))`.
fn value_grad_hvp(
    f: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
    x: &Tensor<f64>,
) -> [Tensor<f64>; 4] {
    let tape = Tape::new();
    let xv = tape.var(x.clone());
    let w = tape.constant(x.map(|v| (v * 1.3).cos()));
    let y = f(xv);
    let loss = (y * w).sum();
    loss.backward();
    let grad = xv.grad().unwrap();
    let recorded = tape.grad_graph(loss, &[xv])[0];
    let v = tape.constant(x.map(|v| (v * 0.7).sin()));
    (recorded * v).sum().backward();
    [y.value(), grad, recorded.value(), xv.grad().unwrap()]
}

/// The fastest of `reps` forward + backward passes of `f` on `x`, seconds.
fn time(f: impl for<'t> Fn(Var<'t, f32>) -> Var<'t, f32>, x: &Tensor<f32>, reps: usize) -> f64 {
    let mut tape = Tape::new();
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        tape.reset();
        let start = Instant::now();
        let xv = tape.var(x.clone());
        f(xv).sum().backward();
        best = best.min(start.elapsed().as_secs_f64());
    }
    best
}

/// Checks the fused operation against the composite and finite differences, and times both.
pub fn run(config: &Config) -> Report {
    let x = inputs(config.check_len);
    let [y, grad, recorded, hvp] = value_grad_hvp(silu, &x);
    let [y_c, grad_c, _, hvp_c] = value_grad_hvp(silu_composite, &x);
    // Finite differences on a few points: each partial costs two evaluations of the whole.
    let small = inputs(24);
    let w = small.map(|v| (v * 1.3).cos());
    let first = gradcheck(
        |v| (silu(v[0]) * v[0].tape().constant(w.clone())).sum(),
        std::slice::from_ref(&small),
    );
    // The recorded gradient is itself a function of x: its gradient is a Hessian-vector
    // product, checked by finite differences of the recorded gradient.
    let second = gradcheck(
        |v| {
            let loss = silu(v[0]).sum();
            let dx = v[0].tape().grad_graph(loss, &[v[0]])[0];
            (dx * v[0].tape().constant(w.clone())).sum()
        },
        &[small],
    );
    let xt = inputs(config.timed_len).cast::<f32>();
    Report {
        value_error: y.max_abs_diff(&y_c),
        grad_error: grad.max_abs_diff(&grad_c),
        rules_error: grad.max_abs_diff(&recorded),
        hvp_error: hvp.max_abs_diff(&hvp_c),
        gradcheck_error: first.max_rel_error,
        gradcheck2_error: second.max_rel_error,
        agree: [
            (&y, &y_c),
            (&grad, &grad_c),
            (&grad, &recorded),
            (&hvp, &hvp_c),
        ]
        .iter()
        .all(|(a, b)| agree(a, b)),
        fused_secs: time(silu, &xt, config.reps),
        composite_secs: time(silu_composite, &xt, config.reps),
    }
}

/// Every check's failure, one line each; empty when all pass.
pub fn failures(report: &Report) -> Vec<String> {
    let mut failed = Vec::new();
    if !report.agree {
        failed.push(format!(
            "fused and composite disagree: values {:.1e}, gradients {:.1e}, eager vs recorded rule {:.1e}, Hessian-vector products {:.1e}",
            report.value_error, report.grad_error, report.rules_error, report.hvp_error
        ));
    }
    for (what, err) in [
        ("gradcheck", report.gradcheck_error),
        ("second-order gradcheck", report.gradcheck2_error),
    ] {
        // `is_nan` too: a NaN error compares false with everything.
        if err > 1e-6 || err.is_nan() {
            failed.push(format!(
                "{what}: max relative error {err:.1e} is not <= 1e-6"
            ));
        }
    }
    failed
}

fn main() -> ExitCode {
    // No flags: the sizes are fixed, so that the printed numbers compare across runs.
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("--help" | "-h") => {
            println!("custom_op: a fused SiLU custom operation, checked and timed; no flags");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("custom_op takes no arguments, got '{other}' (try --help)");
            return ExitCode::FAILURE;
        }
    }
    let config = Config::default();
    let r = run(&config);
    println!(
        "fused SiLU vs x * sigmoid(x) on {} values: max difference {:.1e} (values), {:.1e} (gradients), {:.1e} (Hessian-vector products)",
        config.check_len, r.value_error, r.grad_error, r.hvp_error
    );
    println!(
        "eager (fused) vs recorded (Algebra) backward rule: max difference {:.1e}",
        r.rules_error
    );
    println!(
        "gradcheck: max relative error {:.1e} (first order), {:.1e} (second order)",
        r.gradcheck_error, r.gradcheck2_error
    );
    // Informational: wall time on a shared machine varies from run to run.
    println!(
        "forward + backward on {} f32 values, fastest of {}: fused {:.2} ms, composite {:.2} ms ({:.1}x)",
        config.timed_len,
        config.reps,
        r.fused_secs * 1e3,
        r.composite_secs * 1e3,
        r.composite_secs / r.fused_secs
    );
    let failed = failures(&r);
    if failed.is_empty() {
        println!("result: every check passed");
        ExitCode::SUCCESS
    } else {
        for f in failed {
            eprintln!("FAILED: {f}");
        }
        ExitCode::FAILURE
    }
}
