"""Loss functions, each with its gradient.

Every loss has the same shape::

    loss, grad = mse(y_pred, y_true)

``loss`` is a Python float, the mean over all elements (for cross-entropy: over the rows, one
row a sample); ``grad`` is d loss / d(first argument), an array shaped like it, in its float
precision (a float32 network stays float32). The values are those of torch.nn.functional's
``l1_loss``, ``mse_loss``, ``binary_cross_entropy`` and ``cross_entropy`` with their default mean
reduction. Bad input (shapes that differ, labels out of range, probabilities outside [0, 1])
raises before any work, naming the argument.
"""

import numpy as np

from . import checks

__all__ = ["mae", "mse", "binary_cross_entropy", "softmax_cross_entropy", "LOG_FLOOR",
           "BCE_EPSILON"]

# Binary cross-entropy at p = 0 or 1 is log(0): like torch, every log is clamped at -100, so
# the loss stays finite (a wrong answer with full confidence costs 100), and the gradient's
# denominator p·(1 − p) is kept at least 1e-12 (torch's constant is the float32 nearest 1e-12).
LOG_FLOOR = -100.0
BCE_EPSILON = float(np.float32(1e-12))


def _float_array(name, value):
    """``value`` as a float array (float32 stays float32, integers become float64)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {checks.describe(value)}")
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.size == 0:
        raise ValueError(f"{name} is empty: a mean over no elements is undefined")
    return array


def _pair(first, a, second, b):
    """Two arrays of one shape, in the first one's precision."""
    a, b = _float_array(first, a), _float_array(second, b)
    if a.shape != b.shape:
        raise ValueError(f"{first} has shape {a.shape} but {second} has shape {b.shape}; "
                         "they must be the same")
    return a, b.astype(a.dtype, copy=False)


def _within_unit_interval(name, array):
    if not np.all((array >= 0) & (array <= 1)):  # also catches NaN
        bad = array[~((array >= 0) & (array <= 1))].flat[0]
        raise ValueError(f"{name} must hold probabilities in [0, 1], got {float(bad)!r}")


def mae(y_pred, y_true):
    """Mean absolute error L = mean |ŷ − y| and dL/dŷ = sign(ŷ − y) / N.

    The gradient has the same size wherever ŷ ≠ y: a far outlier pulls no harder than a near
    point, which makes MAE robust. At ŷ = y the gradient is 0 (as in torch).
    """
    y_pred, y_true = _pair("y_pred", y_pred, "y_true", y_true)
    diff = y_pred - y_true
    return float(np.mean(np.abs(diff))), np.sign(diff) / diff.size


def mse(y_pred, y_true):
    """Mean squared error L = mean (ŷ − y)² and dL/dŷ = 2·(ŷ − y) / N.

    The gradient grows with the error: a point twice as far pulls twice as hard.
    """
    y_pred, y_true = _pair("y_pred", y_pred, "y_true", y_true)
    diff = y_pred - y_true
    return float(np.mean(diff * diff)), (2 / diff.size) * diff


def binary_cross_entropy(p, t):
    """L = −mean[t·log p + (1 − t)·log(1 − p)] for probabilities p and targets t in [0, 1].

    dL/dp = (p − t) / (p·(1 − p)) / N. Clipping, as torch does: each log is clamped at −100 and
    p·(1 − p) at 1e-12, so p = 0 or 1 gives a finite loss and gradient. Through a sigmoid,
    p = σ(z), the chain rule cancels the denominator: dL/dz = (p − t) / N.
    """
    p, t = _pair("p", p, "t", t)
    _within_unit_interval("p", p)
    _within_unit_interval("t", t)
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped next
        log_p = np.maximum(np.log(p), LOG_FLOOR)
        log_q = np.maximum(np.log1p(-p), LOG_FLOOR)
    loss = -np.mean(t * log_p + (1 - t) * log_q)
    grad = (p - t) / np.maximum(p * (1 - p), BCE_EPSILON) / p.size
    return float(loss), grad.astype(p.dtype, copy=False)


def _check_labels(logits, labels):
    if isinstance(labels, (str, bytes)) or labels is None:
        raise TypeError(f"labels must be an array of class numbers, got {checks.describe(labels)}")
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be whole class numbers, got dtype {labels.dtype}")
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (one row per sample), got shape {logits.shape}")
    if labels.shape != (len(logits),):
        raise ValueError(f"labels has shape {labels.shape} but logits has {len(logits)} rows; "
                         "give one label per row")
    n_classes = logits.shape[1]
    low, high = labels.min(), labels.max()
    if low < 0 or high >= n_classes:
        bad = low if low < 0 else high
        raise ValueError(f"labels must be in [0, {n_classes}) for {n_classes} classes, "
                         f"got {int(bad)}")
    return labels


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    L = mean_i [log Σ_j e^(z_ij) − z_i,y_i].  The log-sum-exp is taken after subtracting each
    row's maximum, so logits of ±1000 neither overflow nor give log(0).  The gradient is
    dL/dz = (softmax(z) − one_hot(y)) / m for a batch of m rows.
    """
    logits = _float_array("logits", logits)
    labels = _check_labels(logits, labels)
    m = len(labels)
    rows = np.arange(m)
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):  # e^(-2000) rounding to 0 is the right answer
        exp = np.exp(shifted)
    total = exp.sum(axis=1)
    loss = np.mean(np.log(total) - shifted[rows, labels])
    dlogits = exp / total[:, None]  # softmax(z)
    dlogits[rows, labels] -= 1
    dlogits /= m
    return float(loss), dlogits
