"""Run a step function on a loss surface and return the path it takes."""

import numpy as np

from .functions import f_2d_grad, loss_1d_grad
from .optimizers import get_optimizer, hyperparameters


def _run(optimizer, steps, start, grad, hyperparams, states=None):
    step = get_optimizer(optimizer)
    if isinstance(optimizer, str):
        unknown = set(hyperparams) - set(hyperparameters(step))
        if unknown:
            known = ", ".join(hyperparameters(step))
            raise ValueError(
                f"{optimizer} takes no hyper-parameter {', '.join(sorted(unknown))}; "
                f"its hyper-parameters are: {known}"
            )
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")

    point = np.array(start, dtype=float)
    path = np.empty((int(steps) + 1,) + point.shape)
    path[0] = point
    state = {}
    # A diverging run is part of the lesson: let it overflow to inf/nan without warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, len(path)):
            point, state = step(point, grad(*np.atleast_1d(point)), state, **hyperparams)
            path[i] = point
            if states is not None:
                states.append(state)
    return path


def train_2d(optimizer, steps=50, start=(-5.0, -2.0), grad=f_2d_grad, **hyperparams):
    """Path of ``optimizer`` on a 2-D surface: array of shape (steps + 1, 2), row 0 the start.

    ``optimizer`` is a name in ``OPTIMIZERS`` or a step function; ``hyperparams`` go to it.
    """
    return _run(optimizer, steps, start, grad, hyperparams)


def train_2d_with_states(optimizer, steps=50, start=(-5.0, -2.0), grad=f_2d_grad,
                         **hyperparams):
    """Like :func:`train_2d`, also returning the optimizer's state after each step.

    Returns ``(path, states)``: ``states[i]`` is the state dict after step ``i + 1`` (for
    example AdaGrad's accumulated ``G``), so a notebook can plot what the optimizer remembers.
    """
    states = []
    return _run(optimizer, steps, start, grad, hyperparams, states), states


def train_1d(optimizer, steps=20, start=1.0, grad=loss_1d_grad, **hyperparams):
    """Path of ``optimizer`` on a 1-D loss (θ² by default): array of shape (steps + 1,)."""
    return _run(optimizer, steps, float(start), grad, hyperparams)


def steps_to_reach(path, tol=1e-2, target=(0.0, 0.0)):
    """First step at which ``path`` is within ``tol`` (Euclidean) of ``target``; None if never."""
    path = np.asarray(path, dtype=float).reshape(len(path), -1)
    with np.errstate(over="ignore", invalid="ignore"):
        distance = np.linalg.norm(path - np.asarray(target, dtype=float)[: path.shape[1]], axis=1)
    inside = np.flatnonzero(distance < tol)
    return int(inside[0]) if inside.size else None
