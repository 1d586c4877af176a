import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.trajectories import train_1d, train_2d  # noqa: E402
from course_utils.widgets import gradient_descent_1d_explorer, optimizer_explorer  # noqa: E402


def _line_data(explorer):
    line = explorer._artists[0]
    return np.column_stack(line.get_data())


def test_setting_a_slider_redraws_the_new_path():
    explorer = optimizer_explorer("sgd", lr=0.42)
    np.testing.assert_array_equal(explorer.trajectory, train_2d("sgd", lr=0.42))
    before = explorer.view.value
    explorer.sliders["lr"].value = 0.3
    expected = train_2d("sgd", lr=0.3)
    np.testing.assert_array_equal(explorer.trajectory, expected)
    np.testing.assert_allclose(_line_data(explorer), expected)
    assert explorer.view.value != before  # the picture was re-rendered
    final_loss = 0.1 * expected[-1, 0] ** 2 + 2 * expected[-1, 1] ** 2
    assert explorer.figure.axes[0].get_title() == f"SGD (lr=0.3): final loss {final_loss:.2g}"


def test_every_slider_drives_the_path_and_fixed_values_stay():
    explorer = optimizer_explorer(
        "adam", steps=30, lr=1.0, beta1=0.9, beta2=0.99, eps=1e-6,
        sliders=["lr", "beta1", "beta2"],
    )
    assert list(explorer.sliders) == ["lr", "beta1", "beta2"]
    explorer.sliders["beta2"].value = 0.9
    explorer.sliders["beta1"].value = 0.5
    expected = train_2d("adam", steps=30, lr=1.0, beta1=0.5, beta2=0.9, eps=1e-6)
    np.testing.assert_allclose(explorer.trajectory, expected)
    np.testing.assert_allclose(_line_data(explorer), expected)


def test_diverging_setting_is_drawn_and_labelled():
    explorer = optimizer_explorer("sgd", lr=0.42)
    explorer.sliders["lr"].value = 0.61
    note = explorer._artists[2]
    assert note.get_visible() and note.get_text() == "diverged"
    assert len(_line_data(explorer)) < 51
    assert explorer.figure.axes[0].get_title() == "SGD (lr=0.61): diverged"
    explorer.sliders["lr"].value = 0.1
    assert not note.get_visible()


def test_the_figure_is_built_once():
    explorer = optimizer_explorer("momentum", lr=0.61, gamma=0.42)
    ax = explorer.figure.axes[0]
    n_collections, n_lines = len(ax.collections), len(ax.lines)
    for lr in (0.1, 0.2, 0.3):
        explorer.sliders["lr"].value = lr
    assert (len(ax.collections), len(ax.lines)) == (n_collections, n_lines)
    assert len(explorer.figure.axes) == 1


def test_1d_explorer():
    explorer = gradient_descent_1d_explorer(lr=0.1)
    explorer.sliders["lr"].value = 0.9
    path = train_1d("sgd", lr=0.9)
    np.testing.assert_array_equal(explorer.trajectory, path)
    np.testing.assert_allclose(_line_data(explorer), np.column_stack([path, path**2]))


def test_log_slider_for_eps_and_range_override():
    explorer = optimizer_explorer("adagrad", ranges={"lr": (0, 4, 0.01)}, lr=1.0, eps=1e-6)
    assert explorer.sliders["lr"].max == 4
    assert type(explorer.sliders["eps"]).__name__ == "FloatLogSlider"
    explorer.sliders["eps"].value = 1e-2
    np.testing.assert_allclose(explorer.trajectory, train_2d("adagrad", lr=1.0, eps=1e-2))


def test_repr_is_stable():
    assert repr(optimizer_explorer("sgd", lr=0.1)) == "Explorer(sliders=['lr'], backend='image')"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "adamw"}, "unknown optimizer"),
        ({"optimizer": "sgd", "gamma": 0.5}, "no hyper-parameter 'gamma'"),
        ({"optimizer": "sgd", "lr": 7.0}, r"outside its slider range"),
        ({"optimizer": "sgd", "lr": 0.1, "backend": "qt"}, "backend must be"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizer_explorer(**kwargs)


def test_ipympl_canvas_waits_for_the_front_end_then_blits():
    explorer = optimizer_explorer("sgd", lr=0.42, backend="ipympl")
    canvas = explorer.figure.canvas
    assert type(canvas).__name__ == "Canvas"
    # No picture is pushed before the page shows the canvas (a half-initialised view breaks).
    assert not canvas._data_url
    explorer.sliders["lr"].value = 0.3
    np.testing.assert_allclose(_line_data(explorer), train_2d("sgd", lr=0.3))
    canvas.draw()  # what the front end asks for once the canvas is on the page
    assert explorer._background is not None
    explorer.sliders["lr"].value = 0.2
    np.testing.assert_allclose(_line_data(explorer), train_2d("sgd", lr=0.2))
    assert matplotlib.get_backend().lower() == "agg"  # pyplot's backend left alone


def test_surface_dropdown_switches_the_surface_and_redraws_the_background():
    explorer = optimizer_explorer("newton", surface="rosenbrock", damping=1.0,
                                  surface_choices=["ravine", "rosenbrock", "saddle"])
    ax = explorer.figure.axes[0]
    assert list(explorer.sliders) == ["surface", "damping"]
    np.testing.assert_array_equal(explorer.trajectory,
                                  train_2d("newton", surface="rosenbrock", damping=1.0))
    n_collections = len(ax.collections)
    before = explorer.view.value
    explorer.sliders["surface"].value = "saddle"
    expected = train_2d("newton", surface="saddle", damping=1.0)
    np.testing.assert_array_equal(explorer.trajectory, expected)
    np.testing.assert_allclose(_line_data(explorer), expected)
    assert ax.get_xlim() == (-2.5, 2.5) and ax.get_ylim() == (-1.6, 1.6)
    assert len(ax.collections) == n_collections  # the old contours went away
    assert explorer.view.value != before
    explorer.sliders["damping"].value = 0.0  # a slider after a switch stays on the new surface
    np.testing.assert_array_equal(explorer.trajectory, train_2d("newton", surface="saddle"))
    assert explorer.figure.axes[0].get_title().startswith("Newton (lr=1, damping=0)")


def test_surface_choices_accept_labels_and_records_and_check_the_first():
    from course_utils.surfaces import rotated_ravine

    choices = {"0 deg": rotated_ravine(0.0), "45 deg": rotated_ravine(45.0)}
    explorer = optimizer_explorer("coordinate_descent", steps=20, surface="45 deg",
                                  surface_choices=choices)
    np.testing.assert_array_equal(explorer.trajectory,
                                  train_2d("coordinate_descent", 20, surface=choices["45 deg"]))
    with pytest.raises(ValueError, match="not among surface_choices"):
        optimizer_explorer("sgd", surface="beale", surface_choices=["ravine", "saddle"], lr=0.1)
    with pytest.raises(TypeError, match="surface_choices must be"):
        optimizer_explorer("sgd", surface_choices="ravine", lr=0.1)


def test_surface_slider_for_a_family_of_surfaces():
    from course_utils.surfaces import rotated_ravine

    choices = {f"{a} deg": rotated_ravine(float(a)) for a in range(0, 91, 15)}
    explorer = optimizer_explorer("coordinate_descent", steps=30, surface="45 deg",
                                  surface_choices=choices, surface_slider=True)
    assert type(explorer.sliders["surface"]).__name__ == "SelectionSlider"
    explorer.sliders["surface"].value = "0 deg"
    np.testing.assert_array_equal(explorer.trajectory,
                                  train_2d("coordinate_descent", 30, surface=choices["0 deg"]))
    assert explorer.figure.axes[0].get_title().startswith("Coordinate descent: final loss")


def test_going_back_to_a_surface_reuses_its_background_and_shows_the_same_picture():
    import io

    from PIL import Image

    from course_utils.surfaces import SURFACES

    def pixels(explorer):
        return np.asarray(Image.open(io.BytesIO(explorer.view.value)))

    choices = ["ravine", "saddle", "rosenbrock"]
    explorer = optimizer_explorer("sgd", surface="ravine", surface_choices=choices, lr=0.05,
                                  backend="image")
    first = pixels(explorer)
    canvas, full_draws = explorer.figure.canvas, []
    draw = canvas.draw
    canvas.draw = lambda: (full_draws.append(1), draw())
    explorer.sliders["surface"].value = "saddle"
    assert len(full_draws) == 1
    explorer.sliders["surface"].value = "ravine"  # back: the kept background, no full redraw
    assert len(full_draws) == 1
    np.testing.assert_array_equal(pixels(explorer), first)
    explorer.sliders["lr"].value = 0.1  # a slider after the return draws on that background
    fresh = optimizer_explorer("sgd", surface="ravine", surface_choices=choices, lr=0.1,
                               backend="image")
    np.testing.assert_array_equal(pixels(explorer), pixels(fresh))
    ravine = pixels(explorer)
    explorer.sliders["surface"].value = "rosenbrock"  # never shown: drawn whole
    assert explorer.figure.axes[0].get_xlim() == SURFACES["rosenbrock"].window[0]
    assert (pixels(explorer) != ravine).any(axis=-1).mean() > 0.2


def test_on_the_page_a_new_surface_is_drawn_at_once_not_on_the_front_ends_request():
    explorer = optimizer_explorer("sgd", surface="ravine", surface_choices=["ravine", "saddle"],
                                  lr=0.05, backend="ipympl")
    canvas, calls = explorer.figure.canvas, []
    for name in ("draw", "draw_idle"):
        method = getattr(canvas, name)
        setattr(canvas, name, lambda method=method, name=name: (calls.append(name), method()))
    explorer.update(full=True)  # not on the page yet: wait for the front end to ask
    assert calls == ["draw_idle"]
    canvas.draw()  # the front end's first request
    assert explorer._background is not None
    calls.clear()
    explorer.sliders["surface"].value = "saddle"  # on the page: no round trip to the page
    assert calls == ["draw"] and explorer._background is not None
