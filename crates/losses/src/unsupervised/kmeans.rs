//! k-means (catalogue row U1): k-means++ seeding, the assignment step, and the objective.

use rand::{Rng, RngExt};
use tape::{Float, Tensor, Var};

use super::{rows_of, squared_distance};
use crate::Reduction;

/// k-means++ seeding (Arthur and Vassilvitskii, 2007): `k` starting centres chosen among the
/// points, the first uniformly, each next one with probability proportional to its squared
/// distance `D(x)^2` to the nearest centre chosen so far.
///
/// Shapes: `points [n, d]` for any dimension `d`; returns the centres `[k, d]` (copies of
/// `k` rows of `points`). Needs `1 <= k <= n`. All randomness comes from `rng`, so a seeded
/// generator (`StdRng::seed_from_u64`) gives the same centres on every run. The expected
/// objective of the seeding alone is within `8 (ln k + 2)` of the optimum; Lloyd's algorithm or
/// gradient descent on [`kmeans_objective`] then refines it. Points that coincide with a chosen
/// centre have weight 0 and are not picked again, unless fewer than `k` distinct points exist.
///
/// ```
/// use losses::unsupervised::{kmeans_assign, kmeans_plus_plus};
/// use rand::SeedableRng;
/// use rand::rngs::StdRng;
/// use tape::Tensor;
/// // Three tight groups in 3-D.
/// let points = Tensor::from_vec(
///     vec![
///         0.0, 0.0, 0.0, 0.1, 0.0, 0.0, //
///         9.0, 9.0, 9.0, 9.0, 9.1, 9.0, //
///         0.0, 9.0, 0.0, 0.0, 9.0, 0.1,
///     ],
///     [6, 3],
/// );
/// let centres = kmeans_plus_plus(&points, 3, &mut StdRng::seed_from_u64(7));
/// assert_eq!(centres.dims(), &[3, 3]);
/// // Far-apart groups each receive a centre, so every group has its own cluster.
/// let assignment = kmeans_assign(&points, &centres);
/// assert_eq!(assignment[0], assignment[1]);
/// assert_eq!(assignment[2], assignment[3]);
/// assert_eq!(assignment[4], assignment[5]);
/// assert!(assignment[0] != assignment[2] && assignment[2] != assignment[4]);
/// // The same seed gives the same centres.
/// assert_eq!(kmeans_plus_plus(&points, 3, &mut StdRng::seed_from_u64(7)), centres);
/// ```
pub fn kmeans_plus_plus<T: Float, R: Rng + ?Sized>(
    points: &Tensor<T>,
    k: usize,
    rng: &mut R,
) -> Tensor<T> {
    let op = "kmeans_plus_plus";
    let (n, d) = rows_of(op, "points", points);
    assert!(
        (1..=n).contains(&k),
        "{op}: k = {k} centres for points {}: k must be between 1 and the number of points",
        points.shape()
    );
    let row = |i: usize| &points.data()[i * d..(i + 1) * d];
    let mut chosen = vec![rng.random_range(0..n)];
    // D(x)^2 for every point, lowered as each centre is added.
    let mut nearest = vec![f64::INFINITY; n];
    while chosen.len() < k {
        let latest = row(chosen[chosen.len() - 1]);
        for (i, best) in nearest.iter_mut().enumerate() {
            *best = best.min(squared_distance(row(i), latest));
        }
        let total = nearest.iter().sum::<f64>();
        let pick = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            // Zero-weight points (the chosen centres themselves) are never drawn; rounding that
            // leaves the target just above 0 after the last point falls back to the last point
            // with a positive weight.
            nearest
                .iter()
                .position(|&w| {
                    target -= w;
                    w > 0.0 && target <= 0.0
                })
                .or_else(|| nearest.iter().rposition(|&w| w > 0.0))
                .expect("a positive total has a positive weight")
        } else {
            // Every point coincides with a chosen centre: fewer than k distinct points.
            rng.random_range(0..n)
        };
        chosen.push(pick);
    }
    let data = chosen
        .iter()
        .flat_map(|&i| row(i).iter().copied())
        .collect();
    Tensor::from_vec(data, [k, d])
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
    assign_in("kmeans_assign", points, centers)
}

/// [`kmeans_assign`] with the panic messages naming `op`.
fn assign_in<T: Float>(op: &str, points: &Tensor<T>, centers: &Tensor<T>) -> Vec<usize> {
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

/// The k-means objective with the assignment it was computed for: what
/// [`kmeans_objective`] returns.
#[derive(Clone, Debug)]
pub struct KMeansObjective<'t, T: Float> {
    /// The objective: a scalar under `Mean` and `Sum`, the `[n]` per-point terms under `None`.
    pub loss: Var<'t, T>,
    /// The index of each point's nearest centre, `a_i`, as [`kmeans_assign`] computes it from
    /// the values the objective was recorded with.
    pub assignment: Vec<usize>,
}

/// The k-means objective, catalogue U1: `sum_k sum_{x in S_k} ||x - mu_k||^2`, with `S_k` the
/// points whose nearest centre is `mu_k`; returned with the assignment.
///
/// Shapes: `points [n, d]`, `centers [k, d]`. The assignment `a_i` is computed from the current
/// values by [`kmeans_assign`] (a non-differentiable argmin) and returned beside the loss, so a
/// loop can stop when it no longer changes, or report the clusters, without a second pass; the
/// objective is then differentiable in the centres (and the points). Per sample:
/// `||x_i - mu_{a_i}||^2`, gradient `2 (mu_k - x_i)` for the centre `mu_k = mu_{a_i}`. `Sum` is
/// the formula, `Mean` divides by `n`, `None` returns `[n]`. Start from
/// [`kmeans_plus_plus`].
///
/// ```
/// use losses::{Reduction, unsupervised::kmeans_objective};
/// use tape::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::from_vec(vec![0.0, 2.0, 10.0], [3, 1]));
/// let mu = tape.var(Tensor::from_vec(vec![0.0, 9.0], [2, 1]));
/// let objective = kmeans_objective(x, mu, Reduction::Sum); // 0 + 4 + 1
/// assert_eq!(objective.assignment, vec![0, 0, 1]);
/// objective.loss.backward();
/// assert_eq!(objective.loss.item(), 5.0);
/// assert_eq!(mu.grad().unwrap().data(), &[-4.0, -2.0]); // 2 sum (mu - x)
/// ```
pub fn kmeans_objective<'t, T: Float>(
    points: Var<'t, T>,
    centers: Var<'t, T>,
    reduction: Reduction,
) -> KMeansObjective<'t, T> {
    let assignment = assign_in("kmeans_objective", &points.value(), &centers.value());
    let nearest = centers.index_select(0, &assignment);
    let loss = reduction.apply((points - nearest).square().sum_axis(1, false));
    KMeansObjective { loss, assignment }
}
