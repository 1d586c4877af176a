"""What an explorer shows beside its figure: the saved picture, the typed value box, the tracks."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.trajectories import train_2d  # noqa: E402
from course_utils.widgets import optimizer_explorer  # noqa: E402


def _line_data(explorer):
    line = explorer._artists[0]
    return np.column_stack(line.get_data())


def _png_pixels(data):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _differing(a, b):
    return np.any(a != b, axis=-1).mean()


def test_the_output_carries_a_picture_of_the_first_state(monkeypatch):
    from course_utils import widgets

    explorer = optimizer_explorer("sgd", lr=0.42)
    bundle = explorer._repr_mimebundle_()
    # Outside a widget front end (a batch run) the picture is the whole output.
    assert set(bundle) == {"image/png", "text/plain"}
    assert bundle["text/plain"] == repr(explorer)
    # The picture is the figure as drawn now: the live view's pixels (up to the order in which
    # the path's artists are painted over each other where they cross).
    picture = _png_pixels(bundle["image/png"])
    assert _differing(picture, _png_pixels(explorer.view.value)[..., :3]) < 0.002
    # Drawing the picture leaves the live view's redraws alone.
    explorer.sliders["lr"].value = 0.3
    np.testing.assert_allclose(_line_data(explorer), train_2d("sgd", lr=0.3))
    assert _differing(picture, _png_pixels(explorer.view.value)[..., :3]) > 0.01
    monkeypatch.setattr(widgets, "shows_widgets", lambda: True)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "image/png" in bundle


def test_typed_box_shows_the_title_format_and_moves_the_slider():
    from course_utils.plotting import format_value

    explorer = optimizer_explorer("rmsprop", ranges={"lr": (0, 1, 0.001)}, sliders=["lr", "eps"],
                                  lr=0.15, eps=1e-6)
    rows = explorer.children[0].children
    boxes = {name: row.children[1] for name, row in zip(explorer.sliders, rows, strict=True)}
    assert boxes["lr"].value == "0.15" == format_value(0.15)
    assert boxes["eps"].value == format_value(1e-6)
    assert "lr=0.15" in explorer.figure.axes[0].get_title()
    boxes["lr"].value = "0.4567"  # typed, then Enter: onto the slider's grid
    assert explorer.sliders["lr"].value == pytest.approx(0.457)
    assert boxes["lr"].value == "0.457"
    assert "lr=0.457" in explorer.figure.axes[0].get_title()
    boxes["lr"].value = "7"  # outside the range: its end
    assert explorer.sliders["lr"].value == 1.0
    boxes["lr"].value = "fast"  # not a number: the box shows the value kept
    assert boxes["lr"].value == "1" and explorer.sliders["lr"].value == 1.0
    boxes["eps"].value = "3e-4"  # log slider: the nearest half decade
    assert explorer.sliders["eps"].value == pytest.approx(10**-3.5)
    boxes["eps"].value = "-1"
    assert explorer.sliders["eps"].value == pytest.approx(10**-3.5)


def test_slider_tracks_are_long_enough_for_their_steps():
    from course_utils.optimizers import OPTIMIZERS
    from course_utils.widgets import TRACK_PX, TRACK_PX_PER_STEP, track_length

    for record in OPTIMIZERS.values():
        for name in record.defaults:
            lo, hi, step, _ = spec = record.slider_range(name)
            steps = round((hi - lo) / step)
            # Every default range fits its steps; a finer one (1 000 steps) gets the typed box.
            assert track_length(spec) >= min(steps * TRACK_PX_PER_STEP, TRACK_PX[1]), (
                record.name, name)
            assert steps * TRACK_PX_PER_STEP <= TRACK_PX[1], (record.name, name)
    assert track_length((0, 1, 0.001)) == TRACK_PX[1]
