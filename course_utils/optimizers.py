"""The classic optimizers as pure step functions.

Every optimizer has the same shape::

    new_params, new_state = step(params, grad, state, **hyperparams)

``params`` and ``grad`` are numpy arrays of any shape, ``state`` is a dict (``{}`` before the
first step). Nothing passed in is modified, so one run can never leak into another. The update
rules follow the torch.optim documentation: the same step moves the point on a 2-D contour plot
and trains the MNIST network.
"""

import inspect
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from . import checks

# ---------------------------------------------------------------------------
# Hyper-parameter checks: every bad value names itself and its valid range.
# ---------------------------------------------------------------------------

# Each check returns a plain Python float: numpy treats it as a "weak" scalar, so a float32
# network stays float32 even when a hyper-parameter arrives as np.float64.


def _check_lr(lr):
    return checks.real("lr", lr, low=0)


def _check_decay(name, value):
    return checks.real(name, value, low=0, high=1, high_open=True)


def _check_eps(eps):
    return checks.real("eps", eps, low=0, low_open=True)


def _as_float(params, grad):
    # Keep the caller's float precision (float32 for the MNIST network); integers become float64.
    if (type(params) is np.ndarray and type(grad) is np.ndarray and params.dtype == grad.dtype
            and params.dtype.kind == "f" and params.shape == grad.shape):
        return params, grad  # already right: the common case, on every step of a path
    for name, value in (("params", params), ("grad", grad)):
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a numeric array, got {checks.describe(value)}")
    params, grad = np.asarray(params), np.asarray(grad)
    for name, value in (("params", params), ("grad", grad)):
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise TypeError(f"{name} must be a numeric array, got dtype {value.dtype}")
    dtype = np.result_type(params.dtype, grad.dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    params, grad = params.astype(dtype, copy=False), grad.astype(dtype, copy=False)
    if params.shape != grad.shape:
        raise ValueError(f"grad has shape {grad.shape}, params have shape {params.shape}")
    return params, grad


def _state(state, key, params, default=0.0):
    """``state[key]`` (``default`` before the first step), checked against the params' shape.

    A state saved from parameters of another shape would otherwise be broadcast silently; a
    plain number (AdaGrad started from G = ε, say) applies to every entry.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict ({{}} before the first step), got "
                        f"{checks.describe(state)}")
    if key not in state:
        return default
    value = np.asarray(state[key])
    if value.shape != params.shape and value.ndim != 0:  # a number applies to every entry
        raise ValueError(f"state[{key!r}] has shape {value.shape}, params have shape "
                         f"{params.shape}: this state belongs to other parameters")
    return value


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
    v = gamma * _state(state, "v", params) + lr * grad
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
    v = gamma * _state(state, "v", params) + grad
    return params - lr * (grad + gamma * v), {"v": v}


def adagrad(params, grad, state, *, lr=0.01, eps=1e-10):
    """AdaGrad: G ← G + g²;  θ ← θ − η·g / (√G + ε)."""
    lr = _check_lr(lr)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    G = _state(state, "G", params) + grad * grad
    return params - lr * grad / (np.sqrt(G) + eps), {"G": G}


def rmsprop(params, grad, state, *, lr=0.01, gamma=0.99, eps=1e-8):
    """RMSProp: E[g²] ← γ·E[g²] + (1 − γ)·g²;  θ ← θ − η·g / (√E[g²] + ε)."""
    lr = _check_lr(lr)
    gamma = _check_decay("gamma", gamma)
    eps = _check_eps(eps)
    params, grad = _as_float(params, grad)
    s = gamma * _state(state, "s", params) + (1.0 - gamma) * grad * grad
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
    r = rho * _state(state, "r", params) + (1.0 - rho) * grad * grad
    u = _state(state, "u", params, np.zeros_like(grad))
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
    m = beta1 * _state(state, "m", params) + (1.0 - beta1) * grad
    n = beta2 * _state(state, "n", params) + (1.0 - beta2) * grad * grad
    t = checks.whole("state['t']", state.get("t", 0), low=0) + 1
    m_hat = m / (1.0 - beta1**t)
    n_hat = n / (1.0 - beta2**t)
    return params - lr * m_hat / (np.sqrt(n_hat) + eps), {"m": m, "n": n, "t": t}



# ---------------------------------------------------------------------------
# One record per optimizer
# ---------------------------------------------------------------------------


class SliderRange(NamedTuple):
    """A hyper-parameter's slider: ``low``..``high`` in steps of ``step``.

    ``log=True``: the bounds and step are base-10 exponents (``eps`` from 1e-10 to 1e-1).
    """

    low: float
    high: float
    step: float
    log: bool = False


# The usual range of each hyper-parameter; a record overrides what it needs.
SLIDER_RANGES = {
    "lr": SliderRange(0.0, 1.0, 0.01),
    "gamma": SliderRange(0.0, 0.99, 0.01),
    "rho": SliderRange(0.0, 0.99, 0.01),
    "beta1": SliderRange(0.0, 0.99, 0.01),
    "beta2": SliderRange(0.9, 0.999, 0.001),
    "eps": SliderRange(-10.0, -1.0, 0.5, log=True),
}

# Step functions may ask for more than the gradient; train_2d passes these from the surface.
SURFACE_ARGUMENTS = ("fun", "grad_fn", "hess")


@dataclass(frozen=True)
class Optimizer:
    """Everything the course knows about one optimizer, in one place.

    ``name`` (registry key), ``step`` (the step function), ``label`` (display name),
    ``color`` and ``marker`` (the same in every figure of the course), ``ranges`` (slider
    range per hyper-parameter, overriding ``SLIDER_RANGES``). Calling the record calls its
    step function, so ``OPTIMIZERS["adam"](params, grad, {}, lr=0.1)`` is one Adam step.
    """

    name: str
    step: Callable
    label: str
    color: str
    marker: str
    ranges: dict = field(default_factory=dict)

    def __call__(self, params, grad, state, **hyperparams):
        return self.step(params, grad, state, **hyperparams)

    @property
    def defaults(self):
        """Hyper-parameters and their defaults, in signature order (surface arguments left out)."""
        return {
            name: p.default
            for name, p in inspect.signature(self.step).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in SURFACE_ARGUMENTS
        }

    @property
    def needs(self):
        """What the step needs from the surface besides the gradient: names in SURFACE_ARGUMENTS."""
        parameters = inspect.signature(self.step).parameters
        return tuple(name for name in SURFACE_ARGUMENTS if name in parameters)

    def slider_range(self, hyperparameter):
        """The slider range of ``hyperparameter`` for this optimizer."""
        if hyperparameter in self.ranges:
            return SliderRange(*self.ranges[hyperparameter])
        return SLIDER_RANGES.get(hyperparameter, SliderRange(0.0, 1.0, 0.01))


# Colours: Petroff's 10-colour sequence for colour-vision deficiencies (matplotlib's
# "petroff10"), plus black for plain gradient descent; each optimizer also has a marker of its
# own, so paths stay apart in greyscale and on a washed-out projector.
OPTIMIZERS = {
    record.name: record
    for record in (
        Optimizer("sgd", sgd, "SGD", "#000000", "o"),
        Optimizer("momentum", momentum, "Momentum", "#3f90da", "s"),
        Optimizer("nesterov", nesterov, "Nesterov", "#92dadd", "^"),
        Optimizer("adagrad", adagrad, "AdaGrad", "#b9ac70", "D", {"lr": (0.0, 2.0, 0.01)}),
        Optimizer("rmsprop", rmsprop, "RMSProp", "#717581", "v"),
        Optimizer("adadelta", adadelta, "AdaDelta", "#832db6", "P", {"lr": (0.0, 5.0, 0.05)}),
        Optimizer("adam", adam, "Adam", "#bd1f01", "X", {"lr": (0.0, 2.0, 0.01)}),
    )
}


def get_optimizer(optimizer):
    """The :class:`Optimizer` record for a registry name, a record, or a step function.

    A step function of one's own gets a record on the fly (its ``__name__`` as label, grey).
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        try:
            return OPTIMIZERS[optimizer.lower()]
        except KeyError:
            known = ", ".join(OPTIMIZERS)
            raise ValueError(
                f"unknown optimizer {optimizer!r}; known optimizers: {known}") from None
    if callable(optimizer):
        for record in OPTIMIZERS.values():
            if record.step is optimizer:
                return record
        name = getattr(optimizer, "__name__", "optimizer")
        return Optimizer(name, optimizer, name, "#555555", "o")
    raise TypeError(f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or a step function, "
                    f"got {checks.describe(optimizer)}")


def hyperparameters(optimizer):
    """Names and defaults of an optimizer's hyper-parameters, in signature order."""
    return get_optimizer(optimizer).defaults


def check_hyperparameters(optimizer, hyperparams):
    """``ValueError`` for a hyper-parameter ``optimizer`` does not take, listing those it does."""
    record = get_optimizer(optimizer)
    known = record.defaults
    parameters = inspect.signature(record.step).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return  # a step function of one's own with **hyperparams takes whatever it is given
    unknown = sorted(set(hyperparams) - set(known))
    if unknown:
        raise ValueError(
            f"{record.name} takes no hyper-parameter {', '.join(unknown)}; "
            f"its hyper-parameters are: {', '.join(known) or 'none'}"
        )
