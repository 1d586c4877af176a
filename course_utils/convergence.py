"""What it costs a method to reach a minimum: steps, evaluations and time.

A step of Newton's method is not a step of gradient descent: it also evaluates a Hessian and
solves a linear system, and a BFGS step runs a line search. :func:`cost_to_reach` counts, up to
the first step within ``tol`` of the target, the steps, the function, gradient and Hessian
evaluations (from ``state["evaluations"]`` of the steps in :mod:`course_utils.curvature`; a
first-order step uses one gradient), and :func:`format_costs` prints them as a table.
:func:`seconds_to_reach` times the same run (wall-clock, so it varies from run to run).
"""

import time

from . import checks
from .optimizers import get_optimizer
from .surfaces import get_surface
from .trajectories import distance_to, steps_to_reach, train_2d, train_2d_with_states

__all__ = ["cost_to_reach", "seconds_to_reach", "format_costs"]


def _evaluations(record, states, k):
    """Evaluations made by the first ``k`` steps."""
    if k == 0:
        return {"fun": 0, "grad": 0, "hess": 0}
    counts = states[k - 1].get("evaluations")
    if counts is None:  # a first-order step: one gradient, nothing else
        return {"fun": 0, "grad": k, "hess": 0}
    return dict(counts)


def cost_to_reach(optimizer, steps=200, *, surface="ravine", tol=1e-6, target=None, start=None,
                  label=None, **hyperparams):
    """One run of at most ``steps`` steps and what it took to come within ``tol`` of ``target``.

    ``target`` is the surface's (first) minimum by default. Returns a dict: ``label``,
    ``optimizer`` (the record's name), ``hyperparams``, ``path``, ``reached`` (the first step
    within ``tol``, or None), ``steps`` (that step, or all ``steps`` if never), ``evaluations``
    (fun, grad, hess over those steps) and ``distance`` (to the target at the end of the run).
    """
    record = get_optimizer(optimizer)
    surface = get_surface(surface)
    tol = checks.real("tol", tol, low=0, low_open=True)
    target = surface.minima[0] if target is None else tuple(checks.point("target", target))
    path, states = train_2d_with_states(record, steps=steps, start=start, surface=surface,
                                        **hyperparams)
    reached = steps_to_reach(path, tol, target=target)
    used = len(path) - 1 if reached is None else reached
    return {
        "label": record.label if label is None else label,
        "optimizer": record.name,
        "hyperparams": dict(hyperparams),
        "path": path,
        "reached": reached,
        "steps": used,
        "evaluations": _evaluations(record, states, used),
        "distance": float(distance_to(path, target)[-1]),
    }


def seconds_to_reach(cost, *, surface="ravine", start=None, repeats=5):
    """Best wall-clock time of ``repeats`` runs of the steps ``cost`` (from cost_to_reach) took."""
    repeats = checks.whole("repeats", repeats, low=1)
    best = float("inf")
    for _ in range(repeats):
        begin = time.perf_counter()
        train_2d(cost["optimizer"], steps=cost["steps"], start=start, surface=surface,
                 **cost["hyperparams"])
        best = min(best, time.perf_counter() - begin)
    return best


def format_costs(costs, seconds=None):
    """The costs as a plain-text table; ``seconds`` (one per row) adds a time column."""
    header = ["method", "settings", "steps to tol", "f evals", "grad evals", "Hessian evals"]
    if seconds is not None:
        header.append("time [ms]")
    rows = []
    for i, cost in enumerate(costs):
        settings = ", ".join(f"{k}={v:g}" for k, v in cost["hyperparams"].items()) or "-"
        evaluations = cost["evaluations"]
        reached = str(cost["reached"]) if cost["reached"] is not None else (
            f"not in {cost['steps']}")
        row = [cost["label"], settings, reached, str(evaluations["fun"]),
               str(evaluations["grad"]), str(evaluations["hess"])]
        if seconds is not None:
            row.append(f"{1e3 * seconds[i]:.2f}")
        rows.append(row)
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]
    lines = ["  ".join(c.ljust(w) if j < 2 else c.rjust(w)
                       for j, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
