"""Issue 20's comparison rows, the peers' side (benches/solvers.rs is lossgraph's):

- lbfgs_softmax: L2 softmax regression on the first 8,000 MNIST t10k images, lambda = 1e-4 on
  the weights (the bias unpenalised), f64, from zero, to a largest gradient entry of --gtol
  (1e-8: at 1e-6 the three engines' objectives still differ in the 8th digit):
  SciPy's L-BFGS-B (10 pairs, ftol 0) on a jax.jit value-and-gradient ("scipy_jax"), and
  scikit-learn's LogisticRegression(solver="lbfgs", C = 1 / (lambda n), tol = GTOL)
  ("sklearn"), whose objective is the same (mean cross-entropy + 1 / (2 C n) |W|^2). Each is
  solved three times; the median time, the iterations and the final objective (recomputed
  here in NumPy, f64) are reported.
- hvp_mlp: the Hessian-vector product of mlp_step's loss (784-512-256-10, ReLU, batch 128,
  f32), from scratch: jax.jit(jvp(grad)) ("jax") and torch.func.jvp(grad) ("pytorch", 2
  threads).
- hvp_mlp_at_point: a further product at the same point, the work of each of Newton-CG's
  conjugate-gradient steps: the jitted linear function of jax.linearize(grad) and
  torch.func.linearize(grad)'s, each built once at the point.

Prints RESULT lines (see common.Reporter). Needs scipy and scikit-learn
(pip install scipy scikit-learn) besides jax and torch; missing ones are skipped with a note.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

import common

LAMBDA = 1e-4


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="lbfgs_softmax,hvp_mlp,hvp_mlp_at_point")
    parser.add_argument("--round", type=int, default=0)
    parser.add_argument("--gtol", type=float, default=1e-8)
    parser.add_argument("--warm-up-time", type=float, default=1.0)
    parser.add_argument("--measurement-time", type=float, default=2.0)
    parser.add_argument("--sample-size", type=int, default=20)
    parser.add_argument("--mnist", default=os.environ.get("MNIST_DIR", "../shared/data/mnist"))
    args = parser.parse_args()
    args.only = args.only.split(",")
    return args


def softmax_objective(w, b, x, y):
    """Mean cross-entropy + lambda / 2 |W|^2 in NumPy f64: the same number for every engine."""
    logits = x @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean() + 0.5 * LAMBDA * (w * w).sum()


def mnist_8000(folder):
    x, y, _, _ = common.load_mnist(folder)
    return x[:8000].astype(np.float64), y[:8000]


def scipy_jax(x, y, gtol):
    import jax
    import jax.numpy as jnp
    from scipy.optimize import minimize

    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_enable_x64", True)
    d = x.shape[1]
    xj, yj = jnp.asarray(x), jnp.asarray(y.astype(np.int32))

    def objective(theta):
        w, b = theta[: d * 10].reshape(d, 10), theta[d * 10 :]
        log_p = jax.nn.log_softmax(xj @ w + b, axis=1)
        ce = -jnp.take_along_axis(log_p, yj[:, None], axis=1).mean()
        return ce + 0.5 * LAMBDA * jnp.sum(w * w)

    theta0 = np.zeros(d * 10 + 10)
    value_and_grad = jax.jit(jax.value_and_grad(objective)).lower(theta0).compile()

    def fun(theta):
        value, grad = value_and_grad(theta)
        return float(value), np.asarray(grad, dtype=np.float64)

    def solve():
        result = minimize(
            fun, theta0, jac=True, method="L-BFGS-B",
            options={"gtol": gtol, "ftol": 0.0, "maxiter": 15000, "maxcor": 10},
        )
        w, b = result.x[: d * 10].reshape(d, 10), result.x[d * 10 :]
        return result.nit, softmax_objective(w, b, x, y)

    return solve


def sklearn(x, y, gtol):
    from sklearn.linear_model import LogisticRegression

    def solve():
        model = LogisticRegression(C=1.0 / (LAMBDA * len(y)), solver="lbfgs", tol=gtol, max_iter=15000)
        model.fit(x, y)
        return int(model.n_iter_[0]), softmax_objective(model.coef_.T, model.intercept_, x, y)

    return solve


def lbfgs_rows(args, report):
    x, y = mnist_8000(args.mnist)
    for engine, make in (("scipy_jax", scipy_jax), ("sklearn", sklearn)):
        try:
            solve = make(x, y, args.gtol)
        except ImportError as missing:
            print(f"{engine} skipped: {missing} (pip install scipy scikit-learn jax)", file=sys.stderr)
            continue
        times = []
        for _ in range(3):
            started = time.perf_counter()
            iterations, objective = solve()
            times.append(time.perf_counter() - started)
        report.engine = engine
        report.emit("lbfgs_softmax", "seconds", statistics.median(times))
        report.emit("lbfgs_softmax", "iterations", iterations)
        report.emit("lbfgs_softmax", "objective", float(objective))


def hvp_jax(args, at_point=False):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_platforms", "cpu")
    layers, x, y = common.mlp_data(128)
    rng = np.random.default_rng(7)
    directions = [tuple(rng.uniform(-1, 1, a.shape).astype(np.float32) for a in layer) for layer in layers]

    def loss(layers):
        h = x
        for i, (w, b) in enumerate(layers):
            h = h @ w + b
            if i + 1 < len(layers):
                h = jax.nn.relu(h)
        log_p = jax.nn.log_softmax(h, axis=1)
        return -jnp.take_along_axis(log_p, y[:, None], axis=1).mean()

    if at_point:
        # Linearised once at the point; each product runs only the tangent computation.
        _, product = jax.linearize(jax.grad(loss), layers)
        compiled = jax.jit(product).lower(directions).compile()
        return lambda: jax.block_until_ready(compiled(directions))

    def hvp(layers, v):
        return jax.jvp(jax.grad(loss), (layers,), (v,))[1]

    compiled = jax.jit(hvp).lower(layers, directions).compile()
    return lambda: jax.block_until_ready(compiled(layers, directions))


def hvp_torch(args, at_point=False):
    import torch
    import torch.nn.functional as F
    from torch.func import grad, jvp, linearize

    torch.set_num_threads(2)
    layers, x, y = common.mlp_data(128)
    params = tuple(torch.from_numpy(np.ascontiguousarray(a)) for layer in layers for a in layer)
    rng = np.random.default_rng(7)
    directions = tuple(torch.from_numpy(rng.uniform(-1, 1, p.shape).astype(np.float32)) for p in params)
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def loss(params):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = F.relu(h)
        return F.cross_entropy(h, y)

    if at_point:
        _, product = linearize(grad(loss), params)
        return lambda: product(directions)
    return lambda: jvp(grad(loss), (params,), (directions,))[1]


def main():
    args = parse_args()
    report = common.Reporter("", args.round)
    if "lbfgs_softmax" in args.only:
        lbfgs_rows(args, report)
    for workload in ("hvp_mlp", "hvp_mlp_at_point"):
        if workload not in args.only:
            continue
        for engine, make in (("jax", hvp_jax), ("pytorch", hvp_torch)):
            try:
                step = make(args, at_point=workload == "hvp_mlp_at_point")
            except ImportError as missing:
                print(f"{engine} skipped: {missing}", file=sys.stderr)
                continue
            report.engine = engine
            report.emit(workload, "seconds", common.median_seconds(step, args))


if __name__ == "__main__":
    main()
