//! PCA (U2) by gradient descent on the reconstruction error with an orthonormality penalty,
//! against the sum of the trailing eigenvalues of the covariance.

use gallery::linalg::{orthonormalise_columns, symmetric_eigen};
use losses::Reduction;
use losses::unsupervised::{orthonormality_penalty, pca_reconstruction};
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{Divergence, Init, LrSchedule, Optimizer, ParamStore, Sgd};

use super::FIXED_STEPS;

/// What PCA by gradient descent reached, and its reference.
pub struct Pca {
    /// The basis `E [784, k]` found.
    pub basis: Tensor<f64>,
    /// The training digits' column means.
    pub mean: Vec<f64>,
    /// The objective (with the penalty) at each step.
    pub curve: Vec<f64>,
    /// The reconstruction error per training digit through `E`.
    pub error: f64,
    /// The sum of the trailing eigenvalues of the covariance: the least error possible.
    pub trailing_eigenvalue_sum: f64,
    /// `|error - trailing_eigenvalue_sum| / trailing_eigenvalue_sum`.
    pub relative_gap: f64,
    /// `||E^T E - I||_F^2` at the end.
    pub orthonormality: f64,
}

/// PCA of the digits `x [n, 784]` through `k` dimensions, `steps` steps of gradient descent;
/// prints the reference and the objective along the way.
pub fn pca(x: &Tensor<f64>, k: usize, steps: usize, rng: &mut StdRng) -> Result<Pca, String> {
    let (cov, mean) = covariance(x);
    let trace: f64 = (0..784).map(|i| cov.data()[i * 784 + i]).sum();
    let top = top_eigenvalues(&cov, k);
    let trailing_eigenvalue_sum = trace - top.iter().sum::<f64>();
    println!(
        "PCA: {} digits, k = {k}; covariance trace {trace:.4}, sum of the trailing {} \
         eigenvalues {trailing_eigenvalue_sum:.6}",
        x.dims()[0],
        784 - k
    );
    let mut store = ParamStore::<f64>::new();
    // Entries of variance 1/784 make E^T E close to I from the start.
    let basis = store.add(
        "basis",
        Init::Normal(1.0 / 28.0).sample([784, k], 784, k, rng),
    );
    // Gradient descent is rotation-invariant, like the problem; Nesterov momentum speeds up the
    // slow rotations between directions of nearly equal variance, and the warm-up keeps the
    // first steps from overshooting (a cosine with min_factor 1 is a constant after it).
    let mut optimizer = Sgd::new(0.03)
        .momentum(0.95)
        .nesterov(true)
        .schedule(LrSchedule::Cosine {
            warmup: 50,
            total: steps,
            min_factor: 1.0,
        });
    let mut tape = Tape::new();
    let mut curve = Vec::with_capacity(steps);
    for step in 1..=steps {
        let loss = store.compute_grads(&mut tape, |p| {
            let x = p.tape().constant(x.clone());
            pca_reconstruction(x, p[basis], Reduction::Mean) + orthonormality_penalty(p[basis])
        });
        Divergence::check(&store, loss, None, step, optimizer.learning_rate())
            .map_err(|d| d.advice(FIXED_STEPS))?;
        optimizer.step(&mut store);
        curve.push(loss);
        if step % (steps / 6).max(1) == 0 {
            println!("PCA step {step:4}  objective {loss:.6}");
        }
    }
    let e = store.value(basis).clone();
    let error = pca_error_with(x, &mean, &e);
    let orthonormality = {
        let tape = Tape::new();
        orthonormality_penalty(tape.constant(e.clone())).item()
    };
    Ok(Pca {
        basis: e,
        mean,
        curve,
        error,
        trailing_eigenvalue_sum,
        relative_gap: (error - trailing_eigenvalue_sum).abs() / trailing_eigenvalue_sum,
        orthonormality,
    })
}

/// The `k` largest eigenvalues of a symmetric `d x d` matrix, by subspace iteration on `k + 16`
/// vectors (the extra ones speed up the wanted ones), with a Rayleigh-Ritz step each iteration:
/// the eigenvalues of `Q^T M Q` converge to the top eigenvalues of `M` as `Q` converges to
/// their eigenvectors.
pub fn top_eigenvalues(matrix: &Tensor<f64>, k: usize) -> Vec<f64> {
    let d = matrix.dims()[0];
    let p = (k + 16).min(d);
    let mut q: Vec<f64> = (0..d * p)
        .map(|i| ((i * 7919 + 13) % 101) as f64 - 50.0)
        .collect();
    orthonormalise_columns(&mut q, d, p);
    let mut previous = f64::NAN;
    let mut ritz = Vec::new();
    for _ in 0..1000 {
        let basis = Tensor::from_vec(q, [d, p]);
        let product = matrix.matmul(&basis);
        let small = basis.matmul_t(&product, true, false);
        ritz = symmetric_eigen(small.data(), p).0;
        let sum: f64 = ritz[..k].iter().sum();
        if (sum - previous).abs() <= 1e-12 * sum.abs() {
            break;
        }
        previous = sum;
        q = product.to_vec();
        orthonormalise_columns(&mut q, d, p);
    }
    ritz.truncate(k);
    ritz
}

/// Rows `[n, 784]` minus their column means.
pub fn centred(x: &Tensor<f64>, mean: &[f64]) -> Tensor<f64> {
    let d = mean.len();
    Tensor::from_fn(x.dims(), |i| x.data()[i] - mean[i % d])
}

/// The biased covariance `X_c^T X_c / n` of rows `[n, d]` and the column means.
fn covariance(x: &Tensor<f64>) -> (Tensor<f64>, Vec<f64>) {
    let (n, d) = (x.dims()[0], x.dims()[1]);
    let mut mean = vec![0.0; d];
    for row in x.data().chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / n as f64;
        }
    }
    let xc = centred(x, &mean);
    (xc.matmul_t(&xc, true, false).map(|v| v / n as f64), mean)
}

/// Mean squared reconstruction error per row of `x` through the basis `e [d, k]`, centring with
/// the given (training) means.
pub fn pca_error_with(x: &Tensor<f64>, mean: &[f64], e: &Tensor<f64>) -> f64 {
    let xc = centred(x, mean);
    let reconstruction = xc.matmul(e).matmul_t(e, false, true);
    let n = x.dims()[0] as f64;
    xc.zip_map(&reconstruction, "residual", |a, b| (a - b) * (a - b))
        .sum()
        .item()
        / n
}
