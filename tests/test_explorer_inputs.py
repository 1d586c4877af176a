"""Explorers and plots refuse a start (or an eps) they cannot show, instead of hiding it."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import gradient_descent_1d_explorer, optimizer_explorer, plot_1d, plot_2d
from course_utils.trajectories import train_2d


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    "eps, error, match",
    [
        (0.0, ValueError, r"initial eps=0.0 is outside its slider range \[1e-10, 0.1\]"),
        (-1e-8, ValueError, r"initial eps=-1e-08 is outside its slider range"),
        (1e-12, ValueError, r"initial eps=1e-12 is outside its slider range"),
        (0.5, ValueError, r"initial eps=0.5 is outside its slider range"),
        ("1e-8", TypeError, r"eps must be a real number, got '1e-8' \(str\)"),
        (np.inf, ValueError, r"eps must be a finite number"),
    ],
)
def test_an_initial_eps_off_its_log_slider_is_an_error_not_replaced(eps, error, match):
    with pytest.raises(error, match=match):
        optimizer_explorer("adam", lr=0.1, eps=eps, backend="image")


def test_an_eps_on_the_slider_is_kept_exactly():
    explorer = optimizer_explorer("adam", lr=0.1, eps=1e-8, backend="image")
    assert explorer.sliders["eps"].value == pytest.approx(1e-8)


@pytest.mark.parametrize(
    "start, match",
    [
        ((np.nan, 0.0), "start must have finite coordinates"),
        ((10.0, 0.0), r"start \(10.0, 0.0\) is outside the ravine surface's window"),
        ((0.0, -9.0), r"is outside the ravine surface's window"),
    ],
)
def test_explorer_start_must_be_finite_and_inside_the_window(start, match):
    with pytest.raises(ValueError, match=match):
        optimizer_explorer("sgd", start=start, lr=0.1, backend="image")


@pytest.mark.parametrize("start, match", [(np.nan, "start must be a finite number"),
                                          (5.0, r"start 5.0 is outside the window \[-1.5, 1.5\]")])
def test_1d_explorer_start_must_be_finite_and_inside_the_window(start, match):
    with pytest.raises(ValueError, match=match):
        gradient_descent_1d_explorer("sgd", start=start, lr=0.1, backend="image")


def test_an_unknown_hyperparameter_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'adam' has no hyper-parameter 'gamma'; its "
                                         "hyper-parameters are: lr, beta1, beta2, eps"):
        optimizer_explorer("adam", gamma=0.9, backend="image")


@pytest.mark.parametrize(
    "start, match",
    [
        ((np.nan, 0.0), r"the path's start \(nan, 0.0\) is not finite"),
        ((10.0, 0.0), r"the path's start \(10.0, 0.0\) is outside the window x1 in \[-5.5, 3\]"),
    ],
)
def test_plot_2d_refuses_a_start_it_cannot_show(start, match):
    path = train_2d("sgd", steps=3)
    path[0] = start
    with pytest.raises(ValueError, match=match):
        plot_2d({"sgd": path})


@pytest.mark.parametrize("start, match", [(np.nan, "the path's start .*is not finite"),
                                          (3.0, r"start 3 is outside the window theta in")])
def test_plot_1d_refuses_a_start_it_cannot_show(start, match):
    with pytest.raises(ValueError, match=match):
        plot_1d([start, 0.5])


def test_plot_1d_takes_one_path_as_a_list_of_numbers():
    ax = plot_1d([1.0, 0.5, 0.25])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [1.0, 0.5, 0.25])


def test_a_value_set_from_code_is_kept_and_a_typed_value_snaps_to_the_grid():
    from course_utils.widgets import optimizer_explorer

    explorer = optimizer_explorer("adam", lr=0.35, eps=1e-6, backend="image")
    eps = explorer.sliders["eps"]
    eps.value = 3e-7  # off the log grid (steps of 10^0.5): kept, not moved by its own readout
    assert eps.value == 3e-7
    row = next(child for child in explorer.children[0].children
               if eps in getattr(child, "children", ()))
    box = row.children[1]
    assert box.value == "3e-07"
    box.value = "0.004"
    assert eps.value == pytest.approx(10**-2.5)  # typed: onto the grid


def test_a_slider_range_with_too_many_steps_is_refused():
    from course_utils.widgets import optimizer_explorer

    with pytest.raises(ValueError, match=r"ranges\['lr'\] must have at most"):
        optimizer_explorer("sgd", lr=0.1, ranges={"lr": (0.0, 1e308, 0.01)}, backend="image")
