"""Iteration matrices of the linear optimizers agree with theory and with the paths."""

import numpy as np
import pytest

from course_utils.iteration import iteration_matrix, spectral_radius, state_names
from course_utils.trajectories import train_2d


@pytest.mark.parametrize("lr, gamma, a", [(0.61, 0.42, 4.0), (0.02, 0.91, 0.2), (0.3, 0.0, 4.0)])
def test_momentum_matrix_is_the_heavy_ball_formula(lr, gamma, a):
    expected = np.array([[1 - lr * a, -gamma], [lr * a, gamma]])
    matrix = iteration_matrix("momentum", a, lr=lr, gamma=gamma)
    assert np.allclose(matrix, expected)
    assert np.isclose(np.linalg.det(matrix), gamma)  # the product of the eigenvalues


def test_sgd_is_one_by_one_and_its_radius_is_the_1d_factor():
    assert np.allclose(iteration_matrix("sgd", 4.0, lr=0.61), [[1 - 0.61 * 4]])
    assert np.isclose(spectral_radius("sgd", (0.2, 4.0), lr=0.42), max(1 - 0.084, abs(1 - 1.68)))
    assert state_names("sgd") == [] and state_names("nesterov", lr=0.1, gamma=0.5) == ["v"]


@pytest.mark.parametrize("gamma", [0.0, 0.42, 0.81, 0.91])
def test_stability_limits_match_the_closed_forms(gamma):
    a = 4.0
    heavy_ball = 2 * (1 + gamma) / a
    nesterov = 2 * (1 + gamma) / ((1 + 2 * gamma) * a)
    for name, limit in [("momentum", heavy_ball), ("nesterov", nesterov)]:
        assert spectral_radius(name, a, lr=0.99 * limit, gamma=gamma) < 1
        assert spectral_radius(name, a, lr=1.01 * limit, gamma=gamma) > 1


def test_the_radius_is_the_decay_rate_of_a_path():
    # Complex eigenvalues of equal modulus sqrt(gamma): |x2| shrinks by sqrt(0.81) per step.
    path = train_2d("momentum", steps=400, lr=0.61, gamma=0.81)
    rate = (np.abs(path[400, 1]) / np.abs(path[200, 1])) ** (1 / 200)
    assert spectral_radius("momentum", 4.0, lr=0.61, gamma=0.81) == pytest.approx(0.9)
    assert rate == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adadelta", "adam"])
def test_adaptive_methods_have_no_matrix(name):
    with pytest.raises(ValueError, match="not linear on a quadratic"):
        iteration_matrix(name, 4.0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="gamma"):
        iteration_matrix("momentum", 4.0, lr=0.1, gamma=1.5)
    with pytest.raises(TypeError, match="curvature"):
        iteration_matrix("momentum", "4", lr=0.1)
    with pytest.raises(ValueError, match="curvature"):
        spectral_radius("sgd", [0.2, np.nan], lr=0.1)
    with pytest.raises(ValueError, match="curvatures is empty"):
        spectral_radius("sgd", [], lr=0.1)
