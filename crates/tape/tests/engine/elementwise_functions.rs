//! The elementwise functions of one operand, each checked the same way on every path: the
//! tensor tape's gradient and its recorded gradient (second order, through
//! `Tape::grad_graph`) against finite differences, both against the closed-form first and
//! second derivatives, and the scalar tape's value and gradient against the tensor tape, the
//! closed form and finite differences (of its value and of its gradient).

use crate::common::{check, probe, rng, uniform};
use approx::assert_relative_eq;
use tape::{ScalarTape, ScalarVar, Tape, Tensor, Var};

/// A closed-form derivative on one number.
type Derivative = fn(f64) -> f64;

/// Checks `f` (given for each tape) on inputs drawn from `[lo, hi)` against its first and
/// second derivatives `d1` and `d2`.
fn assert_function<F, S>(tensor: F, scalar: S, (d1, d2): (Derivative, Derivative), lo: f64, hi: f64)
where
    F: for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
    S: for<'t> Fn(ScalarVar<'t, f64>) -> ScalarVar<'t, f64>,
{
    let x = uniform(&mut rng(19), [4, 5], lo, hi);
    let inputs = std::slice::from_ref(&x);
    // First order, then the recorded gradient itself: its Jacobian is the second derivative.
    check(|v| probe(tensor(v[0])), inputs);
    check(
        |v| {
            let g = v[0].tape().grad_graph(probe(tensor(v[0])), &[v[0]])[0];
            probe(g)
        },
        inputs,
    );

    // The closed forms, from the recorded gradient of sum f(x) and the sweep back through it.
    let tape = Tape::new();
    let v = tape.var(x.clone());
    let d = tape.grad_graph(tensor(v).sum(), &[v])[0];
    d.sum().backward();
    let (first, second) = (d.value(), v.grad().expect("a second derivative"));
    let eager = {
        let tape = Tape::new();
        let v = tape.var(x.clone());
        tensor(v).sum().backward();
        v.grad().expect("a first derivative")
    };
    for (i, &xi) in x.data().iter().enumerate() {
        assert_relative_eq!(
            first.data()[i],
            d1(xi),
            epsilon = 1e-12,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            eager.data()[i],
            d1(xi),
            epsilon = 1e-12,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            second.data()[i],
            d2(xi),
            epsilon = 1e-12,
            max_relative = 1e-10
        );
    }

    // The scalar tape: the tensor tape's value, the closed-form gradient, and finite
    // differences of its value (first order) and of its gradient (second order).
    let on_scalar_tape = |x: f64| {
        let tape = ScalarTape::new();
        let v = tape.var(x);
        let y = scalar(v);
        y.backward();
        (y.value(), v.grad())
    };
    let h = 1e-5;
    for &xi in x.data() {
        let (value, grad) = on_scalar_tape(xi);
        let tape = Tape::new();
        let expected = tensor(tape.var(Tensor::scalar(xi))).item();
        assert_relative_eq!(value, expected, epsilon = 1e-15, max_relative = 1e-15);
        assert_relative_eq!(grad, d1(xi), epsilon = 1e-12, max_relative = 1e-12);
        let ((up, g_up), (down, g_down)) = (on_scalar_tape(xi + h), on_scalar_tape(xi - h));
        assert_relative_eq!(
            grad,
            (up - down) / (2.0 * h),
            epsilon = 1e-8,
            max_relative = 1e-7
        );
        let curvature = (g_up - g_down) / (2.0 * h);
        assert_relative_eq!(curvature, d2(xi), epsilon = 1e-8, max_relative = 1e-6);
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The derivative of the sigmoid.
fn sigmoid_d1(x: f64) -> f64 {
    sigmoid(x) * (1.0 - sigmoid(x))
}

#[test]
fn tanh() {
    let d1 = |x: f64| 1.0 - x.tanh().powi(2);
    let d2 = |x: f64| -2.0 * x.tanh() * (1.0 - x.tanh().powi(2));
    assert_function(|x| x.tanh(), |x| x.tanh(), (d1, d2), -3.0, 3.0);
}

#[test]
fn sigmoid_and_softplus() {
    let d2 = |x: f64| sigmoid_d1(x) * (1.0 - 2.0 * sigmoid(x));
    assert_function(
        |x| x.sigmoid(),
        |x| x.sigmoid(),
        (sigmoid_d1, d2),
        -4.0,
        4.0,
    );
    assert_function(
        |x| x.softplus(),
        |x| x.softplus(),
        (sigmoid, sigmoid_d1),
        -4.0,
        4.0,
    );
}

#[test]
fn sin_and_cos() {
    // d/dx sin = cos, d/dx cos = -sin, over more than a period.
    let neg_sin = |x: f64| -x.sin();
    let neg_cos = |x: f64| -x.cos();
    assert_function(|x| x.sin(), |x| x.sin(), (f64::cos, neg_sin), -4.0, 4.0);
    assert_function(|x| x.cos(), |x| x.cos(), (neg_sin, neg_cos), -4.0, 4.0);
}

/// d/dx erf = 2 / sqrt(pi) e^(-x^2).
fn erf_d1(x: f64) -> f64 {
    std::f64::consts::FRAC_2_SQRT_PI * (-x * x).exp()
}

#[test]
fn erf() {
    let d2 = |x: f64| -2.0 * x * erf_d1(x);
    assert_function(|x| x.erf(), |x| x.erf(), (erf_d1, d2), -2.5, 2.5);
}

#[test]
fn erf_is_accurate_to_rounding() {
    // Reference values to 16 significant digits; f64 must match them to its rounding.
    let reference: [(f64, f64); 6] = [
        (0.1, 0.112_462_916_018_284_9),
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (1.5, 0.966_105_146_475_310_8),
        (2.0, 0.995_322_265_018_952_7),
        (3.0, 0.999_977_909_503_001_4),
    ];
    for (x, want) in reference {
        for x in [x, -x] {
            let got = Tensor::<f64>::from_vec(vec![x], [1]).erf().item();
            assert_relative_eq!(got, want.copysign(x), max_relative = 2.0 * f64::EPSILON);
        }
    }
    // f32 within one unit in the last place of the f64 result, rounded, over a fine grid (one
    // tensor, so the vectorised kernel computes it).
    let xs: Vec<f32> = (-4000..=4000).map(|i| i as f32 * 1e-3).collect();
    let got = Tensor::from_vec(xs.clone(), [xs.len()]).erf();
    for (&x, &y) in xs.iter().zip(got.data()) {
        let want = reference_erf(x as f64) as f32;
        let ulp = f32::EPSILON * want.abs().max(f32::MIN_POSITIVE);
        assert!((y - want).abs() <= ulp, "erf({x}) = {y}, expected {want}");
    }
}

/// erf by its Taylor series (|x| <= 2.5) or its continued fraction for erfc beyond, in f64:
/// an independent reference for the f32 check, accurate to well below f32's rounding.
fn reference_erf(x: f64) -> f64 {
    let a = x.abs();
    let value = if a <= 2.5 {
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        while term.abs() > 1e-20 {
            n += 1.0;
            term *= -a * a / n;
            sum += term / (2.0 * n + 1.0);
        }
        std::f64::consts::FRAC_2_SQRT_PI * sum
    } else {
        1.0 - reference_erfc(a)
    };
    value.copysign(x)
}

/// erfc a for a > 2.5 by its continued fraction: erfc a = e^(-a^2) / sqrt(pi) / (a + (1/2) /
/// (a + 1 / (a + (3/2) / (a + ...)))).
fn reference_erfc(a: f64) -> f64 {
    let mut f = a;
    for k in (1..200).rev() {
        f = a + k as f64 / 2.0 / f;
    }
    (-a * a).exp() / std::f64::consts::PI.sqrt() / f
}

/// sqrt(2/pi) and the cubic's coefficient of the tanh approximation of GELU.
const K: f64 = 0.797_884_560_802_865_4;
const C: f64 = 0.044715;

#[test]
fn gelu_tanh() {
    // The textbook forms: f = x (1 + t) / 2 with t = tanh(K (x + C x^3)), and
    // f' = (1 + t) / 2 + x (1 - t^2) K (1 + 3 C x^2) / 2.
    let t = |x: f64| (K * (x + C * x * x * x)).tanh();
    let d1 = |x: f64| {
        let t = (K * (x + C * x * x * x)).tanh();
        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * K * (1.0 + 3.0 * C * x * x)
    };
    // f'' from f = x s, s = sigmoid(w), w = 2K (x + C x^3):
    // f'' = 2 s (1 - s) w' + x s (1 - s) ((1 - 2s) w'^2 + w'').
    let d2 = |x: f64| {
        let s = sigmoid(2.0 * K * (x + C * x * x * x));
        let (dw, ddw) = (2.0 * K * (1.0 + 3.0 * C * x * x), 12.0 * K * C * x);
        let s1 = s * (1.0 - s);
        2.0 * s1 * dw + x * s1 * ((1.0 - 2.0 * s) * dw * dw + ddw)
    };
    assert_function(|x| x.gelu_tanh(), |x| x.gelu_tanh(), (d1, d2), -4.0, 4.0);
    for x in [-3.0, -1.0, -0.1, 0.0, 0.5, 2.0, 5.0] {
        let y = Tensor::<f64>::from_vec(vec![x], [1]).gelu_tanh().item();
        assert_relative_eq!(
            y,
            0.5 * x * (1.0 + t(x)),
            epsilon = 1e-15,
            max_relative = 1e-13
        );
    }
}

/// The standard normal density and distribution function.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}
fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + reference_erf(x / std::f64::consts::SQRT_2))
}

#[test]
fn gelu() {
    // f = x Phi(x), f' = Phi(x) + x phi(x), f'' = phi(x) (2 - x^2).
    let d1 = |x: f64| normal_cdf(x) + x * normal_pdf(x);
    let d2 = |x: f64| normal_pdf(x) * (2.0 - x * x);
    assert_function(|x| x.gelu(), |x| x.gelu(), (d1, d2), -3.0, 3.0);
    for x in [-3.0, -1.0, -0.1, 0.0, 0.5, 2.0, 5.0] {
        let y = Tensor::<f64>::from_vec(vec![x], [1]).gelu().item();
        assert_relative_eq!(y, x * normal_cdf(x), epsilon = 1e-15, max_relative = 1e-14);
    }
    // Far in the negative tail Phi is below f64's epsilon: 1 + erf would give 0, erfc keeps
    // every digit.
    let y = Tensor::<f64>::from_vec(vec![-10.0], [1]).gelu().item();
    let want = -10.0 * 0.5 * reference_erfc(10.0 / std::f64::consts::SQRT_2);
    assert_relative_eq!(y, want, max_relative = 1e-12);
}
