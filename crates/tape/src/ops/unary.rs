//! Elementwise functions of one tensor, declared once each in the table below.
//!
//! A row gives the method's name and parameters, the enum variant, where a lone number is
//! evaluated (`kernel` for the polynomials, `baseline` otherwise), the forward formula on one
//! number and, after `grad`, the backward rule: the gradient of the operand from its value
//! `x`, the result `y` and the incoming gradient `g`, written with [`Algebra`] operations.
//! From it `ops/table.rs` writes the variant, the scalar evaluation, the vectorised kernel,
//! the rule's dispatch, the methods on [`Tensor`], [`Var`] and [`ScalarVar`], and the method
//! of [`Algebra`] that rules call. Parameters (`powf(p)`, `clamp(lo, hi)`) are numbers of the
//! element type, carried in the variant.

use crate::algebra::AlgebraCore;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI};

use crate::cpu::Isa;
use crate::ops::Op;
use crate::ops::table::unary_table;
use crate::storage::INLINE;
use crate::{Cmp, Float, ScalarVar, Tensor, Var};

unary_table! {
    /// -x, elementwise.
    neg => Neg, baseline |v| -v,
        grad |x, y, g| g.neg();
    /// e^x, elementwise.
    exp => Exp, kernel |v| v.exp_on::<I>(),
        grad |x, y, g| g.mul(y);
    /// Natural logarithm, elementwise.
    ln => Ln, kernel |v| v.ln_on::<I>(),
        grad |x, y, g| g.div(x);
    /// Square root, elementwise.
    sqrt => Sqrt, baseline |v| v.sqrt(),
        grad |x, y, g| g.div(y).scale(T::from_f64(0.5));
    /// x^2, elementwise.
    square => Square, baseline |v| v * v,
        grad |x, y, g| g.square_grad(x);
    /// 1 / x, elementwise.
    recip => Recip, baseline |v| T::ONE / v,
        grad |x, y, g| g.mul(&y.square()).neg();
    /// x^p, elementwise.
    powf(p) => Powf, baseline |v| v.powf(p),
        grad |x, y, g| g.mul(&x.powf(p - T::ONE)).scale(p);
    /// |x|, elementwise (gradient sign(x), 0 at 0).
    abs => Abs, baseline |v| v.abs(),
        grad |x, y, g| g.mul(&x.sign());
    /// max(x, 0), elementwise (gradient 0 at 0).
    relu => Relu, baseline |v| if v > T::ZERO { v } else { T::ZERO },
        grad |x, y, g| g.relu_grad(x);
    /// The logistic sigmoid 1 / (1 + e^-x), stable for large |x|.
    sigmoid => Sigmoid, kernel |v| sigmoid::<I, T>(v),
        grad |x, y, g| g.sigmoid_grad(y);
    /// Hyperbolic tangent, elementwise.
    tanh => Tanh, kernel |v| v.tanh_on::<I>(),
        grad |x, y, g| g.tanh_grad(y);
    /// ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|) so it never overflows.
    softplus => Softplus, kernel |v| softplus::<I, T>(v),
        grad |x, y, g| g.mul(&x.sigmoid());
    /// sin x, elementwise.
    sin => Sin, baseline |v| v.map_std(f32::sin, f64::sin),
        grad |x, y, g| g.mul(&x.cos());
    /// cos x, elementwise.
    cos => Cos, baseline |v| v.map_std(f32::cos, f64::cos),
        grad |x, y, g| g.mul(&x.sin()).neg();
    /// The error function erf x = 2 / sqrt(pi) int_0^x e^(-t^2) dt, elementwise.
    erf => Erf, baseline |v| v.map_std(libm::erff, libm::erf),
        grad |x, y, g| g.mul(&x.square().neg().exp().scale(T::from_f64(FRAC_2_SQRT_PI)));
    /// GELU with the tanh approximation (GPT-2, BERT), x (1 + tanh(sqrt(2/pi) (x + 0.044715
    /// x^3))) / 2, elementwise; computed as x sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)), the
    /// same function with no cancellation in 1 + tanh for negative x.
    gelu_tanh => GeluTanh, kernel |v| v * sigmoid::<I, T>(gelu_tanh_arg(v)),
        // With w = 2 sqrt(2/pi) (x + c x^3) and s = sigmoid(w): (x s)' = s + x s (1 - s) w'.
        grad |x, y, g| {
            let (c, k) = (T::from_f64(GELU_C), T::from_f64(GELU_2K));
            let s = x.add(&x.mul(&x.square()).scale(c)).scale(k).sigmoid();
            let dw = x.square().scale(T::from_f64(3.0) * c).add_scalar(T::ONE).scale(k);
            let ds = s.mul(&s.neg().add_scalar(T::ONE)).mul(&dw);
            g.mul(&s.add(&x.mul(&ds)))
        };
    /// GELU, x Phi(x) with Phi the standard normal distribution function, elementwise;
    /// computed as x erfc(-x / sqrt 2) / 2, which keeps its digits for negative x.
    gelu => Gelu, baseline |v| {
        let erfc = (-v * T::from_f64(FRAC_1_SQRT_2)).map_std(libm::erfcf, libm::erfc);
        T::from_f64(0.5) * v * erfc
    },
        // (x Phi)' = Phi + x phi, with phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
        grad |x, y, g| {
            let half = T::from_f64(0.5);
            let cdf = x.scale(T::from_f64(FRAC_1_SQRT_2)).erf().add_scalar(T::ONE).scale(half);
            let pdf = x.square().scale(-half).exp().scale(T::from_f64(FRAC_1_SQRT_2PI));
            g.mul(&cdf.add(&x.mul(&pdf)))
        };
    /// min(max(x, lo), hi), elementwise (gradient 1 inside [lo, hi], 0 outside).
    clamp(lo, hi) => Clamp, baseline |v| v.max(lo).min(hi),
        // The gradient passes where clamping left the value unchanged.
        grad |x, y, g| g.mul(&y.cmp(x, Cmp::Eq));
    /// c x, elementwise (also `x * c`).
    scale(c) => Scale, baseline |v| c * v,
        grad |x, y, g| g.scale(c);
    /// x + c, elementwise (also `x + c`).
    add_scalar(c) => AddScalar, baseline |v| v + c,
        grad |x, y, g| g.clone();
}

/// The logistic function, computed without overflow for either sign of `x`: with
/// `e = e^-|x|`, it is `1 / (1 + e)` for `x >= 0` and `e / (1 + e)` below (one exponential,
/// no branch, so loops over it vectorise).
#[inline(always)]
fn sigmoid<I: Isa, T: Float>(x: T) -> T {
    let e = (-x.abs()).exp_on::<I>();
    let s = T::ONE / (T::ONE + e);
    if x >= T::ZERO { s } else { e * s }
}

/// 1 / sqrt(2 pi), the standard normal density at 0.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The cubic's coefficient in the tanh approximation of GELU.
const GELU_C: f64 = 0.044715;
/// 2 sqrt(2/pi): the scale of the sigmoid's argument in the tanh approximation of GELU.
const GELU_2K: f64 = 1.595_769_121_605_730_7;

/// 2 sqrt(2/pi) (x + 0.044715 x^3): the sigmoid's argument in the tanh approximation of GELU.
#[inline(always)]
fn gelu_tanh_arg<T: Float>(x: T) -> T {
    T::from_f64(GELU_2K) * (x + T::from_f64(GELU_C) * x * x * x)
}

/// ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): finite for any finite `x`.
#[inline(always)]
fn softplus<I: Isa, T: Float>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp_on::<I>().ln_1p_on::<I>()
}

impl<T: Float> Unary<T> {
    /// The forward kernel.
    pub(crate) fn apply(self, x: &Tensor<T>) -> Tensor<T> {
        if x.numel() <= INLINE {
            // A few numbers: no loop to vectorise, so no call into a kernel.
            return x.map_inlined(|v| self.eval(v));
        }
        unary_kernel(self, x)
    }
}

crate::kernel! {
    /// [`Unary::eval_on`] for the CPU's kernel path.
    fn eval_polynomial<T: Float>(op: Unary<T>, v: T) -> T {
        op.eval_on::<I>(v)
    }
}

// The fused backward rules of the core, written out of the primitives: the form the
// recording algebra uses (the eager one has a loop for each).

/// `g * x * 2`.
pub(crate) fn square_grad_composite<T: Float, A: Algebra<T>>(g: &A, x: &A) -> A {
    g.mul(x).scale(T::from_f64(2.0))
}

/// `g * (x > 0)`.
pub(crate) fn relu_grad_composite<T: Float, A: Algebra<T>>(g: &A, x: &A) -> A {
    g.mul(&x.cmp(&x.scale(T::ZERO), Cmp::Gt))
}

/// `g * (1 - y^2)`.
pub(crate) fn tanh_grad_composite<T: Float, A: Algebra<T>>(g: &A, y: &A) -> A {
    g.mul(&y.square().neg().add_scalar(T::ONE))
}

/// `g * y (1 - y)`.
pub(crate) fn sigmoid_grad_composite<T: Float, A: Algebra<T>>(g: &A, y: &A) -> A {
    g.mul(&y.mul(&y.neg().add_scalar(T::ONE)))
}

impl<T: Float> Algebra<T> for Tensor<T> {
    fn unary(&self, op: Unary<T>) -> Self {
        op.apply(self)
    }
}

impl<'t, T: Float> Algebra<T> for Var<'t, T> {
    fn unary(&self, op: Unary<T>) -> Self {
        Var::unary(*self, op)
    }
}

impl<T: Float> Tensor<T> {
    /// The sign of each element: -1, 0 or 1.
    pub fn sign(&self) -> Tensor<T> {
        self.map(|v| {
            if v > T::ZERO {
                T::ONE
            } else if v < T::ZERO {
                -T::ONE
            } else {
                T::ZERO
            }
        })
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    pub(crate) fn unary(self, op: Unary<T>) -> Var<'t, T> {
        let value = op.apply(&self.tape.value(self.id));
        self.tape.push(Op::Unary(op), &[self.id], value)
    }

    /// max(x, c), elementwise.
    #[track_caller]
    pub fn maximum_scalar(self, c: T) -> Var<'t, T> {
        self.unary(Unary::Clamp {
            lo: c,
            hi: T::INFINITY,
        })
    }
    /// min(x, c), elementwise.
    #[track_caller]
    pub fn minimum_scalar(self, c: T) -> Var<'t, T> {
        self.unary(Unary::Clamp {
            lo: T::NEG_INFINITY,
            hi: c,
        })
    }
    /// The sign of each element (-1, 0, 1), as a constant.
    pub fn sign(self) -> Var<'t, T> {
        let value = self.tape.value(self.id).sign();
        self.tape.constant(value)
    }
}
