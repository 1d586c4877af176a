"""Weight initializers.

Every initializer has the signature ``init(shape, rng=None, ...)`` and returns a float64 array of
that shape. ``rng`` is a ``numpy.random.Generator`` (``None``: a fresh ``np.random.default_rng()``),
so a seeded generator makes a network's starting point reproducible.

The idea behind Glorot and He: pick Var(W) so that the variance of the signal neither grows nor
shrinks from layer to layer, forward (activations) and backward (gradients).
"""

import math
import operator

import numpy as np

from . import checks

# Standard deviation of N(0, 1) truncated to [−2, 2]: √(1 − 4·φ(2) / (2·Φ(2) − 1)) = √0.7737…
# Dividing σ by it before truncating restores the requested variance (the value Keras uses).
TRUNCATED_NORMAL_STD_FACTOR = 0.87962566103423978


# ---------------------------------------------------------------------------
# Argument checks: every bad value names its parameter.
# ---------------------------------------------------------------------------


# An array this large is a mistake in a course about small networks (and would fill the memory).
MAX_SIZE = 10**8


def _check_shape(shape):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    try:
        if isinstance(shape, (str, bytes)) or any(isinstance(n, (bool, np.bool_)) for n in shape):
            raise TypeError
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(
            f"shape must be a tuple of integers, got {checks.describe(shape)}") from None
    if any(n <= 0 for n in shape):
        raise ValueError(f"shape must have positive dimensions, got {shape!r}")
    if math.prod(shape) > MAX_SIZE:
        raise ValueError(f"shape must have at most {MAX_SIZE:.0e} entries, got {shape!r}")
    return shape


def _check_positive(name, value):
    return checks.real(name, value, low=0, low_open=True)


def _as_generator(rng, name="rng"):
    """A Generator from ``rng``: a Generator (used as it is), None (fresh entropy) or a seed."""
    if rng is None or isinstance(rng, (np.random.Generator, np.random.BitGenerator,
                                       np.random.SeedSequence)):
        return np.random.default_rng(rng)
    return np.random.default_rng(checks.whole(name, rng, low=0))


def _check_spread(name, value, spread, mean=0.0):
    """``name``=``value`` gives draws within mean ± spread: that must stay finite."""
    if not math.isfinite(abs(mean) + spread):
        raise ValueError(f"{name}={value!r} is too large: the draws would overflow to infinity")


# ---------------------------------------------------------------------------
# Fans
# ---------------------------------------------------------------------------


def calc_fan(shape):
    """Return ``(fan_in, fan_out)``: inputs feeding one unit, outputs fed by one input.

    * dense weights ``(n_in, n_out)``, used as ``x @ W`` like in the course's layers:
      ``fan_in = n_in``, ``fan_out = n_out``;
    * convolution kernels in torch's layout ``(out_channels, in_channels, *kernel)``: the
      receptive field size ``r = prod(kernel)`` multiplies both,
      ``fan_in = in_channels·r``, ``fan_out = out_channels·r``;
    * 1-D shapes ``(n,)`` (a bias, say): ``fan_in = fan_out = n``; ``()``: ``(1, 1)``.

    Note that torch stores dense weights as ``(n_out, n_in)``; here they are ``(n_in, n_out)``.
    """
    shape = _check_shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[2:]))
    return shape[1] * receptive_field, shape[0] * receptive_field


# ---------------------------------------------------------------------------
# Plain random initializers
# ---------------------------------------------------------------------------


def random_uniform(shape, rng=None, low=-0.05, high=0.05):
    """Draws from Uniform(low, high): mean (low + high)/2, variance (high − low)²/12."""
    shape = _check_shape(shape)
    low, high = checks.real("low", low), checks.real("high", high)
    if not low < high:
        raise ValueError(f"low must be < high, got low={low!r}, high={high!r}")
    if not math.isfinite(high - low):
        raise ValueError(f"high - low must be finite, got low={low!r}, high={high!r}")
    return _as_generator(rng).uniform(low, high, size=shape)


def random_normal(shape, rng=None, mean=0.0, std=0.05):
    """Draws from N(mean, std²), not truncated."""
    shape = _check_shape(shape)
    mean = checks.real("mean", mean)
    std = _check_positive("std", std)
    _check_spread("std", std, 10.0 * std, mean)  # 10σ: never reached by a draw in practice
    return _as_generator(rng).normal(mean, std, size=shape)


def truncated_normal(shape, rng=None, mean=0.0, std=1.0):
    """Normal draws cut at ±2σ around ``mean``, with variance exactly ``std²``.

    Cutting N(0, σ²) at ±2σ removes the tails and leaves variance 0.7737·σ², so
    σ = std / 0.87962566103423978 is used (0.8796² = 0.7737) and the result has variance std².
    Draws outside mean ± 2σ are drawn again until none are left (about 4.6 % per round).

    Erratum: the lecture truncates with σ = std itself, which leaves Glorot and He normal
    23 % below their target variance.
    """
    shape = _check_shape(shape)
    mean = checks.real("mean", mean)
    std = _check_positive("std", std)
    _check_spread("std", std, 2.0 * std / TRUNCATED_NORMAL_STD_FACTOR, mean)
    rng = _as_generator(rng)
    sigma = std / TRUNCATED_NORMAL_STD_FACTOR
    samples = rng.normal(0.0, sigma, size=shape)
    outside = np.abs(samples) > 2.0 * sigma
    while outside.any():
        samples[outside] = rng.normal(0.0, sigma, size=int(outside.sum()))
        outside = np.abs(samples) > 2.0 * sigma
    return mean + samples


# ---------------------------------------------------------------------------
# Glorot (Xavier) and He (Kaiming)
# ---------------------------------------------------------------------------


def _gain_var(gain, fan):
    """gain²·2/fan, the target variance; a gain so large that it overflows is an error."""
    gain = _check_positive("gain", gain)
    var = gain * gain * 2.0 / fan
    if var == 0.0:
        raise ValueError(f"gain={gain!r} is too small: the variance underflows to 0")
    _check_spread("gain", gain, 10.0 * math.sqrt(3.0 * var))  # 10 × the uniform limit √(3·var)
    return var


def _glorot_var(shape, gain):
    fan_in, fan_out = calc_fan(shape)
    return _gain_var(gain, fan_in + fan_out)


def _he_var(shape, gain):
    fan_in, _ = calc_fan(shape)
    return _gain_var(gain, fan_in)


def _uniform_with_var(shape, rng, var):
    # Uniform(−a, a) has variance a²/3, so a = √(3·var).
    limit = np.sqrt(3.0 * var)
    return random_uniform(shape, rng, low=-limit, high=limit)


def glorot_uniform(shape, rng=None, gain=1.0):
    """Glorot/Xavier uniform: Uniform(−a, a), a = gain·√(6 / (fan_in + fan_out)).

    Var(W) = gain²·2/(fan_in + fan_out): forward, Var(z) = fan_in·Var(W)·Var(x) is kept by
    Var(W) = 1/fan_in; backward, the gradients are kept by 1/fan_out; 2/(fan_in + fan_out) is
    the compromise between the two.
    """
    shape = _check_shape(shape)
    return _uniform_with_var(shape, rng, _glorot_var(shape, gain))


def glorot_normal(shape, rng=None, gain=1.0):
    """Glorot/Xavier normal: truncated normal with std = gain·√(2 / (fan_in + fan_out)).

    Same variance as ``glorot_uniform`` (see there for why). Erratum: the lecture notes give the
    Xavier variance as 1/√n and this std as gain²·2/(fan_in + fan_out); the variance is
    1/fan_in (forward only) or 2/(fan_in + fan_out), and the std is its square root.
    """
    shape = _check_shape(shape)
    return truncated_normal(shape, rng, std=np.sqrt(_glorot_var(shape, gain)))


def he_uniform(shape, rng=None, gain=1.0):
    """He/Kaiming uniform: Uniform(−a, a), a = gain·√(6 / fan_in); made for relu.

    Var(W) = gain²·2/fan_in: relu zeroes half of z, so E[a²] = Var(z)/2 and keeping
    Var(z) = fan_in·Var(W)·E[a²] constant asks for Var(W) = 2/fan_in.
    """
    shape = _check_shape(shape)
    return _uniform_with_var(shape, rng, _he_var(shape, gain))


def he_normal(shape, rng=None, gain=1.0):
    """He/Kaiming normal: truncated normal with std = gain·√(2 / fan_in); made for relu.

    Same variance as ``he_uniform`` (see there for why). Erratum: the lecture's docstring
    says std = 2/fan_in; that is the variance, the std is √(2/fan_in).
    """
    shape = _check_shape(shape)
    return truncated_normal(shape, rng, std=np.sqrt(_he_var(shape, gain)))


INITIALIZERS = {
    "random_uniform": random_uniform,
    "random_normal": random_normal,
    "truncated_normal": truncated_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get_initializer(name_or_callable):
    """Return an initializer: a name in ``INITIALIZERS``, or a callable passed through unchanged.

    Options are not parsed out of strings; for non-default arguments pass a callable,
    e.g. ``functools.partial(glorot_uniform, gain=2.0)``.
    """
    if callable(name_or_callable):
        return name_or_callable
    if not isinstance(name_or_callable, str) or name_or_callable not in INITIALIZERS:
        known = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown initializer {name_or_callable!r}; known names: {known}")
    return INITIALIZERS[name_or_callable]
