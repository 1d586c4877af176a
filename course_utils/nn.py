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

from . import checks
from .activations import DERIVATIVES_FROM_OUTPUT, get_activation
from .averaging import WeightEMA
from .init import MAX_SIZE, _as_generator, get_initializer
from .losses import softmax_cross_entropy  # lives in losses; nn.softmax_cross_entropy still works
from .optimizers import OPTIMIZERS, check_hyperparameters, get_optimizer
from .threads import TRAINING_BLAS_THREADS, check_threads, limit_blas_threads

# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


def _check_dtype(dtype):
    """A float dtype for a layer's arrays (float32 by default, float64 for gradient checks)."""
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError):  # numpy parses strings: "01" is a SyntaxError
        raise TypeError(f"dtype must be a float type such as np.float32, got "
                        f"{checks.describe(dtype)}") from None
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"dtype must be a float type such as np.float32, got {dtype}")
    return dtype


class Dense:
    """Fully connected layer: Y = X·W + b, with W of shape (n_in, n_out)."""

    def __init__(self, n_in, n_out, init="glorot_uniform", rng=None, dtype=np.float32):
        n_in, n_out = checks.whole("n_in", n_in, low=1), checks.whole("n_out", n_out, low=1)
        if n_in * n_out > MAX_SIZE:
            raise ValueError(f"n_in × n_out must be at most {MAX_SIZE:.0e} weights, got "
                             f"n_in={n_in}, n_out={n_out}")
        dtype = _check_dtype(dtype)
        W = get_initializer(init)((n_in, n_out), rng=_as_generator(rng))
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
        n_features = checks.whole("n_features", n_features, low=1, high=MAX_SIZE)
        dtype = _check_dtype(dtype)
        self.momentum = checks.real("momentum", momentum, low=0, high=1)
        self.eps = checks.real("eps", eps, low=0, low_open=True)
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
# Training: what is checked before the first step
# ---------------------------------------------------------------------------


# More epochs than this is a typo (20 are the lecture's), not a run anyone waits for.
MAX_EPOCHS = 10_000


def _n_classes(model):
    """The number of logits: the output size of the model's last Dense layer."""
    last = [layer for layer in model.layers if isinstance(layer, Dense)][-1]
    return last.params["W"].shape[1]


def all_layers(model):
    """Every layer of ``model`` from input to output, those inside a Residual block included."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, Residual):
            found += all_layers(layer)
    return found


def _leaf_layers(model):
    # The layers that own arrays: a Residual block only shows its inner layers' params.
    return [layer for layer in all_layers(model) if not isinstance(layer, Residual)]


def _min_batch(model):
    """The smallest batch the model can train on: BatchNorm needs two rows to normalize."""
    return 2 if any(isinstance(layer, BatchNorm1D) for layer in all_layers(model)) else 1


def _check_features(name, x, n_features, dtype):
    """``x`` as an array (n, n_features) of ``dtype``, at least one row, every value finite."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array of shape (n, {n_features}), "
                        f"got {checks.describe(x)}")
    try:
        array = np.asarray(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"{name} must be a numeric array of shape (n, {n_features}), "
                         "got rows of different lengths") from None
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"{name} must be a numeric array of shape (n, {n_features}), "
                        f"got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != n_features:
        raise ValueError(f"{name} must have shape (n, {n_features}), one row of {n_features} "
                         f"inputs per sample, got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: it needs at least one sample")
    for converted in (False, True):
        bad = ~np.isfinite(array)
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            what = f"too large for {array.dtype}" if converted else "NaN or infinite"
            raise ValueError(f"{name} must be finite: {_count(bad.sum(), 'value')} {what}, the "
                             f"first in row {row}")
        if not converted:
            with np.errstate(over="ignore"):  # beyond float32's range becomes inf: caught above
                array = array.astype(dtype, copy=False)
    return array


def _count(n, noun):
    n = int(n)
    return f"{n} {noun}{'' if n == 1 else 's'} {'is' if n == 1 else 'are'}"


def _check_labels(name, y, x_name, n_samples, n_classes):
    """``y`` as integer class labels in [0, n_classes), one per row of ``x_name``."""
    allowed = f"integer class labels in [0, {n_classes})"
    if y is None or isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be an array of {allowed}, got {checks.describe(y)}")
    try:
        array = np.asarray(y)
    except ValueError:
        raise ValueError(f"{name} must be a flat array of {allowed}, got a ragged list") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape ({n_samples},), one label per row of "
                         f"{x_name}, got shape {array.shape}"
                         + (" (flatten it with .ravel())" if array.size == n_samples else ""))
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold {allowed}, got dtype {array.dtype}"
                        + (" (convert whole numbers with .astype(int))"
                           if np.issubdtype(array.dtype, np.floating) else ""))
    if len(array) != n_samples:
        raise ValueError(f"{name} has {len(array)} labels but {x_name} has {n_samples} rows: "
                         "they must have the same length")
    bad = np.flatnonzero((array < 0) | (array >= n_classes))
    if bad.size:
        raise ValueError(f"{name} must hold {allowed}: {_count(bad.size, 'label')} outside, "
                         f"the first {array[bad[0]]} at index {bad[0]}")
    return array


def _check_training_inputs(model, x_train, y_train, x_test, y_test, epochs, batch_size, seed):
    """Every argument of :func:`train` that could make it wrong, checked before any work.

    Returns ``(x_train, y_train, x_test, y_test, epochs, batch_size, seed)``: the inputs as
    arrays of the model's float type, the labels as integers, the counts and seed as ints.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP (see make_mlp), got {checks.describe(model)}")
    epochs = checks.whole("epochs", epochs, low=0, high=MAX_EPOCHS)
    batch_size = checks.whole("batch_size", batch_size, low=1)
    if seed is not None and not isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        seed = checks.whole("seed", seed, low=0)
    W = model.layers[0].params["W"]
    n_features, n_classes, dtype = W.shape[0], _n_classes(model), W.dtype
    x_train = _check_features("x_train", x_train, n_features, dtype)
    y_train = _check_labels("y_train", y_train, "x_train", len(x_train), n_classes)
    if (x_test is None) != (y_test is None):
        given, missing = ("x_test", "y_test") if y_test is None else ("y_test", "x_test")
        raise TypeError(f"{missing} is missing: {given} was given without it; pass both to "
                        "measure the test accuracy, or neither")
    if x_test is not None:
        x_test = _check_features("x_test", x_test, n_features, dtype)
        y_test = _check_labels("y_test", y_test, "x_test", len(x_test), n_classes)
    need = _min_batch(model)
    if need > 1 and batch_size < need:
        raise ValueError(f"batch_size must be >= {need} for a model with BatchNorm1D (it "
                         f"normalizes over the batch), got {batch_size}")
    if len(x_train) < need:
        raise ValueError(f"x_train has {len(x_train)} sample, but a model with BatchNorm1D "
                         f"needs at least {need} to train")
    return x_train, y_train, x_test, y_test, epochs, batch_size, seed


def _check_settings(step, hyperparams, dtype):
    """Unknown or bad hyper-parameters fail here, before the first batch (even with 0 epochs).

    The course's own step functions check their values: one step on a throw-away array runs
    those checks. A step function of one's own is left to check its values when first used.
    """
    if step.needs:
        raise ValueError(f"optimizer {step.name!r} needs {', '.join(step.needs)} of a whole loss "
                         "surface, which minibatch training does not have; use a first-order "
                         "optimizer (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam)")
    check_hyperparameters(step, hyperparams)
    if OPTIMIZERS.get(step.name) is step:
        first = {name: value(0) if callable(value) else value
                 for name, value in hyperparams.items()}
        probe = np.zeros(1, dtype)
        with np.errstate(all="ignore"):
            step(probe, probe, {}, **first)


def _batch_bounds(n, batch_size, min_size):
    """(first, stop) of each batch of an epoch; a last batch below ``min_size`` joins the one
    before, so BatchNorm never sees a batch of one row and every sample is still used."""
    starts = list(range(0, n, batch_size))
    if len(starts) > 1 and n - starts[-1] < min_size:
        starts.pop()
    return list(zip(starts, starts[1:] + [n], strict=True))


# ---------------------------------------------------------------------------
# Training: noticing that it diverged
# ---------------------------------------------------------------------------

# A batch loss this many times the first batch's (or not finite) means training diverged.
DIVERGENCE_FACTOR = 100


def _divergence(loss, first_loss):
    """Why ``loss`` means training diverged, or None if it does not."""
    if not np.isfinite(loss):
        return f"the batch loss is {loss}"
    if first_loss is not None and loss > DIVERGENCE_FACTOR * first_loss:
        return (f"the batch loss {loss:.4g} is more than {DIVERGENCE_FACTOR} times the first "
                f"batch's {first_loss:.4g}")
    return None


def _snapshot(model):
    """What training changes in every layer (its arrays), to go back to if a step diverges.

    References, not copies: step functions return new arrays and layers assign new running
    statistics, so an array kept here is never changed afterwards.
    """
    return [(dict(layer.params), {name: value for name, value in vars(layer).items()
                                  if isinstance(value, np.ndarray)})
            for layer in _leaf_layers(model)]


def _restore(model, snapshot):
    for layer, (params, arrays) in zip(_leaf_layers(model), snapshot, strict=True):
        layer.params = dict(params)
        vars(layer).update(arrays)


def _all_finite(model):
    return all(np.isfinite(p).all() for layer in _leaf_layers(model)
               for p in layer.params.values())


def _divergence_notice(where, reason):
    return (f"Training diverged at epoch {where['epoch']}, batch {where['batch']} (counted from "
            f"0): {reason}. Stopped there: the model keeps the weights it had before the step "
            "that led there, and history['diverged'] records where.")


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train(model, x_train, y_train, x_test=None, y_test=None, optimizer="sgd", epochs=20,
          batch_size=64, seed=0, progress=True, ema=None, blas_threads=TRAINING_BLAS_THREADS,
          **hyperparams):
    """Train ``model`` by minibatch steps of a course optimizer; return the per-epoch history.

    ``optimizer`` is a name in ``OPTIMIZERS`` or a step function, ``hyperparams`` its settings
    (``lr=0.01``, ...). Each epoch visits the training set once in an order drawn from
    ``np.random.default_rng(seed)``; every parameter array keeps its own optimizer state.
    ``x_train`` is (n, n_inputs), ``y_train`` n integer labels in [0, n_classes); the same for
    ``x_test`` and ``y_test`` (both or neither). Bad inputs (labels out of range, NaN or inf,
    lengths that differ, batch_size < 1, epochs outside [0, MAX_EPOCHS]) raise ValueError or
    TypeError before any work. With BatchNorm1D a last batch of one row joins the batch before
    it (BatchNorm cannot normalize a single row), so every sample is used in every epoch.

    Returns a dict of lists, one entry per epoch: ``loss`` and ``train_accuracy`` (averaged over
    the epoch's batches, as seen while training), ``test_accuracy`` (after the epoch, in eval
    mode; None without test data) and ``seconds`` (the epoch's training time, evaluation not
    counted); and ``diverged``: None, or ``{"epoch": e, "batch": b}`` (counted from 0) if a
    batch loss became non-finite or more than ``DIVERGENCE_FACTOR`` (100) times the first
    batch's. Training then stops with a printed notice, the model keeps the weights from
    before that step (all finite), and the epoch it stopped in has an entry if any of its
    batches was done. ``progress``: True for a progress bar (a widget in Jupyter), a text to
    label it, or False for none (a divergence notice is printed all the same).
    ``blas_threads``: numpy's BLAS threads while training (see :mod:`course_utils.threads`; None
    leaves them as they are); the results do not depend on it beyond rounding.

    Any hyper-parameter may be a schedule (see :mod:`course_utils.schedules`): a function of the
    optimizer step counter t = 0, 1, 2, ..., which counts batches over all epochs (t = 0 is the
    first batch of the first epoch, not an epoch number). ``momentum`` keeps the course's form
    v ← γ·v + η_t·g, θ ← θ − v under a schedule: a new lr reaches the step only gradually, while
    torch.optim.SGD with a scheduler, b ← γ·b + g, θ ← θ − η_t·b, rescales the whole step at
    once (the two agree at constant lr).

    ``ema=α`` (in [0, 1)) also keeps an exponential moving average of the weights, updated after
    every step; training uses the raw weights, which the average never changes. The history
    then has ``ema_test_accuracy`` (per epoch, with the averaged weights) and ``ema`` (the
    :class:`~course_utils.averaging.WeightEMA`, for ``with history["ema"].swapped_in(model):``).
    """
    step = get_optimizer(optimizer)
    x_train, y_train, x_test, y_test, epochs, batch_size, seed = _check_training_inputs(
        model, x_train, y_train, x_test, y_test, epochs, batch_size, seed)
    _check_settings(step, hyperparams, x_train.dtype)
    threads = check_threads(blas_threads)
    schedules = {name: value for name, value in hyperparams.items() if callable(value)}
    t = 0  # optimizer steps so far: what a schedule is a function of
    average = None if ema is None else WeightEMA(model, ema)
    # One optimizer state per parameter array, e.g. Adam's m, n and t for the first layer's W.
    states = {(i, name): {} for i, layer in enumerate(model.layers) for name in layer.params}
    rng = np.random.default_rng(seed)
    n = len(x_train)
    bounds = _batch_bounds(n, batch_size, _min_batch(model))
    history = {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": [],
               "diverged": None}
    first_loss, good, notice = None, _snapshot(model), None
    desc = progress if isinstance(progress, str) else step.name
    # Overflow on the way to a divergence is not worth a warning: the check below reports it.
    with (limit_blas_threads(threads),
          tqdm(total=epochs * len(bounds), desc=desc, unit="batch", disable=not progress) as bar,
          np.errstate(over="ignore", invalid="ignore", divide="ignore")):
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            loss_sum, correct, seen = 0.0, 0, 0
            for b, (first, stop) in enumerate(bounds):
                batch = order[first:stop]
                X, y = x_train[batch], y_train[batch]
                before = _snapshot(model)
                logits = model.forward(X, training=True)
                loss, dlogits = softmax_cross_entropy(logits, y)
                reason = _divergence(loss, first_loss)
                if reason is not None:
                    history["diverged"] = {"epoch": epoch, "batch": b}
                    break
                first_loss = loss if first_loss is None else first_loss
                good = before
                model.backward(dlogits)
                hp = {**hyperparams, **{name: f(t) for name, f in schedules.items()}}
                for i, layer in enumerate(model.layers):
                    for name, param in layer.params.items():
                        layer.params[name], states[i, name] = step(
                            param, layer.grads[name], states[i, name], **hp)
                t += 1
                if average is not None:
                    average.update(model)
                loss_sum += loss * len(batch)
                seen += len(batch)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == y))
                bar.update()
            if reason is None and not _all_finite(model):  # the epoch's last step overflowed
                reason = "its last step made some weights infinite or NaN"
                history["diverged"] = {"epoch": epoch, "batch": len(bounds) - 1}
            if reason is not None:
                _restore(model, good)
                if average is not None:
                    average.undo()  # the step taken back leaves the average too
                notice = _divergence_notice(history["diverged"], reason)
            if seen:
                history["seconds"].append(time.perf_counter() - start)
                history["loss"].append(loss_sum / seen)
                history["train_accuracy"].append(correct / seen)
                test = model.accuracy(x_test, y_test) if x_test is not None else None
                history["test_accuracy"].append(test)
                if average is not None:
                    history.setdefault("ema_test_accuracy", []).append(
                        average.accuracy(model, x_test, y_test) if x_test is not None else None)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}",
                                test="-" if test is None else f"{test:.4f}")
            if notice is not None:
                break
    if notice is not None:
        print(notice)
    if average is not None:
        history["ema"] = average
    return history
