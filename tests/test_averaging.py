"""Polyak averaging and the EMA: formulas (23) and (24), variance theory, nn.train's option."""

import numpy as np
import pytest

from course_utils.averaging import (
    WeightEMA,
    ema_average,
    ema_variance_ratio,
    noisy_averages,
    polyak_average,
    sgd_noise_variance,
)
from course_utils.nn import make_mlp, train
from course_utils.surfaces import RAVINE_CURVATURES
from course_utils.trajectories import train_2d


@pytest.mark.parametrize("shape", [(30,), (30, 2), (12, 3, 4)])
def test_polyak_average_is_the_running_mean(shape):
    path = np.random.default_rng(0).normal(size=shape)
    average = polyak_average(path)
    assert average.shape == path.shape
    for t in range(len(path)):
        np.testing.assert_allclose(average[t], path[: t + 1].mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.9, 0.999])
def test_ema_average_follows_formula_24(alpha):
    path = np.random.default_rng(1).normal(size=(40, 2))
    average = ema_average(path, alpha)
    expected = [path[0]]
    for point in path[1:]:
        expected.append(alpha * expected[-1] + (1 - alpha) * point)
    np.testing.assert_allclose(average, np.array(expected), rtol=1e-12)
    # Unrolled: the weights (1 − α)·α^(t−k) on path[k], and α^t on path[0].
    t = 39
    weights = (1 - alpha) * alpha ** (t - np.arange(t + 1))
    weights[0] = alpha**t
    np.testing.assert_allclose(average[t], weights @ path, rtol=1e-10, atol=1e-14)


def test_alpha_zero_is_the_path_itself():
    path = np.random.default_rng(2).normal(size=(10, 2))
    np.testing.assert_array_equal(ema_average(path, 0.0), path)


@pytest.mark.parametrize("alpha", [1.0, -0.1, 1.5, float("nan")])
def test_alpha_outside_0_1_is_refused_by_name(alpha):
    with pytest.raises(ValueError, match=r"alpha must be .*in \[0, 1\)"):
        ema_average(np.zeros((3, 2)), alpha)


def test_bad_paths_are_refused():
    with pytest.raises(ValueError, match="at least one point"):
        polyak_average(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="path must be"):
        polyak_average("path")


# --- theory: the variance of noisy SGD and of its EMA ------------------------------------------


def test_noisy_sgd_and_its_ema_have_the_variances_theory_gives():
    lr, noise, alpha = 0.1, 1.0, 0.9
    path = train_2d("sgd", steps=100_000, start=(0.0, 0.0), noise=noise, seed=0, lr=lr)[1000:]
    ema = ema_average(path, alpha)[1000:]
    for k, a in enumerate(RAVINE_CURVATURES):
        expected = sgd_noise_variance(lr, a, noise)
        np.testing.assert_allclose(path[:, k].var(), expected, rtol=0.1)
        ratio = ema_variance_ratio(alpha, 1 - lr * a)
        np.testing.assert_allclose(ema[:, k].var(), ratio * expected, rtol=0.1)


def test_noisy_averages_shapes_and_the_long_run_order():
    errors = noisy_averages("sgd", seeds=range(20), steps=1000, noise=1.0, alpha=0.95, lr=0.4)
    assert set(errors) == {"last", "polyak", "ema"}
    assert all(e.shape == (20, 1001) for e in errors.values())
    late = {key: e[:, -1].mean() for key, e in errors.items()}
    assert late["polyak"] < late["ema"] < late["last"]


def test_variance_formulas_check_their_inputs():
    with pytest.raises(ValueError, match="lr·curvature"):
        sgd_noise_variance(0.6, 4.0, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        ema_variance_ratio(1.0, 0.5)


# --- the EMA of a network's weights in nn.train ------------------------------------------------


def _data(rng, n=256):
    X = rng.normal(size=(n, 20)).astype(np.float32)
    y = (X[:, :3].sum(axis=1) > 0).astype(int) + 2 * (X[:, 3] > 0)
    return X, y


def _weights(model):
    return [p.copy() for layer in model.layers for p in layer.params.values()]


def test_the_ema_option_leaves_the_trained_raw_weights_unchanged():
    rng = np.random.default_rng(0)
    X, y = _data(rng)
    plain, averaged = make_mlp((20, 16, 4), rng=1), make_mlp((20, 16, 4), rng=1)
    h1 = train(plain, X, y, X, y, optimizer="momentum", epochs=3, batch_size=32, progress=False,
               lr=0.05, gamma=0.9)
    h2 = train(averaged, X, y, X, y, optimizer="momentum", epochs=3, batch_size=32,
               progress=False, ema=0.9, lr=0.05, gamma=0.9)
    for a, b in zip(_weights(plain), _weights(averaged), strict=True):
        np.testing.assert_array_equal(a, b)
    assert h1["test_accuracy"] == h2["test_accuracy"] and h1["loss"] == h2["loss"]
    assert "ema" not in h1 and "ema_test_accuracy" not in h1
    assert len(h2["ema_test_accuracy"]) == 3
    ema = h2["ema"]
    assert any(not np.array_equal(ema.params[key], averaged.layers[key[0]].params[key[1]])
               for key in ema.params)
    with ema.swapped_in(averaged):
        assert averaged.accuracy(X, y) == h2["ema_test_accuracy"][-1]
    for a, b in zip(_weights(plain), _weights(averaged), strict=True):
        np.testing.assert_array_equal(a, b)  # and back to the raw weights afterwards
    assert all(p.dtype == np.float32 for p in ema.params.values())


def test_weight_ema_is_formula_24_applied_to_every_weight():
    class Layer:
        def __init__(self, W):
            self.params = {"W": W}

    class Model:
        layers = [Layer(np.zeros((2, 3)))]

    model = Model()
    sequence = np.random.default_rng(3).normal(size=(25, 2, 3))
    model.layers[0].params["W"] = sequence[0]
    ema = WeightEMA(model, 0.8)
    for W in sequence[1:]:
        model.layers[0].params["W"] = W  # a step replaces the array, as the optimizers do
        ema.update(model)
    np.testing.assert_allclose(ema.params[0, "W"], ema_average(sequence, 0.8)[-1], rtol=1e-12)
    assert ema.undo()  # back to the average before the last weights came in
    np.testing.assert_allclose(ema.params[0, "W"], ema_average(sequence[:-1], 0.8)[-1], rtol=1e-12)
    assert not ema.undo()  # only the last update can be taken back
    np.testing.assert_allclose(ema.params[0, "W"], ema_average(sequence[:-1], 0.8)[-1], rtol=1e-12)


def test_a_bad_ema_decay_is_refused_before_training():
    X, y = _data(np.random.default_rng(0), 64)
    model = make_mlp((20, 8, 4), rng=0)
    before = _weights(model)
    with pytest.raises(ValueError, match=r"ema must be .*in \[0, 1\)"):
        train(model, X, y, epochs=1, progress=False, ema=1.0)
    for a, b in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_compare_ema_reports_raw_accuracy_as_the_lecture_comparison_does():
    from course_utils.ema_mnist import compare_ema, format_ema_table
    from course_utils.mnist_compare import compare

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    labels = (images[:, 10:18, 10:18].mean(axis=(1, 2)) > 127).astype(int) + 2 * (
        images[:, :4, :4].mean(axis=(1, 2)) > 127)
    data = ((images[:200], labels[:200]), (images[200:], labels[200:]))
    results = compare_ema(runs=("momentum",), alpha=0.9, epochs=2, seeds=(0, 1), data=data)
    reference = compare(epochs=2, seeds=(0, 1), optimizers=("momentum",), data=data,
                        progress=False)
    assert [acc[-1] for acc in results[0]["raw"]] == reference[0]["test_accuracy"]
    assert len(results[0]["ema"]) == 2 and len(results[0]["ema"][0]) == 2
    assert results[0]["n_train"] == 200 and results[0]["n_test"] == 100
    table = format_ema_table(results)
    assert table.splitlines()[1].startswith("Momentum") and "of 2" in table
    with pytest.raises(ValueError, match="unknown runs"):
        compare_ema(runs=("adamw",), data=data)
