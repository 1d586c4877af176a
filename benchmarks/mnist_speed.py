"""Seconds per epoch: the course's numpy training against torch on the CPU, in the same run.

Needs torch, which is not a course dependency: ``pip install torch==2.13.0`` (and optionally
threadpoolctl, to pin numpy's BLAS threads). Then::

    python benchmarks/mnist_speed.py [--runs sgd adam ...] [--epochs 5] [--threads 2]

Both sides do the same work: the first 20 000 MNIST training images scaled to [-1, 1], the
lecture's 784 → 200 (sigmoid) → 10 network in float32 with softmax cross-entropy, batches of 64
in the same order, the same initial weights (the course's Glorot uniform, copied into
torch.nn.Linear), the same optimizer with the lecture's settings (``mnist_compare.RUNS``), and
the loss and accuracy summed per batch as ``course_utils.nn.train`` does. Both use the same
number of threads. Epochs alternate between the two sides, so a busy machine slows both alike
(numpy's side calls ``train`` once per epoch, which starts a fresh optimizer state: the cost of
a step is the same). The table shows each side's median and best epoch and the ratio of the
medians, and each side's mean training loss in the first epoch: equal numbers, equal work.
MNIST is found as ``load_mnist`` finds it (``MNIST_DIR`` or ``data/mnist/``).
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn as tnn

from course_utils.data import load_mnist, preprocess
from course_utils.mnist_compare import RUN_KEYS, RUNS
from course_utils.nn import BatchNorm1D, Dense, make_mlp, train

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # numpy's BLAS then keeps its default thread count
    threadpool_info = threadpool_limits = None

BATCH_SIZE = 64
# Idle BLAS/OpenMP worker threads keep spinning for a while after their last call; a pause
# between the sides keeps one library's spinning threads from slowing the other's epoch.
PAUSE = 0.5


def torch_model(model):
    """The same network in torch, starting from the numpy model's weights."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, Dense):
            W, b = layer.params["W"], layer.params["b"]
            linear = tnn.Linear(*W.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
        elif isinstance(layer, BatchNorm1D):
            # torch's momentum weighs the new batch: 1 − ours
            layers.append(tnn.BatchNorm1d(len(layer.params["gamma"]), eps=layer.eps,
                                          momentum=1 - layer.momentum))
        else:  # make_mlp's activation, sigmoid
            layers.append(tnn.Sigmoid())
    return tnn.Sequential(*layers)


def torch_optimizer(name, params, hp, impl):
    kw = {"foreach": True} if impl == "foreach" else {"fused": True} if impl == "fused" else {}
    if name == "sgd":
        return torch.optim.SGD(params, lr=hp["lr"], **kw)
    if name == "momentum":
        return torch.optim.SGD(params, lr=hp["lr"], momentum=hp["gamma"], **kw)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=hp["lr"], eps=hp["eps"], **kw)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=hp["lr"], alpha=hp["gamma"], eps=hp["eps"], **kw)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=1.0, rho=hp["rho"], eps=hp["eps"], **kw)
    if name == "adam":
        return torch.optim.Adam(params, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]),
                                eps=hp["eps"], **kw)
    raise ValueError(name)


def torch_epoch(model, optimizer, X, y, order):
    """One epoch as ``course_utils.nn.train`` does it; returns (seconds, mean loss)."""
    start = time.perf_counter()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(order), BATCH_SIZE):
        batch = order[i : i + BATCH_SIZE]
        xb, yb = X[batch], y[batch]
        logits = model(xb)
        loss = tnn.functional.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(batch)
        correct += int((logits.argmax(dim=1) == yb).sum())
    return time.perf_counter() - start, loss_sum / len(order)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=RUN_KEYS, default=list(RUN_KEYS))
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per side and run")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="threads for both torch and numpy's BLAS (default: torch's default)")
    parser.add_argument("--torch-impl", choices=["default", "foreach", "fused"],
                        default="default", help="torch.optim implementation (default: its own)")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    if threadpool_limits is not None:
        threadpool_limits(args.threads)
        blas = ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info())
    else:
        blas = "default (threadpoolctl not installed)"
    print(f"numpy {np.__version__}, BLAS threads: {blas}")
    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}, "
          f"optimizer implementation: {args.torch_impl}")

    (x_train, y_train), _ = load_mnist(verbose=False)
    X = preprocess(x_train[: args.n_train])
    y = np.asarray(y_train[: args.n_train])
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    print(f"{len(X)} images, batch {BATCH_SIZE}, median of {args.epochs} epochs per side\n")

    print(f"{'':10s} {'numpy s/epoch':>18s} {'torch s/epoch':>18s}")
    print(f"{'run':10s} {'median':>9s}{'best':>9s} {'median':>9s}{'best':>9s} {'ratio':>6s}"
          "   loss after epoch 1 (numpy, torch)")
    ratios = []
    for key, _, name, hp, batchnorm, _ in RUNS:
        if key not in args.runs:
            continue
        np_model = make_mlp(batchnorm=batchnorm, rng=0)
        t_model = torch_model(np_model)
        t_optimizer = torch_optimizer(name, t_model.parameters(), hp, args.torch_impl)
        np_times, t_times, losses = [], [], []
        for epoch in range(args.epochs):
            # train() draws its batch order from default_rng(seed): torch gets the same order.
            history = train(np_model, X, y, optimizer=name, epochs=1, batch_size=BATCH_SIZE,
                            seed=epoch, progress=False, **hp)
            time.sleep(PAUSE)
            order = torch.from_numpy(np.random.default_rng(epoch).permutation(len(X)))
            seconds, t_loss = torch_epoch(t_model, t_optimizer, X_t, y_t, order)
            time.sleep(PAUSE)
            np_times.append(history["seconds"][0])
            t_times.append(seconds)
            losses.append((history["loss"][0], t_loss))
        np_s, t_s = statistics.median(np_times), statistics.median(t_times)
        ratios.append(np_s / t_s)
        print(f"{key:10s} {np_s:9.3f}{min(np_times):9.3f} {t_s:9.3f}{min(t_times):9.3f}"
              f" {np_s / t_s:6.2f}   {losses[0][0]:.4f}, {losses[0][1]:.4f}")
    print(f"\nnumpy/torch ratio of the medians, geometric mean over the runs: "
          f"{statistics.geometric_mean(ratios):.2f}")


if __name__ == "__main__":
    main()
