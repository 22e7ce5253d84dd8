"""What the PyTorch and JAX scripts share: the workloads' data, MNIST, timing and output.

Every workload's data comes from NumPy with a fixed seed, so PyTorch and JAX see the same
numbers (lossgraph draws the same distributions from Rust's StdRng; see README.md).
"""

import argparse
import gzip
import os
import statistics
import sys
import time

import numpy as np

# The order in which a process runs the workloads (and run.sh prints them).
WORKLOADS = [
    "mlp_step",
    "mlp_step_b1",
    "scalar_chain",
    "softmax_ce",
    "fast_rcnn",
    "deepid2",
    "center_loss",
    "gan_step",
    "mnist_softmax",
    "mnist_mlp",
]

MLP_WIDTHS = [784, 512, 256, 10]
SCALAR_CHAIN_STEPS = 5_000


def parse_args(engine):
    """`--only a,b` picks workloads; the timing flags mirror the criterion flags run.sh uses."""
    parser = argparse.ArgumentParser(description=f"The lossgraph benchmark workloads in {engine}.")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--round", type=int, default=0, help="round number, copied to the output")
    parser.add_argument("--warm-up-time", type=float, default=1.0, help="seconds")
    parser.add_argument("--measurement-time", type=float, default=2.0, help="seconds")
    parser.add_argument("--sample-size", type=int, default=20, help="timed samples")
    parser.add_argument(
        "--mnist",
        default=os.environ.get("MNIST_DIR", "../shared/data/mnist"),
        help="folder with the MNIST IDX files (default $MNIST_DIR)",
    )
    args = parser.parse_args()
    args.only = [w for w in args.only.split(",") if w]
    unknown = sorted(set(args.only) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {', '.join(WORKLOADS)}")
    return args


class Reporter:
    """Prints `RESULT<TAB>engine<TAB>round<TAB>workload<TAB>metric<TAB>value` lines for run.sh."""

    def __init__(self, engine, round_number):
        self.engine = engine
        self.round = round_number

    def emit(self, workload, metric, value):
        print(f"RESULT\t{self.engine}\t{self.round}\t{workload}\t{metric}\t{value!r}", flush=True)


def median_seconds(step, args):
    """Median seconds per call of `step`, measured like criterion: a warm-up, then
    `sample_size` samples of equal iteration counts filling about `measurement_time` seconds.
    `step` must finish its work before returning (JAX: block_until_ready)."""
    calls, started = 0, time.perf_counter()
    while True:
        step()
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= args.warm_up_time:
            break
    per_call = elapsed / calls
    iterations = max(1, round(args.measurement_time / (args.sample_size * per_call)))
    samples = []
    for _ in range(args.sample_size):
        started = time.perf_counter()
        for _ in range(iterations):
            step()
        samples.append((time.perf_counter() - started) / iterations)
    return statistics.median(samples)


# --- the benchmark data, with the shapes and distributions of benches/tape.rs and losses.rs ---


def uniform(rng, shape, scale):
    """U(-scale, scale) as f32, like the benches' `uniform`."""
    return rng.uniform(-scale, scale, size=shape).astype(np.float32)


def glorot(rng, fan_in, fan_out):
    """A weight matrix [fan_in, fan_out] from U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    return uniform(rng, (fan_in, fan_out), np.sqrt(6.0 / (fan_in + fan_out)))


def labels(rng, n, classes, low=0):
    return rng.integers(low, classes, size=n).astype(np.int64)


def dense_layers(rng, widths):
    """(weight [in, out], zero bias [out]) per layer, as the benches' `layers`."""
    return [(glorot(rng, a, b), np.zeros(b, np.float32)) for a, b in zip(widths, widths[1:])]


def mlp_data(batch):
    """benches/tape.rs `mlp_bench`: the 784-512-256-10 layers, inputs U(-1, 1), labels 0-9."""
    rng = np.random.default_rng(42)
    layers = dense_layers(rng, MLP_WIDTHS)
    x = uniform(rng, (batch, MLP_WIDTHS[0]), 1.0)
    return layers, x, labels(rng, batch, 10)


def softmax_ce_data():
    rng = np.random.default_rng(1)
    return uniform(rng, (1024, 1000), 3.0), labels(rng, 1024, 1000)


def fast_rcnn_data():
    """512 RoIs, 21 classes; every fourth RoI is background (class 0)."""
    rng = np.random.default_rng(2)
    n, classes = 512, 21
    cls = uniform(rng, (n, classes), 2.0)
    boxes = uniform(rng, (n, 4 * classes), 1.0)
    targets = uniform(rng, (n, 4), 1.0)
    y = labels(rng, n, classes, low=1)
    y[::4] = 0
    return cls, boxes, targets, y


def deepid2_data():
    """256 features of 160, 10,000 identities; pairs (2i, 2i+1), half of them the same."""
    rng = np.random.default_rng(3)
    n, d, identities = 256, 160, 10_000
    features = uniform(rng, (n, d), 1.0)
    weights = glorot(rng, d, identities)
    y = labels(rng, n, identities)
    y[1::4] = y[0::4]
    first = np.arange(0, n, 2)
    return features, weights, y, first, first + 1


def center_loss_data():
    rng = np.random.default_rng(4)
    n, d, classes = 256, 512, 10
    features = uniform(rng, (n, d), 1.0)
    weights = glorot(rng, d, classes)
    centers = uniform(rng, (classes, d), 1.0)
    return features, weights, centers, labels(rng, n, classes)


def gan_data():
    """G 64-256-256-2, D 2-256-256-1, batch 256."""
    rng = np.random.default_rng(5)
    generator = dense_layers(rng, [64, 256, 256, 2])
    discriminator = dense_layers(rng, [2, 256, 256, 1])
    data = uniform(rng, (256, 2), 2.0)
    noise = uniform(rng, (256, 64), 1.0)
    return generator, discriminator, data, noise


# --- MNIST, read as lossgraph's train::mnist::load_mnist reads it ---

MNIST_EPOCHS = 10
MNIST_BATCH = 64
T10K_TRAIN = 8000


def _idx_path(folder, dataset, kind):
    rank = 3 if kind == "images" else 1
    for stem in (f"{dataset}-{kind}-idx{rank}-ubyte", f"{dataset}-{kind}.idx{rank}-ubyte"):
        for name in (stem, stem + ".gz"):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    return None


def _read_idx(path):
    """An IDX file as a NumPy array: big-endian header (magic, dims), then unsigned bytes."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = np.frombuffer(raw, ">u4", count=rank, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(dims)


def _read_set(folder, dataset):
    images = _idx_path(folder, dataset, "images")
    labels_file = _idx_path(folder, dataset, "labels")
    if images is None or labels_file is None:
        sys.exit(f"error: no {dataset} images/labels IDX files in {folder}")
    pixels = _read_idx(images)
    x = pixels.reshape(pixels.shape[0], -1).astype(np.float32) / 255.0
    return x, _read_idx(labels_file).astype(np.int64)


def load_mnist(folder):
    """(x_train, y_train, x_val, y_val): with the train files, train on them and validate on
    t10k; with only t10k, the first 8,000 images train and the last 2,000 validate."""
    if _idx_path(folder, "t10k", "images") is None:
        sys.exit(f"error: no t10k-images-idx3-ubyte(.gz) in {folder}; set MNIST_DIR")
    x_test, y_test = _read_set(folder, "t10k")
    if _idx_path(folder, "train", "images") is not None:
        return (*_read_set(folder, "train"), x_test, y_test)
    n = min(T10K_TRAIN, len(x_test) * 4 // 5)
    return x_test[:n], y_test[:n], x_test[n:], y_test[n:]


def mnist_softmax_params():
    """Softmax regression 784-10 from zero weights (as examples/mnist_softmax.rs)."""
    return [(np.zeros((784, 10), np.float32), np.zeros(10, np.float32))]


def mnist_mlp_params(seed=0):
    """784-256-10: He uniform U(+-sqrt(6 / fan_in)) for the hidden layer and Glorot uniform
    for the output layer, zero biases (as train::Mlp with ReLU)."""
    rng = np.random.default_rng(seed)
    hidden = uniform(rng, (784, 256), np.sqrt(6.0 / 784))
    return [(hidden, np.zeros(256, np.float32)), (glorot(rng, 256, 10), np.zeros(10, np.float32))]
