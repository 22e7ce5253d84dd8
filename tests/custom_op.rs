//! Custom operations defined outside the engine, as a user's crate would: first-order and
//! second-order gradients against finite differences and closed forms, composition with
//! built-in operations and objectives, and the shape errors of a wrong operation.

use approx::assert_relative_eq;
use losses::Reduction;
use losses::classification::softmax_cross_entropy;
use tape::{Algebra, CustomOp, Float, Shape, Tape, Tensor, Var, gradcheck};

/// `lse_i = ln sum_j e^(x_ij)` over the rows of `x [n, k]`, fused: one pass per row, shifted
/// by the row's maximum so that no exponential overflows.
///
/// `d lse_i / d x_ij = e^(x_ij - lse_i) = softmax(x_i)_j`.
struct RowLogSumExp;

impl<T: Float> CustomOp<T> for RowLogSumExp {
    fn name(&self) -> &str {
        "row_logsumexp"
    }
    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String> {
        match inputs {
            [x] if x.rank() == 2 && x.dims()[1] > 0 => Ok(Shape::from([x.dims()[0]])),
            [x] => Err(format!("expects logits [n, k] with k > 0, got {x}")),
            _ => Err(format!("takes one input, got {}", inputs.len())),
        }
    }
    fn forward(&self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let x = inputs[0];
        let k = x.dims()[1];
        let rows: Vec<T> = (x.data().chunks_exact(k))
            .map(|row| {
                let m = row.iter().fold(T::NEG_INFINITY, |m, &v| m.max(v));
                m + row.iter().fold(T::ZERO, |s, &v| s + (v - m).exp()).ln()
            })
            .collect();
        Tensor::from_vec(rows, [x.dims()[0]])
    }
    fn backward<A: Algebra<T>>(&self, x: &[&A], y: &A, g: &A) -> Vec<A> {
        let column = Shape::from([y.shape().dims()[0], 1]);
        let softmax = x[0].sub(&y.reshape(&column)).exp();
        vec![softmax.mul(&g.reshape(&column))]
    }
}

/// `a * b + c`, elementwise over three operands of one shape.
struct MulAdd;

impl<T: Float> CustomOp<T> for MulAdd {
    fn name(&self) -> &str {
        "mul_add"
    }
    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String> {
        match inputs {
            [a, b, c] if a == b && b == c => Ok((*a).clone()),
            [a, b, c] => Err(format!("operands of shapes {a}, {b} and {c} differ")),
            _ => Err(format!("takes three inputs, got {}", inputs.len())),
        }
    }
    fn forward(&self, x: &[&Tensor<T>]) -> Tensor<T> {
        let data = (x[0].data().iter().zip(x[1].data()).zip(x[2].data()))
            .map(|((&a, &b), &c)| a * b + c)
            .collect();
        Tensor::from_vec(data, x[0].shape().clone())
    }
    fn backward<A: Algebra<T>>(&self, x: &[&A], _y: &A, g: &A) -> Vec<A> {
        vec![g.mul(x[1]), g.mul(x[0]), g.clone()]
    }
    fn flops(&self, inputs: &[&Shape]) -> Option<u64> {
        Some(2 * inputs[0].numel() as u64)
    }
}

fn logits() -> Tensor<f64> {
    Tensor::from_fn([4, 5], |i| (i as f64 * 0.83).sin() * 3.0 - 0.4)
}

fn lse<'t>(x: Var<'t, f64>) -> Var<'t, f64> {
    x.tape().custom(RowLogSumExp, &[x])
}

#[test]
fn values_match_the_builtin_composite() {
    let tape = Tape::<f64>::new();
    let x = tape.var(logits());
    let fused = lse(x).value();
    let composite = lse_composite(x);
    for (a, b) in fused.data().iter().zip(composite.data()) {
        assert_relative_eq!(a, b, max_relative = 1e-14);
    }
    // Large logits: the shift keeps it finite where e^x alone overflows.
    let big = tape.var(Tensor::from_vec(vec![1000.0, 1000.0], [1, 2]));
    assert_relative_eq!(lse(big).item(), 1000.0 + 2f64.ln(), max_relative = 1e-15);
}

/// The same from built-in operations: `m + ln sum_j e^(x_ij - m)`, `m` the row's maximum.
fn lse_composite(x: Var<'_, f64>) -> Tensor<f64> {
    let m = x.detach().max_axis(1, true);
    ((x - m).exp().sum_axis(1, false).ln() + m.reshape([x.dims()[0]])).value()
}

#[test]
fn first_order_gradients_pass_gradcheck() {
    let w = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], [4]);
    gradcheck(
        |v| (lse(v[0]) * v[0].tape().constant(w.clone())).sum(),
        &[logits()],
    )
    .assert_within(1e-8);
    // Three inputs, each differentiated.
    let a = Tensor::from_fn([2, 3], |i| i as f64 * 0.3 - 0.7);
    let b = Tensor::from_fn([2, 3], |i| (i as f64).cos());
    let c = Tensor::from_fn([2, 3], |i| 1.0 / (1.0 + i as f64));
    let report = gradcheck(
        |v| {
            let y = v[0].tape().custom(MulAdd, &[v[0], v[1], v[2]]);
            (y * y).sum()
        },
        &[a, b, c],
    );
    report.assert_within(1e-8);
    assert_eq!(report.checked, 18);
}

#[test]
fn constant_inputs_get_no_gradient() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::from_vec(vec![2.0, 3.0], [2]));
    let b = tape.constant(Tensor::from_vec(vec![5.0, 7.0], [2]));
    let c = tape.var(Tensor::from_vec(vec![1.0, 1.0], [2]));
    tape.custom(MulAdd, &[a, b, c]).sum().backward();
    assert_eq!(a.grad().unwrap().data(), &[5.0, 7.0]);
    assert_eq!(c.grad().unwrap().data(), &[1.0, 1.0]);
    assert!(b.grad().is_none());
}

#[test]
fn second_order_matches_the_closed_form_and_finite_differences() {
    // loss = sum_i w_i lse_i: its gradient is w_i p_i (p = softmax of the row), and the
    // gradient of sum(grad * v) is the Hessian-vector product w_i (p_i * v_i - p_i (p_i . v_i)).
    let x0 = logits();
    let w = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.25], [4]);
    let v = Tensor::from_fn([4, 5], |i| ((i * 7) % 5) as f64 - 2.0);
    let tape = Tape::<f64>::new();
    let x = tape.var(x0.clone());
    let loss = (lse(x) * tape.constant(w.clone())).sum();
    let grad = tape.grad_graph(loss, &[x])[0];
    (grad * tape.constant(v.clone())).sum().backward();
    let hvp = x.grad().unwrap();
    for i in 0..4 {
        let row = &x0.data()[i * 5..(i + 1) * 5];
        let total: f64 = row.iter().map(|z| z.exp()).sum();
        let p: Vec<f64> = row.iter().map(|z| z.exp() / total).collect();
        let vi = &v.data()[i * 5..(i + 1) * 5];
        let pv: f64 = p.iter().zip(vi).map(|(p, v)| p * v).sum();
        for j in 0..5 {
            let wi = w.data()[i];
            assert_relative_eq!(grad.value().at(&[i, j]), wi * p[j], max_relative = 1e-12);
            let expected = wi * (p[j] * vi[j] - p[j] * pv);
            assert_relative_eq!(
                hvp.at(&[i, j]),
                expected,
                max_relative = 1e-10,
                epsilon = 1e-14
            );
        }
    }
    // The recorded gradient, differentiated once more, against its finite differences.
    gradcheck(
        |xs| {
            let t = xs[0].tape();
            let loss = (lse(xs[0]) * t.constant(w.clone())).sum();
            let g = t.grad_graph(loss, &[xs[0]])[0];
            (g * t.constant(v.clone())).sum()
        },
        &[x0],
    )
    .assert_within(1e-7);
}

#[test]
fn composes_with_builtins_into_softmax_cross_entropy() {
    // A linear classifier whose loss is mean_i (lse_i - z_i,y_i): the built-in objective.
    let x = Tensor::from_fn([6, 3], |i| (i as f64 * 1.7).sin());
    let w0 = Tensor::from_fn([3, 4], |i| (i as f64 * 0.61).cos() * 0.8);
    let b0 = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.0], [4]);
    let labels = [0, 3, 1, 2, 2, 1];
    let run = |custom: bool| {
        let tape = Tape::<f64>::new();
        let (w, b) = (tape.var(w0.clone()), tape.var(b0.clone()));
        let z = tape.constant(x.clone()).matmul(w) + b;
        let loss = if custom {
            (lse(z) - z.gather(1, &labels).reshape([6])).mean()
        } else {
            softmax_cross_entropy(z, &labels, Reduction::Mean)
        };
        loss.backward();
        (loss.item(), w.grad().unwrap(), b.grad().unwrap())
    };
    let (loss, dw, db) = run(true);
    let (loss_ref, dw_ref, db_ref) = run(false);
    assert_relative_eq!(loss, loss_ref, max_relative = 1e-13);
    for (g, r) in [(dw, dw_ref), (db, db_ref)] {
        for (a, b) in g.data().iter().zip(r.data()) {
            assert_relative_eq!(a, b, max_relative = 1e-12, epsilon = 1e-15);
        }
    }
}

/// An operation that is wrong in a chosen way.
#[derive(Clone, Copy)]
enum Broken {
    /// The kernel returns `[n, 1]` where `[n]` was declared.
    ForwardShape,
    /// The rule returns no gradient for its one input.
    GradCount,
    /// The rule returns a gradient of shape `[1]`.
    GradShape,
}

impl<T: Float> CustomOp<T> for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, String> {
        Ok(inputs[0].clone())
    }
    fn forward(&self, x: &[&Tensor<T>]) -> Tensor<T> {
        match self {
            Broken::ForwardShape => x[0].reshape([x[0].numel(), 1]),
            _ => x[0].clone(),
        }
    }
    fn backward<A: Algebra<T>>(&self, _x: &[&A], _y: &A, g: &A) -> Vec<A> {
        match self {
            Broken::GradCount => vec![],
            _ => vec![g.sum_axis(None, false).reshape(&Shape::from([1]))],
        }
    }
}

#[test]
fn shapes_an_operation_refuses_are_errors_naming_it() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3]));
    let err = tape.try_custom(RowLogSumExp, &[x]).unwrap_err();
    assert_eq!(
        err,
        "row_logsumexp: expects logits [n, k] with k > 0, got [3]"
    );
    let err = tape.try_custom(MulAdd, &[x, x]).unwrap_err();
    assert_eq!(err, "mul_add: takes three inputs, got 2");
    let y = tape.var(Tensor::zeros([2]));
    let err = tape.try_custom(MulAdd, &[x, y, x]).unwrap_err();
    assert_eq!(err, "mul_add: operands of shapes [3], [2] and [3] differ");
    let err = tape.try_custom(Broken::ForwardShape, &[x]).unwrap_err();
    assert_eq!(
        err,
        "broken: the forward kernel returned shape [3, 1], but output_shape declared [3]"
    );
    // Nothing was recorded by the refused calls.
    assert_eq!(tape.len(), 2);
}

#[test]
#[should_panic(expected = "row_logsumexp: expects logits [n, k] with k > 0, got [3]")]
fn custom_panics_with_the_same_message() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3]));
    tape.custom(RowLogSumExp, &[x]);
}

#[test]
#[should_panic(expected = "broken: the backward rule returned 0 gradients for 1 inputs")]
fn a_rule_with_too_few_gradients_fails_naming_the_op() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3]));
    tape.custom(Broken::GradCount, &[x]).sum().backward();
}

#[test]
#[should_panic(
    expected = "broken: the backward rule's gradient of input 0 has shape [1], but the input has shape [3]"
)]
fn a_gradient_of_the_wrong_shape_fails_naming_the_op_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3]));
    tape.custom(Broken::GradShape, &[x]).sum().backward();
}

#[test]
#[should_panic(
    expected = "broken: the backward rule's gradient of input 0 has shape [1], but the input has shape [3]"
)]
fn the_recorded_sweep_checks_the_rule_too() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([3]));
    let loss = tape.custom(Broken::GradShape, &[x]).sum();
    tape.grad_graph(loss, &[x]);
}

#[test]
fn anomaly_reports_name_the_custom_operation() {
    let tape = Tape::<f64>::new();
    tape.detect_anomaly(true);
    let big = tape.var(Tensor::from_vec(vec![1e200, 1.0], [2]));
    let zero = tape.constant(Tensor::zeros([2]));
    let _ = tape.custom(MulAdd, &[big, big, zero]); // 1e400 overflows
    let anomaly = tape.anomaly().expect("an infinity was recorded");
    assert_eq!(anomaly.op, "mul_add");
    assert_eq!(anomaly.node, 2);
}

/// The profiler counts the FLOPs an operation states (`mul_add`: 2 per element forward, and
/// its backward rule as one forward run per input that takes a gradient) and leaves them at 0
/// for one that states none (`row_logsumexp`); it counts both operations' bytes.
#[test]
fn the_profiler_counts_the_flops_an_operation_states() {
    let tape = Tape::<f64>::new();
    let n = 6;
    let (a, b, c) = (
        tape.var(Tensor::from_fn([2, 3], |i| i as f64)),
        tape.constant(Tensor::from_fn([2, 3], |i| 0.5 * i as f64)),
        tape.var(Tensor::ones([2, 3])),
    );
    tape.start_profiling();
    let y = tape.custom(MulAdd, &[a, b, c]);
    tape.custom(RowLogSumExp, &[y]).sum().backward();
    let profile = tape.finish_profiling().unwrap();
    let row = |op: &str| profile.by_op().into_iter().find(|s| s.op == op).unwrap();
    let (mul_add, lse) = (row("mul_add"), row("row_logsumexp"));
    // Forward 2n; backward 2n for each of a and c (b is a constant).
    assert_eq!(mul_add.flops, 2 * n + 2 * (2 * n));
    assert_eq!((mul_add.calls, mul_add.backward_calls), (1, 1));
    assert_eq!(lse.flops, 0);
    // Forward: three operands read, the result written; backward: the incoming gradient, and
    // a's and c's values read and gradients written.
    assert_eq!(mul_add.bytes, 8 * ((3 * n + n) + (n + 2 * 2 * n)));
    assert!(lse.bytes > 0);
}
