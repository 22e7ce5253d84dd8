//! The neighbour-graph check: finds the points whose nearest neighbours jump across a gap of
//! the rolled-up sheet (short circuits), looking only at the points.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tape::Tensor;
use train::synth::SwissRoll;

/// Pairs whose graph distance is under half their true distance along the sheet: the mark of
/// a short-circuit edge between two layers of the roll.
///
/// The sheet distance of points `(t, h)` on the roll `(t cos t, h, t sin t)` is
/// `sqrt((s(t_i) - s(t_j))^2 + (h_i - h_j)^2)`, with the spiral's arc length `s(t)`
/// ([`SwissRoll::arc_length`]).
pub fn short_circuit_pairs(geodesic: &Tensor<f64>, unrolled: &Tensor<f64>) -> usize {
    let sheet: Vec<(f64, f64)> = unrolled
        .data()
        .chunks_exact(2)
        .map(|r| (SwissRoll::arc_length(r[0]), r[1]))
        .collect();
    let n = sheet.len();
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .filter(|&(i, j)| {
            let along = (sheet[i].0 - sheet[j].0).hypot(sheet[i].1 - sheet[j].1);
            // Noise moves points by about 0.1, so only pairs a unit or more apart count.
            along > 1.0 && geodesic.data()[i * n + j] < 0.5 * along
        })
        .count()
}

/// Edges shorter than this many typical neighbourhood radii are not examined for short circuits.
const SHORT_CIRCUIT_MIN_LENGTH: f64 = 1.5;

/// An examined edge is a short circuit unless shorter edges join its ends within this many times
/// its length.
const SHORT_CIRCUIT_DETOUR: f64 = 5.0;

/// Each point's `k` nearest other points with their distances, nearest first (ties broken by
/// index): the choices from which `geodesic_distances` builds its graph.
fn nearest_neighbours(points: &Tensor<f64>, k: usize) -> Vec<Vec<(usize, f64)>> {
    let rows: Vec<&[f64]> = points.data().chunks_exact(points.dims()[1]).collect();
    let distance = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt()
    };
    rows.iter()
        .enumerate()
        .map(|(i, a)| {
            let mut others: Vec<(usize, f64)> = rows
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, b)| (j, distance(a, b)))
                .collect();
            others.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
            others.truncate(k);
            others
        })
        .collect()
}

/// The length of the shortest path from `from` to `to` in `graph` (adjacency lists), or
/// `None` if every path is longer than `limit`.
fn path_within(graph: &[Vec<(usize, f64)>], from: usize, to: usize, limit: f64) -> Option<f64> {
    let mut best = vec![f64::INFINITY; graph.len()];
    best[from] = 0.0;
    // Non-negative floats order like their bit patterns, which (unlike f64) are `Ord`.
    let mut queue = BinaryHeap::from([Reverse((0f64.to_bits(), from))]);
    while let Some(Reverse((bits, node))) = queue.pop() {
        let distance = f64::from_bits(bits);
        if node == to {
            return Some(distance);
        }
        if distance > best[node] {
            continue;
        }
        for &(next, length) in &graph[node] {
            let through = distance + length;
            if through <= limit && through < best[next] {
                best[next] = through;
                queue.push(Reverse((through.to_bits(), next)));
            }
        }
    }
    None
}

/// The neighbour-graph check: the points whose own `k` nearest neighbours include a short
/// circuit, an edge that jumps across a gap of the manifold (here: from one turn of the roll to
/// the next). It looks only at the points, never at the true coordinates.
///
/// The edges of the k-nearest-neighbour graph are examined from the shortest up, each against
/// the graph of the shorter edges accepted so far. An edge longer than
/// [`SHORT_CIRCUIT_MIN_LENGTH`] typical neighbourhood radii (the median distance of a point to
/// its `k`-th neighbour) is a short circuit when that graph does not join its ends within
/// [`SHORT_CIRCUIT_DETOUR`] times its length. On the sheet, shorter edges always offer such a
/// detour (at most 4.4 times the length on 300 rolls), while a short circuit between two turns
/// skips a whole turn (a detour of 7.7 times its length or more at the roll's tight inner end).
/// Shorter edges are not examined: among yet shorter edges a path can wander far even on the
/// sheet, and a gap narrower than the typical radius would defeat Isomap everywhere, not only
/// at the corners. A short circuit is left out of the graph, so when several run side by side
/// the next one is caught too.
pub fn short_circuit_points(points: &Tensor<f64>, k: usize) -> Vec<usize> {
    let choices = nearest_neighbours(points, k);
    let n = choices.len();
    let mut radii: Vec<f64> = choices
        .iter()
        .filter_map(|c| c.last())
        .map(|c| c.1)
        .collect();
    radii.sort_by(f64::total_cmp);
    let typical_radius = radii.get(n / 2).copied().unwrap_or(0.0);
    let mut edges: Vec<(f64, usize, usize)> = choices
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.iter().map(move |&(j, w)| (w, i.min(j), i.max(j))))
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    edges.dedup_by(|a, b| (a.1, a.2) == (b.1, b.2));
    let mut accepted: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut flagged = Vec::new();
    for (length, i, j) in edges {
        if length > SHORT_CIRCUIT_MIN_LENGTH * typical_radius
            && path_within(&accepted, i, j, SHORT_CIRCUIT_DETOUR * length).is_none()
        {
            // Drop whichever end chose the edge (a sparse corner point, typically).
            for (from, to) in [(i, j), (j, i)] {
                if choices[from].iter().any(|&(c, _)| c == to) {
                    flagged.push(from);
                }
            }
            continue;
        }
        accepted[i].push((j, length));
        accepted[j].push((i, length));
    }
    flagged.sort_unstable();
    flagged.dedup();
    flagged
}

/// The points that remain after repeating the check until it flags nothing (dropping a point
/// changes its neighbours' neighbourhoods, so one round may not be enough).
pub fn without_short_circuits(points: &Tensor<f64>, k: usize) -> Vec<usize> {
    let mut kept: Vec<usize> = (0..points.dims()[0]).collect();
    loop {
        let flagged = short_circuit_points(&points.index_select(0, &kept), k);
        if flagged.is_empty() || kept.len() - flagged.len() <= k {
            return kept;
        }
        kept = kept
            .iter()
            .enumerate()
            .filter(|(position, _)| flagged.binary_search(position).is_err())
            .map(|(_, &index)| index)
            .collect();
    }
}
