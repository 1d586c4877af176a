"""Checkers for the "write it yourself" exercises.

``check_step(my_adam, "adam")`` runs a student's step function beside the library's on a few
cases and says where they part: which case, which step, which quantity (the parameters or an
entry of the state with the library's name), by how much, and what that usually means. It
returns True when every case agrees, else prints the first difference and returns False.

The cases, for every optimizer:

The parameters decide; where they part, the state entries named as in the library (Adam's
``m``, ``n``, ``t``, ...) are compared too, to show which one went wrong first. When the
student's steps match one of the typical mistakes in ``MISTAKES`` exactly, the message names it.

* ``lecture``: 50 steps on the lecture's ravine f_2d from (−5, −2) at the lecture's settings;
* ``shrinking``: a fixed sequence of gradients that shrink 1000-fold, with ε = 1e-4, where
  putting ε inside or outside the square root makes a visible difference;
* ``zero``: a gradient that is exactly zero in one coordinate (nothing may become NaN);
* ``float32``: a (3, 4) float32 matrix of parameters, which must stay float32.
"""

import numpy as np

from .functions import f_2d_grad
from .optimizers import get_optimizer

__all__ = ["check_step", "LECTURE_SETTINGS", "MISTAKES"]

# The settings the lectures use on f_2d (the same ones notebooks 05-10 show).
LECTURE_SETTINGS = {
    "sgd": {"lr": 0.42},
    "momentum": {"lr": 0.61, "gamma": 0.42},
    "nesterov": {"lr": 0.02, "gamma": 0.91},
    "adagrad": {"lr": 1.0, "eps": 1e-6},
    "rmsprop": {"lr": 0.15, "gamma": 0.9, "eps": 1e-6},
    "adadelta": {"rho": 0.9, "eps": 1e-6},
    "adam": {"lr": 0.35, "beta1": 0.5, "beta2": 0.99, "eps": 1e-6},
}

# Agreement within rounding: a formula written in another order differs in the last digits.
TOLERANCE = {np.dtype(np.float64): (1e-7, 1e-10), np.dtype(np.float32): (1e-4, 1e-6)}

# Typical mistakes, written out so a wrong answer can be recognised and named.


def _adagrad_eps_inside(p, g, s, *, lr=0.01, eps=1e-10):
    G = s.get("G", 0.0) + g * g
    return p - lr * g / np.sqrt(G + eps), {"G": G}


def _rmsprop_eps_inside(p, g, s, *, lr=0.01, gamma=0.99, eps=1e-8):
    v = gamma * s.get("s", 0.0) + (1 - gamma) * g * g
    return p - lr * g / np.sqrt(v + eps), {"s": v}


def _adam_variant(correction, eps_inside):
    def step(p, g, s, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        t = s.get("t", 0) + 1
        m = beta1 * s.get("m", 0.0) + (1 - beta1) * g
        n = beta2 * s.get("n", 0.0) + (1 - beta2) * g * g
        m_hat, n_hat = m / correction(beta1, t), n / correction(beta2, t)
        root = np.sqrt(n_hat + eps) if eps_inside else np.sqrt(n_hat) + eps
        return p - lr * m_hat / root, {"m": m, "n": n, "t": t}
    return step


def _adadelta_eps_outside(p, g, s, *, rho=0.9, eps=1e-6, lr=1.0):
    r = rho * s.get("r", 0.0) + (1 - rho) * g * g
    u = s.get("u", np.zeros_like(g))
    delta = (np.sqrt(u) + eps) / (np.sqrt(r) + eps) * g
    return p - lr * delta, {"r": r, "u": rho * u + (1 - rho) * delta * delta}


def _momentum_forgetting_v(p, g, s, *, lr=0.01, gamma=0.9):
    v = gamma * 0.0 + lr * g  # the velocity is never read back from the state
    return p - v, {"v": v}


def _momentum_average(p, g, s, *, lr=0.01, gamma=0.9):
    v = gamma * s.get("v", 0.0) + (1 - gamma) * lr * g  # an average, as in RMSProp and Adam
    return p - v, {"v": v}


def _momentum_old_velocity(p, g, s, *, lr=0.01, gamma=0.9):
    v_old = s.get("v", 0.0)
    return p - v_old, {"v": gamma * v_old + lr * g}  # moves with last step's velocity


def _sgd_uphill(p, g, s, *, lr=0.01):
    return p + lr * g, {}


def _adagrad_not_summed(p, g, s, *, lr=0.01, eps=1e-10):
    G = g * g  # only this step's square, not the running sum
    return p - lr * g / (np.sqrt(G) + eps), {"G": G}


def _adagrad_no_root(p, g, s, *, lr=0.01, eps=1e-10):
    G = s.get("G", 0.0) + g * g
    return p - lr * g / (G + eps), {"G": G}


_EPS_INSIDE = ("ε is inside the square root; torch and the course put it outside: "
               "g / (√G + ε), not g / √(G + ε)")
MISTAKES = {
    "rmsprop": [(_EPS_INSIDE.replace("G", "E[g²]"), _rmsprop_eps_inside)],
    "adam": [
        ("the bias correction is missing: divide m by (1 − β1ᵗ) and n by (1 − β2ᵗ)",
         _adam_variant(lambda b, t: 1.0, False)),
        ("the bias correction uses 1 − β·t; it is 1 − βᵗ (β**t), as the erratum says",
         _adam_variant(lambda b, t: 1 - b * t, False)),
        ("ε is inside the square root; Adam puts it outside: m̂ / (√n̂ + ε)",
         _adam_variant(lambda b, t: 1 - b**t, True)),
    ],
    "adadelta": [("AdaDelta's ε goes inside both square roots: √(u + ε) / √(r + ε)",
                  _adadelta_eps_outside)],
    "momentum": [
        ("the velocity is not carried from step to step (read v from the state and return the "
         "new v in it): this is plain gradient descent", _momentum_forgetting_v),
        ("the velocity is an average, v ← γ·v + (1 − γ)·η·g; Momentum adds the whole "
         "step: v ← γ·v + η·g", _momentum_average),
        ("θ moves with the old velocity: first v ← γ·v + η·g, then θ ← θ − v with the new v",
         _momentum_old_velocity),
    ],
    "sgd": [("the step goes uphill: subtract the gradient, θ ← θ − η·g", _sgd_uphill)],
    "adagrad": [
        (_EPS_INSIDE, _adagrad_eps_inside),
        ("G is not accumulated: G ← G + g² sums the squares of all gradients so far; with "
         "G = g² every step is just η·sign(g)", _adagrad_not_summed),
        ("the square root is missing: divide by √G + ε, not by G + ε", _adagrad_no_root),
    ],
}

_HINTS = {
    "shrinking": "this case has tiny late gradients, where it matters whether ε sits inside or "
                 "outside the square root (torch and the course: outside for AdaGrad, RMSProp "
                 "and Adam, inside for AdaDelta)",
    "zero": "with a zero gradient nothing may become NaN: ε must keep every denominator above 0",
    "float32": "float32 parameters must come back float32 (mix in no float64 arrays)",
}
_ADAM_HINTS = {
    1: "Adam's very first step is exactly lr·sign(g) once m and n are bias-corrected: check "
       "m̂ = m / (1 − β1ᵗ) and n̂ = n / (1 − β2ᵗ)",
    2: "the first step agrees but the second does not: the bias correction must use the power "
       "βᵗ (1 − β**t), not the product 1 − β·t, and t counts the steps taken (1, 2, ...)",
}


def _cases(name, hyperparams):
    """(case name, hyper-parameters, start, gradient function of (step, point)) for ``name``."""
    rng = np.random.default_rng(0)
    shrink = rng.normal(size=(60, 5)) * np.logspace(0, -3, 60)[:, None]
    shrink_start = rng.normal(size=5)
    eps_hp = {k: (1e-4 if k == "eps" else v) for k, v in hyperparams.items()}
    yield "lecture", hyperparams, np.array([-5.0, -2.0]), 50, lambda t, p: f_2d_grad(*p)
    yield "shrinking", eps_hp, shrink_start, len(shrink), lambda t, p: shrink[t]
    yield "zero", hyperparams, np.array([1.0, 2.0]), 5, lambda t, p: np.array([0.0, 0.5 * p[1]])
    matrix = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    yield "float32", hyperparams, matrix, 5, lambda t, p: (0.5 * p + 0.1).astype(np.float32)


def _compare(quantity, yours, expected):
    """None if equal within tolerance, else a one-line description of the difference."""
    yours = np.asarray(yours)
    expected = np.asarray(expected)
    if yours.shape != expected.shape and yours.size != 1:
        return f"{quantity} has shape {yours.shape}, expected {expected.shape}"
    yours = np.broadcast_to(yours, expected.shape)
    rtol, atol = TOLERANCE.get(expected.dtype, TOLERANCE[np.dtype(np.float64)])
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(yours, expected, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    index = np.unravel_index(np.argmax(~close), close.shape) if close.ndim else ()
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(yours.astype(float) - expected.astype(float))
    size = "NaN or inf" if not np.all(np.isfinite(diff)) else f"{diff.max():.3g}"
    where = f" at index {tuple(int(i) for i in index)}" if index else ""
    return (f"{quantity}{where}: yours {float(yours[index]):.10g}, expected "
            f"{float(expected[index]):.10g} (max |difference| {size})")


def _first_difference(fn, reference, case):
    """The first step (1, 2, ...) and the differences there, or None when the case agrees."""
    _, hp, start, steps, grad_at = case
    mine_p, mine_s = start.copy(), {}
    ref_p, ref_s = start.copy(), {}
    for t in range(steps):
        g = grad_at(t, ref_p)
        frozen = (mine_p.copy(), g.copy())
        try:
            with np.errstate(all="ignore"):
                new_p, new_s = fn(mine_p, g, mine_s, **hp)
        except Exception as err:  # a student's code may fail in any way; report it
            return t + 1, [f"your function raised {type(err).__name__}: {err}"]
        if not (np.array_equal(mine_p, frozen[0]) and np.array_equal(g, frozen[1])):
            return t + 1, ["your function changed params or grad in place; return new arrays"]
        if not isinstance(new_s, dict):
            return t + 1, [f"your function must return (params, state dict), got a state of "
                           f"type {type(new_s).__name__}"]
        with np.errstate(all="ignore"):
            ref_p, ref_s = reference(ref_p, g, ref_s, **hp)
        problems = [_compare("params", new_p, ref_p)]
        if np.asarray(new_p).dtype != ref_p.dtype:
            problems.append(f"params are {np.asarray(new_p).dtype}, expected {ref_p.dtype}")
        if any(problems):
            # The state may follow another convention (torch keeps v without lr); where the
            # parameters part, the entries named as in the library show what went wrong.
            problems += [_compare(f"state[{key!r}]", new_s[key], value)
                         for key, value in ref_s.items() if key in new_s]
            return t + 1, [p for p in problems if p]
        mine_p, mine_s = np.asarray(new_p), new_s
    return None


def check_step(fn, name, settings=None, *, verbose=True):
    """Does ``fn`` compute the same steps as the library's optimizer ``name``?

    ``fn(params, grad, state, **hyperparams)`` returns ``(new_params, new_state)`` like the
    library's step functions. ``settings``: hyper-parameters to use (default: the lecture's,
    ``LECTURE_SETTINGS[name]``). Prints what differs first (case, step, quantity, how much and a
    hint) and returns False, or prints that all cases agree and returns True.
    """
    reference = get_optimizer(name)
    if not callable(fn):
        raise TypeError(f"fn must be your step function, got {type(fn).__name__}")
    hp = dict(LECTURE_SETTINGS.get(reference.name, {}) if settings is None else settings)
    cases = list(_cases(reference.name, hp))
    for case in cases:
        found = _first_difference(fn, reference.step, case)
        if found is None:
            continue
        step, problems = found
        if verbose:
            print(f"{reference.label}: case '{case[0]}' ({case[3]} steps), "
                  f"first difference at step {step}:")
            for problem in problems:
                print(f"  {problem}")
            hint = _recognise(fn, reference.name, case) or _hint(reference.name, case[0], step,
                                                                  problems)
            if hint:
                print(f"  hint: {hint}")
        return False
    if verbose:
        print(f"{reference.label}: all {len(cases)} cases agree with course_utils "
              f"({', '.join(c[0] for c in cases)})")
    return True


def _recognise(fn, name, case):
    """The description of a known mistake that gives exactly the student's steps, if any."""
    for description, wrong in MISTAKES.get(name, []):
        if _first_difference(fn, wrong, case) is None:
            return description
    return None


def _hint(name, case, step, problems):
    if name == "adam" and case == "lecture" and step in _ADAM_HINTS:
        return _ADAM_HINTS[step]
    if case == "float32" and not any(p.startswith("params are") for p in problems):
        return None
    return _HINTS.get(case)
