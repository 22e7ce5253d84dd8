//! Matrix products, 2-D and batched 3-D, through a packed GEMM kernel. Transposed operands are
//! read in place through strides: no transpose is ever materialised, forward or backward.

use crate::algebra::Algebra;
use crate::gemm::{MatRef, gemm};
use crate::ops::Op;
use crate::{Float, Shape, Tensor, Var};

/// Rows and columns of `op(x)` for one matrix stored row-major as `[p, q]`.
fn view(p: usize, q: usize, transposed: bool) -> (usize, usize) {
    if transposed { (q, p) } else { (p, q) }
}

/// The result shape of `op(a) op(b)`, or a panic naming both shapes.
fn product_shape(a: &Shape, b: &Shape, ta: bool, tb: bool) -> (usize, usize, usize, usize, Shape) {
    let fail = |why: String| -> ! { panic!("matmul: {a} x {b}: {why}") };
    let (ra, rb) = (a.rank(), b.rank());
    if !(ra == 2 || ra == 3) || ra != rb {
        fail(format!(
            "expects two matrices or two batches of matrices (ranks 2 or 3), found ranks {ra} and {rb}"
        ));
    }
    let batch = if ra == 3 {
        if a.dims()[0] != b.dims()[0] {
            fail(format!(
                "batch sizes {} and {} differ",
                a.dims()[0],
                b.dims()[0]
            ));
        }
        a.dims()[0]
    } else {
        1
    };
    let (am, ak) = view(a.dims()[ra - 2], a.dims()[ra - 1], ta);
    let (bk, bn) = view(b.dims()[rb - 2], b.dims()[rb - 1], tb);
    if ak != bk {
        fail(format!("inner dimensions {ak} and {bk} differ"));
    }
    let out = if ra == 3 {
        Shape::new(&[batch, am, bn])
    } else {
        Shape::new(&[am, bn])
    };
    (batch, am, ak, bn, out)
}

impl<T: Float> Tensor<T> {
    /// The matrix product (2-D), or the batched product of two `[batch, m, k]` / `[batch, k, n]`
    /// tensors.
    pub fn matmul(&self, b: &Tensor<T>) -> Tensor<T> {
        self.matmul_t(b, false, false)
    }

    /// `op(a) op(b)`, where `op` transposes the last two axes when its flag is set. The
    /// transposed operand is read in place, never copied.
    pub fn matmul_t(&self, b: &Tensor<T>, ta: bool, tb: bool) -> Tensor<T> {
        let (batch, m, _, n, shape) = product_shape(self.shape(), b.shape(), ta, tb);
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
            gemm(a_i, b_i, &mut c[i * m * n..(i + 1) * m * n]);
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

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product (2-D), or the batched product of `[batch, m, k]` and `[batch, k, n]`.
    ///
    /// Shape mismatches panic with both shapes:
    /// `matmul: [128, 784] x [512, 10]: inner dimensions 784 and 512 differ`.
    pub fn matmul(self, b: Var<'t, T>) -> Var<'t, T> {
        self.matmul_t(b, false, false)
    }

    /// `op(a) op(b)` where `op` transposes the last two axes when its flag is set; `x.matmul_t(w,
    /// false, true)` is `x w^T` without copying `w`.
    pub fn matmul_t(self, b: Var<'t, T>, ta: bool, tb: bool) -> Var<'t, T> {
        self.assert_same_tape(&[b], "matmul");
        let value = self
            .tape
            .value(self.id)
            .matmul_t(&b.tape.value(b.id), ta, tb);
        self.tape
            .push(Op::MatMul { ta, tb }, &[self.id, b.id], value)
    }
}
