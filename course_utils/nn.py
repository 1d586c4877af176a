"""A small neural network in numpy: layers, softmax cross-entropy, an MLP and its training loop.

Every layer has the same parts:

* ``params`` and ``grads``: dicts of arrays with the same keys (``backward`` fills ``grads``);
* ``forward(X, training=True)``: the output, remembering what ``backward`` will need;
* ``backward(dY)``: given dL/dY, fill ``grads`` and return dL/dX.

Rows are samples. The network is trained by the course's step functions
(:mod:`course_utils.optimizers`), one optimizer state per parameter, so the ``adam`` that moves
the point on the contour plot is the one that trains on MNIST. Arrays are float32 by default, as
in torch; the gradient checks build the same layers in float64.
"""

import time
from collections.abc import MutableMapping

import numpy as np
from tqdm.auto import tqdm  # a widget in Jupyter (nothing on stderr), text on stderr elsewhere

from .activations import DERIVATIVES_FROM_OUTPUT, get_activation
from .init import get_initializer
from .optimizers import get_optimizer
from .threads import TRAINING_BLAS_THREADS, check_threads, limit_blas_threads

# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


class Dense:
    """Fully connected layer: Y = X·W + b, with W of shape (n_in, n_out)."""

    def __init__(self, n_in, n_out, init="glorot_uniform", rng=None, dtype=np.float32):
        W = get_initializer(init)((n_in, n_out), rng=np.random.default_rng(rng))
        self.params = {"W": W.astype(dtype), "b": np.zeros(n_out, dtype=dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}

    def forward(self, X, training=True):
        self.X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dY, need_dX=True):
        """dW = Xᵀ·dY,  db = Σ_rows dY,  dX = dY·Wᵀ.

        ``need_dX=False`` skips dX where nobody needs it: below the first layer is the data.
        """
        self.grads["W"] = self.X.T @ dY
        self.grads["b"] = dY.sum(axis=0)
        return dY @ self.params["W"].T if need_dX else None


class Activation:
    """Elementwise activation a = f(z), by name (see :mod:`course_utils.activations`)."""

    def __init__(self, name):
        self.name = name
        self.fn, self.fn_grad = get_activation(name)
        self.fn_grad_from_output = DERIVATIVES_FROM_OUTPUT[name]
        self.params, self.grads = {}, {}

    def forward(self, X, training=True):
        self.Z = X
        self.A = self.fn(X)
        return self.A

    def backward(self, dY):
        """dz = da · f'(z), with f'(z) computed from the output a = f(z) kept by ``forward``."""
        return dY * self.fn_grad_from_output(self.A)


class BatchNorm1D:
    """Batch normalization of each feature (column), then a learned scale γ and shift β.

    Training, over the m rows of a batch:  μ = mean(x),  σ² = mean((x − μ)²),
    x̂ = (x − μ) / √(σ² + ε),  y = γ·x̂ + β.  Meanwhile running estimates for inference:
    r ← momentum·r + (1 − momentum)·batch value, with the unbiased variance m/(m − 1)·σ² for
    ``running_var`` (as torch does). In eval mode (``training=False``) x is normalized with
    ``running_mean`` and ``running_var`` instead, so a prediction does not depend on its batch.

    Erratum: the lecture's code starts γ from uniform random numbers and keeps the biased
    variance for inference; γ starts at ones and the running variance is unbiased (formula 14).
    """

    def __init__(self, n_features, momentum=0.9, eps=1e-5, dtype=np.float32):
        self.momentum = momentum
        self.eps = eps
        self.params = {"gamma": np.ones(n_features, dtype), "beta": np.zeros(n_features, dtype)}
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.running_mean = np.zeros(n_features, dtype)
        self.running_var = np.ones(n_features, dtype)

    def forward(self, X, training=True):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            return gamma * (X - self.running_mean) / np.sqrt(self.running_var + self.eps) + beta
        m = len(X)
        if m < 2:
            raise ValueError("BatchNorm1D needs at least 2 samples per batch when training")
        mu = X.mean(axis=0)
        var = X.var(axis=0)
        self.sigma = np.sqrt(var + self.eps)
        self.x_hat = (X - mu) / self.sigma
        k = self.momentum
        self.running_mean = k * self.running_mean + (1 - k) * mu
        self.running_var = k * self.running_var + (1 - k) * var * (m / (m - 1))
        return gamma * self.x_hat + beta

    def backward(self, dY):
        """dβ = Σ dY,  dγ = Σ dY·x̂,  dX = γ/(m·σ) · (m·dY − Σ dY − x̂·Σ dY·x̂)  (sums over rows).

        The last is the lecture's formula (22); its two sums are exactly dβ and dγ.
        """
        m = len(dY)
        dbeta = dY.sum(axis=0)
        dgamma = (dY * self.x_hat).sum(axis=0)
        self.grads["beta"], self.grads["gamma"] = dbeta, dgamma
        return self.params["gamma"] / (m * self.sigma) * (m * dY - dbeta - self.x_hat * dgamma)


class _LayerDicts(MutableMapping):
    """The ``params`` (or ``grads``) of several layers seen as one dict, keys "i.name".

    Reading ``d["0.W"]`` reads ``layers[0].params["W"]``; assigning it (as ``train`` does after
    a step) writes there, so the layers inside keep their own arrays.
    """

    def __init__(self, layers, attribute):
        self._layers, self._attribute = layers, attribute

    def _split(self, key):
        index, _, name = key.partition(".")
        try:
            return getattr(self._layers[int(index)], self._attribute), name
        except (ValueError, IndexError):
            raise KeyError(key) from None

    def __getitem__(self, key):
        inner, name = self._split(key)
        return inner[name]

    def __setitem__(self, key, value):
        inner, name = self._split(key)
        if name not in inner:
            raise KeyError(key)
        inner[name] = value

    def __delitem__(self, key):
        raise TypeError("the parameters of a layer cannot be removed")

    def __iter__(self):
        for i, layer in enumerate(self._layers):
            for name in getattr(layer, self._attribute):
                yield f"{i}.{name}"

    def __len__(self):
        return sum(len(getattr(layer, self._attribute)) for layer in self._layers)


class Residual:
    """A skip connection around a few layers: Y = X + F(X), F the ``layers`` in turn.

    F must keep the shape of X (``Residual([Dense(64, 64), Activation("relu")])``). Backward:
    dL/dX = dL/dY + (dL/dY sent back through F). The first term is the identity's: however
    small F's derivative, the gradient reaches the layers below undiminished, along a linear
    path. ``params`` and ``grads`` hold those of the inner layers, keys "i.name" ("0.W").
    """

    def __init__(self, layers):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Residual needs at least one layer inside")
        self._params = _LayerDicts(self.layers, "params")
        self.grads = _LayerDicts(self.layers, "grads")

    @property
    def params(self):
        return self._params

    @params.setter
    def params(self, values):
        # ``block.params = saved`` (putting weights back) writes into the layers inside.
        values = dict(values)
        if set(values) != set(self._params):
            raise ValueError(f"Residual params need the keys {sorted(self._params)}, "
                             f"got {sorted(values)}")
        for key, value in values.items():
            self._params[key] = value

    def forward(self, X, training=True):
        F = X
        for layer in self.layers:
            F = layer.forward(F, training=training)
        if F.shape != X.shape:
            raise ValueError(f"the layers inside a Residual turn shape {X.shape} into "
                             f"{F.shape}; X + F(X) needs them equal")
        return X + F

    def backward(self, dY):
        dF = dY
        for layer in reversed(self.layers):
            dF = layer.backward(dF)
        return dY + dF

    def __repr__(self):
        return f"Residual({' → '.join(_layer_name(layer) for layer in self.layers)})"


def _layer_name(layer):
    if isinstance(layer, Dense):
        return "Dense({}, {})".format(*layer.params["W"].shape)
    if isinstance(layer, Activation):
        return layer.name
    if isinstance(layer, Residual):
        return repr(layer)
    return type(layer).__name__


# ---------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    L = mean_i [log Σ_j e^(z_ij) − z_i,y_i].  The log-sum-exp is taken after subtracting each
    row's maximum, so logits of ±1000 neither overflow nor give log(0).  The gradient is
    dL/dz = (softmax(z) − one_hot(y)) / m for a batch of m rows.
    """
    m = len(labels)
    rows = np.arange(m)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1)
    loss = np.mean(np.log(total) - shifted[rows, labels])
    dlogits = exp / total[:, None]  # softmax(z)
    dlogits[rows, labels] -= 1
    dlogits /= m
    return float(loss), dlogits


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


class MLP:
    """A stack of layers, the first a :class:`Dense`; the last outputs logits."""

    def __init__(self, layers):
        self.layers = list(layers)
        if not self.layers or not isinstance(self.layers[0], Dense):
            raise ValueError("an MLP starts with a Dense layer")

    def forward(self, X, training=True):
        for layer in self.layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, dlogits):
        """Send dL/dlogits down through the layers; every layer's ``grads`` is filled."""
        grad = dlogits
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad)
        self.layers[0].backward(grad, need_dX=False)

    def loss(self, X, y, training=True):
        """Forward, then ``softmax_cross_entropy``: returns (loss, dL/dlogits)."""
        return softmax_cross_entropy(self.forward(X, training=training), y)

    def predict(self, X):
        """The predicted class of every row (eval mode: BatchNorm uses its running statistics)."""
        return self.forward(X, training=False).argmax(axis=1)

    def accuracy(self, X, y):
        return float(np.mean(self.predict(X) == y))

    def __repr__(self):
        return f"MLP({' → '.join(_layer_name(layer) for layer in self.layers)})"


def make_mlp(sizes=(784, 200, 10), activation="sigmoid", batchnorm=False,
             init="glorot_uniform", rng=None, dtype=np.float32, residual=False):
    """Dense → activation [→ BatchNorm1D] for every hidden layer, then a Dense to the logits.

    The defaults are the lecture's MNIST network 784 → 200 (sigmoid) → 10;
    ``batchnorm=True`` gives its BatchNorm variant FC1 → sigmoid → BN → FC2.

    ``residual=True`` adds skip connections and nothing else: the same layers, drawn in the same
    order, but wherever a hidden Dense keeps the width, the activation [and BatchNorm] before it
    and the Dense itself become one :class:`Residual` block, h ← h + Dense(f(h)). The input
    layer and the output layer stay outside: 784 → 64 → 64 → 10 becomes
    Dense(784, 64) → Residual(f → Dense(64, 64)) → f → Dense(64, 10).
    """
    rng = np.random.default_rng(rng)
    if len(sizes) == 2:
        return MLP([Dense(sizes[0], sizes[1], init, rng, dtype)])

    def after_hidden(width):  # what follows a hidden Dense layer
        return [Activation(activation)] + ([BatchNorm1D(width, dtype=dtype)] if batchnorm else [])

    layers = [Dense(sizes[0], sizes[1], init, rng, dtype)]
    for n_in, n_out in zip(sizes[1:-2], sizes[2:-1], strict=True):
        block = after_hidden(n_in) + [Dense(n_in, n_out, init, rng, dtype)]
        layers += [Residual(block)] if residual and n_in == n_out else block
    layers += after_hidden(sizes[-2]) + [Dense(sizes[-2], sizes[-1], init, rng, dtype)]
    return MLP(layers)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train(model, x_train, y_train, x_test=None, y_test=None, optimizer="sgd", epochs=20,
          batch_size=64, seed=0, progress=True, blas_threads=TRAINING_BLAS_THREADS,
          **hyperparams):
    """Train ``model`` by minibatch steps of a course optimizer; return the per-epoch history.

    ``optimizer`` is a name in ``OPTIMIZERS`` or a step function, ``hyperparams`` its settings
    (``lr=0.01``, ...). Each epoch visits the training set once in an order drawn from
    ``np.random.default_rng(seed)``; every parameter array keeps its own optimizer state.

    Returns a dict of lists, one entry per epoch: ``loss`` and ``train_accuracy`` (averaged over
    the epoch's batches, as seen while training), ``test_accuracy`` (after the epoch, in eval
    mode; None without test data) and ``seconds`` (the epoch's training time, evaluation not
    counted). ``progress``: True for a progress bar (a widget in Jupyter), a text to label it, or
    False for no output at all. ``blas_threads``: numpy's BLAS threads while training (see
    :mod:`course_utils.threads`; None leaves them as they are); the results do not depend on it.
    """
    step = get_optimizer(optimizer)
    threads = check_threads(blas_threads)
    # One optimizer state per parameter array, e.g. Adam's m, n and t for the first layer's W.
    states = {(i, name): {} for i, layer in enumerate(model.layers) for name in layer.params}
    rng = np.random.default_rng(seed)
    x_train = np.asarray(x_train, dtype=model.layers[0].params["W"].dtype)
    y_train = np.asarray(y_train)
    n = len(x_train)
    n_batches = -(-n // batch_size)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": []}
    desc = progress if isinstance(progress, str) else step.name
    with (limit_blas_threads(threads),
          tqdm(total=epochs * n_batches, desc=desc, unit="batch", disable=not progress) as bar):
        for _ in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            loss_sum, correct = 0.0, 0
            for first in range(0, n, batch_size):
                batch = order[first : first + batch_size]
                X, y = x_train[batch], y_train[batch]
                logits = model.forward(X, training=True)
                loss, dlogits = softmax_cross_entropy(logits, y)
                model.backward(dlogits)
                for i, layer in enumerate(model.layers):
                    for name, param in layer.params.items():
                        layer.params[name], states[i, name] = step(
                            param, layer.grads[name], states[i, name], **hyperparams)
                loss_sum += loss * len(batch)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == y))
                bar.update()
            history["seconds"].append(time.perf_counter() - start)
            history["loss"].append(loss_sum / n)
            history["train_accuracy"].append(correct / n)
            test = model.accuracy(x_test, y_test) if x_test is not None else None
            history["test_accuracy"].append(test)
            bar.set_postfix(loss=f"{loss_sum / n:.4f}", test="-" if test is None else f"{test:.4f}")
    return history
