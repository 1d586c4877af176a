"""Reverse-mode automatic differentiation in a few lines: a tape.

Every operation on a :class:`Var` computes its value *and* writes one record on the tape: its
output, its inputs, and how to send a gradient from the output back to each input (the
vector-Jacobian product, "VJP": for Y = X·W that is dX = dY·Wᵀ, dW = Xᵀ·dY). ``tape.gradient``
then plays the records backwards, from the loss (gradient 1) to the inputs, adding up the
contributions of every path: the chain rule, applied mechanically. This is what torch's
autograd does, with many more operations and much more care::

    tape = Tape()
    W, b = tape.var(W0), tape.var(b0)
    loss = mse(sigmoid(X @ W + b), y)
    dW, db = tape.gradient(loss, [W, b])

Operations: ``+ - *`` and ``@`` (``add``, ``mul``, ``matmul``, with numpy broadcasting),
``sum``, ``mean``, ``exp``, ``log``, ``sigmoid``, ``tanh``, ``relu``, and the losses ``mse``
and ``softmax_cross_entropy``. ``tape.operations()`` lists what was recorded.
:func:`check_operation` checks an operation of one's own (an exercise).
"""

import numpy as np

from . import activations, losses

__all__ = ["Tape", "Var", "add", "mul", "matmul", "sum", "mean", "exp", "log", "sigmoid", "tanh",
           "relu", "mse", "softmax_cross_entropy", "check_operation"]


class Tape:
    """The list of operations in the order they ran."""

    def __init__(self):
        self.records = []

    def var(self, value):
        """An input to differentiate with respect to (a float64 copy of ``value``)."""
        return Var(np.array(value, dtype=np.float64), self)

    def record(self, op, value, inputs, vjp):
        """Write one operation: its name, its result (returned as a new Var), inputs and VJP."""
        out = Var(value, self)
        self.records.append((op, out, inputs, vjp))
        return out

    def operations(self):
        """The names of the recorded operations, in the order they ran."""
        return [op for op, *_ in self.records]

    def gradient(self, output, wrt):
        """d output / d each of ``wrt`` (a list of Vars): one backward pass over the tape."""
        if not isinstance(output, Var) or output.tape is not self:
            raise ValueError("output must be a Var computed on this tape")
        if output.value.size != 1:
            raise ValueError(f"output must be a scalar (a loss), got shape {output.value.shape}")
        adjoint = {id(output): np.ones_like(output.value)}
        for _, out, inputs, vjp in reversed(self.records):
            g = adjoint.pop(id(out), None)
            if g is None:
                continue  # this result does not reach the output
            for x, gx in zip(inputs, vjp(g), strict=True):
                if isinstance(x, Var):
                    adjoint[id(x)] = adjoint.get(id(x), 0.0) + gx
        return [np.broadcast_to(adjoint.get(id(x), 0.0), x.value.shape).copy() for x in wrt]


def _unbroadcast(grad, shape):
    """Sum ``grad`` over the axes numpy broadcast, so it has ``shape`` again (a bias: over rows)."""
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _value(x):
    return x.value if isinstance(x, Var) else np.asarray(x, dtype=np.float64)


def _tape(*args):
    return next(a.tape for a in args if isinstance(a, Var))


def add(a, b):
    """a + b with numpy broadcasting."""
    va, vb = _value(a), _value(b)

    def vjp(g):  # each input gets g, summed over the axes it was broadcast along
        return _unbroadcast(g, va.shape), _unbroadcast(g, vb.shape)

    return _tape(a, b).record("add", va + vb, (a, b), vjp)


def mul(a, b):
    """a * b elementwise, with numpy broadcasting."""
    va, vb = _value(a), _value(b)

    def vjp(g):
        return _unbroadcast(g * vb, va.shape), _unbroadcast(g * va, vb.shape)

    return _tape(a, b).record("mul", va * vb, (a, b), vjp)


def matmul(a, b):
    """a @ b: for Y = A·B the gradients are dA = dY·Bᵀ and dB = Aᵀ·dY."""
    va, vb = _value(a), _value(b)

    def vjp(g):
        return g @ vb.T, va.T @ g

    return _tape(a, b).record("matmul", va @ vb, (a, b), vjp)


class Var:
    """A value on a tape; arithmetic with it is recorded."""

    # numpy arrays hand ``X @ var`` and ``2.0 * var`` over to Var's reflected operators
    __array_ufunc__ = None

    def __init__(self, value, tape):
        self.value = value
        self.tape = tape

    def __add__(self, other):
        return add(self, other)

    __radd__ = __add__

    def __mul__(self, other):
        return mul(self, other)

    __rmul__ = __mul__

    def __neg__(self):
        return mul(self, -1.0)

    def __sub__(self, other):
        return add(self, -other if isinstance(other, Var) else -_value(other))

    def __rsub__(self, other):
        return add(-self, other)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    @property
    def shape(self):
        return self.value.shape

    def __repr__(self):
        return f"Var(shape={self.value.shape})"


def _unary(op, x, value, local_derivative):
    """An elementwise function: its VJP multiplies by the derivative at the input."""
    return x.tape.record(op, value, (x,), lambda g: (g * local_derivative,))


def sum(x):
    """The sum of all entries (named like np.sum; use it as autodiff.sum)."""
    return x.tape.record("sum", np.sum(x.value), (x,), lambda g: (np.broadcast_to(g, x.shape),))


def mean(x):
    n = x.value.size
    return x.tape.record("mean", np.mean(x.value), (x,),
                         lambda g: (np.broadcast_to(g / n, x.shape),))


def exp(x):
    value = np.exp(x.value)
    return _unary("exp", x, value, value)


def log(x):
    return _unary("log", x, np.log(x.value), 1.0 / x.value)


def sigmoid(x):
    return _unary("sigmoid", x, activations.sigmoid(x.value), activations.sigmoid_grad(x.value))


def tanh(x):
    return _unary("tanh", x, activations.tanh(x.value), activations.tanh_grad(x.value))


def relu(x):
    return _unary("relu", x, activations.relu(x.value), activations.relu_grad(x.value))


def mse(y_pred, y_true):
    """The course's :func:`~course_utils.losses.mse` as one operation on the tape."""
    loss, grad = losses.mse(y_pred.value, _value(y_true))
    return y_pred.tape.record("mse", np.float64(loss), (y_pred,), lambda g: (g * grad,))


def softmax_cross_entropy(logits, labels):
    """The course's :func:`~course_utils.losses.softmax_cross_entropy` as one operation."""
    loss, grad = losses.softmax_cross_entropy(logits.value, labels)
    return logits.tape.record("softmax_cross_entropy", np.float64(loss), (logits,),
                              lambda g: (g * grad,))


def check_operation(operation, function, points=None):
    """Check a tape operation of one's own against the plain function it should compute.

    ``operation(var)`` records an elementwise function on the tape; ``function(array)`` is that
    function in plain numpy. On ``points`` (13 values in [-3, 3] by default) the recorded value
    must equal ``function(points)`` and the tape's gradient of ``sum(operation(x))`` must equal
    central differences of ``sum(function(x))``. Prints the first place they differ (or that
    they agree) and returns True or False, like :func:`course_utils.exercises.check_step`.
    """
    from .gradcheck import numerical_gradient, relative_error

    x0 = np.linspace(-3.0, 3.0, 13) if points is None else np.array(points, dtype=np.float64)
    name = getattr(operation, "__name__", "operation")
    tape = Tape()
    x = tape.var(x0)
    out = operation(x)
    if not isinstance(out, Var) or out.tape is not tape:
        print(f"{name}: it must return a Var recorded on the input's tape (use x.tape.record)")
        return False
    expected = np.asarray(function(x0.copy()), dtype=np.float64)
    if out.value.shape != expected.shape or not np.allclose(out.value, expected, rtol=1e-10,
                                                             atol=1e-12):
        i = int(np.argmax(np.abs(np.broadcast_to(out.value, expected.shape) - expected)))
        print(f"{name}: the value differs at x = {x0.flat[i]:g}: got {out.value.flat[i]:.6g}, "
              f"expected {expected.flat[i]:.6g}")
        return False
    (grad,) = tape.gradient(sum(out), [x])
    numeric = numerical_gradient(lambda v: np.sum(function(v)), x0.copy())
    error = relative_error(grad, numeric)
    if error > 1e-7:
        i = int(np.argmax(np.abs(grad - numeric)))
        print(f"{name}: the gradient differs at x = {x0.flat[i]:g}: the tape gives "
              f"{grad.flat[i]:.6g}, central differences {numeric.flat[i]:.6g} "
              f"(relative error {error:.1e}); check the VJP: g times the local derivative")
        return False
    print(f"{name}: value and gradient agree at {x0.size} points (relative error {error:.1e})")
    return True
