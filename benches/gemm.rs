//! The engine's matrix product against `matrixmultiply` on the MLP's shapes (forward, input
//! gradient with a transposed weight, weight gradient with a transposed input), f32, one
//! thread each (`LOSSGRAPH_THREADS=1` is set here), so the numbers compare kernels rather than
//! threading. The product is the W1 layer of `mlp_step`: batch 128, 784 inputs, 512 outputs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tape::Tensor;

/// `(name, m, k, n, a transposed, b transposed)`.
const SHAPES: [(&str, usize, usize, usize, bool, bool); 3] = [
    ("forward_128x784x512", 128, 784, 512, false, false),
    ("input_grad_128x512x784_bt", 128, 512, 784, false, true),
    ("weight_grad_784x128x512_at", 784, 128, 512, true, false),
];

fn filled(shape: [usize; 2], seed: usize) -> Tensor<f32> {
    Tensor::from_fn(shape, |i| (((i * 7 + seed) % 13) as f32 - 6.0) * 0.1)
}

fn gemm(c: &mut Criterion) {
    // SAFETY: set before any thread reads it (criterion runs benches on this thread).
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "1") };
    for (name, m, k, n, ta, tb) in SHAPES {
        let a = filled(if ta { [k, m] } else { [m, k] }, 1);
        let b = filled(if tb { [n, k] } else { [k, n] }, 2);
        c.bench_function(&format!("gemm/tape/{name}"), |bench| {
            bench.iter(|| black_box(a.matmul_t(&b, ta, tb)))
        });
        let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
        let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
        let mut out = vec![0f32; m * n];
        c.bench_function(&format!("gemm/matrixmultiply/{name}"), |bench| {
            bench.iter(|| {
                // SAFETY: the pointers and strides describe the m x k, k x n and m x n buffers.
                unsafe {
                    matrixmultiply::sgemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.data().as_ptr(),
                        rsa,
                        csa,
                        b.data().as_ptr(),
                        rsb,
                        csb,
                        0.0,
                        out.as_mut_ptr(),
                        n as isize,
                        1,
                    )
                };
                black_box(&out);
            })
        });
    }
}

criterion_group!(benches, gemm);
criterion_main!(benches);
