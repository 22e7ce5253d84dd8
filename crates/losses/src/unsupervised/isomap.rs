//! Isomap (catalogue row U4): geodesic distances on the neighbour graph and the stress of an
//! embedding against them.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tape::{Float, Tensor, Var};

use super::{rows_of, squared_distance};
use crate::support::matrix_dims;
use crate::{Error, Reduction};

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
/// Shapes: `embedding [n, m]` (the low-dimensional `y`), `geodesic [n, n]` (the distances
/// `d_G`, e.g. from [`geodesic_distances`]), a `Var`: a constant (`tape.constant`) for a fixed
/// target, or a variable when the distances are themselves learned (each `d_G(i, j)`, `i < j`,
/// then receives `2 (d_G(i, j) - ||y_i - y_j||)`). Only the upper triangle `i < j` is read, so
/// a symmetric matrix counts each pair once, and the lower triangle and the diagonal receive no
/// gradient.
/// Distances use the safe `norm`, so coinciding embeddings give a zero (not NaN) gradient for
/// their pair. Per pair `(i, j)`, `i < j`, in row-major order: `(d_G(i, j) - ||y_i - y_j||)^2`.
/// `Sum` is the formula, `Mean` divides by the number of pairs `n(n-1)/2`, `None` returns the
/// `[n(n-1)/2]` per-pair values. Panics if `geodesic` holds a non-finite distance (a
/// disconnected graph), rather than returning an infinite stress.
///
/// ```
/// use losses::{Reduction, unsupervised::isomap_stress};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let geodesic = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 2.0, 0.0], [2, 2]));
/// let y = tape.var(Tensor::from_vec(vec![0.0, 0.0, 3.0, 4.0], [2, 2]));
/// let stress = isomap_stress(y, geodesic, Reduction::Sum);
/// stress.backward();
/// assert_eq!(stress.item(), 9.0); // (2 - 5)^2
/// // The gradient pulls the two points together: 2 (5 - 2) (y_0 - y_1) / 5 for y_0.
/// let g = y.grad().unwrap();
/// for (got, want) in g.data().iter().zip([-3.6, -4.8, 3.6, 4.8]) {
///     assert!((got - want).abs() < 1e-12);
/// }
/// ```
pub fn isomap_stress<'t, T: Float>(
    embedding: Var<'t, T>,
    geodesic: Var<'t, T>,
    reduction: Reduction,
) -> Var<'t, T> {
    let op = "isomap_stress";
    let (n, _) = matrix_dims(op, "embedding", embedding);
    assert!(
        geodesic.shape().dims() == [n, n],
        "{op}: geodesic distances {} must be [{n}, {n}] for embedding {}",
        geodesic.shape(),
        embedding.shape()
    );
    let distances = geodesic.value();
    if let Some(bad) = distances.data().iter().position(|v| !v.is_finite()) {
        panic!(
            "{op}: geodesic distance ({}, {}) is {}; the neighbour graph is disconnected (geodesic_distances reports this as an error)",
            bad / n,
            bad % n,
            distances.data()[bad]
        );
    }
    assert!(n >= 2, "{op}: the stress needs at least two points");
    let (first, second): (Vec<usize>, Vec<usize>) =
        (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).unzip();
    let upper: Vec<usize> = first
        .iter()
        .zip(&second)
        .map(|(&i, &j)| i * n + j)
        .collect();
    let target = geodesic.reshape([n * n]).index_select(0, &upper);
    let diff = embedding.index_select(0, &first) - embedding.index_select(0, &second);
    reduction.apply((diff.norm(Some(1), false) - target).square())
}
