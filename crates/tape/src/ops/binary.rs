//! Elementwise functions of two tensors with NumPy broadcasting, comparisons, and `where_`.
//!
//! The functions are declared once each in the table below: the method name, the variant, the
//! formula on two numbers `a` and `b` and, after `grad`, the gradients of `a` and of `b` from
//! the operands, the result `y` and the incoming gradient `g` (each computed only when that
//! operand needs it, then summed back to its shape). `ops/table.rs` writes the rest.

use crate::ops::Op;
use crate::ops::table::binary_table;
use crate::storage::INLINE;
use crate::{Algebra, Cmp, Float, ScalarVar, Shape, Tensor, Var};

binary_table! {
    /// x + y, broadcasting (also the `+` operator).
    add => Add |a, b| a + b,
        grad |a, b, y, g| g.clone(), g.clone();
    /// x - y, broadcasting (also the `-` operator).
    sub => Sub |a, b| a - b,
        grad |a, b, y, g| g.clone(), g.neg();
    /// x * y, broadcasting (also the `*` operator).
    mul => Mul |a, b| a * b,
        grad |a, b, y, g| g.mul(b), g.mul(a);
    /// x / y, broadcasting (also the `/` operator).
    div => Div |a, b| a / b,
        grad |a, b, y, g| g.div(b), g.mul(y).div(b).neg();
    /// The elementwise maximum, broadcasting (ties send the gradient to `self`).
    maximum => Max |a, b| if a >= b { a } else { b },
        grad |a, b, y, g| g.mul(&a.cmp(b, Cmp::Ge)), g.mul(&b.cmp(a, Cmp::Gt));
    /// The elementwise minimum, broadcasting (ties send the gradient to `self`).
    minimum => Min |a, b| if a <= b { a } else { b },
        grad |a, b, y, g| g.mul(&a.cmp(b, Cmp::Le)), g.mul(&b.cmp(a, Cmp::Lt));
}

/// 1 or 0.
#[inline(always)]
fn one_if<T: Float>(holds: bool) -> T {
    if holds { T::ONE } else { T::ZERO }
}

impl Binary {
    /// The forward kernel.
    #[track_caller]
    pub(crate) fn apply<T: Float>(self, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        // Shapes are checked here, where the caller's location is known: the kernels below,
        // compiled per instruction set, cannot pass it on to their panic.
        if a.shape() != b.shape() {
            Shape::broadcast(self.name(), a.shape(), b.shape());
        }
        if a.numel() <= INLINE && b.numel() <= INLINE {
            // A few numbers: no loop to vectorise, so no call into a kernel.
            return a.zip_map_inlined(b, self.name(), |x, y| self.eval(x, y));
        }
        binary_kernel(self, a, b)
    }
}

/// The backward rule of `where_(mask, a, b)`: the gradient goes to `a` where the mask is 1 and
/// to `b` where it is 0. The mask itself is a constant.
pub(crate) fn where_backward<T: Float, A: Algebra<T>>(
    mask: &A,
    a: &A,
    b: &A,
    g: &A,
    needs: &[bool],
    mut emit: impl FnMut(usize, A),
) {
    let ga = g.mul(mask);
    if needs[2] {
        emit(2, g.sub(&ga).sum_to(&b.shape()));
    }
    if needs[1] {
        emit(1, ga.sum_to(&a.shape()));
    }
}

impl<T: Float> Tensor<T> {
    /// 1 where `x cmp y` holds, else 0, broadcasting.
    #[track_caller]
    pub fn compare(&self, y: &Tensor<T>, cmp: Cmp) -> Tensor<T> {
        // One loop per comparison: matching on `cmp` for every element kept the loop scalar,
        // 15-20 times slower.
        let name = "compare";
        match cmp {
            Cmp::Gt => self.zip_map(y, name, |a, b| one_if(a > b)),
            Cmp::Ge => self.zip_map(y, name, |a, b| one_if(a >= b)),
            Cmp::Lt => self.zip_map(y, name, |a, b| one_if(a < b)),
            Cmp::Le => self.zip_map(y, name, |a, b| one_if(a <= b)),
            Cmp::Eq => self.zip_map(y, name, |a, b| one_if(a == b)),
        }
    }
    /// 1 where `x cmp c` holds, else 0.
    #[track_caller]
    pub fn compare_scalar(&self, c: T, cmp: Cmp) -> Tensor<T> {
        match cmp {
            Cmp::Gt => self.map(move |a| one_if(a > c)),
            Cmp::Ge => self.map(move |a| one_if(a >= c)),
            Cmp::Lt => self.map(move |a| one_if(a < c)),
            Cmp::Le => self.map(move |a| one_if(a <= c)),
            Cmp::Eq => self.map(move |a| one_if(a == c)),
        }
    }
    /// `mask ? a : b` elementwise (`self` is the mask, nonzero meaning true), broadcasting.
    #[track_caller]
    pub fn where_(&self, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        let shape = Shape::broadcast(
            "where_",
            &Shape::broadcast("where_", self.shape(), a.shape()),
            b.shape(),
        );
        let (m, a, b) = (
            self.broadcast_to(&shape),
            a.broadcast_to(&shape),
            b.broadcast_to(&shape),
        );
        m.zip3_map(&a, &b, |m, x, y| if m != T::ZERO { x } else { y })
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn binary(self, op: Binary, other: Var<'t, T>) -> Var<'t, T> {
        self.assert_same_tape(&[other], op.name());
        let value = op.apply(&self.tape.value(self.id), &other.tape.value(other.id));
        self.tape.push(Op::Binary(op), &[self.id, other.id], value)
    }

    /// 1 where `x cmp y` holds, else 0: a constant mask (no gradient flows through it).
    #[track_caller]
    pub fn compare(self, y: Var<'t, T>, cmp: Cmp) -> Var<'t, T> {
        self.assert_same_tape(&[y], "compare");
        let value = self.tape.value(self.id).compare(&y.tape.value(y.id), cmp);
        self.tape.constant(value)
    }
    /// Mask of x > y (constant).
    #[track_caller]
    pub fn gt(self, y: Var<'t, T>) -> Var<'t, T> {
        self.compare(y, Cmp::Gt)
    }
    /// Mask of x >= y (constant).
    #[track_caller]
    pub fn ge(self, y: Var<'t, T>) -> Var<'t, T> {
        self.compare(y, Cmp::Ge)
    }
    /// Mask of x < y (constant).
    #[track_caller]
    pub fn lt(self, y: Var<'t, T>) -> Var<'t, T> {
        self.compare(y, Cmp::Lt)
    }
    /// Mask of x <= y (constant).
    #[track_caller]
    pub fn le(self, y: Var<'t, T>) -> Var<'t, T> {
        self.compare(y, Cmp::Le)
    }
    /// Mask of x == y (constant).
    #[track_caller]
    pub fn eq(self, y: Var<'t, T>) -> Var<'t, T> {
        self.compare(y, Cmp::Eq)
    }
    /// 1 where `x cmp c` holds, else 0 (constant).
    #[track_caller]
    pub fn compare_scalar(self, c: T, cmp: Cmp) -> Var<'t, T> {
        let value = self.tape.value(self.id).compare_scalar(c, cmp);
        self.tape.constant(value)
    }
}

/// `mask ? a : b`, elementwise with broadcasting; `mask` is a constant (nonzero = true).
/// Gradients flow to `a` where the mask holds and to `b` elsewhere.
///
/// ```
/// use tape::{Cmp, Tape, Tensor, where_};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::from_vec(vec![-2.0, 3.0], [2]));
/// let y = where_(x.compare_scalar(0.0, Cmp::Gt), x * x, -x); // x^2 if x > 0 else -x
/// y.sum().backward();
/// assert_eq!(y.value().data(), &[2.0, 9.0]);
/// assert_eq!(x.grad().unwrap().data(), &[-1.0, 6.0]);
/// ```
#[track_caller]
pub fn where_<'t, T: Float>(mask: Var<'t, T>, a: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
    mask.assert_same_tape(&[a, b], "where_");
    let value = {
        let v = |x: Var<'t, T>| mask.tape.value(x.id);
        v(mask).where_(&v(a), &v(b))
    };
    // The mask never receives a gradient: the rule emits none for parent 0.
    mask.tape.push(Op::Where, &[mask.id, a.id, b.id], value)
}
