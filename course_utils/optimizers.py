"""The classic optimizers as pure step functions.

Every optimizer has the same shape::

    new_params, new_state = step(params, grad, state, **hyperparams)

``params`` and ``grad`` are numpy arrays of any shape, ``state`` is a dict (``{}`` before the
first step). Nothing passed in is modified, so one run can never leak into another. The update
rules follow the torch.optim documentation: the same step moves the point on a 2-D contour plot
and trains the MNIST network.
"""

import inspect

import numpy as np

# ---------------------------------------------------------------------------
# Hyper-parameter checks: every bad value names itself and its valid range.
# ---------------------------------------------------------------------------


# Each check returns a plain Python float: numpy treats it as a "weak" scalar, so a float32
# network stays float32 even when a hyper-parameter arrives as np.float64.


def _check_lr(lr):
    if not np.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")
    return float(lr)


def _check_decay(name, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def _check_eps(eps):
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    return float(eps)


def _as_float(params, grad):
    # Keep the caller's float precision (float32 for the MNIST network); integers become float64.
    params, grad = np.asarray(params), np.asarray(grad)
    dtype = np.result_type(params.dtype, grad.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    params, grad = params.astype(dtype, copy=False), grad.astype(dtype, copy=False)
    if params.shape != grad.shape:
        raise ValueError(f"grad has shape {grad.shape}, params have shape {params.shape}")
    return params, grad


# ---------------------------------------------------------------------------
# Step functions
# ---------------------------------------------------------------------------


def sgd(params, grad, state, *, lr=0.01):
    """Plain gradient descent: θ ← θ − η·g."""
    lr = _check_lr(lr)
    params, grad = _as_float(params, grad)
    return params - lr * grad, {}


def momentum(params, grad, state, *, lr=0.01, gamma=0.9):
    """Heavy ball: v ← γ·v + η·g;  θ ← θ − v.

    The velocity already carries the learning rate; at constant lr this is the same
    sequence of points as torch.optim.SGD(momentum=γ).
    """
    lr = _check_lr(lr)
    gamma = _check_decay("gamma", gamma)
    params, grad = _as_float(params, grad)
    v = gamma * state.get("v", 0.0) + lr * grad
    return params - v, {"v": v}


def nesterov(params, grad, state, *, lr=0.01, gamma=0.9):
    """Nesterov momentum in torch's form (gradient taken at the current point).

    v ← γ·v + g;  θ ← θ − η·(g + γ·v).  This is the look-ahead update
    v' = γ·v' − η·∇L(θ + γ·v') rewritten in the shifted variable θ + γ·v', so the point
    plotted is the look-ahead point itself.
    """
    lr = _check_lr(lr)
    gamma = _check_decay("gamma", gamma)
    params, grad = _as_float(params, grad)
    v = gamma * state.get("v", 0.0) + grad
    return params - lr * (grad + gamma * v), {"v": v}


def adagrad(params, grad, state, *, lr=0.01, eps=1e-10):
    """AdaGrad: G ← G + g²;  θ ← θ − η·g / (√G + ε)."""
    lr = _check_lr(lr)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    G = state.get("G", 0.0) + grad * grad
    return params - lr * grad / (np.sqrt(G) + eps), {"G": G}


def rmsprop(params, grad, state, *, lr=0.01, gamma=0.99, eps=1e-8):
    """RMSProp: E[g²] ← γ·E[g²] + (1 − γ)·g²;  θ ← θ − η·g / (√E[g²] + ε)."""
    lr = _check_lr(lr)
    gamma = _check_decay("gamma", gamma)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    s = gamma * state.get("s", 0.0) + (1.0 - gamma) * grad * grad
    return params - lr * grad / (np.sqrt(s) + eps), {"s": s}


def adadelta(params, grad, state, *, rho=0.9, eps=1e-6, lr=1.0):
    """AdaDelta: no learning rate of its own (lr only scales the step, 1 by default).

    r ← ρ·r + (1 − ρ)·g²;  Δ ← √(u + ε) / √(r + ε) · g;  θ ← θ − lr·Δ;
    u ← ρ·u + (1 − ρ)·Δ².  ε sits inside both square roots, so the very first
    steps are about √ε long.
    """
    lr = _check_lr(lr)
    rho = _check_decay("rho", rho)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    r = rho * state.get("r", 0.0) + (1.0 - rho) * grad * grad
    u = state.get("u", np.zeros_like(grad))
    delta = np.sqrt(u + eps) / np.sqrt(r + eps) * grad
    u = rho * u + (1.0 - rho) * delta * delta
    return params - lr * delta, {"r": r, "u": u}


def adam(params, grad, state, *, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam: moving averages of g and g², each divided by (1 − βᵗ) to undo the zero start.

    m ← β₁·m + (1 − β₁)·g;  n ← β₂·n + (1 − β₂)·g²;
    m̂ = m / (1 − β₁ᵗ);  n̂ = n / (1 − β₂ᵗ);  θ ← θ − η·m̂ / (√n̂ + ε).
    """
    lr = _check_lr(lr)
    beta1 = _check_decay("beta1", beta1)
    beta2 = _check_decay("beta2", beta2)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * grad
    n = beta2 * state.get("n", 0.0) + (1.0 - beta2) * grad * grad
    m_hat = m / (1.0 - beta1**t)
    n_hat = n / (1.0 - beta2**t)
    return params - lr * m_hat / (np.sqrt(n_hat) + eps), {"m": m, "n": n, "t": t}


OPTIMIZERS = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adadelta": adadelta,
    "adam": adam,
}


def get_optimizer(optimizer):
    """Return the step function for a registry name, or the callable itself."""
    if callable(optimizer):
        return optimizer
    try:
        return OPTIMIZERS[str(optimizer).lower()]
    except KeyError:
        known = ", ".join(OPTIMIZERS)
        raise ValueError(f"unknown optimizer {optimizer!r}; known optimizers: {known}") from None


def hyperparameters(optimizer):
    """Names and defaults of an optimizer's hyper-parameters, in signature order."""
    step = get_optimizer(optimizer)
    return {
        name: p.default
        for name, p in inspect.signature(step).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


DISPLAY_NAMES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp",
    "adadelta": "AdaDelta",
    "adam": "Adam",
}
