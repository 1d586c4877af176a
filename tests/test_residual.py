"""Residual blocks and residual MLPs: x + F(x), gradient-checked in float64."""

import numpy as np
import pytest
from test_nn import check_layer_grads  # the same check as for Dense and BatchNorm1D

from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.nn import (
    MLP,
    Activation,
    BatchNorm1D,
    Dense,
    Residual,
    make_mlp,
    softmax_cross_entropy,
    train,
)

F64 = np.float64


def dense(n_in, n_out, seed):
    layer = Dense(n_in, n_out, rng=seed, dtype=F64)
    layer.params["b"] = np.random.default_rng(seed + 100).standard_normal(n_out)
    return layer


@pytest.mark.parametrize("inner", [
    lambda: [dense(5, 5, 1), Activation("sigmoid")],
    lambda: [Activation("tanh"), dense(5, 5, 2)],
    lambda: [dense(5, 7, 3), Activation("sigmoid"), dense(7, 5, 4)],
    lambda: [Activation("sigmoid"), BatchNorm1D(5, dtype=F64), dense(5, 5, 5)],
    lambda: [Residual([dense(5, 5, 6), Activation("tanh")])],  # a block inside a block
], ids=["dense-sigmoid", "tanh-dense", "two-dense", "with-batchnorm", "nested"])
def test_residual_gradients(inner):
    rng = np.random.default_rng(0)
    check_layer_grads(Residual(inner()), rng.standard_normal((6, 5)), rng)


def test_residual_adds_its_input_and_passes_the_gradient_around():
    rng = np.random.default_rng(1)
    inner = [dense(4, 4, 1), Activation("sigmoid")]
    block = Residual(inner)
    X = rng.standard_normal((3, 4))
    F = Activation("sigmoid").forward(inner[0].forward(X))
    np.testing.assert_allclose(block.forward(X), X + F, rtol=1e-15)
    dY = rng.standard_normal((3, 4))
    dF = inner[0].backward(dY * F * (1 - F))
    block.forward(X)
    np.testing.assert_allclose(block.backward(dY), dY + dF, rtol=1e-12)


def test_residual_params_are_the_inner_layers_arrays():
    inner = [Dense(3, 3, rng=0), Activation("relu"), BatchNorm1D(3)]
    block = Residual(inner)
    assert list(block.params) == ["0.W", "0.b", "2.gamma", "2.beta"]
    assert len(block.params) == 4 and list(block.grads) == list(block.params)
    assert block.params["0.W"] is inner[0].params["W"]
    new = np.full((3, 3), 0.5, np.float32)
    block.params["0.W"] = new  # what train does after a step
    assert inner[0].params["W"] is new
    block.forward(np.ones((2, 3), np.float32))
    block.backward(np.ones((2, 3), np.float32))
    assert block.grads["2.gamma"] is inner[2].grads["gamma"]
    for key in ("1.W", "0.gamma", "9.W", "W"):
        with pytest.raises(KeyError):
            block.params[key] = new
    with pytest.raises(TypeError):
        del block.params["0.W"]


def test_assigning_all_params_puts_them_into_the_inner_layers():
    inner = [Dense(3, 3, rng=0), Activation("relu")]
    block = Residual(inner)
    saved = dict(block.params)  # what a training loop keeps to go back to
    block.params["0.W"] = np.zeros((3, 3), np.float32)
    block.params = saved
    assert inner[0].params["W"] is saved["0.W"] and block.params["0.W"] is saved["0.W"]
    with pytest.raises(ValueError, match="keys"):
        block.params = {"0.W": saved["0.W"]}


def test_residual_needs_layers_that_keep_the_shape():
    with pytest.raises(ValueError, match="at least one layer"):
        Residual([])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        Residual([Dense(3, 4, rng=0)]).forward(np.ones((2, 3), np.float32))


def test_make_mlp_residual_is_the_same_network_with_skips():
    sizes = (10, 6, 6, 6, 3)
    plain, skip = make_mlp(sizes, rng=0), make_mlp(sizes, rng=0, residual=True)
    assert repr(skip) == ("MLP(Dense(10, 6) → Residual(sigmoid → Dense(6, 6)) → "
                          "Residual(sigmoid → Dense(6, 6)) → sigmoid → Dense(6, 3))")
    assert repr(plain) == ("MLP(Dense(10, 6) → sigmoid → Dense(6, 6) → sigmoid → Dense(6, 6) → "
                           "sigmoid → Dense(6, 3))")
    w_plain = [layer.params["W"] for layer in plain.layers if isinstance(layer, Dense)]
    w_skip = [skip.layers[0].params["W"], skip.layers[1].params["1.W"],
              skip.layers[2].params["1.W"], skip.layers[-1].params["W"]]
    for a, b in zip(w_plain, w_skip, strict=True):
        np.testing.assert_array_equal(a, b)
    # A width change stays a plain layer; BatchNorm joins the block.
    mixed = make_mlp((10, 8, 6, 6, 3), batchnorm=True, rng=0, residual=True)
    assert repr(mixed) == ("MLP(Dense(10, 8) → sigmoid → BatchNorm1D → Dense(8, 6) → "
                           "Residual(sigmoid → BatchNorm1D → Dense(6, 6)) → sigmoid → "
                           "BatchNorm1D → Dense(6, 3))")
    assert repr(make_mlp((10, 3), rng=0, residual=True)) == "MLP(Dense(10, 3))"
    assert repr(make_mlp(rng=0)) == "MLP(Dense(784, 200) → sigmoid → Dense(200, 10))"


@pytest.mark.parametrize("batchnorm", [False, True])
def test_residual_mlp_gradients(batchnorm):
    rng = np.random.default_rng(0)
    model = make_mlp((6, 5, 5, 5, 3), activation="tanh", batchnorm=batchnorm, rng=0,
                     dtype=F64, residual=True)
    X, y = rng.standard_normal((7, 6)), rng.integers(0, 3, 7)

    def loss():
        return model.loss(X, y)[0]

    for layer in model.layers:
        for name in layer.params:
            _, dlogits = model.loss(X, y)
            model.backward(dlogits)
            analytic = layer.grads[name].copy()
            numeric = numerical_gradient(lambda _: loss(), layer.params[name])
            assert relative_error(analytic, numeric) < 1e-7, (layer, name)


def test_train_updates_the_layers_inside_residual_blocks():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (60, 20)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    model = make_mlp((20, 16, 16, 16, 3), activation="relu", init="he_normal", rng=0,
                     residual=True)
    inner = model.layers[1].layers[1]
    before = inner.params["W"].copy()
    history = train(model, X, y, optimizer="adam", epochs=40, batch_size=10, progress=False,
                    lr=0.01)
    assert not np.array_equal(inner.params["W"], before)
    assert model.layers[1].params["1.W"] is inner.params["W"]
    assert history["train_accuracy"][-1] == 1.0
    assert softmax_cross_entropy(model.forward(X), y)[0] < 0.1 * history["loss"][0]


def test_mlp_starts_with_dense_even_with_residual_blocks():
    with pytest.raises(ValueError, match="Dense"):
        MLP([Residual([Dense(3, 3, rng=0)])])
