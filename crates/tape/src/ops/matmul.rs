//! Matrix products, 2-D and batched 3-D, through a packed GEMM kernel. Transposed operands are
//! read in place through strides: no transpose is ever materialised, forward or backward.

use crate::Algebra;
use crate::gemm::{Epilogue, MatRef, gemm};
use crate::ops::Op;
use crate::{Float, Shape, Tensor, Var};

/// Rows and columns of `op(x)` for one matrix stored row-major as `[p, q]`.
fn view(p: usize, q: usize, transposed: bool) -> (usize, usize) {
    if transposed { (q, p) } else { (p, q) }
}

/// The result shape of `op(a) op(b)`, or a panic naming the operation and both shapes.
#[track_caller]
fn product_shape(
    op: &str,
    a: &Shape,
    b: &Shape,
    ta: bool,
    tb: bool,
) -> (usize, usize, usize, usize, Shape) {
    // A nested function, not a closure: it passes the caller's location on to the panic.
    #[track_caller]
    fn fail(op: &str, a: &Shape, b: &Shape, why: String) -> ! {
        panic!("{op}: {a} x {b}: {why}")
    }
    let (ra, rb) = (a.rank(), b.rank());
    if !(ra == 2 || ra == 3) || ra != rb {
        fail(
            op,
            a,
            b,
            format!(
                "expects two matrices or two batches of matrices (ranks 2 or 3), found ranks {ra} and {rb}"
            ),
        );
    }
    let batch = if ra == 3 {
        if a.dims()[0] != b.dims()[0] {
            fail(
                op,
                a,
                b,
                format!("batch sizes {} and {} differ", a.dims()[0], b.dims()[0]),
            );
        }
        a.dims()[0]
    } else {
        1
    };
    let (am, ak) = view(a.dims()[ra - 2], a.dims()[ra - 1], ta);
    let (bk, bn) = view(b.dims()[rb - 2], b.dims()[rb - 1], tb);
    if ak != bk {
        fail(op, a, b, format!("inner dimensions {ak} and {bk} differ"));
    }
    let out = if ra == 3 {
        Shape::new(&[batch, am, bn])
    } else {
        Shape::new(&[am, bn])
    };
    (batch, am, ak, bn, out)
}

/// Panics unless `bias` is `[n]` or `[1, n]`, naming the operation and all three shapes.
#[track_caller]
fn check_bias(op: &str, x: &Shape, w: &Shape, bias: &Shape, n: usize) {
    let fits = match bias.dims() {
        [len] | [1, len] => *len == n,
        _ => false,
    };
    assert!(
        fits,
        "{op}: {x} x {w} + {bias}: the bias must be [{n}] (or [1, {n}]), one value per column of the product"
    );
}

impl<T: Float> Tensor<T> {
    /// The matrix product (2-D), or the batched product of two `[batch, m, k]` / `[batch, k, n]`
    /// tensors.
    #[track_caller]
    pub fn matmul(&self, b: &Tensor<T>) -> Tensor<T> {
        self.matmul_t(b, false, false)
    }

    /// `op(a) op(b)`, where `op` transposes the last two axes when its flag is set. The
    /// transposed operand is read in place, never copied.
    #[track_caller]
    pub fn matmul_t(&self, b: &Tensor<T>, ta: bool, tb: bool) -> Tensor<T> {
        self.product(b, ta, tb, None, false)
    }

    /// `x W + b`: the matrix product (2-D, or batched) plus the bias `b` (`[n]` or `[1, n]`,
    /// `n` the product's columns) on every row. One pass: the bias is added as the product's
    /// tiles are stored.
    ///
    /// ```
    /// use tape::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], [1, 2]);
    /// let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]);
    /// let b = Tensor::from_vec(vec![10.0, 20.0], [2]);
    /// assert_eq!(x.linear(&w, &b).to_vec(), vec![11.0, 22.0]);
    /// ```
    ///
    /// Panics naming the shapes when the product is undefined or the bias does not match its
    /// columns.
    #[track_caller]
    pub fn linear(&self, w: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        self.product(w, false, false, Some(b), false)
    }

    /// `relu(x W + b)`: [`Tensor::linear`] with the ReLU applied as the tiles are stored.
    #[track_caller]
    pub fn linear_relu(&self, w: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        self.product(w, false, false, Some(b), true)
    }

    #[track_caller]
    fn product(
        &self,
        b: &Tensor<T>,
        ta: bool,
        tb: bool,
        bias: Option<&Tensor<T>>,
        relu: bool,
    ) -> Tensor<T> {
        let op = match (bias.is_some(), relu) {
            (false, _) => "matmul",
            (true, false) => "linear",
            (true, true) => "linear_relu",
        };
        let (batch, m, _, n, shape) = product_shape(op, self.shape(), b.shape(), ta, tb);
        if let Some(bias) = bias {
            check_bias(op, self.shape(), b.shape(), bias.shape(), n);
        }
        let epilogue = Epilogue {
            bias: bias.map(|t| t.data()),
            relu,
        };
        // `gemm` writes every element of `c`.
        let mut out = Tensor::stale(shape);
        let r = self.rank();
        let (ap, aq) = (self.dims()[r - 2], self.dims()[r - 1]);
        let (bp, bq) = (b.dims()[r - 2], b.dims()[r - 1]);
        let (ad, bd) = (self.data(), b.data());
        let c = out.data_mut();
        for i in 0..batch {
            let a_i = MatRef {
                data: &ad[i * ap * aq..(i + 1) * ap * aq],
                rows: ap,
                cols: aq,
                transposed: ta,
            };
            let b_i = MatRef {
                data: &bd[i * bp * bq..(i + 1) * bp * bq],
                rows: bp,
                cols: bq,
                transposed: tb,
            };
            gemm(a_i, b_i, epilogue, &mut c[i * m * n..(i + 1) * m * n]);
        }
        out
    }
}

/// The backward rule of `C = op(A) op(B)`, each gradient again a product with flags, so that
/// no transpose is materialised.
pub(crate) fn backward<T: Float, A: Algebra<T>>(
    ta: bool,
    tb: bool,
    a: &A,
    b: &A,
    g: &A,
    needs: &[bool],
    mut emit: impl FnMut(usize, A),
) {
    if needs[0] {
        // dA = G op(B)^T, or its transpose op(B) G^T when A was read transposed.
        emit(
            0,
            if ta {
                b.matmul_t(g, tb, true)
            } else {
                g.matmul_t(b, false, !tb)
            },
        );
    }
    if needs[1] {
        // dB = op(A)^T G, or its transpose G^T op(A) when B was read transposed.
        emit(
            1,
            if tb {
                g.matmul_t(a, true, ta)
            } else {
                a.matmul_t(g, !ta, false)
            },
        );
    }
}

/// The backward rule of `Y = X W + b` (or `Y = relu(X W + b)`): the product's rule for `X` and
/// `W`, and the column sums of the incoming gradient for `b`. With the ReLU, the gradient first
/// passes where `Y > 0`, which is where `X W + b > 0`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn linear_backward<T: Float, A: Algebra<T>>(
    relu: bool,
    x: &A,
    w: &A,
    b: &A,
    y: &A,
    g: &A,
    needs: &[bool],
    mut emit: impl FnMut(usize, A),
) {
    let masked;
    let g = if relu {
        masked = g.relu_grad(y);
        &masked
    } else {
        g
    };
    backward(false, false, x, w, g, &needs[..2], &mut emit);
    if needs[2] {
        emit(2, g.sum_to(&b.shape()));
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product (2-D), or the batched product of `[batch, m, k]` and `[batch, k, n]`.
    ///
    /// Shape mismatches panic with both shapes:
    /// `matmul: [128, 784] x [512, 10]: inner dimensions 784 and 512 differ`.
    #[track_caller]
    pub fn matmul(self, b: Var<'t, T>) -> Var<'t, T> {
        self.matmul_t(b, false, false)
    }

    /// `op(a) op(b)` where `op` transposes the last two axes when its flag is set; `x.matmul_t(w,
    /// false, true)` is `x w^T` without copying `w`.
    #[track_caller]
    pub fn matmul_t(self, b: Var<'t, T>, ta: bool, tb: bool) -> Var<'t, T> {
        self.assert_same_tape(&[b], "matmul");
        let value = self
            .tape
            .value(self.id)
            .matmul_t(&b.tape.value(b.id), ta, tb);
        self.tape
            .push(Op::MatMul { ta, tb }, &[self.id, b.id], value)
    }

    /// `x W + b`, a linear layer: the product of `[n, k]` and `[k, m]` plus the bias (`[m]`
    /// or `[1, m]`) on every row, recorded as one node. Same value and gradients as
    /// `x.matmul(w) + b`, with one pass over the output instead of two and one buffer
    /// instead of two.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0], [1, 2]));
    /// let w = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
    /// let b = tape.var(Tensor::from_vec(vec![10.0, 20.0], [2]));
    /// let y = x.linear(w, b).sum();
    /// y.backward();
    /// assert_eq!(y.item(), 33.0);
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    /// ```
    ///
    /// Panics naming the shapes when the product is undefined or the bias does not match.
    #[track_caller]
    pub fn linear(self, w: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
        self.record_linear(w, b, false)
    }

    /// `relu(x W + b)`, a hidden layer: [`Var::linear`] and the ReLU recorded as one node, the
    /// ReLU applied as the product's tiles are stored. Same value and gradients as
    /// `x.linear(w, b).relu()`, without the pre-activation's buffer.
    ///
    /// ```
    /// use tape::{Tape, Tensor};
    /// let tape = Tape::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0], [1, 2]));
    /// let w = tape.var(Tensor::from_vec(vec![1.0, -1.0, 1.0, -1.0], [2, 2]));
    /// let b = tape.var(Tensor::from_vec(vec![0.5, 0.5], [2]));
    /// let y = x.linear_relu(w, b);
    /// assert_eq!(y.value().to_vec(), vec![3.5, 0.0]); // [3.5, -2.5] through the ReLU
    /// y.sum().backward();
    /// assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 0.0, 2.0, 0.0]);
    /// assert_eq!(b.grad().unwrap().to_vec(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn linear_relu(self, w: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
        self.record_linear(w, b, true)
    }

    #[track_caller]
    fn record_linear(self, w: Var<'t, T>, b: Var<'t, T>, relu: bool) -> Var<'t, T> {
        self.assert_same_tape(&[w, b], if relu { "linear_relu" } else { "linear" });
        // The values are borrowed from the tape only for the product, not across `push`.
        let value = self.tape.value(self.id).product(
            &w.tape.value(w.id),
            false,
            false,
            Some(&b.tape.value(b.id)),
            relu,
        );
        self.tape
            .push(Op::Linear { relu }, &[self.id, w.id, b.id], value)
    }
}
