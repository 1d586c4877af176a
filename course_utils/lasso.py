"""Lasso regression by coordinate descent, and the conditions that certify its solution.

The Lasso minimises  L(w) = ‖y − X·w‖² / (2m) + λ·‖w‖₁  (m rows). Along one coordinate it is a
parabola plus λ·|w_j|, whose minimum has a closed form, soft-thresholding:

    w_j ← S(ρ_j, λ) / (x_jᵀx_j / m),   ρ_j = x_jᵀ(r + x_j·w_j) / m,
    S(z, λ) = sign(z)·max(|z| − λ, 0),

with r = y − X·w the residual. So coordinate descent minimises exactly, one coordinate at a
time, and sets a coefficient to exactly 0 when |ρ_j| ≤ λ. (朱明超《深度模型中的优化》 calls it the
fastest way to solve the Lasso.)

The optimality (KKT) conditions: with c = Xᵀ(y − X·w)/m, a solution has c_j = λ·sign(w_j)
where w_j ≠ 0 and |c_j| ≤ λ where w_j = 0. :func:`kkt_violation` measures how far w is from that.
"""

import numpy as np

from . import checks

__all__ = ["soft_threshold", "lasso_objective", "lasso_coordinate_descent", "lasso_ista",
           "kkt_violation", "lasso_path", "autompg"]

AUTOMPG_FEATURES = ("cylinders", "displacement", "horsepower", "weight", "acceleration",
                    "model year", "origin")


def soft_threshold(z, threshold):
    """S(z, t) = sign(z)·max(|z| − t, 0): the minimiser of (w − z)²/2 + t·|w|."""
    threshold = checks.real("threshold", threshold, low=0)
    z = np.asarray(z, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0) + 0.0  # + 0.0: no −0


def _check_problem(X, y, lam):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (m, n) and y (m,), got shapes {X.shape} and {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (no NaN or inf)")
    lam = checks.real("lam", lam, low=0)
    return X, y, lam


def lasso_objective(X, y, w, lam):
    """‖y − X·w‖² / (2m) + λ·‖w‖₁."""
    X, y, lam = _check_problem(X, y, lam)
    r = y - X @ np.asarray(w, dtype=float)
    return float(r @ r / (2 * len(y)) + lam * np.abs(w).sum())


def kkt_violation(X, y, w, lam):
    """How far ``w`` is from optimal: the largest breach of the KKT conditions (0 at a solution).

    With c = Xᵀ(y − X·w)/m: |c_j − λ·sign(w_j)| where w_j ≠ 0, max(|c_j| − λ, 0) where w_j = 0.
    """
    X, y, lam = _check_problem(X, y, lam)
    w = np.asarray(w, dtype=float)
    c = X.T @ (y - X @ w) / len(y)
    active = w != 0
    breach = np.where(active, np.abs(c - lam * np.sign(w)), np.maximum(np.abs(c) - lam, 0.0))
    return float(breach.max()) if breach.size else 0.0


def lasso_coordinate_descent(X, y, lam, *, w0=None, tol=1e-13, max_sweeps=100_000):
    """Cyclic coordinate descent with soft-thresholding; returns ``(w, objectives)``.

    One sweep updates every coordinate once, exactly. It stops when no coefficient moved by more
    than ``tol`` in a sweep (or after ``max_sweeps``). ``objectives[k]`` is the objective after
    k sweeps (``objectives[0]`` at the start ``w0``, zeros by default).
    """
    X, y, lam = _check_problem(X, y, lam)
    tol = checks.real("tol", tol, low=0, low_open=True)
    max_sweeps = checks.whole("max_sweeps", max_sweeps, low=1)
    m = len(y)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    curvature = (X * X).sum(axis=0) / m
    residual = y - X @ w
    objectives = [lasso_objective(X, y, w, lam)]
    for _ in range(max_sweeps):
        largest = 0.0
        for j in range(X.shape[1]):
            if curvature[j] == 0:
                continue  # an all-zero column: its coefficient stays 0
            rho = X[:, j] @ residual / m + curvature[j] * w[j]
            new = float(soft_threshold(rho, lam)) / curvature[j]
            if new != w[j]:
                residual -= X[:, j] * (new - w[j])
                largest = max(largest, abs(new - w[j]))
                w[j] = new
        objectives.append(lasso_objective(X, y, w, lam))
        if largest <= tol:
            break
    return w, np.array(objectives)


def lasso_ista(X, y, lam, *, iterations=1000, w0=None):
    """Proximal gradient descent (ISTA): a gradient step of size 1/L, then soft-thresholding.

    L is the largest eigenvalue of XᵀX/m. Each iteration costs about one pass over the data, as
    a coordinate-descent sweep does. Returns ``(w, objectives)``, ``objectives[k]`` after k
    iterations.
    """
    X, y, lam = _check_problem(X, y, lam)
    iterations = checks.whole("iterations", iterations, low=1)
    m = len(y)
    step = 1.0 / np.linalg.eigvalsh(X.T @ X / m).max()
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    objectives = [lasso_objective(X, y, w, lam)]
    for _ in range(iterations):
        w = soft_threshold(w + step * X.T @ (y - X @ w) / m, step * lam)
        objectives.append(lasso_objective(X, y, w, lam))
    return w, np.array(objectives)


def lasso_path(X, y, lams, **options):
    """Solutions for each λ in ``lams`` (warm-started from the previous one): shape (len, n)."""
    coefficients, w = [], None
    for lam in lams:
        w, _ = lasso_coordinate_descent(X, y, lam, w0=w, **options)
        coefficients.append(w.copy())
    return np.array(coefficients)


def autompg():
    """The Auto MPG data that mlxtend ships: 392 cars, miles per gallon from 7 features.

    Returns ``(X, y, names)``: X standardised (each column mean 0, variance 1), y the fuel
    consumption in mpg minus its mean (so no intercept is needed), names the columns.
    """
    from mlxtend.data import autompg_data

    X, y = autompg_data()
    X = np.asarray(X[:, : len(AUTOMPG_FEATURES)], dtype=float)  # the last column is the name
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.asarray(y, dtype=float)
    return X, y - y.mean(), list(AUTOMPG_FEATURES)
