import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.functions import f_2d, loss_1d  # noqa: E402
from course_utils.plotting import (  # noqa: E402
    clip_to_window,
    describe_run,
    is_diverged,
    plot_1d,
    plot_2d,
    use_style,
)
from course_utils.surfaces import SURFACES  # noqa: E402
from course_utils.trajectories import train_1d, train_2d  # noqa: E402

XLIM_2D, YLIM_2D = SURFACES["ravine"].window


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _visible_texts(ax):
    return [t.get_text() for t in ax.texts if t.get_visible()]


def test_clip_to_window_ends_on_the_edge():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 5.0], [9.0, 9.0]])
    kept, edge = clip_to_window(points, ((-4, 4), (-2, 2)))
    np.testing.assert_allclose(edge, [1.5, 2.0])
    np.testing.assert_allclose(kept, [[0, 0], [1, 1], [1.5, 2.0]])


def test_clip_to_window_stops_before_non_finite_points():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [np.inf, np.nan]])
    kept, edge = clip_to_window(points, ((-4, 4), (-2, 2)))
    np.testing.assert_allclose(kept, points[:2])
    np.testing.assert_allclose(edge, [1.0, 1.0])


def test_clip_to_window_keeps_paths_inside():
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    kept, edge = clip_to_window(points, ((-4, 4), (-2, 2)))
    assert edge is None and kept is points or np.array_equal(kept, points)


def test_is_diverged():
    assert is_diverged(train_2d("sgd", lr=0.61), f_2d)
    assert not is_diverged(train_2d("sgd", lr=0.42), f_2d)
    assert is_diverged(train_1d("sgd", lr=1.04), loss_1d)
    assert not is_diverged(train_1d("sgd", lr=0.9), loss_1d)
    assert is_diverged(train_2d("sgd", steps=2000, lr=2.0), f_2d)  # overflows to inf/nan


def test_plot_2d_draws_converging_path_whole_and_diverging_path_to_the_edge():
    use_style()
    good, bad = train_2d("sgd", lr=0.42), train_2d("sgd", lr=0.61)
    ax = plot_2d({"SGD lr=0.42": good, "SGD lr=0.61": bad}, title="SGD")
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(np.column_stack(lines["SGD lr=0.42"].get_data()), good)
    x, y = lines["SGD lr=0.61"].get_data()
    assert len(x) < len(bad)
    assert np.isclose(y[-1], YLIM_2D[0]) or np.isclose(y[-1], YLIM_2D[1])
    assert XLIM_2D[0] <= x[-1] <= XLIM_2D[1]
    assert _visible_texts(ax).count("diverged") == 1
    assert {"start", "minimum"} <= set(_visible_texts(ax))
    assert ax.get_title() == "SGD"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["SGD lr=0.42", "SGD lr=0.61"]


def test_plot_1d_marks_only_the_diverging_rate():
    ax = plot_1d({"lr=0.1": train_1d("sgd", lr=0.1), "lr=1.04": train_1d("sgd", lr=1.04)})
    assert _visible_texts(ax).count("diverged") == 1
    x, y = next(line for line in ax.get_lines() if line.get_label() == "lr=0.1").get_data()
    np.testing.assert_allclose(y, x**2)


def test_lecture_style_is_larger():
    use_style(lecture=False)
    normal = plt.rcParams["font.size"]
    use_style(lecture=True)
    assert plt.rcParams["font.size"] > normal
    use_style(lecture=False)


def test_describe_run():
    assert describe_run("SGD", {"lr": 0.61}, train_2d("sgd", lr=0.61), f_2d) == (
        "SGD (lr=0.61): diverged"
    )
    assert describe_run("SGD", {"lr": 0.42}, train_2d("sgd", lr=0.42), f_2d).startswith(
        "SGD (lr=0.42): final loss "
    )


def test_square_roots_render_without_logged_errors(caplog):
    use_style()
    fig, ax = plt.subplots()
    ax.set_title(r"$\sqrt{\epsilon} / \sqrt{\hat{n}_t}$")
    with caplog.at_level("WARNING"):
        fig.canvas.draw()
    assert not caplog.records


def test_diverging_path_still_inside_the_window_keeps_its_end_marker():
    path = train_1d("sgd", steps=3, lr=1.04)  # growing, but |θ| < 1.5 so far
    ax = plot_1d(path)
    assert "diverged" not in _visible_texts(ax)
    end_markers = [line for line in ax.get_lines() if line.get_marker() == "o" and
                   len(line.get_xdata()) == 1]
    np.testing.assert_allclose(end_markers[0].get_xdata(), [path[-1]])


def test_every_text_in_a_course_figure_is_at_least_13_pt():
    use_style(lecture=False)
    ax = plot_2d({"sgd": train_2d("sgd", lr=0.61)}, surface="ravine", title="SGD")
    texts = [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts(),
             *ax.get_xticklabels(), *ax.get_yticklabels()]
    assert texts and min(t.get_fontsize() for t in texts) >= 13
    plt.close(ax.figure)


def test_a_long_path_carries_about_a_hundred_markers_spaced_in_steps():
    from course_utils.plotting import MAX_PATH_MARKERS, PathArtists

    fig, ax = plt.subplots()
    surface = SURFACES["ravine"]
    artists = PathArtists(ax, surface.window, surface.f, "C0")
    for steps, every in [(50, 1), (MAX_PATH_MARKERS - 1, 1), (1500, 1501 // MAX_PATH_MARKERS)]:
        path = train_2d("adadelta", steps=steps, rho=0.9, eps=1e-6)
        artists.update(path, path)
        assert artists.line.get_markevery() == every
        assert len(artists.line.get_xdata()) == steps + 1  # the line itself keeps every point
    fixed = PathArtists(ax, surface.window, surface.f, "C1", markevery=5)
    fixed.update(path, path)
    assert fixed.line.get_markevery() == 5
    plt.close(fig)


def test_an_outline_drawn_as_a_line_follows_the_path_under_it_without_path_effects():
    from course_utils.plotting import PATH_OUTLINE, PathArtists

    fig, ax = plt.subplots()
    surface = SURFACES["ravine"]
    plain = PathArtists(ax, surface.window, surface.f, "C0")
    fast = PathArtists(ax, surface.window, surface.f, "C0", outline_line=True)
    path = train_2d("sgd", steps=30, lr=0.3)
    for artists in (plain, fast):
        artists.update(path, path)
    assert plain.outline is None and plain.line.get_path_effects() == PATH_OUTLINE
    assert fast.line.get_path_effects() == [] and fast.artists()[0] is fast.outline
    np.testing.assert_array_equal(fast.outline.get_xydata(), fast.line.get_xydata())
    assert fast.outline.get_zorder() < fast.line.get_zorder()
    plt.close(fig)
