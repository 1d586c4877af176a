"""Lasso by coordinate descent: soft-thresholding, and solutions certified by the KKT conditions."""

import numpy as np
import pytest

from course_utils.lasso import (
    autompg,
    kkt_violation,
    lasso_coordinate_descent,
    lasso_ista,
    lasso_objective,
    lasso_path,
    soft_threshold,
)


def test_soft_threshold_minimises_the_one_dimensional_problem():
    rng = np.random.default_rng(0)
    grid = np.linspace(-6, 6, 120_001)
    for z, t in zip(rng.uniform(-5, 5, 20), rng.uniform(0, 2, 20), strict=True):
        best = grid[np.argmin(0.5 * (grid - z) ** 2 + t * np.abs(grid))]
        assert abs(float(soft_threshold(z, t)) - best) <= 1e-4
    np.testing.assert_array_equal(soft_threshold([-1.0, -0.2, 0.3, 2.0], 0.5),
                                  [-0.5, 0.0, 0.0, 1.5])
    assert not np.signbit(soft_threshold(-0.2, 0.5))  # an exact 0, not −0
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(1.0, -0.1)


def test_autompg_is_standardised():
    X, y, names = autompg()
    assert X.shape == (392, 7) and y.shape == (392,) and len(names) == 7
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    assert abs(y.mean()) < 1e-12


@pytest.mark.parametrize("lam", [0.01, 0.1, 0.5, 1.0, 3.0])
def test_lasso_on_autompg_satisfies_kkt_to_1e_8(lam):
    X, y, _ = autompg()
    w, objectives = lasso_coordinate_descent(X, y, lam)
    assert kkt_violation(X, y, w, lam) <= 1e-8
    assert np.all(np.diff(objectives) <= 1e-12)  # every exact coordinate step goes down
    # Exactly 0 where |c_j| < λ: the zeros are zeros, not small numbers.
    c = X.T @ (y - X @ w) / len(y)
    assert np.all((w == 0) | np.isclose(np.abs(c), lam, rtol=0, atol=1e-8))


def test_kkt_detects_a_wrong_solution_and_lambda_max_gives_zero():
    X, y, _ = autompg()
    w, _ = lasso_coordinate_descent(X, y, 0.5)
    assert kkt_violation(X, y, w * 1.01, 0.5) > 1e-3
    lam_max = np.abs(X.T @ y).max() / len(y)
    w, _ = lasso_coordinate_descent(X, y, lam_max)
    np.testing.assert_array_equal(w, 0.0)
    assert kkt_violation(X, y, np.zeros(7), lam_max) == 0.0


def test_random_problems_and_ista_agree():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 12))
    y = X[:, :3] @ [2.0, -1.0, 0.5] + 0.1 * rng.normal(size=80)
    for lam in (0.01, 0.1, 0.5):
        w, _ = lasso_coordinate_descent(X, y, lam)
        assert kkt_violation(X, y, w, lam) <= 1e-8
        w_ista, objectives = lasso_ista(X, y, lam, iterations=20_000)
        np.testing.assert_allclose(w_ista, w, atol=1e-7)
        assert objectives[-1] == pytest.approx(lasso_objective(X, y, w, lam), abs=1e-12)


def test_path_warm_starts_to_the_same_solutions():
    X, y, _ = autompg()
    lams = [2.0, 1.0, 0.3]
    path = lasso_path(X, y, lams)
    for lam, w in zip(lams, path, strict=True):
        cold, _ = lasso_coordinate_descent(X, y, lam)
        np.testing.assert_allclose(w, cold, atol=1e-9)


def test_bad_input_is_refused():
    X, y, _ = autompg()
    with pytest.raises(ValueError, match="lam must be"):
        lasso_coordinate_descent(X, y, -1.0)
    with pytest.raises(ValueError, match="shapes"):
        lasso_coordinate_descent(X, y[:10], 0.1)
    with pytest.raises(ValueError, match="finite"):
        lasso_coordinate_descent(np.full((3, 2), np.nan), np.zeros(3), 0.1)
