"""A signal through a deep random network at initialization: what notebook 02 measures.

:func:`forward_stats` sends ``n_inputs`` standard-normal inputs through ``depth`` random layers
``h ← f(h·W + b)`` of equal width and records, layer by layer, the standard deviation of the
activations h, the mean of the slope f'(z) (the factor a gradient is multiplied by on its way
back) and the share of saturated units (f'(z) < 0.01). :func:`gain_explorer` shows the first two
live while a slider sets the weight scale, Var(W) = g²/n_in.
"""

import functools
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .activations import ACTIVATION_COLORS, DERIVATIVES_FROM_OUTPUT, get_activation
from .init import glorot_normal, random_uniform
from .widgets import Explorer

__all__ = ["SignalStats", "forward_stats", "lecture_uniform", "gain_explorer", "SATURATED"]

SATURATED = 0.01  # a unit whose slope f'(z) is below this passes almost no gradient back


def lecture_uniform(shape, rng=None):
    """The lecture's U(−1, 1) for weights and biases alike."""
    return random_uniform(shape, rng, low=-1.0, high=1.0)


@dataclass(frozen=True)
class SignalStats:
    """Per-layer statistics; index l − 1 holds layer l. ``kept``: layer → activations h."""

    std: np.ndarray
    mean_slope: np.ndarray
    saturated: np.ndarray
    kept: dict = field(default_factory=dict)

    def growth(self):
        """Geometric-mean factor by which the std changes from one layer to the next."""
        return float((self.std[-1] / self.std[0]) ** (1 / (len(self.std) - 1)))


def forward_stats(activation, w_init=lecture_uniform, b_init=lecture_uniform, depth=20, width=100,
                  n_inputs=1000, seed=0, keep=()):
    """Statistics of ``depth`` random layers of ``width`` units at initialization.

    ``w_init``, ``b_init``: initializers ``init(shape, rng)`` (``b_init=None``: zero biases);
    ``activation``: a name in ``course_utils.activations.ACTIVATIONS``. Draws, in this order from
    ``np.random.default_rng(seed)``: the inputs, then each layer's W and b. ``keep``: layers whose
    activations are returned. Returns a :class:`SignalStats`.
    """
    f, _ = get_activation(activation)
    # f'(z) from h = f(z): the same numbers without evaluating f a second time.
    f_grad = DERIVATIVES_FROM_OUTPUT[activation]
    depth = checks.whole("depth", depth, low=1)
    width = checks.whole("width", width, low=1)
    n_inputs = checks.whole("n_inputs", n_inputs, low=1)
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n_inputs, width))
    std, slope, saturated, kept = [], [], [], {}
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in range(1, depth + 1):
            W = w_init((width, width), rng)
            b = b_init((width,), rng) if b_init is not None else np.zeros(width)
            z = h @ W + b
            h = f(z)
            slopes = f_grad(h)
            std.append(h.std())
            slope.append(slopes.mean())
            saturated.append((slopes < SATURATED).mean())
            if layer in keep:
                kept[layer] = h
    return SignalStats(np.array(std), np.array(slope), np.array(saturated), kept)


GAIN_RANGE = (0.25, 6.0, 0.05)
ACTIVATION_CHOICES = ("tanh", "sigmoid", "relu")


def gain_explorer(activation="tanh", gain=1.0, depth=20, width=100, *, backend=None,
                  figsize=(8.2, 4.2)):
    """Live per-layer std of h and mean f'(z) for weights with Var(W) = gain²/n_in, zero biases.

    A dropdown chooses the activation, a slider the gain (0.25 to 6). Returns an
    :class:`~course_utils.widgets.Explorer` whose ``.trajectory`` is the :class:`SignalStats`.
    """
    checks.choice("activation", activation, ACTIVATION_CHOICES)
    lo, hi, step = GAIN_RANGE
    gain = checks.real("gain", gain, low=lo, high=hi)
    depth = checks.whole("depth", depth, low=2, high=100)
    controls = {
        "activation": widgets.Dropdown(options=ACTIVATION_CHOICES, value=activation,
                                       description="activation"),
        "gain": widgets.FloatSlider(value=gain, min=lo, max=hi, step=step, description="gain",
                                    readout_format=".2f", layout=widgets.Layout(width="420px")),
    }
    figure = Figure(figsize=figsize, layout="constrained")
    ax_std, ax_slope = figure.subplots(1, 2)
    layers = np.arange(1, depth + 1)
    (std_line,) = ax_std.semilogy([], [], "o-", ms=4)
    (slope_line,) = ax_slope.plot([], [], "o-", ms=4)
    ax_std.axhline(1.0, color="gray", ls=":", lw=1)
    ax_std.set(xlim=(0, depth + 1), ylim=(1e-18, 1e16), xlabel="layer", ylabel="std of $h$")
    ax_slope.set(xlim=(0, depth + 1), ylim=(0, 1.05), xlabel="layer", ylabel=r"mean $f'(z)$")
    title = figure.suptitle(" ")

    @functools.lru_cache(maxsize=256)  # a setting seen before is redrawn at once
    def compute(activation, gain):
        return forward_stats(activation, functools.partial(glorot_normal, gain=gain), None,
                             depth=depth, width=width)

    def draw(stats, values):
        color = ACTIVATION_COLORS[values["activation"]]
        for line, data in [(std_line, stats.std), (slope_line, stats.mean_slope)]:
            line.set_data(layers, data)
            line.set_color(color)
        title.set_text(f"{values['activation']}, gain {values['gain']:.2f}: layer {depth} std "
                       f"{stats.std[-1]:.3g}, mean f'(z) {stats.mean_slope[-1]:.2f}")

    return Explorer(figure, controls, compute, draw, [std_line, slope_line, title], backend)
