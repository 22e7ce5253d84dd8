"""The lossgraph benchmark workloads in PyTorch eager mode, 2 threads, f32.

Each workload is written the way a PyTorch user would write it (F.linear, F.cross_entropy,
torch.optim), computes the same loss and the same gradients as the criterion bench of the same
name, and clears the gradients before each step (lossgraph's backward overwrites them).
Prints RESULT lines (see common.Reporter); README.md states each workload.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

import common

torch.set_num_threads(2)


def leaf(array):
    return torch.from_numpy(np.ascontiguousarray(array)).requires_grad_()


def linear_leaves(layers):
    """Weights in PyTorch's [out, in] layout (nn.Linear's), biases as they are."""
    return [(leaf(w.T), leaf(b)) for w, b in layers]


def forward(x, layers):
    """Linear layers with ReLU between them, none after the last."""
    for i, (w, b) in enumerate(layers):
        x = F.linear(x, w, b)
        if i + 1 < len(layers):
            x = F.relu(x)
    return x


def clear(tensors):
    for t in tensors:
        t.grad = None


def mlp_step(batch):
    layers, x, y = common.mlp_data(batch)
    layers = linear_leaves(layers)
    params = [p for layer in layers for p in layer]
    x, y = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        clear(params)
        loss = F.cross_entropy(forward(x, layers), y)
        loss.backward()
        return loss.item()

    return step


def scalar_chain():
    def step():
        x0 = torch.tensor([0.5], requires_grad=True)
        x = x0
        for _ in range(common.SCALAR_CHAIN_STEPS):
            # Three autograd nodes per step: MulBackward0, AddBackward0, TanhBackward0.
            x = torch.tanh(x * 1.0001 + 0.1)
        x.backward()
        return x0.grad.item()

    return step


def softmax_ce():
    logits, y = common.softmax_ce_data()
    z, y = leaf(logits), torch.from_numpy(y)

    def step():
        z.grad = None
        loss = F.cross_entropy(z, y)
        loss.backward()
        return loss.item()

    return step


def fast_rcnn():
    cls, boxes, targets, y = (torch.from_numpy(a) for a in common.fast_rcnn_data())
    cls.requires_grad_()
    boxes.requires_grad_()
    n, classes = cls.shape

    def step():
        clear([cls, boxes])
        classification = F.cross_entropy(cls, y, reduction="sum")
        foreground = (y >= 1).nonzero().squeeze(1)
        t_u = boxes.view(n, classes, 4)[foreground, y[foreground]]
        localisation = F.smooth_l1_loss(t_u, targets[foreground], reduction="sum", beta=1.0)
        loss = (classification + 1.0 * localisation) / n
        loss.backward()
        return loss.item()

    return step


def deepid2():
    features, weights, y, first, second = common.deepid2_data()
    f, w = leaf(features), leaf(weights)
    y, first, second = torch.from_numpy(y), torch.from_numpy(first), torch.from_numpy(second)
    margin, weight = 1.0, 0.05

    def step():
        clear([f, w])
        identification = F.cross_entropy(f @ w, y)
        same = y[first] == y[second]
        diff = f[first] - f[second]
        squared = diff.square().sum(1)
        distance = diff.norm(dim=1)
        violation = F.relu(margin - distance).square()
        verification = (0.5 * torch.where(same, squared, violation)).mean()
        loss = identification + weight * verification
        loss.backward()
        return loss.item()

    return step


def center_loss():
    features, weights, centers, y = common.center_loss_data()
    f, w, c, y = leaf(features), leaf(weights), leaf(centers), torch.from_numpy(y)
    lam = 0.003

    def step():
        clear([f, w, c])
        classification = F.cross_entropy(f @ w, y, reduction="none")
        compactness = (f - c[y]).square().sum(1)
        loss = (classification + lam / 2 * compactness).mean()
        loss.backward()
        return loss.item()

    return step


def gan_step():
    generator, discriminator, data, noise = common.gan_data()
    g, d = linear_leaves(generator), linear_leaves(discriminator)
    g_params = [p for layer in g for p in layer]
    d_params = [p for layer in d for p in layer]
    data, noise = torch.from_numpy(data), torch.from_numpy(noise)

    def step():
        clear(g_params + d_params)
        fake = forward(noise, g)
        d_loss = F.softplus(-forward(data, d)).mean() + F.softplus(forward(fake.detach(), d)).mean()
        d_loss.backward()
        # The generator step differentiates with respect to G only: D is frozen meanwhile, as
        # a GAN loop does (JAX's value_and_grad over G, lossgraph's detached D).
        for p in d_params:
            p.requires_grad_(False)
        g_loss = F.softplus(-forward(fake, d)).mean()
        g_loss.backward()
        for p in d_params:
            p.requires_grad_(True)
        return d_loss.item() + g_loss.item()

    return step


def train_mnist(args, params, make_optimizer, seed):
    """10 epochs of shuffled batches of 64; returns (training seconds, validation accuracy).
    Like lossgraph's `fit`, each step also reads the loss and counts correct predictions."""
    x_train, y_train, x_val, y_val = (torch.from_numpy(a) for a in common.load_mnist(args.mnist))
    layers = linear_leaves(params)
    flat = [p for layer in layers for p in layer]
    optimizer = make_optimizer(flat)
    generator = torch.Generator().manual_seed(seed)
    n = len(x_train)
    started = time.perf_counter()
    for _ in range(common.MNIST_EPOCHS):
        order = torch.randperm(n, generator=generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, common.MNIST_BATCH):
            batch = order[start : start + common.MNIST_BATCH]
            x, y = x_train[batch], y_train[batch]
            optimizer.zero_grad(set_to_none=True)
            logits = forward(x, layers)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
            correct += (logits.argmax(1) == y).sum().item()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        accuracy = (forward(x_val, layers).argmax(1) == y_val).double().mean().item()
    return seconds, accuracy


def mnist_softmax(args):
    params = common.mnist_softmax_params()
    return train_mnist(args, params, lambda p: torch.optim.SGD(p, lr=0.1), seed=0)


def mnist_mlp(args):
    params = common.mnist_mlp_params()
    return train_mnist(args, params, lambda p: torch.optim.Adam(p, lr=1e-3), seed=0)


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
    args = common.parse_args("PyTorch")
    report = common.Reporter("pytorch", args.round)
    for workload in args.only:
        if workload in STEPS:
            report.emit(workload, "seconds", common.median_seconds(STEPS[workload](), args))
        else:
            seconds, accuracy = TRAINING[workload](args)
            report.emit(workload, "seconds", seconds)
            report.emit(workload, "accuracy", accuracy)


if __name__ == "__main__":
    main()
