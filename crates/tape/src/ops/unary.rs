//! Elementwise functions of one tensor: forward kernels, recording methods, backward rules.

use crate::algebra::Algebra;
use crate::cpu::{Baseline, Isa};
use crate::ops::Op;
use crate::storage::INLINE;
use crate::{Float, ScalarVar, Tensor, Var};

/// An elementwise function of one operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary<T> {
    /// -x
    Neg,
    /// e^x
    Exp,
    /// ln x
    Ln,
    /// sqrt x
    Sqrt,
    /// x^2
    Square,
    /// 1 / x
    Recip,
    /// x^p
    Powf(T),
    /// |x|
    Abs,
    /// max(x, 0)
    Relu,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// tanh x
    Tanh,
    /// ln(1 + e^x)
    Softplus,
    /// min(max(x, lo), hi)
    Clamp(T, T),
    /// c x
    Scale(T),
    /// x + c
    AddScalar(T),
}

/// The logistic function, computed without overflow for either sign of `x`: with
/// `e = e^-|x|`, it is `1 / (1 + e)` for `x >= 0` and `e / (1 + e)` below (one exponential,
/// no branch, so loops over it vectorise).
#[inline(always)]
pub(crate) fn sigmoid<I: Isa, T: Float>(x: T) -> T {
    let e = (-x.abs()).exp_on::<I>();
    let s = T::ONE / (T::ONE + e);
    if x >= T::ZERO { s } else { e * s }
}

/// ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): finite for any finite `x`.
#[inline(always)]
fn softplus<I: Isa, T: Float>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp_on::<I>().ln_1p_on::<I>()
}

impl<T: Float> Unary<T> {
    /// The function at one number (scalar code: the scalar tape, one-element tensors). The
    /// polynomials (`exp`, `ln`, `tanh` and the functions built on them) run on the CPU's
    /// kernel path: a chain of scalar operations waits on each result, and fused multiply-adds
    /// shorten every step of that wait (`scalar_chain`, 15,000 operations: 185-213 us with the
    /// baseline's separate multiplies and adds, 141-159 with this, on a busy machine).
    #[inline(always)]
    pub(crate) fn eval(self, v: T) -> T {
        use Unary::*;
        match self {
            Exp | Ln | Tanh | Sigmoid | Softplus => eval_polynomial(self, v),
            _ => self.eval_on::<Baseline>(v),
        }
    }

    /// The function at one number, as kernels compiled for the path `I` compute it.
    #[inline(always)]
    pub(crate) fn eval_on<I: Isa>(self, v: T) -> T {
        use Unary::*;
        match self {
            Neg => -v,
            Exp => v.exp_on::<I>(),
            Ln => v.ln_on::<I>(),
            Sqrt => v.sqrt(),
            Square => v * v,
            Recip => T::ONE / v,
            Powf(p) => v.powf(p),
            Abs => v.abs(),
            Relu => {
                if v > T::ZERO {
                    v
                } else {
                    T::ZERO
                }
            }
            Sigmoid => sigmoid::<I, T>(v),
            Tanh => v.tanh_on::<I>(),
            Softplus => softplus::<I, T>(v),
            Clamp(lo, hi) => v.max(lo).min(hi),
            Scale(c) => c * v,
            AddScalar(c) => v + c,
        }
    }

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

crate::kernel! {
    /// The forward kernels: one loop per variant with its formula inlined, so that each
    /// vectorises (a single loop matching on the variant for every element runs 4-8 times
    /// slower).
    fn unary_kernel<T: Float>(op: Unary<T>, x: &Tensor<T>) -> Tensor<T> {
        use Unary::*;
        match op {
            Neg => x.map_inlined(|v| Neg.eval_on::<I>(v)),
            Exp => x.map_inlined(|v| Exp.eval_on::<I>(v)),
            Ln => x.map_inlined(|v| Ln.eval_on::<I>(v)),
            Sqrt => x.map_inlined(|v| Sqrt.eval_on::<I>(v)),
            Square => x.map_inlined(|v| Square.eval_on::<I>(v)),
            Recip => x.map_inlined(|v| Recip.eval_on::<I>(v)),
            Powf(p) => x.map_inlined(move |v| Powf(p).eval_on::<I>(v)),
            Abs => x.map_inlined(|v| Abs.eval_on::<I>(v)),
            Relu => x.map_inlined(|v| Relu.eval_on::<I>(v)),
            Sigmoid => x.map_inlined(|v| Sigmoid.eval_on::<I>(v)),
            Tanh => x.map_inlined(|v| Tanh.eval_on::<I>(v)),
            Softplus => x.map_inlined(|v| Softplus.eval_on::<I>(v)),
            Clamp(lo, hi) => x.map_inlined(move |v| Clamp(lo, hi).eval_on::<I>(v)),
            Scale(c) => x.map_inlined(move |v| Scale(c).eval_on::<I>(v)),
            AddScalar(c) => x.map_inlined(move |v| AddScalar(c).eval_on::<I>(v)),
        }
    }
}

/// The backward rule: the gradient of the operand, given its value `x`, the result `y` and the
/// incoming gradient `g`.
// Always inlined: the scalar tape calls it once per node, where the call would cost more than
// the arithmetic.
#[inline(always)]
pub(crate) fn backward<T: Float, A: Algebra<T>>(op: Unary<T>, x: &A, y: &A, g: &A) -> A {
    use Unary::*;
    match op {
        Neg => g.neg(),
        Exp => g.mul(y),
        Ln => g.div(x),
        Sqrt => g.div(y).scale(T::from_f64(0.5)),
        Square => g.square_grad(x),
        Recip => g.mul(&y.square()).neg(),
        Powf(p) => g.mul(&x.powf(p - T::ONE)).scale(p),
        Abs => g.mul(&x.sign()),
        Relu => g.relu_grad(x),
        Sigmoid => g.sigmoid_grad(y),
        Tanh => g.tanh_grad(y),
        Softplus => g.mul(&x.sigmoid()),
        // The gradient passes where clamping left the value unchanged.
        Clamp(..) => g.mul(&y.cmp(x, crate::Cmp::Eq)),
        Scale(c) => g.scale(c),
        AddScalar(_) => g.clone(),
    }
}

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $variant:ident;)*) => {
        #[allow(clippy::should_implement_trait)]
        impl<T: Float> Tensor<T> {
            $($(#[$doc])* pub fn $name(&self) -> Tensor<T> {
                Unary::$variant.apply(self)
            })*
        }
        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> Var<'t, T> {
            $($(#[$doc])* #[track_caller] pub fn $name(self) -> Var<'t, T> {
                self.unary(Unary::$variant)
            })*
        }
        #[allow(clippy::should_implement_trait)]
        impl<'t, T: Float> ScalarVar<'t, T> {
            $($(#[$doc])* pub fn $name(self) -> ScalarVar<'t, T> {
                self.unary(Unary::$variant)
            })*
        }
    };
}

unary_methods! {
    /// -x, elementwise.
    neg => Neg;
    /// e^x, elementwise.
    exp => Exp;
    /// Natural logarithm, elementwise.
    ln => Ln;
    /// Square root, elementwise.
    sqrt => Sqrt;
    /// x^2, elementwise.
    square => Square;
    /// 1 / x, elementwise.
    recip => Recip;
    /// |x|, elementwise (gradient sign(x), 0 at 0).
    abs => Abs;
    /// max(x, 0), elementwise (gradient 0 at 0).
    relu => Relu;
    /// The logistic sigmoid 1 / (1 + e^-x), stable for large |x|.
    sigmoid => Sigmoid;
    /// Hyperbolic tangent, elementwise.
    tanh => Tanh;
    /// ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|) so it never overflows.
    softplus => Softplus;
}

impl<T: Float> Tensor<T> {
    /// x^p, elementwise.
    pub fn powf(&self, p: T) -> Tensor<T> {
        Unary::Powf(p).apply(self)
    }
    /// min(max(x, lo), hi), elementwise (gradient 1 inside [lo, hi], 0 outside).
    pub fn clamp(&self, lo: T, hi: T) -> Tensor<T> {
        Unary::Clamp(lo, hi).apply(self)
    }
    /// c x, elementwise.
    pub fn scale(&self, c: T) -> Tensor<T> {
        Unary::Scale(c).apply(self)
    }
    /// x + c, elementwise.
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        Unary::AddScalar(c).apply(self)
    }
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

    /// x^p, elementwise.
    #[track_caller]
    pub fn powf(self, p: T) -> Var<'t, T> {
        self.unary(Unary::Powf(p))
    }
    /// min(max(x, lo), hi), elementwise (gradient 1 inside [lo, hi], 0 outside).
    #[track_caller]
    pub fn clamp(self, lo: T, hi: T) -> Var<'t, T> {
        self.unary(Unary::Clamp(lo, hi))
    }
    /// max(x, c), elementwise.
    #[track_caller]
    pub fn maximum_scalar(self, c: T) -> Var<'t, T> {
        self.unary(Unary::Clamp(c, T::INFINITY))
    }
    /// min(x, c), elementwise.
    #[track_caller]
    pub fn minimum_scalar(self, c: T) -> Var<'t, T> {
        self.unary(Unary::Clamp(T::NEG_INFINITY, c))
    }
    /// c x, elementwise.
    #[track_caller]
    pub fn scale(self, c: T) -> Var<'t, T> {
        self.unary(Unary::Scale(c))
    }
    /// x + c, elementwise.
    #[track_caller]
    pub fn add_scalar(self, c: T) -> Var<'t, T> {
        self.unary(Unary::AddScalar(c))
    }
    /// The sign of each element (-1, 0, 1), as a constant.
    pub fn sign(self) -> Var<'t, T> {
        let value = self.tape.value(self.id).sign();
        self.tape.constant(value)
    }
}
