"""nn.train: what it refuses before training, how it stops when training diverges, and
BatchNorm's last batch."""

import warnings

import numpy as np
import pytest

from course_utils import data
from course_utils.nn import DIVERGENCE_FACTOR, _batch_bounds, make_mlp, train


def small_problem(n=100, n_test=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n + n_test, 784)).astype(np.float32)
    y = rng.integers(0, 10, n + n_test)
    return X[:n], y[:n], X[n:], y[n:]


def weights(model):
    return [p.copy() for layer in model.layers for p in layer.params.values()]


def assert_untouched(model, before):
    for old, new in zip(before, weights(model), strict=True):
        np.testing.assert_array_equal(old, new)


def rejected(error, match, *, batchnorm=False, **kwargs):
    """train(**kwargs) on a small problem raises ``error`` matching ``match``; nothing trained."""
    x_train, y_train, x_test, y_test = small_problem()
    arguments = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test,
                 "epochs": 1, "batch_size": 16, "progress": False, **kwargs}
    model = make_mlp((784, 8, 10), batchnorm=batchnorm, rng=0)
    before = weights(model)
    running = [layer.running_mean.copy() for layer in model.layers
               if hasattr(layer, "running_mean")]
    with pytest.raises(error, match=match):
        train(model, **arguments)
    assert_untouched(model, before)
    after = [layer.running_mean for layer in model.layers if hasattr(layer, "running_mean")]
    for old, new in zip(running, after, strict=True):
        np.testing.assert_array_equal(old, new)


# ---------------------------------------------------------------- labels


def _labels(kind, n):
    y = np.random.default_rng(1).integers(0, 10, n)
    if kind == "minus_one":
        y[3] = -1
    elif kind == "ten":
        y[-1] = 10
    elif kind == "fractional":
        y = y + 0.5
    elif kind == "whole_floats":
        y = y.astype(float)
    elif kind == "column":
        y = y[:, None]
    elif kind == "strings":
        y = y.astype(str)
    return y


@pytest.mark.parametrize(
    "kind, error, match",
    [
        ("minus_one", ValueError, r"must hold integer class labels in \[0, 10\): 1 label is "
                                  r"outside, the first -1 at index 3"),
        ("ten", ValueError, r"in \[0, 10\): 1 label is outside, the first 10"),
        ("fractional", TypeError, r"must hold integer class labels .*got dtype float64"),
        ("whole_floats", TypeError, r"must hold .*got dtype float64 \(convert whole numbers"),
        ("column", ValueError, r"must have shape \(\d+,\), one label per row .*got shape "
                               r"\(\d+, 1\) \(flatten it"),
        ("strings", TypeError, r"must hold integer class labels"),
    ],
)
@pytest.mark.parametrize("name", ["y_train", "y_test"])
def test_labels_must_be_integers_in_range(name, kind, error, match):
    n = 100 if name == "y_train" else 40
    rejected(error, f"{name} .*{match}", **{name: _labels(kind, n)})


def test_labels_out_of_range_of_a_smaller_network():
    x_train, y_train, _, _ = small_problem()
    with pytest.raises(ValueError, match=r"y_train must hold integer class labels in \[0, 3\)"):
        train(make_mlp((784, 8, 3), rng=0), x_train, y_train, epochs=1, progress=False)


# ---------------------------------------------------------------- test data and lengths


@pytest.mark.parametrize("missing", ["y_test", "x_test"])
def test_test_inputs_come_in_pairs(missing):
    rejected(TypeError, f"{missing} is missing: .* was given without it", **{missing: None})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y_train": np.zeros(101, int)}, "y_train has 101 labels but x_train has 100 rows"),
        ({"y_train": np.zeros(99, int)}, "y_train has 99 labels but x_train has 100 rows"),
        ({"y_test": np.zeros(41, int)}, "y_test has 41 labels but x_test has 40 rows"),
    ],
)
def test_lengths_must_agree(kwargs, match):
    rejected(ValueError, match, **kwargs)


@pytest.mark.parametrize(
    "name, change, error, match",
    [
        ("x_train", lambda x: x[:, :783], ValueError, r"x_train must have shape \(n, 784\)"),
        ("x_train", lambda x: x.reshape(-1, 28, 28), ValueError, r"x_train must have shape"),
        ("x_test", lambda x: x[0], ValueError, r"x_test must have shape \(n, 784\)"),
        ("x_train", lambda x: "pixels", TypeError, r"x_train must be a numeric array"),
        ("x_train", lambda x: None, TypeError, r"x_train must be a numeric array"),
        ("x_train", lambda x: x.astype(complex), TypeError, r"x_train .*dtype complex128"),
    ],
)
def test_inputs_must_be_rows_of_the_networks_width(name, change, error, match):
    x = small_problem()[0 if name == "x_train" else 2]
    rejected(error, match, **{name: change(x)})


# ---------------------------------------------------------------- NaN and inf


@pytest.mark.parametrize("value, what", [(np.nan, "NaN or infinite"), (np.inf, "NaN or infinite"),
                                         (-np.inf, "NaN or infinite"),
                                         (1e300, "too large for float32")])
@pytest.mark.parametrize("name", ["x_train", "x_test"])
def test_inputs_must_be_finite(name, value, what):
    x = small_problem()[0 if name == "x_train" else 2].astype(np.float64)
    x[7, 300] = value
    rejected(ValueError, f"{name} must be finite: 1 value is {what}, the first in row 7",
             **{name: x})


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize(
    "value, error, match",
    [(0, ValueError, r"batch_size must be a whole number >= 1, got 0"),
     (-1, ValueError, r"batch_size must be a whole number >= 1, got -1"),
     (2.5, ValueError, "batch_size must be a whole number"),
     ("64", TypeError, "batch_size must be a whole number"),
     (None, TypeError, "batch_size must be a whole number"),
     (True, TypeError, "batch_size must be a whole number"),
     (np.nan, ValueError, "batch_size must be a whole number")],
)
def test_batch_size_must_be_a_whole_number_of_at_least_one(value, error, match):
    rejected(error, match, batch_size=value)


@pytest.mark.parametrize(
    "value, error, match",
    [(-1, ValueError, r"epochs must be a whole number in \[0, 10000\], got -1"),
     (10**7, ValueError, r"epochs must be a whole number in \[0, 10000\], got 10000000"),
     (1.5, ValueError, "epochs must be a whole number"), ("3", TypeError, "epochs must be"),
     (None, TypeError, "epochs must be"), (np.inf, ValueError, "epochs must be")],
)
def test_epochs_must_be_a_whole_number_from_zero_to_max_epochs(value, error, match):
    rejected(error, match, epochs=value)


@pytest.mark.parametrize("value, error", [(-1, ValueError), (0.5, ValueError), ("0", TypeError)])
def test_seed_is_checked(value, error):
    rejected(error, "seed must be", seed=value)


def test_zero_epochs_trains_nothing_but_still_checks_the_settings():
    x_train, y_train, _, _ = small_problem()
    model = make_mlp((784, 8, 10), rng=0)
    before = weights(model)
    history = train(model, x_train, y_train, epochs=0, progress=False, lr=0.1)
    assert history == {"loss": [], "train_accuracy": [], "test_accuracy": [], "seconds": [],
                       "diverged": None}
    assert_untouched(model, before)
    with pytest.raises(ValueError, match="lr must be"):
        train(model, x_train, y_train, epochs=0, progress=False, lr=-0.1)


def test_empty_training_set():
    rejected(ValueError, "x_train is empty", x_train=np.zeros((0, 784), np.float32),
             y_train=np.zeros(0, int))


@pytest.mark.parametrize("hp, error, match", [({"lr": -1.0}, ValueError, "lr must be"),
                                              ({"lr": "0.1"}, TypeError, "lr must be"),
                                              ({"gamma": 0.9}, ValueError,
                                               "sgd takes no hyper-parameter gamma; its "
                                               "hyper-parameters are: lr")])
def test_bad_settings_fail_before_batchnorm_moves(hp, error, match):
    rejected(error, match, batchnorm=True, **hp)


def test_model_must_be_an_mlp():
    x_train, y_train, _, _ = small_problem()
    with pytest.raises(TypeError, match="model must be an MLP"):
        train("mlp", x_train, y_train, progress=False)


# ---------------------------------------------------------------- BatchNorm's last batch


def test_a_last_batch_too_small_for_batchnorm_joins_the_one_before():
    assert _batch_bounds(65, 64, 2) == [(0, 65)]
    assert _batch_bounds(65, 64, 1) == [(0, 64), (64, 65)]
    assert _batch_bounds(129, 64, 2) == [(0, 64), (64, 129)]
    assert _batch_bounds(130, 64, 2) == [(0, 64), (64, 128), (128, 130)]
    assert _batch_bounds(1, 64, 1) == [(0, 1)]
    for n in range(2, 300):
        bounds = _batch_bounds(n, 16, 2)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
        assert all(stop - first >= 2 for first, stop in bounds)


@pytest.mark.parametrize("n", [65, 129, 20001 % 64 + 64])
def test_batchnorm_trains_when_the_last_batch_would_have_one_sample(n):
    x_train, y_train, x_test, y_test = small_problem(n=n)
    history = train(make_mlp(batchnorm=True, rng=0), x_train, y_train, x_test, y_test,
                    epochs=2, batch_size=64, progress=False, lr=0.01)
    assert history["diverged"] is None and len(history["loss"]) == 2
    assert all(np.isfinite(history["loss"]))


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 1}, "batch_size must be >= 2 for a model with BatchNorm1D"),
    ({"x_train": np.zeros((1, 784), np.float32), "y_train": np.zeros(1, int)},
     "x_train has 1 sample, but a model with BatchNorm1D needs at least 2"),
])
def test_batchnorm_needs_two_samples_per_batch(kwargs, match):
    rejected(ValueError, match, batchnorm=True, **kwargs)


# ---------------------------------------------------------------- divergence


@pytest.fixture(scope="module")
def digits():
    """1 000 real handwritten digits (the small offline set), preprocessed as for MNIST."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MNIST_DIR", raising=False)
        (x_train, y_train), (x_test, y_test) = data.load_mnist(
            "/nonexistent-mnist-dir", download=False, verbose=False)
    return (data.preprocess(x_train[:1000]), y_train[:1000], data.preprocess(x_test[:300]),
            y_test[:300])


def all_finite(model):
    arrays = [p for layer in model.layers for p in layer.params.values()]
    arrays += [getattr(layer, name) for layer in model.layers
               for name in ("running_mean", "running_var") if hasattr(layer, name)]
    return all(np.isfinite(a).all() for a in arrays)


def run_quietly(capsys, model, x_train, y_train, x_test, y_test, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train(model, x_train, y_train, x_test, y_test, progress=False, **kwargs)
    out, err = capsys.readouterr()
    return history, out, err


@pytest.mark.parametrize("batchnorm", [False, True])
def test_lr_100_stops_with_one_notice_and_finite_weights(digits, capsys, batchnorm):
    model = make_mlp(batchnorm=batchnorm, rng=0)
    history, out, err = run_quietly(capsys, model, *digits, optimizer="sgd", epochs=3, lr=100.0)
    where = history["diverged"]
    assert where is not None and where["epoch"] == 0 and 1 <= where["batch"] <= 5
    assert err == ""
    assert out.count("\n") == 1 and out.startswith(
        f"Training diverged at epoch 0, batch {where['batch']} (counted from 0)")
    assert f"more than {DIVERGENCE_FACTOR} times the first batch's" in out
    assert all_finite(model)
    # The epoch it stopped in has an entry for the batches done, test accuracy included.
    assert len(history["loss"]) == len(history["test_accuracy"]) == 1
    assert np.isfinite(history["loss"][0]) and history["loss"][0] < DIVERGENCE_FACTOR * 3
    assert history["test_accuracy"][0] == model.accuracy(digits[2], digits[3])


def test_the_weights_kept_are_those_before_the_step_that_diverged(digits, capsys):
    x_train, y_train, x_test, y_test = digits
    model = make_mlp(rng=0)
    history, _, _ = run_quietly(capsys, model, *digits, epochs=1, lr=20.0)
    b = history["diverged"]["batch"]
    assert b == 3
    # Batch b's loss came from the weights after b steps; the weights kept are those after
    # b - 1 steps, which gave batch b - 1 a normal loss. Redo those b - 1 steps one by one.
    again = make_mlp(rng=0)
    order = np.random.default_rng(0).permutation(len(x_train))
    for first in range(0, (b - 1) * 64, 64):
        train_on = order[first:first + 64]
        train(again, x_train[train_on], y_train[train_on], epochs=1, batch_size=64,
              progress=False, lr=20.0)
    for kept, expected in zip(weights(model), weights(again), strict=True):
        np.testing.assert_allclose(kept, expected, rtol=1e-5, atol=1e-5)


def test_a_healthy_run_records_no_divergence(digits, capsys):
    history, out, _ = run_quietly(capsys, make_mlp(rng=0), *digits, epochs=2, lr=0.1)
    assert history["diverged"] is None and out == ""
    assert len(history["loss"]) == 2


def _blow_up_at(step_number):
    """A step function (plain SGD) whose ``step_number``-th call makes every weight infinite."""
    calls = {"n": 0}

    def blow_up(params, grad, state, *, lr=0.1):
        calls["n"] += 1
        factor = np.inf if calls["n"] >= step_number else 1.0
        return (params - lr * grad) * factor, state

    return blow_up


def test_a_non_finite_loss_stops_training(digits, capsys):
    model = make_mlp((784, 16, 10), rng=0)
    n_params = 4  # W and b of two Dense layers: one step function call each
    history, out, err = run_quietly(capsys, model, *digits, optimizer=_blow_up_at(3 * n_params),
                                    epochs=2, batch_size=100)
    assert history["diverged"] == {"epoch": 0, "batch": 3}
    assert "the batch loss is nan" in out and err == ""
    assert all_finite(model)


def test_a_last_step_that_overflows_is_caught_at_the_end_of_the_epoch(digits, capsys):
    model = make_mlp((784, 16, 10), rng=0)
    history, out, _ = run_quietly(capsys, model, *digits, optimizer=_blow_up_at(1), epochs=3,
                                  batch_size=1000)  # one batch per epoch
    assert history["diverged"] == {"epoch": 0, "batch": 0}
    assert "its last step made some weights infinite or NaN" in out
    assert all_finite(model)
    assert len(history["loss"]) == 1 and history["test_accuracy"][0] is not None


def test_a_diverging_residual_network_gets_back_every_array_inside_its_blocks(capsys):
    """BatchNorm inside a Residual block: its running statistics go back with the weights."""
    from course_utils.nn import MLP, Activation, BatchNorm1D, Dense, Residual

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 6)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    block_norm = BatchNorm1D(6)
    model = MLP([Dense(6, 6, rng=0), Residual([Dense(6, 6, rng=1), block_norm,
                                               Activation("relu")]), Dense(6, 3, rng=2)])
    history = train(model, X, y, epochs=3, batch_size=63, progress=False, lr=1e4)
    assert history["diverged"] is not None
    assert "diverged" in capsys.readouterr().out
    assert np.isfinite(block_norm.running_var).all() and np.isfinite(block_norm.running_mean).all()
    assert all(np.isfinite(p).all() for p in block_norm.params.values())


def test_batchnorm_inside_a_residual_block_keeps_the_last_batch_above_one_row():
    from course_utils.nn import MLP, BatchNorm1D, Dense, Residual

    rng = np.random.default_rng(0)
    model = MLP([Dense(4, 4, rng=0), Residual([Dense(4, 4, rng=1), BatchNorm1D(4)]),
                 Dense(4, 2, rng=2)])
    X = rng.standard_normal((65, 4)).astype(np.float32)
    history = train(model, X, rng.integers(0, 2, 65), epochs=1, batch_size=64, progress=False)
    assert history["diverged"] is None and len(history["loss"]) == 1


@pytest.mark.parametrize("name", ["newton", "bfgs", "lbfgs", "coordinate_descent"])
def test_train_refuses_steps_that_need_a_whole_surface(name):
    X = np.zeros((8, 4), np.float32)
    with pytest.raises(ValueError, match=f"optimizer '{name}' needs .*first-order optimizer"):
        train(make_mlp((4, 3, 2), rng=0), X, np.zeros(8, int), optimizer=name, progress=False)
