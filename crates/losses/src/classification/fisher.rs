//! The Fisher / LDA criterion (catalogue row C3), for one direction or several.

use tape::{Float, Tensor, Var};

use crate::linear::weight_column;
use crate::support::{assert_len, matrix_dims};

/// `tr(W^T S_B W)` and `tr(W^T S_W W)` for projections `W [d, m]`, written on the projected
/// data `p = X W` so the `d x d` scatter matrices are never formed:
/// `w^T S_W w = sum_i (p_i - pbar_{y_i})^2` and `w^T S_B w = sum_k n_k (pbar_k - pbar)^2`.
/// The callers have checked that `W` is `[d, m]` for `x [n, d]`.
fn scatter_traces<'t, T: Float>(
    op: &str,
    x: Var<'t, T>,
    w: Var<'t, T>,
    labels: &[usize],
) -> (Var<'t, T>, Var<'t, T>) {
    let (n, _) = matrix_dims(op, "x", x);
    assert_len(op, "labels", labels.len(), n);
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut counts = vec![0usize; classes];
    for &l in labels {
        counts[l] += 1;
    }
    let tape = x.tape();
    let count_column = |f: fn(usize) -> usize| {
        let data = counts.iter().map(|&c| T::from_usize(f(c))).collect();
        tape.constant(Tensor::from_vec(data, [classes, 1]))
    };
    // An empty class has n_k = 0, so its (zero) mean never matters; max(1) only avoids 0/0.
    let divisors = count_column(|c| c.max(1));
    let weights = count_column(|c| c);

    let p = x.matmul(w); // [n, m]
    let class_means = p.index_add(0, labels, classes) / divisors; // [K, m]
    let within = (p - class_means.index_select(0, labels)).square().sum();
    let grand_mean = p.mean_axis(0, true); // [1, m]
    let between = ((class_means - grand_mean).square() * weights).sum();
    (between, within)
}

/// The Fisher / LDA criterion, catalogue C3 (to be maximised):
/// `J(w) = (w^T S_B w) / (w^T S_W w)`, with `S_B = sum_k n_k (mu_k - mu)(mu_k - mu)^T` and
/// `S_W = sum_k sum_{x in k} (x - mu_k)(x - mu_k)^T`.
///
/// Shapes: `x [n, d]` (samples), `w [d]` or `[d, 1]` (one direction; the shapes every
/// linear-model objective accepts), `labels` `n` class indices; the number of classes is the
/// largest label plus one. Returns the scalar `J`; gradient ascent
/// maximises it (minimise `-J`). It is a ratio, not a batch sum, so it takes no reduction. Its
/// maximum is the top generalised eigenvalue of `(S_B, S_W)`.
///
/// ```
/// use losses::classification::fisher_ratio;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Two classes on the line: {0, 2} and {4, 6}.
/// let x = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 4.0, 6.0], [4, 1]));
/// let w = tape.var(Tensor::from_vec(vec![1.0], [1, 1]));
/// let j = fisher_ratio(x, w, &[0, 0, 1, 1]);
/// // class means 1 and 5, grand mean 3: S_B = 2 * 4 + 2 * 4 = 16, S_W = 4 * 1 = 4
/// assert_eq!(j.item(), 4.0);
/// // The same direction as a vector [d]:
/// let v = tape.var(Tensor::from_vec(vec![1.0], [1]));
/// assert_eq!(fisher_ratio(x, v, &[0, 0, 1, 1]).item(), 4.0);
/// ```
pub fn fisher_ratio<'t, T: Float>(x: Var<'t, T>, w: Var<'t, T>, labels: &[usize]) -> Var<'t, T> {
    let op = "fisher_ratio";
    let (_, d) = matrix_dims(op, "x", x);
    let ws = w.shape();
    // Several directions are fisher_trace_ratio's job: say so rather than only "[d] or [d, 1]".
    assert!(
        ws.rank() != 2 || ws.dims()[1] == 1 || ws.dims()[0] != d,
        "{op}: weights {ws} hold {} directions for inputs {}; fisher_ratio takes one ([{d}] or \
         [{d}, 1]), fisher_trace_ratio several",
        ws.dims()[1],
        x.shape()
    );
    let column = weight_column(op, x, w);
    let (between, within) = scatter_traces(op, x, column, labels);
    between / within
}

/// The trace-ratio form of the Fisher criterion for several directions, catalogue C3
/// (to be maximised): `tr(W^T S_B W) / tr(W^T S_W W)`.
///
/// Shapes: `x [n, d]`, `w [d, m]` (or `[d]` for one direction), `labels` `n` class indices.
/// Returns a scalar; with one direction it equals [`fisher_ratio`]. Not a batch sum: no reduction.
///
/// ```
/// use losses::classification::fisher_trace_ratio;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Classes separated along the first axis only: the second adds scatter but no separation.
/// let x = tape.constant(Tensor::from_vec(
///     vec![0.0, 1.0, 2.0, -1.0, 4.0, 1.0, 6.0, -1.0], [4, 2]));
/// let w = tape.var(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let j = fisher_trace_ratio(x, w, &[0, 0, 1, 1]);
/// // tr S_B = 16 + 0, tr S_W = 4 + 4
/// assert_eq!(j.item(), 2.0);
/// ```
pub fn fisher_trace_ratio<'t, T: Float>(
    x: Var<'t, T>,
    w: Var<'t, T>,
    labels: &[usize],
) -> Var<'t, T> {
    let op = "fisher_trace_ratio";
    let (_, d) = matrix_dims(op, "x", x);
    let ws = w.shape();
    let directions = match ws.dims() {
        [rows] if *rows == d => w.reshape([d, 1]),
        [rows, _] if *rows == d => w,
        _ => panic!(
            "{op}: weights {ws} do not fit inputs {}: expected directions [{d}, m] (or one \
             direction [{d}])",
            x.shape()
        ),
    };
    let (between, within) = scatter_traces(op, x, directions, labels);
    between / within
}
