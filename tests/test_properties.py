"""Every public function's numeric arguments, fed random finite floats, NaN, ±inf, integers,
strings, None, bools and arrays: each call either works (no warning, and no NaN unless the
function says it may return one) or raises ValueError/TypeError whose message names the
argument. Never another exception.

One argument varies at a time, the others keep working values. Examples are drawn
reproducibly (derandomize=True) and kept few enough that the file runs in well under a minute;
the special values (NaN, inf, a string, None, a bool, an array) are always tried.
"""

import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils import (
    OPTIMIZERS,
    data,
    gradient_descent_1d_explorer,
    optimizer_explorer,
    plot_1d,
    plot_2d,
    train_1d,
    train_2d,
)
from course_utils.init import INITIALIZERS, calc_fan
from course_utils.init_stats import activation_stats
from course_utils.nn import BatchNorm1D, Dense, make_mlp, train
from course_utils.optimizers import hyperparameters
from course_utils.trajectories import distance_to, steps_to_reach

VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([np.nan, np.inf, -np.inf]),
    st.integers(-10**6, 10**6),
    st.text(max_size=4),
    st.none(),
    st.booleans(),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
)
SPECIAL = [np.nan, np.inf, -np.inf, 1e308, -1.0, 0.0, "0.1", None, True, np.array([0.1, 0.2])]


def with_special_values(test):
    """The special values first, always; then the drawn ones."""
    for value in reversed(SPECIAL):
        test = example(value=value)(test)
    return test


def many(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def outcome(name, call, overflow_warns=False):
    """``call()`` either returns, with no warning of any kind (True, result), or raises
    ValueError/TypeError naming ``name`` (False, None). Anything else fails the test.

    ``overflow_warns``: a single step function call whose arithmetic overflows may say so with
    numpy's overflow warning (its result is then ±inf, never NaN); the runners that call it
    (train_2d, train_1d, nn.train) stay silent and report a divergence their own way.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = call()
        except (ValueError, TypeError) as err:
            assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", str(err)), (
                f"{type(err).__name__} does not name {name!r}: {err}")
            return False, None
        except RuntimeWarning as warning:
            if not (overflow_warns and str(warning).startswith("overflow encountered")):
                raise
            with np.errstate(over="ignore"):
                result = call()
            assert not np.any(np.isnan(result[0])), "overflow turned into NaN"
            return None, result
        finally:
            plt.close("all")
    return True, result


# ---------------------------------------------------------------- step functions

P, G = np.array([0.5, -1.0]), np.array([0.25, -0.125])
# Steps that need more than the gradient (Newton, BFGS, ...) get them from the bowl Σ p².
SURFACE_ARGUMENTS = {"fun": lambda p: float(np.sum(np.square(p))),
                     "grad_fn": lambda p: 2.0 * np.asarray(p, dtype=float),
                     "hess": lambda p: 2.0 * np.eye(np.size(p))}


def step(name, *args, **kwargs):
    record = OPTIMIZERS[name]
    return record(*args, **kwargs, **{k: SURFACE_ARGUMENTS[k] for k in record.needs})

STEP_ARGUMENTS = [(name, hp) for name in OPTIMIZERS for hp in hyperparameters(name)]


@pytest.mark.parametrize("name, hp", STEP_ARGUMENTS)
@many(25)
@with_special_values
@given(value=VALUES)
def test_step_function_hyperparameters(name, hp, value):
    ok, result = outcome(hp, lambda: step(name, P, G, {}, **{hp: value}),
                         overflow_warns=True)
    if ok:
        new, state = result
        assert new.shape == P.shape and np.all(np.isfinite(new))


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("argument", ["params", "grad", "state"])
@many(15)
@with_special_values
@given(value=VALUES)
def test_step_function_arrays_and_state(name, argument, value):
    args = {"params": P, "grad": G, "state": {}, argument: value}
    if argument == "params" and np.shape(value) != ():
        args["grad"] = np.zeros(np.shape(value))
    ok, result = outcome(argument, lambda: step(name, **args), overflow_warns=True)
    if ok:
        new, _ = result
        assert new.shape == np.shape(args["params"])
        if np.all(np.isfinite(args["params"])) and np.all(np.isfinite(args["grad"])):
            assert np.all(np.isfinite(new))  # NaN out only if NaN went in


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize("argument", ["steps", "start", "start[0]", "start[1]", "noise", "seed",
                                      "lr"])
@many(25)
@with_special_values
@given(value=VALUES)
def test_train_2d(argument, value):
    kwargs = {"noise": 0.1} if argument == "seed" else {}
    if argument.startswith("start["):
        kwargs["start"] = (value, -2.0) if argument == "start[0]" else (-5.0, value)
        argument = "start"
    else:
        kwargs[argument] = value
    ok, path = outcome(argument, lambda: train_2d("momentum", **kwargs))
    if ok:  # a diverging run may end in inf/nan: that is its lesson, and plot_2d labels it
        steps = 50 if argument != "steps" else int(value)
        assert path.shape == (steps + 1, 2) and np.all(np.isfinite(path[0]))


@pytest.mark.parametrize("argument", ["steps", "start", "lr"])
@many(25)
@with_special_values
@given(value=VALUES)
def test_train_1d(argument, value):
    ok, path = outcome(argument, lambda: train_1d("sgd", **{argument: value}))
    if ok:
        assert path.ndim == 1 and np.isfinite(path[0])


@pytest.mark.parametrize("argument", ["path", "tol", "target", "stay"])
@many(25)
@with_special_values
@given(value=VALUES)
def test_steps_to_reach_and_distance_to(argument, value):
    kwargs = {"path": train_2d("sgd", steps=5, lr=0.4), argument: value}
    if argument == "target":
        kwargs["target"] = (value, 0.0)
    ok, step = outcome(argument, lambda: steps_to_reach(**kwargs))
    if ok:
        assert step is None or 0 <= step < len(np.atleast_1d(kwargs["path"]))
    if argument in ("path", "target"):
        kwargs.pop("tol", None), kwargs.pop("stay", None)
        ok, distance = outcome(argument, lambda: distance_to(**kwargs))
        if ok:
            assert not np.any(np.isnan(distance))  # an overflowed point is inf, never NaN


# ---------------------------------------------------------------- figures


PLOT_2D = {
    "path": lambda v: plot_2d({"sgd": v}),
    "path's start": lambda v: plot_2d({"sgd": [[v, -2.0], [0.0, 0.0]]}),
    "diverged path": lambda v: plot_2d({"sgd": [[-5.0, -2.0], [v, 0.0]]}),
    "xlim": lambda v: plot_2d(train_2d("sgd"), xlim=(v, 3.0)),
    "ylim": lambda v: plot_2d(train_2d("sgd"), ylim=(-3.0, v)),
    "minimum": lambda v: plot_2d(train_2d("sgd"), minimum=(0.0, v)),
}
PLOT_1D = {
    "path": lambda v: plot_1d({"sgd": v}),
    "path's start": lambda v: plot_1d([v, 0.5]),
    "xlim": lambda v: plot_1d([1.0, 0.5], xlim=(-1.5, v)),
    "ylim": lambda v: plot_1d([1.0, 0.5], ylim=(v, 2.0)),
}
NAMED = {"path's start": "path", "diverged path": "path"}


@pytest.mark.parametrize("plot, argument", [*((PLOT_2D, a) for a in PLOT_2D),
                                            *((PLOT_1D, a) for a in PLOT_1D)],
                         ids=[*(f"2d-{a}" for a in PLOT_2D), *(f"1d-{a}" for a in PLOT_1D)])
@many(10)
@with_special_values
@given(value=VALUES)
def test_plots(plot, argument, value):
    ok, ax = outcome(NAMED.get(argument, argument), lambda: plot[argument](value))
    if ok:
        assert ax.lines  # something was drawn


EXPLORERS = {
    "steps": lambda v: optimizer_explorer("sgd", steps=v, lr=0.1, backend="image"),
    "start": lambda v: optimizer_explorer("sgd", start=(v, -2.0), lr=0.1, backend="image"),
    "lr": lambda v: optimizer_explorer("sgd", lr=v, backend="image"),
    "eps": lambda v: optimizer_explorer("adam", lr=0.1, eps=v, backend="image"),
    "ranges": lambda v: optimizer_explorer("sgd", lr=0.1, ranges={"lr": (0.0, v, 0.01)},
                                           backend="image"),
    "figsize": lambda v: optimizer_explorer("sgd", lr=0.1, figsize=(v, 5.0), backend="image"),
    "1d steps": lambda v: gradient_descent_1d_explorer("sgd", steps=v, lr=0.1, backend="image"),
    "1d start": lambda v: gradient_descent_1d_explorer("sgd", start=v, lr=0.1, backend="image"),
    "1d lr": lambda v: gradient_descent_1d_explorer("sgd", lr=v, backend="image"),
}


@pytest.mark.parametrize("argument", EXPLORERS)
@many(4)
@with_special_values
@given(value=VALUES)
def test_explorers(argument, value):
    ok, explorer = outcome(argument.removeprefix("1d "), lambda: EXPLORERS[argument](value))
    if ok:
        assert len(explorer.trajectory) > 1 and explorer.view.value  # a picture was drawn


# ---------------------------------------------------------------- initializers and layers


INIT_ARGUMENTS = [(name, argument) for name, init in INITIALIZERS.items()
                  for argument in init.__code__.co_varnames[:init.__code__.co_argcount]]


@pytest.mark.parametrize("name, argument", INIT_ARGUMENTS)
@many(15)
@with_special_values
@given(value=VALUES)
def test_initializers(name, argument, value):
    kwargs = {"shape": (3, 4), argument: value}
    ok, weights = outcome(argument, lambda: INITIALIZERS[name](**kwargs))
    if ok:
        assert weights.shape == calc_fan_shape(value if argument == "shape" else (3, 4))
        assert np.all(np.isfinite(weights))


def calc_fan_shape(shape):
    calc_fan(shape)  # accepted by calc_fan too
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)


@pytest.mark.parametrize("argument", ["depth", "width", "n_samples", "rng", "keep",
                                      "weight_grads"])
@many(15)
@with_special_values
@given(value=VALUES)
def test_activation_stats(argument, value):
    kwargs = {"depth": 3, "width": 8, "n_samples": 16, argument: value}
    if argument == "keep":
        kwargs["keep"] = (value,)
    ok, stats = outcome(argument, lambda: activation_stats("glorot_normal", "tanh", **kwargs))
    if ok:
        assert np.all(np.isfinite(stats.act_std)) and np.all(np.isfinite(stats.grad_std))


LAYERS = {
    "n_in": lambda v: Dense(v, 3),
    "n_out": lambda v: Dense(3, v),
    "rng": lambda v: Dense(3, 4, rng=v),
    "dtype": lambda v: Dense(3, 4, dtype=v),
    "n_features": lambda v: BatchNorm1D(v),
    "momentum": lambda v: BatchNorm1D(3, momentum=v),
    "eps": lambda v: BatchNorm1D(3, eps=v),
}


@pytest.mark.parametrize("argument", LAYERS)
@many(25)
@with_special_values
@given(value=VALUES)
def test_layer_constructors(argument, value):
    ok, layer = outcome(argument, lambda: LAYERS[argument](value))
    if ok:
        assert all(np.all(np.isfinite(p)) for p in layer.params.values())


# ---------------------------------------------------------------- training and data

X = np.random.default_rng(0).uniform(-1, 1, (6, 4)).astype(np.float32)
Y = np.array([0, 1, 0, 1, 1, 0])


@pytest.mark.parametrize("argument", ["epochs", "batch_size", "seed", "lr"])
@many(20)
@with_special_values
@given(value=VALUES)
def test_train(argument, value):
    model = make_mlp((4, 3, 2), rng=0)
    kwargs = {"epochs": 2, "batch_size": 4, "progress": False, argument: value}
    ok, history = outcome(argument, lambda: train(model, X, Y, X, Y, **kwargs))
    if ok:
        assert all(np.all(np.isfinite(p)) for layer in model.layers for p in layer.params.values())
        if history["diverged"] is None:
            assert np.all(np.isfinite(history["loss"]))


@pytest.fixture
def no_mnist_here(tmp_path, monkeypatch):
    """No MNIST_DIR, an empty project data dir, and a download URL that refuses at once."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(data, "DEFAULT_DATA_DIR", tmp_path / "data" / "mnist")
    monkeypatch.setattr(data, "MNIST_URL", "http://127.0.0.1:9/mnist.npz")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path


@pytest.mark.parametrize("argument", ["data_dir", "download", "url", "verbose"])
@many(10)
@with_special_values
@given(value=VALUES)
def test_load_mnist(no_mnist_here, argument, value, capsys):
    kwargs = {"data_dir": no_mnist_here / "empty", "download": False, "verbose": False}
    kwargs[argument] = value
    if argument == "url":
        kwargs["download"] = True
    elif argument == "data_dir" and isinstance(value, str):
        kwargs["data_dir"] = no_mnist_here / (value.replace("/", "_") or "blank")
    ok, loaded = outcome(argument, lambda: data.load_mnist(**kwargs))
    if ok:
        assert not loaded.source.full and len(loaded.train[0]) == 4000
