"""The floor for mlp_step: its eight matrix products alone, in NumPy on OpenBLAS, 2 threads.

mlp_step (benches/workloads) multiplies 3 times forward (x W1, h1 W2, h2 W3) and 5 times
backward (h2^T g3, g3 W3^T, h1^T g2, g2 W2^T, x^T g1). A tuned BLAS doing only those products,
with nothing else of the step, is the time a training step cannot beat on this machine.

Prints one RESULT line (see common.Reporter): engine numpy, workload mlp_products.
"""

import os

# Before NumPy loads OpenBLAS: the same two threads as every other engine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

import common  # noqa: E402


def mlp_products(batch=128):
    """The eight products of one mlp_step, on arrays of its shapes."""
    (w1, _), (w2, _), (w3, _) = common.mlp_data(batch)[0]
    rng = np.random.default_rng(0)
    x = common.uniform(rng, (batch, 784), 1.0)
    h1, h2 = common.uniform(rng, (batch, 512), 1.0), common.uniform(rng, (batch, 256), 1.0)
    g1, g2 = common.uniform(rng, (batch, 512), 1.0), common.uniform(rng, (batch, 256), 1.0)
    g3 = common.uniform(rng, (batch, 10), 1.0)

    def step():
        (x @ w1, h1 @ w2, h2 @ w3)
        (h2.T @ g3, g3 @ w3.T, h1.T @ g2, g2 @ w2.T, x.T @ g1)

    return step


def blas_name():
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # older NumPy: the name is not essential
        return "unknown BLAS"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=0)
    parser.add_argument("--warm-up-time", type=float, default=1.0)
    parser.add_argument("--measurement-time", type=float, default=2.0)
    parser.add_argument("--sample-size", type=int, default=20)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, {blas_name()}, OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    seconds = common.median_seconds(mlp_products(), args)
    common.Reporter("numpy", args.round).emit("mlp_products", "seconds", seconds)


if __name__ == "__main__":
    main()
