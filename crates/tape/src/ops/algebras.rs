//! The three algebras backward rules run in: [`Tensor`] (eager), [`Var`] (recording, for
//! gradients of gradients) and [`Scalar`] (one number, for the scalar paths). Each core method
//! delegates to the operation of the same name; the elementwise functions of the unary table
//! reach them through [`Algebra::unary`].

use crate::algebra::AlgebraCore;
use crate::ops::softmax::log_softmax_gather_grad_composite;
use crate::ops::unary::{
    relu_grad_composite, sigmoid_grad_composite, square_grad_composite, tanh_grad_composite,
};
use crate::{Algebra, Cmp, Float, Reduce, Shape, Tensor, Unary, Var};

macro_rules! delegate_core {
    ($ty:ty, $arg:path) => {
        fn add(&self, y: &Self) -> Self {
            <$ty>::add($arg(self), $arg(y))
        }
        fn sub(&self, y: &Self) -> Self {
            <$ty>::sub($arg(self), $arg(y))
        }
        fn mul(&self, y: &Self) -> Self {
            <$ty>::mul($arg(self), $arg(y))
        }
        fn div(&self, y: &Self) -> Self {
            <$ty>::div($arg(self), $arg(y))
        }
        fn sign(&self) -> Self {
            <$ty>::sign($arg(self))
        }
        fn cmp(&self, y: &Self, cmp: Cmp) -> Self {
            <$ty>::compare($arg(self), $arg(y), cmp)
        }
        fn sum_axis(&self, axis: Option<usize>, keepdim: bool) -> Self {
            <$ty>::reduce($arg(self), Reduce::Sum, axis, keepdim)
        }
        fn reshape(&self, shape: &Shape) -> Self {
            <$ty>::reshape($arg(self), shape)
        }
        fn broadcast_to(&self, shape: &Shape) -> Self {
            <$ty>::broadcast_to($arg(self), shape)
        }
        fn sum_to(&self, shape: &Shape) -> Self {
            <$ty>::sum_to($arg(self), shape)
        }
        fn permute(&self, perm: &[usize]) -> Self {
            <$ty>::permute($arg(self), perm)
        }
        fn narrow(&self, axis: usize, start: usize, len: usize) -> Self {
            <$ty>::narrow($arg(self), axis, start, len)
        }
        fn pad(&self, axis: usize, before: usize, after: usize) -> Self {
            <$ty>::pad($arg(self), axis, before, after)
        }
        fn index_select(&self, axis: usize, idx: &[usize]) -> Self {
            <$ty>::index_select($arg(self), axis, idx)
        }
        fn index_add(&self, axis: usize, idx: &[usize], size: usize) -> Self {
            <$ty>::index_add($arg(self), axis, idx, size)
        }
        fn gather(&self, axis: usize, idx: &[usize]) -> Self {
            <$ty>::gather($arg(self), axis, idx)
        }
        fn scatter_add(&self, axis: usize, idx: &[usize], size: usize) -> Self {
            <$ty>::scatter_add($arg(self), axis, idx, size)
        }
        fn matmul_t(&self, y: &Self, ta: bool, tb: bool) -> Self {
            <$ty>::matmul_t($arg(self), $arg(y), ta, tb)
        }
        fn log_softmax(&self, axis: usize) -> Self {
            <$ty>::log_softmax($arg(self), axis)
        }
    };
}

impl<T: Float> AlgebraCore<T> for Tensor<T> {
    fn shape(&self) -> Shape {
        Tensor::shape(self).clone()
    }

    delegate_core!(Tensor<T>, std::convert::identity);

    fn square_grad(&self, x: &Self) -> Self {
        self.zip_map(x, "square_grad", |g, x| g * x * T::from_f64(2.0))
    }
    fn relu_grad(&self, x: &Self) -> Self {
        self.zip_map(x, "relu_grad", |g, x| if x > T::ZERO { g } else { T::ZERO })
    }
    fn tanh_grad(&self, y: &Self) -> Self {
        self.zip_map(y, "tanh_grad", |g, y| g * (T::ONE - y * y))
    }
    fn sigmoid_grad(&self, y: &Self) -> Self {
        self.zip_map(y, "sigmoid_grad", |g, y| g * y * (T::ONE - y))
    }
    fn log_softmax_grad(&self, y: &Self, axis: usize) -> Self {
        self.log_softmax_grad_eager(y, axis)
    }
    fn softmax_grad(&self, y: &Self, axis: usize) -> Self {
        self.softmax_grad_eager(y, axis)
    }
    fn log_softmax_gather_grad(&self, x: &Self, logp: &Self, labels: &[usize]) -> Self {
        self.log_softmax_gather_grad_eager(x, logp, labels)
    }
}

impl<'t, T: Float> AlgebraCore<T> for Var<'t, T> {
    fn shape(&self) -> Shape {
        Var::shape(*self)
    }

    delegate_core!(Var<'t, T>, copied);

    fn square_grad(&self, x: &Self) -> Self {
        square_grad_composite(self, x)
    }
    fn relu_grad(&self, x: &Self) -> Self {
        relu_grad_composite(self, x)
    }
    fn tanh_grad(&self, y: &Self) -> Self {
        tanh_grad_composite(self, y)
    }
    fn sigmoid_grad(&self, y: &Self) -> Self {
        sigmoid_grad_composite(self, y)
    }
    fn log_softmax_grad(&self, y: &Self, axis: usize) -> Self {
        log_softmax_grad_composite(self, y, axis)
    }
    fn softmax_grad(&self, y: &Self, axis: usize) -> Self {
        softmax_grad_composite(self, y, axis)
    }
    fn log_softmax_gather_grad(&self, x: &Self, _logp: &Self, labels: &[usize]) -> Self {
        log_softmax_gather_grad_composite(self, x, labels)
    }
}

/// `g - e^y sum(g)` along `axis` from algebra operations (`y` is the log-softmax): the rule
/// in a form that can be recorded.
fn log_softmax_grad_composite<T: Float, A: Algebra<T>>(g: &A, y: &A, axis: usize) -> A {
    let total = g.sum_axis(Some(axis), true);
    g.sub(&y.exp().mul(&total))
}

/// `y (g - sum(g y))` along `axis` from algebra operations (`y` is the softmax): the rule in a
/// form that can be recorded.
fn softmax_grad_composite<T: Float, A: Algebra<T>>(g: &A, y: &A, axis: usize) -> A {
    let dot = g.mul(y).sum_axis(Some(axis), true);
    y.mul(&g.sub(&dot))
}

/// Dereferences a `Copy` handle, so one macro body serves `&Tensor` and `Var` receivers.
#[inline(always)]
fn copied<X: Copy>(x: &X) -> X {
    *x
}

/// One number as an algebra. The reverse sweep runs the elementwise rules (unary and binary
/// operations) of one-element nodes with it, and the scalar tape runs them at recording time,
/// so scalar code pays for arithmetic, not for building one-element tensors. Every shape
/// operation of a one-element value is the identity; the sweep never sends other rules here.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar<T>(pub T);

impl<T: Float> Algebra<T> for Scalar<T> {
    #[inline(always)]
    fn unary(&self, op: Unary<T>) -> Self {
        Scalar(op.eval(self.0))
    }
}

impl<T: Float> AlgebraCore<T> for Scalar<T> {
    fn shape(&self) -> Shape {
        Shape::scalar()
    }
    fn add(&self, y: &Self) -> Self {
        Scalar(self.0 + y.0)
    }
    fn sub(&self, y: &Self) -> Self {
        Scalar(self.0 - y.0)
    }
    fn mul(&self, y: &Self) -> Self {
        Scalar(self.0 * y.0)
    }
    fn div(&self, y: &Self) -> Self {
        Scalar(self.0 / y.0)
    }
    fn sign(&self) -> Self {
        let v = self.0;
        Scalar(if v > T::ZERO {
            T::ONE
        } else if v < T::ZERO {
            -T::ONE
        } else {
            T::ZERO
        })
    }
    fn cmp(&self, y: &Self, cmp: Cmp) -> Self {
        Scalar(if cmp.holds(self.0, y.0) {
            T::ONE
        } else {
            T::ZERO
        })
    }
    fn sum_axis(&self, _: Option<usize>, _: bool) -> Self {
        *self
    }
    fn reshape(&self, _: &Shape) -> Self {
        *self
    }
    fn broadcast_to(&self, _: &Shape) -> Self {
        *self
    }
    fn sum_to(&self, _: &Shape) -> Self {
        *self
    }
    fn permute(&self, _: &[usize]) -> Self {
        *self
    }
    fn narrow(&self, _: usize, _: usize, _: usize) -> Self {
        *self
    }
    fn pad(&self, _: usize, _: usize, _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn index_select(&self, _: usize, _: &[usize]) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn index_add(&self, _: usize, _: &[usize], _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn gather(&self, _: usize, _: &[usize]) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn scatter_add(&self, _: usize, _: &[usize], _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn matmul_t(&self, y: &Self, _: bool, _: bool) -> Self {
        Scalar(self.0 * y.0)
    }
    fn log_softmax(&self, _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn log_softmax_grad(&self, _: &Self, _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn softmax_grad(&self, _: &Self, _: usize) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn log_softmax_gather_grad(&self, _: &Self, _: &Self, _: &[usize]) -> Self {
        unreachable!("the scalar algebra serves elementwise rules only")
    }
    fn square_grad(&self, x: &Self) -> Self {
        Scalar(self.0 * x.0 * T::from_f64(2.0))
    }
    fn relu_grad(&self, x: &Self) -> Self {
        Scalar(if x.0 > T::ZERO { self.0 } else { T::ZERO })
    }
    fn tanh_grad(&self, y: &Self) -> Self {
        Scalar(self.0 * (T::ONE - y.0 * y.0))
    }
    fn sigmoid_grad(&self, y: &Self) -> Self {
        Scalar(self.0 * y.0 * (T::ONE - y.0))
    }
}
