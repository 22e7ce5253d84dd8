//! The classifiers on the two blobs (C1, C2, C4, C5, C8, C10), each trained from its objective
//! and, where one exists, compared with an independent answer.

use losses::Reduction;
use losses::classification::{
    binary_cross_entropy_with_logits, euclidean_one_hot, perceptron, svm_primal,
};
use losses::regularizers::l2_penalty;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use tape::Tensor;
use train::{Adam, Init, LrSchedule, Optimizer, ParamStore, Sgd};

use super::boosting::{Stump, adaboost};
use super::data::{Blobs, CENTRES};
use super::solvers::{logistic_newton, normal_equations};
use super::{Accuracy, max_gap, minimise, tape_linear};

/// A linear classifier `sign(w . x + b)`: `(w, b)`.
pub type Line = ([f64; 2], f64);

/// The SVM's `C`, on the mean hinge.
pub const SVM_C: f64 = 1.0;

/// The L2 penalty weight of logistic regression.
pub const LOGISTIC_LAMBDA: f64 = 0.01;

/// The trained classifiers and what they measured.
pub struct Classifiers {
    /// Train and test accuracies: perceptron, one-hot, SVM, logistic, AdaBoost.
    pub accuracies: Vec<Accuracy>,
    /// The lines of the perceptron, the one-hot model, the SVM and logistic regression.
    pub lines: [Line; 4],
    /// AdaBoost's stumps and their weights.
    pub ensemble: Vec<(Stump, f64)>,
    /// The Bayes classifier's line (knowing the true blobs).
    pub bayes: Line,
    /// The Bayes classifier's test accuracy.
    pub bayes_test_accuracy: f64,
    /// One-hot Euclidean: largest difference from the least-squares solution.
    pub one_hot_gap: f64,
    /// Logistic regression: largest difference from Newton's solution.
    pub logistic_gap: f64,
    /// AdaBoost: largest difference between a line-searched `alpha` and the closed form.
    pub alpha_gap: f64,
}

/// Trains every classifier on `train` for `steps` steps (AdaBoost for `rounds` rounds),
/// measures them on `train` and `test`, and prints their accuracies.
pub fn classify(
    train: &Blobs,
    test: &Blobs,
    steps: usize,
    rounds: usize,
    rng: &mut StdRng,
) -> Result<Classifiers, String> {
    let measure = |name: &'static str, (w, b): Line| Accuracy {
        name,
        train: accuracy(&linear_scores(&train.points, &w, b), &train.signs),
        test: accuracy(&linear_scores(&test.points, &w, b), &test.signs),
    };
    let perceptron_line = averaged_perceptron(train, rng);
    let (one_hot_line, one_hot_gap) = one_hot_euclidean(train, steps)?;
    let svm_line = svm(train, steps)?;
    let (logistic_line, logistic_gap) = logistic(train, steps)?;
    let lines = [perceptron_line, one_hot_line, svm_line, logistic_line];
    let names = [
        "perceptron (averaged)",
        "one-hot Euclidean",
        "SVM (hinge + L2)",
        "logistic + L2",
    ];
    let mut accuracies: Vec<Accuracy> = names
        .iter()
        .zip(lines)
        .map(|(n, l)| measure(n, l))
        .collect();

    // AdaBoost with stumps under the exponential loss (C8).
    let (ensemble, alpha_gap) = adaboost(&train.points, &train.signs, rounds)?;
    let boost_scores = |points: &Tensor<f64>| -> Vec<f64> {
        points
            .data()
            .chunks_exact(2)
            .map(|p| ensemble.iter().map(|(s, a)| a * s.predict(p)).sum())
            .collect()
    };
    accuracies.push(Accuracy {
        name: "AdaBoost (stumps)",
        train: accuracy(&boost_scores(&train.points), &train.signs),
        test: accuracy(&boost_scores(&test.points), &test.signs),
    });

    // The Bayes classifier: with equal, isotropic blobs, the perpendicular bisector of the centres.
    let bayes_w = [CENTRES[1][0] - CENTRES[0][0], CENTRES[1][1] - CENTRES[0][1]];
    let midpoint = [
        0.5 * (CENTRES[0][0] + CENTRES[1][0]),
        0.5 * (CENTRES[0][1] + CENTRES[1][1]),
    ];
    let bayes_b = -(bayes_w[0] * midpoint[0] + bayes_w[1] * midpoint[1]);
    let bayes_test_accuracy =
        accuracy(&linear_scores(&test.points, &bayes_w, bayes_b), &test.signs);
    for a in &accuracies {
        println!(
            "{:<22} train accuracy {:.3}  test accuracy {:.3}",
            a.name, a.train, a.test
        );
    }
    println!(
        "{:<22} test accuracy {bayes_test_accuracy:.3}",
        "Bayes classifier"
    );
    Ok(Classifiers {
        accuracies,
        lines,
        ensemble,
        bayes: (bayes_w, bayes_b),
        bayes_test_accuracy,
        one_hot_gap,
        logistic_gap,
        alpha_gap,
    })
}

/// The first two values of a tensor, as a 2-D weight vector.
fn two(t: &Tensor<f64>) -> [f64; 2] {
    [t.data()[0], t.data()[1]]
}

/// The perceptron (C1): one sample at a time; a mistake moves w by y x (step 1). The average
/// of all iterates is far steadier than the last one on overlapping classes.
fn averaged_perceptron(train: &Blobs, rng: &mut StdRng) -> Line {
    let (x, y) = (&train.points, &train.signs);
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Init::Normal(0.01).sample([2], 2, 1, rng));
    let b = store.add("b", Tensor::zeros([1]));
    let mut optimizer = Sgd::new(1.0);
    let mut tape = tape::Tape::new();
    let (mut sum_w, mut sum_b, mut count) = ([0.0; 2], 0.0, 0.0);
    let mut order: Vec<usize> = (0..y.len()).collect();
    for _epoch in 0..10 {
        order.shuffle(rng);
        for &i in &order {
            let xi = Tensor::from_vec(x.data()[2 * i..2 * i + 2].to_vec(), [1, 2]);
            store.compute_grads(&mut tape, |p| {
                let f = tape_linear(p.tape().constant(xi.clone()), p[w], p[b]);
                perceptron(f, &[y[i]], Reduction::Sum)
            });
            optimizer.step(&mut store);
            let now = two(store.value(w));
            sum_w = [sum_w[0] + now[0], sum_w[1] + now[1]];
            sum_b += store.value(b).item();
            count += 1.0;
        }
    }
    (sum_w.map(|s| s / count), sum_b / count)
}

/// Euclidean loss on one-hot targets (C2): outputs x W + b, class = argmax; least squares.
/// Returns the line and the largest difference from the closed form.
fn one_hot_euclidean(train: &Blobs, steps: usize) -> Result<(Line, f64), String> {
    let mut store = ParamStore::<f64>::new();
    let w = store.add("W", Tensor::zeros([2, 2]));
    let b = store.add("b", Tensor::zeros([2]));
    let xs = train.points.clone();
    let labels = train.labels.clone();
    let mut optimizer = Sgd::new(0.5).momentum(0.9);
    minimise(&mut store, &mut optimizer, steps, |p| {
        let outputs = p.tape().constant(xs.clone()).linear(p[w], p[b]);
        euclidean_one_hot(outputs, &labels, Reduction::Mean)
    })?;
    let (wv, bv) = (store.value(w).to_vec(), store.value(b).to_vec());
    let onehot = Tensor::one_hot(&train.labels, 2);
    let exact = normal_equations(&train.points, &onehot, 0.0);
    // Column c of the solution is (W[0][c], W[1][c], b[c]).
    let gap = (0..2)
        .map(|c| max_gap(&[wv[c], wv[2 + c], bv[c]], &exact[c]))
        .fold(0.0, f64::max);
    // Class 1 wins where output 1 exceeds output 0: a linear rule.
    let line = ([wv[1] - wv[0], wv[3] - wv[2]], bv[1] - bv[0]);
    Ok((line, gap))
}

/// The SVM primal (C4) with C = [`SVM_C`] on the mean hinge; the hinge has kinks, so Adam's
/// steps decay to zero to settle on the minimum.
fn svm(train: &Blobs, steps: usize) -> Result<Line, String> {
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::zeros([2]));
    let b = store.add("b", Tensor::zeros([1]));
    let (xs, y) = (train.points.clone(), &train.signs);
    let mut optimizer = Adam::new(0.05).schedule(LrSchedule::Cosine {
        warmup: 0,
        total: steps,
        min_factor: 0.0,
    });
    minimise(&mut store, &mut optimizer, steps, |p| {
        let x = p.tape().constant(xs.clone());
        svm_primal(x, p[w], p[b], y, SVM_C, Reduction::Mean)
    })?;
    Ok((two(store.value(w)), store.value(b).item()))
}

/// Logistic regression (C5) with an L2 penalty (C10), against Newton's method. Returns the
/// line and the largest difference from Newton's solution.
fn logistic(train: &Blobs, steps: usize) -> Result<(Line, f64), String> {
    let lambda = LOGISTIC_LAMBDA;
    let y01: Vec<f64> = train
        .signs
        .iter()
        .map(|&s| f64::from(u8::from(s > 0.0)))
        .collect();
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::zeros([2]));
    let b = store.add("b", Tensor::zeros([1]));
    let xs = train.points.clone();
    let targets = Tensor::from_vec(y01.clone(), [y01.len()]);
    let mut optimizer = Sgd::new(1.0).momentum(0.9);
    minimise(&mut store, &mut optimizer, steps, |p| {
        let z = tape_linear(p.tape().constant(xs.clone()), p[w], p[b]);
        let y = p.tape().constant(targets.clone());
        binary_cross_entropy_with_logits(z, y, Reduction::Mean) + l2_penalty(&[p[w]], lambda)
    })?;
    let (wv, bv) = (two(store.value(w)), store.value(b).item());
    let exact = logistic_newton(&train.points, &y01, lambda);
    let gap = max_gap(&[wv[0], wv[1], bv], &exact);
    Ok(((wv, bv), gap))
}

/// The fraction of points whose predicted sign matches the label.
fn accuracy(scores: &[f64], y: &[f64]) -> f64 {
    scores.iter().zip(y).filter(|(s, y)| *s * *y > 0.0).count() as f64 / y.len() as f64
}

/// Scores `x w + b` of a linear model on rows `[n, d]`.
fn linear_scores(x: &Tensor<f64>, w: &[f64], b: f64) -> Vec<f64> {
    x.data()
        .chunks_exact(w.len())
        .map(|r| r.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b)
        .collect()
}
