"""The course's figures: one style, a 1-D loss-curve plot and a 2-D contour plot of paths.

Figure text is English and math only, so no figure ever needs a CJK font.
The artists for a path are created once (:class:`PathArtists`) and moved with ``set_data``;
the static figures and the live explorers share that code.
"""

import os

import matplotlib.pyplot as plt
import mplhep
import numpy as np

from .functions import F_2D_MINIMUM, f_2d, loss_1d

# The 2-D window of the lecture: wide enough for every example setting's detours.
XLIM_2D = (-5.5, 3.0)
YLIM_2D = (-3.0, 3.0)
XLIM_1D = (-1.5, 1.5)
YLIM_1D = (-0.2, 2.0)

# Paths on the dark contour (2-D) and on a white background (1-D).
PATH_COLORS = ["#ff7f0e", "#e31a1c", "#ffffff", "#f781bf", "#ffff33", "#a6cee3", "#000000"]
PATH_COLORS_1D = ["#e31a1c", "#ff7f0e", "#2ca02c", "#9467bd"]

_LECTURE = {
    "font.size": 20,
    "axes.titlesize": 20,
    "legend.fontsize": 16,
    "lines.linewidth": 3,
    "lines.markersize": 8,
    "figure.figsize": (11, 7),
}


def use_style(lecture=None):
    """Apply the course style (mplhep's ATLAS look).

    ``lecture=True`` enlarges text, lines and markers for a projector; by default it follows
    the environment variable ``COURSE_LECTURE`` so an instructor can switch every notebook at once.
    """
    if lecture is None:
        lecture = os.environ.get("COURSE_LECTURE", "") not in ("", "0")
    mplhep.style.use("ATLAS")
    plt.rcParams.update({
        "figure.figsize": (8, 5),
        "legend.frameon": True,
        "axes.titlesize": 14,
        # ATLAS's math font has no radical sign; without a fallback \sqrt logs errors to stderr.
        "mathtext.fallback": "stixsans",
    })
    if lecture:
        plt.rcParams.update(_LECTURE)


# ---------------------------------------------------------------------------
# Paths that leave the window
# ---------------------------------------------------------------------------


def _inside(points, lims):
    ok = np.isfinite(points).all(axis=1)
    for dim, (lo, hi) in enumerate(lims):
        ok &= (points[:, dim] >= lo) & (points[:, dim] <= hi)
    return ok


def is_diverged(path, loss):
    """A path diverged if it ends non-finite or ends higher on the loss than it started."""
    path = np.asarray(path, dtype=float)
    end = path[-1]
    if not np.all(np.isfinite(end)):
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(loss(*np.atleast_1d(end)) > loss(*np.atleast_1d(path[0])))


def clip_to_window(points, lims):
    """Cut ``points`` (n, d) at the first one outside ``lims``, ending exactly on the edge.

    Returns (kept points, exit point or None).
    """
    points = np.asarray(points, dtype=float)
    outside = np.flatnonzero(~_inside(points, lims))
    if outside.size == 0:
        return points, None
    k = outside[0]
    if k == 0:
        return points[:0], None
    a, b = points[k - 1], points[k]
    if not np.all(np.isfinite(b)):
        return points[:k], a
    # Largest fraction t of the segment a→b that stays inside every limit.
    t = 1.0
    for dim, (lo, hi) in enumerate(lims):
        step = b[dim] - a[dim]
        if b[dim] > hi:
            t = min(t, (hi - a[dim]) / step)
        elif b[dim] < lo:
            t = min(t, (lo - a[dim]) / step)
    edge = a + t * (b - a)
    return np.vstack([points[:k], edge]), edge


class PathArtists:
    """The line, end marker and 'diverged' label of one path, updated in place."""

    def __init__(self, ax, lims, loss, color, label=None, marker="o"):
        self.lims, self.loss = lims, loss
        (self.line,) = ax.plot([], [], "-", marker=marker, ms=4, color=color, label=label, zorder=3)
        (self.end,) = ax.plot([], [], "o", ms=8, mfc="white", mec=color, mew=2, zorder=4)
        self.note = ax.annotate(
            "diverged", (0, 0), xytext=(0, 0), textcoords="offset points",
            color="white", fontweight="bold", visible=False, zorder=5,
            bbox={"boxstyle": "round,pad=0.2", "fc": "black", "alpha": 0.7, "ec": color, "lw": 2},
        )
        self.diverged = False

    def update(self, points, path):
        """Show ``points`` (the plotted coordinates of ``path``, shape (n, 2))."""
        self.diverged = is_diverged(path, self.loss)
        edge = None
        if self.diverged:
            points, edge = clip_to_window(points, self.lims)
        self.note.set_visible(edge is not None)
        if edge is not None:
            self._place_note(edge)
            self.end.set_data([], [])
        else:  # still inside the window: mark where the path is now
            self.end.set_data(points[-1:, 0], points[-1:, 1])
        self.line.set_data(points[:, 0], points[:, 1])

    def _place_note(self, edge):
        # Push the label from the exit point towards the inside of the window.
        (x0, x1), (y0, y1) = self.lims
        dx = 1 if np.isclose(edge[0], x0) else -1 if np.isclose(edge[0], x1) else 0
        dy = 1 if np.isclose(edge[1], y0) else -1 if np.isclose(edge[1], y1) else 0
        if dx == dy == 0:
            dx, dy = -1, -1
        self.note.xy = tuple(edge)
        self.note.set_position((14 * dx, 16 * dy))
        self.note.set_horizontalalignment({1: "left", -1: "right", 0: "center"}[dx])
        self.note.set_verticalalignment({1: "bottom", -1: "top", 0: "center"}[dy])

    def artists(self):
        return [self.line, self.end, self.note]


def _as_path_dict(paths):
    """Accept one path, a list of paths or a dict label → path."""
    if isinstance(paths, dict):
        return dict(paths)
    if isinstance(paths, np.ndarray) and paths.ndim <= 2 and paths.dtype != object:
        return {None: paths}
    return {None if len(paths) == 1 else f"path {i}": p for i, p in enumerate(paths)}


def _new_axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


# ---------------------------------------------------------------------------
# 2-D: contour of the loss with optimizer paths
# ---------------------------------------------------------------------------


def mark_point(ax, point, label, marker="o", ms=10):
    """A labelled marker (the start, the minimum) on top of the contour."""
    ax.plot(*point, marker, ms=ms, color="#e31a1c", mec="white", zorder=4)
    ax.annotate(label, point, xytext=(6, 8), textcoords="offset points", color="white")


def draw_contour(ax, f=f_2d, xlim=XLIM_2D, ylim=YLIM_2D, minimum=F_2D_MINIMUM, levels=16):
    """Filled contours of ``f`` with the minimum marked; drawn once per figure."""
    x1, x2 = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    z = f(x1, x2)
    # Quadratic bowls get evenly spaced rings when the levels are spaced in √f.
    lo, hi = z.min(), z.max()
    ax.contourf(x1, x2, z, levels=lo + (hi - lo) * np.linspace(0, 1, levels) ** 2, cmap="viridis")
    if minimum is not None:
        mark_point(ax, minimum, "minimum", marker="*", ms=16)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_2d(paths, ax=None, f=f_2d, title=None, xlim=XLIM_2D, ylim=YLIM_2D,
            minimum=F_2D_MINIMUM, legend=None):
    """Contour of ``f`` with one or several labelled paths (arrays of shape (n, 2)).

    Start, end and minimum are marked; a path that diverges is drawn up to the edge of the
    window and labelled "diverged". Returns the axes.
    """
    ax = _new_axes(ax)
    draw_contour(ax, f, xlim, ylim, minimum)
    paths = _as_path_dict(paths)
    for i, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=float)
        color = PATH_COLORS[i % len(PATH_COLORS)]
        PathArtists(ax, (xlim, ylim), f, color, label).update(path, path)
    start = np.asarray(next(iter(paths.values())), dtype=float)[0]
    mark_point(ax, start, "start")
    if legend or (legend is None and any(label for label in paths)):
        ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------------------
# 1-D: the loss curve with the points visited
# ---------------------------------------------------------------------------


def points_1d(path, loss=loss_1d):
    """Plot coordinates (θ, L(θ)) of a 1-D path."""
    path = np.asarray(path, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.column_stack([path, loss(path)])


def draw_loss_curve(ax, loss=loss_1d, xlim=XLIM_1D, ylim=YLIM_1D):
    theta = np.linspace(*xlim, 300)
    ax.plot(theta, loss(theta), color="#1f77b4", lw=2, zorder=1)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$L(\theta)$")


def plot_1d(paths, ax=None, loss=loss_1d, title=None, xlim=XLIM_1D, ylim=YLIM_1D, legend=None):
    """The loss curve with each path's points (θ_t, L(θ_t)) joined in order."""
    ax = _new_axes(ax)
    draw_loss_curve(ax, loss, xlim, ylim)
    paths = _as_path_dict(paths)
    for i, (label, path) in enumerate(paths.items()):
        color = PATH_COLORS_1D[i % len(PATH_COLORS_1D)]
        artists = PathArtists(ax, (xlim, ylim), loss, color, label)
        artists.update(points_1d(path, loss), path)
    if legend or (legend is None and any(label for label in paths)):
        ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def describe_run(name, hyperparams, path, loss):
    """Short English title for a run: settings and where it ended."""
    settings = ", ".join(f"{k}={v:g}" for k, v in hyperparams.items())
    if is_diverged(path, loss):
        outcome = "diverged"
    else:
        outcome = f"final loss {loss(*np.atleast_1d(path[-1])):.2g}"
    return f"{name} ({settings}): {outcome}"
