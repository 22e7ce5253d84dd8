//! The std operator traits (`+ - * /`, unary `-`) for `Var`, `ScalarVar` and `&Tensor`, with
//! each other and with plain numbers on either side. Each delegates to the named method and
//! is `#[track_caller]`, so a misuse panic or an anomaly report names the user's line.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::{Float, ScalarVar, Tensor, Var};

// Operators: Var with Var, Var with scalars (both sides), and &Tensor with &Tensor.

macro_rules! var_operators {
    ($($trait:ident $method:ident |$x:ident, $c:ident| $scalar:expr;)*) => {$(
        impl<'t, T: Float> $trait for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                Var::$method(self, rhs)
            }
        }
        impl<'t, T: Float> $trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            // The body is spliced in rather than called as a closure, so that the caller's
            // location reaches the recording (a closure would report its own).
            fn $method(self, rhs: T) -> Var<'t, T> {
                let ($x, $c) = (self, rhs);
                $scalar
            }
        }
        impl<T: Float> $trait for &Tensor<T> {
            type Output = Tensor<T>;
            #[track_caller]
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, rhs)
            }
        }
    )*};
}

var_operators! {
    Add add |x, c| x.add_scalar(c);
    Sub sub |x, c| x.add_scalar(-c);
    Mul mul |x, c| x.scale(c);
    Div div |x, c| x.scale(T::ONE / c);
}

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        Var::neg(self)
    }
}

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

/// `c + x`, `c - x`, `c * x` and `c / x` with a plain number on the left, for a handle type.
macro_rules! scalar_lhs_operators {
    ($var:ident: $($t:ty),*) => {$(
        impl<'t> Add<$var<'t, $t>> for $t {
            type Output = $var<'t, $t>;
            #[track_caller]
            fn add(self, rhs: $var<'t, $t>) -> $var<'t, $t> {
                rhs.add_scalar(self)
            }
        }
        impl<'t> Sub<$var<'t, $t>> for $t {
            type Output = $var<'t, $t>;
            #[track_caller]
            fn sub(self, rhs: $var<'t, $t>) -> $var<'t, $t> {
                rhs.neg().add_scalar(self)
            }
        }
        impl<'t> Mul<$var<'t, $t>> for $t {
            type Output = $var<'t, $t>;
            #[track_caller]
            fn mul(self, rhs: $var<'t, $t>) -> $var<'t, $t> {
                rhs.scale(self)
            }
        }
        impl<'t> Div<$var<'t, $t>> for $t {
            type Output = $var<'t, $t>;
            #[track_caller]
            fn div(self, rhs: $var<'t, $t>) -> $var<'t, $t> {
                rhs.recip().scale(self)
            }
        }
    )*};
}

scalar_lhs_operators!(Var: f32, f64);
scalar_lhs_operators!(ScalarVar: f32, f64);
