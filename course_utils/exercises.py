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

``check_batchnorm_backward(my_backward)`` does the same for BatchNorm's backward pass: the
student's ``my_backward(dY, X, gamma, eps)`` returns ``(dX, dgamma, dbeta)`` and is compared with
:class:`course_utils.nn.BatchNorm1D` on several batches (``BATCHNORM_CASES``); the message names
the output that differs first (dβ, dγ, then dX), by how much, and the mistake when it is one of
``BATCHNORM_MISTAKES``.
"""

import numpy as np

from .functions import f_2d_grad
from .gradcheck import relative_error
from .nn import BatchNorm1D
from .optimizers import get_optimizer

__all__ = ["check_step", "LECTURE_SETTINGS", "MISTAKES", "check_batchnorm_backward",
           "BATCHNORM_CASES", "BATCHNORM_MISTAKES"]

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
        # equal_nan: a wrong step may already have produced NaN, and that is no mutation.
        if not (np.array_equal(mine_p, frozen[0], equal_nan=True)
                and np.array_equal(g, frozen[1], equal_nan=True)):
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


# ---------------------------------------------------------------------------
# BatchNorm's backward pass
# ---------------------------------------------------------------------------

# Largest relative error (max |yours − expected| / max(|yours| + |expected|)) that still agrees:
# another order of the same sums differs in the last digits.
BATCHNORM_TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def _batch(rng, m, scales, shifts, dtype):
    X = rng.standard_normal((m, len(scales))) * scales + shifts
    return X.astype(dtype)


def _batchnorm_cases():
    """(name, dY, X, gamma, eps) for every case, the same numbers on every call."""
    rng = np.random.default_rng(12)
    cases = []
    scales, shifts = np.array([1.0, 3.0, 0.1, 10.0]), np.array([0.0, 5.0, -2.0, 1.0])
    X = _batch(rng, 8, scales, shifts, np.float64)
    cases.append(("8 x 4, features of different scales", X, rng.uniform(0.5, 2.0, 4)))
    X = _batch(rng, 64, np.full(20, 1.0), np.zeros(20), np.float64)
    cases.append(("64 x 20 (an MNIST-sized batch)", X, rng.uniform(0.5, 2.0, 20)))
    X = _batch(rng, 2, np.ones(3), np.zeros(3), np.float64)
    cases.append(("m = 2, the smallest batch", X, rng.uniform(0.5, 2.0, 3)))
    X = _batch(rng, 6, np.ones(3), np.zeros(3), np.float64)
    X[:, 1] = 4.0  # a feature with variance 0: only ε keeps σ above 0
    cases.append(("a constant feature", X, rng.uniform(0.5, 2.0, 3)))
    X = _batch(rng, 16, np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0]), np.float32)
    cases.append(("float32", X, rng.uniform(0.5, 2.0, 3).astype(np.float32)))
    return [(name, rng.standard_normal(X.shape).astype(X.dtype), X, gamma.astype(X.dtype), 1e-5)
            for name, X, gamma in cases]


BATCHNORM_CASES = tuple(case[0] for case in _batchnorm_cases())


def _library_backward(dY, X, gamma, eps):
    layer = BatchNorm1D(X.shape[1], eps=eps, dtype=X.dtype)
    layer.params["gamma"] = gamma.copy()
    layer.forward(X)
    dX = layer.backward(dY)
    return dX, layer.grads["gamma"], layer.grads["beta"]


# Typical mistakes, written out so a wrong answer can be recognised and named.


def _normalize(X, eps, ddof=0):
    mu = X.mean(axis=0)
    sigma = np.sqrt(X.var(axis=0, ddof=ddof) + eps)
    return (X - mu) / sigma, sigma


def _bn_variant(ddof=0, mean_term=True, xhat_term=True, with_gamma=True, with_eps=True):
    def backward(dY, X, gamma, eps):
        m = len(X)
        x_hat, sigma = _normalize(X, eps if with_eps else 0.0, ddof)
        dbeta, dgamma = dY.sum(axis=0), (dY * x_hat).sum(axis=0)
        inner = m * dY - (dbeta if mean_term else 0) - (x_hat * dgamma if xhat_term else 0)
        return (gamma if with_gamma else 1) / (m * sigma) * inner, dgamma, dbeta
    return backward


BATCHNORM_MISTAKES = [
    ("the mean term is missing: dX needs − Σ dY (x reaches the loss through μ too, "
     "dμ = −Σ dx̂ / σ)", _bn_variant(mean_term=False)),
    ("the term − x̂·Σ(dY·x̂) is missing: x reaches the loss through σ² too "
     "(dσ² = −Σ dx̂·x̂ / 2σ²)", _bn_variant(xhat_term=False)),
    ("the batch variance divides by m − 1 (unbiased); training normalizes with the batch's "
     "own variance, divided by m (np.var's default ddof=0)", _bn_variant(ddof=1)),
    ("γ is missing from dX: dx̂ = γ·dY, so dX carries the factor γ",
     _bn_variant(with_gamma=False)),
    ("ε is missing: normalize by √(σ² + ε), as the forward pass does (a constant feature "
     "would divide by 0)", _bn_variant(with_eps=False)),
]

_BATCHNORM_HINTS = {
    "dbeta": "dβ = Σ_i dy_i: the sum over the rows (axis=0), one number per feature",
    "dgamma": "dγ = Σ_i dy_i·x̂_i with x̂ = (x − μ)/√(σ² + ε), summed over the rows",
    "dX": "dX = γ/(m·√(σ² + ε)) · (m·dY − Σ dY − x̂·Σ(dY·x̂)), sums over the rows",
}


def _compare_output(name, yours, expected):
    """None if ``yours`` agrees with ``expected`` (an array), else what differs."""
    try:
        yours = np.asarray(yours)
    except Exception:  # anything that is not an array is reported
        return f"{name} is not an array ({type(yours).__name__})"
    if yours.shape != expected.shape:
        return f"{name} has shape {yours.shape}, expected {expected.shape}"
    if not np.issubdtype(yours.dtype, np.floating):
        return f"{name} has dtype {yours.dtype}, expected {expected.dtype}"
    if not np.all(np.isfinite(yours)):
        return f"{name} contains NaN or inf"
    error = relative_error(yours, expected)
    if not error <= BATCHNORM_TOLERANCE[expected.dtype]:  # NaN (a mistake's 0/0) differs too
        with np.errstate(all="ignore"):
            diff = np.abs(yours.astype(float) - expected.astype(float))
        index = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
        return (f"{name} differs: relative error {error:.2g}; largest difference at index "
                f"{index}: yours {float(yours[index]):.8g}, expected {float(expected[index]):.8g}")
    if yours.dtype != expected.dtype:
        return f"{name} is {yours.dtype}, expected {expected.dtype} (mix in no float64 arrays)"
    return None


def _batchnorm_differences(fn, case, reference=_library_backward):
    """What differs between ``fn`` and ``reference`` on one case: a list of (output, text)."""
    _, dY, X, gamma, eps = case
    frozen = (dY.copy(), X.copy(), gamma.copy())
    try:
        with np.errstate(all="ignore"):
            result = fn(dY.copy(), X.copy(), gamma.copy(), eps)
    except Exception as err:  # a student's code may fail in any way; report it
        return [("call", f"your function raised {type(err).__name__}: {err}")]
    if not (isinstance(result, tuple) and len(result) == 3):
        return [("call", "your function must return a tuple (dX, dgamma, dbeta)")]
    with np.errstate(all="ignore"):  # a known mistake may divide by 0
        expected = reference(*frozen, eps)
    problems = [(name, _compare_output(name, yours, wanted))
                for name, yours, wanted in zip(("dbeta", "dgamma", "dX"),
                                               (result[2], result[1], result[0]),
                                               (expected[2], expected[1], expected[0]),
                                               strict=True)]
    return [(name, text) for name, text in problems if text]


def check_batchnorm_backward(fn, *, verbose=True):
    """Does ``fn`` compute BatchNorm's backward pass like :class:`course_utils.nn.BatchNorm1D`?

    ``fn(dY, X, gamma, eps)`` gets the upstream gradient dY (m × n), the batch X the layer saw in
    training mode, the scale γ (n,) and ε, and returns ``(dX, dgamma, dbeta)``. Every case of
    ``BATCHNORM_CASES`` is tried; the first that differs is printed with the output that
    differs first (dβ, dγ, then dX), by how much, and a hint or the name of a typical mistake.
    Returns True when every case agrees, else False.
    """
    if not callable(fn):
        raise TypeError(f"fn must be your backward function, got {type(fn).__name__}")
    cases = _batchnorm_cases()
    for case in cases:
        problems = _batchnorm_differences(fn, case)
        if not problems:
            continue
        if verbose:
            name, dY, X, _, _ = case
            print(f"BatchNorm backward: case '{name}' (m = {len(X)}, {X.shape[1]} features, "
                  f"{X.dtype}) differs:")
            for _, text in problems:
                print(f"  {text}")
            hint = _recognise_batchnorm(fn, case)
            if hint is None and problems[0][0] in _BATCHNORM_HINTS:
                hint = _BATCHNORM_HINTS[problems[0][0]]
            if hint:
                print(f"  hint: {hint}")
        return False
    if verbose:
        print(f"BatchNorm backward: all {len(cases)} cases agree with course_utils.nn.BatchNorm1D "
              f"({'; '.join(BATCHNORM_CASES)})")
    return True


def _recognise_batchnorm(fn, case):
    """The description of a known mistake that gives exactly the student's outputs, if any."""
    for description, wrong in BATCHNORM_MISTAKES:
        if not _batchnorm_differences(fn, case, reference=wrong):
            return description
    return None
