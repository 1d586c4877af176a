"""Where the landscape decides: leaving a saddle point, and which minimum a start falls into.

* :func:`train_many` runs one optimizer from many starts at once (every step function works on
  arrays of any shape, so a whole grid of points moves in one call per step);
* :func:`steps_to_escape` and :func:`escape_steps` measure how long a path lingers near the
  saddle of ``SURFACES["saddle"]``; :func:`growth_factor` is the theory: how much a small
  offset along the unstable direction grows per step;
* :func:`basin_map` runs a grid of starts and says which minimum each one reaches;
  :func:`draw_basins` colours the grid by it.
"""

import numpy as np
from matplotlib.colors import ListedColormap

from . import checks
from .optimizers import OPTIMIZERS, check_hyperparameters, get_optimizer
from .plotting import mark_point
from .surfaces import get_surface
from .trajectories import MAX_STEPS

__all__ = ["train_many", "surface_gradient", "steps_to_escape", "escape_steps", "growth_factor",
           "basin_map", "draw_basins", "BASIN_COLORS"]


def surface_gradient(surface):
    """The gradient of a surface as a function of points of shape (n, 2) → (n, 2)."""
    surface = get_surface(surface)
    return lambda points: np.asarray(surface.grad(*points.T), dtype=float).T


def train_many(optimizer, starts, grad, steps, *, noise=0.0, seed=None, **hyperparams):
    """Paths of ``optimizer`` from every row of ``starts`` (n, 2) at once: shape (steps + 1, n, 2).

    ``grad(points)`` maps the current points (n, 2) to their gradients (n, 2) (a surface's:
    :func:`surface_gradient`; a stochastic one: :mod:`course_utils.minibatch`). Every path keeps
    its own optimizer state (the state arrays have the points' shape). Hyper-parameters may be
    schedules of the step number t = 0, 1, ... as in ``train_2d``; ``noise=σ`` adds seeded
    N(0, σ²) noise to every gradient component. A diverging path runs on as inf/nan, silently.
    """
    record = get_optimizer(optimizer)
    if record.needs:
        raise ValueError(f"{record.name} needs {', '.join(record.needs)} of one point; "
                         "train_many runs gradient-only steps")
    check_hyperparameters(record, hyperparams)
    steps = checks.whole("steps", steps, low=0, high=MAX_STEPS)
    noise = checks.real("noise", noise, low=0)
    if not callable(grad):
        raise TypeError(f"grad must be a function of points (n, 2), got {checks.describe(grad)}")
    points = np.array(starts, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"starts must have shape (n, 2), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("starts must be finite points")
    rng = np.random.default_rng(seed) if noise > 0 else None
    paths = np.empty((steps + 1,) + points.shape)
    paths[0] = points
    state = {}
    with np.errstate(all="ignore"):
        for t in range(steps):
            g = grad(points)
            if rng is not None:
                g = g + rng.normal(0.0, noise, size=g.shape)
            hp = {k: v(t) if callable(v) else v for k, v in hyperparams.items()}
            points, state = record.step(points, g, state, **hp)
            paths[t + 1] = points
    return paths


def steps_to_escape(path, threshold=0.5, axis=1):
    """First step at which |coordinate ``axis``| reaches ``threshold``; None if never.

    On the saddle surface the minima sit at x2 = ±1: a path has left the saddle once |x2| is
    half-way there. ``path`` is one path (steps + 1, 2) or many (steps + 1, n, 2) (then a list).
    """
    threshold = checks.real("threshold", threshold, low=0, low_open=True)
    path = np.asarray(path, dtype=float)
    with np.errstate(invalid="ignore"):
        out = ~(np.abs(path[..., axis]) < threshold)  # nan counts as out (it diverged away)
    first = np.argmax(out, axis=0)
    reached = out.any(axis=0)
    if path.ndim == 2:
        return int(first) if reached else None
    return [int(f) if r else None for f, r in zip(first, reached, strict=True)]


def escape_steps(optimizer, offsets, *, surface="saddle", x1=-2.0, steps=5000, threshold=0.5,
                 noise=0.0, seed=None, **hyperparams):
    """Steps to escape from starts (x1, ε) for every offset ε in ``offsets``: a list (None: never).

    The starts lie on the saddle's stable direction x2 = 0, moved off it by ε.
    """
    offsets = np.asarray(offsets, dtype=float).ravel()
    x1 = checks.real("x1", x1)
    starts = np.column_stack([np.full(len(offsets), x1), offsets])
    paths = train_many(optimizer, starts, surface_gradient(surface), steps, noise=noise,
                       seed=seed, **hyperparams)
    return steps_to_escape(paths, threshold)


# The state a linear step keeps besides the point: its velocity.
_LINEAR_STATE = {"sgd": (), "momentum": ("v",), "nesterov": ("v",)}


def growth_factor(optimizer, curvature, **hyperparams):
    """Largest |eigenvalue| of one step of a linear optimizer on the 1-D loss curvature·x²/2.

    One step of SGD, Momentum or Nesterov maps (x, velocity) linearly; after many steps a small
    offset is multiplied by this factor per step. At a saddle (curvature < 0) it is > 1: the
    offset grows, and ln(threshold / ε) / ln(factor) steps take it from ε to the threshold.
    """
    record = get_optimizer(optimizer)
    if record.name not in _LINEAR_STATE or OPTIMIZERS[record.name] is not record:
        raise ValueError(f"growth_factor needs a linear step ({', '.join(_LINEAR_STATE)}), "
                         f"got {record.name!r}")
    curvature = checks.real("curvature", curvature)
    keys = _LINEAR_STATE[record.name]
    size = 1 + len(keys)
    columns = []
    for j in range(size):
        unit = np.eye(size)[j]
        x = unit[:1]
        state = {key: unit[1 + i : 2 + i] for i, key in enumerate(keys)}
        new_x, new_state = record.step(x, curvature * x, state, **hyperparams)
        columns.append([new_x[0], *(new_state[key][0] for key in keys)])
    return float(np.abs(np.linalg.eigvals(np.array(columns).T)).max())


def basin_map(surface, optimizer, *, resolution=101, steps=1000, tol=1e-2, **hyperparams):
    """Which minimum of ``surface`` each start of a grid over its window reaches.

    Returns ``(x1, x2, labels)``: the grid's coordinates (1-D arrays) and an int array of shape
    (len(x2), len(x1)), the index in ``surface.minima`` of the minimum the run from that start
    ends within ``tol`` of, or -1 if it ends near none (diverged, or still on its way).
    """
    surface = get_surface(surface)
    resolution = checks.whole("resolution", resolution, low=2, high=1000)
    tol = checks.real("tol", tol, low=0, low_open=True)
    (a, b), (c, d) = surface.window
    x1, x2 = np.linspace(a, b, resolution), np.linspace(c, d, resolution)
    grid = np.stack(np.meshgrid(x1, x2), axis=-1).reshape(-1, 2)
    end = train_many(optimizer, grid, surface_gradient(surface), steps, **hyperparams)[-1]
    minima = np.array(surface.minima, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        distance = np.linalg.norm(end[:, None, :] - minima[None], axis=2)
    distance = np.where(np.isnan(distance), np.inf, distance)
    labels = np.where(distance.min(axis=1) < tol, distance.argmin(axis=1), -1)
    return x1, x2, labels.reshape(resolution, resolution)


# Pale fills for up to six basins, then grey for "no minimum reached".
BASIN_COLORS = ("#f6c8a8", "#b8d8f0", "#c8e6b8", "#e6c8ec", "#f2e6a0", "#bfe8e4")
NO_BASIN_COLOR = "#7a7a7a"


def draw_basins(ax, basins, surface):
    """Colour each start of a :func:`basin_map` by the minimum it reached; mark the minima."""
    surface = get_surface(surface)
    x1, x2, labels = basins
    n = len(surface.minima)
    if n > len(BASIN_COLORS):
        raise ValueError(f"draw_basins colours at most {len(BASIN_COLORS)} minima, "
                         f"{surface.name} has {n}")
    cmap = ListedColormap([NO_BASIN_COLOR, *BASIN_COLORS[:n]])
    ax.pcolormesh(x1, x2, labels + 1, cmap=cmap, vmin=-0.5, vmax=n + 0.5, shading="nearest",
                  zorder=0)
    for k, point in enumerate(surface.minima):
        mark_point(ax, point, f"{k + 1}", marker="*", ms=15)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax
