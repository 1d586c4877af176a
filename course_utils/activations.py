"""Activation functions and their derivatives.

Each ``*_grad`` is the derivative with respect to the input ``z``, evaluated elementwise, so the
backward pass of a layer ``a = f(z)`` is ``dz = da * f_grad(z)``. At the kink of relu and leaky
relu (z = 0) the derivative is taken from the left, as torch does.
"""

import numpy as np


def _float_dtype(z):
    # float32 in, float32 out (a float32 network must stay float32); integers become float64.
    return z.dtype if np.issubdtype(z.dtype, np.floating) else np.dtype(np.float64)


def relu(z):
    """relu(z) = max(z, 0)."""
    return np.maximum(np.asarray(z), 0)


def relu_grad(z):
    """relu'(z) = 1 for z > 0, else 0."""
    z = np.asarray(z)
    return (z > 0).astype(_float_dtype(z))


def sigmoid(z):
    """sigmoid(z) = 1 / (1 + e^(−z)).

    Written with e^(−|z|) only, which lies in (0, 1], so no large |z| can overflow:
    for z ≥ 0 it is 1 / (1 + e^(−z)), for z < 0 the equal form e^z / (1 + e^z).
    """
    z = np.asarray(z)
    with np.errstate(under="ignore"):  # e^(−1000) rounding to 0 is the right answer
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    """sigmoid'(z) = sigmoid(z)·(1 − sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)) = 2·sigmoid(2z) − 1."""
    return np.tanh(z)


def tanh_grad(z):
    """tanh'(z) = 1 − tanh(z)²."""
    t = np.tanh(z)
    return 1.0 - t * t


def leaky_relu(z, alpha=0.01):
    """leaky_relu(z) = z for z > 0, else α·z: a small slope keeps negative units learning."""
    z = np.asarray(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=0.01):
    """leaky_relu'(z) = 1 for z > 0, else α."""
    z = np.asarray(z)
    dtype = _float_dtype(z)
    return np.where(z > 0, dtype.type(1.0), dtype.type(alpha))


def linear(z):
    """The identity, for output layers without an activation."""
    return np.asarray(z)


def linear_grad(z):
    """The identity's derivative: ones."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=_float_dtype(z))


def softmax(z, axis=-1):
    """softmax(z)_i = e^(z_i) / Σ_j e^(z_j), along ``axis``.

    Subtracting max(z) first changes nothing (the factor e^(−max) cancels) but keeps every
    exponent ≤ 0, so nothing overflows. Its derivative is a Jacobian, not an elementwise
    function; with cross-entropy the combined gradient is simply p − y.
    """
    z = np.asarray(z)
    z = z.astype(_float_dtype(z), copy=False)
    with np.errstate(under="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# name -> (function, derivative); leaky_relu with its default slope α = 0.01.
ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "linear": (linear, linear_grad),
}


# The same derivatives written with the output a = f(z), which a network's forward pass has
# already computed, so its backward pass need not evaluate f again. relu and leaky relu read
# the sign of a: a > 0 exactly where z > 0 (for a slope α > 0).


def sigmoid_grad_from_output(a):
    """sigmoid'(z) = a·(1 − a) with a = sigmoid(z)."""
    if not (isinstance(a, np.ndarray) and a.ndim):
        return a * (1.0 - a)
    out = np.subtract(1.0, a)
    out *= a  # in place: one new array instead of two (the same numbers)
    return out


def tanh_grad_from_output(a):
    """tanh'(z) = 1 − a² with a = tanh(z)."""
    if not (isinstance(a, np.ndarray) and a.ndim):
        return 1.0 - a * a
    out = np.multiply(a, a)
    return np.subtract(1.0, out, out=out)  # in place: one new array instead of two


DERIVATIVES_FROM_OUTPUT = {
    "relu": relu_grad,
    "sigmoid": sigmoid_grad_from_output,
    "tanh": tanh_grad_from_output,
    "leaky_relu": leaky_relu_grad,
    "linear": linear_grad,
}


def get_activation(name):
    """Return ``(function, derivative)`` for a name in ``ACTIVATIONS``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known names: {known}")
    return ACTIVATIONS[name]


# One colour per activation for every figure that compares them (notebooks 01 and 02).
ACTIVATION_COLORS = {
    "relu": "#1f77b4",
    "sigmoid": "#ff7f0e",
    "tanh": "#2ca02c",
    "leaky_relu": "#9467bd",
    "linear": "#7f7f7f",
}
