"""Gradient norms per layer: what they measure, and the vanishing gradient of a deep sigmoid net."""

import numpy as np
import pytest

from course_utils.gradient_flow import dense_layers, weight_gradient_norms
from course_utils.nn import (
    BatchNorm1D,
    Dense,
    Residual,
    all_layers,
    make_mlp,
    softmax_cross_entropy,
)

SIZES = (100,) + (64,) * 6 + (10,)


def batch(n=256, d=100, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, d)).astype(np.float32), rng.integers(0, 10, n)


def test_dense_layers_in_order_also_inside_residual_blocks():
    model = make_mlp((5, 4, 4, 4, 3), rng=0, residual=True)
    found = dense_layers(model)
    assert [layer.params["W"].shape for layer in found] == [(5, 4), (4, 4), (4, 4), (4, 3)]
    assert found[1] is model.layers[1].layers[1]
    assert isinstance(all_layers(model)[1], Residual) and len(all_layers(model)) == 9


def test_norms_are_those_of_the_backward_pass():
    X, y = batch()
    model = make_mlp(SIZES, batchnorm=True, rng=0, residual=True)
    norms = weight_gradient_norms(model, X, y)
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    expected = [np.linalg.norm(layer.grads["W"]) for layer in dense_layers(model)]
    np.testing.assert_allclose(norms, expected, rtol=1e-6)
    assert norms.shape == (7,)


def test_nothing_is_updated():
    X, y = batch()
    model = make_mlp(SIZES, batchnorm=True, rng=0)
    weights = [p.copy() for layer in model.layers for p in layer.params.values()]
    norms = [layer for layer in model.layers if isinstance(layer, BatchNorm1D)]
    running = [(bn.running_mean.copy(), bn.running_var.copy()) for bn in norms]
    weight_gradient_norms(model, X, y)
    after = [p for layer in model.layers for p in layer.params.values()]
    assert all(np.array_equal(a, b) for a, b in zip(weights, after, strict=True))
    for bn, (mean, var) in zip(norms, running, strict=True):
        assert np.array_equal(bn.running_mean, mean) and np.array_equal(bn.running_var, var)


def test_deep_sigmoid_gradient_vanishes_towards_the_input():
    """σ' ≤ 1/4 and Glorot weights keep the backward signal's scale per layer otherwise, so each
    sigmoid layer shrinks it by about 4: the hidden layers' norms fall by ≥ 3 per layer."""
    X, y = batch()
    norms = weight_gradient_norms(make_mlp(SIZES, rng=0), X, y)
    hidden = norms[1:-1]  # layer 1 reads the raw inputs, whose scale differs
    assert np.all(hidden[1:] / hidden[:-1] > 3)
    assert norms[0] / norms[-1] < 1e-2


@pytest.mark.parametrize("design", [
    {"activation": "relu", "init": "he_normal"},
    {"batchnorm": True},
    {"residual": True},
])
def test_easy_designs_keep_the_gradient_across_layers(design):
    X, y = batch()
    norms = weight_gradient_norms(make_mlp(SIZES, rng=0, **design), X, y)
    hidden = norms[1:-1]
    assert hidden.max() / hidden.min() < 3
    assert norms[0] / norms[-1] > 0.05


def test_dense_layers_of_a_plain_list():
    model = make_mlp((3, 2, 2), rng=0)
    assert all(isinstance(layer, Dense) for layer in dense_layers(model))
