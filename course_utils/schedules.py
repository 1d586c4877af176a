"""Learning-rate schedules: the learning rate as a function of the step number t = 0, 1, 2, ...

Each maker returns a :class:`Schedule`; calling it with t (a whole number, or an array of them)
gives that step's learning rate. The values are those of torch.optim.lr_scheduler's classes
stepped once per optimizer step:

* ``step_lr(lr, step_size, gamma)``: StepLR, lr·γ^⌊t / step_size⌋ (a drop every step_size steps);
* ``exponential_lr(lr, gamma)``: ExponentialLR, lr·γ^t;
* ``cosine_lr(lr, t_max, lr_min=0.0)``: CosineAnnealingLR,
  lr_min + (lr − lr_min)·(1 + cos(π·t / t_max)) / 2 up to t_max, then lr_min (torch's would
  rise again: its cosine is periodic);
* ``linear_warmup(lr, start_factor, warmup_steps)``: LinearLR with end_factor 1,
  lr·(start_factor + (1 − start_factor)·min(t, warmup_steps) / warmup_steps).

Any step function's ``lr`` may be a schedule in ``train_2d`` and ``nn.train``::

    train_2d("sgd", steps=100, lr=cosine_lr(0.3, t_max=100))
"""

import numpy as np

from . import checks
from .optimizers import momentum

__all__ = ["Schedule", "constant_lr", "step_lr", "exponential_lr", "cosine_lr", "linear_warmup",
           "RUN_SCHEDULES", "for_run", "MOMENTUM_FORMS", "scheduled_momentum_path"]


def _steps(t):
    """t as an int (or an int array), checked to be step numbers 0, 1, 2, ..."""
    if isinstance(t, np.ndarray) and t.ndim > 0:
        if t.dtype == bool or not (np.issubdtype(t.dtype, np.integer)
                                   or np.issubdtype(t.dtype, np.floating)):
            raise TypeError(f"t must be whole step numbers, got dtype {t.dtype}")
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)) or np.any(t < 0):
            raise ValueError("t must be whole step numbers >= 0")
        return t.astype(np.int64)
    return checks.whole("t", t, low=0)


class Schedule:
    """A learning rate per step: ``schedule(t)``; ``repr`` shows how it was made."""

    def __init__(self, rule, description):
        self._rule = rule
        self.description = description

    def __call__(self, t):
        value = self._rule(_steps(t))
        return float(value) if np.ndim(value) == 0 else value

    def __repr__(self):
        return self.description


def _lr(lr):
    return checks.real("lr", lr, low=0)


def _factor(name, value):
    return checks.real(name, value, low=0, high=1, low_open=True)


def constant_lr(lr):
    """The same rate at every step."""
    lr = _lr(lr)
    return Schedule(lambda t: lr + 0 * t, f"constant_lr(lr={lr:g})")


def step_lr(lr, step_size, gamma):
    """lr·γ^⌊t / step_size⌋: the rate drops by the factor γ every ``step_size`` steps (StepLR)."""
    lr = _lr(lr)
    step_size = checks.whole("step_size", step_size, low=1)
    gamma = _factor("gamma", gamma)
    return Schedule(lambda t: lr * gamma ** (t // step_size),
                    f"step_lr(lr={lr:g}, step_size={step_size}, gamma={gamma:g})")


def exponential_lr(lr, gamma):
    """lr·γ^t: the rate shrinks by the factor γ at every step (ExponentialLR)."""
    lr = _lr(lr)
    gamma = _factor("gamma", gamma)
    return Schedule(lambda t: lr * gamma**t, f"exponential_lr(lr={lr:g}, gamma={gamma:g})")


def cosine_lr(lr, t_max, lr_min=0.0):
    """Half a cosine from lr down to lr_min over t_max steps, then lr_min (CosineAnnealingLR)."""
    lr = _lr(lr)
    t_max = checks.whole("t_max", t_max, low=1)
    lr_min = checks.real("lr_min", lr_min, low=0, high=lr)

    def rule(t):
        phase = np.minimum(t, t_max) / t_max
        return lr_min + (lr - lr_min) * (1 + np.cos(np.pi * phase)) / 2

    return Schedule(rule, f"cosine_lr(lr={lr:g}, t_max={t_max}, lr_min={lr_min:g})")


def linear_warmup(lr, start_factor, warmup_steps):
    """From start_factor·lr up to lr in a straight line over warmup_steps steps, then lr.

    LinearLR with end_factor 1 and total_iters = warmup_steps. A large lr at the very first
    steps, while momentum or Adam's averages are still filling, can throw the weights far off;
    a warm-up starts small.
    """
    lr = _lr(lr)
    start_factor = _factor("start_factor", start_factor)
    warmup_steps = checks.whole("warmup_steps", warmup_steps, low=1)

    def rule(t):
        return lr * (start_factor + (1 - start_factor) * np.minimum(t, warmup_steps)
                     / warmup_steps)

    return Schedule(rule, f"linear_warmup(lr={lr:g}, start_factor={start_factor:g}, "
                          f"warmup_steps={warmup_steps})")


# One schedule of each kind, sized to a run: what the explorers offer in their menu.
RUN_SCHEDULES = ("constant", "step", "exponential", "cosine", "warmup")


def for_run(name, lr, steps):
    """A schedule of kind ``name`` (one of ``RUN_SCHEDULES``) starting at lr, fitted to ``steps``.

    step: halve every quarter of the run; exponential: 100 times smaller by the end; cosine:
    down to 0 at the end; warmup: from lr/10 up to lr over the first tenth, then constant.
    """
    checks.choice("schedule", name, RUN_SCHEDULES)
    steps = checks.whole("steps", steps, low=1)
    if name == "constant":
        return constant_lr(lr)
    if name == "step":
        return step_lr(lr, max(1, steps // 4), 0.5)
    if name == "exponential":
        return exponential_lr(lr, 0.01 ** (1 / steps))
    if name == "cosine":
        return cosine_lr(lr, steps)
    return linear_warmup(lr, 0.1, max(1, steps // 10))


# Momentum under a schedule: the course's step, and torch.optim.SGD's.
MOMENTUM_FORMS = ("course", "torch")


def scheduled_momentum_path(grad, start, steps, lr, gamma, form="course"):
    """Momentum with a learning-rate schedule ``lr(t)``: array (steps + 1, dim), row 0 the start.

    ``grad(point)`` is the gradient at a point. The two forms agree at constant lr:

    * ``"course"``: v ← γ·v + η_t·g, θ ← θ − v, the step function ``momentum`` (the lectures'
      form, and what ``train_2d`` and ``nn.train`` do). The velocity carries the rates of past
      steps, so after a drop of lr the step shrinks gradually, over about 1/(1 − γ) steps.
    * ``"torch"``: b ← γ·b + g, θ ← θ − η_t·b, torch.optim.SGD(momentum=γ) with a scheduler.
      The buffer b has no lr in it, so a new lr rescales the whole step at once.
    """
    checks.choice("form", form, MOMENTUM_FORMS)
    steps = checks.whole("steps", steps, low=0)
    schedule = lr if callable(lr) else constant_lr(lr)
    point = np.array(start, dtype=float)
    path = [point]
    state, buffer = {}, np.zeros_like(point)
    for t in range(steps):
        g = np.asarray(grad(point), dtype=float)
        if form == "course":
            point, state = momentum(point, g, state, lr=schedule(t), gamma=gamma)
        else:
            buffer = gamma * buffer + g
            point = point - schedule(t) * buffer
        path.append(point)
    return np.array(path)
