//! Every kernel path this CPU has (see `tape::cpu`) gives the baseline path's results: bit for
//! bit where the arithmetic is the same (nothing to fuse: copies, sums, maxima, divisions), and
//! within a stated bound where a path fuses multiply-adds (products, polynomials).
//!
//! The path is switched for the whole process, so this file holds one test that switches
//! (`every_path_agrees_with_the_baseline`) and one that only reads the environment's choice in
//! child processes; no other test shares this binary.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tape::{Float, KernelPath, ScalarTape, Tape, Tensor, cpu_features, set_kernel_path};

/// How closely a path's result must match the baseline's.
#[derive(Clone, Debug)]
enum Bound {
    /// The same bits (NaN matches NaN).
    Exact,
    /// Within this many units of the larger magnitude's last place (fused polynomials: each
    /// path is within 1-2 ulp of the exact value, so within twice that of each other).
    Ulps(f64),
    /// A matrix product of depth `k`: each path's rounding error is at most about
    /// `k eps (|A||B|)_ij` (Higham, sec. 3.5), so they differ by at most twice that. `scale`
    /// holds `(|A||B|)_ij` per element.
    Product { k: usize, scale: Vec<f64> },
    /// Relative to the largest magnitude of the result (a whole training step, whose
    /// rounding differences pass through many operations).
    Relative(f64),
}

/// One named result of the battery, as f64 (f32 values convert exactly).
struct Outcome {
    name: String,
    values: Vec<f64>,
    eps: f64,
    bound: Bound,
}

fn outcome<T: Float>(name: impl Into<String>, t: &Tensor<T>, bound: Bound) -> Outcome {
    Outcome {
        name: name.into(),
        values: t.data().iter().map(|v| v.to_f64()).collect(),
        eps: T::EPSILON.to_f64(),
        bound,
    }
}

fn random<T: Float>(rng: &mut StdRng, shape: &[usize], lo: f64, hi: f64) -> Tensor<T> {
    Tensor::from_fn(shape, |_| T::from_f64(rng.random_range(lo..hi)))
}

/// `(|op(A)| |op(B)|)_ij` in f64.
fn abs_product<T: Float>(a: &Tensor<T>, b: &Tensor<T>, ta: bool, tb: bool) -> Vec<f64> {
    let abs = |t: &Tensor<T>| Tensor::<f64>::from_fn(t.dims(), |i| t.data()[i].to_f64().abs());
    abs(a).matmul_t(&abs(b), ta, tb).to_vec()
}

/// The products: one shape per path of the dispatcher in `gemm/mod.rs` (vectors, outer
/// products, thin, shallow, few columns, narrow weight gradients, packed, packed on two
/// threads, and the linear layer's bias + ReLU epilogue), each transpose combination.
fn products<T: Float>(out: &mut Vec<Outcome>) {
    let mut rng = StdRng::seed_from_u64(7);
    let shapes: [(usize, usize, usize); 12] = [
        (1, 300, 200),
        (1, 512, 512), // streams 2^18 elements: split in two halves
        (200, 300, 1),
        (70, 1, 90),
        (3, 200, 150),
        (100, 9, 130),
        (90, 200, 3),
        (90, 200, 12),
        (40, 70, 50),
        (130, 300, 257),
        (256, 256, 256), // above the parallel threshold
        (7, 1000, 33),
    ];
    for (m, k, n) in shapes {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = random::<T>(&mut rng, &if ta { [k, m] } else { [m, k] }, -1.0, 1.0);
            let b = random::<T>(&mut rng, &if tb { [n, k] } else { [k, n] }, -1.0, 1.0);
            let scale = abs_product(&a, &b, ta, tb);
            let name = format!("{} matmul {m}x{k}x{n} ta={ta} tb={tb}", T::NAME);
            out.push(outcome(
                name,
                &a.matmul_t(&b, ta, tb),
                Bound::Product { k, scale },
            ));
        }
        let x = random::<T>(&mut rng, &[m, k], -1.0, 1.0);
        let w = random::<T>(&mut rng, &[k, n], -1.0, 1.0);
        let bias = random::<T>(&mut rng, &[n], -1.0, 1.0);
        let ones = Tensor::<T>::ones([m, 1]);
        let scale = abs_product(
            &Tensor::concat(&[&x, &ones], 1),
            &Tensor::concat(&[&w, &bias.reshape([1, n])], 0),
            false,
            false,
        );
        let bound = Bound::Product { k: k + 1, scale };
        let name = format!("{} linear_relu {m}x{k}x{n}", T::NAME);
        out.push(outcome(name, &x.linear_relu(&w, &bias), bound));
    }
}

/// Elementwise operations, reductions and the softmax family on f32.
fn elementwise(out: &mut Vec<Outcome>) {
    let mut rng = StdRng::seed_from_u64(8);
    let x = random::<f32>(&mut rng, &[37, 101], -30.0, 30.0);
    let positive = random::<f32>(&mut rng, &[37, 101], 1e-6, 50.0);
    let row = random::<f32>(&mut rng, &[101], -2.0, 2.0);
    let column = random::<f32>(&mut rng, &[37, 1], -2.0, 2.0);
    let exact = [
        ("neg", x.neg()),
        ("square", x.square()),
        ("recip", x.recip()),
        ("abs", x.abs()),
        ("relu", x.relu()),
        ("clamp", x.clamp(-1.0, 2.0)),
        ("scale", x.scale(0.3)),
        ("sqrt", positive.sqrt()),
        ("powf", positive.powf(1.7)),
        ("sin", x.sin()),
        ("cos", x.cos()),
        ("erf", x.erf()),
        ("gelu", x.gelu()),
        ("add row", &x + &row),
        ("sub column", &x - &column),
        ("mul", &x * &positive),
        ("div", &x / &positive),
        ("maximum", x.maximum(&positive)),
        ("sum", x.sum()),
        ("sum axis 0", x.sum_axis(0, false)),
        ("sum axis 1", x.sum_axis(1, true)),
        ("max axis 1", x.max_axis(1, false)),
        ("mean", x.mean()),
        ("sum_to row", x.sum_to(row.shape())),
        ("broadcast", column.broadcast_to(x.shape())),
    ];
    for (name, t) in exact {
        out.push(outcome(name, &t, Bound::Exact));
    }
    let polynomial = [
        ("exp", x.exp(), 3.0),
        ("ln", positive.ln(), 2.0),
        ("tanh", x.tanh(), 3.0),
        ("sigmoid", x.sigmoid(), 4.0),
        ("softplus", x.softplus(), 4.0),
        ("gelu_tanh", x.gelu_tanh(), 5.0),
        ("softmax", x.softmax(1), 8.0),
        (
            "logsumexp",
            x.reduce(tape::Reduce::LogSumExp, Some(1), false),
            4.0,
        ),
    ];
    for (name, t, ulps) in polynomial {
        out.push(outcome(name, &t, Bound::Ulps(ulps)));
    }
    // log-softmax values are differences of nearby numbers: bound them by the row's scale.
    let labels: Vec<usize> = (0..37).map(|i| i % 101).collect();
    out.push(outcome(
        "log_softmax",
        &x.log_softmax(1),
        Bound::Relative(1e-6),
    ));
    out.push(outcome(
        "log_softmax_gather",
        &x.log_softmax_gather(&labels),
        Bound::Relative(1e-6),
    ));
    let short = random::<f32>(&mut rng, &[45, 21], -5.0, 5.0);
    let short_labels: Vec<usize> = (0..45).map(|i| (i * 7) % 21).collect();
    let gathered = short.log_softmax_gather(&short_labels);
    out.push(outcome(
        "log_softmax_gather short rows",
        &gathered,
        Bound::Relative(1e-6),
    ));
}

/// A training step's gradients (the MLP of the benches, smaller), and a scalar-tape chain.
fn training_step(out: &mut Vec<Outcome>) {
    let mut rng = StdRng::seed_from_u64(9);
    let widths = [64, 48, 32, 10];
    let weights: Vec<Tensor<f32>> = widths
        .windows(2)
        .map(|w| random(&mut rng, &[w[0], w[1]], -0.3, 0.3))
        .collect();
    let biases: Vec<Tensor<f32>> = widths[1..]
        .iter()
        .map(|&n| random(&mut rng, &[n], -0.1, 0.1))
        .collect();
    let x = random::<f32>(&mut rng, &[50, 64], -1.0, 1.0);
    let labels: Vec<usize> = (0..50).map(|i| i % 10).collect();
    let tape = Tape::new();
    let params: Vec<_> = weights
        .iter()
        .zip(&biases)
        .map(|(w, b)| (tape.var(w.clone()), tape.var(b.clone())))
        .collect();
    let mut h = tape.constant(x);
    for (i, &(w, b)) in params.iter().enumerate() {
        h = if i + 1 < params.len() {
            h.linear_relu(w, b)
        } else {
            h.linear(w, b).tanh()
        };
    }
    let loss = -h.log_softmax_gather(&labels).mean();
    loss.backward();
    out.push(outcome("mlp loss", &loss.value(), Bound::Relative(1e-5)));
    for (i, &(w, b)) in params.iter().enumerate() {
        out.push(outcome(
            format!("mlp dW{i}"),
            &w.grad().unwrap(),
            Bound::Relative(1e-4),
        ));
        out.push(outcome(
            format!("mlp db{i}"),
            &b.grad().unwrap(),
            Bound::Relative(1e-4),
        ));
    }
    let scalar = ScalarTape::<f32>::new();
    let x0 = scalar.var(0.5);
    let mut x = x0;
    for _ in 0..1000 {
        x = (x * 1.0001 + 0.1).tanh();
    }
    x.backward();
    let chain = Tensor::from_vec(vec![x.value(), x0.grad()], [2]);
    out.push(outcome(
        "scalar chain value, gradient",
        &chain,
        Bound::Relative(1e-5),
    ));
}

fn battery() -> Vec<Outcome> {
    let mut out = Vec::new();
    products::<f32>(&mut out);
    products::<f64>(&mut out);
    elementwise(&mut out);
    training_step(&mut out);
    out
}

/// Whether `got` (a path's value) is within `bound` of `want` (the baseline's), element `i`.
fn agrees(got: f64, want: f64, eps: f64, bound: &Bound, i: usize, largest: f64) -> bool {
    if got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()) {
        return true;
    }
    let diff = (got - want).abs();
    match bound {
        Bound::Exact => false,
        Bound::Ulps(n) => {
            diff <= n * eps * got.abs().max(want.abs()).max(f64::from(f32::MIN_POSITIVE))
        }
        Bound::Product { k, scale } => diff <= 2.0 * *k as f64 * eps * scale[i],
        Bound::Relative(r) => diff <= r * largest,
    }
}

#[test]
fn every_path_agrees_with_the_baseline() {
    set_kernel_path(KernelPath::Baseline).expect("every CPU runs the baseline");
    let reference = battery();
    let paths = KernelPath::supported();
    println!(
        "{}; comparing {} against baseline",
        cpu_features(),
        paths.len() - 1
    );
    for &path in &paths[1..] {
        set_kernel_path(path).expect("a supported path");
        let results = battery();
        let (mut checked, mut exact) = (0, 0);
        for (want, got) in reference.iter().zip(&results) {
            assert_eq!(want.values.len(), got.values.len(), "{}", want.name);
            let largest = want.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (&w, &g)) in want.values.iter().zip(&got.values).enumerate() {
                assert!(
                    agrees(g, w, want.eps, &want.bound, i, largest),
                    "{path}: {} element {i}: {g:e} against the baseline's {w:e} ({:?})",
                    want.name,
                    match &want.bound {
                        Bound::Product { k, scale } =>
                            format!("product bound, k {k}, |A||B| {:e}", scale[i]),
                        other => format!("{other:?}"),
                    }
                );
                checked += 1;
                exact += usize::from(g.to_bits() == w.to_bits());
            }
        }
        println!("{path}: {checked} values agree with the baseline, {exact} bit for bit");
        // The comparison is not vacuous: the fused path really differs somewhere.
        assert!(
            exact < checked,
            "{path} gave the baseline's bits everywhere: did it run?"
        );
    }
    let best = *paths.last().expect("at least the baseline");
    set_kernel_path(best).expect("supported");
}

/// Run in a child process by `the_environment_caps_the_path`: prints the path in use.
#[test]
fn print_kernel_path() {
    let cpu = cpu_features();
    assert!(cpu.supported.contains(&cpu.path), "{cpu:?}");
    println!("kernel path: {}", cpu.path.name());
}

/// The path `LOSSGRAPH_ISA` asks for in a child process of this test binary, or its panic.
fn child_path(isa: Option<&str>) -> Result<String, String> {
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
    child.args([
        "--exact",
        "print_kernel_path",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    match isa {
        Some(value) => child.env("LOSSGRAPH_ISA", value),
        None => child.env_remove("LOSSGRAPH_ISA"),
    };
    let output = child.output().expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    // The test harness prints its own "test ... " before the line.
    match stdout.lines().find_map(|l| l.split("kernel path: ").nth(1)) {
        Some(path) if output.status.success() => Ok(path.trim().to_string()),
        _ => Err(stdout + &String::from_utf8_lossy(&output.stderr)),
    }
}

#[test]
fn the_environment_caps_the_path() {
    let best = KernelPath::supported()
        .last()
        .copied()
        .expect("the baseline at least");
    assert_eq!(
        child_path(None).unwrap(),
        best.name(),
        "unset: the best path"
    );
    assert_eq!(
        child_path(Some("baseline")).unwrap(),
        KernelPath::Baseline.name()
    );
    // Asking for more than the CPU has caps at what it has (this build's best is AVX2).
    assert_eq!(child_path(Some("avx512")).unwrap(), best.name());
    if KernelPath::Avx2.is_supported() {
        assert_eq!(child_path(Some("AVX2")).unwrap(), "avx2+fma");
    } else {
        assert!(
            set_kernel_path(KernelPath::Avx2).is_err(),
            "never selected without AVX2"
        );
    }
    let error = child_path(Some("sse9")).unwrap_err();
    assert!(
        error.contains("LOSSGRAPH_ISA=\"sse9\" is not a kernel path"),
        "{error}"
    );
}
