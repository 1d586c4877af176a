"""Argument checks shared by the whole library.

Every public function checks its numeric arguments before doing any work, and a wrong one gets
an error that names the parameter, repeats the value and says what is allowed:

* ``TypeError`` for a wrong kind of value (a string, None, an array where one number belongs);
* ``ValueError`` for a number out of range (negative, NaN, infinite, outside [0, 1), ...).

Each check returns the value in the form the caller should use (a plain Python float or int),
so callers write ``lr = checks.real("lr", lr, low=0)`` and go on.
"""

import math
import numbers

import numpy as np

__all__ = ["real", "whole", "point", "interval", "flag", "choice", "describe"]


def describe(value):
    """``repr`` of a value, shortened, with its type when the repr alone could mislead."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, bool):
        return f"{text} ({type(value).__name__})"
    return text


def _as_number(name, value, kind):
    # Step functions check their hyper-parameters on every step: plain numbers pass quickly.
    if type(value) is float or type(value) is int:
        return value
    # bool is an int to Python, but lr=True is always a mistake.
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a {kind}, got {describe(value)}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise TypeError(f"{name} must be a single {kind}, got {describe(value)}")
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a {kind}, got {describe(value)}")
    return value


def _range_text(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def real(name, value, *, low=None, high=None, low_open=False, high_open=False, finite=True):
    """``value`` as a float, checked to be a real number in the given range.

    ``low_open``/``high_open`` exclude the bound itself: ``real("gamma", g, low=0, high=1,
    high_open=True)`` allows [0, 1). NaN is never allowed; infinity only with ``finite=False``.
    """
    number = float(_as_number(name, value, "real number"))
    bad = math.isnan(number) or (finite and math.isinf(number))
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        allowed = _range_text(low, high, low_open, high_open)
        if finite and allowed != "finite":
            allowed = f"a finite number {allowed}"
        elif allowed == "finite":
            allowed = "a finite number"
        raise ValueError(f"{name} must be {allowed}, got {describe(value)}")
    return number


def whole(name, value, *, low=None, high=None):
    """``value`` as an int, checked to be a whole number in [low, high]."""
    number = _as_number(name, value, "whole number")
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(f"{name} must be a whole number, got {describe(value)}")
    if isinstance(number, float):
        number = int(number)
    number = int(number)
    if (low is not None and number < low) or (high is not None and number > high):
        allowed = _range_text(low, high, False, False)
        raise ValueError(f"{name} must be a whole number {allowed}, got {describe(value)}")
    return number


def point(name, value, dim=2):
    """``value`` as a float array of shape (dim,), every coordinate finite."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {dim} numbers, got {describe(value)}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {dim} numbers, got {describe(value)}") from None
    if array.shape != (dim,):
        raise ValueError(f"{name} must be {dim} numbers, got {describe(value)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must have finite coordinates, got {describe(value)}")
    return array


def interval(name, value):
    """``value`` as two finite floats ``(low, high)`` with low < high (axis limits, a range)."""
    vector = isinstance(value, np.ndarray) and value.ndim == 1
    if not (isinstance(value, (tuple, list)) or vector):
        raise TypeError(f"{name} must be two numbers (low, high), got {describe(value)}")
    if len(value) != 2:
        raise ValueError(f"{name} must be two numbers (low, high), got {describe(value)}")
    low, high = (real(f"{name}[{i}]", v) for i, v in enumerate(value))
    if not low < high:
        raise ValueError(f"{name} must have low < high, got ({low:g}, {high:g})")
    return low, high


def flag(name, value):
    """``value`` checked to be True or False (numpy's bool too), returned as a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def choice(name, value, choices):
    """``value`` checked to be one of ``choices`` (compared as given)."""
    if value not in choices:
        known = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {known}; got {describe(value)}")
    return value
