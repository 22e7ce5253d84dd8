//! AdaBoost as stagewise minimisation of the exponential loss (C8), over decision stumps.

use losses::Reduction;
use losses::classification::exponential;
use tape::Tensor;
use train::{ParamStore, Sgd};

use super::minimise;

/// A decision stump `sign * (x[feature] > threshold ? 1 : -1)`.
#[derive(Clone, Copy, Debug)]
pub struct Stump {
    feature: usize,
    threshold: f64,
    sign: f64,
}

impl Stump {
    /// The stump's vote, +1 or -1.
    pub fn predict(&self, point: &[f64]) -> f64 {
        if point[self.feature] > self.threshold {
            self.sign
        } else {
            -self.sign
        }
    }
}

/// The stump with the least weighted error on `points [n, 2]`, and that error: every
/// feature, every threshold between consecutive values, both signs.
fn best_stump(points: &Tensor<f64>, y: &[f64], weights: &[f64]) -> (Stump, f64) {
    let n = y.len();
    let total: f64 = weights.iter().sum();
    let mut best = (
        Stump {
            feature: 0,
            threshold: 0.0,
            sign: 1.0,
        },
        f64::INFINITY,
    );
    for feature in 0..2 {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| {
            points.data()[2 * i + feature].total_cmp(&points.data()[2 * j + feature])
        });
        // Error of "+1 above the threshold" with the threshold below every point: the
        // weight of the negatives; moving it past a point flips that point's vote.
        let mut error: f64 = (0..n).filter(|&i| y[i] < 0.0).map(|i| weights[i]).sum();
        for (rank, &i) in order.iter().enumerate() {
            error += y[i] * weights[i];
            let value = points.data()[2 * i + feature];
            let next = order.get(rank + 1).map(|&j| points.data()[2 * j + feature]);
            if next == Some(value) {
                continue; // a threshold cannot separate equal values
            }
            let threshold = next.map_or(value + 1.0, |v| 0.5 * (value + v));
            for (sign, err) in [(1.0, error), (-1.0, total - error)] {
                if err < best.1 {
                    best = (
                        Stump {
                            feature,
                            threshold,
                            sign,
                        },
                        err,
                    );
                }
            }
        }
    }
    (best.0, best.1 / total)
}

/// AdaBoost as stagewise minimisation of the exponential loss: each round adds the stump with
/// the least weighted error and a weight `alpha` found by gradient descent on
/// `sum_i exp(-y_i (F(x_i) + alpha h(x_i)))`. Returns the stumps, their weights and the
/// largest difference between a found `alpha` and the closed form `(1/2) ln((1 - e) / e)`.
pub fn adaboost(
    points: &Tensor<f64>,
    y: &[f64],
    rounds: usize,
) -> Result<(Vec<(Stump, f64)>, f64), String> {
    let n = y.len();
    let mut scores = vec![0.0; n];
    let mut ensemble = Vec::with_capacity(rounds);
    let mut alpha_gap: f64 = 0.0;
    for _ in 0..rounds {
        let weights: Vec<f64> = scores.iter().zip(y).map(|(f, y)| (-y * f).exp()).collect();
        let (stump, error) = best_stump(points, y, &weights);
        if error <= 0.0 || error >= 0.5 {
            break; // a perfect stump (infinite alpha) or none better than chance
        }
        let votes: Vec<f64> = points
            .data()
            .chunks_exact(2)
            .map(|p| stump.predict(p))
            .collect();
        // Dividing by the current total keeps the loss, and so its curvature, near 1 (it is
        // at most 1 in alpha), so a unit step never overshoots.
        let total: f64 = weights.iter().sum();
        let mut store = ParamStore::<f64>::new();
        let alpha = store.add("alpha", Tensor::zeros([1]));
        let previous = Tensor::from_vec(scores.clone(), [n]);
        let h = Tensor::from_vec(votes.clone(), [n]);
        minimise(&mut store, &mut Sgd::new(1.0), 100, |p| {
            let tape = p.tape();
            let f = tape.constant(previous.clone()) + tape.constant(h.clone()) * p[alpha];
            exponential(f, y, Reduction::Sum).scale(1.0 / total)
        })?;
        let found = store.value(alpha).item();
        alpha_gap = alpha_gap.max((found - 0.5 * ((1.0 - error) / error).ln()).abs());
        scores
            .iter_mut()
            .zip(&votes)
            .for_each(|(f, v)| *f += found * v);
        ensemble.push((stump, found));
    }
    Ok((ensemble, alpha_gap))
}
