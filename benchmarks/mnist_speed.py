"""Seconds per epoch: the course's numpy training against torch on the CPU, in the same run.

Needs torch, which is not a course dependency (``pip install torch==2.13.0`` into a separate
environment that also has the course installed). Then::

    python benchmarks/mnist_speed.py [--runs sgd adam ...] [--epochs 7] [--threads auto]

Both sides do the same work: the first 20 000 MNIST training images scaled to [-1, 1], the
lecture's 784 → 200 (sigmoid) → 10 network in float32 with softmax cross-entropy, batches of 64
in the same order, the same initial weights (the course's Glorot uniform, copied into
torch.nn.Linear), the same optimizer with the lecture's settings (``mnist_compare.RUNS``), and
the loss and accuracy summed per batch as ``course_utils.nn.train`` does. The numpy side *is*
``train`` (one call per epoch, which starts a fresh optimizer state: a step costs the same).

Threads. ``--threads auto`` (the default) first times a short burst of training on each side
with every thread count from 1 to the number of cores, interleaved and repeated, and gives
each side the count that was fastest (the median of the repeats): numpy's BLAS threads via
``train(blas_threads=...)``, torch's via ``torch.set_num_threads``. ``--threads N`` gives both
sides N.

Timing on a shared machine. Epochs alternate between the two sides, and which side goes first
alternates too (numpy–torch, torch–numpy, ...), so a load that comes and goes slows both alike;
each side's figure is the median over ``--epochs`` epochs, and the ratio is the median of the
per-epoch ratios numpy/torch (each pair timed back to back; "of medians" is the ratio of the two
medians, which a load that changes between the epochs of a run can pull either way). The load
average is printed beside every run: figures measured under load are slower and noisier, the
ratios less so. "cpu" is the paired ratio in CPU seconds of this process, which a busy machine
disturbs least (with one thread on each side). The last column, each side's mean training loss
in the first epoch, shows that both did the same work. MNIST is found as ``load_mnist`` finds it
(``MNIST_DIR`` or ``data/mnist/``).
"""

import argparse
import os
import statistics
import time

import numpy as np
import torch
from torch import nn as tnn

from course_utils.data import load_mnist, preprocess
from course_utils.mnist_compare import RUN_KEYS, RUNS
from course_utils.nn import BatchNorm1D, Dense, make_mlp, train

BATCH_SIZE = 64
TARGET = 0.9  # every run's numpy/torch ratio should be at most this
# Idle BLAS/OpenMP worker threads keep spinning for a while after their last call; a pause
# between the sides keeps one library's spinning threads from slowing the other's epoch.
PAUSE = 0.3
CALIBRATION_IMAGES = 64 * 80  # a burst of 80 batches per timing
CALIBRATION_REPEATS = 7


def load_average():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


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
    """One epoch as ``course_utils.nn.train`` does it; returns the mean training loss."""
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
    return loss_sum / len(order)


class Sides:
    """The numpy and the torch side of one run: same network, same optimizer, same batches."""

    def __init__(self, run, data, threads, impl):
        _, _, self.name, self.hp, batchnorm, _ = run
        self.X, self.y, self.X_t, self.y_t = data
        self.np_model = make_mlp(batchnorm=batchnorm, rng=0)
        self.t_model = torch_model(self.np_model)
        self.t_optimizer = torch_optimizer(self.name, self.t_model.parameters(), self.hp, impl)
        self.threads = threads

    def numpy_epoch(self, seed, n=None):
        # train() draws its batch order from default_rng(seed): torch gets the same order.
        n = n or len(self.X)
        history = train(self.np_model, self.X[:n], self.y[:n], optimizer=self.name, epochs=1,
                        batch_size=BATCH_SIZE, seed=seed, progress=False,
                        blas_threads=self.threads["numpy"], **self.hp)
        return history["loss"][0]

    def torch_epoch(self, seed, n=None):
        n = n or len(self.X)
        torch.set_num_threads(self.threads["torch"])
        order = torch.from_numpy(np.random.default_rng(seed).permutation(n))
        return torch_epoch(self.t_model, self.t_optimizer, self.X_t, self.y_t, order)

    def timed(self, side, seed, n=None):
        """(wall seconds, CPU seconds, mean loss) of one epoch of ``side``."""
        wall, cpu = time.perf_counter(), time.process_time()
        loss = getattr(self, f"{side}_epoch")(seed, n)
        return time.perf_counter() - wall, time.process_time() - cpu, loss


def paired_ratio(seconds):
    """Median over the epochs of numpy's time / torch's, each pair timed back to back."""
    return statistics.median(
        a / b for a, b in zip(seconds["numpy"], seconds["torch"], strict=True))


def calibrate(data, impl):
    """Each side's fastest thread count for a burst of SGD training, by measurement."""
    counts = range(1, (os.cpu_count() or 1) + 1)
    times = {(side, k): [] for side in ("numpy", "torch") for k in counts}
    sides = {k: Sides(RUNS[0], data, {"numpy": k, "torch": k}, impl) for k in counts}
    for repeat in range(CALIBRATION_REPEATS):
        for k in counts if repeat % 2 == 0 else reversed(counts):
            for side in ("numpy", "torch") if repeat % 2 == 0 else ("torch", "numpy"):
                wall, _, _ = sides[k].timed(side, repeat, CALIBRATION_IMAGES)
                times[side, k].append(wall)
                time.sleep(PAUSE)
    print(f"thread calibration: {CALIBRATION_IMAGES // BATCH_SIZE} SGD batches, "
          f"{CALIBRATION_REPEATS} timings each: median (best) in ms; "
          f"load average {load_average()}")
    chosen = {}
    for side in ("numpy", "torch"):
        medians = {k: statistics.median(times[side, k]) for k in counts}
        chosen[side] = min(medians, key=medians.get)
        cells = "  ".join(f"{k} thread{'s' if k > 1 else ''}: {1e3 * m:7.1f} "
                          f"({1e3 * min(times[side, k]):7.1f})" for k, m in medians.items())
        print(f"  {side:6s} {cells}   -> {chosen[side]}")
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", choices=RUN_KEYS, default=list(RUN_KEYS))
    parser.add_argument("--epochs", type=int, default=7, help="timed epochs per side and run")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--threads", default="auto",
                        help="'auto' (each side's fastest, measured first) or a number for both")
    parser.add_argument("--torch-impl", choices=["default", "foreach", "fused"],
                        default="default", help="torch.optim implementation (default: its own)")
    args = parser.parse_args(argv)

    (x_train, y_train), _ = load_mnist(verbose=False)
    X = preprocess(x_train[: args.n_train])
    y = np.asarray(y_train[: args.n_train])
    data = (X, y, torch.from_numpy(X), torch.from_numpy(y.astype(np.int64)))
    print(f"numpy {np.__version__}, torch {torch.__version__} "
          f"(optimizer implementation: {args.torch_impl}), {os.cpu_count()} cores")
    if args.threads == "auto":
        threads = calibrate(data, args.torch_impl)
    else:
        threads = {"numpy": int(args.threads), "torch": int(args.threads)}
    print(f"threads: numpy BLAS {threads['numpy']}, torch {threads['torch']}")
    print(f"{len(X)} images, batch {BATCH_SIZE}, median of {args.epochs} epochs per side\n")

    print(f"{'':10s} {'median s/epoch':^27s}  {'numpy / torch':^27s}")
    print(f"{'run':10s} {'numpy':>13s} {'torch':>13s}  {'ratio':>6s} {'of medians':>10s} "
          f"{'cpu':>9s}  {'load average':14s}  loss after epoch 1 (numpy, torch)")
    ratios = {}
    for run in RUNS:
        key = run[0]
        if key not in args.runs:
            continue
        sides = Sides(run, data, threads, args.torch_impl)
        walls = {"numpy": [], "torch": []}
        cpus = {"numpy": [], "torch": []}
        first_loss = {}
        for epoch in range(args.epochs):
            for side in ("numpy", "torch") if epoch % 2 == 0 else ("torch", "numpy"):
                wall, cpu, loss = sides.timed(side, epoch)
                walls[side].append(wall)
                cpus[side].append(cpu)
                first_loss.setdefault(side, loss)
                time.sleep(PAUSE)
        ratio = paired_ratio(walls)
        cpu_ratio = paired_ratio(cpus)
        ratios[key] = ratio
        np_s, t_s = statistics.median(walls["numpy"]), statistics.median(walls["torch"])
        print(f"{key:10s} {np_s:13.3f} {t_s:13.3f}  {ratio:6.2f} {np_s / t_s:10.2f} "
              f"{cpu_ratio:9.2f}  "
              f"{load_average():14s}  {first_loss['numpy']:.4f}, {first_loss['torch']:.4f}",
              flush=True)
    mean = statistics.geometric_mean(ratios.values())
    slow = [key for key, r in ratios.items() if r > TARGET]
    print(f"\ngeometric mean of the ratios: {mean:.2f}; "
          + (f"ratio above {TARGET} for: {', '.join(slow)}" if slow
             else f"every ratio at most {TARGET}"))
    print(f"load average at the end: {load_average()} (1, 5, 15 min)")


if __name__ == "__main__":
    main()
