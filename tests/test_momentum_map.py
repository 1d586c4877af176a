"""The momentum map: rates of heavy-ball momentum on the ravine against theory and real paths."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402

from course_utils.momentum_map import (  # noqa: E402
    REGIONS,
    best_gradient_descent,
    convergence_rate,
    eigenvalues,
    iteration_matrix,
    measured_rate,
    momentum_map_explorer,
    optimal_momentum,
    plot_momentum_map,
    region,
)
from course_utils.surfaces import RAVINE_CURVATURES  # noqa: E402
from course_utils.trajectories import train_2d  # noqa: E402

KAPPA = max(RAVINE_CURVATURES) / min(RAVINE_CURVATURES)


def test_the_rate_at_the_optimum_is_the_theory():
    lr, gamma, rate = optimal_momentum()
    root = np.sqrt(KAPPA)
    assert lr == pytest.approx(4 / (np.sqrt(4.0) + np.sqrt(0.2)) ** 2, rel=1e-15)
    assert gamma == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-15)
    assert rate == pytest.approx((root - 1) / (root + 1), rel=1e-15)
    assert convergence_rate(lr, gamma) == pytest.approx((root - 1) / (root + 1), rel=1e-7)


def test_no_point_of_the_map_beats_the_optimum():
    lr, gamma = np.meshgrid(np.linspace(0, 1, 401), np.linspace(0, 0.999, 401))
    assert convergence_rate(lr, gamma).min() >= optimal_momentum()[2] - 1e-7


def test_the_best_gradient_descent_and_the_sqrt_kappa_speed_up():
    lr, rate = best_gradient_descent()
    assert lr == pytest.approx(2 / 4.2) and rate == pytest.approx((KAPPA - 1) / (KAPPA + 1))
    assert convergence_rate(lr, 0.0) == pytest.approx(rate, rel=1e-12)
    # Steps to shrink the error by a given factor: GD / momentum -> sqrt(kappa) for large kappa.
    speed_up = np.log(optimal_momentum()[2]) / np.log(rate)
    assert speed_up == pytest.approx(np.sqrt(KAPPA), rel=0.02)
    curvatures = (1e-4, 1.0)
    speed_up = np.log(optimal_momentum(curvatures)[2]) / np.log(
        best_gradient_descent(curvatures)[1])
    assert speed_up == pytest.approx(100.0, rel=1e-3)


def test_the_iteration_matrix_is_the_momentum_step():
    lr, gamma = 0.3, 0.7
    path = train_2d("momentum", steps=12, lr=lr, gamma=gamma)
    for axis, h in enumerate(RAVINE_CURVATURES):
        state = np.array([path[0, axis], path[0, axis]])  # v = 0: theta_{-1} = theta_0
        matrix = iteration_matrix(lr, gamma, h)
        for t in range(1, 13):
            state = matrix @ state
            assert state[0] == pytest.approx(path[t, axis], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("lr, gamma", [(0.1, 0.5), (0.3, 0.8), (0.61, 0.42), (0.05, 0.0),
                                       (0.02, 0.91), (0.4, 0.0), (0.9, 0.2), (0.2, 0.1)])
def test_a_long_path_decays_at_the_maps_rate(lr, gamma):
    path = train_2d("momentum", steps=400, lr=lr, gamma=gamma)
    assert measured_rate(path) == pytest.approx(convergence_rate(lr, gamma), rel=2e-3)


def test_region_labels_agree_with_the_eigenvalues():
    rng = np.random.default_rng(0)
    lr, gamma = rng.uniform(0, 1, 500), rng.uniform(0, 0.999, 500)
    codes = region(lr, gamma)
    for a, g, code in zip(lr, gamma, codes, strict=True):
        lam = np.concatenate([np.linalg.eigvals(iteration_matrix(a, g, h))
                              for h in RAVINE_CURVATURES])
        if np.abs(lam).max() > 1 + 1e-9:
            expected = "diverging"
        elif np.all(np.abs(lam.imag) < 1e-9) and np.all(lam.real >= -1e-12):
            expected = "monotone"
        else:
            expected = "oscillating"
        assert REGIONS[code] == expected, (a, g, lam)
    assert {REGIONS[c] for c in codes} == set(REGIONS)


def test_regions_of_familiar_settings():
    assert REGIONS[region(0.1, 0.0)] == "monotone"      # 1 - 4 lr > 0: no zig-zag
    assert REGIONS[region(0.42, 0.0)] == "oscillating"  # the lecture's SGD zig-zags in x2
    assert REGIONS[region(0.6, 0.0)] == "diverging"     # lr > 2 / 4
    assert REGIONS[region(0.61, 0.42)] == "oscillating"
    assert REGIONS[region(0.0, 0.5)] == "monotone"      # nothing moves: rate exactly 1
    lam = eigenvalues(0.61, 0.42, 4.0)
    assert np.all(np.abs(lam) == pytest.approx(np.sqrt(0.42)))  # a complex pair: |lambda|^2 = gamma


def test_monotone_paths_never_cross_the_minimum_and_oscillating_ones_do():
    monotone = train_2d("momentum", steps=60, lr=0.05, gamma=0.2)
    assert REGIONS[region(0.05, 0.2)] == "monotone"  # lr <= (1 - sqrt(gamma))^2 / 4
    assert REGIONS[region(0.1, 0.2)] == "oscillating"
    assert np.all(monotone[:, 0] < 0) and np.all(monotone[:, 1] < 0)
    swinging = train_2d("momentum", steps=60, lr=0.3, gamma=0.8)
    assert np.any(np.diff(np.sign(swinging[:, 1])) != 0)


def test_the_map_figure():
    ax = plot_momentum_map(resolution=101)
    texts = {t.get_text() for t in ax.texts}
    assert {"monotone", "oscillating", "diverging"} <= texts
    assert any(t.startswith("optimum, rate 0.635") for t in texts)
    assert any(t.startswith("best GD, rate 0.905") for t in texts)
    plt.close(ax.figure)


def test_the_explorer_follows_a_click_on_the_map():
    explorer = momentum_map_explorer(backend="ipympl")
    canvas = explorer.figure.canvas
    canvas.draw()
    map_ax = explorer.figure.axes[0]
    x, y = map_ax.transData.transform((0.3, 0.8))
    MouseEvent("button_press_event", canvas, x, y, button=1)._process()
    assert explorer.sliders["lr"].value == pytest.approx(0.3)
    assert explorer.sliders["gamma"].value == pytest.approx(0.8)
    np.testing.assert_array_equal(
        explorer.trajectory, train_2d("momentum", lr=explorer.sliders["lr"].value,
                                      gamma=explorer.sliders["gamma"].value))
    point = explorer._artists[0]
    np.testing.assert_allclose(np.ravel(point.get_data()), (0.3, 0.8))
    assert "rate 0.894 per step: oscillating" in explorer._artists[-1].get_text()


def test_the_explorer_image_backend_and_set_point():
    explorer = momentum_map_explorer(lr=0.02, gamma=0.91, steps=80)
    assert explorer.backend == "image"
    before = explorer.view.value
    explorer.set_point(0.9, 0.2)
    assert explorer.view.value != before
    np.testing.assert_array_equal(explorer.trajectory,
                                  train_2d("momentum", steps=80, lr=0.9, gamma=0.2))
    assert explorer._artists[-1].get_text().endswith("diverging")
    with pytest.raises(ValueError, match="gamma must be"):
        explorer.set_point(0.3, 1.5)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: convergence_rate(0.1, 0.5, curvatures=(0.0, 4.0)), "curvature must be"),
        (lambda: iteration_matrix(0.1, 1.0, 4.0), "gamma must be"),
        (lambda: iteration_matrix(-0.1, 0.5, 4.0), "lr must be"),
        (lambda: momentum_map_explorer(steps=0), "steps must be"),
        (lambda: momentum_map_explorer(gamma=1.2), "outside its slider range"),
        (lambda: optimal_momentum(()), "curvatures is empty"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
