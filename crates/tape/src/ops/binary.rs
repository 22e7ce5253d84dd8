//! Elementwise functions of two tensors with NumPy broadcasting, comparisons, and `where_`.

use crate::algebra::Algebra;
use crate::ops::Op;
use crate::storage::INLINE;
use crate::{Float, Shape, Tensor, Var};

/// An elementwise function of two broadcast operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

/// A comparison; its result is a constant mask of 1s and 0s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// x > y
    Gt,
    /// x >= y
    Ge,
    /// x < y
    Lt,
    /// x <= y
    Le,
    /// x == y
    Eq,
}

impl Cmp {
    #[inline(always)]
    pub(crate) fn holds<T: Float>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Eq => x == y,
        }
    }
}

/// 1 or 0.
#[inline(always)]
fn one_if<T: Float>(holds: bool) -> T {
    if holds { T::ONE } else { T::ZERO }
}

impl Binary {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Max => "maximum",
            Binary::Min => "minimum",
        }
    }

    /// The function at one pair of numbers.
    #[inline(always)]
    pub(crate) fn eval<T: Float>(self, x: T, y: T) -> T {
        match self {
            Binary::Add => x + y,
            Binary::Sub => x - y,
            Binary::Mul => x * y,
            Binary::Div => x / y,
            Binary::Max => {
                if x >= y {
                    x
                } else {
                    y
                }
            }
            Binary::Min => {
                if x <= y {
                    x
                } else {
                    y
                }
            }
        }
    }

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

crate::kernel! {
    /// The forward kernels: one loop per variant, so that each vectorises.
    fn binary_kernel<T: Float>(op: Binary, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        use Binary::*;
        let name = op.name();
        match op {
            Add => a.zip_map_inlined(b, name, |x, y| Add.eval(x, y)),
            Sub => a.zip_map_inlined(b, name, |x, y| Sub.eval(x, y)),
            Mul => a.zip_map_inlined(b, name, |x, y| Mul.eval(x, y)),
            Div => a.zip_map_inlined(b, name, |x, y| Div.eval(x, y)),
            Max => a.zip_map_inlined(b, name, |x, y| Max.eval(x, y)),
            Min => a.zip_map_inlined(b, name, |x, y| Min.eval(x, y)),
        }
    }
}

/// The backward rule. Gradients of broadcast operands are summed back to their own shape.
// Always inlined: the scalar tape calls it once per node (see `unary::backward`).
#[inline(always)]
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    op: Binary,
    a: &A,
    b: &A,
    y: &A,
    g: &A,
    needs: &[bool],
    mut emit: impl FnMut(usize, A),
) {
    let (ga, gb) = match op {
        Binary::Add => (needs[0].then(|| g.clone()), needs[1].then(|| g.clone())),
        Binary::Sub => (needs[0].then(|| g.clone()), needs[1].then(|| g.neg())),
        Binary::Mul => (needs[0].then(|| g.mul(b)), needs[1].then(|| g.mul(a))),
        Binary::Div => (
            needs[0].then(|| g.div(b)),
            needs[1].then(|| g.mul(y).div(b).neg()),
        ),
        // Ties send the gradient to `a`.
        Binary::Max => (
            needs[0].then(|| g.mul(&a.cmp(b, Cmp::Ge))),
            needs[1].then(|| g.mul(&b.cmp(a, Cmp::Gt))),
        ),
        Binary::Min => (
            needs[0].then(|| g.mul(&a.cmp(b, Cmp::Le))),
            needs[1].then(|| g.mul(&b.cmp(a, Cmp::Lt))),
        ),
    };
    if let Some(ga) = ga {
        emit(0, ga.sum_to(&a.shape()));
    }
    if let Some(gb) = gb {
        emit(1, gb.sum_to(&b.shape()));
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

// The operators delegate to these named methods, which read better in method chains.
#[allow(clippy::should_implement_trait)]
impl<T: Float> Tensor<T> {
    /// x + y, broadcasting.
    #[track_caller]
    pub fn add(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Add.apply(self, y)
    }
    /// x - y, broadcasting.
    #[track_caller]
    pub fn sub(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Sub.apply(self, y)
    }
    /// x * y, broadcasting.
    #[track_caller]
    pub fn mul(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Mul.apply(self, y)
    }
    /// x / y, broadcasting.
    #[track_caller]
    pub fn div(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Div.apply(self, y)
    }
    /// The elementwise maximum, broadcasting.
    #[track_caller]
    pub fn maximum(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Max.apply(self, y)
    }
    /// The elementwise minimum, broadcasting.
    #[track_caller]
    pub fn minimum(&self, y: &Tensor<T>) -> Tensor<T> {
        Binary::Min.apply(self, y)
    }
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

#[allow(clippy::should_implement_trait)]
impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn binary(self, op: Binary, other: Var<'t, T>) -> Var<'t, T> {
        self.assert_same_tape(&[other], op.name());
        let value = op.apply(&self.tape.value(self.id), &other.tape.value(other.id));
        self.tape.push(Op::Binary(op), &[self.id, other.id], value)
    }

    /// x + y, broadcasting (also the `+` operator).
    #[track_caller]
    pub fn add(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Add, y)
    }
    /// x - y, broadcasting (also the `-` operator).
    #[track_caller]
    pub fn sub(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Sub, y)
    }
    /// x * y, broadcasting (also the `*` operator).
    #[track_caller]
    pub fn mul(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Mul, y)
    }
    /// x / y, broadcasting (also the `/` operator).
    #[track_caller]
    pub fn div(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Div, y)
    }
    /// The elementwise maximum, broadcasting (ties send the gradient to `self`).
    #[track_caller]
    pub fn maximum(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Max, y)
    }
    /// The elementwise minimum, broadcasting (ties send the gradient to `self`).
    #[track_caller]
    pub fn minimum(self, y: Var<'t, T>) -> Var<'t, T> {
        self.binary(Binary::Min, y)
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
