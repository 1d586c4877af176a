"""Slider explorers: drag a hyper-parameter, watch the optimizer's path move.

The figure is built once (contour, limits, markers); a slider change recomputes the path with
:func:`~course_utils.trajectories.train_2d` and moves the existing line with ``set_data``.

Two ways to show the figure:

* ``"ipympl"``: a live matplotlib canvas widget, redrawn with ``draw_idle`` (the default inside
  a Jupyter kernel where ipympl is installed);
* ``"image"``: the figure rendered to PNG into a fixed-size image widget, for front ends
  without the ipympl extension (and outside a kernel). Same controls, no page jumps.

Every explorer's output also carries a PNG of its first picture, so a notebook saved with
outputs shows the figure where widgets do not run (GitHub, nbviewer, before Run All). Where no
front end shows widgets at all (a batch run such as ``jupyter nbconvert --execute``), the PNG
is the whole output.
"""

import io
import re

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import checks
from .frontends import choose_backend, shows_widgets
from .functions import loss_1d, loss_1d_grad
from .optimizers import SliderRange, get_optimizer
from .plotting import (
    XLIM_1D,
    YLIM_1D,
    PathArtists,
    describe_run,
    draw_contour,
    draw_loss_curve,
    format_value,
    mark_point,
    points_1d,
    swap_artists,
)
from .surfaces import get_surface
from .trajectories import train_1d, train_2d

# Explorers compute a path on every slider change: keep that short.
MAX_EXPLORER_STEPS = 2000
# Figure sizes (inches) an explorer can lay out: smaller has no room for its title and axes,
# larger is a typo whose rendering would take the kernel's memory.
FIGURE_INCHES = (3.0, 40.0)


# A slider with more positions than this cannot be moved to any one of them.
MAX_SLIDER_STEPS = 1e6


def _check_range(name, spec):
    """A slider range (low, high, step[, log]): finite, low < high, step > 0; log exponents
    within ±300 (10^±300 is still a float)."""
    where = f"ranges[{name!r}]"
    if not isinstance(spec, (tuple, list, np.ndarray)) or len(spec) not in (3, 4):
        raise TypeError(f"{where} must be (low, high, step), got {checks.describe(spec)}")
    log = checks.flag(f"{where}[3]", spec[3]) if len(spec) == 4 else False
    bound = 300 if log else None
    lo, hi = (checks.real(f"{where}[{i}]", spec[i], low=-bound if log else None, high=bound)
              for i in (0, 1))
    if not lo < hi:
        raise ValueError(f"{where} must have low < high, got low {lo:g}, high {hi:g}")
    step = checks.real(f"{where}[2]", spec[2], low=0, low_open=True)
    if (hi - lo) / step > MAX_SLIDER_STEPS:  # also catches a span that overflows to inf
        raise ValueError(f"{where} must have at most {MAX_SLIDER_STEPS:.0e} steps of its step "
                         f"{step:g} from {lo:g} to {hi:g}")
    return SliderRange(lo, hi, step, log)


def _check_figsize(figsize):
    """(width, height) in inches, each within FIGURE_INCHES."""
    if not isinstance(figsize, (tuple, list, np.ndarray)) or len(figsize) != 2:
        raise TypeError(f"figsize must be two numbers (width, height) in inches, got "
                        f"{checks.describe(figsize)}")
    low, high = FIGURE_INCHES
    return tuple(checks.real(f"figsize[{i}]", v, low=low, high=high)
                 for i, v in enumerate(figsize))


# Slider tracks: at least TRACK_PX_PER_STEP pixels per step, between these lengths (a 1 280 px
# window with the file browser open leaves about 840 px for an output: room for the box beside it).
TRACK_PX = (320, 600)
TRACK_PX_PER_STEP = 3
DESCRIPTION_PX = 60


def track_length(spec):
    """Pixels of slider track for a range: long enough for its step, short enough to fit."""
    lo, hi, step, _ = SliderRange(*spec)
    steps = round((hi - lo) / step)
    return int(np.clip(steps * TRACK_PX_PER_STEP, *TRACK_PX))


def _make_slider(name, value, spec):
    """A slider for hyper-parameter ``name`` at ``value``; a value off the slider is an error."""
    lo, hi, step, log = _check_range(name, spec)
    value = checks.real(name, value)
    style = {"description_width": f"{DESCRIPTION_PX}px"}
    # The readout is the typed box beside the track (control_row), in format_value's format.
    layout = widgets.Layout(width=f"{DESCRIPTION_PX + track_length(spec) + 12}px")
    if log:
        if not 10.0**lo <= value <= 10.0**hi:
            raise ValueError(f"initial {name}={value!r} is outside its slider range "
                             f"[{10.0**lo:g}, {10.0**hi:g}]")
        return widgets.FloatLogSlider(
            value=value, base=10, min=lo, max=hi, step=step, description=name,
            readout=False, style=style, layout=layout,
        )
    if not lo <= value <= hi:
        raise ValueError(f"initial {name}={value!r} is outside its slider range [{lo:g}, {hi:g}]")
    return widgets.FloatSlider(
        value=value, min=lo, max=hi, step=step, description=name, readout=False,
        style=style, layout=layout,
    )


def _snap(slider, value):
    """A typed value moved onto the slider: inside its range, on its grid of steps."""
    if isinstance(slider, widgets.FloatLogSlider):
        exponent = np.clip(np.log10(value), slider.min, slider.max)
        exponent = slider.min + round((exponent - slider.min) / slider.step) * slider.step
        return float(10.0**exponent)
    value = float(np.clip(value, slider.min, slider.max))
    snapped = slider.min + round((value - slider.min) / slider.step) * slider.step
    snapped = min(max(snapped, slider.min), slider.max)
    return int(round(snapped)) if isinstance(slider, widgets.IntSlider) else float(snapped)


def control_class(key):
    """The CSS class that names an explorer's control ``key`` on the page ("adam.lr" → ...)."""
    return "course-control-" + re.sub(r"[^A-Za-z0-9_]", "-", str(key))


def control_row(control, key=None):
    """A control as the explorer shows it: a slider gets a typed box showing its value.

    The box is the readout (in :func:`~course_utils.plotting.format_value`'s format, the same as
    the figure's title) and an exact input where a step is finer than a pixel of track. With
    ``key`` the row carries :func:`control_class` (the browser tests find a control by it).
    """
    if not isinstance(control, (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider)):
        if key is not None:
            control.add_class(control_class(key))
        return control
    control.readout = False
    box = widgets.Text(value=format_value(control.value), continuous_update=False,
                       layout=widgets.Layout(width="84px"),
                       tooltip=f"type a value for {control.description} and press Enter")
    box.add_class("course-typed-value")

    showing = []  # set while the box is being updated, so that is not taken as typing

    def show(_change):
        showing.append(True)
        try:
            box.value = format_value(control.value)
        finally:
            showing.pop()

    def typed(change):
        if showing:
            return
        try:
            value = float(change["new"])
        except ValueError:
            value = None
        if value is None or not np.isfinite(value) or (
                isinstance(control, widgets.FloatLogSlider) and value <= 0):
            show(None)  # not a number for this slider: show the value it keeps
            return
        control.value = _snap(control, value)
        show(None)

    control.observe(show, names="value")
    box.observe(typed, names="value")
    row = widgets.HBox([control, box], layout=widgets.Layout(align_items="center"))
    if key is not None:
        row.add_class(control_class(key))
    return row


def _ipympl_classes():
    """ipympl's canvas and manager, without letting the import switch pyplot's backend."""
    before = matplotlib.rcParams["backend"]
    from ipympl.backend_nbagg import Canvas, FigureManager

    if matplotlib.rcParams["backend"] != before:
        matplotlib.use(before)
    return Canvas, FigureManager


def _send_whole_frames(canvas):
    """Make the canvas's next frame a whole picture, not a difference to the last one.

    ipympl's page loads each frame into one image element: a frame that arrives while the one
    before it is still loading replaces it. A lost whole frame followed by a difference frame
    leaves the canvas blank (seen right after Run All), and a lost difference frame leaves
    stale pixels; whole frames cost ~10 ms more to encode and never depend on each other.
    """
    canvas._force_full = True  # matplotlib's web canvas: the next frame is sent whole


class Explorer(widgets.VBox):
    """Controls above a figure whose drawing follows them.

    Attributes: ``sliders`` (name → control: any widget with a ``value``, e.g. a slider or a
    dropdown), ``figure``, ``trajectory`` (what ``compute`` returned for the values now drawn).

    Only the moving artists are redrawn on a change (blitting): the contour, axes and labels
    are rendered once into a background that is restored before each update.
    """

    def __init__(self, figure, sliders, compute, draw, artists, backend=None, fixed=None):
        self.figure = figure
        self.sliders = sliders
        self.fixed = dict(fixed or {})
        self.backend = backend = choose_backend(backend)
        self._compute, self._draw = compute, draw
        self._artists = list(artists)
        self._background = None
        for artist in self._artists:
            artist.set_animated(True)
        if backend == "ipympl":
            Canvas, FigureManager = _ipympl_classes()
            # A canvas of its own, outside pyplot: inline figures elsewhere stay inline.
            canvas = Canvas(figure)
            FigureManager(canvas, id(figure))
            canvas.header_visible = False
            canvas.footer_visible = False
            # The toolbar would fade in over the axis labels; limits are fixed anyway.
            canvas.toolbar_visible = False
            canvas.resizable = False
            view = canvas
        else:
            FigureCanvasAgg(figure)
            width, height = (figure.get_size_inches() * figure.dpi).astype(int)
            # A fixed-size image: redraws replace the picture without moving the page.
            view = widgets.Image(format="png", layout=widgets.Layout(
                width=f"{width}px", height=f"{height}px"))
        self.view = view
        figure.canvas.mpl_connect("draw_event", self._on_full_draw)
        # Each control in its row (a slider with its typed box); a subclass may lay them out.
        self.rows = {key: control_row(c, key) for key, c in sliders.items()}
        super().__init__([widgets.VBox(list(self.rows.values())), view])
        self.add_class("course-explorer")
        for slider in sliders.values():
            slider.observe(self._on_change, names="value")
        self.update()

    def __repr__(self):
        # Stable text (no widget ids or values that change), for notebooks saved with outputs.
        return f"Explorer(sliders={list(self.sliders)}, backend={self.backend!r})"

    def picture(self):
        """The figure as it is now, as PNG bytes (what a front end without widgets shows)."""
        live = self.figure.canvas
        animated = [artist for artist in self._artists if artist.get_animated()]
        self._rendering_picture = True  # this draw is not the live view's background
        try:
            FigureCanvasAgg(self.figure)  # a canvas of its own: the live one stays as it is
            for artist in animated:
                artist.set_animated(False)
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png")
        finally:
            for artist in animated:
                artist.set_animated(True)
            self.figure.set_canvas(live)
            self._rendering_picture = False
        return buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        # The live widget where a front end shows widgets, and the picture for everything else
        # (GitHub, nbviewer, the saved notebook before it runs again).
        bundle = super()._repr_mimebundle_(**kwargs) if shows_widgets() else {}
        bundle = dict(bundle or {})
        bundle["image/png"] = self.picture()
        bundle["text/plain"] = repr(self)
        return bundle

    def values(self):
        """Current hyper-parameters: the sliders' values and the fixed ones."""
        return {**self.fixed, **{name: s.value for name, s in self.sliders.items()}}

    def _on_change(self, _change):
        self.update()

    def _on_full_draw(self, _event):
        if getattr(self, "_rendering_picture", False):
            return
        # A full draw (first show, or the front end asking) renders everything but the moving
        # artists: keep that as the background, then put the moving artists on top.
        canvas = self.figure.canvas
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_moving_artists()
        # The layout is settled now; recomputing it on every redraw would cost more than the plot.
        self.figure.set_layout_engine("none")
        if self.backend == "ipympl":
            _send_whole_frames(canvas)

    def _draw_moving_artists(self):
        for artist in self._artists:
            self.figure.draw_artist(artist)

    def update(self, full=False):
        """Recompute the path for the current values and move the drawn line to it.

        ``full=True``: the background changed too (a new surface, say), so everything is drawn
        again and cached as the new background.
        """
        values = self.values()
        self.trajectory = self._compute(**values)
        self._draw(self.trajectory, values)
        shown = self._background is not None  # the page has had a picture already
        if full:
            self._background = None
        canvas = self.figure.canvas
        if self.backend == "ipympl" and self._background is None:
            if shown:  # draw now: the web canvas sends the new picture when the draw ends
                canvas.draw()
            else:  # let the front end ask for the first full picture once it is on the page
                canvas.draw_idle()
            return
        if self._background is None:
            canvas.draw()
        else:
            canvas.restore_region(self._background)
            self._draw_moving_artists()
        if self.backend == "ipympl":
            _send_whole_frames(canvas)
            canvas.blit(self.figure.bbox)
        else:
            self.view.value = self._png()

    def _png(self):
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.figure.canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _check_ranges(ranges):
    if ranges is None:
        return {}
    if not isinstance(ranges, dict):
        raise TypeError(f"ranges must be a dict hyper-parameter → (low, high, step), got "
                        f"{checks.describe(ranges)}")
    return dict(ranges)


def _slider_set(optimizer, initial, ranges, sliders):
    record = get_optimizer(optimizer)
    defaults = record.defaults
    unknown = sorted(set(initial) - set(defaults))
    if sliders is not None:
        unknown += sorted(set(sliders) - set(defaults) - set(unknown))
    if unknown:
        raise ValueError(f"{record.name!r} has no hyper-parameter {', '.join(map(repr, unknown))}; "
                         f"its hyper-parameters are: {', '.join(defaults) or 'none'}")
    values = {**defaults, **initial}
    names = sliders if sliders is not None else (list(initial) or list(defaults))
    ranges = _check_ranges(ranges)
    controls = {name: _make_slider(name, values[name], ranges[name] if name in ranges else
                                   record.slider_range(name)) for name in names}
    fixed = {k: v for k, v in values.items() if k not in controls}
    return controls, fixed


def _path_explorer(optimizer, run, controls, fixed, *, backend, figsize, draw_background, lims,
                   loss, color, marker="o", to_points=lambda path: path):
    """A figure with a fixed background and one path that follows the controls."""
    figure = Figure(figsize=figsize, layout="constrained")
    ax = figure.add_subplot()
    draw_background(ax)
    path_artists = PathArtists(ax, lims, loss, color, marker=marker)
    title = ax.set_title(" ")
    name = get_optimizer(optimizer).label

    def draw(path, hp):
        path_artists.update(to_points(path), path)
        title.set_text(describe_run(name, hp, path, loss))

    artists = [*path_artists.artists(), title]
    return Explorer(figure, controls, run, draw, artists, backend, fixed)


def optimizer_explorer(optimizer, steps=50, start=None, *, surface="ravine", ranges=None,
                       sliders=None, backend=None, figsize=(8, 5), f=None, grad=None,
                       surface_choices=None, surface_slider=False, **initial_hyperparams):
    """Live contour plot of ``optimizer``'s path on a surface (the lecture's ravine by default).

    ``initial_hyperparams`` set the starting values; each one gets a slider (all of the
    optimizer's hyper-parameters if none are given, or exactly those named in ``sliders``).
    ``ranges`` overrides a slider's (min, max, step), e.g. ``ranges={"lr": (0, 4, 0.01)}``;
    otherwise the optimizer's record gives them. ``start=None`` is the surface's start; ``f`` and
    ``grad`` replace the surface's function and gradient.

    ``surface_choices``: a dict label → surface (a name or a record) adds a dropdown
    ``sliders["surface"]`` that switches the surface, contours and window with it; ``surface`` is
    the one shown first (a label among them). A list of names works too. ``surface_slider=True``
    shows the choices on a slider instead, for an ordered family (the ravine at several angles).
    """
    record = get_optimizer(optimizer)  # an unknown name fails here, before any figure exists
    if surface_choices is not None:
        return _surface_choice_explorer(record, steps, start, surface, surface_choices, ranges,
                                        sliders, backend, figsize, initial_hyperparams,
                                        surface_slider)
    surface = get_surface(surface)
    steps = checks.whole("steps", steps, low=1, high=MAX_EXPLORER_STEPS)
    start = surface.check_start(start)
    figsize = _check_figsize(figsize)
    loss = surface.f if f is None else f
    controls, fixed = _slider_set(record, initial_hyperparams, ranges, sliders)

    def draw_background(ax):
        draw_contour(ax, loss, surface=surface)
        mark_point(ax, start, "start")

    def run(**hp):
        return train_2d(record, steps=steps, start=start, surface=surface, grad=grad, **hp)

    return _path_explorer(record, run, controls, fixed, backend=backend, figsize=figsize,
                          draw_background=draw_background, lims=surface.window, loss=loss,
                          color=record.color, marker=record.marker)


def _surface_choice_explorer(record, steps, start, surface, choices, ranges, sliders, backend,
                             figsize, initial_hyperparams, surface_slider):
    """:func:`optimizer_explorer` with a dropdown of surfaces: the background follows it."""
    if isinstance(choices, (list, tuple)):
        choices = {name: name for name in choices}
    if not isinstance(choices, dict) or not choices:
        raise TypeError(f"surface_choices must be a dict label → surface or a list of names, "
                        f"got {checks.describe(choices)}")
    surfaces = {label: get_surface(choice) for label, choice in choices.items()}
    first = next((label for label, s in surfaces.items() if s.name == surface or label == surface
                  or s is surface), None)
    if first is None:
        raise ValueError(f"surface {surface!r} is not among surface_choices "
                         f"({', '.join(map(str, surfaces))})")
    steps = checks.whole("steps", steps, low=1, high=MAX_EXPLORER_STEPS)
    starts = {label: s.check_start(start) for label, s in surfaces.items()}
    controls, fixed = _slider_set(record, initial_hyperparams, ranges, sliders)
    control = widgets.SelectionSlider if surface_slider else widgets.Dropdown
    dropdown = control(options=list(surfaces), value=first, description="surface",
                       style={"description_width": "60px"}, layout=widgets.Layout(width="420px"))

    figure = Figure(figsize=figsize, layout="constrained")
    ax = figure.add_subplot()
    path_artists = PathArtists(ax, surfaces[first].window, surfaces[first].f, record.color,
                               marker=record.marker)
    title = ax.set_title(" ")
    background = []
    shown = {"label": None}

    def show_surface(label):
        def draw():
            draw_contour(ax, surface=surfaces[label])
            mark_point(ax, starts[label], "start")

        background[:] = swap_artists(ax, background, draw)
        path_artists.lims, path_artists.loss = surfaces[label].window, surfaces[label].f
        shown["label"] = label

    def run(surface, **hp):
        return train_2d(record, steps=steps, start=starts[surface], surface=surfaces[surface],
                        **hp)

    def draw(path, values):
        hp = {k: v for k, v in values.items() if k != "surface"}
        path_artists.update(path, path)
        title.set_text(describe_run(record.label, hp, path, surfaces[values["surface"]].f))

    show_surface(first)
    explorer = Explorer(figure, {"surface": dropdown, **controls}, run, draw,
                        [*path_artists.artists(), title], backend, fixed)

    # The rendered background of each surface shown so far (contours, ticks: a full redraw costs
    # 70 ms), kept with the canvas size it was drawn at: going back to a surface reuses it.
    rendered = {}

    def on_surface(change):
        size = tuple(figure.bbox.size)
        if explorer._background is not None:
            rendered[shown["label"]] = (size, explorer._background)
        show_surface(change["new"])
        cached_size, cached = rendered.get(change["new"], (None, None))
        if cached_size == size:
            explorer._background = cached
            explorer.update()
        else:
            explorer.update(full=True)

    # A new surface needs a new background: this handler replaces the Explorer's plain redraw.
    dropdown.unobserve(explorer._on_change, names="value")
    dropdown.observe(on_surface, names="value")
    return explorer


def gradient_descent_1d_explorer(optimizer="sgd", steps=20, start=1.0, *, ranges=None,
                                 sliders=None, backend=None, figsize=(8, 5), loss=loss_1d,
                                 grad=loss_1d_grad, **initial_hyperparams):
    """Live plot of the points an optimizer visits on the 1-D loss θ²."""
    record = get_optimizer(optimizer)
    steps = checks.whole("steps", steps, low=1, high=MAX_EXPLORER_STEPS)
    start = checks.real("start", start)
    if not XLIM_1D[0] <= start <= XLIM_1D[1]:
        raise ValueError(f"start {start!r} is outside the window [{XLIM_1D[0]:g}, {XLIM_1D[1]:g}]")
    figsize = _check_figsize(figsize)
    if not initial_hyperparams and sliders is None:
        initial_hyperparams = {"lr": 0.1}
    ranges = {"lr": (0.0, 1.1, 0.01), **_check_ranges(ranges)}
    controls, fixed = _slider_set(record, initial_hyperparams, ranges, sliders)

    def run(**hp):
        return train_1d(record, steps=steps, start=start, grad=grad, **hp)

    return _path_explorer(record, run, controls, fixed, backend=backend, figsize=figsize,
                          draw_background=lambda ax: draw_loss_curve(ax, loss, XLIM_1D, YLIM_1D),
                          lims=(XLIM_1D, YLIM_1D), loss=loss, color=record.color,
                          marker=record.marker,
                          to_points=lambda path: points_1d(path, loss))


__all__ = [
    "Explorer", "optimizer_explorer", "gradient_descent_1d_explorer", "choose_backend",
    "control_class",
    "control_row",
]
