"""Turns run.sh's results.tsv into the comparison table (Markdown, on stdout).

Usage: report.py RESULTS_TSV HEADER_TXT [pytorch=LABEL|missing] [jax=LABEL|missing]
                 [numpy=LABEL|missing]

RESULTS_TSV lines: engine, round, workload, metric, value (seconds, accuracy,
compile_seconds, rss_kb, rss_bare_kb). Engines: lossgraph (its workspace's benches),
lossgraph_dep (the same workloads from benches/downstream, a crate that depends on lossgraph),
pytorch, jax, numpy (mlp_step's products alone: the floor). Every cell is the median over the
rounds (processes) of one engine.
"""

import statistics
import sys
from collections import defaultdict

ENGINES = ["lossgraph", "lossgraph_dep", "pytorch", "jax", "numpy"]
NAMES = {
    "lossgraph": "lossgraph (workspace)",
    "lossgraph_dep": "lossgraph as a dependency",
    "pytorch": "PyTorch",
    "jax": "JAX",
    "numpy": "NumPy",
}
INSTALL = {"pytorch": "pip install torch", "jax": "pip install jax", "numpy": "pip install numpy"}
PEERS = ("pytorch", "jax")
SCALAR_CHAIN_OPS = 15_000

# (workload, metric, row label, unit) in table order.
ROWS = [
    ("mlp_step", "seconds", "mlp_step (784-512-256-10, batch 128, fwd+bwd)", "time"),
    ("mlp_products", "seconds", "mlp_step's 8 matrix products alone (the floor)", "time"),
    ("mlp_step_b1", "seconds", "mlp_step_b1 (batch 1)", "time"),
    ("scalar_chain", "per_op", "scalar_chain, per recorded op", "time"),
    ("scalar_chain", "seconds", "scalar_chain, whole chain (15,000 ops)", "time"),
    (
        "scalar_chain_tensor",
        "per_op",
        "scalar_chain on the tensor Tape, per op (lossgraph only)",
        "time",
    ),
    ("softmax_ce", "seconds", "softmax_ce [1024, 1000]", "time"),
    ("fast_rcnn", "seconds", "fast_rcnn (512 RoIs, 21 classes)", "time"),
    ("deepid2", "seconds", "deepid2 (256 x 160 -> 10,000 identities)", "time"),
    ("center_loss", "seconds", "center_loss (256 x 512, 10 classes)", "time"),
    ("gan_step", "seconds", "gan_step (G and D steps, batch 256)", "time"),
    ("mnist_softmax", "seconds", "MNIST softmax, 10 epochs on 8,000 images (training)", "time"),
    ("mnist_softmax", "accuracy", "MNIST softmax, validation accuracy", "accuracy"),
    ("mnist_mlp", "seconds", "MNIST MLP 784-256-10 Adam, 10 epochs (training)", "time"),
    ("mnist_mlp", "accuracy", "MNIST MLP, validation accuracy", "accuracy"),
    ("mlp_step", "rss_kb", "peak RSS of the mlp_step process", "memory"),
    ("mlp_step", "rss_bare_kb", "peak RSS, mlp_step in a bare loop (lossgraph only)", "memory"),
]


def read_results(path):
    """{(engine, workload, metric): [values over rounds]}"""
    values = defaultdict(list)
    with open(path) as f:
        for line in f:
            engine, _round, workload, metric, value = line.rstrip("\n").split("\t")
            values[(engine, workload, metric)].append(float(value))
    for (engine, workload, metric), seconds in list(values.items()):
        if workload.startswith("scalar_chain") and metric == "seconds":
            values[(engine, workload, "per_op")] = [s / SCALAR_CHAIN_OPS for s in seconds]
    return values


def format_time(seconds):
    """Three significant digits in the largest unit that keeps the number at least 1."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"


def format_value(value, unit):
    if unit == "time":
        return format_time(value)
    if unit == "accuracy":
        return f"{value:.3f}"
    megabytes = value / 1024
    return f"{megabytes:.1f} MB" if megabytes < 100 else f"{megabytes:.0f} MB"


def ratios(workload, metric, unit, medians, values):
    """The two ratio cells of a row: dependency / faster peer (the floor's row: mlp_step as a
    dependency / the floor) and dependency / workspace."""
    if unit == "accuracy":
        return ["", ""]
    dep = medians.get("lossgraph_dep")
    if workload == "mlp_products" and "numpy" in medians:
        step = values.get(("lossgraph_dep", "mlp_step", "seconds")) or values.get(
            ("lossgraph", "mlp_step", "seconds")
        )
        return [f"mlp_step {statistics.median(step) / medians['numpy']:.2f}x" if step else "", ""]
    own = medians.get("lossgraph")
    peers = [medians[e] for e in PEERS if e in medians]
    # Rows only the workspace runs (the MNIST examples, memory) compare its own build.
    ours = dep or own
    versus_peer = f"{ours / min(peers):.2f}x" if ours and peers and min(peers) > 0 else ""
    versus_workspace = f"{dep / own:.2f}x" if dep and own else ""
    return [versus_peer, versus_workspace]


def main():
    results_path, header_path, *peer_args = sys.argv[1:]
    labels = {"lossgraph": "lossgraph"}
    for arg in peer_args:
        engine, label = arg.split("=", 1)
        labels[engine] = label
    values = read_results(results_path)
    with open(header_path) as f:
        print(f.read().rstrip("\n"))
    print()

    header = [
        f"{NAMES[e]} (not installed)" if labels.get(e) == "missing" else labels.get(e, NAMES[e])
        for e in ENGINES
    ]
    print("| workload | " + " | ".join(header) + " | dependency / faster peer | dependency / workspace |")
    print("|---|" + "---:|" * (len(ENGINES) + 2))
    for workload, metric, label, unit in ROWS:
        cells, medians = [], {}
        for engine in ENGINES:
            runs = values.get((engine, workload, metric))
            if not runs:
                cells.append(INSTALL[engine] if labels.get(engine) == "missing" else "-")
                continue
            medians[engine] = statistics.median(runs)
            cells.append(format_value(medians[engine], unit))
        print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(ratios(workload, metric, unit, medians, values)) + " |")

    compile_times = [
        f"{workload} {statistics.median(runs):.2f} s"
        for (engine, workload, metric), runs in values.items()
        if engine == "jax" and metric == "compile_seconds"
    ]
    print()
    print(
        "Ratios: lossgraph-as-a-dependency's median over the faster peer's (below 1.00x lossgraph"
        " wins; on the floor row, over the floor) and over the workspace's own build."
    )
    if compile_times:
        print("JAX compile times (excluded above, median): " + ", ".join(compile_times) + ".")
    solver_table(values)


SOLVER_ENGINES = ["lossgraph", "scipy_jax", "sklearn", "jax", "pytorch"]
SOLVER_NAMES = {
    "lossgraph": "lossgraph",
    "scipy_jax": "SciPy L-BFGS-B + JAX jit",
    "sklearn": "scikit-learn",
    "jax": "JAX jit (jvp / linearize)",
    "pytorch": "PyTorch torch.func (jvp / linearize)",
}
SOLVER_ROWS = [
    ("lbfgs_softmax", "seconds", "L-BFGS, L2 softmax regression on 8,000 MNIST (f64): time", "time"),
    ("lbfgs_softmax", "iterations", "... iterations", "count"),
    ("lbfgs_softmax", "objective", "... final objective", "objective"),
    ("hvp_mlp", "seconds", "Hessian-vector product of mlp_step's loss (f32), from scratch", "time"),
    ("hvp_mlp_at_point", "seconds", "... a further product at the same point (Newton-CG's CG step)", "time"),
    ("grad_mlp", "seconds", "mlp_step's gradient alone (for the ratio)", "time"),
]


def solver_table(values):
    """The solver rows (benches/solvers.rs and solvers.py), when they ran."""
    if not any(workload in ("lbfgs_softmax", "hvp_mlp") for _, workload, _ in values):
        return
    print()
    print("| solver workload | " + " | ".join(SOLVER_NAMES[e] for e in SOLVER_ENGINES) + " | lossgraph / fastest peer |")
    print("|---|" + "---:|" * (len(SOLVER_ENGINES) + 1))
    for workload, metric, label, unit in SOLVER_ROWS:
        cells, medians = [], {}
        for engine in SOLVER_ENGINES:
            runs = values.get((engine, workload, metric))
            if not runs:
                cells.append("-")
                continue
            medians[engine] = statistics.median(runs)
            value = medians[engine]
            if unit == "time":
                cells.append(format_time(value))
            elif unit == "count":
                cells.append(f"{value:.0f}")
            else:
                cells.append(f"{value:.12f}")
        peers = [v for e, v in medians.items() if e != "lossgraph"]
        ratio = ""
        if unit == "time" and "lossgraph" in medians and peers:
            ratio = f"{medians['lossgraph'] / min(peers):.2f}x"
        if unit == "objective" and "lossgraph" in medians and peers:
            gap = max(abs(v - medians["lossgraph"]) / abs(v) for v in peers)
            ratio = f"max relative gap {gap:.1e}"
        print(f"| {label} | " + " | ".join(cells) + f" | {ratio} |")
    hvp = values.get(("lossgraph", "hvp_mlp", "seconds"))
    grad = values.get(("lossgraph", "grad_mlp", "seconds"))
    if hvp and grad:
        print()
        print(f"lossgraph's Hessian-vector product costs {statistics.median(hvp) / statistics.median(grad):.2f} gradients.")


if __name__ == "__main__":
    main()
