//! Unsupervised objectives (catalogue rows U1-U4): the data are their own target.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tape::{Float, Tensor, Var};

use crate::support::{assert_same_shape, matrix_dims, per_sample};
use crate::{Error, Reduction};

/// Checks a data tensor is `[n, d]` and returns `(n, d)`.
fn rows_of<T: Float>(op: &str, what: &str, x: &Tensor<T>) -> (usize, usize) {
    let dims = x.dims();
    assert!(
        dims.len() == 2,
        "{op}: {what} must be a matrix [n, d], found {}",
        x.shape()
    );
    (dims[0], dims[1])
}

fn squared_distance<T: Float>(a: &[T], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x.to_f64() - y.to_f64();
            d * d
        })
        .sum()
}

/// The k-means assignment step, catalogue U1: the index of the nearest centre of each point,
/// `argmin_k ||x_i - mu_k||^2` (the lowest index on ties).
///
/// Shapes: `points [n, d]`, `centers [k, d]`; returns `n` indices. Not differentiable: this is
/// the discrete half of Lloyd's algorithm that [`kmeans_objective`] runs before its graph.
///
/// ```
/// use losses::unsupervised::kmeans_assign;
/// use tape::Tensor;
/// let points = Tensor::from_vec(vec![0.0, 0.1, 5.0, 4.0], [4, 1]);
/// let centers = Tensor::from_vec(vec![0.0, 4.5], [2, 1]);
/// assert_eq!(kmeans_assign(&points, &centers), vec![0, 0, 1, 1]);
/// ```
pub fn kmeans_assign<T: Float>(points: &Tensor<T>, centers: &Tensor<T>) -> Vec<usize> {
    let op = "kmeans_assign";
    let (_, d) = rows_of(op, "points", points);
    let (k, dc) = rows_of(op, "centers", centers);
    assert!(
        d == dc && k > 0,
        "{op}: points {} and centers {} must be [n, d] and [k >= 1, d]",
        points.shape(),
        centers.shape()
    );
    points
        .data()
        .chunks_exact(d.max(1))
        .map(|x| {
            let mut best = (0, f64::INFINITY);
            for (j, c) in centers.data().chunks_exact(d.max(1)).enumerate() {
                let dist = squared_distance(x, c);
                if dist < best.1 {
                    best = (j, dist);
                }
            }
            best.0
        })
        .collect()
}

/// The k-means objective, catalogue U1: `sum_k sum_{x in S_k} ||x - mu_k||^2`, with `S_k` the
/// points whose nearest centre is `mu_k`.
///
/// Shapes: `points [n, d]`, `centers [k, d]`. The assignment is computed from the current values
/// by [`kmeans_assign`] (a non-differentiable argmin); the objective is then differentiable in
/// the centres (and the points). Per sample: `||x_i - mu_{a_i}||^2`. `Sum` is the formula,
/// `Mean` divides by `n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, unsupervised::kmeans_objective};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 10.0], [3, 1]));
/// let mu = tape.var(Tensor::from_vec(vec![0.0, 9.0], [2, 1]));
/// let loss = kmeans_objective(x, mu, Reduction::Sum); // 0 + 4 + 1
/// loss.backward();
/// assert_eq!(loss.item(), 5.0);
/// assert_eq!(mu.grad().unwrap().data(), &[-4.0, -2.0]); // 2 sum (mu - x)
/// ```
pub fn kmeans_objective<'t, T: Float>(
    points: Var<'t, T>,
    centers: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let assignment = kmeans_assign(&points.value(), &centers.value());
    let nearest = centers.index_select(0, &assignment);
    reduction.apply((points - nearest).square().sum_axis(1, false))
}

/// PCA as reconstruction error, catalogue U2: `(1/n) sum_i ||x_i - E E^T x_i||^2` over centred
/// `x`, for `E [d, k]` meant to satisfy `E^T E = I`.
///
/// Shapes: `x [n, d]` (centred inside: the column means are subtracted, so raw data is fine),
/// `e [d, k]`. Per sample: `||x_i - E E^T x_i||^2`. `Mean` is the formula, `Sum` drops the
/// `1/n`, `None` returns `[n]`. At the optimum (the top `k` eigenvectors of the covariance) the
/// `Sum` value is `n` times the sum of the trailing `d - k` eigenvalues of the (biased)
/// covariance. Add [`orthonormality_penalty`] to keep `E` orthonormal under gradient descent.
///
/// ```
/// use losses::{Reduction, unsupervised::pca_reconstruction};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// // Centred points (1, 2), (-1, -2); E keeps the first axis, so the second is the error.
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, -1.0, -2.0], [2, 2]));
/// let e = tape.var(Tensor::from_vec(vec![1.0, 0.0], [2, 1]));
/// assert_eq!(pca_reconstruction(x, e, Reduction::Mean).item(), 4.0);
/// ```
pub fn pca_reconstruction<'t, T: Float>(
    x: Var<'t, T>,
    e: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "pca_reconstruction";
    let (_, d) = matrix_dims(op, "x", x);
    let (de, _) = matrix_dims(op, "e", e);
    assert!(
        de == d,
        "{op}: basis {} does not fit data {}: expected [{d}, k]",
        e.shape(),
        x.shape()
    );
    let centred = x - x.mean_axis(0, true);
    let reconstruction = centred.matmul(e).matmul_t(e, false, true);
    reduction.apply((centred - reconstruction).square().sum_axis(1, false))
}

/// The orthonormality penalty for PCA, catalogue U2: `||E^T E - I||_F^2`.
///
/// Shape: `e [d, k]`; returns a scalar, zero exactly when the columns of `E` are orthonormal.
///
/// ```
/// use losses::unsupervised::orthonormality_penalty;
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let e = tape.var(Tensor::from_vec(vec![2.0, 0.0, 0.0, 1.0], [2, 2]));
/// assert_eq!(orthonormality_penalty(e).item(), 9.0); // (4 - 1)^2
/// ```
pub fn orthonormality_penalty<'t, T: Float>(e: Var<'t, T>) -> Var<'t, T> {
    let (_, k) = matrix_dims("orthonormality_penalty", "e", e);
    let identity = e.tape().constant(Tensor::from_fn([k, k], |i| {
        if i / k == i % k { T::ONE } else { T::ZERO }
    }));
    (e.matmul_t(e, true, false) - identity).square().sum()
}

/// The autoencoder's reconstruction error, catalogue U3: `(1/n) sum_i ||x_i - g(h(x_i))||^2`.
///
/// Shapes: `input [n, ...]` and `reconstruction` (the decoder's output `g(h(x))`) of the same
/// shape; the label is the input itself. Per sample: `||x_i - g(h(x_i))||^2`. `Mean` is the
/// formula, `Sum` drops the `1/n`, `None` returns `[n]`.
///
/// ```
/// use losses::{Reduction, unsupervised::autoencoder_reconstruction};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], [2, 2]));
/// let w = tape.var(Tensor::from_vec(vec![0.5, 0.5], [2, 1]));
/// // A one-unit linear autoencoder with tied weights: h = x w, g(h) = h w^T.
/// let reconstruction = x.matmul(w).matmul_t(w, false, true);
/// let loss = autoencoder_reconstruction(x, reconstruction, Reduction::Mean);
/// assert_eq!(loss.item(), 0.625); // each row: 0.75^2 + 0.25^2
/// ```
pub fn autoencoder_reconstruction<'t, T: Float>(
    input: Var<'t, T>,
    reconstruction: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "autoencoder_reconstruction";
    assert_same_shape(
        op,
        "input",
        &input.shape(),
        "reconstruction",
        &reconstruction.shape(),
    );
    reduction.apply(per_sample(op, (input - reconstruction).square()))
}

/// A Dijkstra queue entry: tentative distance and node (`f64` has no total order of its own).
#[derive(PartialEq)]
struct Frontier(f64, usize);

impl Eq for Frontier {}

impl PartialOrd for Frontier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Frontier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// Shortest-path distances from `source` over weighted adjacency lists.
fn dijkstra(neighbours: &[Vec<(usize, f64)>], source: usize, out: &mut [f64]) {
    out.fill(f64::INFINITY);
    out[source] = 0.0;
    let mut queue = BinaryHeap::new();
    queue.push(Reverse(Frontier(0.0, source)));
    while let Some(Reverse(Frontier(d, u))) = queue.pop() {
        if d > out[u] {
            continue; // a stale entry: u was reached more cheaply since
        }
        for &(v, w) in &neighbours[u] {
            let via = d + w;
            if via < out[v] {
                out[v] = via;
                queue.push(Reverse(Frontier(via, v)));
            }
        }
    }
}

/// Connected components by depth-first search: a component label per node.
fn components(neighbours: &[Vec<(usize, f64)>]) -> (usize, Vec<usize>) {
    let mut label = vec![usize::MAX; neighbours.len()];
    let mut count = 0;
    for start in 0..neighbours.len() {
        if label[start] != usize::MAX {
            continue;
        }
        let mut stack = vec![start];
        label[start] = count;
        while let Some(u) = stack.pop() {
            for &(v, _) in &neighbours[u] {
                if label[v] == usize::MAX {
                    label[v] = count;
                    stack.push(v);
                }
            }
        }
        count += 1;
    }
    (count, label)
}

/// Geodesic distances for Isomap, catalogue U4: shortest-path lengths `d_G(i, j)` on the
/// symmetric k-nearest-neighbour graph with Euclidean edge weights (Dijkstra from every point).
///
/// Each point is joined to its `k` nearest other points (ties broken by index) and the edges are
/// made undirected, so `j` is a neighbour of `i` when either picked the other. Shape: `points
/// [n, d]`; returns the symmetric `[n, n]` matrix. Errors: [`Error::InvalidNeighbourCount`]
/// unless `1 <= k < n`, and [`Error::DisconnectedGraph`] when some pair has no path (an infinite
/// distance would otherwise poison the stress); a larger `k` usually connects the graph.
///
/// ```
/// use losses::unsupervised::geodesic_distances;
/// use tape::Tensor;
/// // An L-shaped path: the geodesic between its ends follows the corner (4, not 2 sqrt 2).
/// let points = Tensor::from_vec(vec![0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 2.0, 0.0], [5, 2]);
/// let d = geodesic_distances(&points, 2).unwrap();
/// assert_eq!(d.at(&[0, 4]), 4.0);
/// // Two far-apart pairs cannot be joined with one neighbour each.
/// let apart = Tensor::from_vec(vec![0.0, 1.0, 100.0, 101.0], [4, 1]);
/// assert!(geodesic_distances(&apart, 1).is_err());
/// ```
pub fn geodesic_distances<T: Float>(points: &Tensor<T>, k: usize) -> Result<Tensor<T>, Error> {
    let (n, d) = rows_of("geodesic_distances", "points", points);
    if k == 0 || k >= n {
        return Err(Error::InvalidNeighbourCount { k, points: n });
    }
    let rows: Vec<&[T]> = (0..n).map(|i| &points.data()[i * d..(i + 1) * d]).collect();
    let mut edge = vec![f64::INFINITY; n * n]; // edge[i * n + j]: weight, or inf if no edge
    for i in 0..n {
        let mut others: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (squared_distance(rows[i], rows[j]).sqrt(), j))
            .collect();
        others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(w, j) in &others[..k] {
            edge[i * n + j] = w;
            edge[j * n + i] = w;
        }
    }
    let neighbours: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| edge[i * n + j].is_finite())
                .map(|j| (j, edge[i * n + j]))
                .collect()
        })
        .collect();

    let (count, label) = components(&neighbours);
    if count > 1 {
        let other = label.iter().position(|&c| c != label[0]).unwrap_or(0);
        return Err(Error::DisconnectedGraph {
            k,
            components: count,
            unreachable: (0, other),
        });
    }
    let mut distances = vec![0.0; n * n];
    for (source, row) in distances.chunks_exact_mut(n).enumerate() {
        dijkstra(&neighbours, source, row);
    }
    Ok(Tensor::from_vec(
        distances.into_iter().map(T::from_f64).collect(),
        [n, n],
    ))
}

/// Isomap's geodesic stress, catalogue U4: `sum_{i<j} (d_G(i, j) - ||y_i - y_j||)^2`.
///
/// Shapes: `embedding [n, m]` (the low-dimensional `y`), `geodesic [n, n]` (from
/// [`geodesic_distances`]). Distances use the safe `norm`, so coinciding embeddings give a zero
/// (not NaN) gradient for their pair. Per pair `(i, j)`, `i < j`, in row-major order:
/// `(d_G(i, j) - ||y_i - y_j||)^2`. `Sum` is the formula, `Mean` divides by the number of pairs
/// `n(n-1)/2`, `None` returns the `[n(n-1)/2]` per-pair values. Panics if `geodesic` holds a
/// non-finite distance (a disconnected graph), rather than returning an infinite stress.
///
/// ```
/// use losses::{Reduction, unsupervised::isomap_stress};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let geodesic = Tensor::from_vec(vec![0.0, 2.0, 2.0, 0.0], [2, 2]);
/// let y = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0], [2, 2]));
/// let stress = isomap_stress(y, &geodesic, Reduction::Sum);
/// assert_eq!(stress.item(), 9.0); // (2 - 5)^2
/// ```
pub fn isomap_stress<'t, T: Float>(
    embedding: Var<'t, T>,
    geodesic: &Tensor<T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "isomap_stress";
    let (n, _) = matrix_dims(op, "embedding", embedding);
    assert!(
        geodesic.dims() == [n, n],
        "{op}: geodesic distances {} must be [{n}, {n}] for embedding {}",
        geodesic.shape(),
        embedding.shape()
    );
    if let Some(bad) = geodesic.data().iter().position(|v| !v.is_finite()) {
        panic!(
            "{op}: geodesic distance ({}, {}) is {}; the neighbour graph is disconnected (geodesic_distances reports this as an error)",
            bad / n,
            bad % n,
            geodesic.data()[bad]
        );
    }
    assert!(n >= 2, "{op}: the stress needs at least two points");
    let (first, second): (Vec<usize>, Vec<usize>) =
        (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).unzip();
    let target: Vec<T> = first
        .iter()
        .zip(&second)
        .map(|(&i, &j)| geodesic.data()[i * n + j])
        .collect();
    let target = embedding
        .tape()
        .constant(Tensor::from_vec(target, [first.len()]));
    let diff = embedding.index_select(0, &first) - embedding.index_select(0, &second);
    reduction.apply((diff.norm(Some(1), false) - target).square())
}
