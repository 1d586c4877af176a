"""Run a step function on a loss surface and return the path it takes."""

import numpy as np

from .functions import f_2d_grad, loss_1d_grad
from .optimizers import get_optimizer, hyperparameters


def _run(optimizer, steps, start, grad, hyperparams, states=None, state=None):
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
    state = dict(state or {})
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


def train_2d_with_states(optimizer, steps=50, start=(-5.0, -2.0), grad=f_2d_grad, state=None,
                         **hyperparams):
    """Like :func:`train_2d`, also returning the optimizer's state after each step.

    Returns ``(path, states)``: ``states[i]`` is the state dict after step ``i + 1`` (for
    example AdaGrad's accumulated ``G``), so a notebook can plot what the optimizer remembers.
    ``state`` is the state to start from (``{}`` by default).
    """
    states = []
    return _run(optimizer, steps, start, grad, hyperparams, states, state), states


def train_1d(optimizer, steps=20, start=1.0, grad=loss_1d_grad, **hyperparams):
    """Path of ``optimizer`` on a 1-D loss (θ² by default): array of shape (steps + 1,)."""
    return _run(optimizer, steps, float(start), grad, hyperparams)


def distance_to(path, target=(0.0, 0.0)):
    """Euclidean distance of every point of ``path`` to ``target`` (inf for an overflowed run)."""
    path = np.asarray(path, dtype=float).reshape(len(path), -1)
    target = np.asarray(target, dtype=float)[: path.shape[1]]
    with np.errstate(over="ignore", invalid="ignore"):
        distance = np.linalg.norm(path - target, axis=1)
    return np.where(np.isnan(distance), np.inf, distance)


def steps_to_reach(path, tol=1e-2, target=(0.0, 0.0), stay=False):
    """First step at which ``path`` is within ``tol`` of ``target``; None if never.

    With ``stay=True``: the first step from which the path never leaves that ball again.
    """
    inside = distance_to(path, target) < tol
    if stay:
        if not inside[-1]:
            return None
        outside = np.flatnonzero(~inside)
        return int(outside[-1]) + 1 if outside.size else 0
    hits = np.flatnonzero(inside)
    return int(hits[0]) if hits.size else None
