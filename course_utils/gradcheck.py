"""Numerical gradient checks: is a hand-written backward pass right?

Compare the gradient from ``backward`` with central differences of the loss:

    numeric = numerical_gradient(lambda _: loss(), X)   # loss() reads X, changed in place
    assert relative_error(analytic, numeric) < 1e-7

Work in float64: in float32 the rounding error of f(x ± h) alone is some 1e-7·|f| / h, far
above the differences that matter.
"""

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, h=1e-5):
    """Central differences ∂f/∂x[i] ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every entry of x.

    ``f(x)`` returns a scalar; ``x`` is a float array that is changed in place, one entry at a
    time, so ``f`` may also read it through a closure (a layer's ``params["W"]``, say). Every
    entry is put back afterwards, also if ``f`` raises. Returns an array shaped like ``x``.
    The error is O(h²) from the Taylor series plus about ε·|f| / h from rounding (ε ≈ 1e-16 in
    float64), so h = 1e-5 gives some 10 significant digits for smooth f of moderate size.
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a float array (changed in place), got {x.dtype}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + h
            f_plus = float(f(x))
            x[i] = old - h
            f_minus = float(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a − b| / max(|a| + |b|): the largest difference, relative to the gradient's scale.

    One number for whole arrays, so an entry that is ~0 in both (where a ratio per entry would be
    rounding noise over noise) does not spoil the check. Two all-zero arrays give 0.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    scale = np.max(np.abs(a) + np.abs(b), initial=0.0)
    return float(np.max(np.abs(a - b), initial=0.0) / max(scale, np.finfo(np.float64).tiny))
