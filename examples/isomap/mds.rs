//! Classical multidimensional scaling (the embedding's start) and the measures of the result:
//! the first principal axis and Spearman's rank correlation.

use gallery::linalg::{orthonormalise_columns, symmetric_eigen};
use tape::Tensor;

/// Classical MDS: the `dims`-dimensional configuration whose inner products best match
/// `B = -1/2 J D^2 J` (`J` centres), i.e. `Y = V_k Lambda_k^{1/2}` from the top eigenpairs of `B`,
/// found by subspace iteration with a Rayleigh-Ritz step.
pub fn classical_mds(distances: &Tensor<f64>, dims: usize) -> Tensor<f64> {
    let n = distances.dims()[0];
    let squared: Vec<f64> = distances.data().iter().map(|d| d * d).collect();
    let row_means: Vec<f64> = squared
        .chunks_exact(n)
        .map(|r| r.iter().sum::<f64>() / n as f64)
        .collect();
    let grand_mean = row_means.iter().sum::<f64>() / n as f64;
    let b = Tensor::from_fn([n, n], |idx| {
        let (i, j) = (idx / n, idx % n);
        -0.5 * (squared[idx] - row_means[i] - row_means[j] + grand_mean)
    });
    // A few extra vectors speed up convergence of the wanted ones.
    let p = dims + 4;
    let mut q: Vec<f64> = (0..n * p)
        .map(|i| ((i * 7919 + 13) % 101) as f64 - 50.0)
        .collect();
    orthonormalise_columns(&mut q, n, p);
    let mut previous = f64::NAN;
    for _ in 0..500 {
        let mut z = b.matmul(&Tensor::from_vec(q, [n, p])).to_vec();
        orthonormalise_columns(&mut z, n, p);
        q = z;
        // Stop once the Rayleigh quotients of the wanted vectors settle.
        let bq = b.matmul(&Tensor::from_vec(q.clone(), [n, p]));
        let ritz: f64 = (0..dims)
            .map(|j| {
                (0..n)
                    .map(|r| q[r * p + j] * bq.data()[r * p + j])
                    .sum::<f64>()
            })
            .sum();
        if (ritz - previous).abs() <= 1e-13 * ritz.abs() {
            break;
        }
        previous = ritz;
    }
    let qt = Tensor::from_vec(q, [n, p]);
    let small = qt.matmul_t(&b.matmul(&qt), true, false);
    let (values, vectors) = symmetric_eigen(small.data(), p);
    let ritz_vectors = qt.matmul(&Tensor::from_vec(vectors, [p, p]));
    Tensor::from_fn([n, dims], |idx| {
        let (r, c) = (idx / dims, idx % dims);
        ritz_vectors.data()[r * p + c] * values[c].max(0.0).sqrt()
    })
}

/// The embedding's coordinates along its first principal axis.
pub fn first_principal_axis(embedding: &Tensor<f64>) -> Vec<f64> {
    let rows: Vec<&[f64]> = embedding.data().chunks_exact(2).collect();
    let n = rows.len() as f64;
    let mean = [0, 1].map(|c| rows.iter().map(|r| r[c]).sum::<f64>() / n);
    let mut cov = [0.0; 4];
    for r in &rows {
        let d = [r[0] - mean[0], r[1] - mean[1]];
        for (k, c) in cov.iter_mut().enumerate() {
            *c += d[k / 2] * d[k % 2] / n;
        }
    }
    let (_, vectors) = symmetric_eigen(&cov, 2);
    rows.iter()
        .map(|r| (r[0] - mean[0]) * vectors[0] + (r[1] - mean[1]) * vectors[2])
        .collect()
}

/// Spearman's rank correlation: Pearson's correlation of the ranks (no ties expected).
pub fn rank_correlation(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut rank = vec![0.0; v.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as f64;
        }
        rank
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 - 1.0) / 2.0;
    let (mut cov, mut var_a, mut var_b) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        var_a += (x - mean).powi(2);
        var_b += (y - mean).powi(2);
    }
    cov / (var_a * var_b).sqrt()
}
