"""The race explorer: several optimizers on one surface, live."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402

from course_utils import race as race_module  # noqa: E402
from course_utils.optimizers import OPTIMIZERS  # noqa: E402
from course_utils.race import (  # noqa: E402
    COLUMN_WIDTH,
    RACE_FIGSIZE,
    RACE_SETTINGS,
    loss_gap,
    plot_race,
    race_explorer,
    race_paths,
    race_settings,
    race_table,
)
from course_utils.surfaces import SURFACES  # noqa: E402
from course_utils.trajectories import train_2d  # noqa: E402

FIRST_ORDER = [name for name, record in OPTIMIZERS.items() if not record.needs]


def _drawn(race, name):
    return np.column_stack(race._picture.paths[name].line.get_data())


def _settings(race, name):
    return {hp: s.value for hp, s in race.sliders[name].items()}


@pytest.fixture
def race():
    return race_explorer(["sgd", "momentum", "adam"], surface="ravine", steps=40)


def test_the_race_starts_at_the_surface_settings(race):
    for name in ("sgd", "momentum", "adam"):
        assert _settings(race, name) == RACE_SETTINGS["ravine"][name]
        expected = train_2d(name, steps=40, surface="ravine", **RACE_SETTINGS["ravine"][name])
        np.testing.assert_array_equal(race.trajectories[name], expected)
        np.testing.assert_allclose(_drawn(race, name), expected)


def test_a_slider_recomputes_only_its_optimizer(race):
    before = dict(race.trajectories)
    race.sliders["sgd"]["lr"].value = 0.3
    expected = train_2d("sgd", steps=40, surface="ravine", lr=0.3)
    np.testing.assert_array_equal(race.trajectories["sgd"], expected)
    np.testing.assert_allclose(_drawn(race, "sgd"), expected)
    assert race.trajectories["momentum"] is before["momentum"]
    assert race.trajectories["adam"] is before["adam"]
    race.sliders["adam"]["beta1"].value = 0.8
    np.testing.assert_array_equal(
        race.trajectories["adam"],
        train_2d("adam", steps=40, surface="ravine", **{**RACE_SETTINGS["ravine"]["adam"],
                                                        "beta1": 0.8}))
    assert race.trajectories["momentum"] is before["momentum"]


def test_set_start_moves_row_0_of_every_path(race):
    race.set_start((-4.0, 2.5))
    np.testing.assert_array_equal(race.start, [-4.0, 2.5])
    for name, path in race.trajectories.items():
        np.testing.assert_array_equal(path[0], [-4.0, 2.5])
        expected = train_2d(name, steps=40, start=(-4.0, 2.5), **_settings(race, name))
        np.testing.assert_array_equal(path, expected)
    np.testing.assert_array_equal(race._picture.start_marker.get_data(), [[-4.0], [2.5]])
    # The image backend's start sliders follow.
    assert [s.value for s in race.start_sliders.values()] == [-4.0, 2.5]
    race.start_sliders["x2"].value = -1.0
    for path in race.trajectories.values():
        np.testing.assert_array_equal(path[0], [-4.0, -1.0])


@pytest.mark.parametrize("k", [0, 1, 7, 40])
def test_playback_at_step_k_shows_k_plus_1_points(race, k):
    race.step_slider.value = k
    for name, path in race.trajectories.items():
        drawn = _drawn(race, name)
        assert len(drawn) == k + 1
        np.testing.assert_allclose(drawn, path[: k + 1])
        np.testing.assert_allclose(np.column_stack(race._picture.paths[name].end.get_data()),
                                   path[k:k + 1])
        x, y = race._picture.loss_lines[name].get_data()
        assert len(x) == k + 1
        np.testing.assert_allclose(y, np.maximum(loss_gap(path[: k + 1], "ravine"), 1e-300))
    assert list(race._picture.step_line.get_xdata()) == [k, k]
    assert race.play.max == race.step_slider.max == 40


def test_image_backend_outside_a_kernel(race):
    assert race.backend == "image"
    picture = race.view.value
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"
    race.sliders["momentum"]["gamma"].value = 0.5
    assert race.view.value != picture
    assert repr(race) == ("RaceExplorer(optimizers=['sgd', 'momentum', 'adam'], "
                          "surface='ravine', backend='image')")


def test_the_surface_menu_changes_background_start_and_settings(race):
    ax = race._picture.ax
    n_background = len(ax.collections)
    race.surface_menu.value = "himmelblau"
    surface = SURFACES["himmelblau"]
    assert race.surface is surface
    np.testing.assert_array_equal(race.start, surface.start)
    assert ax.get_xlim() == surface.xlim and ax.get_ylim() == surface.ylim
    assert ax.get_title() == surface.label
    assert len(ax.collections) == n_background  # the old contours are gone, the new ones in
    for name, path in race.trajectories.items():
        assert _settings(race, name) == RACE_SETTINGS["himmelblau"][name]
        np.testing.assert_array_equal(
            path, train_2d(name, steps=40, surface="himmelblau", **_settings(race, name)))
    x1 = race.start_sliders["x1"]
    assert (x1.min, x1.max) == surface.xlim
    # Back to the first surface: its settings again.
    race.surface_menu.value = "ravine"
    assert _settings(race, "sgd") == RACE_SETTINGS["ravine"]["sgd"]
    np.testing.assert_array_equal(race.start, SURFACES["ravine"].start)


def test_the_surface_menu_brings_back_the_callers_settings():
    race = race_explorer(["sgd"], steps=10, settings={"sgd": {"lr": 0.1}})
    race.surface_menu.value = "saddle"
    assert race.sliders["sgd"]["lr"].value == RACE_SETTINGS["saddle"]["sgd"]["lr"]
    race.surface_menu.value = "ravine"
    assert race.sliders["sgd"]["lr"].value == 0.1


def test_visibility_toggles(race):
    race.show["momentum"].value = False
    picture = race._picture
    assert not picture.paths["momentum"].line.get_visible()
    assert not picture.loss_lines["momentum"].get_visible()
    assert not picture.paths["momentum"].outline.get_visible()
    assert picture.paths["sgd"].line.get_visible() and picture.paths["adam"].line.get_visible()
    texts = dict(zip(["sgd", "momentum", "adam"], picture.legend.get_texts(), strict=True))
    assert texts["momentum"].get_alpha() < 1 and texts["sgd"].get_alpha() == 1
    race.sliders["momentum"]["lr"].value = 0.3  # hidden paths still follow their sliders
    assert not picture.paths["momentum"].line.get_visible()
    race.show["momentum"].value = True
    assert picture.paths["momentum"].line.get_visible()
    np.testing.assert_allclose(_drawn(race, "momentum"), race.trajectories["momentum"])


def test_noise_is_seeded_and_the_same_for_every_optimizer(race):
    race.noise_slider.value = 0.5
    noisy = dict(race.trajectories)
    np.testing.assert_array_equal(
        noisy["sgd"], train_2d("sgd", steps=40, noise=0.5, seed=0, **_settings(race, "sgd")))
    race.noise_slider.value = 0.0
    race.noise_slider.value = 0.5
    for name, path in race.trajectories.items():
        np.testing.assert_array_equal(path, noisy[name])  # the same sigma, the same paths
    assert not np.array_equal(noisy["sgd"], train_2d("sgd", steps=40, lr=0.42))


def test_a_click_on_the_contour_sets_the_start():
    race = race_explorer(["sgd", "adam"], surface="rosenbrock", steps=30, backend="ipympl")
    canvas = race.figure.canvas
    assert not race.start_sliders
    canvas.draw()
    ax = race._picture.ax
    x, y = ax.transData.transform((0.5, 2.0))
    MouseEvent("button_press_event", canvas, x, y, button=1)._process()
    np.testing.assert_allclose(race.start, (0.5, 2.0), atol=1e-9)
    for name, path in race.trajectories.items():
        np.testing.assert_allclose(path[0], (0.5, 2.0), atol=1e-9)
        np.testing.assert_array_equal(path, train_2d(name, steps=30, surface="rosenbrock",
                                                     start=race.start, **_settings(race, name)))
    # A click on the loss panel is not a start.
    x, y = race._picture.loss_ax.transData.transform((10, 1.0))
    MouseEvent("button_press_event", canvas, x, y, button=1)._process()
    np.testing.assert_allclose(race.start, (0.5, 2.0), atol=1e-9)
    assert matplotlib.get_backend().lower() == "agg"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizers": ["sgd", "adamw"]}, "unknown optimizer 'adamw'"),
        ({"optimizers": []}, "optimizers is empty"),
        ({"optimizers": ["sgd", "sgd"]}, "sgd more than once"),
        ({"optimizers": ["sgd"], "surface": "everest"}, "unknown surface 'everest'"),
        ({"optimizers": ["sgd"], "start": (9.0, 0.0)}, r"start \(9.0, 0.0\) is outside"),
        ({"optimizers": ["sgd"], "start": (np.nan, 0.0)}, "start must have finite"),
        ({"optimizers": ["sgd"], "start": (0.0, np.inf)}, "start must have finite"),
        ({"optimizers": ["sgd"], "noise": -0.1}, "noise must be a finite number >= 0"),
        ({"optimizers": ["sgd"], "steps": 0}, "steps must be a whole number"),
        ({"optimizers": ["sgd"], "settings": {"adam": {"lr": 0.1}}}, "'adam', which is not"),
        ({"optimizers": ["sgd"], "settings": {"sgd": {"gamma": 0.1}}}, "no hyper-parameter"),
        ({"optimizers": ["sgd"], "settings": {"sgd": {"lr": 3.0}}}, "outside its slider range"),
        ({"optimizers": ["sgd"], "backend": "qt"}, "backend must be"),
    ],
)
def test_bad_input_is_named_before_any_figure(monkeypatch, kwargs, message):
    def no_figure(*args, **kwargs):
        raise AssertionError("a figure was built before the input was checked")

    monkeypatch.setattr(race_module, "Figure", no_figure)
    with pytest.raises(ValueError, match=message):
        race_explorer(**kwargs)


def test_set_start_outside_the_window_is_refused(race):
    before = race.trajectories
    with pytest.raises(ValueError, match="outside the ravine surface's window"):
        race.set_start((0.0, 10.0))
    assert race.trajectories is before


@pytest.mark.parametrize("surface", SURFACES)
def test_race_settings_fit_their_sliders_and_no_path_diverges(surface):
    settings = race_settings(surface, FIRST_ORDER)
    race = race_explorer(FIRST_ORDER, surface=surface, steps=200)
    for name in FIRST_ORDER:
        assert set(RACE_SETTINGS[surface][name]) <= set(OPTIMIZERS[name].defaults)
        for hp, value in settings[name].items():
            slider = race.sliders[name][hp]
            assert slider.value == value  # not clamped by the slider
            _assert_on_the_grid(slider)
        path = race.trajectories[name]
        assert np.all(np.isfinite(path)) and SURFACES[surface].contains(path[-1]), name
        gap = loss_gap(path, surface)
        assert gap[-1] < gap[0], f"{name} ends no lower than it started on {surface}"
        assert not race._picture.paths[name].diverged


@pytest.mark.parametrize("surface", SURFACES)
def test_race_settings_are_stable_at_every_minimum(surface):
    # Linear stability on a quadratic of curvature h: lr*h below 2 (SGD), 2(1 + gamma) (heavy
    # ball), 2(1 + gamma)/(1 + 2 gamma) (torch's Nesterov).
    s = SURFACES[surface]
    highest = max(np.linalg.eigvalsh(s.hessian(*m)).max() for m in s.minima)
    settings = race_settings(surface, ["sgd", "momentum", "nesterov"])
    assert settings["sgd"]["lr"] * highest < 2
    gamma = settings["momentum"]["gamma"]
    assert settings["momentum"]["lr"] * highest < 2 * (1 + gamma)
    gamma = settings["nesterov"]["gamma"]
    assert settings["nesterov"]["lr"] * highest < 2 * (1 + gamma) / (1 + 2 * gamma)


def _assert_on_the_grid(slider):
    # A front end moves a value that is off the slider's grid onto it (and sends that back).
    position = np.log10(slider.value) if slider.description == "lr" or "Log" in type(
        slider).__name__ else slider.value
    steps = (position - slider.min) / slider.step
    assert steps == pytest.approx(round(steps), abs=1e-6), (slider.description, slider.value)


def test_learning_rates_stay_on_their_log_grid_across_surfaces(race):
    for surface in SURFACES:
        race.surface_menu.value = surface
        for name, sliders in race.sliders.items():
            _assert_on_the_grid(sliders["lr"])
            assert sliders["lr"].value == race_settings(surface, [name])[name]["lr"]
            assert sliders["lr"].min <= -4.0


def test_start_sliders_wait_for_release():
    race = race_explorer(["sgd"], surface="saddle", steps=10, backend="image")
    assert not any(s.continuous_update for s in race.start_sliders.values())
    assert race.start_sliders["x2"].value == SURFACES["saddle"].start[1]


def test_the_figure_fits_a_notebook_column(race):
    width, height = race.figure.get_size_inches()
    # JupyterLab's output column at 1280 pixels with the file browser open: 848 pixels.
    assert width * race.figure.dpi <= 848 and (width, height) == RACE_FIGSIZE
    assert race.children[0].layout.width == COLUMN_WIDTH
    assert int(COLUMN_WIDTH.removesuffix("px")) <= 848
    assert len(race.figure.axes) == 2


def test_plot_race_and_its_table():
    figure, paths = plot_race(["sgd", "momentum", "adam"], surface="saddle", steps=60)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["SGD", "Momentum", "Adam"]
    assert figure.axes[1].get_yscale() == "log"
    expected = race_paths(["sgd", "momentum", "adam"], "saddle", 60)
    for name, path in paths.items():
        np.testing.assert_array_equal(path, expected[name])
    table = race_table(paths, "saddle")
    rows = table.splitlines()
    assert len(rows) == 4 and rows[1].startswith("SGD")
    plt.close(figure)


def test_race_table_says_where_each_path_ended():
    paths = {"sgd": train_2d("sgd", steps=100, lr=0.42),
             "momentum": train_2d("momentum", steps=30, lr=0.61, gamma=0.42)}
    table = race_table(paths, "ravine").splitlines()
    first = int(np.argmax(np.linalg.norm(paths["sgd"], axis=1) < 1e-2))
    assert table[1].split()[-2] == str(first)  # "settled": within 1e-2 from then on
    diverged = {"sgd": train_2d("sgd", steps=30, lr=0.7)}
    assert "diverged" in race_table(diverged, "ravine")
