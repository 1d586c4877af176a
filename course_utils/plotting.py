"""The course's figures: one style, a 1-D loss-curve plot and a 2-D contour plot of paths.

Figure text is English and math only, so no figure ever needs a CJK font. Every optimizer is
drawn in its record's colour and marker (:mod:`course_utils.optimizers`) in every figure; the
contours are light greys, so every path colour reads on them. The artists for a path are created
once (:class:`PathArtists`) and moved with ``set_data``; the static figures and the live explorers
share that code.
"""

import os

import matplotlib.patheffects as patheffects
import matplotlib.pyplot as plt
import mplhep
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from . import checks
from .functions import loss_1d
from .optimizers import OPTIMIZERS, get_optimizer
from .surfaces import contour_levels, get_surface

XLIM_1D = (-1.5, 1.5)
YLIM_1D = (-0.2, 2.0)

# Light to mid grey: paths of any colour in the palette stay visible on it.
CONTOUR_CMAP = LinearSegmentedColormap.from_list("course_contour", ["#fbfbfb", "#b9bec6"])
CONTOUR_LINE_COLOR = "#8a9099"
MARK_COLOR = "#222222"
# Several paths of one optimizer in one picture: same colour and marker, these line styles.
LINESTYLES = ("-", "--", ":", "-.")
# A dark outline keeps light colours (Nesterov, AdaGrad) visible on the light contours; notebooks
# pass it as ``path_effects=PATH_OUTLINE`` to curves in an optimizer's colour on a white background.
OUTLINE_COLOR, OUTLINE_ALPHA, OUTLINE_WIDTH = "#303030", 0.55, 3.2
PATH_OUTLINE = [patheffects.Stroke(linewidth=OUTLINE_WIDTH, foreground=OUTLINE_COLOR,
                                   alpha=OUTLINE_ALPHA),
                patheffects.Normal()]

_NORMAL = {
    "figure.figsize": (8, 5),
    "font.size": 15,
    "axes.titlesize": 15,
    "axes.labelsize": 15,
    "legend.fontsize": 13,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
}
_LECTURE = {
    "font.size": 20,
    "axes.titlesize": 20,
    "axes.labelsize": 20,
    "legend.fontsize": 16,
    "xtick.labelsize": 17,
    "ytick.labelsize": 17,
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
        "legend.frameon": True,
        "legend.framealpha": 0.9,
        # ATLAS's math font has no radical sign; without a fallback \sqrt logs errors to stderr.
        "mathtext.fallback": "stixsans",
        **_NORMAL,
    })
    if lecture:
        plt.rcParams.update(_LECTURE)


# ---------------------------------------------------------------------------
# Which colour, marker and line style a path gets
# ---------------------------------------------------------------------------


def path_styles(labels, optimizer=None):
    """Style (colour, marker, line style, legend label) of each labelled path.

    A path's optimizer is ``optimizer`` (one name for all paths, or a dict label → name), else
    its label when the label is a registry name (then the legend shows the display name). Paths
    of the same optimizer share its colour and marker and take turns through ``LINESTYLES``;
    paths of no known optimizer are dark grey.
    """
    styles, seen = {}, {}
    for label in labels:
        name = optimizer.get(label) if isinstance(optimizer, dict) else optimizer
        if name is None and isinstance(label, str) and label.lower() in OPTIMIZERS:
            name = label
        record = get_optimizer(name) if name is not None else None
        key = record.name if record is not None else None
        index = seen.get(key, 0)
        seen[key] = index + 1
        legend = label
        if record is not None and isinstance(label, str) and label.lower() == record.name:
            legend = record.label
        styles[label] = {
            "color": record.color if record else "#444444",
            "marker": record.marker if record else "o",
            "linestyle": LINESTYLES[index % len(LINESTYLES)],
            "label": legend,
        }
    return styles


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


# A path longer than this many points carries a marker on every k-th step only (k = n // this):
# under the outline's path effect matplotlib draws markers one by one, 0.1 ms each, and a
# thousand markers hide the path. The markers keep their spacing in steps, so they still bunch
# where the steps are short.
MAX_PATH_MARKERS = 100


class PathArtists:
    """The line, end marker and 'diverged' label of one path, updated in place.

    A diverging path is cut where it leaves the window and labelled there; a path that swings
    out of the window and back is drawn whole (the axes clip it). A long path carries about
    ``MAX_PATH_MARKERS`` markers, unless ``markevery`` fixes the spacing.

    ``outline_line=True`` draws the dark outline as a line of its own (``self.outline``, drawn
    first) instead of a path effect, with dark marker edges: the markers then go in one call,
    which a figure redrawing many paths per frame (the race) needs.
    """

    def __init__(self, ax, lims, loss, color, label=None, marker="o", linestyle="-", ms=5,
                 markevery=None, outline_line=False):
        self.lims, self.loss = lims, loss
        self.markevery = markevery  # None: from the path's length, else a marker every k steps
        self.outline = None
        if outline_line:
            (self.outline,) = ax.plot([], [], linestyle=linestyle, color=OUTLINE_COLOR,
                                      alpha=OUTLINE_ALPHA, lw=OUTLINE_WIDTH, zorder=2.9)
        (self.line,) = ax.plot([], [], linestyle=linestyle, marker=marker, ms=ms, color=color,
                               mec=OUTLINE_COLOR if outline_line else "white", mew=0.6, lw=1.8,
                               label=label, zorder=3,
                               path_effects=[] if outline_line else PATH_OUTLINE)
        (self.end,) = ax.plot([], [], marker="o", ls="none", ms=9, mfc="white", mec=color,
                              mew=2.4, zorder=4)
        self.note = ax.annotate(
            "diverged", (0, 0), xytext=(0, 0), textcoords="offset points",
            color="white", fontweight="bold", visible=False, zorder=6,
            bbox={"boxstyle": "round,pad=0.25", "fc": "#222222", "alpha": 0.85, "ec": color,
                  "lw": 2},
        )
        self.diverged = False

    def update(self, points, path):
        """Show ``points`` (the plotted coordinates of ``path``, shape (n, 2))."""
        self.diverged = is_diverged(path, self.loss)
        edge = None
        if self.diverged:  # cut at the edge; a path that only swings out and back is kept whole
            points, edge = clip_to_window(points, self.lims)
        self.note.set_visible(edge is not None)
        if edge is not None:
            self._place_note(edge)
            self.end.set_data([], [])
        elif len(points) and _inside(points[-1:], self.lims)[0]:
            self.end.set_data(points[-1:, 0], points[-1:, 1])  # where the path is now
        else:
            self.end.set_data([], [])
        self.line.set_data(points[:, 0], points[:, 1])
        if self.outline is not None:
            self.outline.set_data(points[:, 0], points[:, 1])
        self.line.set_markevery(self.markevery or max(1, len(points) // MAX_PATH_MARKERS))

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
        return [a for a in (self.outline, self.line, self.end, self.note) if a is not None]


def _as_path_dict(paths, dim):
    """One path, a list of paths or a dict label → path, as a dict label → float array.

    A path is an array of shape (n, 2) for ``dim=2``, (n,) for ``dim=1``, with n >= 1.
    """
    if isinstance(paths, dict):
        paths = dict(paths)
    elif isinstance(paths, np.ndarray) and 1 <= paths.ndim <= dim and paths.dtype != object:
        paths = {None: paths}
    elif isinstance(paths, (list, tuple, np.ndarray)) and dim == 1 and len(paths) and all(
            np.ndim(p) == 0 and not isinstance(p, (str, bytes)) for p in paths):
        paths = {None: paths}  # one 1-D path given as a list of numbers
    elif isinstance(paths, (list, tuple, np.ndarray)):
        paths = {None if len(paths) == 1 else f"path {i}": p for i, p in enumerate(paths)}
    else:
        raise TypeError(f"paths must be a path, a list of paths or a dict label → path, got "
                        f"{checks.describe(paths)}")
    if not paths:
        raise ValueError("paths is empty: give at least one path")
    shape = "(n, 2)" if dim == 2 else "(n,)"
    arrays = {}
    for label, path in paths.items():
        try:
            if path is None or isinstance(path, (str, bytes)):
                raise TypeError
            arrays[label] = np.asarray(path, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"path {label!r} must be an array of numbers of shape {shape}, got "
                            f"{checks.describe(path)}") from None
        array = arrays[label]
        if array.ndim != dim or (dim == 2 and array.shape[1] != 2) or len(array) == 0:
            raise ValueError(f"path {label!r} must have shape {shape}, got {array.shape}")
    return arrays


def _new_axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _place_legend(ax, where):
    """Legend outside the axes on the right (never over a path), or where asked."""
    if where in (None, True, "outside"):
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return ax.legend(loc=where)


# ---------------------------------------------------------------------------
# 2-D: contour of the loss with optimizer paths
# ---------------------------------------------------------------------------


def _label_size():
    # Point labels as large as the legend: 13 pt, 16 pt in lecture mode ("small" would be 12.5 pt).
    return plt.rcParams["legend.fontsize"]


def _check_finite_over(values, window):
    """A window so wide that the loss overflows cannot be drawn: say which window it was."""
    if not np.all(np.isfinite(values)):
        raise ValueError(f"the loss is not finite everywhere in the window {window}: choose "
                         "a smaller window")


def mark_point(ax, point, label, marker="o", ms=10, offset=(7, 7)):
    """A labelled marker (the start, the minimum) on top of the contour."""
    ax.plot(*point, marker=marker, ms=ms, color="white", mec=MARK_COLOR, mew=1.6, ls="none",
            zorder=5)
    return ax.annotate(label, point, xytext=offset, textcoords="offset points", color=MARK_COLOR,
                       fontsize=_label_size(), zorder=5,
                       path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])


def _resolve_window(surface, f, xlim, ylim, minimum):
    """The surface's function, window and minima, with the old keyword arguments on top."""
    surface = get_surface("ravine" if surface is None else surface)
    f = surface.f if f is None else f
    xlim = surface.xlim if xlim is None else checks.interval("xlim", xlim)
    ylim = surface.ylim if ylim is None else checks.interval("ylim", ylim)
    if minimum is None:
        minima = surface.minima
    elif minimum is False:
        minima = []
    else:
        minima = [tuple(checks.point("minimum", minimum))]
    return surface, f, (tuple(xlim), tuple(ylim)), minima


def draw_contour(ax, f=None, xlim=None, ylim=None, minimum=None, levels=18, *, surface=None,
                 critical_points=True):
    """Filled contours of a surface (the ravine by default) with its minima and saddles marked.

    Drawn once per figure. ``f``, ``xlim``, ``ylim`` and ``minimum`` override the surface's
    (``minimum=False``: mark none); the levels follow the surface's ``levels`` rule.
    """
    surface, f, (xlim, ylim), minima = _resolve_window(surface, f, xlim, ylim, minimum)
    x1, x2 = np.meshgrid(np.linspace(*xlim, 240), np.linspace(*ylim, 240))
    with np.errstate(over="ignore", invalid="ignore"):
        z = f(x1, x2)
    _check_finite_over(z, f"xlim={tuple(xlim)}, ylim={tuple(ylim)}")
    lv = contour_levels(z, surface.levels, levels)
    ax.contourf(x1, x2, z, levels=lv, cmap=CONTOUR_CMAP, zorder=0)
    ax.contour(x1, x2, z, levels=lv, colors=CONTOUR_LINE_COLOR, linewidths=0.5, alpha=0.7,
               zorder=1)
    if critical_points:
        _mark_critical_points(ax, surface, minima, xlim, ylim)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def swap_artists(ax, old, draw):
    """Take the artists ``old`` off ``ax``, call ``draw()`` and return the artists it added.

    How a live figure changes its surface: the contours and markers of the old one go, the
    paths stay, and the list returned is what the next change takes off again.
    """
    for artist in old:
        artist.remove()
    before = set(ax.get_children())
    draw()
    return [a for a in ax.get_children() if a not in before]


def _mark_critical_points(ax, surface, minima, xlim, ylim):
    if len(minima) > 6:  # Rastrigin: only the global minimum gets a label, the rest a dot
        ax.plot(*np.array(minima[1:]).T, ".", color=MARK_COLOR, ms=4, zorder=2)
        minima = minima[:1]
    for point in minima:
        mark_point(ax, point, "minimum" if len(minima) == 1 else "min", marker="*", ms=15)
    saddles = [p for p in surface.saddles
               if xlim[0] <= p[0] <= xlim[1] and ylim[0] <= p[1] <= ylim[1]]
    if saddles and len(saddles) <= 6:
        ax.plot(*np.array(saddles).T, "X", color="white", mec=MARK_COLOR, mew=1.2, ms=9,
                ls="none", zorder=5)
        if len(saddles) == 1:
            ax.annotate("saddle", saddles[0], xytext=(7, -14), textcoords="offset points",
                        color=MARK_COLOR, fontsize=_label_size(), zorder=5,
                        path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])


def plot_2d(paths, ax=None, f=None, title=None, xlim=None, ylim=None, minimum=None, legend=None,
            *, surface=None, optimizer=None):
    """Contour of a surface with one or several labelled paths (arrays of shape (n, 2)).

    ``paths``: one path, a list, or a dict label → path. Labels that are optimizer names
    (``{"sgd": ..., "adam": ...}``), or ``optimizer=`` (a name for all paths, or a dict label →
    name), give each path its optimizer's colour and marker. ``surface`` is a name in
    ``SURFACES`` (the ravine by default). Start, end and minimum are marked; a path that leaves
    the window is cut at the edge, and labelled "diverged" if it diverged. The legend goes
    outside the axes on the right (``legend`` = a matplotlib location to put it inside, False
    for none). Returns the axes.
    """
    paths = _as_path_dict(paths, dim=2)
    surface_record, f, lims, _ = _resolve_window(surface, f, xlim, ylim, minimum)
    start = next(iter(paths.values()))[0]
    _check_start_inside(start, lims)
    ax = _new_axes(ax)
    draw_contour(ax, f, lims[0], lims[1], minimum, surface=surface_record)
    for label, style in path_styles(list(paths), optimizer).items():
        artists = PathArtists(ax, lims, f, style["color"], style["label"], style["marker"],
                              style["linestyle"])
        artists.update(paths[label], paths[label])
    mark_point(ax, start, "start", offset=(-10, 8) if start[0] > np.mean(lims[0]) else (7, 7))
    if legend is not False and (legend or any(label for label in paths)):
        _place_legend(ax, legend)
    if title:
        ax.set_title(title)
    return ax


def _check_start_inside(start, lims):
    start = np.atleast_1d(start)
    where = tuple(start.tolist())
    if not np.all(np.isfinite(start)):
        raise ValueError(f"the path's start {where} is not finite")
    if len(start) == 1:
        (x0, x1), _ = lims
        if not x0 <= start[0] <= x1:
            raise ValueError(f"the path's start {start[0]:g} is outside the window theta in "
                             f"[{x0:g}, {x1:g}]; pass xlim= to show it")
        return
    (x0, x1), (y0, y1) = lims
    if not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
        raise ValueError(
            f"the path's start {where} is outside the window x1 in [{x0:g}, "
            f"{x1:g}], x2 in [{y0:g}, {y1:g}]; pass xlim= and ylim= to show it")


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
    with np.errstate(over="ignore", invalid="ignore"):
        values = loss(theta)
    _check_finite_over(values, f"xlim={tuple(xlim)}")
    ax.plot(theta, values, color="#9aa3ad", lw=2.5, zorder=1)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(r"$\theta$")
    ax.set_ylabel(r"$L(\theta)$")


def plot_1d(paths, ax=None, loss=loss_1d, title=None, xlim=XLIM_1D, ylim=YLIM_1D, legend=None,
            *, optimizer="sgd"):
    """The loss curve with each path's points (θ_t, L(θ_t)) joined in order.

    Paths are styled as in :func:`plot_2d`; ``optimizer`` says whose paths they are (SGD by
    default, several settings of it in turn through ``LINESTYLES``).
    """
    xlim, ylim = checks.interval("xlim", xlim), checks.interval("ylim", ylim)
    paths = _as_path_dict(paths, dim=1)
    _check_start_inside(next(iter(paths.values()))[0], (xlim, ylim))
    ax = _new_axes(ax)
    draw_loss_curve(ax, loss, xlim, ylim)
    for label, style in path_styles(list(paths), optimizer).items():
        artists = PathArtists(ax, (xlim, ylim), loss, style["color"], style["label"],
                              style["marker"], style["linestyle"])
        artists.update(points_1d(paths[label], loss), paths[label])
    if legend is not False and (legend or any(label for label in paths)):
        _place_legend(ax, legend)
    if title:
        ax.set_title(title)
    return ax


def format_value(value):
    """A hyper-parameter as titles and slider readouts show it: 3 significant digits."""
    return f"{value:.3g}"


def describe_run(name, hyperparams, path, loss):
    """Short English title for a run: settings and where it ended."""
    settings = ", ".join(f"{k}={format_value(v)}" for k, v in hyperparams.items()
                         if not callable(v))
    if is_diverged(path, loss):
        outcome = "diverged"
    else:
        outcome = f"final loss {loss(*np.atleast_1d(path[-1])):.2g}"
    return f"{name} ({settings}): {outcome}" if settings else f"{name}: {outcome}"


__all__ = [
    "use_style", "path_styles", "plot_2d", "plot_1d", "draw_contour", "draw_loss_curve",
    "mark_point", "swap_artists", "PathArtists", "is_diverged", "clip_to_window", "describe_run",
    "format_value", "PATH_OUTLINE",
]
