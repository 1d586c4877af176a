"""One step of SGD, Momentum or Nesterov on a quadratic is a linear map: its matrix and spectrum.

On the 1-D loss (a/2)·x² (curvature a, gradient a·x) a step maps the point and the optimizer's
state, (x, v, ...), linearly to the next ones: ``iteration_matrix`` builds that matrix M by
calling the library's own step function on unit vectors, so it describes exactly the code that
draws the paths. After n steps the state is Mⁿ times the first one: the run converges when the
largest |eigenvalue| of M (``spectral_radius``) is below 1, and each step shrinks the error by
about that factor. On the ravine 0.1·x1² + 2·x2² the two coordinates do not interact, so each
curvature (0.2 and 4) is one such 1-D problem. Adaptive methods (AdaGrad, RMSProp, Adam) divide
by a function of the gradient and are not linear; asking for their matrix is an error.
"""

import numpy as np

from . import checks
from .optimizers import get_optimizer

__all__ = ["iteration_matrix", "spectral_radius", "state_names"]


def _check_curvature(curvature):
    return checks.real("curvature", curvature)


def state_names(optimizer, **hyperparams):
    """Names of the state entries a step of ``optimizer`` keeps, in the matrix's order."""
    record = get_optimizer(optimizer)
    with np.errstate(all="ignore"):
        _, state = record.step(np.ones(1), np.ones(1), {}, **hyperparams)
    return sorted(state)


def _step(record, x, state, curvature, hyperparams):
    new_x, new_state = record.step(np.array([x]), np.array([curvature * x]),
                                   {k: np.array([v]) for k, v in state.items()}, **hyperparams)
    return np.array([new_x[0]] + [np.asarray(new_state[k]).reshape(-1)[0] for k in sorted(state)])


def iteration_matrix(optimizer, curvature, **hyperparams):
    """Matrix M with (x, state...)ₜ₊₁ = M·(x, state...)ₜ on the loss (curvature/2)·x².

    The order of the state entries is :func:`state_names` (Momentum and Nesterov: x, then v).
    SGD gives the 1×1 matrix (1 − lr·a). ``ValueError`` for an optimizer whose step is not
    linear on a quadratic (its state is not a set of numbers the step maps linearly).
    """
    record = get_optimizer(optimizer)
    curvature = _check_curvature(curvature)
    names = state_names(record, **hyperparams)  # bad hyper-parameters fail here, by name
    size = 1 + len(names)
    linear = True
    try:
        with np.errstate(all="ignore"):
            columns = []
            for j in range(size):
                unit = np.eye(size)[j]
                columns.append(_step(record, unit[0], dict(zip(names, unit[1:], strict=True)),
                                     curvature, hyperparams))
            matrix = np.array(columns).T
            # A linear map sends a combination of unit vectors to that combination of columns.
            probe = np.linspace(0.7, -1.3, size)
            image = _step(record, probe[0], dict(zip(names, probe[1:], strict=True)),
                          curvature, hyperparams)
        linear = bool(np.all(np.isfinite(matrix))
                      and np.allclose(image, matrix @ probe, rtol=1e-9, atol=1e-12))
    except (TypeError, ValueError):  # a state entry that is not a number per coordinate (Adam's t)
        linear = False
    if not linear:
        raise ValueError(f"optimizer {record.name!r} is not linear on a quadratic (it divides by "
                         f"a function of the gradient), so it has no iteration matrix; the "
                         f"linear ones are sgd, momentum and nesterov")
    return matrix


def spectral_radius(optimizer, curvatures, **hyperparams):
    """Largest |eigenvalue| of the iteration matrix over one curvature or several.

    Below 1: the run converges, its error shrinking by about this factor per step (the slowest
    direction decides). ``curvatures`` is a number or a sequence (the ravine's: (0.2, 4)).
    """
    if isinstance(curvatures, (list, tuple, np.ndarray)):
        values = list(np.ravel(curvatures))
    else:
        values = [curvatures]
    if not values:
        raise ValueError("curvatures is empty: give one curvature or several")
    return max(float(np.abs(np.linalg.eigvals(iteration_matrix(optimizer, a, **hyperparams))).max())
               for a in values)
