//! The algebra that backward rules are written in.
//!
//! Every backward rule is a generic function over [`Algebra`]. With [`Tensor`] it runs eagerly:
//! the fast first-order path of [`Var::backward`](crate::Var::backward). With [`Var`] it records
//! the gradient computation on the tape, so that gradients can themselves be differentiated
//! ([`Tape::grad_graph`](crate::Tape::grad_graph)). One copy of each rule serves both.

use crate::ops::Cmp;
use crate::{Float, Shape, Tensor, Var};

/// The operations backward rules are written with. Implemented by [`Tensor`] (eager) and by
/// [`Var`] (recording). Masks produced by [`Algebra::cmp`] are constants in both.
pub trait Algebra<T: Float>: Clone {
    /// The shape of the value.
    fn shape(&self) -> Shape;
    /// -x.
    fn neg(&self) -> Self;
    /// x + y (broadcasting).
    fn add(&self, y: &Self) -> Self;
    /// x - y (broadcasting).
    fn sub(&self, y: &Self) -> Self;
    /// x * y (broadcasting).
    fn mul(&self, y: &Self) -> Self;
    /// x / y (broadcasting).
    fn div(&self, y: &Self) -> Self;
    /// c * x.
    fn scale(&self, c: T) -> Self;
    /// x + c.
    fn add_scalar(&self, c: T) -> Self;
    /// e^x.
    fn exp(&self) -> Self;
    /// x^2.
    fn square(&self) -> Self;
    /// x^p.
    fn powf(&self, p: T) -> Self;
    /// Logistic sigmoid.
    fn sigmoid(&self) -> Self;
    /// min(max(x, lo), hi).
    fn clamp(&self, lo: T, hi: T) -> Self;
    /// The sign of x (-1, 0 or 1), a constant.
    fn sign(&self) -> Self;
    /// 1 where `x cmp y` holds, else 0 (broadcasting), a constant.
    fn cmp(&self, y: &Self, cmp: Cmp) -> Self;
    /// Sum over all elements (`axis = None`) or along one axis.
    fn sum_axis(&self, axis: Option<usize>, keepdim: bool) -> Self;
    /// Same elements, new shape.
    fn reshape(&self, shape: &Shape) -> Self;
    /// NumPy broadcast to a larger shape.
    fn broadcast_to(&self, shape: &Shape) -> Self;
    /// The adjoint of `broadcast_to`: sums over the broadcast dimensions down to `shape`.
    fn sum_to(&self, shape: &Shape) -> Self;
    /// Reorders the axes.
    fn permute(&self, perm: &[usize]) -> Self;
    /// `len` entries along `axis` from `start`.
    fn narrow(&self, axis: usize, start: usize, len: usize) -> Self;
    /// Zero padding along `axis`.
    fn pad(&self, axis: usize, before: usize, after: usize) -> Self;
    /// Whole slices along `axis`, picked by index.
    fn index_select(&self, axis: usize, idx: &[usize]) -> Self;
    /// The adjoint of `index_select`: slices added into a zero tensor of `size` along `axis`.
    fn index_add(&self, axis: usize, idx: &[usize], size: usize) -> Self;
    /// Elements picked along `axis` by a per-position index.
    fn gather(&self, axis: usize, idx: &[usize]) -> Self;
    /// The adjoint of `gather`.
    fn scatter_add(&self, axis: usize, idx: &[usize], size: usize) -> Self;
    /// op(x) op(y), where op transposes the last two axes when its flag is set.
    fn matmul_t(&self, y: &Self, ta: bool, tb: bool) -> Self;
    /// ln softmax along `axis`.
    fn log_softmax(&self, axis: usize) -> Self;

    /// `self - e^y sum(self)` along `axis`, where `y` is a log-softmax: its backward, fused in
    /// the eager algebra.
    fn log_softmax_grad(&self, y: &Self, axis: usize) -> Self {
        let total = self.sum_axis(Some(axis), true);
        self.sub(&y.exp().mul(&total))
    }
    /// `y (self - sum(self y))` along `axis`, where `y` is a softmax: its backward, fused in the
    /// eager algebra.
    fn softmax_grad(&self, y: &Self, axis: usize) -> Self {
        let dot = self.mul(y).sum_axis(Some(axis), true);
        y.mul(&self.sub(&dot))
    }
    /// `self_i (onehot(labels_i) - softmax(x_i))` for logits `x [n, k]` and `self [n]`: the
    /// backward of `log_softmax_gather` (whose output is `logp`), fused in the eager algebra.
    fn log_softmax_gather_grad(&self, x: &Self, _logp: &Self, labels: &[usize]) -> Self {
        crate::ops::softmax::log_softmax_gather_grad_composite(self, x, labels)
    }
    /// `self * x * 2`: the square backward, fused in the eager algebra.
    fn square_grad(&self, x: &Self) -> Self {
        self.mul(x).scale(T::from_f64(2.0))
    }
    /// `self * (x > 0)`: the ReLU backward, fused in the eager algebra.
    fn relu_grad(&self, x: &Self) -> Self {
        self.mul(&x.cmp(&x.scale(T::ZERO), Cmp::Gt))
    }
    /// `self * (1 - y^2)`: the tanh backward, fused in the eager algebra.
    fn tanh_grad(&self, y: &Self) -> Self {
        self.mul(&y.square().neg().add_scalar(T::ONE))
    }
    /// `self * y (1 - y)`: the sigmoid backward, fused in the eager algebra.
    fn sigmoid_grad(&self, y: &Self) -> Self {
        self.mul(&y.mul(&y.neg().add_scalar(T::ONE)))
    }
}

macro_rules! delegate_algebra {
    ($ty:ty, $arg:path) => {
        fn neg(&self) -> Self {
            <$ty>::neg($arg(self))
        }
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
        fn scale(&self, c: T) -> Self {
            <$ty>::scale($arg(self), c)
        }
        fn add_scalar(&self, c: T) -> Self {
            <$ty>::add_scalar($arg(self), c)
        }
        fn exp(&self) -> Self {
            <$ty>::exp($arg(self))
        }
        fn square(&self) -> Self {
            <$ty>::square($arg(self))
        }
        fn powf(&self, p: T) -> Self {
            <$ty>::powf($arg(self), p)
        }
        fn sigmoid(&self) -> Self {
            <$ty>::sigmoid($arg(self))
        }
        fn clamp(&self, lo: T, hi: T) -> Self {
            <$ty>::clamp($arg(self), lo, hi)
        }
        fn sign(&self) -> Self {
            <$ty>::sign($arg(self))
        }
        fn cmp(&self, y: &Self, cmp: Cmp) -> Self {
            <$ty>::compare($arg(self), $arg(y), cmp)
        }
        fn sum_axis(&self, axis: Option<usize>, keepdim: bool) -> Self {
            <$ty>::reduce($arg(self), crate::Reduce::Sum, axis, keepdim)
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

impl<T: Float> Algebra<T> for Tensor<T> {
    fn shape(&self) -> Shape {
        Tensor::shape(self).clone()
    }

    delegate_algebra!(Tensor<T>, std::convert::identity);

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

impl<'t, T: Float> Algebra<T> for Var<'t, T> {
    fn shape(&self) -> Shape {
        Var::shape(*self)
    }

    delegate_algebra!(Var<'t, T>, copied);
}

/// Dereferences a `Copy` handle, so one macro body serves `&Tensor` and `Var` receivers.
#[inline(always)]
fn copied<X: Copy>(x: &X) -> X {
    *x
}

/// One number as an algebra. The reverse sweep runs the elementwise rules (unary and binary
/// operations) of one-element nodes with it, so scalar code pays for arithmetic, not for
/// building one-element tensors. Every shape operation of a one-element value is the identity;
/// the sweep never sends other rules here.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar<T>(pub T);

impl<T: Float> Algebra<T> for Scalar<T> {
    fn shape(&self) -> Shape {
        Shape::scalar()
    }
    fn neg(&self) -> Self {
        Scalar(-self.0)
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
    fn scale(&self, c: T) -> Self {
        Scalar(c * self.0)
    }
    fn add_scalar(&self, c: T) -> Self {
        Scalar(self.0 + c)
    }
    fn exp(&self) -> Self {
        Scalar(crate::Unary::Exp.eval(self.0))
    }
    fn square(&self) -> Self {
        Scalar(self.0 * self.0)
    }
    fn powf(&self, p: T) -> Self {
        Scalar(self.0.powf(p))
    }
    fn sigmoid(&self) -> Self {
        Scalar(crate::Unary::Sigmoid.eval(self.0))
    }
    fn clamp(&self, lo: T, hi: T) -> Self {
        Scalar(self.0.max(lo).min(hi))
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
