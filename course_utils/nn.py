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

import numpy as np
from tqdm.auto import tqdm  # a widget in Jupyter (nothing on stderr), text on stderr elsewhere

from .activations import get_activation
from .averaging import WeightEMA
from .init import get_initializer
from .optimizers import get_optimizer

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
        self.params, self.grads = {}, {}

    def forward(self, X, training=True):
        self.Z = X
        return self.fn(X)

    def backward(self, dY):
        """dz = da · f'(z)."""
        return dY * self.fn_grad(self.Z)


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
        names = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                names.append("Dense({}, {})".format(*layer.params["W"].shape))
            elif isinstance(layer, Activation):
                names.append(layer.name)
            else:
                names.append(type(layer).__name__)
        return f"MLP({' → '.join(names)})"


def make_mlp(sizes=(784, 200, 10), activation="sigmoid", batchnorm=False,
             init="glorot_uniform", rng=None, dtype=np.float32):
    """Dense → activation [→ BatchNorm1D] for every hidden layer, then a Dense to the logits.

    The defaults are the lecture's MNIST network 784 → 200 (sigmoid) → 10;
    ``batchnorm=True`` gives its BatchNorm variant FC1 → sigmoid → BN → FC2.
    """
    rng = np.random.default_rng(rng)
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [Dense(n_in, n_out, init, rng, dtype), Activation(activation)]
        if batchnorm:
            layers.append(BatchNorm1D(n_out, dtype=dtype))
    layers.append(Dense(sizes[-2], sizes[-1], init, rng, dtype))
    return MLP(layers)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train(model, x_train, y_train, x_test=None, y_test=None, optimizer="sgd", epochs=20,
          batch_size=64, seed=0, progress=True, ema=None, **hyperparams):
    """Train ``model`` by minibatch steps of a course optimizer; return the per-epoch history.

    ``optimizer`` is a name in ``OPTIMIZERS`` or a step function, ``hyperparams`` its settings
    (``lr=0.01``, ...). Each epoch visits the training set once in an order drawn from
    ``np.random.default_rng(seed)``; every parameter array keeps its own optimizer state.

    Returns a dict of lists, one entry per epoch: ``loss`` and ``train_accuracy`` (averaged over
    the epoch's batches, as seen while training), ``test_accuracy`` (after the epoch, in eval
    mode; None without test data) and ``seconds`` (the epoch's training time, evaluation not
    counted). ``progress``: True for a progress bar (a widget in Jupyter), a text to label it, or
    False for no output at all.

    ``ema=α`` (in [0, 1)) also keeps an exponential moving average of the weights, updated after
    every step; training uses the raw weights, which the average never changes. The history
    then has ``ema_test_accuracy`` (per epoch, with the averaged weights) and ``ema`` (the
    :class:`~course_utils.averaging.WeightEMA`, for ``with history["ema"].swapped_in(model):``).
    """
    step = get_optimizer(optimizer)
    average = None if ema is None else WeightEMA(model, ema)
    # One optimizer state per parameter array, e.g. Adam's m, n and t for the first layer's W.
    states = {(i, name): {} for i, layer in enumerate(model.layers) for name in layer.params}
    rng = np.random.default_rng(seed)
    x_train = np.asarray(x_train, dtype=model.layers[0].params["W"].dtype)
    y_train = np.asarray(y_train)
    n = len(x_train)
    n_batches = -(-n // batch_size)
    history = {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": []}
    desc = progress if isinstance(progress, str) else step.name
    with tqdm(total=epochs * n_batches, desc=desc, unit="batch", disable=not progress) as bar:
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
                if average is not None:
                    average.update(model)
                loss_sum += loss * len(batch)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == y))
                bar.update()
            history["seconds"].append(time.perf_counter() - start)
            history["loss"].append(loss_sum / n)
            history["train_accuracy"].append(correct / n)
            test = model.accuracy(x_test, y_test) if x_test is not None else None
            history["test_accuracy"].append(test)
            if average is not None:
                history.setdefault("ema_test_accuracy", []).append(
                    average.accuracy(model, x_test, y_test) if x_test is not None else None)
            bar.set_postfix(loss=f"{loss_sum / n:.4f}", test="-" if test is None else f"{test:.4f}")
    if average is not None:
        history["ema"] = average
    return history
