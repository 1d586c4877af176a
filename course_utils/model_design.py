"""Deep networks that are hard and easy to train (朱明超《深度模型中的优化》 §6 and §7).

One deep MLP on MNIST in five designs, trained alike (same data, width, depth, optimizer,
batches): sigmoid from scratch; sigmoid with greedy layer-wise supervised pre-training
(:mod:`course_utils.pretraining`) then fine-tuning; ReLU with He initialization; sigmoid with
BatchNorm; sigmoid with residual (skip) connections. For each: the gradient norm that reaches
every layer at the start (:mod:`course_utils.gradient_flow`) and the learning curves. Each
design is one :class:`Design` record in ``DESIGNS``; the notebook calls :func:`compare_designs`.
"""

import functools
import time
from dataclasses import dataclass

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .gradient_flow import weight_gradient_norms
from .mnist_compare import lecture_data
from .nn import make_mlp, train
from .pretraining import greedy_pretrain
from .widgets import Explorer


@dataclass(frozen=True)
class Design:
    """A way to build the deep network: ``make_mlp`` settings, or pre-training first.

    ``color`` and ``marker`` mark the design in every figure (Okabe–Ito colours: these are
    network designs, not optimizers, which keep their own colours).
    """

    name: str
    label: str
    color: str
    marker: str
    activation: str = "sigmoid"
    init: str = "glorot_uniform"
    batchnorm: bool = False
    residual: bool = False
    pretrain: bool = False


DESIGNS = {
    design.name: design
    for design in (
        Design("sigmoid", "sigmoid", "#000000", "o"),
        Design("pretrained", "sigmoid, pre-trained", "#E69F00", "s", pretrain=True),
        Design("relu_he", "ReLU + He init", "#0072B2", "^", activation="relu",
               init="he_normal"),
        Design("batchnorm", "sigmoid + BatchNorm", "#009E73", "D", batchnorm=True),
        Design("residual", "sigmoid + residual", "#CC79A7", "v", residual=True),
    )
}


BATCH_SIZE = 64


def _epochs_for(steps, n):
    """Whole epochs of ``n`` images in batches of 64 that make at least ``steps`` steps."""
    batches = -(-n // BATCH_SIZE)
    return max(1, -(-steps // batches))


def _build(design, sizes, x_train, y_train, seed, pretrain_epochs, optimizer, hyperparams):
    """The network before whole-network training, and the seconds pre-training took."""
    if not design.pretrain:
        return make_mlp(sizes, design.activation, design.batchnorm, design.init, rng=seed,
                        residual=design.residual), 0.0
    start = time.perf_counter()
    model, _ = greedy_pretrain(sizes, x_train, y_train, design.activation, design.init,
                               rng=seed, epochs=pretrain_epochs, optimizer=optimizer,
                               batch_size=BATCH_SIZE, seed=seed, **hyperparams)
    return model, time.perf_counter() - start


def compare_designs(data=None, designs=None, n_train=20000, width=64, depth=6, steps=3000,
                    pretrain_steps=900, optimizer="sgd", seed=0, grad_batch=512,
                    **hyperparams):
    """Train the network 784 → ``width`` × ``depth`` → 10 in each design; one result per design.

    ``data``: MNIST as ``load_mnist`` returns it (default: ``load_mnist()``); the first
    ``n_train`` training images are used (all, if there are fewer) and every test image.
    ``designs``: names in ``DESIGNS`` (default all). Every design trains with ``optimizer`` and
    ``hyperparams`` (default plain SGD, lr 0.1) in batches of 64, for the whole epochs that make
    at least ``steps`` steps: the budget is counted in steps, so the small offline set (more,
    shorter epochs) gets as many updates as the full one. ``seed`` draws the weights and the
    batch order. The pre-trained design first runs ``depth`` greedy stages of at least
    ``pretrain_steps`` steps each, with the same optimizer.

    Each result holds ``name``, ``label``, ``grad_norms`` (‖∂L/∂W‖ per Dense layer, input to
    output, on the first ``grad_batch`` training images, at the start of whole-network
    training), ``steps`` (the step count after each epoch, starting with 0), ``test_accuracy``
    (at each of those: before training, then after every epoch), ``loss`` (mean training loss
    per epoch), ``seconds`` (whole-network training), ``pretrain_seconds``, ``pretrain_steps``
    (all stages together), ``n_train`` and ``n_test``.
    """
    names = list(DESIGNS) if designs is None else list(designs)
    for name in names:
        checks.choice("designs", name, tuple(DESIGNS))
    width = checks.whole("width", width, low=1)
    depth = checks.whole("depth", depth, low=1)
    steps = checks.whole("steps", steps, low=1)
    pretrain_steps = checks.whole("pretrain_steps", pretrain_steps, low=1)
    hyperparams = hyperparams or {"lr": 0.1}
    x_train, y_train, x_test, y_test = lecture_data(data, n_train)
    sizes = (x_train.shape[1],) + (width,) * depth + (10,)
    batches = -(-len(x_train) // BATCH_SIZE)
    epochs = _epochs_for(steps, len(x_train))
    pretrain_epochs = _epochs_for(pretrain_steps, len(x_train))

    results = []
    for name in names:
        design = DESIGNS[name]
        model, pretrain_seconds = _build(design, sizes, x_train, y_train, seed,
                                         pretrain_epochs, optimizer, hyperparams)
        grad_norms = weight_gradient_norms(model, x_train[:grad_batch], y_train[:grad_batch])
        before = model.accuracy(x_test, y_test)
        history = train(model, x_train, y_train, x_test, y_test, optimizer=optimizer,
                        epochs=epochs, batch_size=BATCH_SIZE, seed=seed, progress=False,
                        **hyperparams)
        results.append({
            "name": name,
            "label": design.label,
            "grad_norms": grad_norms,
            "steps": [batches * epoch for epoch in range(epochs + 1)],
            "test_accuracy": [before] + history["test_accuracy"],
            "loss": history["loss"],
            "seconds": float(np.sum(history["seconds"])),
            "pretrain_seconds": pretrain_seconds,
            "pretrain_steps": depth * pretrain_epochs * batches if design.pretrain else 0,
            "n_train": len(x_train),
            "n_test": len(x_test),
        })
    return results


def format_results(results):
    """A plain-text table: the gradient norms at the first and at the output layer and their
    ratio; the test accuracy early on (after the first epoch that reaches a tenth of the
    steps) and at the end; the last epoch's mean training loss."""
    steps = results[0]["steps"]
    early = next(i for i, s in enumerate(steps) if s >= steps[-1] / 10)
    header = ("design", "|dL/dW1|", "|dL/dW_out|", "ratio", f"test acc. step {steps[early]}",
              f"step {steps[-1]}", "train loss")
    rows = []
    for r in results:
        first, out = r["grad_norms"][0], r["grad_norms"][-1]
        rows.append((r["label"], f"{first:.2e}", f"{out:.2e}", f"{first / out:.1e}",
                     f"{r['test_accuracy'][early]:.3f}", f"{r['test_accuracy'][-1]:.3f}",
                     f"{r['loss'][-1]:.3f}"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot_designs(results, axes=None):
    """Left: ‖∂L/∂W‖ per layer at the start (log scale). Right: test accuracy against steps,
    with the legend."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.5, 4.6), layout="constrained")
    left, right = axes
    for r in results:
        design = DESIGNS[r["name"]]
        style = {"color": design.color, "marker": design.marker, "label": design.label}
        layers = np.arange(1, len(r["grad_norms"]) + 1)
        left.semilogy(layers, r["grad_norms"], **style)
        right.plot(r["steps"], r["test_accuracy"], **style)
    n_layers = len(results[0]["grad_norms"])
    left.set_xticks(range(1, n_layers + 1),
                    [str(k) for k in range(1, n_layers)] + ["out"])
    left.set_xlim(0.6, n_layers + 0.4)
    left.set_xlabel("layer (input to output)")
    left.set_ylabel(r"$\|\partial L / \partial W\|$ at the start")
    last = max(r["steps"][-1] for r in results)
    right.set_xlim(-0.03 * last, 1.03 * last)
    right.set_ylim(0, 1)
    right.set_xlabel("steps of the whole network")
    right.set_ylabel("test accuracy")
    # The middle right of the accuracy panel stays empty: every curve but the stuck one has
    # risen above it after the first tenth of the steps.
    right.legend(loc="center right")
    return axes


# The explorer's designs: those that need no training before the gradients are measured.
EXPLORER_DESIGNS = tuple(name for name, design in DESIGNS.items() if not design.pretrain)
EXPLORER_DEPTHS = (1, 16)
EXPLORER_YLIM = (1e-12, 1e3)


def gradient_norm_explorer(X, y, design="sigmoid", depth=6, *, width=64, seed=0, backend=None,
                           figsize=(8, 4.6)):
    """Live plot of ‖∂L/∂W‖ per layer at initialization, for a design and a depth.

    A dropdown (the designs of ``DESIGNS`` that need no pre-training) and a depth slider
    (1–16 hidden layers of ``width``). Each setting builds the network with ``rng=seed`` and
    measures :func:`~course_utils.gradient_flow.weight_gradient_norms` on the batch
    ``(X, y)`` (preprocessed images and labels; results are cached); the line moves with
    ``set_data``, limits fixed (log scale). Returns an :class:`~course_utils.widgets.Explorer`
    whose ``.trajectory`` is the array of norms.
    """
    checks.choice("design", design, EXPLORER_DESIGNS)
    depth = checks.whole("depth", depth, low=EXPLORER_DEPTHS[0], high=EXPLORER_DEPTHS[1])
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
    style = {"description_width": "60px"}
    layout = widgets.Layout(width="420px")
    controls = {
        "design": widgets.Dropdown(options=[(DESIGNS[n].label, n) for n in EXPLORER_DESIGNS],
                                   value=design, description="design", style=style,
                                   layout=layout),
        "depth": widgets.IntSlider(value=depth, min=EXPLORER_DEPTHS[0], max=EXPLORER_DEPTHS[1],
                                   description="depth", style=style, layout=layout),
    }
    figure = Figure(figsize=figsize, layout="constrained")
    ax = figure.subplots()
    (line,) = ax.semilogy([], [], "o-")
    ax.set(xlim=(0.5, EXPLORER_DEPTHS[1] + 1.5), ylim=EXPLORER_YLIM,
           xlabel="layer (input to output; the last is the output layer)",
           ylabel=r"$\|\partial L / \partial W\|$ at initialization")
    title = ax.set_title(" ")

    @functools.lru_cache(maxsize=64)
    def compute(design, depth):
        d = DESIGNS[design]
        sizes = (X.shape[1],) + (width,) * depth + (10,)
        model = make_mlp(sizes, d.activation, d.batchnorm, d.init, rng=seed,
                         residual=d.residual)
        return weight_gradient_norms(model, X, y)

    def draw(norms, values):
        d = DESIGNS[values["design"]]
        line.set_data(np.arange(1, len(norms) + 1), norms)
        line.set_color(d.color)
        line.set_marker(d.marker)
        title.set_text(f"{d.label}, {values['depth']} hidden layers: "
                       f"layer 1 / output = {norms[0] / norms[-1]:.1e}")

    return Explorer(figure, controls, compute, draw, [line, title], backend)
