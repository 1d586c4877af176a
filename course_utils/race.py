"""The race: several optimizers on one surface, from one start, step by step.

* :func:`race_paths` runs every optimizer of the race (the same start, the same gradient noise);
* :func:`plot_race` draws them: the contour with every path on the left, the loss against the
  step number (log scale) on the right, one legend above both;
* :func:`race_table` says where each path ended and when it got there;
* :func:`race_explorer` makes the figure live: a tab of sliders for every optimizer with a
  "show" box, a surface menu, a click on the contour to start everyone somewhere else (x1/x2
  sliders in the image backend), playback step by step and a gradient-noise slider.

Every optimizer is drawn in its record's colour and marker. ``RACE_SETTINGS`` holds the
settings each optimizer starts from on each surface.
"""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import checks
from .exercises import LECTURE_SETTINGS
from .optimizers import SliderRange, get_optimizer
from .plotting import MARK_COLOR, PathArtists, draw_contour, swap_artists
from .surfaces import SURFACES, get_surface
from .trajectories import distance_to, steps_to_reach, train_2d
from .widgets import MAX_EXPLORER_STEPS, Explorer, _slider_set, choose_backend

__all__ = ["RACE_SETTINGS", "race_settings", "race_paths", "plot_race", "race_table",
           "basin_table", "loss_gap", "race_explorer", "RaceExplorer", "RaceFigure"]

# The settings each optimizer starts from on each surface: chosen so that every optimizer
# makes progress within a few hundred steps and none diverges, so a figure shows how the
# methods differ rather than which one was tuned best (SGD, Momentum and Nesterov stay inside
# their linear stability limits at every minimum). Missing entries are the record's defaults.
RACE_SETTINGS = {
    "ravine": LECTURE_SETTINGS,
    "rotated_ravine": LECTURE_SETTINGS,
    "rosenbrock": {
        "sgd": {"lr": 0.0015},
        "momentum": {"lr": 0.002, "gamma": 0.9},
        "nesterov": {"lr": 0.001, "gamma": 0.9},
        "adagrad": {"lr": 0.5, "eps": 1e-6},
        "rmsprop": {"lr": 0.01, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 5.0},
        "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
    "beale": {
        "sgd": {"lr": 0.01},
        "momentum": {"lr": 0.002, "gamma": 0.9},
        "nesterov": {"lr": 0.002, "gamma": 0.9},
        "adagrad": {"lr": 1.0, "eps": 1e-6},
        "rmsprop": {"lr": 0.05, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 5.0},
        "adam": {"lr": 0.2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
    "himmelblau": {
        "sgd": {"lr": 0.01},
        "momentum": {"lr": 0.005, "gamma": 0.9},
        "nesterov": {"lr": 0.005, "gamma": 0.9},
        "adagrad": {"lr": 1.0, "eps": 1e-6},
        "rmsprop": {"lr": 0.03, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 5.0},
        "adam": {"lr": 0.2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
    "saddle": {
        "sgd": {"lr": 0.1},
        "momentum": {"lr": 0.1, "gamma": 0.9},
        "nesterov": {"lr": 0.1, "gamma": 0.9},
        "adagrad": {"lr": 0.5, "eps": 1e-6},
        "rmsprop": {"lr": 0.02, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 2.0},
        "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
    "rastrigin": {
        "sgd": {"lr": 0.002},
        "momentum": {"lr": 0.002, "gamma": 0.9},
        "nesterov": {"lr": 0.002, "gamma": 0.9},
        "adagrad": {"lr": 0.5, "eps": 1e-6},
        "rmsprop": {"lr": 0.01, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 2.0},
        "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
    "plateau": {
        "sgd": {"lr": 0.5},
        "momentum": {"lr": 0.5, "gamma": 0.9},
        "nesterov": {"lr": 0.3, "gamma": 0.9},
        "adagrad": {"lr": 0.3, "eps": 1e-6},
        "rmsprop": {"lr": 0.02, "gamma": 0.9, "eps": 1e-6},
        "adadelta": {"rho": 0.9, "eps": 1e-6, "lr": 2.0},
        "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    },
}

# JupyterLab's output column in a 1280-pixel window with the file browser open is 848 pixels
# wide: the race's controls and figure (8.4 x 4.5 inches at dpi 100) stay inside it.
COLUMN_WIDTH = "840px"
RACE_FIGSIZE = (8.4, 4.5)
# Seven names at 13 pt in one row are wider than the figure: four to a row.
LEGEND_COLUMNS = 4
# The loss panel shows f - f* down to this value; lower values sit below its bottom edge.
LOSS_FLOOR = 1e-10
# Learning rates differ by a factor 1000 between surfaces: their race sliders are logarithmic,
# from about 1e-4, in steps of 10^0.01 (2.3 %).
SMALLEST_LR_EXPONENT = -4.0
LR_STEP = 0.01
# The gradient-noise slider: sigma from 0 to this, in these steps.
NOISE_RANGE = (0.0, 5.0, 0.05)
# Long paths carry about this many markers (the current point is always marked).
MARKERS_PER_PATH = 40
# Hyper-parameter sliders sit two to a row under the optimizer's tab.
SLIDER_WIDTH = "320px"  # with its typed box, two to a row in the 840-pixel column
# Gradient noise is drawn from this seed unless told otherwise (the same sigma, the same paths).
NOISE_SEED = 0


# ---------------------------------------------------------------------------
# Checking what a race is asked to do
# ---------------------------------------------------------------------------


def _check_optimizers(optimizers):
    """The records of the optimizers in the race, in the order given."""
    if isinstance(optimizers, str) or callable(optimizers):
        optimizers = [optimizers]
    try:
        optimizers = list(optimizers)
    except TypeError:
        raise TypeError(f"optimizers must be a list of optimizer names, got "
                        f"{checks.describe(optimizers)}") from None
    if not optimizers:
        raise ValueError("optimizers is empty: name at least one optimizer to race")
    records = [get_optimizer(o) for o in optimizers]
    names = [r.name for r in records]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"optimizers names {', '.join(twice)} more than once; "
                         "each optimizer races once")
    return records


def _check_settings(records, settings):
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict optimizer name -> hyper-parameters, got "
                        f"{checks.describe(settings)}")
    names = [r.name for r in records]
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise ValueError(f"settings names {', '.join(map(repr, unknown))}, which "
                         f"{'is' if len(unknown) == 1 else 'are'} not in the race; "
                         f"the race has: {', '.join(names)}")
    for name, hp in settings.items():
        if not isinstance(hp, dict):
            raise TypeError(f"settings[{name!r}] must be a dict of hyper-parameters, got "
                            f"{checks.describe(hp)}")
    return settings


def race_settings(surface, optimizers, settings=None):
    """Hyper-parameters of each optimizer in a race on ``surface``: name → dict.

    The record's defaults, then ``RACE_SETTINGS[surface]``, then ``settings`` (a dict name →
    hyper-parameters) on top.
    """
    surface = get_surface(surface)
    records = _check_optimizers(optimizers)
    settings = _check_settings(records, settings)
    chosen = RACE_SETTINGS.get(surface.name, {})
    return {r.name: {**r.defaults, **chosen.get(r.name, {}), **settings.get(r.name, {})}
            for r in records}


def _check_race(optimizers, surface, steps, start, settings, noise, seed, max_steps):
    records = _check_optimizers(optimizers)
    surface = get_surface(surface)
    steps = checks.whole("steps", steps, low=1, high=max_steps)
    start = surface.check_start(start)
    noise = checks.real("noise", noise, low=0)
    seed = checks.whole("seed", seed, low=0)
    settings = race_settings(surface, records, settings)
    return records, surface, steps, start, settings, noise, seed


def _run_one(record, surface, steps, start, hp, noise, seed):
    # Every optimizer gets the same noise draws: the race differs only by the method.
    return train_2d(record, steps=steps, start=start, surface=surface,
                    noise=noise, seed=seed if noise > 0 else None, **hp)


def race_paths(optimizers, surface="ravine", steps=50, start=None, *, settings=None, noise=0.0,
               seed=NOISE_SEED):
    """Paths of the optimizers in a race: dict name → array (steps + 1, 2), row 0 the start.

    ``settings`` (name → hyper-parameters) overrides ``RACE_SETTINGS[surface]``; ``noise=σ``
    adds N(0, σ²) noise from ``seed`` to every gradient, the same draws for every optimizer.
    """
    records, surface, steps, start, settings, noise, seed = _check_race(
        optimizers, surface, steps, start, settings, noise, seed, max_steps=None)
    return {r.name: _run_one(r, surface, steps, start, settings[r.name], noise, seed)
            for r in records}


# ---------------------------------------------------------------------------
# The figure: contour with the paths, loss against step beside it
# ---------------------------------------------------------------------------


def _lowest_value(surface):
    return float(surface.f(*surface.minima[0]))


def _loss_limits(surface):
    """Fixed loss-panel limits for ``surface``: from LOSS_FLOOR to a decade above its window."""
    (x0, x1), (y0, y1) = surface.window
    grid = np.meshgrid(np.linspace(x0, x1, 61), np.linspace(y0, y1, 61))
    highest = float(np.max(surface.f(*grid))) - _lowest_value(surface)
    return LOSS_FLOOR, 10.0 ** np.ceil(np.log10(2 * highest))


def loss_gap(path, surface):
    """f(path) − f(global minimum) at every point of ``path`` (NaN where it overflowed)."""
    surface = get_surface(surface)
    path = np.asarray(path, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        gap = surface.f(path[:, 0], path[:, 1]) - _lowest_value(surface)
    return np.where(np.isfinite(gap), gap, np.nan)


def _plotted_gap(path, surface):
    # Zero (or a rounding error below it) would vanish on a log axis: keep it, below the floor.
    gap = loss_gap(path, surface)
    return np.where(np.isnan(gap) | (gap > 1e-300), gap, 1e-300)


class RaceFigure:
    """The race's two panels, built once; :meth:`show` moves what changes.

    Left: the surface's contour with one path per optimizer (:class:`PathArtists`) and the
    start. Right: the loss gap f − f* against the step number, log scale, one line per optimizer
    with its current point marked, and a vertical line at the step shown. :meth:`set_surface`
    replaces the background (contours, window, limits) for another surface.
    """

    def __init__(self, figure, records, surface, steps):
        self.figure, self.records, self.steps = figure, list(records), steps
        grid = figure.add_gridspec(1, 2, width_ratios=(1.25, 1.0))
        self.ax = figure.add_subplot(grid[0])
        self.loss_ax = figure.add_subplot(grid[1])
        self.paths, self.loss_lines, self.loss_now = {}, {}, {}
        window = get_surface(surface).window
        for r in self.records:
            # A marker on every step of a long path would hide the path and cost drawing time;
            # spaced by the race's steps, the markers stay put during playback.
            # Seven paths a frame: their outlines as lines, the markers each in one call.
            self.paths[r.name] = PathArtists(self.ax, window, None, r.color, r.label, r.marker,
                                             markevery=max(1, steps // MARKERS_PER_PATH),
                                             outline_line=True)
            (self.loss_lines[r.name],) = self.loss_ax.plot([], [], color=r.color, lw=1.8,
                                                           zorder=3)
            (self.loss_now[r.name],) = self.loss_ax.plot(
                [], [], ls="none", marker=r.marker, ms=7, color=r.color, mec="white", mew=0.6,
                zorder=4)
        self.step_line = self.loss_ax.axvline(steps, color=MARK_COLOR, lw=0.8, ls=":", zorder=2)
        (self.start_marker,) = self.ax.plot([], [], marker="o", ms=10, color="white",
                                            mec=MARK_COLOR, mew=1.6, ls="none", zorder=5)
        # A static title: text drawn on every frame would cost more than all seven paths.
        self.loss_ax.set_title("loss against step", fontsize="medium")
        self.loss_ax.set_yscale("log")
        self.loss_ax.set_xlim(0, steps)
        self.loss_ax.set_xlabel("step")
        self.loss_ax.set_ylabel("$f - f^*$", labelpad=2)
        self.legend = figure.legend(
            handles=[self.paths[r.name].line for r in self.records], loc="outside upper center",
            ncols=min(len(self.records), LEGEND_COLUMNS), frameon=False, handlelength=1.6,
            columnspacing=1.2,
            handletextpad=0.4)
        self._background = []
        self.set_surface(surface)

    def set_surface(self, surface):
        """Draw ``surface``'s contour, minima and saddles, window and loss limits."""
        self.surface = surface = get_surface(surface)
        self._background = swap_artists(self.ax, self._background,
                                        lambda: draw_contour(self.ax, surface=surface))
        self.ax.set_title(surface.label, fontsize="medium")
        self.loss_ax.set_ylim(*_loss_limits(surface))
        for artists in self.paths.values():
            artists.lims, artists.loss = surface.window, surface.f

    def show(self, paths, step, start, hidden=()):
        """Every path up to ``step`` (its point there marked), the start, the loss curves."""
        step = min(step, self.steps)
        for name, path in paths.items():
            shown = path[: step + 1]
            self.paths[name].update(shown, shown)
            gap = _plotted_gap(shown, self.surface)
            self.loss_lines[name].set_data(np.arange(len(gap)), gap)
            self.loss_now[name].set_data([step], gap[-1:])
            hide = name in hidden
            for artist in (self.paths[name].line, self.paths[name].end, self.paths[name].outline,
                           self.loss_lines[name], self.loss_now[name]):
                artist.set_visible(not hide)
            if hide:  # update() decided whether the path needs its "diverged" label
                self.paths[name].note.set_visible(False)
        self.step_line.set_xdata([step, step])
        self.start_marker.set_data([start[0]], [start[1]])

    def dim(self, hidden):
        """Grey out the legend entries of the hidden optimizers."""
        for record, text, handle in zip(self.records, self.legend.get_texts(),
                                        self.legend.legend_handles, strict=True):
            alpha = 0.3 if record.name in hidden else 1.0
            text.set_alpha(alpha)
            handle.set_alpha(alpha)

    def artists(self):
        """The artists that move, in drawing order."""
        moving = [*self.loss_lines.values(), *self.loss_now.values(), self.step_line]
        moving += [artists.outline for artists in self.paths.values()]  # under every path
        for artists in self.paths.values():
            moving += [a for a in artists.artists() if a is not artists.outline]
        return moving + [self.start_marker]


def plot_race(optimizers, surface="ravine", steps=50, start=None, *, settings=None, noise=0.0,
              seed=NOISE_SEED, step=None, figsize=RACE_FIGSIZE):
    """A static race figure (pyplot): every path on the contour, the loss curves beside it.

    Arguments as in :func:`race_paths`; ``step`` shows the race up to that step (all of it by
    default). Returns ``(figure, paths)``.
    """
    records, surface, steps, start, settings, noise, seed = _check_race(
        optimizers, surface, steps, start, settings, noise, seed, max_steps=None)
    step = steps if step is None else checks.whole("step", step, low=0, high=steps)
    paths = {r.name: _run_one(r, surface, steps, start, settings[r.name], noise, seed)
             for r in records}
    figure = plt.figure(figsize=figsize, layout="constrained")
    picture = RaceFigure(figure, records, surface, steps)
    picture.show(paths, step, start)
    return figure, paths


def _nearest_minimum(surface, point):
    minima = np.array(surface.minima, dtype=float)
    index = int(np.argmin(np.linalg.norm(minima - point, axis=1)))
    return index, minima[index]


def race_table(paths, surface, tol=1e-2):
    """A text table of a race: where each path ended, how high, near which minimum, since when.

    Columns: the end point; f − f* there; the minimum nearest the end; "settled", the step
    from which the path stays within ``tol`` of that minimum ("-": not within it at the end);
    "rms dist", the root-mean-square distance to that minimum over the second half of the
    path (the size of the cloud a noisy path ends in).
    """
    surface = get_surface(surface)
    tol = checks.real("tol", tol, low=0, low_open=True)
    lines = [f"{'optimizer':10s} {'end (x1, x2)':>18s} {'f - f*':>9s} {'nearest minimum':>17s}"
             f" {'settled':>8s} {'rms dist':>9s}"]
    for name, path in paths.items():
        label = get_optimizer(name).label
        end = path[-1]
        if not np.all(np.isfinite(end)) or not surface.contains(end):
            lines.append(f"{label:10s} {'diverged':>18s}")
            continue
        _, nearest = _nearest_minimum(surface, end)
        settled = steps_to_reach(path, tol, target=nearest, stay=True)
        cloud = np.sqrt(np.mean(distance_to(path[len(path) // 2:], nearest) ** 2))
        lines.append(f"{label:10s} {f'({end[0]:.3f}, {end[1]:.3f})':>18s} "
                     f"{loss_gap(path[-1:], surface)[0]:9.2g} "
                     f"{f'({nearest[0]:.2f}, {nearest[1]:.2f})':>17s} "
                     f"{'-' if settled is None else settled:>8} {cloud:9.2g}")
    return "\n".join(lines)


def basin_table(optimizers, surface, starts, steps=200, *, settings=None, tol=0.05):
    """Which minimum each optimizer ends in, from each of ``starts``: a text table.

    The minima of ``surface`` are lettered A, B, ... in the order of ``surface.minima``; "-"
    means the path ended farther than ``tol`` from every minimum (or diverged).
    """
    surface = get_surface(surface)
    tol = checks.real("tol", tol, low=0, low_open=True)
    records = _check_optimizers(optimizers)
    starts = [surface.check_start(p, name=f"starts[{i}]") for i, p in enumerate(starts)]
    letters = [chr(ord("A") + i) for i in range(len(surface.minima))]
    lines = ["minima: " + ", ".join(f"{letter} ({x:.2f}, {y:.2f})"
                                    for letter, (x, y) in zip(letters, surface.minima,
                                                              strict=True)),
             f"{'start':>14s}  " + " ".join(f"{r.label:>9s}" for r in records)]
    for start in starts:
        paths = race_paths(records, surface, steps, start, settings=settings)
        cells = []
        for r in records:
            end = paths[r.name][-1]
            index, nearest = _nearest_minimum(surface, end) if np.all(np.isfinite(end)) else (
                None, None)
            close = index is not None and np.linalg.norm(end - nearest) < tol
            cells.append(letters[index] if close else "-")
        lines.append(f"{f'({start[0]:g}, {start[1]:g})':>14s}  " +
                     " ".join(f"{c:>9s}" for c in cells))
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The live race
# ---------------------------------------------------------------------------


def _lowest_lr_exponent(lr):
    """The log slider's lowest exponent (just below SMALLEST_LR_EXPONENT) whose grid holds lr.

    The front end moves a slider's value onto its grid when it draws it and sends that value
    back: 0.0015 would become 10^-2.82 = 0.00151 and the race would change by being shown.
    """
    if lr < 10.0**SMALLEST_LR_EXPONENT:
        return SMALLEST_LR_EXPONENT  # below the slider: _make_slider says so
    exponent = float(np.log10(lr))
    return exponent - np.ceil((exponent - SMALLEST_LR_EXPONENT) / LR_STEP) * LR_STEP


def _race_sliders(record, values):
    """Sliders for every hyper-parameter of ``record`` at ``values`` (lr on a log scale)."""
    ranges = {}
    if "lr" in record.defaults:
        high = float(np.log10(record.slider_range("lr").high))
        lr = values.get("lr", record.defaults["lr"])
        ranges["lr"] = SliderRange(_lowest_lr_exponent(lr), high, LR_STEP, log=True)
    controls, fixed = _slider_set(record, values, ranges, list(record.defaults))
    if "lr" in controls:
        controls["lr"].readout_format = ".3g"
    for slider in controls.values():
        slider.layout.width = SLIDER_WIDTH
    return controls, fixed


def _move_slider(slider, value):
    """Set a race slider to ``value``; a log slider's grid is moved to pass through it."""
    if isinstance(slider, widgets.FloatLogSlider) and slider.description == "lr":
        slider.min = _lowest_lr_exponent(value)
    slider.value = value


def _set_slider(slider, value, low=None, high=None):
    """Move a slider to ``value`` (and to a new range), never passing through an invalid state."""
    if low is not None:
        slider.min, slider.max = min(slider.min, low), max(slider.max, high)
    slider.value = value
    if low is not None:
        slider.min, slider.max = low, high


class RaceExplorer(Explorer):
    """The live race (see :func:`race_explorer`), on :class:`~course_utils.widgets.Explorer`'s
    blitted canvas.

    Attributes: ``sliders[name][hp]``, ``show[name]`` (visibility boxes), ``trajectories[name]``,
    ``start``, ``surface``, ``surface_menu``, ``noise_slider``, ``step_slider``, ``play``,
    ``start_sliders`` (image backend: x1, x2), ``figure``. Only the paths whose inputs changed are
    recomputed; the others stay the same array objects.
    """

    def __init__(self, records, surface, steps, start, settings, noise, seed, backend,
                 user_settings=None):
        backend = choose_backend(backend)
        self.surface, self.start, self.steps, self.seed = surface, start, steps, seed
        self._home_surface, self._user_settings = surface, user_settings
        self._records = {r.name: r for r in records}
        self._paths = {}  # name -> (inputs, path): a path is recomputed only when these change
        self._holding = False

        self._hp_sliders, self._fixed = {}, {}
        for r in records:
            self._hp_sliders[r.name], self._fixed[r.name] = _race_sliders(r, settings[r.name])
        self.show = {name: widgets.Checkbox(value=True, description="show", indent=False,
                                            layout=widgets.Layout(width="auto"))
                     for name in self._hp_sliders}
        options = list(SURFACES) + ([] if surface.name in SURFACES else [surface.name])
        self._surfaces = {**SURFACES, surface.name: surface}
        self.surface_menu = widgets.Dropdown(options=options, value=surface.name,
                                             description="surface",
                                             style={"description_width": "55px"},
                                             layout=widgets.Layout(width="220px"))
        low, high, step = NOISE_RANGE
        self.noise_slider = widgets.FloatSlider(
            value=noise, min=low, max=max(high, noise), step=step, description="noise σ",
            readout_format=".2f", style={"description_width": "60px"},
            layout=widgets.Layout(width="320px"))
        self.step_slider = widgets.IntSlider(value=steps, min=0, max=steps, description="step",
                                             style={"description_width": "40px"},
                                             layout=widgets.Layout(width="320px"))
        self.play = widgets.Play(value=steps, min=0, max=steps, interval=80,
                                 description="play", layout=widgets.Layout(width="auto"))
        widgets.jslink((self.play, "value"), (self.step_slider, "value"))
        self.start_sliders = {}
        if backend == "image":  # no mouse events without a live canvas: sliders choose the start
            for i, name in enumerate(("x1", "x2")):
                lo, hi = surface.window[i]
                self.start_sliders[name] = widgets.FloatSlider(
                    value=start[i], min=lo, max=hi, step=(hi - lo) / 200,
                    description=f"start {name}", readout_format=".2f",
                    style={"description_width": "70px"}, layout=widgets.Layout(width="320px"),
                    # Sent on release only: the front end would round a start such as the
                    # saddle's (-2, 0.001) onto the slider's grid, exactly onto the saddle's line.
                    continuous_update=False)

        figure = Figure(figsize=RACE_FIGSIZE, layout="constrained")
        self._picture = RaceFigure(figure, records, surface, steps)
        self.click_axes = self._picture.ax  # a click there starts every path
        controls = {"surface": self.surface_menu, "noise": self.noise_slider,
                    "step": self.step_slider, **self.start_sliders}
        for name, sliders in self._hp_sliders.items():
            controls[f"{name}.show"] = self.show[name]
            controls.update({f"{name}.{hp}": s for hp, s in sliders.items()})
        # Explorer observes every control in the flat dict; the race's sliders are by optimizer.
        super().__init__(figure, controls, self._compute, self._draw_race,
                         self._picture.artists(), backend)
        self.controls, self.sliders = controls, self._hp_sliders
        self.children = (self._layout(), self.view)
        if backend == "ipympl":
            figure.canvas.mpl_connect("button_press_event", self._on_click)
            # A click starts the race; zoom and pan would take it, and the toolbar its width.
            self.view.toolbar_visible = False

    def _layout(self):
        row = self.rows  # each slider with its typed box (Explorer's control rows)
        tabs = widgets.Tab(children=[
            widgets.VBox([row[f"{name}.show"],
                          widgets.GridBox([row[f"{name}.{hp}"] for hp in sliders],
                                          layout=widgets.Layout(
                                              grid_template_columns="repeat(2, max-content)"))])
            for name, sliders in self.sliders.items()])
        for i, name in enumerate(self.sliders):
            tabs.set_title(i, self._records[name].label)
        rows = [widgets.HBox([row["surface"], row["noise"]]),
                widgets.HBox([self.play, row["step"]])]
        if self.start_sliders:
            rows.append(widgets.HBox([row[name] for name in self.start_sliders]))
        return widgets.VBox([*rows, tabs], layout=widgets.Layout(width=COLUMN_WIDTH))

    def __repr__(self):
        return (f"RaceExplorer(optimizers={list(self.sliders)}, surface={self.surface.name!r}, "
                f"backend={self.backend!r})")

    @property
    def trajectories(self):
        """The paths now drawn: name → array (steps + 1, 2)."""
        return self.trajectory

    def values(self):
        """Hyper-parameters of every optimizer and the shared inputs of the race."""
        return {
            "settings": {name: {**self._fixed[name], **{hp: s.value for hp, s in sl.items()}}
                         for name, sl in self._hp_sliders.items()},
            "noise": self.noise_slider.value,
            "step": self.step_slider.value,
            "hidden": {name for name, box in self.show.items() if not box.value},
        }

    def _compute(self, settings, noise, **_):
        paths = {}
        for name, hp in settings.items():
            inputs = (self.surface, tuple(self.start), noise, tuple(hp.items()))
            cached = self._paths.get(name)
            if cached is None or cached[0] != inputs:
                path = _run_one(self._records[name], self.surface, self.steps, self.start, hp,
                                noise, self.seed)
                cached = self._paths[name] = (inputs, path)
            paths[name] = cached[1]
        return paths

    def _draw_race(self, paths, values):
        self._picture.show(paths, values["step"], self.start, values["hidden"])

    def set_start(self, point):
        """Start every path at ``point`` (what a click on the contour does) and redraw."""
        self.start = self.surface.check_start(point)
        self._holding = True
        try:
            for i, slider in enumerate(self.start_sliders.values()):
                slider.value = float(self.start[i])
        finally:
            self._holding = False
        self.update()

    def set_surface(self, name):
        """Race on another surface: its contour and window, its start, its settings."""
        surface = self._surfaces.get(name) or get_surface(name)
        user = self._user_settings if surface is self._home_surface else None
        settings = race_settings(surface, list(self._records.values()), user)
        self._holding = True
        try:
            self.surface, self.start = surface, np.array(surface.start, dtype=float)
            self.surface_menu.value = surface.name
            for name, sliders in self.sliders.items():
                for hp, slider in sliders.items():
                    _move_slider(slider, settings[name][hp])
            for i, slider in enumerate(self.start_sliders.values()):
                lo, hi = surface.window[i]
                _set_slider(slider, float(self.start[i]), lo, hi)
                slider.step = (hi - lo) / 200
        finally:
            self._holding = False
        self._picture.set_surface(surface)
        self.figure.set_layout_engine("constrained")  # new tick labels: lay out once more
        self.update(full=True)

    def _on_change(self, change):
        if self._holding:
            return
        owner = change["owner"]
        if owner is self.surface_menu:
            self.set_surface(change["new"])
        elif any(owner is s for s in self.start_sliders.values()):
            self.set_start([s.value for s in self.start_sliders.values()])
        elif any(owner is box for box in self.show.values()):
            self._picture.dim(self.values()["hidden"])
            self.update(full=True)  # the legend is part of the background
        else:
            self.update()

    def _on_click(self, event):
        if event.inaxes is not self.click_axes or event.button != 1:
            return
        if getattr(getattr(self.figure.canvas, "toolbar", None), "mode", ""):
            return  # the click belongs to zoom or pan
        self.set_start((event.xdata, event.ydata))


def race_explorer(optimizers, surface="ravine", steps=50, start=None, *, settings=None,
                  backend=None, noise=0.0, seed=NOISE_SEED):
    """Live race of ``optimizers`` (a list of names) on ``surface``, from ``start``.

    Every optimizer starts from ``RACE_SETTINGS[surface]`` (its record's defaults where that
    has none), with ``settings`` (name → hyper-parameters) on top. The controls: a surface menu
    (a new surface brings its own window, start and settings), the gradient-noise σ (drawn from
    ``seed``, the same for every optimizer), playback (every path up to step k), a tab per
    optimizer with its sliders and a "show" box. A click on the contour starts every path there
    (image backend: the start sliders). Returns a :class:`RaceExplorer`.
    """
    records, surface, steps, start, merged, noise, seed = _check_race(
        optimizers, surface, steps, start, settings, noise, seed, max_steps=MAX_EXPLORER_STEPS)
    return RaceExplorer(records, surface, steps, start, merged, noise, seed, backend,
                        user_settings=settings)
