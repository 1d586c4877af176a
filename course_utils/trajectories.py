"""Run a step function on a loss surface and return the path it takes."""

import numpy as np

from . import checks
from .functions import loss_1d_grad
from .optimizers import check_hyperparameters, get_optimizer
from .surfaces import get_surface

# A path is computed in the kernel while a student waits (a slider, a click): keep it bounded.
MAX_STEPS = 100_000


def _check_steps(steps):
    return checks.whole("steps", steps, low=0, high=MAX_STEPS)


def _schedule(name, value):
    """A hyper-parameter as a function of the step number t = 0, 1, 2, ...

    A number is constant; a callable (a learning-rate schedule from
    :mod:`course_utils.schedules`) is called with t.
    """
    if callable(value):
        return value
    return lambda t: value


def _run(optimizer, steps, start, grad, hyperparams, *, extra=None, noise=0.0, seed=None,
         states=None, state=None):
    record = get_optimizer(optimizer)
    check_hyperparameters(record, hyperparams)
    steps = _check_steps(steps)
    noise = checks.real("noise", noise, low=0)
    if seed is not None:
        seed = checks.whole("seed", seed, low=0)
    if state is not None and not isinstance(state, dict):
        raise TypeError(f"state must be a dict, got {checks.describe(state)}")

    scheduled = {name: _schedule(name, value) for name, value in hyperparams.items()}
    point = np.array(start, dtype=float)
    path = np.empty((steps + 1,) + point.shape)
    path[0] = point
    state = dict(state or {})
    rng = np.random.default_rng(seed) if noise > 0 else None
    if steps == 0:  # no step will check the hyper-parameters: try one, and throw it away
        hp = {name: value(0) for name, value in scheduled.items()}
        with np.errstate(all="ignore"):
            record.step(point, np.zeros_like(point), dict(state), **(extra or {}), **hp)
    # Paths are computed while a student waits on a slider: keep the per-step work small.
    fixed = {**(extra or {}), **{k: v for k, v in hyperparams.items() if not callable(v)}}
    changing = {k: v for k, v in hyperparams.items() if callable(v)}
    # A diverging run is part of the lesson: let it overflow to inf/nan without warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t in range(steps):
            g = grad(*point) if point.ndim == 1 else grad(*np.atleast_1d(point))
            if type(g) is not np.ndarray or g.dtype != np.float64 or g.shape != point.shape:
                g = np.asarray(g, dtype=float).reshape(point.shape)
            if rng is not None:
                g = g + rng.normal(0.0, noise, size=g.shape)
            hp = {**fixed, **{k: schedule(t) for k, schedule in changing.items()}} if changing \
                else fixed
            point, state = record.step(point, g, state, **hp)
            path[t + 1] = point
            if states is not None:
                states.append(state)
    return path


def _surface_arguments(record, surface, grad):
    """What a step that needs more than the gradient gets from the surface (see Optimizer.needs)."""
    available = {
        "fun": lambda p: surface.f(*p),
        "grad_fn": (lambda p: np.asarray(grad(*p), dtype=float)),
        "hess": lambda p: surface.hessian(*p),
    }
    return {name: available[name] for name in record.needs}


def _prepare_2d(optimizer, start, surface, grad):
    record = get_optimizer(optimizer)
    surface = get_surface(surface)
    if grad is None:
        grad = surface.grad
    elif not callable(grad):
        raise TypeError(f"grad must be a function grad(x1, x2), got {checks.describe(grad)}")
    start = surface.start if start is None else checks.point("start", start)
    return record, surface, grad, start


def train_2d(optimizer, steps=50, start=None, surface="ravine", grad=None, noise=0.0,
             seed=None, **hyperparams):
    """Path of ``optimizer`` on a 2-D surface: array of shape (steps + 1, 2), row 0 the start.

    ``optimizer`` is a name in ``OPTIMIZERS``, a record or a step function; ``hyperparams`` go
    to it (``lr`` may be a schedule, a function of the step number t = 0, 1, ...). ``surface``
    is a name in ``SURFACES`` or a :class:`~course_utils.surfaces.Surface` (the lecture's
    ravine by default); ``start=None`` is the surface's start; ``grad`` replaces the surface's
    gradient. ``noise=σ`` adds N(0, σ²) noise, drawn from ``np.random.default_rng(seed)``, to
    every gradient component: stochastic gradients. A diverging run returns its path (inf/nan
    allowed) without warnings.
    """
    record, surface, grad, start = _prepare_2d(optimizer, start, surface, grad)
    return _run(record, steps, start, grad, hyperparams,
                extra=_surface_arguments(record, surface, grad), noise=noise, seed=seed)


def train_2d_with_states(optimizer, steps=50, start=None, surface="ravine", grad=None,
                         state=None, noise=0.0, seed=None, **hyperparams):
    """Like :func:`train_2d`, also returning the optimizer's state after each step.

    Returns ``(path, states)``: ``states[i]`` is the state dict after step ``i + 1`` (for
    example AdaGrad's accumulated ``G``), so a notebook can plot what the optimizer remembers.
    ``state`` is the state to start from (``{}`` by default).
    """
    record, surface, grad, start = _prepare_2d(optimizer, start, surface, grad)
    states = []
    path = _run(record, steps, start, grad, hyperparams,
                extra=_surface_arguments(record, surface, grad), noise=noise, seed=seed,
                states=states, state=state)
    return path, states


def train_1d(optimizer, steps=20, start=1.0, grad=loss_1d_grad, **hyperparams):
    """Path of ``optimizer`` on a 1-D loss (θ² by default): array of shape (steps + 1,)."""
    start = checks.real("start", start)
    if not callable(grad):
        raise TypeError(f"grad must be a function grad(theta), got {checks.describe(grad)}")
    record = get_optimizer(optimizer)
    if record.needs:
        raise ValueError(f"{record.name} needs a surface ({', '.join(record.needs)}); "
                         "use train_2d")
    return _run(record, steps, start, grad, hyperparams)


def _check_path(path):
    """A path as a float array (n, 1) or (n, 2): the n >= 1 points of a 1-D or 2-D run."""
    if path is None or isinstance(path, (str, bytes)):
        raise TypeError(f"path must be an array of points, got {checks.describe(path)}")
    try:
        array = np.asarray(path, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"path must be an array of numbers, got {checks.describe(path)}") from None
    if array.ndim not in (1, 2) or len(array) == 0 or array.shape[1:] not in ((), (1,), (2,)):
        raise ValueError(f"path must have shape (n,), (n, 1) or (n, 2) with n >= 1, got shape "
                         f"{array.shape}")
    return array.reshape(len(array), -1)


def _check_target(target, dim):
    """``target`` as a point of ``dim`` coordinates; the default (0, 0) serves 1-D paths too."""
    if dim == 1 and np.ndim(target) == 0:
        target = [target]
    elif dim == 1 and isinstance(target, (tuple, list, np.ndarray)) and len(target) == 2:
        target = target[:1]
    return checks.point("target", target, dim)


def distance_to(path, target=(0.0, 0.0)):
    """Euclidean distance of every point of ``path`` to ``target`` (inf for an overflowed run)."""
    path = _check_path(path)
    target = _check_target(target, path.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        distance = np.linalg.norm(path - target, axis=1)
    return np.where(np.isnan(distance), np.inf, distance)


def steps_to_reach(path, tol=1e-2, target=(0.0, 0.0), stay=False):
    """First step at which ``path`` is within ``tol`` of ``target``; None if never.

    With ``stay=True``: the first step from which the path never leaves that ball again.
    """
    tol = checks.real("tol", tol, low=0, low_open=True)
    stay = checks.flag("stay", stay)
    inside = distance_to(path, target) < tol
    if stay:
        if not inside[-1]:
            return None
        outside = np.flatnonzero(~inside)
        return int(outside[-1]) + 1 if outside.size else 0
    hits = np.flatnonzero(inside)
    return int(hits[0]) if hits.size else None
