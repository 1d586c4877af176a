"""Steps that use more than the gradient: Newton, BFGS, L-BFGS and coordinate descent.

They have the shape of every step in :mod:`course_utils.optimizers`,
``new_params, new_state = step(params, grad, state, **hyperparams)``, and ask for more through
keyword-only arguments: ``fun`` (point → loss), ``grad_fn`` (point → gradient) and ``hess``
(point → Hessian). ``train_2d`` passes them from the surface. The parameters are treated as one
vector of n numbers (a matrix's entries in order).

Every state records what the method cost, so a table can compare it with gradient descent:
``state["evaluations"]`` counts, over the whole run, the calls of ``fun``, of the gradient (the
one handed in each step plus those made by the line search) and of ``hess``.

* :func:`newton`: θ ← θ − lr·(H + damping·I)⁻¹·g, with an account of the matrix solved;
* :func:`bfgs`: a quasi-Newton step −H̃·g along which a line search picks the length; H̃, the
  estimate of the inverse Hessian built from gradient differences, is in ``state``;
* :func:`lbfgs`: the same from the last ``memory`` steps only, never an n×n matrix;
* :func:`coordinate_descent`: one coordinate per step, in turn, minimised along that axis.
"""

import numpy as np

from . import checks

__all__ = [
    "newton", "bfgs", "lbfgs", "coordinate_descent", "bfgs_update", "line_search",
    "inverse_hessian_estimate", "ellipse", "gauss_seidel_rate", "second_order_costs", "MAX_TRIALS",
]

# Line-search trials per step: enough to meet a tight tolerance, bounded for a live slider.
MAX_TRIALS = 30
# Coordinate descent minimises along its axis until the slope is this small (relative).
COORDINATE_TOLERANCE = 1e-10


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


def _vectors(params, grad):
    """``params`` and ``grad`` as float64 vectors, with the shape and dtype to return in."""
    for name, value in (("params", params), ("grad", grad)):
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a numeric array, got {checks.describe(value)}")
    params, grad = np.asarray(params), np.asarray(grad)
    for name, value in (("params", params), ("grad", grad)):
        if not np.issubdtype(value.dtype, np.number):
            raise TypeError(f"{name} must be a numeric array, got dtype {value.dtype}")
    if params.shape != grad.shape:
        raise ValueError(f"grad has shape {grad.shape}, params have shape {params.shape}")
    dtype = np.result_type(params.dtype, grad.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    x = params.astype(float).ravel()
    return x, grad.astype(float).ravel(), (params.shape, dtype)


def _back(x, like):
    shape, dtype = like
    return x.reshape(shape).astype(dtype)


def _check_function(name, function):
    if not callable(function):
        raise TypeError(f"{name} must be a function of the point, got {checks.describe(function)}")
    return function


def _check_state(state):
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict ({{}} before the first step), got "
                        f"{checks.describe(state)}")
    return state


def _counts(state, x=None, g=None):
    """The state's evaluation counts, with this step's gradient (the one handed in) added.

    A line search already computed the gradient at the point it accepted (kept in the state as
    ``point`` and ``gradient``); handed the same point and gradient again, it is not counted twice.
    """
    counts = {"fun": 0, "grad": 0, "hess": 0, **state.get("evaluations", {})}
    if not (_is_known_point(state, x) and np.array_equal(state.get("gradient"), g)):
        counts["grad"] += 1
    return counts


def _is_known_point(state, x):
    return x is not None and "point" in state and np.array_equal(state["point"], x)


def _check_wolfe(c1, c2):
    c1 = checks.real("c1", c1, low=0, high=1, low_open=True, high_open=True)
    c2 = checks.real("c2", c2, low=c1, high=1, low_open=True, high_open=True)
    return c1, c2


def _line_function(fun, grad_fn, x, direction, counts):
    """φ(α) = f(x + α·d): returns (φ(α), φ'(α), gradient at x + α·d), counting the calls."""

    def phi(alpha):
        point = x + alpha * direction
        counts["fun"] += 1
        counts["grad"] += 1
        value = float(fun(point))
        gradient = np.asarray(grad_fn(point), dtype=float).ravel()
        return value, float(gradient @ direction), gradient

    return phi


# ---------------------------------------------------------------------------
# The line search
# ---------------------------------------------------------------------------


def _between(a, lo, hi):
    return min(lo, hi) < a < max(lo, hi)


def _next_trial(lo, hi, previous, width_before):
    """The next step length to try, from the best point ``lo`` and the far end ``hi``.

    Points are (α, φ, φ'). With slopes of opposite signs at both ends the zero of the secant
    through them is tried: on a quadratic φ that is the minimum itself. Otherwise quadratic
    interpolation, or halving where neither can be trusted (non-finite values, no progress).
    """
    a_lo, f_lo, s_lo = lo
    if hi is None:  # still going downhill: extrapolate, at most tenfold
        a_prev, _, s_prev = previous
        if s_lo > s_prev:  # the slope grows: aim at the secant's zero
            guess = a_lo - s_lo * (a_lo - a_prev) / (s_lo - s_prev)
            if guess > a_lo:
                return min(guess, 10.0 * a_lo)
        return 4.0 * a_lo
    a_hi, f_hi, s_hi = hi
    width = a_hi - a_lo
    middle = a_lo + 0.5 * width
    if width_before is not None and abs(width) > 0.5 * abs(width_before):
        return middle  # the bracket stopped shrinking fast: halve it
    if np.isfinite(s_hi) and s_lo * s_hi < 0:
        guess = a_lo - s_lo * width / (s_hi - s_lo)
        if _between(guess, a_lo, a_hi):
            return guess
    if np.isfinite(f_hi):
        curvature = f_hi - f_lo - s_lo * width
        if curvature > 0:
            guess = a_lo - s_lo * width * width / (2.0 * curvature)
            if _between(guess, a_lo, a_hi):
                return guess
    return middle


def line_search(phi, value0, slope0, alpha=1.0, *, c1=1e-4, c2=0.9, max_trials=MAX_TRIALS):
    """A step length α along a descent direction that meets the strong Wolfe conditions.

    ``phi(α)`` returns ``(φ(α), φ'(α), extra)`` for φ(α) = f(x + α·d); ``value0`` and
    ``slope0 < 0`` are φ(0) and φ'(0). Accepted: sufficient decrease φ(α) ≤ φ(0) + c1·α·φ'(0)
    and a flattened slope |φ'(α)| ≤ c2·|φ'(0)|. ``c2 → 0`` is an exact line search: on a
    quadratic the secant step finds the minimum along the line at once.

    Returns ``(α, φ(α), extra, status)``, status ``"wolfe"`` when both conditions hold, else
    ``"trial limit"`` with the lowest point found (α = 0 and extra None if nothing went down,
    which is also the answer at once when φ'(0) is too small for any decrease to show in φ).
    """
    lo = (0.0, value0, slope0)
    lo_extra, hi, previous, widths = None, None, lo, []
    if abs(slope0) <= max(np.finfo(float).eps * abs(value0), np.finfo(float).tiny):
        return 0.0, value0, None, "trial limit"  # no decrease this small can show in φ
    for _ in range(max_trials):
        value, slope, extra = phi(alpha)
        point = (alpha, value, slope)
        if not (np.isfinite(value) and np.isfinite(slope)):
            hi = (alpha, np.inf, np.nan)  # too far: the minimum is nearer
        elif value > value0 + c1 * alpha * slope0 or value >= lo[1]:
            hi = point  # not low enough: the minimum lies between lo and here
        elif abs(slope) <= -c2 * slope0:
            return alpha, value, extra, "wolfe"
        else:
            toward = hi[0] - alpha if hi is not None else 1.0  # to the far end (or onwards)
            if slope * toward > 0:
                hi = lo  # rising towards the far end: the minimum is back towards the old best
            previous, lo, lo_extra = lo, point, extra
        if hi is not None:
            widths.append(hi[0] - lo[0])
        before = widths[-3] if len(widths) >= 3 else None
        alpha = _next_trial(lo, hi, previous, before)
    return lo[0], lo[1], lo_extra, "trial limit"


# ---------------------------------------------------------------------------
# Newton's method
# ---------------------------------------------------------------------------


def _definiteness(eigenvalues, singular):
    if singular.any():
        return "singular"
    if np.all(eigenvalues > 0):
        return "positive definite"
    if np.all(eigenvalues < 0):
        return "negative definite"
    return "indefinite"


def newton(params, grad, state, *, hess, lr=1.0, damping=0.0):
    """Newton's step θ ← θ − lr·(H + damping·I)⁻¹·g, H the Hessian at θ.

    On a quadratic with positive-definite H the model is the function itself, so one step with
    lr = 1 lands on the minimum. Elsewhere the step goes to the stationary point of the local
    quadratic model, whatever kind it is: where H is indefinite that is a saddle of the model,
    and undamped Newton walks *towards* saddles. ``damping`` (λ ≥ 0) adds λ·I: the step bends
    towards −g/λ, a gradient step of size lr/λ when λ is large.

    Nothing is refused: the state says what was solved. ``state["hessian"]`` is
    ``"positive definite"``, ``"indefinite"``, ``"negative definite"`` or ``"singular"`` (an
    eigenvalue of H + λI is 0 to rounding; the step then uses the pseudo-inverse, moving only
    where the curvature is not zero, and no step at all along a flat direction);
    ``state["eigenvalues"]`` holds those of H + λI, ``state["uphill"]`` is True when the step
    points uphill (gᵀΔθ > 0). An eigen-decomposition costs O(n³), as a solve does.
    """
    _check_state(state)
    hess = _check_function("hess", hess)
    lr = checks.real("lr", lr, low=0)
    damping = checks.real("damping", damping, low=0)
    x, g, like = _vectors(params, grad)
    counts = _counts(state)
    counts["hess"] += 1
    H = np.asarray(hess(x.reshape(like[0])), dtype=float).reshape(x.size, x.size)
    M = 0.5 * (H + H.T) + damping * np.eye(x.size)
    if not (np.all(np.isfinite(M)) and np.all(np.isfinite(g))):
        return _back(np.full_like(x, np.nan), like), {
            "evaluations": counts, "hessian": "not finite", "eigenvalues": np.full(x.size, np.nan),
            "uphill": False}
    eigenvalues, vectors = np.linalg.eigh(M)
    singular = np.abs(eigenvalues) <= x.size * np.finfo(float).eps * np.abs(eigenvalues).max()
    coefficients = vectors.T @ g
    safe = np.where(singular, 1.0, eigenvalues)
    step = vectors @ np.where(singular, 0.0, coefficients / safe)
    new_state = {"evaluations": counts, "hessian": _definiteness(eigenvalues, singular),
                 "eigenvalues": eigenvalues, "uphill": bool(g @ step < 0)}
    return _back(x - lr * step, like), new_state


# ---------------------------------------------------------------------------
# BFGS and L-BFGS
# ---------------------------------------------------------------------------


def _search(fun, grad_fn, x, g, direction, state, counts, c1, c2):
    """Line search along ``direction`` from x.

    Returns (new x, its value, its gradient or None if nothing went down, α, status).
    """
    slope0 = float(g @ direction)
    phi = _line_function(fun, grad_fn, x, direction, counts)
    if _is_known_point(state, x) and "value" in state:
        value0 = state["value"]  # the last line search ended here and knows f
    else:
        counts["fun"] += 1
        value0 = float(fun(x))
    alpha, value, new_g, status = line_search(phi, value0, slope0, 1.0, c1=c1, c2=c2)
    if new_g is None:  # nothing went down: stay
        return x, value0, None, 0.0, "no decrease"
    return x + alpha * direction, value, new_g, alpha, status


def _where(x, value, gradient):
    """State entries that let the next step reuse what the line search found at ``x``."""
    return {"point": x, "value": value, "gradient": gradient}


def bfgs_update(H, s, y):
    """H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ with ρ = 1/(yᵀs): then H·y = s."""
    rho = 1.0 / (y @ s)
    Hy = H @ y
    return (H - rho * (np.outer(s, Hy) + np.outer(Hy, s))
            + (rho * rho * (y @ Hy) + rho) * np.outer(s, s))


def _curvature_ok(s, y):
    """yᵀs > 0 keeps the estimate positive definite (a Wolfe step guarantees it)."""
    ys = float(y @ s)
    return np.isfinite(ys) and ys > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y)


def bfgs(params, grad, state, *, fun, grad_fn, c1=1e-4, c2=0.9):
    """One BFGS step: direction −H̃·g, length from a strong-Wolfe line search.

    H̃ (``state["inverse_hessian"]``, the identity before the first step) estimates the inverse
    Hessian. After the step s = Δθ and y = Δg update it so that H̃·y = s: the new estimate
    maps this step's change of gradient back to the step, as the true inverse Hessian would on a
    quadratic. With exact line searches (c2 → 0) on an n-dimensional quadratic, BFGS reaches the
    minimum in at most n steps and then H̃ is the true inverse Hessian.

    ``c1``, ``c2``: the Wolfe constants, 0 < c1 < c2 < 1. The state also holds ``step_size``
    (α), ``line_search`` ("wolfe", "trial limit", "no decrease" or "stationary"), ``updated``
    (False when yᵀs ≤ 0 would have spoiled the estimate) and ``evaluations``.
    """
    _check_state(state)
    fun, grad_fn = _check_function("fun", fun), _check_function("grad_fn", grad_fn)
    c1, c2 = _check_wolfe(c1, c2)
    x, g, like = _vectors(params, grad)
    counts = _counts(state, x, g)
    H = state.get("inverse_hessian")
    H = np.eye(x.size) if H is None else np.asarray(H, dtype=float)
    if H.shape != (x.size, x.size):
        raise ValueError(f"state['inverse_hessian'] has shape {H.shape}, params have {x.size} "
                         "entries: this state belongs to other parameters")
    result = {"evaluations": counts, "inverse_hessian": H, "step_size": 0.0,
              "line_search": "stationary", "updated": False}
    if not np.any(g) or not np.all(np.isfinite(g)):
        return _back(x, like), result
    direction = -H @ g
    if not g @ direction < 0:  # the estimate lost its way: start again from the identity
        H, direction = np.eye(x.size), -g
    new_x, value, new_g, alpha, status = _search(fun, grad_fn, x, g, direction, state, counts,
                                                 c1, c2)
    result.update(step_size=alpha, line_search=status)
    if new_g is None:  # no step along this direction went down: forget the estimate
        result["inverse_hessian"] = np.eye(x.size)
        return _back(x, like), result
    s, y = new_x - x, new_g - g
    if _curvature_ok(s, y):
        H = bfgs_update(H, s, y)
        result["updated"] = True
    result.update(inverse_hessian=H, **_where(new_x, value, new_g))
    return _back(new_x, like), result


def _two_loop(g, pairs_s, pairs_y):
    """−H̃·g for the L-BFGS estimate: H̃₀ = γ·I (γ = sᵀy/yᵀy of the newest pair), then
    one BFGS update per stored pair, oldest first, applied without forming any matrix."""
    q = g.copy()
    alphas = []
    for s, y in zip(pairs_s[::-1], pairs_y[::-1], strict=True):
        a = (s @ q) / (y @ s)
        alphas.append(a)
        q -= a * y
    if len(pairs_s):
        q *= (pairs_s[-1] @ pairs_y[-1]) / (pairs_y[-1] @ pairs_y[-1])
    for s, y, a in zip(pairs_s, pairs_y, alphas[::-1], strict=True):
        b = (y @ q) / (y @ s)
        q += (a - b) * s
    return -q


def lbfgs(params, grad, state, *, fun, grad_fn, memory=10, c1=1e-4, c2=0.9):
    """Limited-memory BFGS: the inverse-Hessian estimate from the last ``memory`` steps only.

    The state keeps those steps s and their gradient changes y as arrays ``s`` and ``y`` of
    shape (k, n), k ≤ memory, newest last: 2·memory·n numbers instead of BFGS's n². The
    direction comes from the two-loop recursion; :func:`inverse_hessian_estimate` builds the
    matrix it stands for (for a small n, to draw it). Line search and the other state entries
    as in :func:`bfgs`.
    """
    _check_state(state)
    fun, grad_fn = _check_function("fun", fun), _check_function("grad_fn", grad_fn)
    memory = checks.whole("memory", memory, low=1)
    c1, c2 = _check_wolfe(c1, c2)
    x, g, like = _vectors(params, grad)
    counts = _counts(state, x, g)
    pairs_s = np.asarray(state.get("s", np.empty((0, x.size))), dtype=float)
    pairs_y = np.asarray(state.get("y", np.empty((0, x.size))), dtype=float)
    if pairs_s.ndim != 2 or pairs_s.shape[1] != x.size or pairs_y.shape != pairs_s.shape:
        raise ValueError(f"state['s'] has shape {pairs_s.shape}, params have {x.size} entries: "
                         "this state belongs to other parameters")
    pairs_s, pairs_y = pairs_s[-memory:], pairs_y[-memory:]
    result = {"evaluations": counts, "s": pairs_s, "y": pairs_y, "step_size": 0.0,
              "line_search": "stationary", "updated": False}
    if not np.any(g) or not np.all(np.isfinite(g)):
        return _back(x, like), result
    direction = _two_loop(g, pairs_s, pairs_y)
    if not g @ direction < 0:  # the estimate lost its way: start again from the identity
        pairs_s, pairs_y, direction = pairs_s[:0], pairs_y[:0], -g
    new_x, value, new_g, alpha, status = _search(fun, grad_fn, x, g, direction, state, counts,
                                                 c1, c2)
    result.update(step_size=alpha, line_search=status, s=pairs_s, y=pairs_y)
    if new_g is None:  # no step along this direction went down: forget the pairs
        result.update(s=pairs_s[:0], y=pairs_y[:0])
        return _back(x, like), result
    s, y = new_x - x, new_g - g
    if _curvature_ok(s, y):
        result.update(s=np.vstack([pairs_s, s])[-memory:], y=np.vstack([pairs_y, y])[-memory:],
                      updated=True)
    result.update(_where(new_x, value, new_g))
    return _back(new_x, like), result


def inverse_hessian_estimate(state):
    """The inverse-Hessian estimate of a :func:`bfgs` or :func:`lbfgs` state, as a matrix."""
    _check_state(state)
    if "inverse_hessian" in state:
        return np.array(state["inverse_hessian"], dtype=float)
    if "s" in state and "y" in state:
        pairs_s = np.asarray(state["s"], dtype=float)
        pairs_y = np.asarray(state["y"], dtype=float)
        n = pairs_s.shape[1]
        # Column j of H̃ is H̃·e_j = −(−H̃·e_j): the two-loop recursion applied to e_j.
        return np.column_stack([-_two_loop(e, pairs_s, pairs_y) for e in np.eye(n)])
    raise ValueError("state holds no inverse-Hessian estimate: give the state of a bfgs or "
                     "lbfgs step")


def ellipse(matrix, center=(0.0, 0.0), radius=1.0, points=200):
    """Points of the ellipse {x : (x − c)ᵀ·M⁻¹·(x − c) = r²} for a positive-definite 2×2 M.

    For an inverse-Hessian (estimate) M this is a level set of the quadratic model
    ½·dᵀ·M⁻¹·d around ``center``: long where the curvature is small. Returns (points, 2).
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (2, 2):
        raise ValueError(f"matrix must be 2×2, got shape {matrix.shape}")
    eigenvalues, vectors = np.linalg.eigh(0.5 * (matrix + matrix.T))
    if not np.all(eigenvalues > 0):
        raise ValueError(f"matrix must be positive definite, its eigenvalues are {eigenvalues}")
    radius = checks.real("radius", radius, low=0, low_open=True)
    angle = np.linspace(0.0, 2.0 * np.pi, checks.whole("points", points, low=3))
    circle = np.column_stack([np.cos(angle), np.sin(angle)])
    return np.asarray(center, dtype=float) + radius * circle @ (vectors * np.sqrt(eigenvalues)).T


# ---------------------------------------------------------------------------
# Coordinate descent
# ---------------------------------------------------------------------------


def coordinate_descent(params, grad, state, *, fun, grad_fn):
    """Change one coordinate per step, in turn (x₁, x₂, …, x₁, …), minimising f along it.

    The minimum along the axis is found by a line search to a tight slope tolerance
    (|∂f/∂xᵢ| shrinks by ``COORDINATE_TOLERANCE``); on a quadratic its secant step is that
    minimum exactly. On a separable function (a sum of one function per coordinate, like the
    ravine) one pass over the coordinates finishes the job; where the coordinates are coupled
    each step spoils what the last one achieved, and the path zig-zags.

    The state holds ``t`` (steps taken), ``coordinate`` (the index just changed),
    ``step_size``, ``line_search`` and ``evaluations``.
    """
    _check_state(state)
    fun, grad_fn = _check_function("fun", fun), _check_function("grad_fn", grad_fn)
    x, g, like = _vectors(params, grad)
    counts = _counts(state, x, g)
    t = checks.whole("state['t']", state.get("t", 0), low=0)
    i = t % x.size
    result = {"evaluations": counts, "t": t + 1, "coordinate": i, "step_size": 0.0,
              "line_search": "stationary"}
    if g[i] == 0 or not np.isfinite(g[i]):
        return _back(x, like), result
    direction = np.zeros_like(x)
    direction[i] = -g[i]  # only coordinate i moves
    new_x, value, new_g, alpha, status = _search(
        fun, grad_fn, x, g, direction, state, counts, COORDINATE_TOLERANCE / 10,
        COORDINATE_TOLERANCE)
    result.update(step_size=alpha, line_search=status)
    if new_g is not None:
        result.update(_where(new_x, value, new_g))
    return _back(new_x, like), result


def gauss_seidel_rate(hessian):
    """How fast exact cyclic coordinate descent converges on a quadratic with this Hessian.

    One pass over the coordinates multiplies the error by the Gauss–Seidel matrix
    −(D + L)⁻¹·U (D, L, U the diagonal, lower and upper parts of H); its spectral radius is the
    factor per pass in the long run. 0 for a diagonal H (one pass suffices); for a 2×2 H it is
    h₁₂²/(h₁₁·h₂₂), which tends to 1 as the coordinates become strongly coupled.
    """
    H = np.asarray(hessian, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"hessian must be a square matrix, got shape {H.shape}")
    lower = np.tril(H)
    upper = H - lower
    return float(np.abs(np.linalg.eigvals(-np.linalg.solve(lower, upper))).max())


# ---------------------------------------------------------------------------
# What second order costs for a network
# ---------------------------------------------------------------------------


def second_order_costs(n_params, memory=10, bytes_per_number=4):
    """Memory and arithmetic of one step for ``n_params`` parameters, by method.

    Returns a dict: ``gradient_bytes`` (n numbers), ``hessian_entries`` (n²),
    ``hessian_bytes``, ``lbfgs_bytes`` (2·memory·n numbers), ``solve_flops`` (n³/3, a Cholesky
    factorisation of H, the cheapest exact Newton solve), ``bfgs_update_flops`` (about 4·n²
    for the rank-two update and −H̃·g) and ``lbfgs_flops`` (about 4·memory·n, the two loops).
    """
    n = checks.whole("n_params", n_params, low=1)
    memory = checks.whole("memory", memory, low=1)
    size = checks.whole("bytes_per_number", bytes_per_number, low=1)
    return {
        "n_params": n,
        "gradient_bytes": n * size,
        "hessian_entries": n * n,
        "hessian_bytes": n * n * size,
        "lbfgs_bytes": 2 * memory * n * size,
        "solve_flops": n**3 / 3,
        "bfgs_update_flops": 4 * n * n,
        "lbfgs_flops": 4 * memory * n,
    }
