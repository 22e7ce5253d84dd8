"""The lossgraph benchmark workloads in JAX: `jax.jit(jax.value_and_grad(loss))`, f32, CPU.

Each workload computes the same loss and gradients as the criterion bench of the same name.
Compilation (`jit(...).lower(...).compile()`) happens before the clock starts and is reported
apart as `compile_seconds`. XLA's CPU backend sizes its thread pool to the machine (2 cores).
Prints RESULT lines (see common.Reporter); README.md states each workload.
"""

import time

import jax

# Before any computation: stay on the CPU, in f32.
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import common  # noqa: E402


def forward(x, layers):
    """Linear layers x W + b with ReLU between them, none after the last."""
    for i, (w, b) in enumerate(layers):
        x = x @ w + b
        if i + 1 < len(layers):
            x = jax.nn.relu(x)
    return x


def cross_entropy(logits, y):
    """Per-sample softmax cross-entropy with integer labels."""
    log_p = jax.nn.log_softmax(logits, axis=1)
    return -jnp.take_along_axis(log_p, y[:, None], axis=1)[:, 0]


def compiled(fn, *args, **jit_options):
    """`fn` jitted and compiled ahead of time for `args`; returns (callable, compile seconds)."""
    started = time.perf_counter()
    executable = jax.jit(fn, **jit_options).lower(*args).compile()
    return executable, time.perf_counter() - started


def on_device(arrays):
    """NumPy arrays on the JAX device; integer labels and indices as int32 (JAX's default)."""
    return jax.device_put(
        jax.tree.map(lambda a: a.astype(np.int32) if a.dtype == np.int64 else a, arrays)
    )


def timed_step(fn, *args):
    """A step that runs the compiled `fn(*args)` to completion, and the compile time."""
    args = on_device(args)
    executable, compile_seconds = compiled(fn, *args)

    def step():
        return jax.block_until_ready(executable(*args))

    return step, compile_seconds


def mlp_step(batch):
    layers, x, y = common.mlp_data(batch)

    def loss(layers, x, y):
        return cross_entropy(forward(x, layers), y).mean()

    return timed_step(jax.value_and_grad(loss), layers, x, y)


def scalar_chain():
    # A Python loop would be unrolled into 15,000 XLA ops and compiled for minutes; a
    # fori_loop with constant bounds is one compiled loop (a scan, so it is differentiable).
    def chain(x0):
        body = lambda _, x: jnp.tanh(x * 1.0001 + 0.1)  # noqa: E731
        return jax.lax.fori_loop(0, common.SCALAR_CHAIN_STEPS, body, x0)[0]

    return timed_step(jax.value_and_grad(chain), np.array([0.5], np.float32))


def softmax_ce():
    logits, y = common.softmax_ce_data()
    return timed_step(jax.value_and_grad(lambda z, y: cross_entropy(z, y).mean()), logits, y)


def fast_rcnn():
    cls, boxes, targets, y = common.fast_rcnn_data()

    def loss(cls, boxes, targets, y):
        n, classes = cls.shape
        # A jitted function has static shapes: background rows are masked, not dropped.
        per_class = boxes.reshape(n, classes, 4)
        t_u = jnp.take_along_axis(per_class, y[:, None, None], axis=1)[:, 0, :]
        d = t_u - targets
        smooth_l1 = jnp.where(jnp.abs(d) < 1.0, 0.5 * d * d, jnp.abs(d) - 0.5).sum(1)
        localisation = jnp.where(y >= 1, smooth_l1, 0.0)
        return (cross_entropy(cls, y) + 1.0 * localisation).mean()

    return timed_step(jax.value_and_grad(loss, argnums=(0, 1)), cls, boxes, targets, y)


def deepid2():
    features, weights, y, first, second = common.deepid2_data()

    def loss(f, w, y, first, second):
        identification = cross_entropy(f @ w, y).mean()
        diff = f[first] - f[second]
        squared = (diff * diff).sum(1)
        violation = jax.nn.relu(1.0 - jnp.sqrt(squared)) ** 2
        same = y[first] == y[second]
        verification = (0.5 * jnp.where(same, squared, violation)).mean()
        return identification + 0.05 * verification

    grad = jax.value_and_grad(loss, argnums=(0, 1))
    return timed_step(grad, features, weights, y, first, second)


def center_loss():
    features, weights, centers, y = common.center_loss_data()

    def loss(f, w, c, y):
        compactness = ((f - c[y]) ** 2).sum(1)
        return (cross_entropy(f @ w, y) + 0.003 / 2 * compactness).mean()

    return timed_step(jax.value_and_grad(loss, argnums=(0, 1, 2)), features, weights, centers, y)


def gan_step():
    generator, discriminator, data, noise = common.gan_data()

    def d_loss(d, g, data, noise):
        fake = jax.lax.stop_gradient(forward(noise, g))
        real_term = jax.nn.softplus(-forward(data, d)).mean()
        return real_term + jax.nn.softplus(forward(fake, d)).mean()

    def g_loss(g, d, noise):
        return jax.nn.softplus(-forward(forward(noise, g), d)).mean()

    def step(g, d, data, noise):
        d_value, d_grads = jax.value_and_grad(d_loss)(d, g, data, noise)
        g_value, g_grads = jax.value_and_grad(g_loss)(g, d, noise)
        return d_value + g_value, d_grads, g_grads

    return timed_step(step, generator, discriminator, data, noise)


def adam_update(params, grads, state, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """Adam as train::Adam (and torch.optim.Adam): bias-corrected moments, eps outside the sqrt."""
    m, v, t = state
    t = t + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
    correction1, correction2 = 1 - b1**t, 1 - b2**t

    def update(w, m, v):
        return w - lr * (m / correction1) / (jnp.sqrt(v / correction2) + eps)

    return jax.tree.map(update, params, m, v), (m, v, t)


def sgd_update(params, grads, state, lr=0.1):
    return jax.tree.map(lambda w, g: w - lr * g, params, grads), state


def train_mnist(args, params, update, state, seed):
    """10 epochs of shuffled batches of 64; returns (training seconds, validation accuracy,
    compile seconds). Like lossgraph's `fit`, each step also returns the loss and the number of
    correct predictions; they are summed on the host once per epoch (no per-step sync)."""
    x_train, y_train, x_val, y_val = on_device(common.load_mnist(args.mnist))
    params = on_device(params)

    def loss(params, x, y):
        logits = forward(x, params)
        return cross_entropy(logits, y).mean(), logits

    def train_step(params, state, x_train, y_train, batch):
        x, y = x_train[batch], y_train[batch]
        (value, logits), grads = jax.value_and_grad(loss, has_aux=True)(params, x, y)
        correct = (logits.argmax(1) == y).sum()
        params, state = update(params, grads, state)
        return params, state, value, correct

    batch = np.arange(common.MNIST_BATCH, dtype=np.int32)
    step, compile_seconds = compiled(
        train_step, params, state, x_train, y_train, batch, donate_argnums=(0, 1)
    )
    rng = np.random.default_rng(seed)
    n = len(x_train)
    started = time.perf_counter()
    for _ in range(common.MNIST_EPOCHS):
        order = rng.permutation(n).astype(np.int32)
        losses, corrects = [], []
        for start in range(0, n, common.MNIST_BATCH):
            batch = order[start : start + common.MNIST_BATCH]
            params, state, value, correct = step(params, state, x_train, y_train, batch)
            losses.append(value)
            corrects.append(correct)
        jax.block_until_ready((params, sum(losses), sum(corrects)))
    seconds = time.perf_counter() - started
    accuracy = float((forward(x_val, params).argmax(1) == y_val).mean())
    return seconds, accuracy, compile_seconds


def zeros_like(params):
    return jax.tree.map(jnp.zeros_like, on_device(params))


def mnist_softmax(args):
    return train_mnist(args, common.mnist_softmax_params(), sgd_update, (), seed=0)


def mnist_mlp(args):
    params = common.mnist_mlp_params()
    state = (zeros_like(params), zeros_like(params), jnp.zeros((), jnp.float32))
    return train_mnist(args, params, adam_update, state, seed=0)


STEPS = {
    "mlp_step": lambda: mlp_step(128),
    "mlp_step_b1": lambda: mlp_step(1),
    "scalar_chain": scalar_chain,
    "softmax_ce": softmax_ce,
    "fast_rcnn": fast_rcnn,
    "deepid2": deepid2,
    "center_loss": center_loss,
    "gan_step": gan_step,
}
TRAINING = {"mnist_softmax": mnist_softmax, "mnist_mlp": mnist_mlp}


def main():
    args = common.parse_args("JAX")
    report = common.Reporter("jax", args.round)
    for workload in args.only:
        if workload in STEPS:
            step, compile_seconds = STEPS[workload]()
            report.emit(workload, "seconds", common.median_seconds(step, args))
        else:
            seconds, accuracy, compile_seconds = TRAINING[workload](args)
            report.emit(workload, "seconds", seconds)
            report.emit(workload, "accuracy", accuracy)
        report.emit(workload, "compile_seconds", compile_seconds)


if __name__ == "__main__":
    main()
