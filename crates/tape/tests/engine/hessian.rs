//! Hessian-vector products and Hessians (`tape::hvp`, `tape::hessian`, `HessianOperator`)
//! against closed forms (a quadratic's matrix, logistic regression's `X^T S X / n + lambda I`)
//! and against central differences of the first-order gradient.

use crate::common::{assert_close, rng, uniform};
use approx::assert_relative_eq;
use tape::{Tape, Tensor, Var, hessian, hvp};

/// Pins a closure's signature to the higher-ranked one `hvp` and `hessian` take (a closure
/// stored in a `let` is otherwise inferred for one lifetime only).
fn objective<T: tape::Float, F>(f: F) -> F
where
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    f
}

/// A random symmetric `[n, n]` matrix.
fn symmetric(seed: u64, n: usize) -> Tensor<f64> {
    let m = uniform(&mut rng(seed), [n, n], -1.0, 1.0);
    Tensor::from_fn([n, n], |i| {
        let (r, c) = (i / n, i % n);
        m.data()[r * n + c] + m.data()[c * n + r]
    })
}

/// `0.5 x^T A x + b^T x` for a column `x`.
fn quadratic<'t>(a: &Tensor<f64>, b: &Tensor<f64>, x: Var<'t, f64>) -> Var<'t, f64> {
    let tape = x.tape();
    let (a, b) = (tape.constant(a.clone()), tape.constant(b.clone()));
    (x * a.matmul(x)).sum() * 0.5 + (b * x).sum()
}

#[test]
fn a_quadratics_hessian_is_its_matrix() {
    let n = 5;
    let a = symmetric(1, n);
    let b = uniform(&mut rng(2), [n, 1], -1.0, 1.0);
    let x = uniform(&mut rng(3), [n, 1], -1.0, 1.0);
    let h = hessian(|v| quadratic(&a, &b, v[0]), std::slice::from_ref(&x));
    assert_close(&h, &a, 1e-14);
    let v = uniform(&mut rng(4), [n, 1], -1.0, 1.0);
    let hv = hvp(|v| quadratic(&a, &b, v[0]), &[x], std::slice::from_ref(&v));
    assert_close(&hv[0], &a.matmul(&v), 1e-14);
}

#[test]
fn logistic_regressions_hessian_is_x_t_s_x_over_n_plus_lambda() {
    let (n, d, lambda) = (12, 3, 0.1);
    let x = uniform(&mut rng(5), [n, d], -2.0, 2.0);
    let y = Tensor::from_fn([n, 1], |i| if i % 3 == 0 { -1.0 } else { 1.0 });
    let w = uniform(&mut rng(6), [d, 1], -1.0, 1.0);
    // f(w) = mean(ln(1 + e^(-y x.w))) + lambda/2 |w|^2
    let f = objective(|v: &[Var<'_, f64>]| {
        let t = v[0].tape();
        let margins = t.constant(x.clone()).matmul(v[0]) * t.constant(y.clone());
        (-margins).softplus().mean() + v[0].square().sum() * (lambda / 2.0)
    });
    let h = hessian(f, std::slice::from_ref(&w));
    // With s = sigmoid(x.w) per row: H = X^T diag(s (1 - s)) X / n + lambda I (y^2 = 1).
    let scores = x.matmul(&w);
    let mut expected = vec![0.0; d * d];
    for row in 0..n {
        let s = 1.0 / (1.0 + (-scores.data()[row]).exp());
        let xr = &x.data()[row * d..(row + 1) * d];
        for (r, c) in (0..d).flat_map(|r| (0..d).map(move |c| (r, c))) {
            expected[r * d + c] += s * (1.0 - s) * xr[r] * xr[c] / n as f64;
        }
    }
    for i in 0..d {
        expected[i * d + i] += lambda;
    }
    assert_close(&h, &Tensor::from_vec(expected, [d, d]), 1e-13);
}

/// The eager gradient of `f` at `xs`.
fn gradient<F>(f: &F, xs: &[Tensor<f64>]) -> Vec<Tensor<f64>>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let vars: Vec<_> = xs.iter().map(|x| tape.var(x.clone())).collect();
    f(&vars).backward();
    vars.iter().map(|v| v.grad().unwrap()).collect()
}

#[test]
fn hvp_of_a_small_network_matches_differences_of_its_gradient() {
    let f = objective(|v: &[Var<'_, f64>]| {
        let h = v[0].matmul(v[1]).tanh();
        h.matmul(v[2]).sigmoid().square().sum()
    });
    let xs = [
        uniform(&mut rng(7), [4, 3], -1.0, 1.0),
        uniform(&mut rng(8), [3, 5], -1.0, 1.0),
        uniform(&mut rng(9), [5, 2], -1.0, 1.0),
    ];
    let vs: Vec<_> = xs
        .iter()
        .enumerate()
        .map(|(k, x)| uniform(&mut rng(10 + k as u64), x.shape().clone(), -1.0, 1.0))
        .collect();
    let hv = hvp(f, &xs, &vs);
    let eps = 1e-5;
    let shifted = |s: f64| -> Vec<Tensor<f64>> {
        let moved: Vec<_> = xs.iter().zip(&vs).map(|(x, v)| x + &v.scale(s)).collect();
        gradient(&f, &moved)
    };
    let (plus, minus) = (shifted(eps), shifted(-eps));
    for k in 0..3 {
        let numeric = (&plus[k] - &minus[k]).scale(0.5 / eps);
        assert_close(&hv[k], &numeric, 1e-8);
    }
}

#[test]
fn operator_reuses_the_recording_and_leaves_the_tape_as_it_was() {
    let a = symmetric(11, 3);
    let b = uniform(&mut rng(12), [3, 1], -1.0, 1.0);
    let tape = Tape::new();
    let x = tape.var(uniform(&mut rng(13), [3, 1], -1.0, 1.0));
    let h = tape.hessian_operator(quadratic(&a, &b, x), &[x]);
    let recorded = tape.len();
    let v = uniform(&mut rng(14), [3, 1], -1.0, 1.0);
    let first = h.apply(std::slice::from_ref(&v));
    let second = h.apply(std::slice::from_ref(&v));
    assert_eq!(first[0].data(), second[0].data());
    assert_eq!(tape.len(), recorded, "products must not grow the tape");
    // The gradient A x + b and the value are those of the recorded point.
    let expected = &a.matmul(&x.value()) + &b;
    assert_close(&h.gradient()[0], &expected, 1e-14);
    let xv = x.value();
    let value = 0.5 * (&xv * &a.matmul(&xv)).sum().item() + (&b * &xv).sum().item();
    assert_relative_eq!(h.value(), value, max_relative = 1e-14);
}

#[test]
fn a_linear_functions_hessian_is_zero_and_inputs_are_concatenated() {
    let xs = [Tensor::from_vec(vec![1.0, 2.0], [2]), Tensor::scalar(3.0)];
    // f = x0 . [1, 2] + 4 x1 + x0[0] * x1: the only curvature couples x0[0] and x1.
    let f = objective(|v: &[Var<'_, f64>]| {
        let c = v[0].tape().constant(Tensor::from_vec(vec![1.0, 2.0], [2]));
        (v[0] * c).sum() + v[1] * 4.0 + v[0].narrow(0, 0, 1).sum() * v[1]
    });
    let h = hessian(f, &xs);
    let expected = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    assert_eq!(h.shape().dims(), &[3, 3]);
    assert_eq!(h.data(), &expected);
    let linear = hessian(|v| (v[0] * 2.0).sum(), &xs[..1]);
    assert_eq!(linear.data(), &[0.0; 4]);
}

#[test]
fn f32_hessian_of_a_quadratic() {
    let a = Tensor::from_vec(vec![2.0f32, 0.5, 0.5, 1.0], [2, 2]);
    let f = objective(|v: &[Var<'_, f32>]| {
        let a = v[0].tape().constant(a.clone());
        (v[0] * a.matmul(v[0])).sum() * 0.5
    });
    let h = hessian(f, &[Tensor::from_vec(vec![0.1f32, 0.2], [2, 1])]);
    for (got, want) in h.data().iter().zip(a.data()) {
        assert_relative_eq!(got, want, max_relative = 1e-6);
    }
}

#[test]
#[should_panic(expected = "direction of shape [3] for an input of shape [2]")]
fn a_direction_of_the_wrong_shape_names_both_shapes() {
    let x = Tensor::from_vec(vec![1.0, 2.0], [2]);
    hvp(
        |v| v[0].square().sum(),
        &[x],
        &[Tensor::from_vec(vec![1.0; 3], [3])],
    );
}
