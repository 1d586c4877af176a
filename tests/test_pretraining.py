"""Greedy layer-wise supervised pre-training."""

import numpy as np
import pytest

from course_utils.activations import sigmoid
from course_utils.nn import MLP, Activation, Dense, train
from course_utils.pretraining import greedy_pretrain


def problem(n=120, d=10, seed=0):
    """Three classes, separable by a linear map of the inputs."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = np.argmax(X[:, :3], axis=1)
    return X, y


def test_result_is_the_stacked_network_with_the_last_output_layer():
    X, y = problem()
    model, histories = greedy_pretrain((10, 8, 6, 3), X, y, rng=0, epochs=2, lr=0.1)
    assert repr(model) == "MLP(Dense(10, 8) → sigmoid → Dense(8, 6) → sigmoid → Dense(6, 3))"
    assert len(histories) == 2 and all(len(h["loss"]) == 2 for h in histories)
    assert all(p.dtype == np.float32 for layer in model.layers for p in layer.params.values())


def test_a_stage_leaves_the_layers_below_as_they_were():
    """Stage 1 of a deeper run is exactly the one-stage run: stage 2 does not touch layer 1."""
    X, y = problem()
    one, _ = greedy_pretrain((10, 8, 3), X, y, rng=0, epochs=3, lr=0.1)
    two, _ = greedy_pretrain((10, 8, 6, 3), X, y, rng=0, epochs=3, lr=0.1)
    for name in ("W", "b"):
        np.testing.assert_array_equal(two.layers[0].params[name], one.layers[0].params[name])
    assert not np.array_equal(two.layers[-1].params["W"][:, :3], one.layers[-1].params["W"][:, :3])


def test_each_stage_is_a_shallow_network_trained_on_the_fixed_features():
    X, y = problem()
    model, histories = greedy_pretrain((10, 8, 6, 3), X, y, rng=0, epochs=4, seed=5,
                                       optimizer="momentum", lr=0.1, gamma=0.5)
    # Rebuild stage 2 by hand: the same draws, the same training, on layer 1's output.
    rng = np.random.default_rng(0)
    Dense(10, 8, rng=rng), Dense(8, 3, rng=rng)  # stage 1's two layers come first
    hidden, output = Dense(8, 6, rng=rng), Dense(6, 3, rng=rng)
    first = model.layers[0].params
    features = sigmoid(X @ first["W"] + first["b"])
    stage = MLP([hidden, Activation("sigmoid"), output])
    history = train(stage, features, y, optimizer="momentum", epochs=4,
                    seed=6, progress=False, lr=0.1, gamma=0.5)
    np.testing.assert_allclose(history["loss"], histories[1]["loss"], rtol=1e-5)
    np.testing.assert_allclose(hidden.params["W"], model.layers[2].params["W"], rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(output.params["W"], model.layers[4].params["W"], rtol=1e-4,
                               atol=1e-6)


def test_pretrained_network_already_classifies():
    X, y = problem(n=300)
    model, _ = greedy_pretrain((10, 16, 16, 16, 3), X, y, rng=0, epochs=30, lr=0.5)
    assert model.accuracy(X, y) > 0.8  # chance: about 1/3


@pytest.mark.parametrize("sizes, error", [((10, 3), ValueError), ((10, 0, 3), ValueError),
                                          ((10, 2.5, 3), ValueError), ((10, "8", 3), TypeError)])
def test_bad_sizes(sizes, error):
    X, y = problem()
    with pytest.raises(error, match="sizes"):
        greedy_pretrain(sizes, X, y)


def test_bad_epochs():
    X, y = problem()
    with pytest.raises(ValueError, match="epochs"):
        greedy_pretrain((10, 4, 3), X, y, epochs=0)
