"""float32 in, float32 out: every layer, and a float32 network through ``train``.

A float64 array anywhere (a derivative of ones in float64, say) makes the gradient float64, the
optimizer's result float64, and the network silently twice as slow from the first step on.
"""

import numpy as np
import pytest

from course_utils.activations import ACTIVATIONS
from course_utils.nn import Activation, BatchNorm1D, Dense, Residual, make_mlp, train
from course_utils.optimizers import OPTIMIZERS

F32 = np.float32
RNG = np.random.default_rng(0)
X32 = RNG.standard_normal((8, 5)).astype(F32)


def layers():
    yield "dense", Dense(5, 5, rng=0)
    yield "batchnorm", BatchNorm1D(5)
    for name in ACTIVATIONS:
        yield name, Activation(name)
    yield "residual", Residual([Dense(5, 5, rng=0), Activation("relu")])
    yield "residual-bn", Residual([Activation("leaky_relu"), BatchNorm1D(5), Dense(5, 5, rng=1)])


@pytest.mark.parametrize("name, layer", list(layers()), ids=[n for n, _ in layers()])
def test_layer_keeps_float32(name, layer):
    for training in (True, False):
        out = layer.forward(X32, training=training)
        assert out.dtype == F32, (name, training)
    layer.forward(X32)
    dX = layer.backward(np.ones((8, 5), F32))
    assert dX.dtype == F32
    for key, grad in layer.grads.items():
        assert grad.dtype == F32, key
    for key, param in layer.params.items():
        assert param.dtype == F32, key


def small_problem(n=40):
    rng = np.random.default_rng(1)
    return rng.uniform(-1, 1, (n, 12)).astype(F32), rng.integers(0, 3, n)


def all_arrays(model):
    for layer in model.layers:
        yield from layer.params.values()
        yield from layer.grads.values()
        for name in ("running_mean", "running_var"):
            if hasattr(layer, name):
                yield getattr(layer, name)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("variant", ["plain", "batchnorm", "residual"])
def test_float32_mlp_stays_float32_through_train(activation, variant):
    X, y = small_problem()
    model = make_mlp((12, 6, 6, 3), activation=activation, batchnorm=variant == "batchnorm",
                     residual=variant == "residual", rng=0)
    train(model, X, y, optimizer="momentum", epochs=2, batch_size=8, progress=False, lr=0.05)
    dtypes = {array.dtype for array in all_arrays(model)}
    assert dtypes == {np.dtype(F32)}
    assert model.forward(X).dtype == F32


@pytest.mark.parametrize("optimizer", sorted(n for n, o in OPTIMIZERS.items() if not o.needs))
def test_float32_relu_mlp_stays_float32_with_every_optimizer(optimizer):
    X, y = small_problem()
    model = make_mlp((12, 6, 3), activation="relu", init="he_normal", rng=0)
    train(model, X.astype(np.float64), y, optimizer=optimizer, epochs=1, batch_size=8,
          progress=False)
    assert {array.dtype for array in all_arrays(model)} == {np.dtype(F32)}
