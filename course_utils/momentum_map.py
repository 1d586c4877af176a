"""How fast heavy-ball momentum converges on the ravine, for every (lr, γ): the momentum map.

After Distill's "Why Momentum Really Works", for the lecture's ravine f = 0.1·x1² + 2·x2² (its
Hessian diag(0.2, 4)). The course's momentum, v ← γ·v + lr·g, θ ← θ − v, is the same sequence as

    θ_{t+1} = θ_t − lr·∇f(θ_t) + γ·(θ_t − θ_{t−1}),

so along an axis of curvature h the pair (θ_t, θ_{t−1}) is multiplied every step by the
iteration matrix [[1 − lr·h + γ, −γ], [1, 0]]. The error shrinks like |λ|ᵗ, λ that matrix's
largest eigenvalue in magnitude; the slower of the two axes sets the pace, so the rate of
convergence is the largest |λ| over both curvatures. Where the eigenvalues are real and
positive the path creeps in (monotone); complex or negative ones make it swing (oscillating);
|λ| ≥ 1 diverges.

With μ, L the smallest and largest curvature and κ = L/μ, the best plain gradient descent
(lr = 2/(μ + L)) has rate (κ − 1)/(κ + 1); the best momentum, lr* = 4/(√L + √μ)² and
γ* = ((√κ − 1)/(√κ + 1))², has rate (√κ − 1)/(√κ + 1): the number of steps shrinks from
order κ to order √κ.
"""

import matplotlib.patheffects as patheffects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from . import checks
from .optimizers import OPTIMIZERS
from .plotting import MARK_COLOR, PathArtists, draw_contour, format_value, mark_point
from .surfaces import RAVINE_CURVATURES, SURFACES
from .trajectories import train_2d
from .widgets import MAX_EXPLORER_STEPS, Explorer, _slider_set

__all__ = [
    "REGIONS", "iteration_matrix", "eigenvalues", "convergence_rate", "region",
    "optimal_momentum", "best_gradient_descent", "measured_rate", "plot_momentum_map",
    "momentum_map_explorer",
]

REGIONS = ("monotone", "oscillating", "diverging")
# The map's window: lr up to the largest stable value of any γ < 1 (2·(1 + γ)/L → 4/L = 1).
LR_MAX = 1.0
GAMMA_MAX = 0.999
MAP_FIGSIZE = (8.4, 4.2)  # inside JupyterLab's 848-pixel output column (see race.COLUMN_WIDTH)
# Rates from 0.6 (about the best, 0.634) to 1 (no progress); diverging points are grey.
RATE_RANGE = (0.6, 1.0)
RATE_CMAP = "viridis_r"
DIVERGING_COLOR = "#d9d9d9"
LABEL_SIZE = 13  # points: the smallest text of the course's figures
# |λ| = 1 computed from a square root can come out a few ulps above 1.
_ROUNDING = 1e-12
_HALO = [patheffects.withStroke(linewidth=3, foreground="white")]


def _check_curvatures(curvatures):
    values = [checks.real("curvature", h, low=0, low_open=True) for h in curvatures]
    if not values:
        raise ValueError("curvatures is empty: give the Hessian's eigenvalues, e.g. (0.2, 4)")
    return values


def iteration_matrix(lr, gamma, curvature):
    """The 2×2 matrix taking (θ_t, θ_{t−1}) to (θ_{t+1}, θ_t) along an axis of ``curvature``."""
    lr = checks.real("lr", lr, low=0)
    gamma = checks.real("gamma", gamma, low=0, high=1, high_open=True)
    h = checks.real("curvature", curvature, low=0, low_open=True)
    return np.array([[1.0 - lr * h + gamma, -gamma], [1.0, 0.0]])


def eigenvalues(lr, gamma, curvature):
    """Both eigenvalues of the iteration matrix (complex), for arrays of lr and γ: shape (..., 2).

    They solve λ² − (1 − lr·h + γ)·λ + γ = 0.
    """
    lr, gamma = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(gamma, dtype=float))
    b = 1.0 - lr * curvature + gamma
    root = np.sqrt(b.astype(complex) ** 2 - 4.0 * gamma)
    return np.stack([(b + root) / 2, (b - root) / 2], axis=-1)


def convergence_rate(lr, gamma, curvatures=RAVINE_CURVATURES):
    """The largest |eigenvalue| over all curvatures: the error shrinks by this factor per step."""
    curvatures = _check_curvatures(curvatures)
    return np.max([np.abs(eigenvalues(lr, gamma, h)).max(axis=-1) for h in curvatures], axis=0)


def region(lr, gamma, curvatures=RAVINE_CURVATURES):
    """Index into ``REGIONS`` for each (lr, γ): 0 monotone, 1 oscillating, 2 diverging.

    Diverging: some |eigenvalue| > 1. Monotone: every eigenvalue real and ≥ 0 (each coordinate
    approaches 0 from one side). Oscillating: the rest (a complex pair, or a negative one).
    At lr = 0 nothing moves (|λ| = 1): that counts as monotone, not diverging.
    """
    curvatures = _check_curvatures(curvatures)
    lam = np.concatenate([eigenvalues(lr, gamma, h) for h in curvatures], axis=-1)
    scale = np.maximum(np.abs(lam).max(axis=-1), 1e-300)
    real = np.all(np.abs(lam.imag) <= 1e-12 * scale[..., None], axis=-1)
    nonnegative = np.all(lam.real >= 0, axis=-1)
    codes = np.where(real & nonnegative, 0, 1)
    return np.where(np.abs(lam).max(axis=-1) > 1.0 + _ROUNDING, 2, codes)


def optimal_momentum(curvatures=RAVINE_CURVATURES):
    """(lr*, γ*, rate*) = (4/(√L + √μ)², ((√κ − 1)/(√κ + 1))², (√κ − 1)/(√κ + 1))."""
    curvatures = _check_curvatures(curvatures)
    mu, big = min(curvatures), max(curvatures)
    root_kappa = np.sqrt(big / mu)
    rate = (root_kappa - 1) / (root_kappa + 1)
    return 4.0 / (np.sqrt(big) + np.sqrt(mu)) ** 2, rate**2, rate


def best_gradient_descent(curvatures=RAVINE_CURVATURES):
    """(lr, rate) of the best plain gradient descent: lr = 2/(μ + L), rate (κ − 1)/(κ + 1)."""
    curvatures = _check_curvatures(curvatures)
    mu, big = min(curvatures), max(curvatures)
    kappa = big / mu
    return 2.0 / (mu + big), (kappa - 1) / (kappa + 1)


def measured_rate(path, minimum=(0.0, 0.0), skip=50):
    """The decay per step of a path's distance to ``minimum``, fitted after ``skip`` steps.

    The slope of log‖θ_t − θ*‖ against t (least squares), so the swings of an oscillating path
    average out; exp(slope) is the measured rate.
    """
    path = np.asarray(path, dtype=float)
    skip = checks.whole("skip", skip, low=0, high=len(path) - 3)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        distance = np.linalg.norm(path - np.asarray(minimum, dtype=float), axis=1)[skip:]
        keep = np.isfinite(distance) & (distance > 0)
        t = np.arange(skip, len(path))[keep]
        slope = np.polyfit(t, np.log(distance[keep]), 1)[0]
    return float(np.exp(slope))


# ---------------------------------------------------------------------------
# The map
# ---------------------------------------------------------------------------


def _grid(resolution):
    lr = np.linspace(0.0, LR_MAX, resolution)
    gamma = np.linspace(0.0, GAMMA_MAX, resolution)
    return np.meshgrid(lr, gamma)


def _label_point(mask, lr, gamma):
    """A point deep inside ``mask``: the centre of what is left after eroding it most."""
    inner = mask
    while True:
        shrunk = inner.copy()
        shrunk[1:, :] &= inner[:-1, :]
        shrunk[:-1, :] &= inner[1:, :]
        shrunk[:, 1:] &= inner[:, :-1]
        shrunk[:, :-1] &= inner[:, 1:]
        shrunk[[0, -1], :] = False
        shrunk[:, [0, -1]] = False
        if not shrunk.any():
            break
        inner = shrunk
    return float(lr[inner].mean()), float(gamma[inner].mean())


def plot_momentum_map(ax=None, curvatures=RAVINE_CURVATURES, resolution=301, colorbar=True):
    """Heat map of the rate of momentum over (lr, γ), its regions named, the optimum marked.

    Also marks the best plain gradient descent (γ = 0). Returns the axes.
    """
    curvatures = _check_curvatures(curvatures)
    resolution = checks.whole("resolution", resolution, low=11, high=2001)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
    lr, gamma = _grid(resolution)
    rate = convergence_rate(lr, gamma, curvatures)
    codes = region(lr, gamma, curvatures)
    extent = (0.0, LR_MAX, 0.0, GAMMA_MAX)
    shown = np.ma.masked_where(codes == 2, rate)
    image = ax.imshow(shown, origin="lower", extent=extent, aspect="auto", cmap=RATE_CMAP,
                      vmin=RATE_RANGE[0], vmax=RATE_RANGE[1], interpolation="nearest",
                      zorder=0)
    ax.imshow(np.ma.masked_where(codes != 2, codes), origin="lower", extent=extent,
              aspect="auto", cmap=ListedColormap([DIVERGING_COLOR]), interpolation="nearest",
              zorder=0)
    ax.contour(lr, gamma, codes, levels=[0.5, 1.5], colors="white", linewidths=1.4, zorder=1)
    for code, name in enumerate(REGIONS):
        if (codes == code).any():
            ax.annotate(name, _label_point(codes == code, lr, gamma), ha="center",
                        va="center", fontsize=LABEL_SIZE, color=MARK_COLOR, zorder=3,
                        path_effects=_HALO)
    lr_star, gamma_star, rate_star = optimal_momentum(curvatures)
    lr_gd, rate_gd = best_gradient_descent(curvatures)
    ax.plot(lr_star, gamma_star, marker="*", ms=16, color="white", mec=MARK_COLOR, mew=1.4,
            ls="none", zorder=4)
    ax.annotate(f"optimum, rate {rate_star:.3f}", (lr_star, gamma_star), xytext=(8, 8),
                textcoords="offset points", fontsize=LABEL_SIZE, color=MARK_COLOR, zorder=4,
                path_effects=_HALO)
    ax.plot(lr_gd, 0.0, marker="o", ms=9, color="white", mec=MARK_COLOR, mew=1.4, ls="none",
            zorder=4, clip_on=False)
    ax.annotate(f"best GD, rate {rate_gd:.3f}", (lr_gd, 0.0), xytext=(8, 8),
                textcoords="offset points", fontsize=LABEL_SIZE, color=MARK_COLOR, zorder=4,
                path_effects=_HALO)
    ax.set_xlim(0.0, LR_MAX)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("learning rate lr")
    ax.set_ylabel(r"momentum $\gamma$")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=r"rate $\max|\lambda|$", extend="min")
    return ax


# ---------------------------------------------------------------------------
# The live map: click a point, watch that momentum path
# ---------------------------------------------------------------------------


class MomentumMapExplorer(Explorer):
    """The map with a marker at (lr, γ) beside the momentum path there; a click on the map moves
    both (``set_point``). Attributes as :class:`~course_utils.widgets.Explorer`."""

    def __init__(self, figure, sliders, compute, draw, artists, backend, fixed, map_ax):
        self._holding = False
        self.click_axes = map_ax  # the axes a click acts on
        super().__init__(figure, sliders, compute, draw, artists, backend, fixed)
        if self.backend == "ipympl":
            figure.canvas.mpl_connect("button_press_event", self._on_click)
            self.view.toolbar_visible = False  # a click picks (lr, gamma); no zoom or pan

    def __repr__(self):
        return f"MomentumMapExplorer(sliders={list(self.sliders)}, backend={self.backend!r})"

    def set_point(self, lr, gamma):
        """Move to (lr, γ) on the map (what a click does) and redraw once."""
        lr = checks.real("lr", lr, low=0, high=LR_MAX)
        gamma = checks.real("gamma", gamma, low=0, high=self.sliders["gamma"].max)
        self._holding = True
        try:
            self.sliders["lr"].value, self.sliders["gamma"].value = lr, gamma
        finally:
            self._holding = False
        self.update()

    def _on_change(self, change):
        if not self._holding:
            self.update()

    def _on_click(self, event):
        if event.inaxes is not self.click_axes or event.button != 1:
            return
        if getattr(getattr(self.figure.canvas, "toolbar", None), "mode", ""):
            return
        self.set_point(float(np.clip(event.xdata, 0, LR_MAX)),
                       float(np.clip(event.ydata, 0, self.sliders["gamma"].max)))


def momentum_map_explorer(lr=0.61, gamma=0.42, steps=50, *, backend=None):
    """The momentum map beside the momentum path on the ravine at (lr, γ).

    Click a point of the map (ipympl), or move the sliders, to choose (lr, γ); the title gives
    the map's rate there. Starts at the lecture's (0.61, 0.42), close to the optimum.
    """
    steps = checks.whole("steps", steps, low=1, high=MAX_EXPLORER_STEPS)
    record = OPTIMIZERS["momentum"]
    controls, fixed = _slider_set(record, {"lr": lr, "gamma": gamma}, None, ["lr", "gamma"])
    surface = SURFACES["ravine"]
    figure = Figure(figsize=MAP_FIGSIZE, layout="constrained")
    map_ax, path_ax = figure.subplots(1, 2, width_ratios=(1.0, 1.15))
    plot_momentum_map(map_ax, colorbar=False)
    (point,) = map_ax.plot([], [], marker="o", ms=11, color=record.color, mec="white", mew=2,
                           ls="none", zorder=5)
    draw_contour(path_ax, surface=surface)
    mark_point(path_ax, surface.start, "start")
    path = PathArtists(path_ax, surface.window, surface.f, record.color, marker=record.marker)
    title = path_ax.set_title(" ", fontsize=LABEL_SIZE)

    def compute(**hp):
        return train_2d(record, steps=steps, surface=surface, **hp)

    def draw(trajectory, hp):
        point.set_data([hp["lr"]], [hp["gamma"]])
        path.update(trajectory, trajectory)
        rate = convergence_rate(hp["lr"], hp["gamma"])
        kind = REGIONS[int(region(hp["lr"], hp["gamma"]))]
        title.set_text(f"{record.label}, lr={format_value(hp['lr'])}, "
                       rf"$\gamma$={format_value(hp['gamma'])}"
                       f"\nrate {rate:.3f} per step: {kind}")

    artists = [point, *path.artists(), title]
    return MomentumMapExplorer(figure, controls, compute, draw, artists, backend, fixed, map_ax)

