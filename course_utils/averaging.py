"""Polyak averaging and its exponential moving average (EMA).

An optimizer's iterates θ⁽⁰⁾, θ⁽¹⁾, … jitter around the minimum when the gradients are noisy;
their average jitters less. 朱明超《深度模型中的优化》 gives two averages:

* the uniform (Polyak) average, formula (23): θ̂⁽ᵗ⁾ = mean of θ⁽⁰⁾ … θ⁽ᵗ⁾;
* the exponential moving average, formula (24): θ̂⁽ᵗ⁾ = α·θ̂⁽ᵗ⁻¹⁾ + (1 − α)·θ⁽ᵗ⁾, which
  forgets the distant past (a window of about 1/(1 − α) steps) and suits non-convex problems.

:class:`WeightEMA` keeps the EMA of a network's weights while it trains with the raw ones;
``nn.train(..., ema=α)`` uses it to test with the averaged weights.
"""

from contextlib import contextmanager

import numpy as np

from . import checks
from .surfaces import get_surface
from .trajectories import distance_to, train_2d

__all__ = ["polyak_average", "ema_average", "WeightEMA", "check_alpha", "noisy_averages",
           "sgd_noise_variance", "ema_variance_ratio"]


def check_alpha(alpha, name="alpha"):
    """The EMA decay α as a float in [0, 1) (α = 0: no averaging, the last iterate)."""
    return checks.real(name, alpha, low=0, high=1, high_open=True)


def _as_path(path):
    if isinstance(path, (str, bytes)) or path is None:
        raise TypeError(f"path must be an array of points, got {checks.describe(path)}")
    path = np.asarray(path, dtype=float)
    if path.ndim == 0 or len(path) == 0:
        raise ValueError(f"path must hold at least one point, got shape {path.shape}")
    return path


def polyak_average(path):
    """Running uniform average: ``[t]`` = mean of ``path[0..t]`` (formula 23). Same shape."""
    path = _as_path(path)
    counts = np.arange(1, len(path) + 1).reshape((-1,) + (1,) * (path.ndim - 1))
    return np.cumsum(path, axis=0) / counts


def ema_average(path, alpha):
    """Exponential moving average: ``[0]`` = ``path[0]``, then α·``[t−1]`` + (1 − α)·``path[t]``.

    Formula (24); it starts from the first point, so early values lean towards it. Same shape.
    """
    alpha = check_alpha(alpha)
    path = _as_path(path)
    average = np.empty_like(path)
    average[0] = path[0]
    for t in range(1, len(path)):
        average[t] = alpha * average[t - 1] + (1.0 - alpha) * path[t]
    return average


def noisy_averages(optimizer="sgd", seeds=range(100), steps=200, *, noise=1.0, alpha=0.9,
                   surface="ravine", target=None, **hyperparams):
    """Distance to the minimum of the last iterate, the Polyak average and the EMA, per seed.

    Runs ``train_2d(optimizer, steps, surface=surface, noise=noise, seed=s, **hyperparams)``
    for each seed ``s``. Returns a dict ``{"last": ..., "polyak": ..., "ema": ...}`` of arrays of
    shape (number of seeds, steps + 1): the distance of each to ``target`` (the surface's
    minimum by default) after every step.
    """
    surface = get_surface(surface)
    target = surface.minima[0] if target is None else checks.point("target", target)
    alpha = check_alpha(alpha)
    seeds = [checks.whole("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    distances = {"last": [], "polyak": [], "ema": []}
    for seed in seeds:
        path = train_2d(optimizer, steps, surface=surface, noise=noise, seed=seed, **hyperparams)
        for key, points in (("last", path), ("polyak", polyak_average(path)),
                            ("ema", ema_average(path, alpha))):
            distances[key].append(distance_to(points, target))
    return {key: np.array(value) for key, value in distances.items()}


def sgd_noise_variance(lr, curvature, noise):
    """Long-run variance of SGD on ½·a·x² with gradient noise N(0, σ²) in that coordinate.

    x ← ρ·x − lr·σ·ξ with ρ = 1 − lr·a, so Var x = lr²σ² / (1 − ρ²) (needs |ρ| < 1).
    """
    lr = checks.real("lr", lr, low=0, low_open=True)
    curvature = checks.real("curvature", curvature, low=0, low_open=True)
    noise = checks.real("noise", noise, low=0)
    rho = 1.0 - lr * curvature
    if abs(rho) >= 1:
        raise ValueError(f"lr·curvature must be in (0, 2) for a long-run variance, got "
                         f"{lr * curvature:g}")
    return (lr * noise) ** 2 / (1.0 - rho * rho)


def ema_variance_ratio(alpha, rho):
    """Var(EMA) / Var(x) for the EMA of a stationary sequence with correlation ρ^k at lag k.

    (1 − α)/(1 + α) · (1 + α·ρ)/(1 − α·ρ): the EMA averages about (1 + α)/(1 − α) points, but
    correlated points (ρ near 1, a small step along a flat direction) count as fewer.
    """
    alpha = check_alpha(alpha)
    rho = checks.real("rho", rho, low=-1, high=1, low_open=True, high_open=True)
    return (1.0 - alpha) / (1.0 + alpha) * (1.0 + alpha * rho) / (1.0 - alpha * rho)


class WeightEMA:
    """The EMA of every parameter array of a model, θ̂ ← α·θ̂ + (1 − α)·θ after each step.

    It starts from the model's weights when created (as formula 24 starts from θ⁽⁰⁾) and
    never writes into them: training goes on with the raw weights. :meth:`swapped_in`
    lends the averaged weights to the model for an evaluation and puts the raw ones back;
    :meth:`undo` takes back the last update (when training takes back a step that diverged).
    """

    def __init__(self, model, alpha):
        self.alpha = check_alpha(alpha, "ema")
        self.params = {(i, name): np.array(p, copy=True)
                       for i, layer in enumerate(model.layers) for name, p in layer.params.items()}
        self._before = None

    def update(self, model):
        """Move every average one step towards the model's current weights."""
        self._before = self.params
        self.params = {(i, name): self.alpha * average
                       + (1.0 - self.alpha) * model.layers[i].params[name]
                       for (i, name), average in self.params.items()}

    def undo(self):
        """Go back to the averages before the last :meth:`update` (only the last one).

        Returns False, changing nothing, when there is no update to take back.
        """
        if self._before is None:
            return False
        self.params, self._before = self._before, None
        return True

    @contextmanager
    def swapped_in(self, model):
        """Within the ``with`` block the model computes with the averaged weights."""
        raw = {(i, name): model.layers[i].params[name] for i, name in self.params}
        try:
            for (i, name), average in self.params.items():
                model.layers[i].params[name] = average
            yield model
        finally:
            for (i, name), weights in raw.items():
                model.layers[i].params[name] = weights

    def accuracy(self, model, X, y):
        """The model's accuracy on (X, y) with the averaged weights."""
        with self.swapped_in(model):
            return model.accuracy(X, y)
