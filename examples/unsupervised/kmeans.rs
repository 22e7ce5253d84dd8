//! k-means (U1) on a 2-D mixture of five Gaussian blobs: gradient descent against Lloyd's
//! algorithm from the same k-means++ starts, for each K of the elbow curve.

use losses::Reduction;
use losses::unsupervised::{kmeans_assign, kmeans_objective, kmeans_plus_plus};
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::synth::GaussianMixture;
use train::{Divergence, Optimizer, ParamStore, Sgd};

use super::{Config, FIXED_STEPS};

/// What the k-means part measured, and what its figure shows.
pub struct KMeans {
    /// The `[n, 2]` points.
    pub points: Tensor<f64>,
    /// The blob each point was drawn from.
    pub blobs: Vec<usize>,
    /// The objective reached by gradient descent, for K = 1, 2, ...
    pub gradient: Vec<f64>,
    /// The objective Lloyd's algorithm reaches from the same starts, for K = 1, 2, ...
    pub lloyd: Vec<f64>,
    /// The largest relative change of the objective when Lloyd's algorithm starts from where
    /// gradient descent stopped.
    pub fixed_point_gap: f64,
    /// The K shown in the figure (5, or fewer) and gradient descent's assignment for it.
    pub shown: (usize, Vec<usize>),
}

/// k-means by gradient descent and by Lloyd's algorithm for K = 1..`--max-clusters`, the best
/// of `--kmeans-restarts` k-means++ starts each; prints the objectives.
pub fn elbow(config: &Config, rng: &mut StdRng) -> Result<KMeans, String> {
    let blobs = GaussianMixture::new(
        vec![
            vec![-3.0, -2.0],
            vec![0.0, 3.0],
            vec![3.5, -1.0],
            vec![-3.5, 2.5],
            vec![1.0, -3.5],
        ],
        0.7,
    )
    .sample(config.cluster_points, rng);
    let points: Tensor<f64> = blobs.inputs.cast();
    println!(
        "k-means: {} points from 5 Gaussian blobs, K = 1..{}",
        config.cluster_points, config.max_clusters
    );
    let (mut gradient, mut lloyd_costs) = (Vec::new(), Vec::new());
    let mut fixed_point_gap: f64 = 0.0;
    let mut shown = None;
    for k in 1..=config.max_clusters {
        // The best of a few starts: a single k-means++ start can leave two centres in one blob.
        let mut best_gradient: Option<(f64, Tensor<f64>)> = None;
        let mut best_lloyd: Option<f64> = None;
        for _ in 0..config.kmeans_restarts {
            let start = kmeans_plus_plus(&points, k, rng);
            let (lloyd_centres, _) = lloyd(&points, &start);
            let centres = kmeans_gradient_descent(&points, &start, config.kmeans_steps)?;
            let by_gradient = kmeans_cost(&points, &centres);
            let by_lloyd = kmeans_cost(&points, &lloyd_centres);
            // Where gradient descent stops, Lloyd's algorithm must not move.
            let (_, polished) = lloyd(&points, &centres);
            let after_lloyd = polished.last().copied().unwrap_or(by_gradient);
            fixed_point_gap = fixed_point_gap.max((by_gradient - after_lloyd).abs() / after_lloyd);
            if best_gradient.as_ref().is_none_or(|b| by_gradient < b.0) {
                best_gradient = Some((by_gradient, centres));
            }
            if best_lloyd.is_none_or(|b| by_lloyd < b) {
                best_lloyd = Some(by_lloyd);
            }
        }
        let (by_gradient, centres) = best_gradient.expect("at least one start");
        let by_lloyd = best_lloyd.expect("at least one start");
        println!("K = {k}: gradient descent {by_gradient:10.4}  Lloyd {by_lloyd:10.4}");
        gradient.push(by_gradient);
        lloyd_costs.push(by_lloyd);
        if k == 5.min(config.max_clusters) {
            shown = Some((k, kmeans_assign(&points, &centres)));
        }
    }
    Ok(KMeans {
        points,
        blobs: blobs.labels,
        gradient,
        lloyd: lloyd_costs,
        fixed_point_gap,
        shown: shown.expect("at least one K"),
    })
}

/// The k-means objective `sum_i ||x_i - mu_{a(i)}||^2` with nearest-centre assignments.
fn kmeans_cost(points: &Tensor<f64>, centres: &Tensor<f64>) -> f64 {
    let assignment = kmeans_assign(points, centres);
    points
        .data()
        .chunks_exact(2)
        .zip(assignment)
        .map(|(x, a)| {
            let c = &centres.data()[2 * a..2 * a + 2];
            (x[0] - c[0]).powi(2) + (x[1] - c[1]).powi(2)
        })
        .sum()
}

/// Lloyd's algorithm: assign each point to its nearest centre, move each centre to the mean of
/// its points, until the assignments stop changing. Returns the centres and the objective after
/// each iteration.
pub fn lloyd(points: &Tensor<f64>, start: &Tensor<f64>) -> (Tensor<f64>, Vec<f64>) {
    let k = start.dims()[0];
    let mut centres = start.clone();
    let mut previous = Vec::new();
    let mut costs = vec![kmeans_cost(points, &centres)];
    for _ in 0..1000 {
        let assignment = kmeans_assign(points, &centres);
        if assignment == previous {
            break;
        }
        let mut sums = vec![[0.0; 3]; k];
        for (x, &a) in points.data().chunks_exact(2).zip(&assignment) {
            sums[a][0] += x[0];
            sums[a][1] += x[1];
            sums[a][2] += 1.0;
        }
        let data = centres.data_mut();
        for (c, s) in data.chunks_exact_mut(2).zip(&sums) {
            // A centre that lost all its points stays where it is.
            if s[2] > 0.0 {
                c.copy_from_slice(&[s[0] / s[2], s[1] / s[2]]);
            }
        }
        previous = assignment;
        costs.push(kmeans_cost(points, &centres));
    }
    (centres, costs)
}

/// Gradient descent on the k-means objective from `start`; returns the centres.
///
/// With the `Mean` objective the gradient for centre `k` is `2 (n_k / n) (mu_k - m_k)` (`m_k` the
/// mean of its points), so a step of 0.5 moves each centre the fraction `n_k / n` of the way to
/// `m_k`: never overshooting, and converging to the same fixed point `mu_k = m_k` as Lloyd.
pub fn kmeans_gradient_descent(
    points: &Tensor<f64>,
    start: &Tensor<f64>,
    steps: usize,
) -> Result<Tensor<f64>, String> {
    let mut store = ParamStore::<f64>::new();
    let centres = store.add("centres", start.clone());
    let mut optimizer = Sgd::new(0.5);
    let mut tape = Tape::new();
    for step in 1..=steps {
        let loss = store.compute_grads(&mut tape, |p| {
            kmeans_objective(
                p.tape().constant(points.clone()),
                p[centres],
                Reduction::Mean,
            )
            .loss
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice(FIXED_STEPS))?;
        optimizer.step(&mut store);
    }
    Ok(store.value(centres).clone())
}
