//! The scalar tape against central finite differences (f64), against the tensor tape (the same
//! rules through the other engine), and on its own bookkeeping: fan-out, constants, repeated
//! sweeps, resets.

use approx::assert_relative_eq;
use tape::{ScalarTape, ScalarVar, Tape, Tensor, Var};

/// Central differences of `f` at `x`, one coordinate at a time.
fn finite_differences(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

/// One test function, written once for both tapes through this trait.
trait Number: Copy {
    fn apply(self, name: &str, other: Self) -> Self;
}

/// The same method calls for both handle types.
macro_rules! impl_number {
    ($($handle:ty),*) => {$(
        impl Number for $handle {
            fn apply(self, name: &str, y: Self) -> Self {
                match name {
                    "exp" => self.exp(),
                    "ln" => self.ln(),
                    "sqrt" => self.sqrt(),
                    "square" => self.square(),
                    "recip" => self.recip(),
                    "powf" => self.powf(2.5),
                    "abs" => self.abs(),
                    "relu" => self.relu(),
                    "sigmoid" => self.sigmoid(),
                    "tanh" => self.tanh(),
                    "softplus" => self.softplus(),
                    "clamp" => self.clamp(-0.5, 0.8),
                    "neg" => -self,
                    "scale" => self * 3.0,
                    "add_scalar" => self + 2.0,
                    "sub_scalar" => self - 2.0,
                    "div_scalar" => self / 4.0,
                    "scalar_sub" => 2.0 - self,
                    "scalar_div" => 3.0 / self,
                    "scalar_mul" => 3.0 * self,
                    "scalar_add" => 2.0 + self,
                    "add" => self + y,
                    "sub" => self - y,
                    "mul" => self * y,
                    "div" => self / y,
                    "maximum" => self.maximum(y),
                    "minimum" => self.minimum(y),
                    _ => unreachable!("{name}"),
                }
            }
        }
    )*};
}

impl_number!(ScalarVar<'_, f64>, Var<'_, f64>);

/// `op(x, y) * y + x`: the result also depends on both inputs through other paths, so each
/// partial derivative is mixed with others in the sweep.
fn objective<N: Number>(name: &str, x: N, y: N) -> N {
    x.apply(name, y).apply("mul", y).apply("add", x)
}

const UNARY: [&str; 21] = [
    "exp",
    "ln",
    "sqrt",
    "square",
    "recip",
    "powf",
    "abs",
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    "clamp",
    "neg",
    "scale",
    "add_scalar",
    "sub_scalar",
    "div_scalar",
    "scalar_sub",
    "scalar_div",
    "scalar_mul",
    "scalar_add",
];
const BINARY: [&str; 6] = ["add", "sub", "mul", "div", "maximum", "minimum"];

/// Points away from the kinks of abs, relu, clamp, maximum and minimum.
const POINTS: [[f64; 2]; 4] = [[0.7, 1.3], [1.9, 0.4], [0.3, 2.2], [0.65, 0.6]];

fn scalar_value_and_grad(name: &str, p: [f64; 2]) -> (f64, [f64; 2]) {
    let tape = ScalarTape::new();
    let (x, y) = (tape.var(p[0]), tape.var(p[1]));
    let f = objective(name, x, y);
    f.backward();
    (f.value(), [x.grad(), y.grad()])
}

fn tensor_value_and_grad(name: &str, p: [f64; 2]) -> (f64, [f64; 2]) {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(p[0]));
    let y = tape.var(Tensor::scalar(p[1]));
    let f = objective(name, x, y);
    f.backward();
    let grad = |v: Var<'_, f64>| v.grad().map_or(0.0, |g| g.item());
    (f.item(), [grad(x), grad(y)])
}

#[test]
fn every_operation_matches_finite_differences_and_the_tensor_tape() {
    for name in UNARY.iter().chain(&BINARY) {
        for p in POINTS {
            let (value, grad) = scalar_value_and_grad(name, p);
            let f = |v: &[f64]| scalar_value_and_grad(name, [v[0], v[1]]).0;
            let numeric = finite_differences(&f, &p);
            let (tensor_value, tensor_grad) = tensor_value_and_grad(name, p);
            assert_eq!(value, tensor_value, "{name} at {p:?}: values");
            for k in 0..2 {
                assert_relative_eq!(grad[k], numeric[k], epsilon = 1e-7, max_relative = 1e-6);
                assert_relative_eq!(
                    grad[k],
                    tensor_grad[k],
                    epsilon = 1e-14,
                    max_relative = 1e-13
                );
            }
        }
    }
}

#[test]
fn closed_forms_of_a_few_rules() {
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(0.3);
    let t = x.tanh();
    t.backward();
    assert_relative_eq!(x.grad(), 1.0 - 0.3f64.tanh().powi(2), max_relative = 1e-15);
    let s = x.sigmoid();
    s.backward();
    let sig = 1.0 / (1.0 + (-0.3f64).exp());
    assert_relative_eq!(x.grad(), sig * (1.0 - sig), max_relative = 1e-15);
    let l = x.ln();
    l.backward();
    assert_relative_eq!(x.grad(), 1.0 / 0.3, max_relative = 1e-15);
}

#[test]
fn fan_out_across_distant_nodes_accumulates() {
    // a feeds the next node and one recorded much later: both paths must reach x.
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(0.4);
    let a = x.exp();
    let mut b = a * 2.0;
    for _ in 0..10 {
        b = (b * 0.9).tanh() + 0.1;
    }
    let f = b * a + x * x;
    f.backward();
    let g = |v: &[f64]| {
        let a = v[0].exp();
        let mut b = a * 2.0;
        for _ in 0..10 {
            b = (b * 0.9).tanh() + 0.1;
        }
        b * a + v[0] * v[0]
    };
    assert_relative_eq!(
        x.grad(),
        finite_differences(&g, &[0.4])[0],
        max_relative = 1e-7
    );
}

#[test]
fn the_same_operand_twice_counts_twice() {
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(3.0);
    let f = x * x + x; // 2x + 1
    f.backward();
    assert_eq!(x.grad(), 7.0);
    let g = x / x; // 0
    g.backward();
    assert_eq!(x.grad(), 0.0);
}

#[test]
fn constants_and_detached_values_take_no_gradient() {
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(2.0);
    let c = tape.constant(5.0);
    let only_constants = (c * 2.0).exp();
    assert!(!only_constants.requires_grad());
    assert!(x.requires_grad() && (x * c).requires_grad());
    let d = (x * 3.0).detach();
    let f = x * c + d * x + only_constants;
    f.backward();
    assert_eq!(x.grad(), 5.0 + 6.0); // c + d, with d held fixed
    assert_eq!(c.grad(), 0.0);
    assert_eq!(d.grad(), 0.0);
    assert_eq!(only_constants.grad(), 0.0);
}

#[test]
fn each_backward_overwrites_and_later_nodes_get_nothing() {
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(1.5);
    let y = x.square();
    let z = y * 4.0;
    z.backward();
    assert_eq!(x.grad(), 12.0);
    assert_eq!(y.grad(), 4.0);
    y.backward();
    assert_eq!(x.grad(), 3.0);
    assert_eq!(y.grad(), 1.0);
    assert_eq!(z.grad(), 0.0, "z comes after the loss y");
    let w = tape.var(7.0);
    assert_eq!(w.grad(), 0.0, "recorded after the sweep");
}

#[test]
fn the_chain_agrees_with_the_tensor_tape_in_f32() {
    let scalar = ScalarTape::<f32>::new();
    let tensor = Tape::<f32>::new();
    let (s0, t0) = (scalar.var(0.5), tensor.var(Tensor::scalar(0.5)));
    let (mut s, mut t) = (s0, t0);
    for _ in 0..1000 {
        s = (s * 1.0001 + 0.1).tanh();
        t = (t * 1.0001 + 0.1).tanh();
    }
    assert_eq!(s.value(), t.item(), "the same forward functions");
    s.backward();
    t.backward();
    // The sweeps round differently (the scalar tape fuses each multiply-add).
    assert_relative_eq!(s0.grad(), t0.grad().unwrap().item(), max_relative = 1e-4);
    assert_eq!(scalar.len(), 1 + 3 * 1000);
}

#[test]
fn reset_clears_and_reuses_the_arena() {
    let mut tape = ScalarTape::<f32>::new();
    for step in 0..3 {
        tape.reset();
        assert!(tape.is_empty());
        let x = tape.var(step as f32);
        let f = (x + 1.0).square();
        f.backward();
        assert_eq!(x.grad(), 2.0 * (step as f32 + 1.0));
        assert_eq!(tape.len(), 3);
    }
}

#[test]
fn debug_lists_each_nodes_partials() {
    let tape = ScalarTape::<f64>::new();
    let x = tape.var(2.0);
    let y = x * 3.0;
    let _ = y * x;
    let text = format!("{tape:?}");
    assert!(text.contains("ScalarTape<f64> with 3 nodes"), "{text}");
    assert!(text.contains("d%1 = +3 d%0"), "{text}");
    assert!(text.contains("d%2 = +2 d%1 +6 d%0"), "{text}");
    assert_eq!(format!("{y:?}"), "ScalarVar(%1, 6)");
}

#[test]
#[should_panic(expected = "mul: operands are recorded on different scalar tapes")]
fn operands_from_two_tapes_are_refused() {
    let (a, b) = (ScalarTape::<f64>::new(), ScalarTape::<f64>::new());
    let _ = a.var(1.0) * b.var(2.0);
}
