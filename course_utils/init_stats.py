"""How an initializer shapes the signal in a deep network, forward and backward.

:func:`activation_stats` pushes a batch of standard-normal inputs through ``depth`` layers
``Dense(width, width) → activation`` built from :mod:`course_utils.nn` (biases zero, weights from
the initializer), then sends a unit-variance gradient back down through the same layers, and
returns the mean and standard deviation of every layer's activations and gradients.
:func:`init_explorer` shows them live: choose the initializer and the activation, drag the depth.
"""

import functools
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from . import checks
from .init import (
    _as_generator,
    get_initializer,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    random_normal,
    random_uniform,
    truncated_normal,
)
from .nn import Activation, Dense
from .widgets import Explorer, track_length

# The schemes the notebook compares: key → (initializer, English label).
# "uniform_pm1" is lecture 004's random_uniform default, Uniform(−1, 1).
SCHEMES = {
    "random_uniform": (random_uniform, "uniform ±0.05"),
    "random_normal": (random_normal, "normal σ=0.05"),
    "uniform_pm1": (functools.partial(random_uniform, low=-1.0, high=1.0), "uniform ±1"),
    "truncated_normal": (truncated_normal, "truncated normal σ=1"),
    "glorot_uniform": (glorot_uniform, "Glorot uniform"),
    "glorot_normal": (glorot_normal, "Glorot normal"),
    "he_uniform": (he_uniform, "He uniform"),
    "he_normal": (he_normal, "He normal"),
}


def _initializer(init):
    if isinstance(init, str) and init in SCHEMES:
        return SCHEMES[init][0]
    return get_initializer(init)


@dataclass(frozen=True)
class LayerStats:
    """Per-layer statistics of one deep network; index ``l − 1`` holds layer ``l``.

    ``act_*``: the activations a_l = f(z_l); ``grad_*``: the back-propagated gradient ∂L/∂z_l;
    ``weight_grad_std``: the std of ∂L/∂W_l (None unless asked for with ``weight_grads=True``);
    ``kept``: layer number → a_l for the layers asked for.
    """

    act_mean: np.ndarray
    act_std: np.ndarray
    grad_mean: np.ndarray
    grad_std: np.ndarray
    weight_grad_std: np.ndarray | None = None
    kept: dict = field(default_factory=dict)

    @property
    def layers(self):
        """Layer numbers 1 … depth."""
        return np.arange(1, len(self.act_std) + 1)


# Bounds on the work one call may ask for: 2·10⁷ weights (160 MB) and as many activations.
MAX_WEIGHTS = 20_000_000


def _check_sizes(depth, width, n_samples, keep):
    depth = checks.whole("depth", depth, low=1)
    width = checks.whole("width", width, low=1)
    n_samples = checks.whole("n_samples", n_samples, low=2)  # a std needs two samples
    if depth * width * width > MAX_WEIGHTS:
        raise ValueError(f"depth × width² must be at most {MAX_WEIGHTS:.0e} weights, got "
                         f"depth={depth}, width={width}")
    if n_samples * width > MAX_WEIGHTS:
        raise ValueError(f"n_samples × width must be at most {MAX_WEIGHTS:.0e}, got "
                         f"n_samples={n_samples}, width={width}")
    if isinstance(keep, (str, bytes)) or not hasattr(keep, "__iter__"):
        raise TypeError(f"keep must be a collection of layer numbers, got {checks.describe(keep)}")
    keep = {checks.whole("keep", number, low=1, high=depth) for number in keep}
    return depth, width, n_samples, keep


class _Network:
    """A deep network run forward once; the statistics of any shallower one are read off it.

    The first ``l`` layers of a deeper network are those of an ``l``-layer one (the weights are
    drawn layer by layer), so one forward pass serves every depth; the generator's state after
    each layer's weights is kept, because that is where a depth-``l`` network draws its G.
    """

    def __init__(self, init, activation, depth, width, n_samples, rng, keep=(),
                 keep_inputs=False):
        initializer = _initializer(init)
        self.rng = np.random.default_rng(rng)
        x = self.rng.standard_normal((n_samples, width))
        self.pairs, self.states, act_mean, act_std, self.kept = [], [], [], [], {}
        with np.errstate(over="ignore", invalid="ignore"):
            for number in range(1, depth + 1):
                dense = Dense(width, width, initializer, self.rng, dtype=np.float64)
                self.states.append(self.rng.bit_generator.state)
                act = Activation(activation)
                x = act.forward(dense.forward(x))
                if not keep_inputs:
                    dense.X = None  # only dW needs a layer's input
                self.pairs.append((dense, act))
                act_mean.append(x.mean())
                act_std.append(x.std())
                if number in keep:
                    self.kept[number] = x.copy()
        self.act_mean, self.act_std = np.array(act_mean), np.array(act_std)

    def stats(self, depth, weight_grads=False):
        """:class:`LayerStats` of the network's first ``depth`` layers."""
        if depth == len(self.pairs):
            rng = self.rng  # the caller's generator moves on as if G were drawn right here
        else:
            rng = np.random.default_rng()
            rng.bit_generator.state = self.states[depth - 1]
        pairs = self.pairs[:depth]
        grad = rng.standard_normal(pairs[-1][1].Z.shape)
        grad_mean, grad_std, weight_grad_std = [], [], []
        with np.errstate(over="ignore", invalid="ignore"):
            for dense, act in reversed(pairs):
                dz = act.backward(grad)
                grad_mean.append(dz.mean())
                grad_std.append(dz.std())
                if weight_grads:
                    grad = dense.backward(dz)
                    weight_grad_std.append(dense.grads["W"].std())
                else:
                    grad = dz @ dense.params["W"].T  # Dense.backward's dX, skipping dW
        return LayerStats(
            act_mean=self.act_mean[:depth], act_std=self.act_std[:depth],
            grad_mean=np.array(grad_mean[::-1]), grad_std=np.array(grad_std[::-1]),
            weight_grad_std=np.array(weight_grad_std[::-1]) if weight_grads else None,
            kept={n: a for n, a in self.kept.items() if n <= depth},
        )


def activation_stats(init, activation, depth=10, width=256, n_samples=512, rng=None, keep=(),
                     weight_grads=False):
    """Forward and backward statistics of a ``depth``-layer network at initialization.

    ``init``: a key of ``SCHEMES``, a name in ``course_utils.init.INITIALIZERS`` or a callable
    ``init(shape, rng)``; ``activation``: a name in ``course_utils.activations.ACTIVATIONS``.
    The input is ``n_samples`` rows of N(0, 1); the loss is L = Σ a_depth·G with G of N(0, 1),
    so ∂L/∂a_depth = G. Random draws in this order from ``rng`` (a Generator or a seed): the
    input, the weights layer by layer, then G — the first k layers do not depend on ``depth``.
    ``keep``: layer numbers whose activations are returned in ``kept``; ``weight_grads=True``
    also computes ∂L/∂W_l (a third more work). Everything is float64. Returns a :class:`LayerStats`.
    """
    depth, width, n_samples, keep = _check_sizes(depth, width, n_samples, keep)
    weight_grads = checks.flag("weight_grads", weight_grads)
    network = _Network(init, activation, depth, width, n_samples, _as_generator(rng), keep=keep,
                       keep_inputs=weight_grads)
    return network.stats(depth, weight_grads=weight_grads)


# ---------------------------------------------------------------------------
# Live explorer
# ---------------------------------------------------------------------------

ACTIVATION_CHOICES = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")
DEPTH_RANGE = (10, 50)
YLIM = (1e-60, 1e60)


def _growth(values):
    """'× r per layer' summary: the geometric-mean ratio between neighbouring layers."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2 or not np.all(np.isfinite(values)) or np.any(values <= 0):
        return "n/a"
    return f"{(values[-1] / values[0]) ** (1 / (len(values) - 1)):.3g}"


def init_explorer(init="glorot_normal", activation="tanh", depth=20, *, width=256,
                  n_samples=128, seed=0, backend=None, figsize=(8.2, 4.4)):
    """Live plot of the activation std and gradient std per layer.

    Two dropdowns (initializer from ``SCHEMES``, activation) and a depth slider (10–50). The
    statistics are those of :func:`activation_stats` with ``rng=seed``, over ``n_samples`` = 128
    inputs (32 768 values a layer: the std to well under 1 %, a new depth in tens of ms). Each
    (initializer, activation) is run forward once through 50 layers, so a new depth costs only
    its backward pass, and a setting seen before is redrawn at once. The two existing lines
    move with ``set_data`` (limits fixed: x from 0 to 50 layers, y from 1e-60 to 1e60, log
    scale); the figure fits a notebook's output area (8.2 inches). Returns an
    :class:`~course_utils.widgets.Explorer`; ``.trajectory`` is the ``LayerStats``.
    """
    style = {"description_width": "80px"}
    layout = widgets.Layout(width="420px")
    steps = DEPTH_RANGE[1] - DEPTH_RANGE[0]
    controls = {
        "init": widgets.Dropdown(options=[(label, key) for key, (_, label) in SCHEMES.items()],
                                 value=init, description="initializer", style=style,
                                 layout=layout),
        "activation": widgets.Dropdown(options=ACTIVATION_CHOICES, value=activation,
                                       description="activation", style=style, layout=layout),
        "depth": widgets.IntSlider(
            value=depth, min=DEPTH_RANGE[0], max=DEPTH_RANGE[1], description="depth",
            style=style, layout=widgets.Layout(
                width=f"{80 + track_length((0, steps, 1)) + 12}px")),
    }
    figure = Figure(figsize=figsize, layout="constrained")
    ax_act, ax_grad = figure.subplots(1, 2)
    lines, titles = [], []
    for ax, ylabel, color in [
        (ax_act, "std of activations $a_l$", "#1f77b4"),
        (ax_grad, r"std of gradients $\partial L / \partial z_l$", "#d62728"),
    ]:
        ax.axhline(1.0, color="gray", ls=":", lw=1)
        (line,) = ax.semilogy([], [], "o-", ms=3, color=color)
        ax.set(xlim=(0, DEPTH_RANGE[1] + 1), ylim=YLIM, xlabel="layer $l$", ylabel=ylabel)
        ax.set_yticks(10.0 ** np.arange(-60, 61, 20))
        lines.append(line)
        titles.append(ax.set_title(" ", fontsize="medium"))
    suptitle = figure.suptitle(" ")

    @functools.lru_cache(maxsize=2)  # one network per (initializer, activation) in memory
    def network(init, activation):
        with threadpool_limits(1):
            return _Network(init, activation, DEPTH_RANGE[1], width, n_samples, seed)

    @functools.lru_cache(maxsize=256)  # a setting seen before is redrawn at once
    def compute(init, activation, depth):
        # One BLAS thread: on a busy (or shared) machine threads that wait for a core make
        # these small products several times slower, not faster.
        with threadpool_limits(1):
            return network(init, activation).stats(depth)

    def draw(stats, values):
        layers = stats.layers
        lines[0].set_data(layers, stats.act_std)
        lines[1].set_data(layers, stats.grad_std)
        suptitle.set_text(f"{SCHEMES[values['init']][1]}, {values['activation']}, "
                          f"{values['depth']} layers")
        titles[0].set_text(f"forward: ×{_growth(stats.act_std)} per layer")
        titles[1].set_text(f"backward: ×{_growth(stats.grad_std[::-1])} per layer down")

    return Explorer(figure, controls, compute, draw, [*lines, *titles, suptitle], backend)


__all__ = ["SCHEMES", "LayerStats", "activation_stats", "init_explorer"]
